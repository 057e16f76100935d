using BenchmarkDotNet.Attributes;
using Npgsql;
using Reactive.Streams.Storage.Postgres;

namespace Reactive.Streams.Benchmarks.Storage;

/// <summary>
/// Eight concurrent appenders, each on its own stream, through one log. The baseline has a tail's lease on every
/// stream, so every append sends <c>NOTIFY</c> at commit (as every append did before leases) and every notifying
/// commit in the database takes PostgreSQL's one notify lock; the other has no tails, so no append notifies. The
/// leases are set in the table, as a tail on another machine would, so no listener runs in this process.
/// </summary>
[MemoryDiagnoser]
public class PostgresConcurrentAppendBenchmarks
{
    private const int Appenders = 8;
    private const int AppendsPerAppender = 100;
    private readonly byte[] _payload = new byte[100];
    private ThrowawayPostgres _server = null!;
    private PostgresStreamLog _log = null!;
    private string[] _tailed = null!;
    private string[] _untailed = null!;

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_payload);
        _server = new ThrowawayPostgres();
        _log = PostgresStreamLog.OpenAsync(_server.ConnectionString).AsTask().GetAwaiter().GetResult();
        _tailed = Enumerable.Range(0, Appenders).Select(i => $"tailed-{i}").ToArray();
        _untailed = Enumerable.Range(0, Appenders).Select(i => $"untailed-{i}").ToArray();
        foreach (var stream in _tailed.Concat(_untailed))
        {
            _log.AppendAsync(stream, _payload, AppendMode.Durable).AsTask().GetAwaiter().GetResult();
        }

        using var dataSource = NpgsqlDataSource.Create(_server.ConnectionString);
        using var lease = dataSource.CreateCommand("UPDATE rs_streams SET watch_until = now() + interval '1 day' WHERE stream = ANY($1)");
        lease.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = _tailed });
        if (lease.ExecuteNonQuery() != Appenders)
        {
            throw new InvalidOperationException("The tailed streams' leases were not all set.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        NpgsqlConnection.ClearAllPools();
        _server.Dispose();
    }

    [Benchmark(Baseline = true, Description = "every stream tailed (NOTIFY per append)", OperationsPerInvoke = Appenders * AppendsPerAppender)]
    public Task Tailed() => AppendConcurrentlyAsync(_tailed);

    [Benchmark(Description = "no stream tailed (no NOTIFY)", OperationsPerInvoke = Appenders * AppendsPerAppender)]
    public Task Untailed() => AppendConcurrentlyAsync(_untailed);

    private Task AppendConcurrentlyAsync(string[] streams) =>
        Task.WhenAll(streams.Select(stream => Task.Run(async () =>
        {
            for (var i = 0; i < AppendsPerAppender; i++)
            {
                await _log.AppendAsync(stream, _payload, AppendMode.Durable);
            }
        })));
}
