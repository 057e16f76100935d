namespace Reactive.Streams.Internal;

/// <summary>
/// How a <see cref="BoundedBuffer{T}"/> synchronizes its writers and readers: the mode a surface asks
/// <see cref="BoundedBuffer.Create{T}"/> for, which picks the sealed type (and applies the fallbacks).
/// </summary>
internal enum BufferMode
{
    /// <summary>
    /// One lock around every operation (<see cref="LockedBuffer{T}"/>). The only mode with position-checked reads (the
    /// Dataflow block), and the fallback of the others for capacities above <see cref="SingleProducerLane{T}.MaxCapacity"/>.
    /// </summary>
    Locked,

    /// <summary>
    /// Any number of writers and readers: writers take the lock, readers claim items without it
    /// (<see cref="SharedLaneBuffer{T}"/>). Streams and channels by default.
    /// </summary>
    SharedLane,

    /// <summary>
    /// No lock: one producer and one consumer at a time (<see cref="SingleLaneBuffer{T}"/>). The Rx policy operators
    /// and <c>SubscribeAsync</c>, whose one producer is known by construction (streams and channels do not use it, even
    /// on a <c>SingleWriter</c> and <c>SingleReader</c> promise; the tests create them on it).
    /// </summary>
    SingleLane,
}
