using System.Diagnostics;
using System.Text;
using Npgsql;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>
/// Cancellation of a write the server is running: appends to a stream take turns on its row in <c>rs_streams</c>, and
/// claims of new frames on the group's row in <c>rs_groups</c> (docs/stream-log.md, docs/consumer-groups.md). Another
/// session holds that row locked, so the call is inside its transaction, waiting, when the token is cancelled: it
/// throws <see cref="OperationCanceledException"/> with the caller's token, writes nothing, and once the lock is gone
/// the next call goes through.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresBlockedWriteCancellationTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly PostgresServerFixture _server;
    private readonly TestClock _clock = new();
    private PostgresStreamLog _log = null!;

    public PostgresBlockedWriteCancellationTests(PostgresServerFixture server)
    {
        _server = server;
    }

    public async Task InitializeAsync()
    {
        _server.EnsureRunning();
        _log = await PostgresStreamLog.OpenAsync(_server.ConnectionString, new PostgresStreamLogOptions { TimeProvider = _clock });
    }

    public async Task DisposeAsync() => await _log.DisposeAsync();

    public static TheoryData<string> Writes => ["durable", "summary", "best-effort", "batch"];

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task An_append_cancelled_while_it_waits_for_the_streams_row_writes_nothing_and_the_next_append_goes_through(string write)
    {
        var stream = NewName();
        var first = await _log.AppendAsync(stream, """{"n":0}""", AppendMode.DurableSummary);

        await using (var holder = await LockAsync("SELECT 1 FROM rs_streams WHERE stream = $1 FOR UPDATE", stream))
        {
            using var cancel = new CancellationTokenSource();
            var append = write switch
            {
                "durable" => _log.AppendAsync(stream, "x", AppendMode.Durable, cancel.Token).AsTask(),
                "summary" => _log.AppendAsync(stream, """{"n":1}""", AppendMode.DurableSummary, cancel.Token).AsTask(),
                "best-effort" => _log.AppendAsync(stream, "l", AppendMode.BestEffortLive, cancel.Token).AsTask(),
                _ => (Task)_log.AppendBatchAsync(stream, [Encoding.UTF8.GetBytes("b0"), Encoding.UTF8.GetBytes("b1")], AppendMode.Durable, cancel.Token).AsTask(),
            };
            await WaitUntilBlockedAsync(append);

            await cancel.CancelAsync();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => append.WaitAsync(Guard));
            Assert.Equal(cancel.Token, error.CancellationToken);
        }

        var frames = await _log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        Assert.Equal([first.Id], frames.Select(f => f.Id));
        Assert.Equal(1, (await _log.ReadSummaryAsync(stream))!.Version);
        var next = await _log.AppendAsync(stream, """{"n":2}""", AppendMode.DurableSummary);
        Assert.Equal((2L, 2L), (next.FrameCount, next.SummaryVersion));
        Assert.True(next.Id > first.Id);
    }

    [Fact]
    public async Task A_claim_cancelled_while_it_waits_for_the_groups_row_hands_out_nothing_and_the_next_claim_takes_every_frame()
    {
        var stream = NewName();
        var ids = new List<StreamId>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await _log.AppendAsync(stream, $"f{i}", AppendMode.Durable)).Id);
        }

        await _log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await using (var holder = await LockAsync("SELECT 1 FROM rs_groups WHERE stream = $1 AND grp = 'g' FOR UPDATE", stream))
        {
            using var cancel = new CancellationTokenSource();
            var claim = _log.ClaimAsync(stream, "g", "a", 10, TimeSpan.FromSeconds(30), cancel.Token).AsTask();
            await WaitUntilBlockedAsync(claim);

            await cancel.CancelAsync();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => claim.WaitAsync(Guard));
            Assert.Equal(cancel.Token, error.CancellationToken);
        }

        var info = await _log.ReadGroupAsync(stream, "g");
        Assert.Equal((StreamId.Min, 0L, 3L, 0), (info!.LastDeliveredId, info.PendingCount, info.Lag, info.Members.Count));
        var next = await _log.ClaimAsync(stream, "g", "b", 10, TimeSpan.FromSeconds(30));
        Assert.Equal(ids, next.Frames.Select(f => f.Frame.Id));
        Assert.All(next.Frames, f => Assert.Equal(1, f.DeliveryCount));
    }

    private static string NewName() => "blocked-" + Guid.NewGuid().ToString("N");

    /// <summary>Opens a session that holds the rows <paramref name="sql"/> locks until it is disposed (rolled back).</summary>
    private async Task<NpgsqlConnection> LockAsync(string sql, string stream)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using (var begin = new NpgsqlCommand("BEGIN", connection))
        {
            await begin.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        Assert.Equal(1, await command.ExecuteScalarAsync());
        return connection;
    }

    /// <summary>Waits until a server session waits for a row lock, the call under test being the only one that can.</summary>
    private async Task WaitUntilBlockedAsync(Task call)
    {
        await using var probe = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Pooling = false }.ConnectionString);
        await probe.OpenAsync();
        var guard = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(call.IsCompleted, call.Exception?.ToString() ?? "The call finished instead of waiting for the lock.");
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND pid <> pg_backend_pid()", probe);
            if ((long)(await command.ExecuteScalarAsync())! > 0)
            {
                return;
            }

            Assert.True(guard.Elapsed < Guard, "The call never waited for the lock within a minute.");
            await Task.Delay(10);
        }
    }
}
