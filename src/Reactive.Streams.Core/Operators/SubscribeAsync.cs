using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Runtime.CompilerServices;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

public static partial class ObservableBackpressureExtensions
{
    /// <summary>
    /// Consumes <paramref name="source"/> with an asynchronous <paramref name="handler"/>, one item at a time and in
    /// order, behind a bounded buffer with <paramref name="policy"/>: the common case of a slow async consumer behind a
    /// fast hot source.
    /// </summary>
    /// <remarks>
    /// <para>Overflow follows the policy as for <see cref="WithBackpressure{T}(IObservable{T}, BackpressurePolicy, int, Func{T, T}?, IScheduler)"/>;
    /// under PauseUpstream the source's <c>OnNext</c> blocks until the handler has taken an item, and fails the
    /// subscription fast with an <see cref="InvalidOperationException"/> naming the stream instead of blocking when it is
    /// called from inside the handler, before or after an await (which would deadlock). The handler's logical flow is
    /// recognised through an <see cref="AsyncLocal{T}"/>, so work the handler starts (<c>Task.Run</c>) counts as inside
    /// it too; such work that produces into the same source should not wait for room. So does code the handler resumes
    /// synchronously on the loop's thread before its first await (the continuation of a plain
    /// <see cref="TaskCompletionSource"/> it completes), which runs outside the handler's flow but above the loop.</para>
    /// <para>The handler loop reads the buffer in batches of an eighth of the capacity (at most 128; one item at a time
    /// below a capacity of 16), as the policy operators do: items read ahead of a slow handler have left the buffer, so
    /// the producer finds that much room beyond the capacity and DropOldest and DegradeQuality do not evict them.</para>
    /// <para>As with the policy operators, the source must keep the Rx grammar: its calls never overlap (the buffer is
    /// lock-free on that promise, and overlapping calls can lose or duplicate items, or hang the producers under
    /// PauseUpstream). Feed a source that calls from
    /// several threads at once through <c>Synchronize()</c>, or subscribe a <see cref="BackpressureObserver{T}"/>,
    /// which accepts concurrent calls.</para>
    /// <para>Errors surface through <see cref="BackpressureSubscription.Completion"/>, never through a callback (only
    /// an exception thrown by the options' <see cref="BoundedStreamOptions{T}.OnDropped"/> reaches the source's
    /// <c>OnNext</c>, after the push has happened, as on every surface): it
    /// completes once the source has completed and every buffered item was handled; it faults with the handler's
    /// exception as soon as the handler throws (the subscription then ends: the source is unsubscribed, blocked
    /// producers are released, buffered items are not handled; an exception that a callback registered on the handler's
    /// token throws when the subscription cancels it follows the handler's among <see cref="Task.Exception"/>); it
    /// faults with the source's error after the items
    /// buffered before it were handled, and so with the exception a source's <c>Subscribe</c> throws (as
    /// <c>ForEachAsync</c> does; <c>SubscribeAsync</c> itself does not throw it); it faults with <see cref="StreamOverflowException"/> (Fail) or the degrader's
    /// error the same way; it faults with the scheduler's exception, and the subscription ends, if the scheduler refuses
    /// to run the handler loop (a disposed <see cref="EventLoopScheduler"/>), and with the options' clock's exception if it
    /// refuses the timer of a PauseUpstream timeout (the push is then rejected, and does not throw). Disposing cancels the token passed to the running handler, unsubscribes the source, releases
    /// blocked producers and starts no further handler; <see cref="BackpressureSubscription.Completion"/> then completes
    /// successfully once the running handler has returned (an <see cref="OperationCanceledException"/> it throws for
    /// that token is not an error).</para>
    /// </remarks>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="handler">Handles one item; receives a token cancelled when the subscription is disposed.</param>
    /// <param name="policy">What happens when the buffer is full.</param>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="degrader">Under DegradeQuality, the pure function applied to a new item on overflow.</param>
    /// <param name="scheduler">Where the handler loop starts each time items arrive in an empty buffer (after an await
    /// it continues where the handler's task completed). Default: <see cref="DefaultScheduler.Instance"/>.</param>
    /// <returns>The subscription: dispose it to stop; await its <see cref="BackpressureSubscription.Completion"/> for the outcome.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="handler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or <paramref name="policy"/> is undefined.</exception>
    public static BackpressureSubscription SubscribeAsync<T>(
        this IObservable<T> source,
        Func<T, CancellationToken, ValueTask> handler,
        BackpressurePolicy policy,
        int capacity,
        Func<T, T>? degrader = null,
        IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(handler);
        return SubscribeAsync(source, handler, new BoundedStreamOptions<T>(policy, capacity) { Degrader = degrader }, scheduler);
    }

