using System.Text;
using Microsoft.Data.Sqlite;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// Writes that fail inside SQLite leave nothing behind (docs/stream-log.md: all frames are written or none; docs/
/// consumer-groups.md: a claim is one transaction), throw SQLite's own error, and leave the log writing correctly
/// afterwards. A trigger added by another connection makes a chosen statement fail: RAISE(ABORT) fails the statement
/// and leaves the transaction open, RAISE(ROLLBACK) also rolls the transaction back, as SQLite does itself on a full
/// disk or an I/O error.
/// </summary>
public sealed class SqliteFailedWriteTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rs-sqlite-fail-").FullName;
    private readonly TestClock _clock = new();
    private SqliteStreamLog _log = null!;

    private string DatabasePath => Path.Combine(_directory, "log.db");

    public async Task InitializeAsync() =>
        _log = await SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions { TimeProvider = _clock });

    public async Task DisposeAsync()
    {
        await _log.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> CountAsync(string table)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private Task FailInsertsOf(string payload, string raise) => ExecuteAsync($"""
        CREATE TRIGGER fail_insert BEFORE INSERT ON rs_frames WHEN NEW.payload = X'{Convert.ToHexString(Utf8(payload))}'
        BEGIN SELECT RAISE({raise}, 'injected failure'); END
        """);

    private Task Repair() => ExecuteAsync("DROP TRIGGER IF EXISTS fail_insert; DROP TRIGGER IF EXISTS fail_delete; DROP TRIGGER IF EXISTS fail_checkpoint; DROP TRIGGER IF EXISTS fail_member");

    public static TheoryData<string> Raises => new() { "ABORT", "ROLLBACK" };

    [Theory]
    [MemberData(nameof(Raises))]
    public async Task A_durable_append_that_fails_in_sqlite_throws_its_error_and_writes_nothing(string raise)
    {
        await _log.AppendAsync("s", "a", AppendMode.Durable);
        await FailInsertsOf("boom", raise);

        var e = await Assert.ThrowsAsync<SqliteException>(() => _log.AppendAsync("s", "boom", AppendMode.Durable).AsTask());

        Assert.Contains("injected failure", e.Message);
        Assert.Equal(1, await CountAsync("rs_frames"));
        await Repair();
        var next = await _log.AppendAsync("s", "b", AppendMode.Durable);
        Assert.Equal(2, next.FrameCount);
        Assert.Equal(["a", "b"], (await _log.ReadAsync("s", StreamId.Min, StreamId.Max, 10)).Select(f => Encoding.UTF8.GetString(f.Payload.Span)));
    }

    [Theory]
    [MemberData(nameof(Raises))]
    public async Task A_summary_batch_failing_at_its_last_frame_writes_no_frame_and_no_patch(string raise)
    {
        await _log.AppendAsync("s", """{"n":0}""", AppendMode.DurableSummary);
        await FailInsertsOf("""{"n":120}""", raise);
        var frames = Enumerable.Range(1, 120).Select(i => (ReadOnlyMemory<byte>)Utf8($$"""{"n":{{i}}}""")).ToArray();

        var e = await Assert.ThrowsAsync<SqliteException>(() => _log.AppendBatchAsync("s", frames, AppendMode.DurableSummary).AsTask());

        Assert.Contains("injected failure", e.Message);
        Assert.Equal(1, await CountAsync("rs_frames"));
        var summary = await _log.ReadSummaryAsync("s");
        Assert.Equal(1, summary!.Version);
        Assert.Equal(0, summary.Document.GetProperty("n").GetInt32());
        await Repair();
        var next = await _log.AppendAsync("s", "d", AppendMode.Durable);
        Assert.Equal(2, next.FrameCount);
        Assert.Equal(1, next.SummaryVersion);
    }

    [Theory]
    [MemberData(nameof(Raises))]
    public async Task A_best_effort_append_whose_trim_fails_writes_nothing_and_trims_nothing(string raise)
    {
        var log = await SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions
        {
            TimeProvider = _clock,
            LiveRetention = new LiveRetentionOptions { Alpha = 1, Ttl = TimeSpan.FromSeconds(1), Floor = 2, Ceiling = 2 },
        });
        await using (log)
        {
            await log.AppendAsync("s", "l0", AppendMode.BestEffortLive);
            await log.AppendAsync("s", "l1", AppendMode.BestEffortLive);
            await ExecuteAsync($"CREATE TRIGGER fail_delete BEFORE DELETE ON rs_frames BEGIN SELECT RAISE({raise}, 'injected failure'); END");

            var e = await Assert.ThrowsAsync<SqliteException>(() => log.AppendAsync("s", "l2", AppendMode.BestEffortLive).AsTask());

            Assert.Contains("injected failure", e.Message);
            Assert.Equal(2, await CountAsync("rs_frames"));
            await Repair();
            var next = await log.AppendAsync("s", "l3", AppendMode.BestEffortLive);
            Assert.Equal(2, next.FrameCount);
            Assert.Equal(["l1", "l3"], (await log.ReadAsync("s", StreamId.Min, StreamId.Max, 10)).Select(f => Encoding.UTF8.GetString(f.Payload.Span)));
        }
    }

    [Theory]
    [MemberData(nameof(Raises))]
    public async Task A_checkpoint_write_that_fails_in_sqlite_keeps_the_previous_position(string raise)
    {
        await _log.WriteCheckpointAsync("reader", new StreamId(5, 0));
        await ExecuteAsync($"CREATE TRIGGER fail_checkpoint BEFORE UPDATE ON rs_checkpoints BEGIN SELECT RAISE({raise}, 'injected failure'); END");

        var e = await Assert.ThrowsAsync<SqliteException>(() => _log.WriteCheckpointAsync("reader", new StreamId(9, 0)).AsTask());

        Assert.Contains("injected failure", e.Message);
        Assert.Equal(new StreamId(5, 0), await _log.ReadCheckpointAsync("reader"));
        await Repair();
        await _log.WriteCheckpointAsync("reader", new StreamId(9, 0));
        Assert.Equal(new StreamId(9, 0), await _log.ReadCheckpointAsync("reader"));
    }

    [Theory]
    [MemberData(nameof(Raises))]
    public async Task A_claim_that_fails_at_its_last_statement_hands_out_nothing_and_moves_no_cursor(string raise)
    {
        var ids = new List<StreamId>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await _log.AppendAsync("s", $"f{i}", AppendMode.Durable)).Id);
        }

        await _log.CreateGroupAsync("s", "g", ConsumerGroupStart.Beginning);
        await ExecuteAsync($"CREATE TRIGGER fail_member BEFORE INSERT ON rs_group_consumers BEGIN SELECT RAISE({raise}, 'injected failure'); END");

        var e = await Assert.ThrowsAsync<SqliteException>(() => _log.ClaimAsync("s", "g", "a", 10, TimeSpan.FromSeconds(10)).AsTask());

        Assert.Contains("injected failure", e.Message);
        Assert.Equal(0, await CountAsync("rs_group_pending"));
        Assert.Equal(0, await CountAsync("rs_group_consumers"));
        var info = await _log.ReadGroupAsync("s", "g");
        Assert.Equal(StreamId.Min, info!.LastDeliveredId);
        Assert.Equal(3, info.Lag);
        await Repair();
        var claim = await _log.ClaimAsync("s", "g", "a", 10, TimeSpan.FromSeconds(10));
        Assert.Equal(ids, claim.Frames.Select(f => f.Frame.Id));
        Assert.All(claim.Frames, f => Assert.Equal(1, f.DeliveryCount));
    }
}
