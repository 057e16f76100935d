using System.Diagnostics;
using Reactive.Streams.Canal;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>Settings of a <see cref="CanalWorker"/> loop.</summary>
public sealed class CanalWorkerOptions
{
    private int _maxBatch = DefaultMaxBatch;
    private TimeSpan _deadline = DefaultDeadline;

    /// <summary>The default <see cref="MaxBatch"/>: 64.</summary>
    public const int DefaultMaxBatch = 64;

    /// <summary>The default <see cref="Deadline"/>: 100 ms.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromMilliseconds(100);

    /// <summary>The most items per pull; at least 1. Default <see cref="DefaultMaxBatch"/>.</summary>
    public int MaxBatch
    {
        get => _maxBatch;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxBatch));
            _maxBatch = value;
        }
    }

    /// <summary>How long a pull waits when no item is there; zero or positive. Default <see cref="DefaultDeadline"/>.</summary>
    public TimeSpan Deadline
    {
        get => _deadline;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(Deadline));
            _deadline = value;
        }
    }

    /// <summary>How long a pull holding items waits for a fuller batch. Default <see cref="CanalLinger.None"/>: a batch is handed over as soon as it holds an item.</summary>
    public CanalLinger Linger { get; set; }

    /// <summary>Whether an empty batch is handed to the handler (for periodic work). Default false.</summary>
    public bool DeliverEmptyBatches { get; set; }

    /// <summary>A copy, which a worker keeps so that changing these options later changes nothing it does.</summary>
    internal CanalWorkerOptions Copy() => new() { MaxBatch = MaxBatch, Deadline = Deadline, Linger = Linger, DeliverEmptyBatches = DeliverEmptyBatches };
}

/// <summary>
/// Runs a handler loop over a canal: pull a batch, hand it to the handler, commit it if the canal is an
/// <see cref="ICommittableCanal{T}"/>, repeat, until stopped, until the canal closes, or until the handler fails.
/// A batch the loop pulled but did not see handled (stopped before or during the handler, or the handler failed) is
/// given back to this library's canals, so a later worker on the same canal handles it; it is never committed.
/// </summary>
public static partial class CanalWorker
{
    // Marks each loop's logical flow (its handler, and work the handler starts) with the loop's stop source: a disposal
    // of the handle from there cannot wait for the loop to end, since the loop waits for that handler.
    private static readonly AsyncLocal<CancellationTokenSource?> s_loopOf = new();

    /// <summary>Starts the loop on the thread pool.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="canal">The canal to pull from.</param>
    /// <param name="handler">Handles one non-empty batch; its token is cancelled by <see cref="CanalWorkerHandle.Stop"/>.</param>
    /// <param name="options">Batch size, deadline and linger; defaults if null. Read once, here.</param>
    /// <returns>A handle to stop and join the loop.</returns>
    public static CanalWorkerHandle Start<T>(ICanal<T> canal, Func<CanalBatch<T>, CancellationToken, ValueTask> handler, CanalWorkerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(canal);
        ArgumentNullException.ThrowIfNull(handler);
        // Read once, here: the loop keeps this copy, so changing the caller's object later changes nothing it does.
        options = options?.Copy() ?? new CanalWorkerOptions();
        var stop = new CancellationTokenSource();
        var outcome = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = new CanalWorkerHandle(stop, outcome.Task);
        // Without the caller's execution context: its AsyncLocals (a logging scope, a dispatcher's worker marker when
        // started from a sink's write) would hold in every handler call for the loop's whole life.
        _ = CleanContext.Run(() => RunToOutcomeAsync(canal, handler, options, handle, outcome));
        return handle;
    }

    /// <summary>Whether the caller runs in the flow of the loop stopped by <paramref name="stop"/> (its handler, or work it started).</summary>
    internal static bool IsInLoopOf(CancellationTokenSource stop) => ReferenceEquals(s_loopOf.Value, stop);

