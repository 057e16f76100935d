using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// One sink's queue and its single worker: drains the queue in order, batches opportunistically, retries transient
/// failures with capped exponential backoff, dead-letters terminal failures, and releases each item's hold on its
/// acknowledgement once the sink has committed it.
/// </summary>
/// <remarks>
/// The queue is the library's one buffer engine (<see cref="BoundedBuffer{T}"/>): <see cref="OnFull.Block"/> is a
/// <see cref="BackpressurePolicy.PauseUpstream"/> buffer the dispatch awaits; <see cref="OnFull.Drop"/> is a
/// <see cref="BackpressurePolicy.Fail"/> buffer pushed with <see cref="BoundedBuffer{T}.TryPush"/>, whose overflow
/// result tells the dispatching thread at once that the item was dropped (no eviction callback to route back).
/// Counters are written by the worker alone (except <see cref="_dropped"/>, which dispatchers share) and read racily
/// by the meter.
/// </remarks>
internal sealed partial class DeliverySinkWorker<T> : IDeliveryMetricsSource
{
    // Lives and dies with this worker; keeps its counts in the meter's series once it is gone.
    private readonly object? _meterRegistration;
    private readonly DeliveryDispatcher<T> _dispatcher;
    private readonly IDeliverySink<T> _sink;
    private readonly IBatchDeliverySink<T>? _batchSink;
    private readonly DeliverySinkSettings _settings;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationToken _stop;
    private readonly List<DeliveryEnvelope<T>> _batch;
    private readonly List<T>? _items;

    private long _delivered;
    private long _dropped;
    private long _retries;
    private long _deadLettered;
    private long _discarded;
    private long _acknowledged;

    // The thread running one of this worker's calls into user code (a sink's write, a dead letter's, an acknowledgement).
    // Code such a call resumes synchronously (the continuation of a task completed without RunContinuationsAsynchronously)
    // runs in its awaiter's execution context, where the dispatcher's worker marker is not set, yet on this thread, above
    // the worker on its stack: a synchronous disposal there must not block. Only the synchronous part of a sink's write is
    // covered: after its first await, the write runs on another thread, where nothing can tell its inline continuations
    // from any other code.
    private CallOutThread _callingOut;

    public DeliverySinkWorker(DeliveryDispatcher<T> dispatcher, IDeliverySink<T> sink, DeliverySinkSettings settings, TimeProvider timeProvider, CancellationToken stop)
    {
        _dispatcher = dispatcher;
        _sink = sink;
        _batchSink = sink as IBatchDeliverySink<T>;
        _settings = settings;
        _timeProvider = timeProvider;
        _stop = stop;
        Name = sink.Name;
        IsDrop = settings.OnFull == OnFull.Drop;
        IsBestEffort = settings.BestEffort;
        // MaxBatch and QueueCapacity are bounds, not sizes (int.MaxValue means "whatever is queued"): the lists start
        // at what one batch usually holds and grow, once, to the largest batch the worker ever takes.
        var batchCapacity = Math.Min(Math.Min(settings.MaxBatch, settings.QueueCapacity), BoundedBuffer<DeliveryEnvelope<T>>.BatchReadChunk);
        _batch = new List<DeliveryEnvelope<T>>(batchCapacity);
        _items = _batchSink is null ? null : new List<T>(batchCapacity);
        Queue = new LockedBuffer<DeliveryEnvelope<T>>(
            new BoundedStreamOptions<DeliveryEnvelope<T>>(IsDrop ? BackpressurePolicy.Fail : BackpressurePolicy.PauseUpstream, settings.QueueCapacity)
            {
                Name = _destination = $"{dispatcher.Name}/{sink.Name}",

                // After Name, which clears it: a queue named after a generated dispatcher name is unnamed too.
                EndedSeriesName = dispatcher.NameIsGenerated ? $"{DefaultNames.EndedDispatchers}/{sink.Name}" : null,
                TimeProvider = timeProvider,
                MeterFactory = dispatcher.MeterFactory,
            });
        _meterRegistration = Telemetry.Enabled
            ? DeliveryMeter.Register(dispatcher.Meter, this, dispatcher.Name, Name, dispatcher.NameIsGenerated ? DefaultNames.EndedDispatchers : null)
            : null;
    }

    private enum Outcome
    {
        Committed,
        Retry,
        Failed,
        Stopped,
    }

    public string Name { get; }

    public bool IsDrop { get; }

    public bool IsBestEffort { get; }

    public BoundedBuffer<DeliveryEnvelope<T>> Queue { get; }

