using BenchmarkDotNet.Attributes;
using Npgsql;
using Reactive.Streams.Storage.Postgres;

namespace Reactive.Streams.Benchmarks.Storage;

/// <summary>
/// PostgreSQL appends against the seed's algorithm (one transaction: advisory lock, <c>SELECT MAX(seq)</c> for the
/// millisecond, INSERT, <c>SELECT COUNT(*)</c>) and a bare autocommit INSERT into an equivalent table, all through
/// the same kind of auto-preparing data source. Every 1000 appends each variant moves to a new stream, so the seed's
/// <c>COUNT(*)</c> scans at most 1000 rows. The log's own pool skips Npgsql's session reset (<c>No Reset On Close</c>);
/// the baselines use a default pool, which resets, so a second bare INSERT on a pool that skips it too puts the log's
/// own overhead on equal terms.
/// </summary>
[MemoryDiagnoser]
public class PostgresAppendBenchmarks
{
    private const int StreamLength = 1000;
    private readonly byte[] _payload = new byte[100];
    private ThrowawayPostgres _server = null!;
    private NpgsqlDataSource _dataSource = null!;
    private NpgsqlDataSource _noResetSource = null!;
    private PostgresStreamLog _log = null!;
    private long _seedCount;
    private long _bareCount;
    private long _logCount;

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_payload);
        _server = new ThrowawayPostgres();
        var builder = new NpgsqlDataSourceBuilder(_server.ConnectionString);
        builder.ConnectionStringBuilder.MaxAutoPrepare = 20;
        _dataSource = builder.Build();
        var noReset = new NpgsqlDataSourceBuilder(_server.ConnectionString);
        noReset.ConnectionStringBuilder.MaxAutoPrepare = 20;
        noReset.ConnectionStringBuilder.NoResetOnClose = true;
        _noResetSource = noReset.Build();
        using (var setup = _dataSource.CreateCommand("""
            CREATE TABLE IF NOT EXISTS seed_frames (stream text NOT NULL, ms bigint NOT NULL, seq bigint NOT NULL, payload bytea NOT NULL, PRIMARY KEY (stream, ms, seq));
            CREATE TABLE IF NOT EXISTS bare_frames (stream text NOT NULL, ms bigint NOT NULL, seq bigint NOT NULL, kind smallint NOT NULL, payload bytea NOT NULL, PRIMARY KEY (stream, ms, seq));
            """))
        {
            setup.ExecuteNonQuery();
        }

        _log = PostgresStreamLog.OpenAsync(_server.ConnectionString).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _dataSource.Dispose();
        _noResetSource.Dispose();
        NpgsqlConnection.ClearAllPools();
        _server.Dispose();
    }

    [Benchmark(Baseline = true, Description = "seed algorithm")]
    public async Task<long> Seed()
    {
        var stream = $"seed-{_seedCount++ / StreamLength}";
        var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lockStream = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1))", connection, transaction) { Parameters = { new() { Value = stream } } })
        {
            await lockStream.ExecuteNonQueryAsync();
        }

        long seq;
        await using (var max = new NpgsqlCommand("SELECT MAX(seq) FROM seed_frames WHERE stream = $1 AND ms = $2", connection, transaction) { Parameters = { new() { Value = stream }, new() { Value = ms } } })
        {
            seq = await max.ExecuteScalarAsync() is long last ? last + 1 : 0;
        }

        await using (var insert = new NpgsqlCommand("INSERT INTO seed_frames (stream, ms, seq, payload) VALUES ($1, $2, $3, $4)", connection, transaction)
        { Parameters = { new() { Value = stream }, new() { Value = ms }, new() { Value = seq }, new() { Value = _payload } } })
        {
            await insert.ExecuteNonQueryAsync();
        }

        long count;
        await using (var countFrames = new NpgsqlCommand("SELECT COUNT(*) FROM seed_frames WHERE stream = $1", connection, transaction) { Parameters = { new() { Value = stream } } })
        {
            count = (long)(await countFrames.ExecuteScalarAsync())!;
        }

        await transaction.CommitAsync();
        return count;
    }

    [Benchmark(Description = "bare INSERT")]
    public async Task<int> BareInsert()
    {
        await using var insert = NewBareInsert(returning: false);
        return await insert.ExecuteNonQueryAsync();
    }

    // Context: the bare INSERT on a pool that skips the session reset, as the log's does.
    [Benchmark(Description = "bare INSERT, No Reset On Close")]
    public async Task<int> BareInsertNoReset()
    {
        await using var insert = NewBareInsert(returning: false, _noResetSource);
        return await insert.ExecuteNonQueryAsync();
    }

    // Context, not a target: an append must hand back its id, which a bare INSERT does not; this is the bare INSERT
    // that returns the id it wrote.
    [Benchmark(Description = "bare INSERT RETURNING id")]
    public async Task<long> BareInsertReturning()
    {
        await using var insert = NewBareInsert(returning: true);
        var reader = await insert.ExecuteReaderAsync();
        await using (reader)
        {
            await reader.ReadAsync();
            return reader.GetInt64(0) + reader.GetInt64(1);
        }
    }

    private NpgsqlCommand NewBareInsert(bool returning, NpgsqlDataSource? source = null)
    {
        var n = _bareCount++;
        var insert = (source ?? _dataSource).CreateCommand(returning
            ? "INSERT INTO bare_frames (stream, ms, seq, kind, payload) VALUES ($1, $2, $3, 0, $4) RETURNING ms, seq"
            : "INSERT INTO bare_frames (stream, ms, seq, kind, payload) VALUES ($1, $2, $3, 0, $4)");
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"bare-{n / StreamLength}" });
        insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = n });
        insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = _payload });
        return insert;
    }

    [Benchmark(Description = "log append")]
    public async Task<AppendResult> Append() =>
        await _log.AppendAsync($"log-{_logCount++ / StreamLength}", _payload, AppendMode.Durable);
}
