using System.Threading.Channels;

namespace Reactive.Streams;

/// <summary>
/// A push was rejected because the buffer was full: under <see cref="BackpressurePolicy.Fail"/> at once,
/// under <see cref="BackpressurePolicy.PauseUpstream"/> when the wait outlasted the stream's timeout.
/// </summary>
public sealed class StreamOverflowException : InvalidOperationException
{
    /// <summary>Creates the exception for a stream named <paramref name="streamName"/>.</summary>
    /// <param name="streamName">The stream whose buffer was full.</param>
    /// <param name="policy">The policy that rejected the item.</param>
    /// <param name="capacity">The capacity of the full buffer.</param>
    /// <exception cref="ArgumentNullException"><paramref name="streamName"/> is null.</exception>
    public StreamOverflowException(string streamName, BackpressurePolicy policy, int capacity)
        : base(policy == BackpressurePolicy.PauseUpstream
            ? $"Stream '{streamName}' stayed full (capacity {capacity}) longer than its PauseUpstream timeout; the item was not enqueued."
            : $"Stream '{streamName}' is full (capacity {capacity}) and its policy {policy} rejects the item; nothing was enqueued.")
    {
        ArgumentNullException.ThrowIfNull(streamName);
        StreamName = streamName;
        Policy = policy;
        Capacity = capacity;
    }

    /// <summary>The exception with a message of the library's choosing (a non-waiting push that found the buffer full).</summary>
    internal StreamOverflowException(string streamName, BackpressurePolicy policy, int capacity, string message)
        : base(message)
    {
        StreamName = streamName;
        Policy = policy;
        Capacity = capacity;
    }

    /// <summary>The stream whose buffer was full.</summary>
    public string StreamName { get; }

    /// <summary>The policy that rejected the item.</summary>
    public BackpressurePolicy Policy { get; }

    /// <summary>The capacity of the full buffer.</summary>
    public int Capacity { get; }
}

/// <summary>
/// A <see cref="BackpressurePolicy.DegradeQuality"/> stream overflowed and had no degrader to apply. The item
/// was not enqueued and nothing was evicted.
/// </summary>
public sealed class MissingDegraderException : InvalidOperationException
{
    /// <summary>Creates the exception for a stream named <paramref name="streamName"/>.</summary>
    /// <param name="streamName">The stream that overflowed.</param>
    /// <param name="capacity">Its capacity.</param>
    /// <exception cref="ArgumentNullException"><paramref name="streamName"/> is null.</exception>
    public MissingDegraderException(string streamName, int capacity)
        : base($"Stream '{streamName}' (capacity {capacity}) overflowed under DegradeQuality but has no degrader; the item was not enqueued.")
    {
        ArgumentNullException.ThrowIfNull(streamName);
        StreamName = streamName;
        Capacity = capacity;
    }

    /// <summary>The stream that overflowed.</summary>
    public string StreamName { get; }

    /// <summary>Its capacity.</summary>
    public int Capacity { get; }
}

/// <summary>
/// A push reached a stream that was already completed, or a read found a completed stream empty. It derives
/// from <see cref="ChannelClosedException"/> so code written against channels handles it unchanged. The channel face
/// (<see cref="BackpressureChannel"/>) throws <see cref="ChannelClosedException"/> itself, as the platform's channels do.
/// </summary>
public sealed class StreamClosedException : ChannelClosedException
{
    /// <summary>Creates the exception for a stream named <paramref name="streamName"/>.</summary>
    /// <param name="streamName">The completed stream.</param>
    /// <param name="innerException">The error the stream was completed with, if any.</param>
    /// <exception cref="ArgumentNullException"><paramref name="streamName"/> is null.</exception>
    public StreamClosedException(string streamName, Exception? innerException = null)
        : base($"Stream '{streamName}' is completed; it accepts no more items.", innerException)
    {
        ArgumentNullException.ThrowIfNull(streamName);
        StreamName = streamName;
    }

    /// <summary>The exception with a message of the library's choosing (a read that found the completed stream drained).</summary>
    internal StreamClosedException(string streamName, Exception? innerException, string message)
        : base(message, innerException)
    {
        StreamName = streamName;
    }

    /// <summary>The completed stream.</summary>
    public string StreamName { get; }
}
