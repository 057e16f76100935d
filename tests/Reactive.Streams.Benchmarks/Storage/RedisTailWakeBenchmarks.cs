using Reactive.Streams.Storage.Redis;

namespace Reactive.Streams.Benchmarks.Storage;

/// <summary>
/// Tail wake latency through the append script's PUBLISH, each log on its own multiplexer (see
/// <see cref="TailWakeBenchmarks"/>).
/// </summary>
public class RedisTailWakeBenchmarks : TailWakeBenchmarks
{
    protected override (IDisposable Server, IStreamLog Writer, IStreamLog Reader, Func<int> ReaderParked) Open()
    {
        var server = new ThrowawayRedis();
        var writer = RedisStreamLog.OpenAsync(server.Configuration).AsTask().GetAwaiter().GetResult();
        var reader = RedisStreamLog.OpenAsync(server.Configuration).AsTask().GetAwaiter().GetResult();
        return (server, writer, reader, () => reader.ParkedStreams);
    }
}
