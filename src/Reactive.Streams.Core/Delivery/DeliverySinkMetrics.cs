namespace Reactive.Streams;

/// <summary>
/// A snapshot of one sink's delivery counters (<see cref="DeliveryDispatcher{T}.GetSinkMetrics"/>), the same values the
/// <c>reactive_streams.delivery.*</c> instruments publish. Each value is current; the set is not taken atomically.
/// </summary>
/// <param name="SinkName">The sink.</param>
/// <param name="Delivered">Items the sink committed (<c>reactive_streams.delivery.items.delivered</c>).</param>
/// <param name="Dropped">Items dropped under <see cref="OnFull.Drop"/> because the queue was full (<c>reactive_streams.delivery.items.dropped</c>).</param>
/// <param name="Retries">Retries of writes to this sink after transient failures (<c>reactive_streams.delivery.retries</c>); the retries of a dead letter written for it are not counted here.</param>
/// <param name="DeadLettered">Items handed to the dead-letter sink (<c>reactive_streams.delivery.items.dead_lettered</c>).</param>
/// <param name="Discarded">Items that failed terminally with no dead-letter sink, or whose dead-lettering failed
/// (<c>reactive_streams.delivery.items.discarded</c>).</param>
/// <param name="QueueDepth">Items waiting in the sink's queue (<c>reactive_streams.delivery.queue.depth</c>).</param>
public readonly record struct DeliverySinkMetrics(
    string SinkName,
    long Delivered,
    long Dropped,
    long Retries,
    long DeadLettered,
    long Discarded,
    int QueueDepth);
