using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Reactive.Streams.Internal;

/// <summary>
/// The engine's lock-free mode (<see cref="BufferMode.SingleLane"/>, on a <see cref="SingleProducerLane{T}"/>): the same
/// decisions and counters as the other modes, for one producer and one consumer at a time. The Rx policy operators and
/// <c>SubscribeAsync</c> use it always (the Rx grammar gives them one producer), streams and channels when their options
/// promise a single writer and a single reader. It has no PauseUpstream timeout (the factory falls back to the shared
/// mode for one), and no lock at all.
/// </summary>
/// <remarks>
/// Waiting without a lock: at most one reader and one writer can be parked (there is one of each). Each parks by
/// publishing its waiter in a slot with a full fence and then looking again; the other side, after it changed the
/// buffer, takes the waiter out of the slot with an atomic exchange and completes it. Whoever takes a waiter out of its
/// slot (the other side, completion, or its own cancellation) completes it, exactly once. The reader's slot is the lane's
/// read signal (<see cref="LaneReadWaiter"/>), so the producer's per-push check is the one it already makes for the
/// operators. Every claim (a read's, an eviction's) is checked by the lane in DEBUG builds.
/// </remarks>
internal sealed class SingleLaneBuffer<T> : BoundedBuffer<T>
{
    private readonly SingleProducerLane<T> _lane;

    // A writer parked for room (PushAsync or WaitToPushAsync under PauseUpstream or Fail); taken by the reader that makes room.
    private AsyncWaiter<T>? _roomWaiter;

    // The slot of the reader parked in WaitToReadAsync, armed as the lane's read signal; created on the first wait.
    private LaneReadWaiter? _readWaiter;

    public SingleLaneBuffer(BoundedStreamOptions<T> options)
        : base(options)
    {
        Debug.Assert(Policy != BackpressurePolicy.PauseUpstream || PauseTimeout is null, "The lock-free mode has no timed waits; the factory picks the shared mode for them.");
        _lane = new SingleProducerLane<T>(Capacity);
        RegisterWithMeter();
    }

    public override int Depth => _lane.Depth;

    internal override BufferMode Mode => BufferMode.SingleLane;

    private protected override void CountRejection(PushAction rejection) => _lane.CountRejection(rejection);

    // The degrader runs on the one producer, which owns the lane's producer counters.
    private protected override void CountDegraderFailure() => _lane.CountRejected(overflow: false);

    // ---- Writing --------------------------------------------------------------------------------------------------

    /// <summary>
    /// The decision, acted on by the one producer against the lane. Evicting claims the oldest item the way a read does,
    /// so a consumer that took items meanwhile turns the eviction into a plain enqueue, as the locked mode's re-decision
    /// does.
    /// </summary>
    public override PushResult TryPush(T item)
    {
        switch (Decide(_lane.HasRoom(), canWait: false))
        {
            case PushAction.Enqueue:
                _lane.Enqueue(item);
                return PushResult.Enqueued;

            case PushAction.EvictOldest:
                return ReplaceOldest(item, item, degrade: false);

            case PushAction.Degrade:
                if (!TryDegrade(item, out var degraded, out var failed))
                {
                    return failed;
                }

                // The degrader is foreign code: it may have ended writing (a degrader that disposes its subscription).
                // The push then comes after the completion and is rejected as closed, as the other modes' decision
                // taken again after the degrader rejects it, rather than evicting a buffered item after the end.
                return IsCompleted ? RejectLocked(PushAction.RejectClosed) : ReplaceOldest(item, degraded, degrade: true);

            case var rejection:
                // PauseUpstream answers Full: the lane never parks a writer with its item (it has no PauseUpstream
                // timeout), so the caller waits for room and retries.
                return RejectLocked(rejection);
        }
    }

    /// <summary>Evicts the oldest item and enqueues <paramref name="replacement"/> in its place (DropOldest, DegradeQuality).</summary>
    private PushResult ReplaceOldest(T original, T replacement, bool degrade)
    {
        if (!_lane.TryEvictOldest(out var evicted))
        {
            // The consumer made room meanwhile (while the degrader ran, say): no overflow any more, so the original goes in.
            _lane.Enqueue(original);
            return PushResult.Enqueued;
        }

        _lane.CountEvicted(degrade);
        _lane.Enqueue(replacement);
        _onDropped?.Invoke(evicted);
        return new PushResult(degrade ? PushStatus.Degraded : PushStatus.DroppedOldest);
    }

    private protected override ValueTask PushAsync(T item, CancellationToken cancellationToken, bool blocking)
    {
        var result = TryPush(item);
        if (result.Status == PushStatus.Full)
        {
            return PushWhenRoom(item, cancellationToken, blocking);
        }

        return result.IsAccepted ? default : ValueTask.FromException(CreateException(result));
    }