    /// <summary>
    /// Consumes <paramref name="source"/> with an asynchronous <paramref name="handler"/> behind a bounded buffer built
    /// from <paramref name="options"/> (see <see cref="SubscribeAsync{T}(IObservable{T}, Func{T, CancellationToken, ValueTask}, BackpressurePolicy, int, Func{T, T}?, IScheduler?)"/>).
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="handler">Handles one item; receives a token cancelled when the subscription is disposed.</param>
    /// <param name="options">The buffer's policy, capacity, name, degrader, eviction callback and PauseUpstream timeout.</param>
    /// <param name="scheduler">Where the handler loop starts. Default: <see cref="DefaultScheduler.Instance"/>.</param>
    /// <returns>The subscription.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/>, <paramref name="handler"/> or <paramref name="options"/> is null.</exception>
    public static BackpressureSubscription SubscribeAsync<T>(
        this IObservable<T> source,
        Func<T, CancellationToken, ValueTask> handler,
        BoundedStreamOptions<T> options,
        IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        var sink = new SubscribeAsyncSink<T>(BoundedBuffer.Create(options, BufferMode.SingleLane), handler, scheduler ?? DefaultScheduler.Instance);
        sink.Run(source);
        return new BackpressureSubscription(sink);
    }
}

/// <summary>
/// A running <see cref="ObservableBackpressureExtensions.SubscribeAsync{T}(IObservable{T}, Func{T, CancellationToken, ValueTask}, BackpressurePolicy, int, Func{T, T}?, IScheduler?)"/>
/// consumer: dispose it to stop, await <see cref="Completion"/> for the outcome.
/// </summary>
public sealed class BackpressureSubscription : IDisposable, IAsyncDisposable, IMeteredStream
{
    private readonly ISubscribeAsyncSink _sink;

    internal BackpressureSubscription(ISubscribeAsyncSink sink)
    {
        _sink = sink;
    }

    /// <summary>The name of the subscription's stream (errors and metrics).</summary>
    public string Name => _sink.Name;

    /// <summary>The policy of the subscription's stream.</summary>
    public BackpressurePolicy Policy => _sink.Policy;

    /// <summary>The capacity of the subscription's stream.</summary>
    public int Capacity => _sink.Capacity;

    /// <summary>
    /// Completes when the source has completed and every buffered item was handled, or when the subscription was
    /// disposed and the running handler has returned. Faults with the handler's exception, with the source's error
    /// (after the items buffered before it were handled), or with the stream's overflow or degrader error.
    /// </summary>
    public Task Completion => _sink.Completion;

    /// <summary>A snapshot of the subscription's stream counters, conserved whenever no item is in flight (<see cref="StreamMetricsSnapshot"/>).</summary>
    /// <returns>The snapshot.</returns>
    public StreamMetricsSnapshot GetMetrics() => _sink.GetMetrics();

    /// <summary>
    /// Stops the subscription: cancels the running handler's token, unsubscribes the source, releases blocked
    /// producers; no handler starts afterwards. Idempotent; does not wait for the running handler.
    /// </summary>
    /// <exception cref="AggregateException">A callback registered on the handler's token threw when it was cancelled
    /// (as from <see cref="CancellationTokenSource.Cancel()"/>); thrown once the subscription has stopped.</exception>
    public void Dispose() => _sink.Dispose();

