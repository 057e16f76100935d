using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Reactive.Streams.Internal;

/// <summary>
/// The engine's lock-free mode (<see cref="SingleProducerLane{T}"/>): the same decisions and counters as the locked mode,
/// for one producer and one consumer at a time. The Rx policy operators and <c>SubscribeAsync</c> use it always (the Rx
/// grammar gives them one producer), streams and channels when their options promise a single writer and a single reader.
/// </summary>
/// <remarks>
/// Waiting without a lock: at most one reader and one writer can be parked (there is one of each). Each parks by
/// publishing its waiter in a slot with a full fence and then looking again; the other side, after it changed the
/// buffer, takes the waiter out of the slot with an atomic exchange and completes it. Whoever takes a waiter out of its
/// slot (the other side, completion, or its own cancellation) completes it, exactly once. The reader's slot is the lane's
/// read signal (<see cref="LaneReadWaiter"/>), so the producer's per-push check is the one it already makes for the
/// operators.
/// </remarks>
internal sealed partial class BoundedBuffer<T>
{
    // A writer parked for room (PushAsync or WaitToPushAsync under PauseUpstream or Fail); taken by the reader that makes room.
    private AsyncWaiter<T>? _laneRoomWaiter;

    // The slot of the reader parked in WaitToReadAsync, armed as the lane's read signal; created on the first wait.
    private LaneReadWaiter? _laneReadWaiter;

    /// <summary>
    /// <see cref="TryPush"/> in the lock-free mode: the same decisions as <see cref="PushCore"/> and
    /// <see cref="PushDegraded"/>, made by the one producer against the lane. Evicting claims the oldest item the way a
    /// read does, so a consumer that took items meanwhile turns the eviction into a plain enqueue, as the locked mode's
    /// re-decision does.
    /// </summary>
    private PushResult LanePush(SingleProducerLane<T> lane, T item)
    {
        switch (Decide(lane.HasRoom(), canWait: false))
        {
            case PushAction.Enqueue:
                lane.Enqueue(item);
                return PushResult.Enqueued;

            case PushAction.EvictOldest:
                return LaneReplaceOldest(lane, item, item, degrade: false);

            case PushAction.Degrade:
                return TryDegrade(item, out var degraded, out var failed)
                    ? LaneReplaceOldest(lane, item, degraded, degrade: true)
                    : failed;

            case var rejection:
                // PauseUpstream answers Full: the lane never parks a writer (it has no PauseUpstream timeout), so the
                // caller waits for room and retries.
                return RejectLocked(rejection);
        }
    }

    /// <summary>Evicts the oldest item and enqueues <paramref name="replacement"/> in its place (DropOldest, DegradeQuality).</summary>
    private PushResult LaneReplaceOldest(SingleProducerLane<T> lane, T original, T replacement, bool degrade)
    {
        if (!lane.TryEvictOldest(out var evicted))
        {
            // The consumer made room meanwhile (while the degrader ran, say): no overflow any more, so the original goes in.
            lane.Enqueue(original);
            return PushResult.Enqueued;
        }

        lane.CountEvicted(degrade);
        lane.Enqueue(replacement);
        _onDropped?.Invoke(evicted);
        return new PushResult(degrade ? PushStatus.Degraded : PushStatus.DroppedOldest);
    }

    /// <summary><see cref="TryComplete"/> in the lock-free mode, where no reader or writer is ever parked in the engine.</summary>
    private bool LaneComplete(SingleProducerLane<T> lane, Exception? error)
    {
        if (Interlocked.CompareExchange(ref _doneWriting, error ?? s_completedNormally, null) is not null)
        {
            return false;
        }

        // The exchange above is a full fence, and so is the consumer's claim: either this sees the last read empty the
        // buffer, or that read sees the completion (TryReadMany completes the task then).
        if (lane.IsEmpty)
        {
            CompleteCompletionTask();
        }

        lane.TakeSignal()?.OnReadable();

        // A parked writer retries and finds the buffer closed (its push is rejected and counted, as in the locked mode).
        if (Interlocked.Exchange(ref _laneRoomWaiter, null) is { } writer)
        {
            writer.SetResult(true);
        }

        return true;
    }

