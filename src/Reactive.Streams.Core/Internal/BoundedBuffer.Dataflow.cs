using System.Diagnostics;

namespace Reactive.Streams.Internal;

internal sealed partial class BoundedBuffer<T>
{
    /// <summary>
    /// The decision (<see cref="PushDecision"/>) a push would get now, for an item that is not in hand yet: a Dataflow offer with
    /// <c>consumeToAccept</c>, or a postponed offer about to be consumed, must know whether it will be accepted before it
    /// takes the message from its source. An accepting status takes and counts nothing (the item is counted when it is
    /// pushed). With <paramref name="countRejection"/> an <see cref="PushStatus.Overflow"/>, <see cref="PushStatus.Closed"/>
    /// or <see cref="PushStatus.MissingDegrader"/> is counted as the push would count it, because the offer is rejected
    /// for good; <see cref="PushStatus.Full"/> counts nothing, as for <see cref="TryPush"/>. Without
    /// <paramref name="countOverflow"/> an overflow is not counted either: the offer's source keeps the message and may
    /// offer it again.
    /// </summary>
    /// <remarks>
    /// Room found here may be taken by a concurrent push before the item arrives; a push that then finds the buffer full
    /// is decided by <see cref="TryPush"/> as any other (a PauseUpstream caller parks through <see cref="PushAsync(T, CancellationToken)"/>).
    /// Locked and shared modes only: the lock-free mode has one producer, which needs no look-ahead.
    /// </remarks>
    internal PushResult Admit(bool countRejection, bool countOverflow = true)
    {
        Debug.Assert(_lane is null, "The lock-free mode has no lock to decide under.");
        using (EnterLocked())
        {
            var action = Decide(HasRoomLocked, canWait: false);
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
    /// Drops every buffered item of a completed buffer, counting each as rejected, so the depth says what is left (nothing)
    /// and the counters still add up: a faulted Dataflow block drops its messages, as <c>BufferBlock</c> does. Returns how
    /// many were dropped.
    /// </summary>
    internal int DiscardBuffered()
    {
        Debug.Assert(_lane is null && _sharedLane is null, "Only the locked mode (the Dataflow block's) discards.");
        int dropped;
        using (EnterLocked())
        {
            Debug.Assert(_doneWriting is not null, "Only a completed buffer discards: no writer can be parked.");
            dropped = _items.Count;
            while (_items.Count > 0)
            {
                _items.Dequeue();
            }

            _rejected += dropped;
        }

        CompleteCompletionTask();
        return dropped;
    }

    /// <summary>
    /// Counts a push that waited outside the engine and was withdrawn before it entered (a postponed Dataflow offer whose
    /// source no longer has the message, such as a cancelled <c>SendAsync</c>), as a cancelled push is counted.
    /// </summary>
    internal void CountWithdrawnWait()
    {
        using (EnterLocked())
        {
            CountRejectedLocked();
        }
    }

    /// <summary>How long a PauseUpstream wait may last before it fails as an overflow; null to wait for ever.</summary>
    internal TimeSpan? PauseTimeout => _pauseTimeout;

    /// <summary>The clock the PauseUpstream timeout runs on.</summary>
    internal TimeProvider TimeProvider => _timeProvider;
}
