namespace Reactive.Streams;

/// <summary>
/// A snapshot of one stream's counters. Whenever no push or read is in flight (and at every snapshot of a Dataflow
/// block, whose engine takes one lock),
/// <c><see cref="ItemsPushed"/> = <see cref="ItemsDelivered"/> + <see cref="ItemsEvicted"/> + <see cref="ItemsFailed"/> + <see cref="Depth"/></c>
/// (<see cref="IsConserved"/>); streams, channels and operators read without a lock, so a snapshot taken while items
/// move can be off by the items in flight.
/// </summary>
/// <param name="ItemsPushed">Pushes that were decided: accepted, evicting or rejected (<c>reactive_streams.stream.items.pushed</c>). A PauseUpstream
/// push is counted when its item enters the buffer or is rejected, not while it waits; a non-waiting push that found a
/// PauseUpstream buffer full (<see cref="PushStatus.Full"/>) is not counted, because the caller keeps the item.</param>
/// <param name="ItemsDelivered">Items read out of the buffer (<c>reactive_streams.stream.items.delivered</c>).</param>
/// <param name="DropOldestHits">Items evicted by <see cref="BackpressurePolicy.DropOldest"/> (<c>reactive_streams.stream.items.dropped</c>).</param>
/// <param name="DegradeQualityHits">Items evicted by <see cref="BackpressurePolicy.DegradeQuality"/>, each replaced by a degraded item (<c>reactive_streams.stream.items.degraded</c>).</param>
/// <param name="PauseUpstreamBlocks">Pushes that found the buffer full under <see cref="BackpressurePolicy.PauseUpstream"/>: each wait for room, and each push a zero pause timeout refused at once (also counted in <see cref="ItemsRejected"/>) (<c>reactive_streams.stream.pushes.paused</c>).</param>
/// <param name="FailOverflows">Pushes rejected by <see cref="BackpressurePolicy.Fail"/> (<c>reactive_streams.stream.overflows</c>).</param>
/// <param name="ItemsRejected">Pushes rejected for any other reason: the stream was completed, the wait was cancelled or
/// timed out, the degrader was missing or threw (<c>reactive_streams.stream.items.rejected</c>).</param>
/// <param name="Depth">Items buffered at the moment of the snapshot (<c>reactive_streams.stream.depth</c>).</param>
public readonly record struct StreamMetricsSnapshot(
    long ItemsPushed,
    long ItemsDelivered,
    long DropOldestHits,
    long DegradeQualityHits,
    long PauseUpstreamBlocks,
    long FailOverflows,
    long ItemsRejected,
    int Depth)
{
    /// <summary>Items evicted to make room: <see cref="DropOldestHits"/> + <see cref="DegradeQualityHits"/>.</summary>
    public long ItemsEvicted => DropOldestHits + DegradeQualityHits;

    /// <summary>Pushes that were rejected: <see cref="FailOverflows"/> + <see cref="ItemsRejected"/>.</summary>
    public long ItemsFailed => FailOverflows + ItemsRejected;

    /// <summary>Whether <c>pushed = delivered + evicted + failed + depth</c> holds.</summary>
    public bool IsConserved => ItemsPushed == ItemsDelivered + ItemsEvicted + ItemsFailed + Depth;
}