    private static async Task RunToOutcomeAsync<T>(ICanal<T> canal, Func<CanalBatch<T>, CancellationToken, ValueTask> handler, CanalWorkerOptions options, CanalWorkerHandle handle, TaskCompletionSource outcome)
    {
        s_loopOf.Value = handle.StopSource;
        var stop = handle.StopSource.Token;

        // The loop's spans have explicit parents (a frame's context) or none: none inherits whatever span was current
        // where the worker was started (Task.Run flows it), so a batch's process span starts a trace of its own.
        Activity.Current = null;
        try
        {
            await RunAsync(canal, handler, options, handle, stop).ConfigureAwait(false);
            outcome.TrySetResult();
        }
        catch (Exception error)
        {
            // Set as a fault even when it is an OperationCanceledException (a handler's HTTP timeout): an awaited async
            // method would turn it into a Canceled task, which reads as a clean stop.
            outcome.TrySetException(error);
        }
    }

    private static async Task RunAsync<T>(ICanal<T> canal, Func<CanalBatch<T>, CancellationToken, ValueTask> handler, CanalWorkerOptions options, CanalWorkerHandle handle, CancellationToken stop)
    {
        var committable = canal as ICommittableCanal<T>;
        var requeue = canal as IRequeueCanal<T>;
        while (!stop.IsCancellationRequested)
        {
            CanalBatch<T> batch;
            try
            {
                batch = await canal.PullBatchAsync(options.MaxBatch, options.Deadline, options.Linger, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The canal keeps what the cancelled pull had taken for its next pull.
                return;
            }
            catch (CanalClosedException closed) when (closed.InnerException is null)
            {
                // The source ended and was drained, or the canal was disposed: the loop is done. A source that ended
                // with an error is a failure, surfaced by JoinAsync.
                return;
            }

            if (batch.IsEmpty && !options.DeliverEmptyBatches)
            {
                continue;
            }

            if (stop.IsCancellationRequested)
            {
                // Stopped as the pull returned: the handler never saw the batch.
                requeue?.Requeue(batch);
                return;
            }

            var handled = false;
            var activity = StreamTracing.IsActive ? StartProcess(canal, batch) : null;
            try
            {
                await handle.InvokeHandler(handler, batch, stop).ConfigureAwait(false);
                handled = true;
            }
            catch (Exception error) when (!(error is OperationCanceledException && stop.IsCancellationRequested) && Failed(activity, error))
            {
                // Never entered: the filter only marks the span of a handler that failed (a stop is no failure).
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopped mid-batch: not committed, and given back below so the canal redelivers it.
                return;
            }
            finally
            {
                activity?.Dispose();
                if (!handled)
                {
                    requeue?.Requeue(batch);
                }
            }

            if (committable is not null && !batch.IsEmpty)
            {
                try
                {
                    await committable.CommitAsync(batch.Last, CancellationToken.None).ConfigureAwait(false);
                }
                catch (ObjectDisposedException disposed) when (disposed.ObjectName == canal.GetType().FullName)
                {
                    // The canal itself was disposed while the handler ran: it is closed, as the next pull would find it,
                    // so the loop ends as for a closed canal. The batch is not committed: the next canal on the
                    // checkpoint (or the group's next claim) hands it out again.
                    return;
                }
            }
        }
    }
}

/// <summary>The worker's "process" spans (docs/tracing.md).</summary>
public static partial class CanalWorker
{
    /// <summary>
    /// Starts the CONSUMER span around one handler call. One frame that carries a trace context: that context is the
    /// span's parent, so the producer's trace continues in the handler (and in what it calls, such as a dispatcher).
    /// Several frames: the span is a root in its own right, linked to every distinct context the frames carry.
    /// </summary>
    private static Activity? StartProcess<T>(ICanal<T> canal, CanalBatch<T> batch)
    {
        var destination = canal is IStreamCanal named ? named.Stream : "(anonymous)";
        var links = StreamTracing.LinksOf(batch);
        var parent = batch.Count == 1 && links is [var only] ? only.Context : default;
        var activity = StreamTracing.Start("process", "process", ActivityKind.Consumer, destination, parent, parent == default ? links : null);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.batch.message_count", batch.Count);
            if (batch.Count == 1 && batch[0] is StreamFrame frame)
            {
                activity.SetTag("messaging.message.id", frame.Id.ToString());
            }

            if (destination == "(anonymous)")
            {
                activity.SetTag("messaging.destination.anonymous", true);
            }
        }

