using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Reactive.Streams.Internal;

/// <summary>
/// The engine's shared mode (<see cref="BufferMode.SharedLane"/>), the default of streams and channels: any number of
/// writers and readers, the locked mode's wait lists, but the items live in a <see cref="SingleProducerLane{T}"/> and
/// only writers take the lock.
/// </summary>
/// <remarks>
/// <para>
/// Writers take the lock around every push, which makes them the lane's one producer at a time; the lock also guards
/// the wait lists, as in the locked mode. Readers claim items with the lane's compare-and-swap and take the lock only to
/// park or to let parked writers in. So a producer and a consumer never wait for each other's lock on the hot path, and a
/// reader preempted mid-read stalls no writer: the bounded channel's slow mode (docs/benchmarks.md) is a writer waiting
/// for a lock that its reader holds.
/// </para>
/// <para>
/// Why no handshake is needed for readers: a reader parks under the lock after looking at the lane again, and every
/// item enters the lane under the same lock, whose holder wakes the parked readers. Parked writers and space waiters
/// need one, because readers make room without the lock: a parking writer links itself, fences, and looks at the room
/// again; a reader claims with a compare-and-swap (a full fence) and then looks at the lists. Either the writer sees
/// the room or the reader sees the writer. Whichever sees it moves parked writers' items in (<see cref="HandOffLocked"/>),
/// in their order, under the lock, as the locked mode's reads do.
/// </para>
/// </remarks>
internal sealed class SharedLaneBuffer<T> : WaitListBuffer<T>
{
    // Returned by Push when the degrader must run first, outside the lock.
    private const PushStatus DegradeOutsideLock = (PushStatus)(-1);

    private readonly SingleProducerLane<T> _lane;

    // A cache line of nothing at the end of this object (the runtime lays value-type fields out after references, and a
    // derived class's fields after its bases'). The writers' lock is allocated right after this object, and a push
    // writes the lock's state twice: without the room, the lock's state shared a cache line with _lane (at one offset
    // also _spaceWaiters), which every read looks at, in about half of the alignments the allocator happens to give, and the
    // reader paid a cache miss per item. That was one of the engine's two-thread benchmarks' slow modes
    // (docs/benchmarks.md). EngineLayoutTests checks the order (LayoutForTests).
#pragma warning disable CS0649 // Never assigned: it only takes room.
    private readonly CacheLinePadding _padding;
#pragma warning restore CS0649

    public SharedLaneBuffer(BoundedStreamOptions<T> options)
        : base(options, readersSkipLock: true)
    {
        _lane = new SingleProducerLane<T>(Capacity, sharedConsumers: true);
        RegisterWithMeter();
    }

    /// <summary>
    /// The lane's depth; while an eviction is half done the lane holds one item less than it will, so a read that
    /// overlapped one is made again under the writers' lock, where none is (a push's eviction and enqueue are one step
    /// there, as the bounded channel's are under its lock).
    /// </summary>
    public override int Depth
    {
        get
        {
            if (_lane.TryReadDepthBetweenEvictions(out var depth))
            {
                return depth;
            }

            using (EnterLocked())
            {
                return _lane.Depth;
            }
        }
    }

    internal override BufferMode Mode => BufferMode.SharedLane;

    private protected override bool HasRoomLocked => _lane.HasRoom();

    private protected override bool HasItemsLocked => !_lane.IsEmpty;

    private protected override void CountRejectedLocked() => _lane.CountRejected(overflow: false);

    private protected override void CountRejection(PushAction rejection) => _lane.CountRejection(rejection);

    private protected override void CountHandedToTakerLocked() => _lane.CountHandedOver();

    /// <summary>
    /// Under the lock: hands <paramref name="item"/> to the oldest parked ReadAsync if there is one (the lane is then
    /// empty; the caller completes <paramref name="taker"/> once the lock is released), else enqueues it and detaches the
    /// parked readers and read signals to wake. Every push path's enqueue comes here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnqueueLocked(T item, out AsyncWaiter<T>? readers, out object? signals, ref AsyncWaiter<T>? taker)
    {
        AsyncWaiter<T>? tail = null;
        if (TryHandToTakerLocked(item, ref taker, ref tail))
        {
            readers = null;
            signals = null;
            return;
        }

        _lane.EnqueueLocked(item);
        TakeReaders(out readers, out signals);
    }

    // ---- Writing --------------------------------------------------------------------------------------------------

