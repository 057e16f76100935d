using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// Fans every dispatched item out to several sinks (a file, a webhook, a queue), each behind its own bounded queue and
/// one worker, and acknowledges the item only once every sink has committed it, so a crash redelivers and loses
/// nothing.
/// </summary>
/// <remarks>
/// <para><b>Overflow.</b> A sink whose queue is full makes <see cref="DispatchAsync"/> wait under
/// <see cref="OnFull.Block"/> (at-least-once: a stalled sink eventually backpressures the caller) or drop the item for
/// that sink under <see cref="OnFull.Drop"/> (at-most-once for that sink: counted, never waits).</para>
/// <para><b>Delivery.</b> Each worker drains its queue in order, taking up to <c>MaxBatch</c> queued items at a time
/// (waiting up to <c>BatchFlush</c> for a partial batch to fill); an <see cref="IBatchDeliverySink{T}"/> gets the batch
/// in one call, any other sink one item at a time. Transient failures are retried with capped exponential backoff;
/// a permanent failure (<see cref="PermanentDeliveryException"/>) or a failure that outlasts <c>MaxRetries</c> retries
/// goes to the dead-letter sink, or is logged and discarded when there is none.</para>
/// <para><b>Acknowledgement.</b> The item's <see cref="IAckToken"/> fires exactly once, after every sink that is not
/// best-effort has committed the item: delivered it, dead-lettered it (or discarded it after a terminal failure), or
/// dropped it under <see cref="OnFull.Drop"/>. An item whose dispatch failed, or that had not drained when shutdown
/// gave up, is never acknowledged, so an at-least-once source redelivers it.</para>
/// <para><b>Completion.</b> <see cref="ShutdownAsync"/> stops intake, drains within a timeout, and leaves whatever did
/// not drain unacknowledged. A dispatch after shutdown fails with <see cref="InvalidOperationException"/>; one after
/// <see cref="Dispose"/> or <see cref="DisposeAsync"/> with <see cref="ObjectDisposedException"/> (which derives from
/// it).</para>
/// <para><b>Time and metrics.</b> Backoff, batch flush, the drain timeout and ack latency use the options'
/// <see cref="TimeProvider"/>. Queue depth, delivered, dropped, retries, dead-lettered, discarded and ack latency are
/// published on the <c>Reactive.Streams</c> meter (<see cref="StreamMeter.Meter"/>) as <c>reactive_streams.delivery.*</c> instruments
/// tagged with <c>reactive_streams.dispatcher.name</c> and <c>reactive_streams.sink.name</c>; each sink's queue also appears as a stream named
/// <c>{dispatcher}/{sink}</c>.</para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
public sealed partial class DeliveryDispatcher<T> : IAsyncDisposable, IDisposable
{
    // Marks each worker's logical flow (its sink's calls, the acknowledgements it fires, and work they start): a
    // disposal from there cannot wait for the workers to stop, since it runs on one of them.
    private static readonly AsyncLocal<DeliveryDispatcher<T>?> s_workerOf = new();

    private readonly DeliverySinkWorker<T>[] _workers;
    private readonly int _holds;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _stop = new();

    // Cancelled by DisposeAsync: a drain under way (an earlier ShutdownAsync with a timeout) ends at once.
    private readonly CancellationTokenSource _endDrain = new();
    private readonly TaskCompletionSource<bool> _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly KeyValuePair<string, object?> _dispatcherTag;
    private int _shutdownStarted;

    // Set by Dispose and DisposeAsync before they shut down: a dispatch begun after it reports the disposal.
    private int _disposed;

    // Acknowledgements fired on dispatching threads; those fired by a worker are counted by that worker, so the
    // workers never contend on one counter.
    private long _acknowledgedByDispatch;

