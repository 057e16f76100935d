using System.Runtime.CompilerServices;

namespace Reactive.Streams.Internal;

/// <summary>What a push does to the buffer: the policy's answer, before any mode stores, evicts or parks anything.</summary>
internal enum PushAction : byte
{
    /// <summary>There is room: the item goes in.</summary>
    Enqueue,

    /// <summary>Full under DropOldest: the oldest item is evicted and the new one goes in.</summary>
    EvictOldest,

    /// <summary>
    /// Full under DegradeQuality with a degrader: the degrader runs (outside any lock), then the oldest item is evicted
    /// and the degraded one goes in; a mode re-decides after the degrader ran, since a read may have made room meanwhile.
    /// </summary>
    Degrade,

    /// <summary>Full under PauseUpstream and the caller can wait: the writer waits for room (parks, or blocks).</summary>
    Wait,

    /// <summary>Full under PauseUpstream and the caller cannot wait: nothing is taken or counted (<see cref="PushStatus.Full"/>).</summary>
    Full,

    /// <summary>Writing is over: the item is rejected as closed.</summary>
    RejectClosed,

    /// <summary>Full under Fail: the item is rejected as an overflow.</summary>
    RejectOverflow,

    /// <summary>Full under PauseUpstream with a zero timeout: the wait is over before it starts, so the item is rejected as an overflow.</summary>
    RejectTimedOut,

    /// <summary>Full under DegradeQuality without a degrader: the item is rejected.</summary>
    RejectMissingDegrader,
}

/// <summary>
/// The one place where a policy decides what a push does to a full or empty buffer. Every engine mode (locked, shared,
/// lock-free) and every surface (the Dataflow block's offers, the channel writer's <c>WaitToWriteAsync</c>, the Rx
/// producers) asks this instead of switching on the policy itself, so a policy behaves the same wherever it is used; the
/// modes differ only in how they store items, count and wait.
/// </summary>
internal static class PushDecision
{
    /// <summary>Decides a push.</summary>
    /// <param name="policy">The buffer's policy.</param>
    /// <param name="closed">Whether writing is over.</param>
    /// <param name="hasRoom">Whether an item could go in now without evicting (a mode with parked writers says no: they go first).</param>
    /// <param name="hasDegrader">Whether a degrader is set.</param>
    /// <param name="canWait">Whether the caller can wait for room (an async push or a blocking producer; not <c>TryPush</c>).</param>
    /// <param name="zeroTimeout">Whether the PauseUpstream timeout is zero.</param>
    // Inlined on every push path whatever the profile says (SingleProducerLane.HasRoom).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PushAction Decide(BackpressurePolicy policy, bool closed, bool hasRoom, bool hasDegrader, bool canWait, bool zeroTimeout)
    {
        if (closed)
        {
            return PushAction.RejectClosed;
        }

        if (hasRoom)
        {
            return PushAction.Enqueue;
        }

        return policy switch
        {
            BackpressurePolicy.DropOldest => PushAction.EvictOldest,
            BackpressurePolicy.DegradeQuality => hasDegrader ? PushAction.Degrade : PushAction.RejectMissingDegrader,
            BackpressurePolicy.PauseUpstream => !canWait ? PushAction.Full : zeroTimeout ? PushAction.RejectTimedOut : PushAction.Wait,
            _ => PushAction.RejectOverflow,
        };
    }

    /// <summary>
    /// Whether a writer that wants its next push to succeed must wait for room (<c>WaitToWriteAsync</c>): wherever the
    /// policy neither evicts nor degrades to make room. DegradeQuality without a degrader is such a policy: a push to a
    /// full buffer is rejected (<see cref="PushAction.RejectMissingDegrader"/>), so answering "room" there at once would
    /// send a <c>WaitToWriteAsync</c>-then-<c>TryWrite</c> loop spinning until a reader made room.
    /// </summary>
    public static bool NeedsRoom(BackpressurePolicy policy, bool hasDegrader) =>
        policy is BackpressurePolicy.PauseUpstream or BackpressurePolicy.Fail ||
        (policy == BackpressurePolicy.DegradeQuality && !hasDegrader);

    /// <summary>The status a non-throwing push reports for a decision that ends it without storing anything.</summary>
    public static PushStatus RejectionStatus(PushAction action) => action switch
    {
        PushAction.Full => PushStatus.Full,
        PushAction.RejectClosed => PushStatus.Closed,
        PushAction.RejectOverflow or PushAction.RejectTimedOut => PushStatus.Overflow,
        PushAction.RejectMissingDegrader => PushStatus.MissingDegrader,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Not a rejection."),
    };
}