        if (activity is not null && parent != default)
        {
            // The producer's trace continues here, with its baggage.
            StreamTracing.RestoreBaggage(activity, (StreamFrame)(object)batch[0]!);
        }

        return activity;
    }

    private static bool Failed(Activity? activity, Exception error)
    {
        StreamTracing.SetError(activity, error);
        return false;
    }
}

/// <summary>Controls a running <see cref="CanalWorker"/> loop.</summary>
public sealed class CanalWorkerHandle : IAsyncDisposable, IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Task _loop;

    // The thread running the synchronous part of a handler call. Code the handler resumes synchronously there (the
    // continuation of a plain TaskCompletionSource it completes) runs outside the loop's flow, yet above the loop on
    // that thread: a synchronous Dispose there must not block.
    private CallOutThread _handlerCall;

    internal CanalWorkerHandle(CancellationTokenSource stop, Task loop)
    {
        _stop = stop;
        _loop = loop;
    }

    /// <summary>The loop's stop source (its flow's marker).</summary>
    internal CancellationTokenSource StopSource => _stop;

    /// <summary>Starts one handler call, recording the thread that runs its synchronous part.</summary>
    internal ValueTask InvokeHandler<T>(Func<CanalBatch<T>, CancellationToken, ValueTask> handler, CanalBatch<T> batch, CancellationToken stop)
    {
        _handlerCall.Enter();
        try
        {
            return handler(batch, stop);
        }
        finally
        {
            _handlerCall.Exit();
        }
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
    /// <returns>
    /// A task that completes when the loop ends (stopped, or the canal closed), and faults with the exception that ended
    /// it otherwise: the handler's (an <see cref="OperationCanceledException"/> of its own included), a commit's, or a
    /// <see cref="CanalClosedException"/> whose inner exception is the error the canal's source ended with. It is never
    /// canceled.
    /// </returns>
    public Task JoinAsync() => _loop;

    /// <summary>Stops the loop and waits for it to end.</summary>
    /// <returns>The same task as <see cref="JoinAsync"/>.</returns>
    public Task StopAndJoinAsync()
    {
        Stop();
        return _loop;
    }

    /// <summary>
    /// Disposes the worker synchronously: blocks until <see cref="DisposeAsync"/> has finished. Prefer
    /// <c>await using</c>; this is for <c>using</c> and for a dependency-injection container disposed synchronously.
    /// Called from inside the handler (or work it started), it returns once the loop is stopped (see <see cref="DisposeAsync"/>);
    /// so it does from code the handler resumes synchronously on the loop's thread (the continuation of a task the
    /// handler completes, before its first await, without <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>),
    /// where blocking would block the loop.
    /// </summary>
    public void Dispose()
    {
        if (_handlerCall.IsCurrentThread)
        {
            // Blocking here would block the loop this thread runs above: stop it and return, as from inside the handler.
            // (Awaiting DisposeAsync there is fine: an await does not hold the thread.)
            Stop();
            return;
        }

        DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Stops the loop and waits for it to end; a handler failure is not rethrown here (use <see cref="JoinAsync"/>).</summary>
    /// <remarks>
    /// Called from inside the handler (or work it started), it cannot wait for the loop, which waits for that handler:
    /// it stops the loop (the handler's token is cancelled) and completes without waiting; the loop ends once the
    /// handler returns, without committing the batch if the handler then throws, and <see cref="JoinAsync"/> completes
    /// then. Awaiting <see cref="JoinAsync"/> from inside the handler would wait for itself.
    /// </remarks>
    /// <returns>A task that completes when the loop has ended (once it is stopped, from inside the handler).</returns>
    public async ValueTask DisposeAsync()
    {
        Stop();
        if (CanalWorker.IsInLoopOf(_stop))
        {
            // The handler's own flow: waiting here would wait for itself. The token source stays undisposed, since the
            // running handler still holds its token; cancelled and with no timer, it holds nothing to release.
            return;
        }

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