    /// <summary>Tells the meter that this worker has stopped for good: its queue's depth leaves both of its series.</summary>
    public void EndMetering()
    {
        Queue.EndMetering();
        (_meterRegistration as MeterSeries.Registration)?.End();
    }

    /// <summary>How many acknowledgements this worker fired (it released the last hold).</summary>
    public long Acknowledged => Volatile.Read(ref _acknowledged);

    /// <summary>
    /// How many items the worker left unsettled (still queued, or taken but not committed) because the dispatcher
    /// stopped it; meaningful once <see cref="Completion"/> is done.
    /// </summary>
    public int Abandoned { get; private set; }

    /// <summary>The worker loop; never faults. Set by <see cref="Start"/>.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Starts the loop, without the creator's execution context (its AsyncLocals would hold here for life).</summary>
    public void Start() => Completion = CleanContext.Run(RunAsync);

    /// <summary>Whether the calling thread is inside one of this worker's calls into user code.</summary>
    public bool IsCallingOutOnThisThread => _callingOut.IsCurrentThread;

    /// <summary>Counts an item dropped by a dispatch under <see cref="OnFull.Drop"/>; dispatchers may race here.</summary>
    public void CountDropped() => Interlocked.Increment(ref _dropped);

    public DeliverySinkMetrics ReadRacy() => new(
        Name,
        Volatile.Read(ref _delivered),
        Volatile.Read(ref _dropped),
        Volatile.Read(ref _retries),
        Volatile.Read(ref _deadLettered),
        Volatile.Read(ref _discarded),
        Queue.Depth);

