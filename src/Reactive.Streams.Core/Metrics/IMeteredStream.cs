namespace Reactive.Streams;

/// <summary>
/// A buffer with a backpressure policy whose counters can be read: every surface of the library is one —
/// <see cref="BoundedStream{T}"/>, a channel from <see cref="BackpressureChannel"/>, <see cref="BackpressureBlock{T}"/>,
/// the subscription that a policy operator's <c>Subscribe</c> returns (<c>WithBackpressure</c>, <c>DropOldest</c>, …),
/// <see cref="BackpressureSubscription"/>, <see cref="BackpressureObserver{T}"/>, and a generated sink adapter.
/// </summary>
/// <remarks>
/// The same counters are published on the <c>Reactive.Streams</c> meter (<see cref="StreamMeter"/>), where buffers that
/// share a name and a policy are summed into one series; this snapshot is always this one buffer's.
/// </remarks>
public interface IMeteredStream
{
    /// <summary>The buffer's name (the <c>reactive_streams.stream.name</c> tag of its metrics, and the name its errors carry).</summary>
    string Name { get; }

    /// <summary>What the buffer does when it is full and an item arrives.</summary>
    BackpressurePolicy Policy { get; }

    /// <summary>How many items the buffer holds at most.</summary>
    int Capacity { get; }

    /// <summary>A snapshot of the buffer's counters, conserved whenever no item is in flight (<see cref="StreamMetricsSnapshot"/>).</summary>
    /// <returns>The snapshot.</returns>
    StreamMetricsSnapshot GetMetrics();
}
