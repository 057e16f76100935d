using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Reactive.Streams.Internal;

/// <summary>
/// The one bounded-buffer engine behind every surface (stream, channel, Rx operator, Dataflow block). It follows
/// BoundedChannel's shape: one lock; every locked region starts with <see cref="AssertInvariants"/>; the full-mode
/// decision is made once, in <see cref="PushCore"/>; no foreign code (degrader, onDropped, waiter continuation) runs
/// under the lock; parked readers and writers are completed after the lock is released.
/// </summary>
/// <remarks>
/// <para>
/// Three modes (<see cref="BufferMode"/>) make the same decisions: locked (this file; the Dataflow block and the
/// delivery layer), shared (<c>BoundedBuffer.Shared.cs</c>; streams and channels by default: writers take the lock,
/// readers claim from a <see cref="SingleProducerLane{T}"/> without it) and lock-free (<c>BoundedBuffer.Lane.cs</c>;
/// one producer and one consumer: the Rx policy operators, and streams and channels that promise it).
/// </para>
/// <para>
/// Counters obey <c>pushed = delivered + evicted + failed + depth</c>, because a PauseUpstream writer's item is counted
/// as pushed only when it enters the buffer or is rejected, never while it is parked. In the locked mode they are
/// written under the lock and the law holds at every moment the lock is free; in the lane modes it holds whenever no
/// read (and, lock-free, no push) is in flight. The Meter reads them racily in every mode.
/// </para>
/// </remarks>
internal sealed partial class BoundedBuffer<T> : IStreamMetricsSource, IMeteredStream
{
    // Sentinel for "completed without error", so _doneWriting alone says whether writing is over.
    private static readonly Exception s_completedNormally = new InvalidOperationException("completed");

    // Returned by PushCore when the decision needs work that must not run under the lock: the degrader, or arming a
    // writer's cancellation and timeout before it parks.
    private const PushStatus DegradeOutsideLock = (PushStatus)(-1);
    private const PushStatus ParkOutsideLock = (PushStatus)(-2);

    private readonly Lock _lock = new();
    private readonly RingBuffer<T> _items;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<T, T>? _degrader;
    private readonly Action<T>? _onDropped;
    private readonly TimeSpan? _pauseTimeout;
    private readonly TimeProvider _timeProvider;

    // The lock-free mode for one producer and one consumer (SingleProducerLane); null in the locked mode.
    private readonly SingleProducerLane<T>? _lane;

    private Exception? _doneWriting;
    private AsyncWaiter<T>? _readers;
    private AsyncWaiter<T>? _writersHead;
    private AsyncWaiter<T>? _writersTail;
    private AsyncWaiter<T>? _spaceWaiters;
    private AsyncWaiter<T>? _readerSingleton;
    private AsyncWaiter<T>? _writerSingleton;
    private ReadSignal? _signals;

    // Lives and dies with this buffer; its finalizer keeps our counts in the meter's series once we are gone.
    private readonly object? _meterRegistration;

    private long _pushed;
    private long _delivered;
    private long _dropOldestHits;
    private long _degradeHits;
    private long _pauseBlocks;
    private long _failOverflows;
    private long _rejected;

    /// <summary>Creates the engine for <paramref name="options"/>.</summary>
    /// <param name="options">Policy, capacity and the rest.</param>
    /// <param name="mode">
    /// How the engine synchronizes (<see cref="BufferMode"/>). The lane modes fall back to the locked mode when the
    /// capacity exceeds <see cref="SingleProducerLane{T}.MaxCapacity"/> (a lane's ring is allocated whole), and the
    /// single-lane mode also when the options need timed waits (a PauseUpstream timeout).
    /// </param>
    public BoundedBuffer(BoundedStreamOptions<T> options, BufferMode mode = BufferMode.Locked)
    {
        ArgumentNullException.ThrowIfNull(options);
        Name = options.Name;
        Policy = options.Policy;
        Capacity = options.Capacity;
        _degrader = options.Degrader;
        _onDropped = options.OnDropped;
        _pauseTimeout = options.PauseTimeout == Timeout.InfiniteTimeSpan ? null : options.PauseTimeout;
        _timeProvider = options.TimeProvider;
        _items = new RingBuffer<T>(Capacity);
        if (mode != BufferMode.Locked && Capacity <= SingleProducerLane<T>.MaxCapacity)
        {
            if (mode == BufferMode.SingleLane && _pauseTimeout is null)
            {
                _lane = new SingleProducerLane<T>(Capacity);
            }
            else
            {
                _sharedLane = new SingleProducerLane<T>(Capacity, sharedConsumers: true);
            }
        }

        _readerSingleton = new AsyncWaiter<T>(this, WaiterKind.Reader, pooled: true);
        if (Policy == BackpressurePolicy.PauseUpstream)
        {
            _writerSingleton = new AsyncWaiter<T>(this, WaiterKind.Writer, pooled: true);
        }

        _meterRegistration = Telemetry.Enabled ? LibraryMeter.For(options.MeterFactory).RegisterStream(this) : null;
    }