    /// <summary>
    /// PauseUpstream with a full buffer: wait for a read to make room, then push again; one pause counted. The lane has
    /// one producer, so only it may push: a read wakes it to retry rather than moving its item in. A blocking caller
    /// waits right here (the method then never suspends and returns a completed task).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask PushWhenRoom(T item, CancellationToken cancellationToken, bool blocking)
    {
        _lane.CountPauseBlock();
        while (true)
        {
            try
            {
                var room = WaitForRoom(cancellationToken, blocking);
                if (blocking)
                {
                    BlockingWait.Wait(room);
                }
                else
                {
                    await room.ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // As in the other modes, a cancelled wait rejects the item, and the rejection is counted.
                _lane.CountRejected(overflow: false);
                throw;
            }

            var result = TryPush(item);
            if (result.Status != PushStatus.Full)
            {
                if (!result.IsAccepted)
                {
                    throw CreateException(result);
                }

                return;
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private protected override async ValueTask<bool> WaitToPushCoreAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Volatile.Read(ref _doneWriting) is { } done)
            {
                return done == s_completedNormally ? false : throw done;
            }

            if (!PushDecision.NeedsRoom(Policy, _degrader is not null) || _lane.HasRoom())
            {
                return true;
            }

            await WaitForRoom(cancellationToken, blocking: false).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Parks the writer until a read makes room, writing ends, or <paramref name="cancellationToken"/> fires (then the
    /// task faults with <see cref="OperationCanceledException"/>). May complete with nothing changed; callers re-check.
    /// </summary>
    private ValueTask<bool> WaitForRoom(CancellationToken cancellationToken, bool blocking)
    {
        var waiter = (cancellationToken.CanBeCanceled ? null : Interlocked.Exchange(ref _writerSingleton, null))
            ?? new AsyncWaiter<T>(this, WaiterKind.Writer, pooled: false);
        if (blocking)
        {
            waiter.ContinueInline();
        }

        waiter.Arm(cancellationToken, timeout: null, _timeProvider);

        // Full fence, then the look: either this sees the room a read made, or that read (whose claim is a full fence
        // before it looks at the slot) sees this waiter.
        Interlocked.Exchange(ref _roomWaiter, waiter);
        if ((_lane.HasRoom() || IsCompleted || waiter.Fired != 0) &&
            Interlocked.CompareExchange(ref _roomWaiter, null, waiter) == waiter)
        {
            CompleteWaiter(waiter);
        }

        return waiter.AsValueTaskOfBool();
    }

    // ---- Reading --------------------------------------------------------------------------------------------------

    /// <summary>A claim without a lock.</summary>
    public override bool TryRead([MaybeNullWhen(false)] out T item)
    {
        Unsafe.SkipInit(out item);
        if (_lane.TryReadMany(new Span<T>(ref item)) == 0)
        {
            item = default;
            if (IsCompleted && _lane.IsEmpty)
            {
                CompleteCompletionTask();
            }

            return false;
        }

        AfterRead();
        return true;
    }

    internal override int TryReadMany(Span<T> destination)
    {
        var read = _lane.TryReadMany(destination);
        AfterRead();
        return read;
    }

    /// <summary>After a read: wakes a writer parked for room, ends a drained buffer.</summary>
    private void AfterRead()
    {
        if (Volatile.Read(ref _roomWaiter) is not null && Interlocked.Exchange(ref _roomWaiter, null) is { } writer)
        {
            writer.SetResult(true);
        }

        if (IsCompleted && _lane.IsEmpty)
        {
            CompleteCompletionTask();
        }
    }

    /// <summary>The lane's peek is checked against its head, so an eviction meanwhile is seen.</summary>
    public override bool TryPeek([MaybeNullWhen(false)] out T item) => _lane.TryPeek(out item);

    private protected override ValueTask<bool> WaitToReadCoreAsync(CancellationToken cancellationToken)
    {
        if (!_lane.IsEmpty)
        {
            return new ValueTask<bool>(true);
        }

        if (IsCompleted)
        {
            // Completion comes after the last push, so an empty look after seeing it is final.
            return _lane.IsEmpty ? EndOfReading() : new ValueTask<bool>(true);
        }

        var slot = _readWaiter ??= new LaneReadWaiter(this);
        if (Volatile.Read(ref slot.Waiter) is not null)
        {
            throw SecondReader();
        }

        var waiter = (cancellationToken.CanBeCanceled ? null : Interlocked.Exchange(ref _readerSingleton, null))
            ?? new AsyncWaiter<T>(this, WaiterKind.Reader, pooled: false);
        waiter.Arm(cancellationToken, timeout: null, _timeProvider);
        if (Interlocked.CompareExchange(ref slot.Waiter, waiter, null) is not null)
        {
            waiter.SetResult(false);
            throw SecondReader();
        }

        // Arming fences, then looks again (SingleProducerLane.ArmReadSignal). Armed: the next push or the
        // completion fires the slot. Not armed: an item or the completion is already there; answer now, unless a
        // firing already took the waiter.
        bool armed;
        try
        {
            armed = _lane.ArmReadSignal(slot, this);
        }
        catch (InvalidOperationException)
        {
            // A second reader (another surface's signal is armed): leave the slot as it was.
            Interlocked.CompareExchange(ref slot.Waiter, null, waiter);
            throw;
        }

        if ((!armed || waiter.Fired != 0) &&
            Interlocked.CompareExchange(ref slot.Waiter, null, waiter) == waiter)
        {
            _lane.DisarmReadSignal(slot);
            CompleteReader(waiter);
        }

        return waiter.AsValueTaskOfBool();
    }

    // Caught on a best-effort basis: reads that overlap without waiting are not detected.
    internal InvalidOperationException SecondReader() => new(
        $"Stream '{Name}' runs the engine's lock-free mode, which serves a single reader, and a second reader is waiting on it.");

    /// <summary>Completes a parked reader with what there is to say: an item (true), the end (false or the error).</summary>
    private void CompleteReader(AsyncWaiter<T> waiter)
    {
        if (waiter.Fired != 0)
        {
            waiter.SetException(new OperationCanceledException(waiter.CancellationToken));
        }
        else if (!_lane.IsEmpty || !IsCompleted)
        {
            // An item, or a wake-up with nothing (WakeReaders): a reader re-checks either way.
            waiter.SetResult(true);
        }
        else if (CompletionError is { } error)
        {
            CompleteCompletionTask();
            waiter.SetException(error);
        }
        else
        {
            CompleteCompletionTask();
            waiter.SetResult(false);
        }
    }

    /// <summary>
    /// What a reader that found the buffer completed and drained learns, once <see cref="BoundedBuffer{T}.Completion"/> is
    /// complete, as in the locked modes: <see cref="TryComplete"/> makes the completion visible before it completes the
    /// task, so a reader told "no more" in between completes it first and never sees <c>Completion</c> still running.
    /// </summary>
    private ValueTask<bool> EndOfReading()
    {
        CompleteCompletionTask();
        return DoneReading();
    }

    private static void CompleteWaiter(AsyncWaiter<T> waiter)
    {
        if (waiter.Fired != 0)
        {
            waiter.SetException(new OperationCanceledException(waiter.CancellationToken));
        }
        else
        {
            waiter.SetResult(true);
        }
    }

    internal override void WakeReaders()
    {
        if (_readWaiter is { } slot && Interlocked.Exchange(ref slot.Waiter, null) is { } waiter)
        {
            _lane.DisarmReadSignal(slot);
            waiter.SetResult(true);
        }
    }

    internal override bool ArmReadSignal(ReadSignal signal) => !IsCompleted && _lane.ArmReadSignal(signal, this);

    internal override bool DisarmReadSignal(ReadSignal signal) => _lane.DisarmReadSignal(signal);

    // ---- Completion and waiters -----------------------------------------------------------------------------------

    /// <summary>Ends writing; no reader or writer is ever parked in a list here, only in the two slots.</summary>
    public override bool TryComplete(Exception? error)
    {
        if (Interlocked.CompareExchange(ref _doneWriting, error ?? s_completedNormally, null) is not null)
        {
            return false;
        }

        // The exchange above is a full fence, and so is the consumer's claim: either this sees the last read empty the
        // buffer, or that read sees the completion (TryReadMany completes the task then).
        if (_lane.IsEmpty)
        {
            CompleteCompletionTask();
        }

        _lane.TakeSignal()?.OnReadable();

        // A parked writer retries and finds the buffer closed (its push is rejected and counted, as in the other modes).
        if (Interlocked.Exchange(ref _roomWaiter, null) is { } writer)
        {
            writer.SetResult(true);
        }

        return true;
    }

    /// <summary>A parked waiter's cancellation fired: complete it if it is still in its slot (else its taker does).</summary>
    internal override void OnWaiterFired(AsyncWaiter<T> waiter)
    {
        if (waiter.Kind == WaiterKind.Reader)
        {
            if (_readWaiter is { } slot && Interlocked.CompareExchange(ref slot.Waiter, null, waiter) == waiter)
            {
                _lane.DisarmReadSignal(slot);
                waiter.SetException(new OperationCanceledException(waiter.CancellationToken));
            }
        }
        else if (Interlocked.CompareExchange(ref _roomWaiter, null, waiter) == waiter)
        {
            waiter.SetException(new OperationCanceledException(waiter.CancellationToken));
        }
    }

    // ---- Metrics --------------------------------------------------------------------------------------------------

    public override StreamMetricsSnapshot GetMetrics() => _lane.ReadCounters();

    private protected override StreamMetricsSnapshot ReadCountersRacy() => _lane.ReadCounters();

    /// <summary>
    /// The reader's slot, armed as the lane's read signal: fired by the push that makes the buffer non-empty, or by the
    /// completion, on the firing thread; it completes the parked reader, whose continuation runs asynchronously.
    /// </summary>
    private sealed class LaneReadWaiter(SingleLaneBuffer<T> owner) : ReadSignal
    {
        /// <summary>The parked reader; whoever exchanges it out completes it.</summary>
        public AsyncWaiter<T>? Waiter;

        protected internal override void OnReadable()
        {
            if (Interlocked.Exchange(ref Waiter, null) is { } waiter)
            {
                owner.CompleteReader(waiter);
            }
        }
    }
}