    // ---- Stream and channel faces in the lock-free mode ---------------------------------------------------------

    /// <summary><see cref="PushAsync(T, CancellationToken, bool)"/> in the lock-free mode.</summary>
    private ValueTask LanePushAsync(SingleProducerLane<T> lane, T item, CancellationToken cancellationToken, bool blocking)
    {
        var result = LanePush(lane, item);
        if (result.Status == PushStatus.Full)
        {
            return LanePushWhenRoom(lane, item, cancellationToken, blocking);
        }

        return result.IsAccepted ? default : ValueTask.FromException(CreateException(result));
    }

    /// <summary>
    /// PauseUpstream with a full buffer: wait for a read to make room, then push again; one pause counted. The lane has
    /// one producer, so only it may push: a read wakes it to retry rather than moving its item in. A blocking caller
    /// waits right here (the method then never suspends and returns a completed task).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask LanePushWhenRoom(SingleProducerLane<T> lane, T item, CancellationToken cancellationToken, bool blocking)
    {
        lane.CountPauseBlock();
        while (true)
        {
            try
            {
                var room = LaneWaitForRoom(lane, cancellationToken, blocking);
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
                // As in the locked mode, a cancelled wait rejects the item, and the rejection is counted.
                lane.CountRejected(overflow: false);
                throw;
            }

            var result = LanePush(lane, item);
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

    /// <summary><see cref="WaitToPushAsync"/> in the lock-free mode.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> LaneWaitToPushAsync(SingleProducerLane<T> lane, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Volatile.Read(ref _doneWriting) is { } done)
            {
                return done == s_completedNormally ? false : throw done;
            }

            if (!PushDecision.NeedsRoom(Policy) || lane.HasRoom())
            {
                return true;
            }

            await LaneWaitForRoom(lane, cancellationToken, blocking: false).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Parks the writer until a read makes room, writing ends, or <paramref name="cancellationToken"/> fires (then the
    /// task faults with <see cref="OperationCanceledException"/>). May complete with nothing changed; callers re-check.
    /// </summary>
    private ValueTask<bool> LaneWaitForRoom(SingleProducerLane<T> lane, CancellationToken cancellationToken, bool blocking)
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
        Interlocked.Exchange(ref _laneRoomWaiter, waiter);
        if ((lane.HasRoom() || IsCompleted || waiter.Fired != 0) &&
            Interlocked.CompareExchange(ref _laneRoomWaiter, null, waiter) == waiter)
        {
            CompleteLaneWaiter(waiter, result: true);
        }

        return waiter.AsValueTaskOfBool();
    }

    /// <summary>After a read: wakes a writer parked for room.</summary>
    private void LaneAfterRead(SingleProducerLane<T> lane)
    {
        if (Volatile.Read(ref _laneRoomWaiter) is not null && Interlocked.Exchange(ref _laneRoomWaiter, null) is { } writer)
        {
            writer.SetResult(true);
        }

        if (IsCompleted && lane.IsEmpty)
        {
            CompleteCompletionTask();
        }
    }

    /// <summary><see cref="TryRead"/> in the lock-free and shared modes: a claim without a lock.</summary>
    private bool LaneTryRead(SingleProducerLane<T> lane, [MaybeNullWhen(false)] out T item)
    {
        Unsafe.SkipInit(out item);
        if (lane.TryReadMany(new Span<T>(ref item)) == 0)
        {
            item = default;
            if (IsCompleted && lane.IsEmpty)
            {
                CompleteCompletionTask();
            }

            return false;
        }

        if (_sharedLane is null)
        {
            LaneAfterRead(lane);
        }
        else
        {
            SharedAfterRead(lane);
        }

        return true;
    }

    /// <summary><see cref="WaitToReadAsync"/> in the lock-free mode.</summary>
    private ValueTask<bool> LaneWaitToReadAsync(SingleProducerLane<T> lane, CancellationToken cancellationToken)
    {
        if (!lane.IsEmpty)
        {
            return new ValueTask<bool>(true);
        }

        if (IsCompleted)
        {
            // Completion comes after the last push, so an empty look after seeing it is final.
            return lane.IsEmpty ? DoneReading() : new ValueTask<bool>(true);
        }

        var slot = _laneReadWaiter ??= new LaneReadWaiter(this);
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
            armed = lane.ArmReadSignal(slot, this);
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
            lane.DisarmReadSignal(slot);
            CompleteLaneReader(waiter);
        }

        return waiter.AsValueTaskOfBool();
    }

    // Caught on a best-effort basis: reads that overlap without waiting are not detected.
    internal InvalidOperationException SecondReader() => new(
        $"Stream '{Name}' was created for a single reader (SingleReader), and a second reader is waiting on it.");

    /// <summary>Completes a parked reader with what there is to say: an item (true), the end (false or the error).</summary>
    private void CompleteLaneReader(AsyncWaiter<T> waiter)
    {
        if (waiter.Fired != 0)
        {
            waiter.SetException(new OperationCanceledException(waiter.CancellationToken));
        }
        else if (!_lane!.IsEmpty || !IsCompleted)
        {
            // An item, or a wake-up with nothing (WakeReaders): a reader re-checks either way.
            waiter.SetResult(true);
        }
        else if (CompletionError is { } error)
        {
            waiter.SetException(error);
        }
        else
        {
            waiter.SetResult(false);
        }
    }

    private static void CompleteLaneWaiter(AsyncWaiter<T> waiter, bool result)
    {
        if (waiter.Fired != 0)
        {
            waiter.SetException(new OperationCanceledException(waiter.CancellationToken));
        }
        else
        {
            waiter.SetResult(result);
        }
    }

    /// <summary><see cref="WakeReaders"/> in the lock-free mode.</summary>
    private void LaneWakeReader(SingleProducerLane<T> lane)
    {
        if (_laneReadWaiter is { } slot && Interlocked.Exchange(ref slot.Waiter, null) is { } waiter)
        {
            lane.DisarmReadSignal(slot);
            waiter.SetResult(true);
        }
    }

    /// <summary>A parked waiter's cancellation fired: complete it if it is still in its slot (else its taker does).</summary>
    private void LaneOnWaiterFired(AsyncWaiter<T> waiter)
    {
        if (waiter.Kind == WaiterKind.Reader)
        {
            if (_laneReadWaiter is { } slot && Interlocked.CompareExchange(ref slot.Waiter, null, waiter) == waiter)
            {
                _lane!.DisarmReadSignal(slot);
                waiter.SetException(new OperationCanceledException(waiter.CancellationToken));
            }
        }
        else if (Interlocked.CompareExchange(ref _laneRoomWaiter, null, waiter) == waiter)
        {
            waiter.SetException(new OperationCanceledException(waiter.CancellationToken));
        }
    }

    /// <summary>
    /// The reader's slot, armed as the lane's read signal: fired by the push that makes the buffer non-empty, or by the
    /// completion, on the firing thread; it completes the parked reader, whose continuation runs asynchronously.
    /// </summary>
    private sealed class LaneReadWaiter(BoundedBuffer<T> owner) : ReadSignal
    {
        /// <summary>The parked reader; whoever exchanges it out completes it.</summary>
        public AsyncWaiter<T>? Waiter;

        protected internal override void OnReadable()
        {
            if (Interlocked.Exchange(ref Waiter, null) is { } waiter)
            {
                owner.CompleteLaneReader(waiter);
            }
        }
    }
}