    public string Name { get; }

    public BackpressurePolicy Policy { get; }

    public int Capacity { get; }

    public int Depth => (_lane ?? _sharedLane)?.Depth ?? _items.Count;

    /// <summary>Whether the engine runs in its lock-free single-producer mode.</summary>
    internal bool IsLockFree => _lane is not null;

    /// <summary>How the engine synchronizes, after the fallbacks the constructor applies.</summary>
    internal BufferMode Mode => _lane is not null ? BufferMode.SingleLane : _sharedLane is not null ? BufferMode.SharedLane : BufferMode.Locked;

    /// <summary>Whether a push would find room; under the lock in the locked and shared modes.</summary>
    private bool HasRoomLocked => _sharedLane is { } lane ? lane.HasRoom() : _items.Count < Capacity;

    /// <summary>Whether the buffer holds items; under the lock in the locked and shared modes.</summary>
    private bool HasItemsLocked => _sharedLane is { } lane ? !lane.IsEmpty : _items.Count > 0;

    /// <summary>Under the lock: counts a push rejected without an overflow (closed, cancelled, timed out).</summary>
    private void CountRejectedLocked()
    {
        if ((_lane ?? _sharedLane) is { } lane)
        {
            lane.CountRejected(overflow: false);
        }
        else
        {
            _pushed++;
            _rejected++;
        }
    }

    /// <summary>Asks the one decision (<see cref="PushDecision"/>) what a push does now; every mode's push path starts here.</summary>
    private PushAction Decide(bool hasRoom, bool canWait) => PushDecision.Decide(
        Policy, Volatile.Read(ref _doneWriting) is not null, hasRoom, _degrader is not null, canWait, _pauseTimeout == TimeSpan.Zero);

    /// <summary>
    /// Counts a push that <paramref name="rejection"/> ended without storing anything and returns its result; under the
    /// lock in the locked and shared modes, by the one producer in the lock-free mode. A <see cref="PushAction.Full"/>
    /// push is not counted: its caller keeps the item.
    /// </summary>
    private PushResult RejectLocked(PushAction rejection)
    {
        if (rejection != PushAction.Full)
        {
            if ((_lane ?? _sharedLane) is { } lane)
            {
                if (rejection == PushAction.RejectTimedOut)
                {
                    lane.CountPauseBlock();
                }

                lane.CountRejected(overflow: rejection == PushAction.RejectOverflow);
            }
            else
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
        }

        return new PushResult(PushDecision.RejectionStatus(rejection));
    }

    /// <summary>Completes when writing is over and the buffer is drained; faults with the completion error.</summary>
    public Task Completion => _completion.Task;

    public bool IsCompleted => Volatile.Read(ref _doneWriting) is not null;

    // ---- Writing ---------------------------------------------------------------------------------------------

    /// <summary>
    /// Under sustained DegradeQuality overflow, degrade before taking the lock, so that a push costs one lock instead
    /// of two. The unlocked read of the depth may be stale either way: <see cref="PushDegraded"/> re-decides under the
    /// lock and enqueues the original item if room appeared, and an overflow missed here still reaches the degrader
    /// through <see cref="PushCore"/>. Degraders are pure (RXS0004), so an unneeded call costs time, not correctness.
    /// </summary>
    private bool ShouldDegradeEagerly(int depth) => Decide(depth < Capacity, canWait: false) == PushAction.Degrade;

    /// <summary>
    /// <see cref="ShouldDegradeEagerly(int)"/> in the shared mode. Only a buffer with a degrader can degrade, and that field
    /// is looked at first: the lane's depth is read from the consumer's cache line, which a push of any other policy must
    /// not pull over on every call.
    /// </summary>
    private bool ShouldDegradeEagerly(SingleProducerLane<T> lane) => _degrader is not null && ShouldDegradeEagerly(lane.Depth);

    /// <summary>Pushes without waiting and without throwing.</summary>
    public PushResult TryPush(T item)
    {
        if (_lane is not null)
        {
            return LanePush(_lane, item);
        }

        if (_sharedLane is not null)
        {
            return SharedTryPush(_sharedLane, item);
        }

        if (_degrader is not null && ShouldDegradeEagerly(_items.Count))
        {
            return PushDegraded(item);
        }

        var result = PushCore(item, allowWait: false, canParkPooled: false, blocking: false, out _);
        return result.Status == DegradeOutsideLock ? PushDegraded(item) : result;
    }

    /// <summary>Pushes, awaiting room under PauseUpstream; throws on rejection.</summary>
    public ValueTask PushAsync(T item, CancellationToken cancellationToken) => PushAsync(item, cancellationToken, blocking: false);

    /// <summary>
    /// The engine's one PauseUpstream wait: every push that may wait comes here, async or blocking. A blocking caller
    /// (<paramref name="blocking"/>, through <see cref="Push"/>) gets a waiter that continues inline, so it can block on
    /// the returned task without a thread-pool hop; in the lock-free mode it waits in this very call.
    /// </summary>
    private ValueTask PushAsync(T item, CancellationToken cancellationToken, bool blocking)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (_lane is not null)
        {
            return LanePushAsync(_lane, item, cancellationToken, blocking);
        }