    private async Task RunAsync()
    {
        // The loop's spans have explicit parents (each item's dispatch); none inherits whatever span created the dispatcher.
        Activity.Current = null;
        _dispatcher.EnterWorker();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                if (Queue.TryReadBatch(_batch, _settings.MaxBatch) == 0)
                {
                    // Uncancellable on purpose: it uses the buffer's pooled waiter, and shutdown completes the queue,
                    // which wakes this wait, before it ever cancels the stop token.
                    if (!await Queue.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
                    {
                        return;
                    }

                    continue;
                }

                if (_batch.Count < _settings.MaxBatch && _settings.BatchFlush > TimeSpan.Zero)
                {
                    await FillBatchAsync().ConfigureAwait(false);
                }

                var settled = await DeliverBatchAsync().ConfigureAwait(false);
                _batch.Clear();
                _items?.Clear();
                if (settled < 0)
                {
                    // Stopped mid-batch: the unsettled items were never committed and stay unacknowledged.
                    Abandoned = -settled;
                    break;
                }
            }

            Abandoned += Queue.Depth;
        }
        catch (Exception error)
        {
            // Sink, classifier, dead-letter and acknowledgement failures are all handled where they happen; this is a
            // bug guard so the worker's task never faults and shutdown can always finish (and reports items left).
            Abandoned += Math.Max(1, _batch.Count + Queue.Depth);
            DeliveryLog.WorkerFailed(_dispatcher.Logger, _dispatcher.Name, Name, error);
        }
    }

    /// <summary>Holds a partial batch until it is full, the queue is completed, or <c>BatchFlush</c> has passed.</summary>
    private async ValueTask FillBatchAsync()
    {
        using var flush = new CancellationTokenSource(_settings.BatchFlush, _timeProvider);
        try
        {
            while (_batch.Count < _settings.MaxBatch)
            {
                if (Queue.TryReadBatch(_batch, _settings.MaxBatch - _batch.Count) > 0)
                {
                    continue;
                }

                if (!await Queue.WaitToReadAsync(flush.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (flush.IsCancellationRequested)
        {
            // The flush timer fired: write what we have.
        }
    }

    /// <summary>Delivers the batch; returns 0 once every item is settled, or minus the number left unsettled by a stop.</summary>
    private async ValueTask<int> DeliverBatchAsync()
    {
        if (_batchSink is not null)
        {
            foreach (var envelope in _batch)
            {
                _items!.Add(envelope.Item);
            }

            _span = StreamTracing.IsActive ? StartWrite(-1) : null;
            try
            {
                var (outcome, attempts, error) = await RunWithRetriesAsync(Invoke(-1), -1).ConfigureAwait(false);
                MarkOutcome(outcome, error);
                return await SettleAsync(outcome, 0, _batch.Count, attempts, error).ConfigureAwait(false);
            }
            finally
            {
                EndWrite();
            }
        }

        for (var i = 0; i < _batch.Count; i++)
        {
            if (_stop.IsCancellationRequested)
            {
                return i - _batch.Count;
            }

            _span = StreamTracing.IsActive ? StartWrite(i) : null;
            var pending = Invoke(i);
            if (pending.IsCompletedSuccessfully)
            {
                // The common case, a sink that completes synchronously: no state machine, no retry bookkeeping.
                pending.GetAwaiter().GetResult();
                _delivered++;
                Commit(_batch[i]);
                EndWrite();
                continue;
            }

            int left;
            try
            {
                var (outcome, attempts, error) = await RunWithRetriesAsync(pending, i).ConfigureAwait(false);
                MarkOutcome(outcome, error);
                left = await SettleAsync(outcome, i, 1, attempts, error).ConfigureAwait(false);
            }
            finally
            {
                EndWrite();
            }

            if (left < 0)
            {
                return left - (_batch.Count - i - 1);
            }
        }

        return 0;
    }

    /// <summary>Starts one attempt: the whole batch (<paramref name="index"/> -1) or one item; a synchronous throw becomes a faulted task.</summary>
    private ValueTask Invoke(int index)
    {
        _callingOut.Enter();
        try
        {
            return index < 0 ? _batchSink!.WriteBatchAsync(_items!, _stop) : _sink.WriteAsync(_batch[index].Item, _stop);
        }
        catch (Exception error)
        {
            return ValueTask.FromException(error);
        }
        finally
        {
            _callingOut.Exit();
        }
    }

    /// <summary>Starts one attempt at a dead letter; a synchronous throw becomes a faulted task.</summary>
    private ValueTask InvokeDeadLetter(IDeliverySink<DeadLetter<T>> sink, DeadLetter<T> letter)
    {
        _callingOut.Enter();
        try
        {
            return sink.WriteAsync(letter, _stop);
        }
        catch (Exception error)
        {
            return ValueTask.FromException(error);
        }
        finally
        {
            _callingOut.Exit();
        }
    }

    /// <summary>Awaits an attempt and retries transient failures with capped exponential backoff until it commits,
    /// fails terminally, or the dispatcher stops.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(Outcome Outcome, int Attempts, Exception? Error)> RunWithRetriesAsync(ValueTask pending, int index)
    {
        var attempts = 1;
        while (true)
        {
            Exception error;
            if (pending.IsFaulted)
            {
                // A sink that reports failure as a faulted task (ValueTask.FromException, or a completed async method)
                // is read without rethrowing: a poison stream of permanent failures costs no second throw per item.
                error = pending.AsTask().Exception!.InnerException!;
            }
            else
            {
                try
                {
                    await pending.ConfigureAwait(false);
                    return (Outcome.Committed, attempts, null);
                }
                catch (Exception caught)
                {
                    error = caught;
                }
            }

            var outcome = TerminalOutcome(attempts, error);
            if (outcome is null)
            {
                // A retry of a write to this sink: the one thing the sink's Retries counter counts.
                _retries++;
                RecordRetry(_span, attempts, error);
                outcome = await BackoffAsync(attempts).ConfigureAwait(false);
            }

            if (outcome != Outcome.Retry)
            {
                return (outcome.Value, attempts, error);
            }

            attempts++;
            pending = Invoke(index);
        }
    }

    /// <summary>
    /// After failed attempt number <paramref name="attempts"/>: Stopped if the dispatcher stopped, Failed if the error is
    /// terminal (permanent, or out of retries), null if the attempt is to be retried.
    /// </summary>
    private Outcome? TerminalOutcome(int attempts, Exception error) =>
        _stop.IsCancellationRequested ? Outcome.Stopped
        : attempts > _settings.MaxRetries || IsPermanent(error) ? Outcome.Failed
        : null;

    /// <summary>Waits out the backoff before retry number <paramref name="attempts"/>: Retry, or Stopped if the dispatcher stopped meanwhile.</summary>
    private async ValueTask<Outcome> BackoffAsync(int attempts)
    {
        var delay = Backoff.Compute(attempts, _settings.BackoffBase, _settings.MaxBackoff, _settings.BackoffJitter ? Random.Shared.NextDouble() : null);
        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, _timeProvider, _stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return Outcome.Stopped;
            }
        }

        return Outcome.Retry;
    }

    private bool IsPermanent(Exception error) =>
        error is PermanentDeliveryException || (_settings.IsTransient is { } isTransient && !IsTransientSafe(isTransient, error));

    private static bool IsTransientSafe(Func<Exception, bool> isTransient, Exception error)
    {
        try
        {
            return isTransient(error);
        }
        catch (Exception)
        {
            // A classifier that cannot decide must not stall the pipeline: treat the failure as permanent.
            return false;
        }
    }

    /// <summary>
    /// Settles <paramref name="count"/> items from <paramref name="start"/> after their attempts: committed, dead-lettered
    /// (or discarded), or left unacknowledged when stopped. Returns 0, or minus the number left unsettled by a stop.
    /// </summary>
    private async ValueTask<int> SettleAsync(Outcome outcome, int start, int count, int attempts, Exception? error)
    {
        switch (outcome)
        {
            case Outcome.Committed:
                // Counted before the acknowledgements fire: whoever an acknowledgement wakes sees the item counted.
                _delivered += count;
                for (var i = start; i < start + count; i++)
                {
                    Commit(_batch[i]);
                }

                return 0;

            case Outcome.Stopped:
                return -count;
        }

        var deadLetterSink = _dispatcher.DeadLetterSink;
        if (deadLetterSink is null)
        {
            RecordDiscarded(count);
            DeliveryLog.Discarded(_dispatcher.Logger, _dispatcher.Name, Name, count, attempts, error!);
            _discarded += count;
            for (var i = start; i < start + count; i++)
            {
                Commit(_batch[i]);
            }

            return 0;
        }

        // Read once: the items of a failed batch failed together, whatever time their dead letters' own retries take.
        var failedAt = _timeProvider.GetUtcNow();
        for (var i = start; i < start + count; i++)
        {
            if (_stop.IsCancellationRequested)
            {
                return i - (start + count);
            }

            var letter = new DeadLetter<T>(_batch[i].Item, Name, attempts, error!, failedAt);
            var deadLetterSpan = StreamTracing.IsActive ? StartDeadLetter(error!) : null;
            var (letterOutcome, letterAttempts, letterError) = await WriteDeadLetterAsync(deadLetterSink, letter, deadLetterSpan).ConfigureAwait(false);
            EndDeadLetter(deadLetterSpan, letterOutcome, letterError);
            if (letterOutcome == Outcome.Stopped)
            {
                return i - (start + count);
            }

            if (letterOutcome == Outcome.Committed)
            {
                _deadLettered++;
            }
            else
            {
                // Holding the acknowledgement forever would stall the source's checkpoint for good; the loss is
                // logged at Critical and counted instead.
                DeliveryLog.DeadLetterFailed(_dispatcher.Logger, _dispatcher.Name, Name, letterAttempts, letterError!);
                _discarded++;
            }

            Commit(_batch[i]);
        }

        return 0;
    }

    /// <summary>
    /// Writes a dead letter, retrying it with this sink's retry count and backoff. Its retries are not this sink's: they
    /// show as <c>retry</c> events on the dead letter's span (<paramref name="span"/>) and in the attempts of the log line
    /// of a dead letter that still failed, never in the sink's <c>Retries</c> counter. Nor is its failure the sink's to
    /// classify: <c>IsTransient</c> judges the sink's exceptions (and may be written for their types only), so only a
    /// <see cref="PermanentDeliveryException"/> ends a dead letter's retries early.
    /// </summary>
    private async ValueTask<(Outcome Outcome, int Attempts, Exception? Error)> WriteDeadLetterAsync(IDeliverySink<DeadLetter<T>> sink, DeadLetter<T> letter, Activity? span)
    {
        var attempts = 1;
        while (true)
        {
            Exception error;
            try
            {
                await InvokeDeadLetter(sink, letter).ConfigureAwait(false);
                return (Outcome.Committed, attempts, null);
            }
            catch (Exception caught)
            {
                error = caught;
            }

            Outcome? outcome = _stop.IsCancellationRequested ? Outcome.Stopped
                : attempts > _settings.MaxRetries || error is PermanentDeliveryException ? Outcome.Failed
                : null;
            if (outcome is null)
            {
                RecordRetry(span, attempts, error);
                outcome = await BackoffAsync(attempts).ConfigureAwait(false);
            }

            if (outcome != Outcome.Retry)
            {
                return (outcome.Value, attempts, error);
            }

            attempts++;
        }
    }

    /// <summary>This sink has committed the item: release its hold, unless it is best-effort and holds none.</summary>
    private void Commit(DeliveryEnvelope<T> envelope)
    {
        if (!IsBestEffort && envelope.Release())
        {
            // Counted first, as the sink's own counters are: code the acknowledgement wakes reads a count that includes it.
            Volatile.Write(ref _acknowledged, _acknowledged + 1);
            _callingOut.Enter();
            try
            {
                _dispatcher.Acknowledge(envelope);
            }
            finally
            {
                _callingOut.Exit();
            }
        }
    }
}
