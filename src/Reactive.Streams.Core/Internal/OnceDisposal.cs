namespace Reactive.Streams.Internal;

/// <summary>
/// One asynchronous disposal shared by every <c>DisposeAsync</c> call on an object: the first call runs it, and every
/// call, concurrent or later, completes when it has (with its error, if it failed). A second call that returned at once
/// would let its caller go on (or exit) while the first one is still storing a checkpoint or closing a connection.
/// </summary>
/// <remarks>Written here because the platform has no such type; its own types repeat the same few lines.</remarks>
internal sealed class OnceDisposal
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Starts the disposal stored in <paramref name="slot"/>, running <paramref name="close"/> if this call is the first
    /// (synchronously up to its first await, on the caller's flow), and returns a task that completes when it has.
    /// </summary>
    /// <param name="slot">The owner's field; null until the first call.</param>
    /// <param name="close">The owner's closing work; called once, by the first call only.</param>
    public static ValueTask Run(ref OnceDisposal? slot, Func<ValueTask> close)
    {
        var disposal = Volatile.Read(ref slot);
        if (disposal is null)
        {
            var candidate = new OnceDisposal();
            disposal = Interlocked.CompareExchange(ref slot, candidate, null) ?? candidate;
            if (ReferenceEquals(disposal, candidate))
            {
                _ = candidate.RunAsync(close);
            }
        }

        var done = disposal._done.Task;
        return done.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(done);
    }

    private async Task RunAsync(Func<ValueTask> close)
    {
        try
        {
            await close().ConfigureAwait(false);
            _done.SetResult();
        }
        catch (Exception error)
        {
            _done.SetException(error);
        }
    }
}