    /// <summary>Creates the dispatcher and starts one worker per sink.</summary>
    /// <param name="options">The sinks and settings; validated and copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is invalid (the exception's parameter name is the option: a
    /// queue capacity or <c>MaxBatch</c> below 1, a negative <c>MaxRetries</c> or delay, <c>BackoffBase</c> above
    /// <c>MaxBackoff</c>), there is no sink, a sink has no name, or two sinks share a name
    /// (<see cref="DeliveryOptions{T}.Sinks"/>).</exception>
    public DeliveryDispatcher(DeliveryOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Name, nameof(options.Name));
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options.TimeProvider));
        if (options.Sinks.Count == 0)
        {
            throw new ArgumentException("A dispatcher needs at least one sink (DeliveryOptions.AddSink).", nameof(options.Sinks));
        }

        // Validate everything before creating anything: no queue is registered and no worker started for bad options.
        DeliverySinkSettings.Resolve(options, "", null);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var resolved = new DeliverySinkSettings[options.Sinks.Count];
        for (var i = 0; i < resolved.Length; i++)
        {
            var (sink, sinkOptions) = options.Sinks[i];
            var name = sink.Name;
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException($"Sink #{i} ({sink.GetType().Name}) has no name.", nameof(options.Sinks));
            }

            if (!names.Add(name))
            {
                throw new ArgumentException($"Two sinks are named '{name}'; sink names must be unique within a dispatcher.", nameof(options.Sinks));
            }

            resolved[i] = DeliverySinkSettings.Resolve(options, name, sinkOptions, sink.Options);
        }

        Name = options.Name;
        NameIsGenerated = options.NameIsGenerated;
        Logger = NonThrowingLogger.Wrap(options.Logger);
        DeadLetterSink = options.DeadLetterSink;
        _timeProvider = options.TimeProvider;
        _dispatcherTag = new(StreamMeter.DispatcherNameAttribute, Name);
        MeterFactory = options.MeterFactory;
        Meter = LibraryMeter.For(options.MeterFactory);
        _workers = new DeliverySinkWorker<T>[resolved.Length];
        var holds = 1;
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new DeliverySinkWorker<T>(this, options.Sinks[i].Sink, resolved[i], _timeProvider, _stop.Token);
            holds += resolved[i].BestEffort ? 0 : 1;
        }

        _holds = holds;
        SinkNames = Array.ConvertAll(_workers, static w => w.Name);
        foreach (var worker in _workers)
        {
            worker.Start();
        }
    }

    /// <summary>The dispatcher's name (logs and the <c>reactive_streams.dispatcher.name</c> metric tag).</summary>
    public string Name { get; }

    /// <summary>The sinks' names, in the order they were added.</summary>
    public IReadOnlyList<string> SinkNames { get; }

    /// <summary>Whether <see cref="ShutdownAsync"/> was called: intake is closed.</summary>
    public bool IsShutdown => Volatile.Read(ref _shutdownStarted) != 0;

    /// <summary>How many items were acknowledged so far.</summary>
    public long AcknowledgedCount
    {
        get
        {
            var count = Volatile.Read(ref _acknowledgedByDispatch);
            foreach (var worker in _workers)
            {
                count += worker.Acknowledged;
            }

            return count;
        }
    }

    /// <summary>The options' logger, guarded: a log call never throws, so logging never changes delivery.</summary>
    internal ILogger Logger { get; }

    /// <summary>The factory of the meter the dispatcher and its sink queues publish on; null for the static meter.</summary>
    internal IMeterFactory? MeterFactory { get; }

    /// <summary>Whether <see cref="Name"/> was generated (<see cref="DeliveryOptions{T}.NameIsGenerated"/>): its metric series end with it.</summary>
    internal bool NameIsGenerated { get; }

    internal LibraryMeter Meter { get; }

    internal IDeliverySink<DeadLetter<T>>? DeadLetterSink { get; }

    /// <summary>
    /// Fans <paramref name="item"/> into every sink's queue; <paramref name="ack"/> fires once every sink that is not
    /// best-effort has committed it.
    /// </summary>
    /// <param name="item">The item.</param>
    /// <param name="ack">Fired exactly once when the item is committed everywhere (see <see cref="IAckToken"/>); null
    /// for none. If the dispatch fails, it never fires.</param>
    /// <param name="cancellationToken">Cancels a wait for room in a <see cref="OnFull.Block"/> queue. A dispatch
    /// cancelled half-way may already sit in some queues and be delivered there, but is never acknowledged.</param>
    /// <returns>A task that completes once the item is in every queue (or dropped for a <see cref="OnFull.Drop"/>
    /// sink), synchronously unless a <see cref="OnFull.Block"/> queue is full.</returns>
    /// <exception cref="ObjectDisposedException">The dispatcher was disposed before this dispatch began (reported
    /// through the returned task); the item is not acknowledged.</exception>
    /// <exception cref="InvalidOperationException">The dispatcher is shut down, or shut down (or disposed) while this
    /// dispatch waited for room (reported through the returned task); the item is not acknowledged.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (through the task);
    /// a token already cancelled is reported so on a shut-down dispatcher too, as <c>ChannelWriter.WriteAsync</c> does.</exception>
    public ValueTask DispatchAsync(T item, IAckToken? ack = null, CancellationToken cancellationToken = default) =>
        DispatchMappedAsync(item, origin: null, ack, cancellationToken);

    /// <summary>
    /// <see cref="DispatchAsync(T, IAckToken?, CancellationToken)"/> of an item made from <paramref name="origin"/> (the
    /// hosting package's dispatching worker maps each frame to the dispatcher's item type): the dispatch span continues
    /// the trace the frame carries, as it would for the frame itself.
    /// </summary>
    internal ValueTask DispatchMappedAsync(T item, StreamFrame? origin, IAckToken? ack, CancellationToken cancellationToken)
    {
        // The token first, as ChannelWriter.WriteAsync (and the sinks' queues) look at it: a token already cancelled
        // reports the cancellation whatever state the dispatcher is in.
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (Volatile.Read(ref _shutdownStarted) != 0)
        {
            // Use after Dispose is an ObjectDisposedException, as for every other disposed type of this library and
            // of .NET's; a dispatcher only shut down (which it may be for a while before being disposed) reports that.
            return ValueTask.FromException(Volatile.Read(ref _disposed) != 0 ? CreateDisposedException() : CreateShutDownException(null));
        }

        // The clock is read only while someone listens to the ack latency histogram: it is the one per-item cost
        // of the metric, and an item dispatched before a listener attached is simply not measured.
        long? dispatchedAt = Telemetry.Enabled && Meter.AckDuration.Enabled ? _timeProvider.GetTimestamp() : null;
        var dispatch = StreamTracing.IsActive ? StartDispatch(item, origin) : null;
        var envelope = dispatch is null
            ? new DeliveryEnvelope<T>(item, ack, _holds, dispatchedAt)
            : new TracedDeliveryEnvelope<T>(item, ack, _holds, dispatchedAt, dispatch);
        var workers = _workers;
        for (var i = 0; i < workers.Length; i++)
        {
            var worker = workers[i];
            if (worker.IsDrop)
            {
                if (!TryOfferDropping(worker, envelope))
                {
                    return ValueTask.FromException(DispatchFailed(dispatch, CreateShutDownException(null)));
                }

                continue;
            }

            var pending = worker.Queue.PushAsync(envelope, cancellationToken);
            if (!pending.IsCompletedSuccessfully)
            {
                return dispatch is null ? DispatchSlowAsync(pending, envelope, i, cancellationToken) : DispatchTracedSlowAsync(pending, envelope, i, dispatch, cancellationToken);
            }

            // Consumes the result (a pooled waiter may back it, if a reader made room between park and check).
            pending.GetAwaiter().GetResult();
        }

        ReleaseDispatchHold(envelope);
        StreamTracing.StopDetached(dispatch);
        return default;
    }

    /// <summary>A <see cref="OnFull.Block"/> queue was full: finish the fan-out asynchronously from sink <paramref name="index"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DispatchSlowAsync(ValueTask pending, DeliveryEnvelope<T> envelope, int index, CancellationToken cancellationToken)
    {
        var workers = _workers;
        for (var i = index; i < workers.Length; i++)
        {
            var worker = workers[i];
            if (i > index)
            {
                if (worker.IsDrop)
                {
                    if (!TryOfferDropping(worker, envelope))
                    {
                        throw CreateShutDownException(null);
                    }

                    continue;
                }

                pending = worker.Queue.PushAsync(envelope, cancellationToken);
            }

            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (StreamClosedException closed)
            {
                throw CreateShutDownException(closed);
            }
        }

        ReleaseDispatchHold(envelope);
    }

    /// <summary>Offers the item to a <see cref="OnFull.Drop"/> queue without waiting; false if the queue is closed.</summary>
    private bool TryOfferDropping(DeliverySinkWorker<T> worker, DeliveryEnvelope<T> envelope)
    {
        var result = worker.Queue.TryPush(envelope);
        if (result.IsAccepted)
        {
            return true;
        }

        if (result.Status != PushStatus.Overflow)
        {
            return false;
        }

        // Dropped under OnFull.Drop: the sink is done with this item, so it releases its hold here. The dispatch's
        // own hold is still taken, so this can never be the last release.
        worker.CountDropped();
        if (!worker.IsBestEffort)
        {
            envelope.Release();
        }

        return true;
    }

    private void ReleaseDispatchHold(DeliveryEnvelope<T> envelope)
    {
        if (envelope.Release())
        {
            Interlocked.Increment(ref _acknowledgedByDispatch);
            Acknowledge(envelope);
        }
    }

    /// <summary>
    /// Fires the item's acknowledgement; called exactly once per item by whoever released its last hold, who has
    /// already counted it (so code the acknowledgement wakes sees it counted).
    /// </summary>
    internal void Acknowledge(DeliveryEnvelope<T> envelope)
    {
        var latency = Meter.AckDuration;
        if (envelope.IsTimed && latency.Enabled)
        {
            // .NET runs the listeners' measurement callbacks inside Record, on this thread: one that throws (an
            // exporter's bug) must not stop the worker or fail the dispatch, nor keep the item from being acknowledged.
            try
            {
                latency.Record(_timeProvider.GetElapsedTime(envelope.DispatchedAt).TotalSeconds, _dispatcherTag);
            }
            catch (Exception error)
            {
                DeliveryLog.AckDurationListenerFailed(Logger, Name, error);
            }
        }

        if (envelope.Ack is { } ack)
        {
            try
            {
                ack.Acknowledge();
            }
            catch (Exception error)
            {
                DeliveryLog.AckFailed(Logger, Name, error);
            }
        }
    }

    /// <summary>
    /// Stops intake, lets every sink drain its queue for up to <paramref name="drainTimeout"/>, then stops the workers:
    /// items still queued or in flight stay unacknowledged (an in-flight write sees its cancellation token cancelled; a
    /// write that still commits is acknowledged). Dispatches waiting for room fail with
    /// <see cref="InvalidOperationException"/>. Calling it again returns the first call's task; <see cref="DisposeAsync"/>
    /// ends a drain under way.
    /// </summary>
    /// <param name="drainTimeout">How long to wait for the queues to drain, on the options' <see cref="TimeProvider"/>;
    /// <see cref="TimeSpan.Zero"/> stops at once, <see cref="Timeout.InfiniteTimeSpan"/> waits for a full drain.</param>
    /// <returns>A task that completes once every worker has stopped: true if every item that was fully dispatched is
    /// acknowledged (the queue of every sink that is not best-effort drained), false if the timeout left some
    /// unacknowledged. Items a best-effort sink had not written by then were acknowledged already: they are logged as
    /// missed by that sink, not reported here.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="drainTimeout"/> is negative (other than infinite).</exception>
    public Task<bool> ShutdownAsync(TimeSpan drainTimeout)
    {
        if (drainTimeout < TimeSpan.Zero && drainTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(drainTimeout), drainTimeout, "The drain timeout must be zero or positive, or Timeout.InfiniteTimeSpan.");
        }

        if (Interlocked.Exchange(ref _shutdownStarted, 1) == 0)
        {
            _ = RunShutdownAsync(drainTimeout);
        }

        return _shutdown.Task;
    }

    private async Task RunShutdownAsync(TimeSpan drainTimeout)
    {
        try
        {
            _shutdown.TrySetResult(await ShutdownCoreAsync(drainTimeout).ConfigureAwait(false));
        }
        catch (Exception error)
        {
            _shutdown.TrySetException(error);
        }
    }

    /// <summary>Completes the queues, drains within the timeout, stops the workers; true if nothing was left.</summary>
    private async Task<bool> ShutdownCoreAsync(TimeSpan drainTimeout)
    {
        // Completing a queue rejects its parked dispatches and lets its worker drain it and then stop.
        foreach (var worker in _workers)
        {
            worker.Queue.TryComplete(null);
        }

        var workers = Task.WhenAll(Array.ConvertAll(_workers, static w => w.Completion));
        var timedOut = false;
        try
        {
            if (drainTimeout == Timeout.InfiniteTimeSpan)
            {
                await workers.WaitAsync(_endDrain.Token).ConfigureAwait(false);
            }
            else
            {
                // A timeout beyond what one timer can measure is waited out in steps, each up to what is left of it.
                var start = _timeProvider.GetTimestamp();
                var step = drainTimeout > TimerLimits.LongestWait ? TimerLimits.LongestWait : drainTimeout;
                while (true)
                {
                    try
                    {
                        await workers.WaitAsync(step, _timeProvider, _endDrain.Token).ConfigureAwait(false);
                        break;
                    }
                    catch (TimeoutException)
                    {
                        var remaining = drainTimeout - _timeProvider.GetElapsedTime(start);
                        if (remaining <= TimeSpan.Zero)
                        {
                            timedOut = true;
                            break;
                        }

                        step = remaining > TimerLimits.LongestWait ? TimerLimits.LongestWait : remaining;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_endDrain.IsCancellationRequested)
        {
            // Disposed while draining: what is left stays unacknowledged, as when the timeout ends.
            timedOut = true;
        }

        if (timedOut)
        {
            try
            {
                await _stop.CancelAsync().ConfigureAwait(false);
            }
            catch (AggregateException error)
            {
                // A sink's own cancellation callback threw; the workers still see the token cancelled.
                DeliveryLog.CancellationCallbackFailed(Logger, Name, error);
            }
        }

        await workers.ConfigureAwait(false);

        // The dispatcher has ended, though its owner may hold it still: what its queues were left holding leaves the
        // meter's depths now, not when it is collected (docs/metrics.md). Its counts stay.
        foreach (var worker in _workers)
        {
            worker.EndMetering();
        }

        // A worker that was merely slow to notice an empty, completed queue abandoned nothing: "drained" is about
        // items, not about how fast the workers exited. What a best-effort sink left was acknowledged already (it holds
        // no acknowledgement back): it is lost for that sink, not redelivered, so it is reported apart.
        var unacknowledged = 0;
        var missedByBestEffort = 0;
        foreach (var worker in _workers)
        {
            if (worker.IsBestEffort)
            {
                missedByBestEffort += worker.Abandoned;
            }
            else
            {
                unacknowledged += worker.Abandoned;
            }
        }

        if (unacknowledged > 0)
        {
            DeliveryLog.DrainTimedOut(Logger, Name, drainTimeout, unacknowledged);
        }

        if (missedByBestEffort > 0)
        {
            DeliveryLog.BestEffortNotDrained(Logger, Name, drainTimeout, missedByBestEffort);
        }

        _stop.Dispose();
        return unacknowledged == 0;
    }

    /// <summary>
    /// Disposes the dispatcher synchronously: blocks until <see cref="DisposeAsync"/> has finished. Prefer
    /// <c>await using</c>; this is for <c>using</c> and for a dependency-injection container disposed synchronously.
    /// Called from inside a sink's write or an acknowledgement a worker fires, it returns once the shutdown has started
    /// (see <see cref="DisposeAsync"/>); so it does from code either resumes synchronously on the worker's thread (the
    /// continuation of a task completed without <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>), where
    /// blocking would block the worker.
    /// </summary>
    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        if (IsWorkerCallingOutOnThisThread())
        {
            // Blocking here would block the worker this thread runs above: stop intake and the workers, as DisposeAsync
            // does, and return without waiting. (Awaiting DisposeAsync there is fine: an await does not hold the thread.)
            _ = ShutdownAsync(TimeSpan.Zero);
            _ = _endDrain.CancelAsync();
            return;
        }

        DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Shuts down without draining (<see cref="ShutdownAsync"/> with <see cref="TimeSpan.Zero"/>): queued items stay
    /// unacknowledged. A drain under way (an earlier <see cref="ShutdownAsync"/> whose timeout has not ended) ends now,
    /// as if its timeout had: in-flight writes see their cancellation token cancelled.
    /// </summary>
    /// <remarks>
    /// Called from inside a sink's write (or work it started) or an acknowledgement callback a worker fires, it cannot
    /// wait for the workers, since it runs on one of them: it stops intake and the workers, and completes without
    /// waiting; the workers stop once the calling sink's write returns (a write that still commits is acknowledged),
    /// and the task <see cref="ShutdownAsync"/> returns completes then. Awaiting that task from inside would wait for
    /// itself.
    /// </remarks>
    /// <returns>A task that completes once every worker has stopped (once the shutdown has started, from inside a worker).</returns>
    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, 1);
        var shutdown = ShutdownAsync(TimeSpan.Zero);
        await _endDrain.CancelAsync().ConfigureAwait(false);
        if (s_workerOf.Value == this)
        {
            return;
        }

        await shutdown.ConfigureAwait(false);
    }

    /// <summary>
    /// Whether the calling thread is a worker's while it calls out (a sink's write, a dead letter's, an acknowledgement):
    /// code those resume synchronously runs there in its own execution context, outside the worker's flow, yet above the
    /// worker on the thread's stack, so blocking there blocks the worker.
    /// </summary>
    private bool IsWorkerCallingOutOnThisThread()
    {
        foreach (var worker in _workers)
        {
            if (worker.IsCallingOutOnThisThread)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Marks the calling flow as one of this dispatcher's workers (set at the start of each worker's loop).</summary>
    internal void EnterWorker() => s_workerOf.Value = this;

    /// <summary>A snapshot of one sink's counters.</summary>
    /// <param name="sinkName">The sink's <see cref="IDeliverySink{T}.Name"/>.</param>
    /// <returns>The sink's counters and queue depth.</returns>
    /// <exception cref="ArgumentException">No sink has that name.</exception>
    public DeliverySinkMetrics GetSinkMetrics(string sinkName)
    {
        ArgumentNullException.ThrowIfNull(sinkName);
        foreach (var worker in _workers)
        {
            if (worker.Name == sinkName)
            {
                return worker.ReadRacy();
            }
        }

        throw new ArgumentException($"Dispatcher '{Name}' has no sink named '{sinkName}'.", nameof(sinkName));
    }

    private ObjectDisposedException CreateDisposedException() =>
        new(GetType().FullName, $"Dispatcher '{Name}' is disposed; the item was not dispatched and will not be acknowledged.");

    private InvalidOperationException CreateShutDownException(Exception? inner) =>
        new($"Dispatcher '{Name}' is shut down; the item was not dispatched to every sink and will not be acknowledged.", inner);
}