    /// <summary>Disposes, then waits until the running handler has returned. Never throws the subscription's error.</summary>
    /// <returns>A task that completes when the subscription has stopped.</returns>
    /// <exception cref="AggregateException">A callback registered on the handler's token threw when it was cancelled
    /// (as from <see cref="CancellationTokenSource.Cancel()"/>); thrown once the subscription has stopped.</exception>
    /// <remarks>
    /// Called from inside the handler (or work it started), it cannot wait for the handler to return, since it runs in
    /// it: it stops the subscription and completes without waiting; <see cref="Completion"/> completes once the handler
    /// has returned. Awaiting <see cref="Completion"/> from inside the handler would wait for itself.
    /// </remarks>
    public async ValueTask DisposeAsync()
    {
        try
        {
            _sink.Dispose();
        }
        finally
        {
            if (!_sink.IsInHandler)
            {
                await Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}

/// <summary>The non-generic face of <see cref="SubscribeAsyncSink{T}"/> that <see cref="BackpressureSubscription"/> holds.</summary>
internal interface ISubscribeAsyncSink : IDisposable, IMeteredStream
{
    Task Completion { get; }

    /// <summary>Whether the caller runs in this sink's handler flow (a handler, or work it started).</summary>
    bool IsInHandler { get; }
}

/// <summary>
/// SubscribeAsync's consumer: a handler loop started on the scheduler when items arrive in an empty buffer, awaiting
/// each handler in turn and continuing wherever that handler's task completed.
/// </summary>
internal sealed class SubscribeAsyncSink<T>(BoundedBuffer<T> buffer, Func<T, CancellationToken, ValueTask> handler, IScheduler scheduler)
    : BackpressureSink<T>(buffer), ISubscribeAsyncSink, IDrainTarget<T>
{
    // Marks the handler's logical flow (its continuations included) so a producer called from inside the handler is
    // recognised: blocking it would wait for the very handler it runs in.
    private static readonly AsyncLocal<object?> s_handlerOwner = new();

    private readonly T[] _batch = new T[DrainLoop.BatchLength(buffer.Capacity)];
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _draining;
    private int _disposed;

    // 1 from just before a handler is called until it has returned (its task completed): what "the running handler"
    // means to Dispose. A loop that is only queued on the scheduler, or between two handlers, runs no handler.
    private int _inHandler;

    // The thread running the synchronous part of a handler call: code the handler resumes synchronously there (the
    // continuation of a plain TaskCompletionSource it completes) runs outside the handler's flow, yet above the loop.
    private CallOutThread _handlerCall;

    public string Name => Buffer.Name;

    public BackpressurePolicy Policy => Buffer.Policy;

    public bool IsInHandler => s_handlerOwner.Value == this;

    public int Capacity => Buffer.Capacity;

    public Task Completion => _completion.Task;

    public StreamMetricsSnapshot GetMetrics() => Buffer.GetMetrics();

    /// <summary>Subscribes to <paramref name="source"/>, after <see cref="Start"/>.</summary>
    public void Run(IObservable<T> source)
    {
        Start();
        try
        {
            // As Rx's ForEachAsync does (SubscribeSafe), a source whose Subscribe throws ends the subscription with that
            // error through Completion, after what the source pushed before throwing was handled.
            SubscribeTo(source, errorsToOnError: true);
        }
        catch
        {
            // Still thrown (an Rx ObservableBase source that had already ended before throwing): the caller gets the
            // exception and no subscription, so stop the consumer side before letting it go.
            Dispose();
            throw;
        }
    }

    /// <summary>Readies the consumer side before anything is pushed: the first push schedules the handler loop.</summary>
    public void Start()
    {
        Buffer.ArmReadSignal(this);
        ProbeSchedulerThread(scheduler);
    }

    /// <summary>Whether the sink takes no more items (a terminal notification, an overflow, a handler's failure or disposal).</summary>
    public bool IsStopped => IsProducerSideStopped;

    protected internal override void OnReadable()
    {
        RecordDrainScheduling();
        try
        {
            scheduler.Schedule(this, static (_, sink) =>
            {
                sink.StartDrain();
                return Disposable.Empty;
            });
        }
        catch (Exception error)
        {
            // The scheduler refused the loop (an EventLoopScheduler that was disposed, say), so no handler can run any
            // more. Thrown into the producer, the error would break "OnNext never throws" and leave Completion pending
            // for good (the signal fired, so a disposal would wait for a loop that never comes): end the subscription
            // through Completion instead. The loop was idle (the signal fires only then), so nothing else completes it.
            if (Volatile.Read(ref _disposed) != 0)
            {
                _completion.TrySetResult();
            }
            else
            {
                Fault(error);
            }
        }
    }

    // Fire and forget: DrainAsync catches every handler error and reports it through Completion.
    private void StartDrain() => _ = DrainAsync();

    private async Task DrainAsync()
    {
        Interlocked.Increment(ref _draining);
        RecordDrainThread();
        s_handlerOwner.Value = this;
        try
        {
            switch (await DrainLoop.RunAsync(Buffer, _batch, this).ConfigureAwait(false))
            {
                case DrainEnd.Completed:
                    Finish(TerminalError);
                    break;
                case DrainEnd.Stopped:
                    // Disposed (or faulted, which already completed it): the running handler has returned; nothing else starts.
                    _completion.TrySetResult();
                    break;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _draining);
        }
    }

    bool IDrainTarget<T>.IsStopped => _cancellation.IsCancellationRequested;

    bool IDrainTarget<T>.OnEmpty() => !Buffer.ArmReadSignal(this);

    /// <summary>Runs the handler for each item in turn; a handler error faults the subscription and stops the loop.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    async ValueTask IDrainTarget<T>.DeliverAsync(T[] batch, int count)
    {
        var token = _cancellation.Token;
        for (var i = 0; i < count; i++)
        {
            var item = batch[i];
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            {
                batch[i] = default!;
            }

            // Marked running before the token is looked at, with a full fence: a Dispose that cancels the token and then
            // finds no handler running (so completes Completion at once) is seen here, and no handler starts.
            Interlocked.Exchange(ref _inHandler, 1);
            if (token.IsCancellationRequested)
            {
                Volatile.Write(ref _inHandler, 0);
                if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
                {
                    Array.Clear(batch, i, count - i);
                }

                return;
            }

            try
            {
                ValueTask pending;
                _handlerCall.Enter();
                try
                {
                    pending = handler(item, token);
                }
                finally
                {
                    _handlerCall.Exit();
                }

                if (pending.IsCompletedSuccessfully)
                {
                    pending.GetAwaiter().GetResult();
                }
                else
                {
                    await pending.ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Disposal cancelled the running handler: not an error.
            }
            catch (Exception error)
            {
                if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
                {
                    Array.Clear(batch, i, count - i);
                }

                // Still marked running, so a Dispose racing this cannot complete Completion ahead of the handler's error.
                Fault(error);
                Volatile.Write(ref _inHandler, 0);
                return;
            }

            Volatile.Write(ref _inHandler, 0);
        }
    }

    private void Finish(Exception? error)
    {
        if (error is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(error);
        }
    }

    private void Fault(Exception error)
    {
        // A callback the handler left registered on its token may throw from Cancel; the token is cancelled all the
        // same. Nobody but Completion can hear of it (this runs on the handler loop), so it follows the handler's error
        // there, and the subscription still ends.
        AggregateException? callbacks = null;
        try
        {
            _cancellation.Cancel();
        }
        catch (AggregateException thrown)
        {
            callbacks = thrown;
        }

        // Stop first (unsubscribe, release blocked producers), then surface: a continuation on Completion sees a
        // subscription that is already over.
        Stop(error, completeBuffer: true);
        if (callbacks is null)
        {
            _completion.TrySetException(error);
        }
        else
        {
            _completion.TrySetException([error, .. callbacks.InnerExceptions]);
        }
    }

    protected override BlockHazard BlockingHazard()
    {
        if (s_handlerOwner.Value == this || _handlerCall.IsCurrentThread)
        {
            return BlockHazard.DrainingThread;
        }

        // A running loop (even one awaiting a handler elsewhere) makes room without this thread; a loop only queued
        // needs the scheduler, which may be bound to this thread.
        return Volatile.Read(ref _draining) == 0 || VirtualClock.IsRunning(scheduler) ? SchedulerBlockingHazard(scheduler) : BlockHazard.None;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            // The token is cancelled (so no handler starts) before its callbacks run; one of them may throw, and that
            // propagates from Dispose as it does from CancellationTokenSource.Cancel, once the rest of the disposal is done.
            _cancellation.Cancel();
        }
        finally
        {
            // The loop was idle, or is only queued on the scheduler (which may be a virtual clock nobody advances, or a
            // busy event loop) or between two handlers: no handler is running, and the cancelled token stops any from
            // starting, so the subscription has stopped now. Otherwise the loop completes it once the handler returns.
            if (DisposeProducerSide() || Volatile.Read(ref _inHandler) == 0)
            {
                _completion.TrySetResult();
            }
        }
    }
}
