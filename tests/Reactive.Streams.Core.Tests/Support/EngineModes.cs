using Reactive.Streams.Internal;

namespace Reactive.Streams.Tests.Support;

/// <summary>The engine's modes for the tests that run once per mode, and the helpers they share.</summary>
public static class EngineModes
{
    /// <summary>Every mode a <see cref="BoundedStream{T}"/> can run on, by name.</summary>
    public static TheoryData<string> All => [nameof(BufferMode.Locked), nameof(BufferMode.SharedLane), nameof(BufferMode.SingleLane)];

    /// <summary>A stream on the named mode.</summary>
    public static BoundedStream<T> Open<T>(string mode, BoundedStreamOptions<T> options) => new(options, Enum.Parse<BufferMode>(mode));

    /// <summary>Every item the stream holds, read in order.</summary>
    public static List<T> Drain<T>(BoundedStream<T> stream)
    {
        var items = new List<T>();
        while (stream.TryRead(out var item))
        {
            items.Add(item);
        }

        return items;
    }
}