        if (_sharedLane is not null)
        {
            return SharedPushAsync(_sharedLane, item, cancellationToken, blocking);
        }

        if (_degrader is not null && ShouldDegradeEagerly(_items.Count))
        {
            var degraded = PushDegraded(item);
            return degraded.IsAccepted ? default : ValueTask.FromException(CreateException(degraded));
        }

        var result = PushCore(item, allowWait: true, canParkPooled: !cancellationToken.CanBeCanceled && _pauseTimeout is null, blocking, out var parked);
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
    /// Pushes synchronously, blocking the calling thread under PauseUpstream until there is room; throws on
    /// rejection. Used by synchronous producers such as an observer's OnNext.
    /// </summary>
    public void Push(T item, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        BlockingWait.Wait(PushAsync(item, cancellationToken, blocking: true));
    }

    /// <summary>
    /// Makes the full-mode decision once for every push path. Under the lock it enqueues, evicts, rejects, or
    /// parks a writer on the pooled waiter; anything that needs foreign code (the degrader, arming a cancellation
    /// or timeout) is returned as <see cref="DegradeOutsideLock"/> or <see cref="ParkOutsideLock"/>, to be finished outside the lock.
    /// </summary>
    private PushResult PushCore(T item, bool allowWait, bool canParkPooled, bool blocking, out AsyncWaiter<T>? parked)
    {
        parked = null;
        AsyncWaiter<T>? readers;
        object? signals;
        T evicted;
        using (EnterLocked())
        {
            switch (Decide(_items.Count < Capacity, allowWait))
            {
                case PushAction.Enqueue:
                    EnqueueLocked(item, out readers, out signals);
                    goto Enqueued;

                case PushAction.EvictOldest:
                    _pushed++;
                    _dropOldestHits++;
                    evicted = _items.Dequeue();
                    _items.Enqueue(item);
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

                case var rejection:
                    return RejectLocked(rejection);
            }
        }

    Enqueued:
        if (readers is not null)
        {
            WakeAll(readers);
        }

        if (signals is not null)
        {
            FireAll(signals);
        }

        return PushResult.Enqueued;

    Evicted:
        _onDropped?.Invoke(evicted);
        return new PushResult(PushStatus.DroppedOldest);
    }

    /// <summary>
    /// Under the lock, in the locked mode: stores a pushed item and detaches the parked readers and armed read signals,
    /// which the caller wakes once the lock is released.
    /// </summary>
    private void EnqueueLocked(T item, out AsyncWaiter<T>? readers, out object? signals)
    {
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
        T evicted = default!;
        PushStatus status;
        using (EnterLocked())
        {

            // Re-decided: a reader may have made room while the degrader ran (then the original item goes in).
            var action = Decide(_items.Count < Capacity, canWait: false);
            if (action == PushAction.Enqueue)
            {
                EnqueueLocked(item, out readers, out signals);
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
                evicted = _items.Dequeue();
                _items.Enqueue(degraded);
                status = PushStatus.Degraded;
            }
        }

        if (readers is not null)
        {
            WakeAll(readers);
        }

        if (signals is not null)
        {
            FireAll(signals);
        }

        if (status == PushStatus.Degraded)
        {
            _onDropped?.Invoke(evicted);
        }

        return new PushResult(status);
    }

