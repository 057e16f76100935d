using System.Text;
using Npgsql;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>
/// A login the server refuses (the role may no longer log in, as after a revoked account or a rotated password) is not
/// a transient error: docs/stream-log.md says a call keeps trying for <see cref="PostgresStreamLogOptions.ReconnectTimeout"/>
/// only after a lost connection or a transient error, and the listener fails its tails at once on a refused login. So
/// every call, the writes included, fails at once with the server's error and writes nothing, as a read does, instead
/// of waiting out the timeout. The log runs unpooled, so every call opens a connection, and on a virtual clock, so a
/// wait to try again shows as a timer.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRefusedLoginTests : IAsyncLifetime
{
    private readonly PostgresServerFixture _server;
    private readonly TestClock _clock = new();
    private readonly string _role = $"rs_refused_{Guid.NewGuid():N}";
    private readonly string _database = $"rs_refused_{Guid.NewGuid():N}";

    public PostgresRefusedLoginTests(PostgresServerFixture server)
    {
        _server = server;
    }

    public async Task InitializeAsync()
    {
        _server.EnsureRunning();
        await AdminAsync($"CREATE ROLE {_role} LOGIN SUPERUSER");
        await AdminAsync($"CREATE DATABASE {_database}");
    }

    public async Task DisposeAsync()
    {
        await AdminAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        await AdminAsync($"DROP ROLE IF EXISTS {_role}");
    }

    [Fact]
    public async Task Every_call_whose_login_is_refused_fails_at_once_with_the_servers_error_and_writes_nothing()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(_server.ConnectionString)
        {
            Username = _role,
            Database = _database,
            Pooling = false,
        }.ConnectionString;
        await using var log = await PostgresStreamLog.OpenAsync(connectionString, new PostgresStreamLogOptions { TimeProvider = _clock });
        const string Stream = "orders";
        await log.AppendAsync(Stream, "before", AppendMode.Durable);
        await log.CreateGroupAsync(Stream, "g", ConsumerGroupStart.Beginning);
        await log.WriteCheckpointAsync("reader", new StreamId(5, 0));

        await AdminAsync($"ALTER ROLE {_role} NOLOGIN");
        var timers = _clock.TimersCreated;
        var calls = new (string Name, Func<Task> Call)[]
        {
            ("durable append", () => log.AppendAsync(Stream, "x", AppendMode.Durable).AsTask()),
            ("summary append", () => log.AppendAsync(Stream, """{"n":1}""", AppendMode.DurableSummary).AsTask()),
            ("best-effort append", () => log.AppendAsync(Stream, "l", AppendMode.BestEffortLive).AsTask()),
            ("batch append", () => log.AppendBatchAsync(Stream, [Encoding.UTF8.GetBytes("b1"), Encoding.UTF8.GetBytes("b2")], AppendMode.Durable).AsTask()),
            ("claim", () => log.ClaimAsync(Stream, "g", "a", 10, TimeSpan.FromSeconds(30)).AsTask()),
            ("claim own pending", () => log.ClaimOwnPendingAsync(Stream, "g", "a", StreamId.Min, 10).AsTask()),
            ("checkpoint write", () => log.WriteCheckpointAsync("reader", new StreamId(9, 0)).AsTask()),
            ("read", () => log.ReadAsync(Stream, StreamId.Min, StreamId.Max, 10).AsTask()),
        };

        foreach (var (name, call) in calls)
        {
            var task = call();
            // A call that waits to try again creates a timer on the log's clock, which this test never advances.
            await Task.WhenAny(task, _clock.WaitForTimersAsync(timers + 1));
            Assert.True(task.IsCompleted, $"The {name} waited to try again after the server refused the login.");
            var error = await Assert.ThrowsAsync<PostgresException>(() => task);
            Assert.Equal("28000", error.SqlState);
        }

        Assert.Equal(timers, _clock.TimersCreated);

        // Nothing was written: the frame, the group's cursor and the checkpoint are as they were.
        await AdminAsync($"ALTER ROLE {_role} LOGIN");
        Assert.Equal(["before"], (await log.ReadAsync(Stream, StreamId.Min, StreamId.Max, 10)).Select(f => Encoding.UTF8.GetString(f.Payload.Span)));
        Assert.Null(await log.ReadSummaryAsync(Stream));
        var group = await log.ReadGroupAsync(Stream, "g");
        Assert.Equal((StreamId.Min, 0L, 1L), (group!.LastDeliveredId, group.PendingCount, group.Lag));
        Assert.Equal(new StreamId(5, 0), await log.ReadCheckpointAsync("reader"));
        var after = await log.AppendAsync(Stream, "after", AppendMode.Durable);
        Assert.Equal(2, after.FrameCount);
    }

    private async Task AdminAsync(string sql)
    {
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand(sql, admin);
        await command.ExecuteNonQueryAsync();
    }
}
