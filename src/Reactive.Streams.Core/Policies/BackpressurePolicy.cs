namespace Reactive.Streams;

/// <summary>
/// What a bounded buffer does when it is full and another item arrives. The set is closed: every
/// stream, operator, block and channel in this library has exactly one of these.
/// </summary>
public enum BackpressurePolicy
{
    /// <summary>
    /// The oldest buffered item is evicted (and handed to the stream's <c>onDropped</c> callback, if any);
    /// the new item is enqueued. Producers never wait. Counted as <c>reactive_streams.stream.items.dropped</c>.
    /// </summary>
    DropOldest = 0,

    /// <summary>
    /// The oldest buffered item is evicted and <c>degrader(newItem)</c> is enqueued instead of the new item.
    /// The degrader runs only on overflow; a stream with no degrader at that moment reports a
    /// <see cref="MissingDegraderException"/>. Counted as <c>reactive_streams.stream.items.degraded</c>.
    /// </summary>
    DegradeQuality = 1,

    /// <summary>
    /// The producer waits until there is room: asynchronous pushes await, a synchronous <c>OnNext</c> blocks.
    /// An optional timeout turns a wait that is too long into a <see cref="StreamOverflowException"/>.
    /// Counted as <c>reactive_streams.stream.pushes.paused</c>.
    /// </summary>
    PauseUpstream = 2,

    /// <summary>
    /// The push fails with a <see cref="StreamOverflowException"/> naming the policy and capacity; nothing
    /// is enqueued. Counted as <c>reactive_streams.stream.overflows</c>.
    /// </summary>
    Fail = 3,
}
