namespace Reactive.Streams;

/// <summary>
/// A snapshot of one sink's delivery counters (<see cref="DeliveryDispatcher{T}.GetSinkMetrics"/>), the same values the
/// <c>delivery.*</c> instruments publish. Each value is current; the set is not taken atomically.
/// </summary>
/// <param name="SinkName">The sink.</param>
/// <param name="Delivered">Items the sink committed (<c>delivery.delivered</c>).</param>
/// <param name="Dropped">Items dropped under <see cref="OnFull.Drop"/> because the queue was full (<c>delivery.dropped</c>).</param>
/// <param name="Retries">Retries after transient failures (<c>delivery.retries</c>).</param>
/// <param name="DeadLettered">Items handed to the dead-letter sink (<c>delivery.dead_lettered</c>).</param>
/// <param name="Discarded">Items that failed terminally with no dead-letter sink, or whose dead-lettering failed
/// (<c>delivery.discarded</c>).</param>
/// <param name="QueueDepth">Items waiting in the sink's queue (<c>delivery.queue_depth</c>).</param>
public readonly record struct DeliverySinkMetrics(
    string SinkName,
    long Delivered,
    long Dropped,
    long Retries,
    long DeadLettered,
    long Discarded,
    int QueueDepth);
