using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Reactive.Streams.Internal;

/// <summary>
/// The engine's locked mode (<see cref="BufferMode.Locked"/>): one lock around every operation, BoundedChannel's shape,
/// with a ring that grows on demand. The Dataflow block (the only mode with position-checked reads, <see cref="TryPeekHead"/>
/// and <see cref="TryReadMany(Span{T}, long)"/>, and with the look-ahead <see cref="Admit"/>), the delivery queues, the
/// lossy canal, and the lane modes' fallback for capacities above <see cref="SingleProducerLane{T}.MaxCapacity"/>.
/// </summary>
/// <remarks>
/// Counters are plain fields written under the lock, so <c>pushed = delivered + evicted + failed + depth</c> holds at
/// every moment the lock is free, and every locked region checks it (DEBUG) on entry and exit.
/// </remarks>
internal sealed class LockedBuffer<T> : WaitListBuffer<T>
{
    // Returned by PushCore when the decision needs work that must not run under the lock: the degrader, or arming a
    // writer's cancellation and timeout before it parks.
    private const PushStatus DegradeOutsideLock = (PushStatus)(-1);
    private const PushStatus ParkOutsideLock = (PushStatus)(-2);

    private readonly RingBuffer<T> _items;

    private long _pushed;
    private long _delivered;
    private long _dropOldestHits;
    private long _degradeHits;
    private long _pauseBlocks;
    private long _failOverflows;
    private long _rejected;

    public LockedBuffer(BoundedStreamOptions<T> options)
        : base(options, readersSkipLock: false)
    {
        _items = new RingBuffer<T>(Capacity);
        RegisterWithMeter();
    }

    public override int Depth => _items.Count;

    internal override BufferMode Mode => BufferMode.Locked;

    private protected override bool HasRoomLocked => _items.Count < Capacity;

    private protected override bool HasItemsLocked => _items.Count > 0;

    private protected override void CountRejectedLocked()
    {
        _pushed++;
        _rejected++;
    }

    private protected override void CountHandedToTakerLocked()
    {
        _pushed++;
        _delivered++;
    }

    private protected override void CountRejection(PushAction rejection)
    {
        _pushed++;
        switch (rejection)
        {
            case PushAction.RejectOverflow:
                _failOverflows++;
                break;
            case PushAction.RejectTimedOut:
                _pauseBlocks++;
                _rejected++;
                break;
            default:
                _rejected++;
                break;
        }
    }

    // ---- Writing --------------------------------------------------------------------------------------------------

    public override PushResult TryPush(T item) => TryPush(item, countOverflow: true);

    /// <summary>
    /// <see cref="TryPush(T)"/>; without <paramref name="countOverflow"/> a Fail overflow is answered but not counted: the
    /// Dataflow block's offer from a source, which keeps the message and may offer it again (see <see cref="Admit"/>).
    /// </summary>
    internal PushResult TryPush(T item, bool countOverflow)
    {
        if (_degrader is not null && ShouldDegradeEagerly(_items.Count))
        {
            return PushDegraded(item);
        }

        var result = PushCore(item, allowWait: false, canParkPooled: false, blocking: false, out _, countOverflow);
        return result.Status == DegradeOutsideLock ? PushDegraded(item) : result;
    }

    private protected override ValueTask PushAsync(T item, CancellationToken cancellationToken, bool blocking)
    {
        if (_degrader is not null && ShouldDegradeEagerly(_items.Count))
        {
            var degraded = PushDegraded(item);
            return degraded.IsAccepted ? default : ValueTask.FromException(CreateException(degraded));
        }

        var result = PushCore(item, allowWait: true, canParkPooled: !cancellationToken.CanBeCanceled && _pauseTimeout is null, blocking, out var parked, countOverflow: true);
        if (parked is not null)
        {
            return parked.AsValueTask();
        }

        if (result.Status == ParkOutsideLock)
        {
            return ParkWriter(item, cancellationToken, blocking).AsValueTask();
        }

        if (result.Status == DegradeOutsideLock)
        {
            result = PushDegraded(item);
        }

        return result.IsAccepted ? default : ValueTask.FromException(CreateException(result));
    }

