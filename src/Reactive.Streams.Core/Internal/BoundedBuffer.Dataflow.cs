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
    /// for good; <see cref="PushStatus.Full"/> counts nothing, as for <see cref="TryPush"/>.
    /// </summary>
    /// <remarks>
    /// Room found here may be taken by a concurrent push before the item arrives; a push that then finds the buffer full
    /// is decided by <see cref="TryPush"/> as any other (a PauseUpstream caller parks through <see cref="PushAsync(T, CancellationToken)"/>).
    /// Locked and shared modes only: the lock-free mode has one producer, which needs no look-ahead.
    /// </remarks>
    internal PushResult Admit(bool countRejection)
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
                _ when countRejection => RejectLocked(action),
                _ => new PushResult(PushDecision.RejectionStatus(action)),
            };
        }
    }
}
