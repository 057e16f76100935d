using System.Text;
using Npgsql;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>
/// Writes that fail inside PostgreSQL leave nothing behind (docs/stream-log.md: every append is one round trip in its
/// own transaction, and a batch writes all its frames or none), throw the server's own error, and leave the log
/// writing correctly afterwards: the stream's row in <c>rs_streams</c> (its last id, frame count, summary and live
/// rate) is as it was, so the next append continues the stream. A trigger, in a database of the test's own, fails a
/// chosen row; the SQLite twin is SqliteFailedWriteTests.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresFailedWriteTests : IAsyncLifetime
{
    private readonly PostgresServerFixture _server;
    private readonly TestClock _clock = new();
    private readonly string _database = $"rs_failed_{Guid.NewGuid():N}";
    private PostgresStreamLog _log = null!;

    public PostgresFailedWriteTests(PostgresServerFixture server)
    {
        _server = server;
    }

    private string ConnectionString => new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Database = _database }.ConnectionString;

    public async Task InitializeAsync()
    {
        _server.EnsureRunning();
        await ExecuteAsync(_server.ConnectionString, $"CREATE DATABASE {_database}");
        _log = await OpenAsync();
        await ExecuteAsync(ConnectionString, """
            CREATE FUNCTION rs_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'injected failure' USING ERRCODE = TG_ARGV[0];
            END $$;
            """);
    }

    public async Task DisposeAsync()
    {
        await _log.DisposeAsync();
        await ExecuteAsync(_server.ConnectionString, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    private async Task<PostgresStreamLog> OpenAsync(LiveRetentionOptions? retention = null) =>
        await PostgresStreamLog.OpenAsync(ConnectionString, new PostgresStreamLogOptions
        {
            TimeProvider = _clock,
            LiveRetention = retention ?? new LiveRetentionOptions(),
        });

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> CountAsync(string table)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Fails the insert of a frame whose payload is <paramref name="payload"/>, with SQLSTATE <paramref name="sqlState"/>.</summary>
    private Task FailInsertsOf(string payload, string sqlState = "P0001") => ExecuteAsync(ConnectionString, $"""
        CREATE TRIGGER fail_insert BEFORE INSERT ON rs_frames
        FOR EACH ROW WHEN (NEW.payload = '\x{Convert.ToHexString(Utf8(payload))}'::bytea) EXECUTE FUNCTION rs_test_fail('{sqlState}')
        """);

    private Task Repair() => ExecuteAsync(ConnectionString, """
        DROP TRIGGER IF EXISTS fail_insert ON rs_frames;
        DROP TRIGGER IF EXISTS fail_delete ON rs_frames;
        DROP TRIGGER IF EXISTS fail_checkpoint ON rs_checkpoints;
        """);

    [Fact]
    public async Task A_durable_append_that_fails_in_the_server_throws_its_error_and_writes_nothing()
    {
        var before = await _log.AppendAsync("s", "a", AppendMode.Durable);
        await FailInsertsOf("boom");

        var e = await Assert.ThrowsAsync<PostgresException>(() => _log.AppendAsync("s", "boom", AppendMode.Durable).AsTask());

        Assert.Equal("P0001", e.SqlState);
        Assert.Contains("injected failure", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync("rs_frames"));
        await Repair();
        var next = await _log.AppendAsync("s", "b", AppendMode.Durable);
        Assert.Equal(before.Id.Successor(), next.Id);
        Assert.Equal(2, next.FrameCount);
        Assert.Equal(["a", "b"], (await _log.ReadAsync("s", StreamId.Min, StreamId.Max, 10)).Select(Text));
    }

    [Theory]
    [InlineData(AppendMode.Durable)]
    [InlineData(AppendMode.DurableSummary)]
    [InlineData(AppendMode.BestEffortLive)]
    public async Task A_batch_failing_at_its_last_frame_in_the_server_writes_no_frame_no_patch_and_no_rate(AppendMode mode)
    {
        var log = await OpenAsync(new LiveRetentionOptions { Floor = 1000, Ceiling = 1000 });
        await using (log)
        {
            var before = await log.AppendAsync("s", """{"n":0}""", mode);
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            await FailInsertsOf("""{"n":120}""");
            var frames = Enumerable.Range(1, 120).Select(i => (ReadOnlyMemory<byte>)Utf8($$"""{"n":{{i}}}""")).ToArray();

            var e = await Assert.ThrowsAsync<PostgresException>(() => log.AppendBatchAsync("s", frames, mode).AsTask());

            Assert.Contains("injected failure", e.Message, StringComparison.Ordinal);
            Assert.Equal(1, await CountAsync("rs_frames"));
            Assert.Equal(mode == AppendMode.DurableSummary ? 1 : null, (await log.ReadSummaryAsync("s"))?.Version);
            await Repair();

            // The stream's row is as it was: the next append takes its own millisecond's first id (the failed batch's
            // ids were not kept) and counts two frames.
            var next = await log.AppendAsync("s", """{"n":2}""", mode);
            Assert.Equal(new StreamId(before.Id.Milliseconds + 10, 0), next.Id);
            Assert.Equal(2, next.FrameCount);
            Assert.Equal(mode == AppendMode.DurableSummary ? 2 : 0, next.SummaryVersion);
            Assert.Equal(["""{"n":0}""", """{"n":2}"""], (await log.ReadAsync("s", StreamId.Min, StreamId.Max, 10)).Select(Text));
            if (mode == AppendMode.DurableSummary)
            {
                Assert.Equal(2, (await log.ReadSummaryAsync("s"))!.Document.GetProperty("n").GetInt32());
            }
        }
    }

    [Fact]
    public async Task A_best_effort_append_whose_trim_fails_in_the_server_writes_nothing_and_trims_nothing()
    {
        var log = await OpenAsync(new LiveRetentionOptions { Alpha = 1, Ttl = TimeSpan.FromSeconds(1), Floor = 2, Ceiling = 2 });
        await using (log)
        {
            await log.AppendAsync("s", "l0", AppendMode.BestEffortLive);
            await log.AppendAsync("s", "l1", AppendMode.BestEffortLive);
            await ExecuteAsync(ConnectionString,
                "CREATE TRIGGER fail_delete BEFORE DELETE ON rs_frames FOR EACH ROW EXECUTE FUNCTION rs_test_fail('P0001')");

            var e = await Assert.ThrowsAsync<PostgresException>(() => log.AppendAsync("s", "l2", AppendMode.BestEffortLive).AsTask());

            Assert.Contains("injected failure", e.Message, StringComparison.Ordinal);
            Assert.Equal(2, await CountAsync("rs_frames"));
            await Repair();
            var next = await log.AppendAsync("s", "l3", AppendMode.BestEffortLive);
            Assert.Equal(2, next.FrameCount);
            Assert.Equal(["l1", "l3"], (await log.ReadAsync("s", StreamId.Min, StreamId.Max, 10)).Select(Text));
        }
    }

    [Fact]
    public async Task A_checkpoint_write_that_fails_in_the_server_keeps_the_previous_position()
    {
        await _log.WriteCheckpointAsync("reader", new StreamId(5, 0));
        await ExecuteAsync(ConnectionString,
            "CREATE TRIGGER fail_checkpoint BEFORE UPDATE ON rs_checkpoints FOR EACH ROW EXECUTE FUNCTION rs_test_fail('P0001')");

        var e = await Assert.ThrowsAsync<PostgresException>(() => _log.WriteCheckpointAsync("reader", new StreamId(9, 0)).AsTask());

        Assert.Contains("injected failure", e.Message, StringComparison.Ordinal);
        Assert.Equal(new StreamId(5, 0), await _log.ReadCheckpointAsync("reader"));
        await Repair();
        await _log.WriteCheckpointAsync("reader", new StreamId(9, 0));
        Assert.Equal(new StreamId(9, 0), await _log.ReadCheckpointAsync("reader"));
    }

    [Theory]
    [InlineData("40001")] // serialization_failure
    [InlineData("53100")] // disk_full
    public async Task An_append_the_server_fails_with_a_transient_error_is_thrown_once_not_repeated_and_writes_nothing(string sqlState)
    {
        // docs/stream-log.md: an append is sent again only when it certainly did not reach the server; an error the
        // statement itself returned is thrown at once, however transient its class, and the log sets no timer to retry.
        await _log.AppendAsync("s", "a", AppendMode.Durable);
        await FailInsertsOf("boom", sqlState);
        var timers = _clock.TimersCreated;

        var single = await Assert.ThrowsAsync<PostgresException>(() => _log.AppendAsync("s", "boom", AppendMode.Durable).AsTask());
        var batch = await Assert.ThrowsAsync<PostgresException>(() => _log.AppendBatchAsync("s", [Utf8("ok"), Utf8("boom")], AppendMode.Durable).AsTask());

        Assert.Equal(sqlState, single.SqlState);
        Assert.Equal(sqlState, batch.SqlState);
        Assert.Equal(timers, _clock.TimersCreated);
        Assert.Equal(1, await CountAsync("rs_frames"));
        await Repair();
        Assert.Equal(2, (await _log.AppendAsync("s", "b", AppendMode.Durable)).FrameCount);
    }
}