    /// <summary>
    /// Acts on the decision for every push path. Under the lock it enqueues, evicts, rejects, or parks a writer on the
    /// pooled waiter; anything that needs foreign code (the degrader, arming a cancellation or timeout) is returned as
    /// <see cref="DegradeOutsideLock"/> or <see cref="ParkOutsideLock"/>, to be finished outside the lock.
    /// </summary>
    private PushResult PushCore(T item, bool allowWait, bool canParkPooled, bool blocking, out AsyncWaiter<T>? parked, bool countOverflow, bool untimed = false)
    {
        parked = null;
        AsyncWaiter<T>? readers;
        object? signals;
        AsyncWaiter<T>? taker;
        T evicted;
        using (EnterLocked())
        {
            switch (Decide(_items.Count < Capacity, allowWait))
            {
                case PushAction.Enqueue:
                    EnqueueLocked(item, out readers, out signals, out taker);
                    goto Enqueued;

                case PushAction.EvictOldest:
                    _pushed++;
                    _dropOldestHits++;
                    evicted = _items.ReplaceOldest(item);
                    goto Evicted;

                case PushAction.Degrade:
                    return new PushResult(DegradeOutsideLock);

                case PushAction.Wait:
                    if (!canParkPooled)
                    {
                        return new PushResult(ParkOutsideLock);
                    }

                    // No cancellation and no timeout: park on the pooled waiter right here.
                    var waiter = Interlocked.Exchange(ref _writerSingleton, null) ?? new AsyncWaiter<T>(this, WaiterKind.Writer, pooled: false);
                    waiter.Item = item;
                    if (blocking)
                    {
                        waiter.ContinueInline();
                    }

                    AppendWriter(waiter);
                    _pauseBlocks++;
                    parked = waiter;
                    return default;

                case PushAction.RejectOverflow when !countOverflow:
                    return new PushResult(PushStatus.Overflow);

                case PushAction.RejectTimedOut when untimed:
                    goto case PushAction.Wait;

                case var rejection:
                    return RejectLocked(rejection);
            }
        }

    Enqueued:
        taker?.SetResult(true);
        WakeReadersAndSignals(readers, signals);
        return PushResult.Enqueued;

    Evicted:
        _onDropped?.Invoke(evicted);
        return new PushResult(PushStatus.DroppedOldest);
    }

    /// <summary>
    /// Pushes an item the Dataflow block has already taken from its source (the offer was accepted), waiting for room
    /// under PauseUpstream however long that takes: the options' timeout bounds how long an offer waits, and this item
    /// is no offer any more (no cancellation either). Parks on the pooled waiter; a completion rejects it as any
    /// parked writer (counted).
    /// </summary>
    internal ValueTask PushAcceptedAsync(T item)
    {
        var result = PushCore(item, allowWait: true, canParkPooled: true, blocking: false, out var parked, countOverflow: true, untimed: true);
        if (parked is not null)
        {
            return parked.AsValueTask();
        }

        if (result.Status == DegradeOutsideLock)
        {
            result = PushDegraded(item);
        }

        return result.IsAccepted ? default : ValueTask.FromException(CreateException(result));
    }

    /// <summary>
    /// Under the lock: hands a pushed item to the oldest parked ReadAsync (<paramref name="taker"/>, which the caller
    /// completes with true once the lock is released) if there is one; else stores it and detaches the parked readers
    /// and armed read signals, which the caller wakes once the lock is released.
    /// </summary>
    private void EnqueueLocked(T item, out AsyncWaiter<T>? readers, out object? signals, out AsyncWaiter<T>? taker)
    {
        taker = null;
        AsyncWaiter<T>? tail = null;
        if (TryHandToTakerLocked(item, ref taker, ref tail))
        {
            readers = null;
            signals = null;
            return;
        }

        _pushed++;
        _items.Enqueue(item);
        TakeReaders(out readers, out signals);
    }

