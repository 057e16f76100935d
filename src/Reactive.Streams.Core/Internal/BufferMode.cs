namespace Reactive.Streams.Internal;

/// <summary>How a <see cref="BoundedBuffer{T}"/> synchronizes its writers and readers.</summary>
internal enum BufferMode
{
    /// <summary>
    /// One lock around every operation. The only mode with position-checked reads (the Dataflow block), and the
    /// fallback of the others for capacities above <see cref="SingleProducerLane{T}.MaxCapacity"/>.
    /// </summary>
    Locked,

    /// <summary>
    /// Any number of writers and readers: writers take the lock, readers claim items without it
    /// (<c>BoundedBuffer.Shared.cs</c>). Streams and channels by default.
    /// </summary>
    SharedLane,

    /// <summary>
    /// No lock: one producer and one consumer at a time (<see cref="SingleProducerLane{T}"/>). The Rx policy operators
    /// and <c>SubscribeAsync</c>, and streams and channels that promise <c>SingleWriter</c> and <c>SingleReader</c>.
    /// </summary>
    SingleLane,
}
