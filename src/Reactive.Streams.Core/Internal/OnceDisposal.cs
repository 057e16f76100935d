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
    /// Starts the disposal stored in <paramref name="slot"/>, running <paramref name="close"/> if this call is the first,
    /// and returns a task that completes when the disposal has.
    /// </summary>
    /// <param name="slot">The owner's field; null until the first call.</param>
    /// <param name="close">The owner's closing work; called once, by the first call only.</param>
    public static ValueTask Run(ref OnceDisposal? slot, Func<ValueTask> close)
    {
        var disposal = Claim(ref slot, out var first);
        if (first)
        {
            _ = disposal.RunAsync(close);
        }

        return disposal.Completion;
    }

    /// <summary>
    /// Returns the disposal stored in <paramref name="slot"/>, creating it if none has started; <paramref name="first"/>
    /// tells the one caller that must call <see cref="RunAsync"/>. For owners that mark themselves disposed under a lock
    /// of their own in the same step.
    /// </summary>
    public static OnceDisposal Claim(ref OnceDisposal? slot, out bool first)
    {
        var current = Volatile.Read(ref slot);
        if (current is not null)
        {
            first = false;
            return current;
        }

        var candidate = new OnceDisposal();
        current = Interlocked.CompareExchange(ref slot, candidate, null) ?? candidate;
        first = ReferenceEquals(current, candidate);
        return current;
    }

    /// <summary>Completes when the disposal has; fails with its error.</summary>
    public ValueTask Completion => _done.Task.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(_done.Task);

    /// <summary>Runs the closing work (the first caller only) and completes <see cref="Completion"/> with its outcome.</summary>
    public async Task RunAsync(Func<ValueTask> close)
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