    /// <summary>DegradeQuality on overflow: the degrader runs outside the lock, then the decision is re-made.</summary>
    private PushResult PushDegraded(T item)
    {
        if (!TryDegrade(item, out var degraded, out var failed))
        {
            return failed;
        }

        AsyncWaiter<T>? readers = null;
        object? signals = null;
        AsyncWaiter<T>? taker = null;
        T evicted = default!;
        PushStatus status;
        using (EnterLocked())
        {
            // Re-decided: a reader may have made room while the degrader ran (then the original item goes in).
            var action = Decide(_items.Count < Capacity, canWait: false);
            if (action == PushAction.Enqueue)
            {
                EnqueueLocked(item, out readers, out signals, out taker);
                status = PushStatus.Enqueued;
            }
            else if (action != PushAction.Degrade)
            {
                return RejectLocked(action);
            }
            else
            {
                _pushed++;
                _degradeHits++;
                evicted = _items.ReplaceOldest(degraded);
                status = PushStatus.Degraded;
            }
        }

        taker?.SetResult(true);
        WakeReadersAndSignals(readers, signals);
        if (status == PushStatus.Degraded)
        {
            _onDropped?.Invoke(evicted);
        }

        return new PushResult(status);
    }

    /// <summary>PauseUpstream with a cancellation token or a timeout: arm the waiter outside the lock, then park it.</summary>
    private AsyncWaiter<T> ParkWriter(T item, CancellationToken cancellationToken, bool blocking)
    {
        var waiter = new AsyncWaiter<T>(this, WaiterKind.Writer, pooled: false) { Item = item };
        if (blocking)
        {
            waiter.ContinueInline();
        }

        waiter.Arm(cancellationToken, _pauseTimeout, _timeProvider);
        AsyncWaiter<T>? readers = null;
        object? signals = null;
        AsyncWaiter<T>? taker = null;
        Exception? failure = null;
        using (EnterLocked())
        {
            switch (Decide(_items.Count < Capacity, canWait: true))
            {
                case PushAction.Enqueue:
                    EnqueueLocked(item, out readers, out signals, out taker);
                    break;

                case PushAction.Wait:
                    _pauseBlocks++;
                    if (waiter.Fired == 0)
                    {
                        AppendWriter(waiter);
                        return waiter;
                    }

                    // The token or the timer fired before the waiter was parked; OnWaiterFired found nothing to unlink.
                    _pushed++;
                    _rejected++;
                    failure = CreateFiredException(waiter);
                    break;

                case var rejection:
                    failure = CreateException(RejectLocked(rejection));
                    break;
            }
        }

        taker?.SetResult(true);
        WakeReadersAndSignals(readers, signals);
        if (failure is null)
        {
            waiter.SetResult(true);
        }
        else
        {
            waiter.SetException(failure);
        }

        return waiter;
    }

    private protected override ValueTask<bool> WaitToPushCoreAsync(CancellationToken cancellationToken)
    {
        using (EnterLocked())
        {
            if (_doneWriting is not null ||
                !PushDecision.NeedsRoom(Policy, _degrader is not null) ||
                (_items.Count < Capacity && _writersHead is null))
            {
                return WaitToPushDecided();
            }
        }

        return ParkForRoom(cancellationToken);
    }

    // ---- Reading --------------------------------------------------------------------------------------------------

    public override bool TryRead([MaybeNullWhen(false)] out T item)
    {
        AsyncWaiter<T>? writer = null;
        AsyncWaiter<T>? space = null;
        bool drained;
        using (EnterLocked())
        {
            if (_items.Count == 0)
            {
                item = default;
                return false;
            }

            _delivered++;
            if (_writersHead is { } parked)
            {
                _writersHead = parked.Next;
                if (_writersHead is null)
                {
                    _writersTail = null;
                }

                // The parked writer's item takes the room in the same step (the count never dips).
                _pushed++;
                item = _items.ReplaceOldest(parked.Item);
                writer = parked;
            }
            else
            {
                item = _items.Dequeue();
                if (_spaceWaiters is not null)
                {
                    space = _spaceWaiters;
                    _spaceWaiters = null;
                }
            }

            drained = _doneWriting is not null && _items.Count == 0;
        }

        writer?.SetResult(true);
        if (space is not null)
        {
            WakeAll(space);
        }

        if (drained)
        {
            CompleteCompletionTask();
        }

        return true;
    }

    internal override int TryReadMany(Span<T> destination) => TryReadMany(destination, expectedPosition: -1);

    /// <summary>
    /// The position of the oldest buffered item in the sequence of accepted items (0 for the first one ever
    /// accepted). Every item leaves from the head, read or evicted, so the head's position is that count.
    /// </summary>
    private long HeadPosition => _delivered + _dropOldestHits + _degradeHits;

