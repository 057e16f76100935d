namespace Reactive.Streams;

/// <summary>What a dispatch does when a sink's queue is full.</summary>
public enum OnFull
{
    /// <summary>
    /// The dispatch waits for room (at-least-once): a stalled sink eventually backpressures the pipeline. The sink's
    /// queue is a <see cref="BackpressurePolicy.PauseUpstream"/> buffer.
    /// </summary>
    Block = 0,

    /// <summary>
    /// The dispatch drops the new item for this sink and counts it (<c>reactive_streams.delivery.items.dropped</c>): at-most-once, never
    /// stalls. A dropped item counts as committed by the sink, so it does not hold the acknowledgement back. The sink's
    /// queue is a <see cref="BackpressurePolicy.Fail"/> buffer pushed without waiting.
    /// </summary>
    Drop = 1,
}
