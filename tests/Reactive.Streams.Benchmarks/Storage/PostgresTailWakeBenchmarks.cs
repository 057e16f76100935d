using Reactive.Streams.Storage.Postgres;

namespace Reactive.Streams.Benchmarks.Storage;

/// <summary>Tail wake latency through LISTEN/NOTIFY (see <see cref="TailWakeBenchmarks"/>).</summary>
public class PostgresTailWakeBenchmarks : TailWakeBenchmarks
{
    protected override (IDisposable Server, IStreamLog Writer, IStreamLog Reader, Func<int> ReaderParked) Open()
    {
        var server = new ThrowawayPostgres();
        var writer = PostgresStreamLog.OpenAsync(server.ConnectionString).AsTask().GetAwaiter().GetResult();
        var reader = PostgresStreamLog.OpenAsync(server.ConnectionString).AsTask().GetAwaiter().GetResult();
        return (server, writer, reader, () => reader.ParkedStreams);
    }
}