    /// <summary>
    /// <see cref="BoundedBuffer{T}.TryReadMany(Span{T})"/> under one lock. With <paramref name="expectedPosition"/> at 0 or
    /// above it reads only if the oldest item is still the one at that position (the Dataflow block's
    /// <c>ConsumeMessage</c>: an item offered earlier may have been read or evicted since).
    /// </summary>
    internal int TryReadMany(Span<T> destination, long expectedPosition)
    {
        AsyncWaiter<T>? handedOff = null;
        AsyncWaiter<T>? space = null;
        bool drained;
        int count;
        using (EnterLocked())
        {
            if (_items.Count == 0 || (expectedPosition >= 0 && HeadPosition != expectedPosition))
            {
                return 0;
            }

            // Each read makes room for the oldest parked writer, whose item may itself be read in this batch.
            AsyncWaiter<T>? handedOffTail = null;
            count = 0;
            while (count < destination.Length && _items.Count > 0)
            {
                _delivered++;
                if (_writersHead is not null)
                {
                    // The parked writer's item takes the room in the same step (the count never dips).
                    _pushed++;
                    destination[count++] = _items.ReplaceOldest(TakeOldestWriter(ref handedOff, ref handedOffTail).Item);
                }
                else
                {
                    destination[count++] = _items.Dequeue();
                }
            }

            // A batch can make more room than the parked writers take.
            if (_spaceWaiters is not null && _writersHead is null && _items.Count < Capacity)
            {
                space = _spaceWaiters;
                _spaceWaiters = null;
            }

            drained = _doneWriting is not null && _items.Count == 0;
        }

        if (handedOff is not null)
        {
            WakeAll(handedOff);
        }

        if (space is not null)
        {
            WakeAll(space);
        }

        if (drained)
        {
            CompleteCompletionTask();
        }

        return count;
    }

    public override bool TryPeek([MaybeNullWhen(false)] out T item) => TryPeekHead(out item, out _);

    /// <summary>Peeks the oldest item and its position (see <see cref="TryReadMany(Span{T}, long)"/>).</summary>
    internal bool TryPeekHead([MaybeNullWhen(false)] out T item, out long position)
    {
        using (EnterLocked())
        {
            if (_items.Count == 0)
            {
                item = default;
                position = -1;
                return false;
            }

            item = _items.Peek();
            position = HeadPosition;
            return true;
        }
    }

    private protected override ValueTask<bool> WaitToReadCoreAsync(CancellationToken cancellationToken) => ParkReader(cancellationToken);

    // ---- The Dataflow block's protocol ----------------------------------------------------------------------------

    /// <summary>
    /// The decision (<see cref="PushDecision"/>) a push would get now, for an item that is not in hand yet: a Dataflow offer with
    /// <c>consumeToAccept</c>, or a postponed offer about to be consumed, must know whether it will be accepted before it
    /// takes the message from its source. An accepting status takes and counts nothing (the item is counted when it is
    /// pushed). With <paramref name="countRejection"/> an <see cref="PushStatus.Overflow"/>, <see cref="PushStatus.Closed"/>
    /// or <see cref="PushStatus.MissingDegrader"/> is counted as the push would count it, because the offer is rejected
    /// for good; <see cref="PushStatus.Full"/> counts nothing, as for <see cref="TryPush(T)"/>. Without
    /// <paramref name="countOverflow"/> an overflow is not counted either: the offer's source keeps the message and may
    /// offer it again.
    /// </summary>
    /// <remarks>
    /// Room found here may be taken by a concurrent push before the item arrives; a push that then finds the buffer full
    /// is decided by <see cref="TryPush(T)"/> as any other (a PauseUpstream caller parks through
    /// <see cref="BoundedBuffer{T}.PushAsync(T, CancellationToken)"/>).
    /// </remarks>
    internal PushResult Admit(bool countRejection, bool countOverflow = true)
    {
        using (EnterLocked())
        {
            var action = Decide(_items.Count < Capacity, canWait: false);
            return action switch
            {
                PushAction.Enqueue => PushResult.Enqueued,
                PushAction.EvictOldest => new PushResult(PushStatus.DroppedOldest),
                PushAction.Degrade => new PushResult(PushStatus.Degraded),
                _ when countRejection && (countOverflow || action != PushAction.RejectOverflow) => RejectLocked(action),
                _ => new PushResult(PushDecision.RejectionStatus(action)),
            };
        }
    }

