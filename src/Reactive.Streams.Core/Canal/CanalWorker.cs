namespace Reactive.Streams;

/// <summary>Settings of a <see cref="CanalWorker"/> loop.</summary>
public sealed class CanalWorkerOptions
{
    private readonly int _maxBatch = DefaultMaxBatch;
    private readonly TimeSpan _deadline = DefaultDeadline;

    /// <summary>The default <see cref="MaxBatch"/>: 64.</summary>
    public const int DefaultMaxBatch = 64;

    /// <summary>The default <see cref="Deadline"/>: 100 ms.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromMilliseconds(100);

    /// <summary>The most items per pull; at least 1. Default <see cref="DefaultMaxBatch"/>.</summary>
    public int MaxBatch
    {
        get => _maxBatch;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxBatch));
            _maxBatch = value;
        }
    }

    /// <summary>How long a pull waits for a full batch; zero or positive. Default <see cref="DefaultDeadline"/>.</summary>
    public TimeSpan Deadline
    {
        get => _deadline;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(Deadline));
            _deadline = value;
        }
    }

    /// <summary>Whether an empty batch is handed to the handler (for periodic work). Default false.</summary>
    public bool DeliverEmptyBatches { get; init; }
}

/// <summary>
/// Runs a handler loop over a canal: pull a batch, hand it to the handler, commit it if the canal is an
/// <see cref="ICommittableCanal{T}"/>, repeat, until stopped, until the canal closes, or until the handler fails.
/// </summary>
public static class CanalWorker
{
    /// <summary>Starts the loop on the thread pool.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="canal">The canal to pull from.</param>
    /// <param name="handler">Handles one non-empty batch; its token is cancelled by <see cref="CanalWorkerHandle.Stop"/>.</param>
    /// <param name="options">Batch size and deadline; defaults if null.</param>
    /// <returns>A handle to stop and join the loop.</returns>
    public static CanalWorkerHandle Start<T>(ICanal<T> canal, Func<CanalBatch<T>, CancellationToken, ValueTask> handler, CanalWorkerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(canal);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new CanalWorkerOptions();
        var stop = new CancellationTokenSource();
        var loop = Task.Run(() => RunAsync(canal, handler, options, stop.Token), CancellationToken.None);
        return new CanalWorkerHandle(stop, loop);
    }

    private static async Task RunAsync<T>(ICanal<T> canal, Func<CanalBatch<T>, CancellationToken, ValueTask> handler, CanalWorkerOptions options, CancellationToken stop)
    {
        var committable = canal as ICommittableCanal<T>;
        while (!stop.IsCancellationRequested)
        {
            CanalBatch<T> batch;
            try
            {
                batch = await canal.PullBatchAsync(options.MaxBatch, options.Deadline, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (CanalClosedException)
            {
                // The source ended and was drained: the loop is done.
                return;
            }

            if (batch.IsEmpty && !options.DeliverEmptyBatches)
            {
                continue;
            }

            try
            {
                await handler(batch, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopped mid-batch: not committed, so an at-least-once canal redelivers it.
                return;
            }

            if (committable is not null && !batch.IsEmpty)
            {
                await committable.CommitAsync(batch.Last, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>Controls a running <see cref="CanalWorker"/> loop.</summary>
public sealed class CanalWorkerHandle : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Task _loop;

    internal CanalWorkerHandle(CancellationTokenSource stop, Task loop)
    {
        _stop = stop;
        _loop = loop;
    }

    /// <summary>Whether the loop has ended.</summary>
    public bool IsCompleted => _loop.IsCompleted;

    /// <summary>Asks the loop to stop without waiting: a pending pull and the running handler see their token cancelled.</summary>
    public void Stop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped and disposed.
        }
    }

    /// <summary>Waits for the loop to end.</summary>
    /// <returns>A task that completes when the loop ends, and faults with the handler's (or a commit's) exception if one ended it.</returns>
    public Task JoinAsync() => _loop;

    /// <summary>Stops the loop and waits for it to end.</summary>
    /// <returns>The same task as <see cref="JoinAsync"/>.</returns>
    public Task StopAndJoinAsync()
    {
        Stop();
        return _loop;
    }

    /// <summary>Stops the loop and waits for it to end; a handler failure is not rethrown here (use <see cref="JoinAsync"/>).</summary>
    /// <returns>A task that completes when the loop has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        Stop();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Surfaced by JoinAsync; disposal only guarantees the loop is over.
        }
        finally
        {
            _stop.Dispose();
        }
    }
}