    /// <summary>
    /// Runs the degrader (outside any lock, in every mode). If it throws, the push is rejected and
    /// counted, and <paramref name="failed"/> says so.
    /// </summary>
    private bool TryDegrade(T item, out T degraded, out PushResult failed)
    {
        try
        {
            degraded = _degrader!(item);
            failed = default;
            return true;
        }
        catch (Exception error)
        {
            lock (_lock)
            {
                CountRejectedLocked();
            }

            degraded = default!;
            failed = new PushResult(PushStatus.DegraderFailed, error);
            return false;
        }
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
        Exception? failure = null;
        using (EnterLocked())
        {
            switch (Decide(_items.Count < Capacity, canWait: true))
            {
                case PushAction.Enqueue:
                    EnqueueLocked(item, out readers, out signals);
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

        if (readers is not null)
        {
            WakeAll(readers);
        }

        if (signals is not null)
        {
            FireAll(signals);
        }

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

    /// <summary>Waits until a push could succeed without waiting (channel writers' WaitToWriteAsync).</summary>
    public ValueTask<bool> WaitToPushAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        if (_lane is not null)
        {
            return LaneWaitToPushAsync(_lane, cancellationToken);
        }

        if (_sharedLane is not null)
        {
            // Decided without the lock when it can be: readers make room without it anyway.
            if (Volatile.Read(ref _doneWriting) is not null ||
                !PushDecision.NeedsRoom(Policy) ||
                (Volatile.Read(ref _writersHead) is null && _sharedLane.Depth < Capacity))
            {
                return WaitToPushDecided();
            }
        }
        else
        {
            using (EnterLocked())
            {
                if (_doneWriting is not null ||
                    !PushDecision.NeedsRoom(Policy) ||
                    (_items.Count < Capacity && _writersHead is null))
                {
                    return WaitToPushDecided();
                }
            }
        }

        var waiter = new AsyncWaiter<T>(this, WaiterKind.Space, pooled: false);
        waiter.Arm(cancellationToken, timeout: null, _timeProvider);
        bool? result = null;
        Exception? failure = null;
        AsyncWaiter<T>? space = null;
        using (EnterLocked())
        {
            if (_doneWriting is not null)
            {
                if (_doneWriting == s_completedNormally)
                {
                    result = false;
                }
                else
                {
                    failure = _doneWriting;
                }
            }
            else if (HasRoomLocked && _writersHead is null)
            {
                result = true;
            }
            else if (waiter.Fired != 0)
            {
                failure = CreateFiredException(waiter);
            }
            else
            {
                waiter.Next = _spaceWaiters;
                _spaceWaiters = waiter;
                if (_sharedLane is null)
                {
                    return waiter.AsValueTaskOfBool();
                }

                // The shared mode's handshake with readers, which make room without the lock (BoundedBuffer.Shared.cs):
                // fence, then look at the room again.
                Interlocked.MemoryBarrier();
                if (HasRoomLocked && _writersHead is null)
                {
                    space = _spaceWaiters;
                    _spaceWaiters = null;
                }
            }
        }

        if (space is not null)
        {
            WakeAll(space);
        }

        if (result is not null || failure is not null)
        {
            if (failure is null)
            {
                waiter.SetResult(result!.Value);
            }
            else
            {
                waiter.SetException(failure);
            }
        }

        return waiter.AsValueTaskOfBool();
    }

    /// <summary>The answer of <see cref="WaitToPushAsync"/> when it need not wait: writing over, or a push would not wait.</summary>
    private ValueTask<bool> WaitToPushDecided() => Volatile.Read(ref _doneWriting) switch
    {
        null => new ValueTask<bool>(true),
        var done when done == s_completedNormally => new ValueTask<bool>(false),
        var done => ValueTask.FromException<bool>(done),
    };

    // ---- Reading ---------------------------------------------------------------------------------------------

    /// <summary>Takes the oldest item if there is one; moves a parked PauseUpstream writer's item into the room made.</summary>
    public bool TryRead([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T item)
    {
        if (_lane is not null)
        {
            return LaneTryRead(_lane, out item);
        }

        if (_sharedLane is not null)
        {
            return LaneTryRead(_sharedLane, out item);
        }

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

            item = _items.Dequeue();
            _delivered++;
            if (_writersHead is { } parked)
            {
                _writersHead = parked.Next;
                if (_writersHead is null)
                {
                    _writersTail = null;
                }

                _pushed++;
                _items.Enqueue(parked.Item);
                writer = parked;
            }
            else if (_spaceWaiters is not null)
            {
                space = _spaceWaiters;
                _spaceWaiters = null;
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

    /// <summary>
    /// Takes up to <paramref name="max"/> of the oldest items into <paramref name="destination"/> under one lock
    /// acquisition; returns how many were taken. Added for the delivery dispatcher's workers, which batch
    /// opportunistically: one lock per batch instead of one per item. Behaves exactly like repeated
    /// <see cref="TryRead"/>: every item taken lets the oldest parked PauseUpstream writer in, in order.
    /// </summary>
    internal int TryReadBatch(List<T> destination, int max)
    {
        // One implementation of the batch read (TryReadMany); this overload only lends it the list's free tail.
        var start = destination.Count;
        System.Runtime.InteropServices.CollectionsMarshal.SetCount(destination, start + max);
        var taken = TryReadMany(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(destination).Slice(start, max));
        System.Runtime.InteropServices.CollectionsMarshal.SetCount(destination, start + taken);
        return taken;
    }

    /// <summary>Takes the oldest item without removing it.</summary>
    public bool TryPeek([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T item)
    {
        if ((_lane ?? _sharedLane) is { } lane)
        {
            // The lane's peek is checked against its head, so it holds with several readers too.
            return lane.TryPeek(out item);
        }

        lock (_lock)
        {
            if (_items.Count == 0)
            {
                item = default;
                return false;
            }

            item = _items.Peek();
            return true;
        }
    }

    /// <summary>
    /// Waits until an item is available (true) or the buffer is completed and drained (false; throws the
    /// completion error if it was completed with one), like <c>ChannelReader.WaitToReadAsync</c>.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        if (_lane is not null)
        {
            return LaneWaitToReadAsync(_lane, cancellationToken);
        }

        if (_sharedLane is { IsEmpty: false })
        {
            return new ValueTask<bool>(true);
        }

        using (EnterLocked())
        {
            if (HasItemsLocked)
            {
                return new ValueTask<bool>(true);
            }

            if (_doneWriting is not null)
            {
                return DoneReading();
            }

            if (!cancellationToken.CanBeCanceled)
            {
                var pooled = Interlocked.Exchange(ref _readerSingleton, null) ?? new AsyncWaiter<T>(this, WaiterKind.Reader, pooled: false);
                pooled.Next = _readers;
                _readers = pooled;
                return pooled.AsValueTaskOfBool();
            }
        }

        var waiter = new AsyncWaiter<T>(this, WaiterKind.Reader, pooled: false);
        waiter.Arm(cancellationToken, timeout: null, _timeProvider);
        Exception? failure = null;
        var result = true;
        using (EnterLocked())
        {
            if (HasItemsLocked)
            {
                result = true;
            }
            else if (_doneWriting is not null)
            {
                result = false;
                failure = _doneWriting == s_completedNormally ? null : _doneWriting;
            }
            else if (waiter.Fired != 0)
            {
                failure = CreateFiredException(waiter);
            }
            else
            {
                waiter.Next = _readers;
                _readers = waiter;
                return waiter.AsValueTaskOfBool();
            }
        }

        // Decided without parking: complete the armed waiter outside the lock, which also disarms it.
        if (failure is null)
        {
            waiter.SetResult(result);
        }
        else
        {
            waiter.SetException(failure);
        }

        return waiter.AsValueTaskOfBool();
    }

    private ValueTask<bool> DoneReading() =>
        _doneWriting == s_completedNormally ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_doneWriting!);

    /// <summary>Reads the next item, waiting for one; throws <see cref="StreamClosedException"/> once completed and drained.</summary>
    public ValueTask<T> ReadAsync(CancellationToken cancellationToken)
    {
        if (!cancellationToken.IsCancellationRequested && TryRead(out var item))
        {
            return new ValueTask<T>(item);
        }

        return ReadAsyncSlow(cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> ReadAsyncSlow(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryRead(out var item))
            {
                return item;
            }

            bool more;
            try
            {
                more = await WaitToReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                throw CreateClosedException();
            }

            if (!more)
            {
                throw CreateClosedException();
            }
        }
    }

    /// <summary>Yields every item until the buffer is completed and drained; rethrows the completion error, if any.</summary>
    public async IAsyncEnumerable<T> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryRead(out var item))
            {
                yield return item;
            }
        }
    }

    /// <summary>
    /// Wakes every parked reader with <see langword="true"/> although nothing may have arrived: a deadline-bound reader
    /// (a canal's pull) re-checks its deadline. Readers must already tolerate a true wake with nothing to read, as
    /// with <c>ChannelReader.WaitToReadAsync</c> and several consumers.
    /// </summary>
    internal void WakeReaders()
    {
        if (_lane is not null)
        {
            LaneWakeReader(_lane);
            return;
        }

        AsyncWaiter<T>? readers;
        using (EnterLocked())
        {
            readers = _readers;
            _readers = null;
        }

        if (readers is not null)
        {
            WakeAll(readers);
        }
    }

    // ---- Completion ------------------------------------------------------------------------------------------

    /// <summary>
    /// Ends writing. Buffered items stay readable; parked writers are rejected as closed; parked readers and
    /// space waiters wake. Returns false if writing was already over.
    /// </summary>
    public bool TryComplete(Exception? error)
    {
        if (_lane is not null)
        {
            return LaneComplete(_lane, error);
        }

        AsyncWaiter<T>? readers;
        AsyncWaiter<T>? writers;
        AsyncWaiter<T>? space;
        object? signals;
        bool drained;
        using (EnterLocked())
        {
            if (_doneWriting is not null)
            {
                return false;
            }

            signals = TakeSignals();

            // An exchange (a full fence): in the shared mode readers take items without the lock, and the last of them
            // looks at _doneWriting after its claim, so either it sees the completion or the look below sees it drained.
            Interlocked.Exchange(ref _doneWriting, error ?? s_completedNormally);
            readers = _readers;
            writers = _writersHead;
            space = _spaceWaiters;
            _readers = _writersHead = _writersTail = _spaceWaiters = null;
            for (var w = writers; w is not null; w = w.Next)
            {
                CountRejectedLocked();
            }

            drained = !HasItemsLocked;
        }

        // Complete everything outside the lock: continuations run asynchronously, but SetResult still must not
        // be called while we hold the lock: a blocking waiter continues inline (BlockingWait), and no waiter may run under it.
        var closed = writers is null ? null : CreateClosedException();
        while (writers is not null)
        {
            var next = writers.Next;
            writers.SetException(closed!);
            writers = next;
        }

        // Parked readers and writers waiting for room learn the end the way a later WaitToReadAsync or WaitToWriteAsync
        // would: false after a normal completion, the completion error otherwise (as the runtime's channels do).
        foreach (var list in (ReadOnlySpan<AsyncWaiter<T>?>)[readers, space])
        {
            for (var waiter = list; waiter is not null;)
            {
                var next = waiter.Next;
                if (error is null)
                {
                    waiter.SetResult(false);
                }
                else
                {
                    waiter.SetException(error);
                }

                waiter = next;
            }
        }

        if (drained)
        {
            CompleteCompletionTask();
        }

        if (signals is not null)
        {
            FireAll(signals);
        }

        return true;
    }

    private void CompleteCompletionTask()
    {
        var error = _doneWriting;
        if (error is null || error == s_completedNormally)
        {
            _completion.TrySetResult();
        }
        else if (error is OperationCanceledException canceled)
        {
            _completion.TrySetCanceled(canceled.CancellationToken);
        }
        else
        {
            _completion.TrySetException(error);
        }
    }

    // ---- Waiters ---------------------------------------------------------------------------------------------

    /// <summary>A waiter's cancellation or timeout fired: unlink it if it is still parked, then fault it.</summary>
    internal void OnWaiterFired(AsyncWaiter<T> waiter)
    {
        if (_lane is not null)
        {
            LaneOnWaiterFired(waiter);
            return;
        }

        using (EnterLocked())
        {
            if (!Unlink(waiter))
            {
                // Already completed by another party, or not parked yet (the parking code checks Fired).
                return;
            }

            if (waiter.Kind == WaiterKind.Writer)
            {
                CountRejectedLocked();
            }
        }

        waiter.SetException(CreateFiredException(waiter));
    }

    internal void Return(AsyncWaiter<T> waiter)
    {
        if (waiter.Kind == WaiterKind.Reader)
        {
            Volatile.Write(ref _readerSingleton, waiter);
        }
        else
        {
            Volatile.Write(ref _writerSingleton, waiter);
        }
    }

    private Exception CreateFiredException(AsyncWaiter<T> waiter) =>
        waiter.Fired == 2
            ? new StreamOverflowException(Name, Policy, Capacity)
            : new OperationCanceledException(waiter.CancellationToken);

    private bool Unlink(AsyncWaiter<T> waiter)
    {
        switch (waiter.Kind)
        {
            case WaiterKind.Reader:
                return UnlinkFrom(ref _readers, waiter, out _);
            case WaiterKind.Space:
                return UnlinkFrom(ref _spaceWaiters, waiter, out _);
            default:
                if (!UnlinkFrom(ref _writersHead, waiter, out var previous))
                {
                    return false;
                }

                if (_writersTail == waiter)
                {
                    _writersTail = previous;
                }

                return true;
        }
    }

    private static bool UnlinkFrom(ref AsyncWaiter<T>? head, AsyncWaiter<T> waiter, out AsyncWaiter<T>? previous)
    {
        previous = null;
        for (var current = head; current is not null; previous = current, current = current.Next)
        {
            if (current == waiter)
            {
                if (previous is null)
                {
                    head = current.Next;
                }
                else
                {
                    previous.Next = current.Next;
                }

                current.Next = null;
                return true;
            }
        }

        return false;
    }

    private void AppendWriter(AsyncWaiter<T> waiter)
    {
        waiter.Next = null;
        if (_writersTail is null)
        {
            _writersHead = _writersTail = waiter;
        }
        else
        {
            _writersTail.Next = waiter;
            _writersTail = waiter;
        }
    }

    /// <summary>
    /// Under the lock: unlinks the oldest parked writer, whose item is about to enter, and appends it to the list
    /// (<paramref name="head"/> to <paramref name="tail"/>) of writers to complete once the lock is released.
    /// </summary>
    private AsyncWaiter<T> TakeOldestWriter(ref AsyncWaiter<T>? head, ref AsyncWaiter<T>? tail)
    {
        var parked = _writersHead!;
        _writersHead = parked.Next;
        if (_writersHead is null)
        {
            _writersTail = null;
        }

        parked.Next = null;
        if (tail is null)
        {
            head = parked;
        }
        else
        {
            tail.Next = parked;
        }

        tail = parked;
        return parked;
    }

    private static void WakeAll(AsyncWaiter<T> waiters)
    {
        for (AsyncWaiter<T>? w = waiters; w is not null;)
        {
            var next = w.Next;
            w.SetResult(true);
            w = next;
        }
    }

    // ---- Push-driven consumers (Rx operators, SubscribeAsync, the Dataflow block) --------------------------------
    // Added for the operator and Dataflow surfaces. An async reader parks an AsyncWaiter whose continuation runs on
    // the thread pool; a push-driven consumer instead needs the pushing thread itself to learn, synchronously and
    // only on the empty -> non-empty edge, that it must schedule a drain. That keeps virtual-time tests deterministic
    // (no thread-pool hop between a TestScheduler's producer and its drain) and costs the hot path nothing but a
    // null check under the lock it already holds.

    /// <summary>
    /// Arms <paramref name="signal"/> to fire once, on the pushing or completing thread after the lock is released,
    /// when the buffer stops being empty or writing ends. Returns false (and arms nothing) if the buffer already holds
    /// items or is completed: the caller must drain now instead of waiting. Arming an armed signal is a no-op.
    /// </summary>
    internal bool ArmReadSignal(ReadSignal signal)
    {
        if (_lane is not null)
        {
            return !IsCompleted && _lane.ArmReadSignal(signal, this);
        }

        using (EnterLocked())
        {
            if (HasItemsLocked || _doneWriting is not null)
            {
                return false;
            }

            if (!signal.IsArmed)
            {
                signal.IsArmed = true;
                signal.Next = _signals;
                _signals = signal;
            }

            return true;
        }
    }

    /// <summary>
    /// Unarms <paramref name="signal"/> (its consumer is going away). Returns whether it was armed, i.e. whether its
    /// consumer was idle rather than draining or about to drain.
    /// </summary>
    internal bool DisarmReadSignal(ReadSignal signal)
    {
        if (_lane is not null)
        {
            return _lane.DisarmReadSignal(signal);
        }

        lock (_lock)
        {
            if (!signal.IsArmed)
            {
                return false;
            }

            ReadSignal? previous = null;
            for (var current = _signals; current is not null; previous = current, current = current.Next)
            {
                if (current == signal)
                {
                    if (previous is null)
                    {
                        _signals = current.Next;
                    }
                    else
                    {
                        previous.Next = current.Next;
                    }

                    break;
                }
            }

            signal.IsArmed = false;
            signal.Next = null;
            return true;
        }
    }

    // Under the lock: detaches the armed signals. One signal (the common case) is returned as is; several are copied
    // to an array, because a fired signal may be re-armed (relinked through Next) before the firing loop reaches it.
    private object? TakeSignals()
    {
        var head = _signals;
        if (head is null)
        {
            return null;
        }

        _signals = null;
        if (head.Next is null)
        {
            head.IsArmed = false;
            return head;
        }

        var all = new List<ReadSignal>();
        for (var current = head; current is not null;)
        {
            var next = current.Next;
            current.IsArmed = false;
            current.Next = null;
            all.Add(current);
            current = next;
        }

        return all.ToArray();
    }

    private static void FireAll(object signals)
    {
        if (signals is ReadSignal single)
        {
            single.OnReadable();
            return;
        }

        foreach (var signal in (ReadSignal[])signals)
        {
            signal.OnReadable();
        }
    }

    /// <summary>
    /// The position of the oldest buffered item in the sequence of accepted items (0 for the first one ever
    /// accepted). Every item leaves from the head, read or evicted, so the head's position is that count.
    /// </summary>
    private long HeadPosition => _delivered + _dropOldestHits + _degradeHits;

    /// <summary>
    /// Reads up to <c>destination.Length</c> items under one lock (a drain loop pays one lock per batch, not per item),
    /// moving as many parked PauseUpstream writers' items into the room made. With <paramref name="expectedPosition"/>
    /// at 0 or above it reads only if the oldest item is still the one at that position (the Dataflow block's
    /// <c>ConsumeMessage</c>: an item offered earlier may have been read or evicted since). Returns the count read.
    /// </summary>
    internal int TryReadMany(Span<T> destination, long expectedPosition = -1)
    {
        if (_lane is not null)
        {
            Debug.Assert(expectedPosition < 0, "The lock-free mode reads only from the head, whatever its position.");
            var read = _lane.TryReadMany(destination);
            LaneAfterRead(_lane);
            return read;
        }

        if (_sharedLane is not null)
        {
            Debug.Assert(expectedPosition < 0, "The shared mode reads only from the head, whatever its position.");
            return SharedTryReadMany(_sharedLane, destination);
        }

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
                destination[count++] = _items.Dequeue();
                _delivered++;
                if (_writersHead is not null)
                {
                    _pushed++;
                    _items.Enqueue(TakeOldestWriter(ref handedOff, ref handedOffTail).Item);
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

    /// <summary>Peeks the oldest item and its position (see <see cref="TryReadMany"/>).</summary>
    internal bool TryPeekHead([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T item, out long position)
    {
        lock (_lock)
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

    /// <summary>
    /// Counts a Fail overflow decided by a surface that could not hand over the item (a Dataflow offer with
    /// <c>consumeToAccept</c>, which is declined without consuming the message), keeping the counters conserved.
    /// </summary>
    internal void CountFailOverflow()
    {
        using (EnterLocked())
        {
            if (_sharedLane is not null)
            {
                _sharedLane.CountRejected(overflow: true);
                return;
            }

            _pushed++;
            _failOverflows++;
        }
    }

    /// <summary>The error writing ended with; null while writing goes on or after a normal completion.</summary>
    internal Exception? CompletionError
    {
        get
        {
            var error = Volatile.Read(ref _doneWriting);
            return error == s_completedNormally ? null : error;
        }
    }

    /// <summary>
    /// Counts a PauseUpstream wait decided by a surface that waits outside the engine (the Dataflow block postpones an
    /// offer instead of parking a writer). Only the counter moves: the item is counted as pushed when it enters.
    /// </summary>
    internal void CountPauseUpstreamBlock()
    {
        if (_lane is not null)
        {
            // Called by the one producer, which owns the lane's producer counters.
            _lane.CountPauseBlock();
            return;
        }

        lock (_lock)
        {
            if (_sharedLane is not null)
            {
                _sharedLane.CountPauseBlock();
                return;
            }

            _pauseBlocks++;
        }
    }

    // ---- Errors and metrics ----------------------------------------------------------------------------------

    internal Exception CreateClosedException()
    {
        var error = _doneWriting;
        return new StreamClosedException(Name, error is null || error == s_completedNormally ? null : error);
    }

    /// <summary>The exception a throwing path raises for a rejected push.</summary>
    public Exception CreateException(PushResult result) => result.Status switch
    {
        PushStatus.Overflow or PushStatus.Full => new StreamOverflowException(Name, Policy, Capacity),
        PushStatus.Closed => CreateClosedException(),
        PushStatus.MissingDegrader => new MissingDegraderException(Name, Capacity),
        PushStatus.DegraderFailed => new InvalidOperationException($"The degrader of stream '{Name}' threw; the item was rejected and nothing was evicted.", result.Error),
        _ => new InvalidOperationException($"Push to stream '{Name}' did not fail ({result.Status})."),
    };

    public StreamMetricsSnapshot GetMetrics()
    {
        if ((_lane ?? _sharedLane) is { } lane)
        {
            return lane.ReadCounters();
        }

        lock (_lock)
        {
            return new StreamMetricsSnapshot(
                _pushed, _delivered, _dropOldestHits, _degradeHits, _pauseBlocks, _failOverflows, _rejected, _items.Count);
        }
    }

    StreamMetricsSnapshot IStreamMetricsSource.ReadRacy() => (_lane ?? _sharedLane) is { } lane ? lane.ReadCounters() : new(
        Volatile.Read(ref _pushed),
        Volatile.Read(ref _delivered),
        Volatile.Read(ref _dropOldestHits),
        Volatile.Read(ref _degradeHits),
        Volatile.Read(ref _pauseBlocks),
        Volatile.Read(ref _failOverflows),
        Volatile.Read(ref _rejected),
        _items.Count);

    /// <summary>
    /// Enters the lock for a region that keeps the engine's invariants: they are checked (in DEBUG builds) on entry and
    /// again when the region is left, by whatever path. Release builds take the lock exactly as a <c>lock</c> statement.
    /// </summary>
    private InvariantScope EnterLocked()
    {
        var scope = _lock.EnterScope();
        AssertInvariants();
        return new InvariantScope(this, scope);
    }

    /// <summary>A locked region (<see cref="EnterLocked"/>): checks the invariants, then releases the lock.</summary>
    private ref struct InvariantScope
    {
        private readonly BoundedBuffer<T> _owner;
        private Lock.Scope _scope;

        public InvariantScope(BoundedBuffer<T> owner, Lock.Scope scope)
        {
            _owner = owner;
            _scope = scope;
        }

        public void Dispose()
        {
            _owner.AssertInvariants();
            _scope.Dispose();
        }
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_lane is null, "The lock-free mode has no lock: a position-checked read (the Dataflow block's) needs the locked mode.");
        Debug.Assert(_lock.IsHeldByCurrentThread, "The lock protects every field.");
        Debug.Assert(_doneWriting is null || (_writersHead is null && _readers is null), "Completion releases every parked writer and reader.");
        Debug.Assert(_writersHead is null || Policy == BackpressurePolicy.PauseUpstream, "Writers park only under PauseUpstream.");
        if (_sharedLane is not null)
        {
            // Readers take items without the lock, so only what they cannot change is checked: nothing enters but
            // under the lock, and whoever puts items in wakes the parked readers.
            Debug.Assert(_readers is null || _sharedLane.IsEmpty, "Readers park only on an empty buffer.");
            return;
        }

        Debug.Assert(_items.Count <= Capacity, "The buffer never holds more than its capacity.");
        Debug.Assert(_readers is null || _items.Count == 0, "Readers park only on an empty buffer.");
        Debug.Assert(_signals is null || (_items.Count == 0 && _doneWriting is null), "Read signals are armed only on an empty, open buffer.");
        Debug.Assert(_writersHead is null || _items.Count == Capacity, "Writers park only on a full buffer.");
        Debug.Assert(_pushed == _delivered + _dropOldestHits + _degradeHits + _failOverflows + _rejected + _items.Count, "Conservation.");
    }
}

/// <summary>
/// A push-driven consumer's one-shot wake-up (see <see cref="BoundedBuffer{T}.ArmReadSignal"/>). Fired on the thread
/// that pushed into the empty buffer or completed it, after the buffer's lock is released; it should only schedule
/// work. A consumer must tolerate a signal that finds nothing to read (another reader was faster).
/// </summary>
internal abstract class ReadSignal
{
    /// <summary>The next armed signal of the same buffer; guarded by the buffer's lock.</summary>
    internal ReadSignal? Next;

    /// <summary>Whether the signal is linked into a buffer's armed list; guarded by the buffer's lock.</summary>
    internal bool IsArmed;

    /// <summary>The buffer has items, or writing is over.</summary>
    protected internal abstract void OnReadable();
}