    /// <summary>
    /// Drops the buffered items of a completed buffer, counting each as rejected, so the depth says what is left and the
    /// counters still add up: a faulted Dataflow block drops its messages, as <c>BufferBlock</c> does. With
    /// <paramref name="keepHead"/> the oldest item stays, at its position (a message a target reserved before the fault,
    /// still its to consume). Returns how many were dropped.
    /// </summary>
    internal int DiscardBuffered(bool keepHead)
    {
        int dropped;
        bool drained;
        using (EnterLocked())
        {
            Debug.Assert(_doneWriting is not null, "Only a completed buffer discards: no writer can be parked.");
            var keep = keepHead && _items.Count > 0;
            var head = keep ? _items.Dequeue() : default!;
            dropped = _items.Count;
            while (_items.Count > 0)
            {
                _items.Dequeue();
            }

            if (keep)
            {
                // The only item left, so the oldest again, at the same position: discards move no position.
                _items.Enqueue(head);
            }

            _rejected += dropped;
            drained = _items.Count == 0;
        }

        if (drained)
        {
            CompleteCompletionTask();
        }

        return dropped;
    }

    /// <summary>
    /// Counts a push a surface refused outside the engine as a rejected push: a postponed Dataflow offer whose source
    /// withdrew the message (a cancelled <c>SendAsync</c>, counted as a cancelled push is), or an offer declined while the
    /// block's completion waits for the messages already taken from their sources (counted as a push to a completed
    /// stream is).
    /// </summary>
    internal void CountRejectedPush()
    {
        using (EnterLocked())
        {
            CountRejectedLocked();
        }
    }

    /// <summary>
    /// Asked by a surface that waits outside the engine (the Dataflow block postpones a source's offer instead of parking a
    /// writer) before it waits: whether the decision for a caller that can wait says the wait is over before it starts
    /// (PauseUpstream with a zero timeout, <see cref="PushAction.RejectTimedOut"/>). Then the push is counted here as
    /// rejected after a pause, as a push to any other surface is, and the surface must refuse it instead of waiting.
    /// </summary>
    internal bool TryRejectTimedOut()
    {
        // Only a zero timeout can decide RejectTimedOut: any other block skips the lock on its postponing path.
        if (_pauseTimeout != TimeSpan.Zero)
        {
            return false;
        }

        using (EnterLocked())
        {
            if (Decide(hasRoom: false, canWait: true) != PushAction.RejectTimedOut)
            {
                return false;
            }

            RejectLocked(PushAction.RejectTimedOut);
            return true;
        }
    }

    /// <summary>
    /// Counts a PauseUpstream wait decided by a surface that waits outside the engine (the Dataflow block postpones an
    /// offer instead of parking a writer). Only the counter moves: the item is counted as pushed when it enters.
    /// </summary>
    internal void CountPauseUpstreamBlock()
    {
        using (EnterLocked())
        {
            _pauseBlocks++;
        }
    }

    // ---- Metrics and invariants -----------------------------------------------------------------------------------

    public override StreamMetricsSnapshot GetMetrics()
    {
        using (EnterLocked())
        {
            return new StreamMetricsSnapshot(
                _pushed, _delivered, _dropOldestHits, _degradeHits, _pauseBlocks, _failOverflows, _rejected, _items.Count);
        }
    }

    private protected override StreamMetricsSnapshot ReadCountersRacy() => new(
        Volatile.Read(ref _pushed),
        Volatile.Read(ref _delivered),
        Volatile.Read(ref _dropOldestHits),
        Volatile.Read(ref _degradeHits),
        Volatile.Read(ref _pauseBlocks),
        Volatile.Read(ref _failOverflows),
        Volatile.Read(ref _rejected),
        _items.Count);

    private protected override void AssertModeInvariantsLocked()
    {
        Debug.Assert(_items.Count <= Capacity, "The buffer never holds more than its capacity.");
        Debug.Assert(_writersHead is null || _items.Count == Capacity, "Writers park only on a full buffer.");
        Debug.Assert(_spaceWaiters is null || _items.Count == Capacity || _writersHead is not null, "Space waiters park only while a push would wait.");
        Debug.Assert(_pushed == _delivered + _dropOldestHits + _degradeHits + _failOverflows + _rejected + _items.Count, "Conservation.");
    }
}