    public override PushResult TryPush(T item)
    {
        // Under sustained DegradeQuality overflow, degrade before taking the lock (one lock per push, not two). The
        // depth is the producer's own hint (reading the consumer's head on every push costs a cache-line transfer);
        // only when the hint says full is the real depth read (the eviction that follows reads the head anyway), so a
        // read that made room since the producer last looked never sends a push through the degrader. PushDegraded
        // re-decides under the lock.
        if (_degrader is not null && ShouldDegradeEagerly(_lane.ProducerDepthHint) && ShouldDegradeEagerly(_lane.Depth))
        {
            return PushDegraded(item);
        }

        var result = Push(item);
        return result.Status == DegradeOutsideLock ? PushDegraded(item) : result;
    }

    /// <summary><see cref="TryPush"/> under the lock; <see cref="DegradeOutsideLock"/> when the degrader must run first.</summary>
    private PushResult Push(T item)
    {
        AsyncWaiter<T>? readers;
        object? signals;
        AsyncWaiter<T>? taker = null;
        T evicted;
        using (EnterLocked())
        {
            // Parked writers go first: a push that finds them waits behind them (PauseUpstream) or overflows.
            switch (Decide(_writersHead is null && _lane.HasRoom(), canWait: false))
            {
                case PushAction.Enqueue:
                    EnqueueLocked(item, out readers, out signals, ref taker);
                    goto Enqueued;

                case PushAction.EvictOldest:
                    if (!_lane.TryEvictOldest(out evicted))
                    {
                        // A reader made room meanwhile: no overflow any more.
                        EnqueueLocked(item, out readers, out signals, ref taker);
                        goto Enqueued;
                    }

                    _lane.CountEvicted(degraded: false);
                    _lane.EnqueueLocked(item);
                    goto Evicted;

                case PushAction.Degrade:
                    return new PushResult(DegradeOutsideLock);

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
            var action = Decide(_lane.HasRoom(), canWait: false);
            if (action is not PushAction.Enqueue and not PushAction.Degrade)
            {
                return RejectLocked(action);
            }

            if (action == PushAction.Enqueue || !_lane.TryEvictOldest(out evicted))
            {
                // A reader made room while the degrader ran: no overflow any more, so the original item goes in.
                EnqueueLocked(item, out readers, out signals, ref taker);
                status = PushStatus.Enqueued;
            }
            else
            {
                _lane.CountEvicted(degraded: true);
                _lane.EnqueueLocked(degraded);
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

    private protected override ValueTask PushAsync(T item, CancellationToken cancellationToken, bool blocking)
    {
        var result = TryPush(item);
        if (result.Status == PushStatus.Full)
        {
            return ParkWriter(item, cancellationToken, blocking);
        }

        return result.IsAccepted ? default : ValueTask.FromException(CreateException(result));
    }

    /// <summary>
    /// PauseUpstream with a full buffer (or writers already parked): park the writer with its item, behind the others.
    /// A reader moves the item in when it makes room (<see cref="HandOffLocked"/>); the push counts then. A push decided
    /// without waiting returns a plain completed task, as BoundedChannel's do, and recycles its waiter at once: callers
    /// commonly skip awaiting a task that completed synchronously, and the pooled waiter would be lost with it.
    /// </summary>
    private ValueTask ParkWriter(T item, CancellationToken cancellationToken, bool blocking)
    {
        AsyncWaiter<T> waiter;
        var pooled = !cancellationToken.CanBeCanceled && _pauseTimeout is null;
        if (pooled)
        {
            waiter = Interlocked.Exchange(ref _writerSingleton, null) ?? new AsyncWaiter<T>(this, WaiterKind.Writer, pooled: false);
        }
        else
        {
            // Armed outside the lock: a registration may run its callback (which takes the lock) at once.
            waiter = new AsyncWaiter<T>(this, WaiterKind.Writer, pooled: false);
            waiter.Arm(cancellationToken, _pauseTimeout, _timeProvider);
        }

        waiter.Item = item;
        AsyncWaiter<T>? readers = null;
        AsyncWaiter<T>? handedOff = null;
        AsyncWaiter<T>? takers = null;
        object? signals = null;
        Exception? failure = null;
        var parked = false;
        using (EnterLocked())
        {
            var action = Decide(_writersHead is null && _lane.HasRoom(), canWait: true);
            if (action == PushAction.Enqueue)
            {
                EnqueueLocked(item, out readers, out signals, ref takers);
            }
            else if (action != PushAction.Wait)
            {
                failure = CreateException(RejectLocked(action));
            }
            else
            {
                _lane.CountPauseBlock();
                if (waiter.Fired != 0)
                {
                    // The token or the timer fired before the waiter was parked; OnWaiterFired found nothing to unlink.
                    _lane.CountRejected(overflow: false);
                    failure = CreateFiredException(waiter);
                }
                else
                {
                    // Marked only once it parks: a pooled waiter that does not park goes back to the pool without a
                    // GetResult (which resets the mark), and a later PushAsync on it would run its continuation inline.
                    if (blocking)
                    {
                        waiter.ContinueInline();
                    }

                    AppendWriter(waiter);

                    // The handshake with readers, which make room without the lock: fence, then look at the room again.
                    Interlocked.MemoryBarrier();
                    handedOff = HandOffLocked(out takers, out var entered);
                    if (entered)
                    {
                        TakeReaders(out readers, out signals);
                    }

                    // This writer parked last, so it is still parked unless every parked writer went in.
                    parked = _writersHead is not null;
                    if (!parked)
                    {
                        handedOff = Unlink(handedOff!, waiter);
                    }
                }
            }
        }

        if (takers is not null)
        {
            WakeAll(takers);
        }

        WakeReadersAndSignals(readers, signals);
        if (handedOff is not null)
        {
            WakeAll(handedOff);
        }

        if (parked)
        {
            return waiter.AsValueTask();
        }

        waiter.Item = default!;
        if (pooled)
        {
            Return(waiter);
        }
        else
        {
            // Disarms the token and the timer; nobody awaits this waiter.
            waiter.SetResult(true);
        }

        // A token that fired before the writer parked gives a cancelled task, as a parked writer's waiter and the
        // runtime's channels do, not one faulted with the OperationCanceledException.
        return failure switch
        {
            null => default,
            OperationCanceledException canceled when canceled.CancellationToken.IsCancellationRequested => ValueTask.FromCanceled(canceled.CancellationToken),
            _ => ValueTask.FromException(failure),
        };

        // Removes the last waiter of a hand-off list (this writer, which parked last).
        static AsyncWaiter<T>? Unlink(AsyncWaiter<T> list, AsyncWaiter<T> last)
        {
            if (list == last)
            {
                return null;
            }

            var previous = list;
            while (previous.Next != last)
            {
                previous = previous.Next!;
            }

            previous.Next = null;
            return list;
        }
    }

    private protected override ValueTask<bool> WaitToPushCoreAsync(CancellationToken cancellationToken)
    {
        // Decided without the lock when it can be: readers make room without it anyway.
        if (Volatile.Read(ref _doneWriting) is not null ||
            !PushDecision.NeedsRoom(Policy, _degrader is not null) ||
            (Volatile.Read(ref _writersHead) is null && _lane.Depth < Capacity))
        {
            return WaitToPushDecided();
        }

        return ParkForRoom(cancellationToken);
    }

    // ---- Reading --------------------------------------------------------------------------------------------------

    /// <summary>A claim without a lock.</summary>
    public override bool TryRead([MaybeNullWhen(false)] out T item)
    {
        Unsafe.SkipInit(out item);
        if (Claim(new Span<T>(ref item)) == 0)
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
        var read = Claim(destination);
        if (read > 0)
        {
            AfterRead();
        }
        else if (IsCompleted && _lane.IsEmpty)
        {
            CompleteCompletionTask();
        }

        return read;
    }

    /// <summary>
    /// The lane's claim, without the lock. A claim that finds nothing is believed only if the lane was empty while no
    /// eviction was half done: a DropOldest or DegradeQuality push to a full lane evicts, then enqueues, under the
    /// writers' lock, and a claim between the two found the lane one item short (empty at capacity 1), where the bounded
    /// channel, whose write is one step under its lock, never shows an empty buffer to a reader that another write filled.
    /// Otherwise the claim is made again under the lock, where no eviction is half done.
    /// </summary>
    private int Claim(Span<T> destination)
    {
        var read = _lane.TryReadMany(destination);
        if (read > 0 || _lane.IsEmptyBetweenEvictions)
        {
            return read;
        }

        using (EnterLocked())
        {
            return _lane.TryReadMany(destination);
        }
    }

    /// <summary>After a read (whose claim was a full fence): lets parked writers in, wakes space waiters, ends a drained buffer.</summary>
    private void AfterRead()
    {
        if (Volatile.Read(ref _writersHead) is not null || Volatile.Read(ref _spaceWaiters) is not null)
        {
            MakeRoom();
        }

        if (IsCompleted && _lane.IsEmpty)
        {
            CompleteCompletionTask();
        }
    }

    private void MakeRoom()
    {
        AsyncWaiter<T>? handedOff;
        AsyncWaiter<T>? takers;
        AsyncWaiter<T>? space = null;
        AsyncWaiter<T>? readers = null;
        object? signals = null;
        using (EnterLocked())
        {
            handedOff = HandOffLocked(out takers, out var entered);
            if (entered)
            {
                // The items handed in may land after another reader found the lane empty and parked.
                TakeReaders(out readers, out signals);
            }

            // A batch read can make more room than the parked writers take.
            if (_spaceWaiters is not null && _writersHead is null && _lane.HasRoom())
            {
                space = _spaceWaiters;
                _spaceWaiters = null;
            }
        }

        if (takers is not null)
        {
            WakeAll(takers);
        }

        WakeReadersAndSignals(readers, signals);
        if (handedOff is not null)
        {
            WakeAll(handedOff);
        }

        if (space is not null)
        {
            WakeAll(space);
        }
    }

    /// <summary>
    /// Under the lock: moves parked writers' items into the room there is, oldest writer first, and returns those
    /// writers (linked through <see cref="AsyncWaiter{T}.Next"/>) to be completed after the lock is released. A reader
    /// makes room without the lock, so a ReadAsync may have found the lane empty and parked as a taker before the parked
    /// writers were let in: their items go to the takers first, oldest to oldest (<paramref name="takers"/>, to complete
    /// after the lock is released too), and the rest into the lane (<paramref name="entered"/>: readers must wake).
    /// </summary>
    private AsyncWaiter<T>? HandOffLocked(out AsyncWaiter<T>? takers, out bool entered)
    {
        AsyncWaiter<T>? head = null;
        AsyncWaiter<T>? tail = null;
        AsyncWaiter<T>? takersTail = null;
        takers = null;
        entered = false;
        // Takers park only on an empty lane, so while there are any there is room.
        while (_writersHead is not null && _lane.HasRoom())
        {
            var item = TakeOldestWriter(ref head, ref tail).Item;
            if (!TryHandToTakerLocked(item, ref takers, ref takersTail))
            {
                _lane.EnqueueLocked(item);
                entered = true;
            }
        }

        return head;
    }

    /// <summary>
    /// The lane's peek is checked against its head, so it holds with several readers too; one that finds nothing is
    /// believed as a claim's is (<see cref="Claim"/>), else made again under the writers' lock.
    /// </summary>
    public override bool TryPeek([MaybeNullWhen(false)] out T item)
    {
        if (_lane.TryPeek(out item))
        {
            return true;
        }

        if (_lane.IsEmptyBetweenEvictions)
        {
            return false;
        }

        using (EnterLocked())
        {
            return _lane.TryPeek(out item);
        }
    }

    private protected override ValueTask<bool> WaitToReadCoreAsync(CancellationToken cancellationToken) =>
        _lane.IsEmpty ? ParkReader(cancellationToken) : new ValueTask<bool>(true);

    /// <summary>
    /// For the layout test: where, in bytes from the start of this object's fields, the fields a read looks at end, and
    /// where the padding starts.
    /// </summary>
    internal (long ReadFieldsEnd, long Padding) LayoutForTests()
    {
        ref var start = ref Unsafe.As<LayoutProbe>(this).FirstByte;
        var readFieldsEnd = Math.Max(
            Math.Max(End(ref start, ref Unsafe.AsRef(in _lane)), End(ref start, ref _writersHead)),
            Math.Max(End(ref start, ref _spaceWaiters), End(ref start, ref _doneWriting)));
        return (readFieldsEnd, Unsafe.ByteOffset(ref start, ref Unsafe.As<CacheLinePadding, byte>(ref Unsafe.AsRef(in _padding))));

        static long End<TField>(ref byte start, ref TField field) =>
            Unsafe.ByteOffset(ref start, ref Unsafe.As<TField, byte>(ref field)) + Unsafe.SizeOf<TField>();
    }

    // The runtime's view of an object: its fields start right after the method table pointer.
    private sealed class LayoutProbe
    {
        public byte FirstByte;
    }

    // ---- Metrics and invariants -----------------------------------------------------------------------------------

    public override StreamMetricsSnapshot GetMetrics() => _lane.ReadCounters();

    private protected override StreamMetricsSnapshot ReadCountersRacy() => _lane.ReadCounters();

    private protected override void AssertModeInvariantsLocked()
    {
        // Readers take items without the lock, so only what they cannot change is checked: nothing enters but under the
        // lock, and readers only take items out. Every claim (a read's, or a writer's eviction) is checked by the lane.
        _lane.AssertBounded();
    }
}
