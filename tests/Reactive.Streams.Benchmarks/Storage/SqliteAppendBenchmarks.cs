using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Reactive.Streams.Storage.Sqlite;

namespace Reactive.Streams.Benchmarks.Storage;

/// <summary>
/// SQLite appends against a bare parameterized INSERT into an equivalent table (same columns, key and pragmas:
/// WAL, synchronous=NORMAL), through Microsoft.Data.Sqlite. The batch row is per frame (OperationsPerInvoke = 100).
/// </summary>
[MemoryDiagnoser]
public class SqliteAppendBenchmarks
{
    private const int BatchSize = 100;
    private readonly byte[] _payload = new byte[100];
    private string _directory = "";
    private SqliteConnection _bare = null!;
    private SqliteCommand _bareInsert = null!;
    private SqliteStreamLog _log = null!;
    private ReadOnlyMemory<byte>[] _batch = [];
    private long _bareSeq;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("rs-sqlite-bench-").FullName;
        Random.Shared.NextBytes(_payload);
        _batch = Enumerable.Repeat((ReadOnlyMemory<byte>)_payload, BatchSize).ToArray();

        _bare = new SqliteConnection($"Data Source={Path.Combine(_directory, "bare.db")}");
        _bare.Open();
        using (var setup = _bare.CreateCommand())
        {
            setup.CommandText = """
                PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                CREATE TABLE frames (stream TEXT NOT NULL, ms INTEGER NOT NULL, seq INTEGER NOT NULL, ordinal INTEGER NOT NULL,
                                     kind INTEGER NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (stream, ms, seq));
                """;
            setup.ExecuteNonQuery();
        }

        _bareInsert = _bare.CreateCommand();
        _bareInsert.CommandText = "INSERT INTO frames (stream, ms, seq, ordinal, kind, payload) VALUES ($stream, $ms, $seq, $ordinal, 0, $payload)";
        _bareInsert.Parameters.Add(new SqliteParameter("$stream", "bench"));
        _bareInsert.Parameters.Add(new SqliteParameter("$ms", 0L));
        _bareInsert.Parameters.Add(new SqliteParameter("$seq", 0L));
        _bareInsert.Parameters.Add(new SqliteParameter("$ordinal", 0L));
        _bareInsert.Parameters.Add(new SqliteParameter("$payload", _payload));
        _bareInsert.Prepare();

        _log = SqliteStreamLog.OpenAsync(Path.Combine(_directory, "log.db")).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _bareInsert.Dispose();
        _bare.Dispose();
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "bare INSERT")]
    public int BareInsert()
    {
        var seq = ++_bareSeq;
        _bareInsert.Parameters[1].Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _bareInsert.Parameters[2].Value = seq;
        _bareInsert.Parameters[3].Value = seq;
        return _bareInsert.ExecuteNonQuery();
    }

    [Benchmark(Description = "log append")]
    public async Task<AppendResult> Append() =>
        await _log.AppendAsync("bench", _payload, AppendMode.Durable);

    [Benchmark(OperationsPerInvoke = BatchSize, Description = "log batch of 100, per frame")]
    public async Task<AppendBatchResult> AppendBatch() =>
        await _log.AppendBatchAsync("bench-batch", _batch, AppendMode.Durable);
}
