using System.Text;
using Npgsql;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>
/// Who may open a log, and where its tables live, as a user of Npgsql would set them up: an application role that
/// reads and writes rows in tables a deployment role created (the least-privilege setup docs/stream-log.md's note on
/// the rights a tailing role needs implies), a role that may not create anything on an empty database, and logs in two
/// schemas of one database chosen by the connection string's <c>Search Path</c>.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRolesAndSchemasTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly PostgresServerFixture _server;
    private readonly string _role = $"rs_app_{Guid.NewGuid():N}";
    private readonly string _database = $"rs_roles_{Guid.NewGuid():N}";

    public PostgresRolesAndSchemasTests(PostgresServerFixture server)
    {
        _server = server;
    }

    private string OwnerConnectionString => new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Database = _database }.ConnectionString;

    private string AppConnectionString => new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Database = _database, Username = _role }.ConnectionString;

    public async Task InitializeAsync()
    {
        _server.EnsureRunning();
        await ExecuteAsync(_server.ConnectionString, $"CREATE ROLE {_role} LOGIN");
        await ExecuteAsync(_server.ConnectionString, $"CREATE DATABASE {_database}");
        // Whatever the server's version: nobody but the owner creates anything in the new database's public schema.
        await ExecuteAsync(OwnerConnectionString, $"REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO {_role}");
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(_server.ConnectionString, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        await ExecuteAsync(_server.ConnectionString, $"DROP ROLE IF EXISTS {_role}");
    }

    [Fact]
    public async Task A_role_with_only_row_rights_opens_a_log_its_owner_created_and_appends_reads_and_tails()
    {
        await using (var owner = await PostgresStreamLog.OpenAsync(OwnerConnectionString))
        {
            await owner.AppendAsync("orders", "by the owner", AppendMode.Durable);
        }

        await ExecuteAsync(OwnerConnectionString, $"GRANT SELECT, INSERT, UPDATE, DELETE ON rs_frames, rs_streams, rs_checkpoints TO {_role}");

        // The schema is there and current: opening must not need the rights to create or alter it.
        await using var app = await PostgresStreamLog.OpenAsync(AppConnectionString);
        await app.AppendAsync("orders", "by the app", AppendMode.Durable);
        await app.AppendAsync("orders", """{"status":"paid"}""", AppendMode.DurableSummary);
        await app.AppendBatchAsync("orders", [Utf8("l1"), Utf8("l2")], AppendMode.BestEffortLive);
        await app.WriteCheckpointAsync("reader", new StreamId(7, 1));

        var frames = await app.ReadAsync("orders", StreamId.Min, StreamId.Max, 10);
        Assert.Equal(["by the owner", "by the app", """{"status":"paid"}""", "l1", "l2"], frames.Select(Text));
        Assert.Equal(1, (await app.ReadSummaryAsync("orders"))!.Version);
        Assert.Equal(new StreamId(7, 1), await app.ReadCheckpointAsync("reader"));

        // A parked tail takes its lease as this role and is woken by an append through the owner's log.
        var tail = app.TailAsync("orders", frames[^1].Id, Timeout.InfiniteTimeSpan, 10).AsTask();
        await WaitUntilLeasedAsync("orders");
        await using (var owner = await PostgresStreamLog.OpenAsync(OwnerConnectionString))
        {
            await owner.AppendAsync("orders", "wake", AppendMode.Durable);
        }

        Assert.All(await tail.WaitAsync(Guard), f => Assert.Equal("wake", Text(f)));
    }

    // The group tables are created by a log's first group call, with DDL of their own: once the owner's log has made
    // them, the application role's group calls must not need the rights to create or alter them either.
    [Fact]
    public async Task A_role_with_only_row_rights_uses_consumer_groups_whose_tables_its_owner_created()
    {
        await using (var owner = await PostgresStreamLog.OpenAsync(OwnerConnectionString))
        {
            await owner.AppendAsync("orders", "o1", AppendMode.Durable);
            await owner.CreateGroupAsync("orders", "billing", ConsumerGroupStart.Beginning);
        }

        await ExecuteAsync(OwnerConnectionString, $"GRANT SELECT, INSERT, UPDATE, DELETE ON rs_frames, rs_streams, rs_checkpoints, rs_groups, rs_group_leases, rs_group_consumers TO {_role}");

        await using var app = await PostgresStreamLog.OpenAsync(AppConnectionString);
        await app.AppendAsync("orders", "o2", AppendMode.Durable);
        await app.CreateGroupAsync("orders", "shipping", ConsumerGroupStart.Beginning);
        var claimed = await app.ClaimAsync("orders", "billing", "worker-1", 10, TimeSpan.FromMinutes(1));
        Assert.Equal(["o1", "o2"], claimed.Frames.Select(f => Text(f.Frame)));
        Assert.Equal(2, (await app.ReadPendingAsync("orders", "billing", null, 10)).Count);
        Assert.Equal(2, await app.AcknowledgeAsync("orders", "billing", claimed.Frames.Select(f => f.Frame.Id).ToArray()));
        Assert.Empty(await app.ReadPendingAsync("orders", "billing", null, 10));
        Assert.Equal(["o1", "o2"], (await app.ClaimAsync("orders", "shipping", "worker-1", 10, TimeSpan.FromMinutes(1))).Frames.Select(f => Text(f.Frame)));
    }

    [Fact]
    public async Task A_role_that_may_not_create_tables_fails_to_open_an_empty_database_with_the_servers_error_and_creates_nothing()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(async () => await PostgresStreamLog.OpenAsync(AppConnectionString));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);

        await using var connection = new NpgsqlConnection(OwnerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'rs\\_%'", connection);
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Logs_in_two_schemas_chosen_by_search_path_keep_their_tables_and_frames_apart()
    {
        await ExecuteAsync(OwnerConnectionString, "CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b");
        var a = new NpgsqlConnectionStringBuilder(OwnerConnectionString) { SearchPath = "tenant_a" }.ConnectionString;
        var b = new NpgsqlConnectionStringBuilder(OwnerConnectionString) { SearchPath = "tenant_b" }.ConnectionString;
        await using var logA = await PostgresStreamLog.OpenAsync(a);
        await using var logB = await PostgresStreamLog.OpenAsync(b);

        var firstA = await logA.AppendAsync("orders", "a1", AppendMode.Durable);
        await logB.AppendAsync("orders", "b1", AppendMode.Durable);
        await logB.AppendAsync("orders", """{"tenant":"b"}""", AppendMode.DurableSummary);
        var secondA = await logA.AppendAsync("orders", "a2", AppendMode.Durable);
        await logA.WriteCheckpointAsync("reader", firstA.Id);

        Assert.Equal(2, secondA.FrameCount);
        Assert.Equal(["a1", "a2"], (await logA.ReadAsync("orders", StreamId.Min, StreamId.Max, 10)).Select(Text));
        Assert.Equal(["b1", """{"tenant":"b"}"""], (await logB.ReadAsync("orders", StreamId.Min, StreamId.Max, 10)).Select(Text));
        Assert.Null(await logA.ReadSummaryAsync("orders"));
        Assert.Null(await logB.ReadCheckpointAsync("reader"));
        Assert.Equal(firstA.Id, await logA.ReadCheckpointAsync("reader"));

        // The first schema of the path is the log's, even when a later one already holds a log's tables.
        await ExecuteAsync(OwnerConnectionString, "CREATE SCHEMA tenant_c");
        var c = new NpgsqlConnectionStringBuilder(OwnerConnectionString) { SearchPath = "tenant_c, tenant_a" }.ConnectionString;
        await using (var logC = await PostgresStreamLog.OpenAsync(c))
        {
            Assert.Empty(await logC.ReadAsync("orders", StreamId.Min, StreamId.Max, 10));
            await logC.AppendAsync("orders", "c1", AppendMode.Durable);
        }

        Assert.Equal(["a1", "a2"], (await logA.ReadAsync("orders", StreamId.Min, StreamId.Max, 10)).Select(Text));

        await using var connection = new NpgsqlConnection(OwnerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY schemaname, tablename) FROM pg_tables WHERE tablename IN ('rs_frames', 'rs_streams', 'rs_checkpoints')",
            connection);
        Assert.Equal(
            "tenant_a.rs_checkpoints,tenant_a.rs_frames,tenant_a.rs_streams,tenant_b.rs_checkpoints,tenant_b.rs_frames,tenant_b.rs_streams," +
            "tenant_c.rs_checkpoints,tenant_c.rs_frames,tenant_c.rs_streams",
            await command.ExecuteScalarAsync());
    }

    /// <summary>Waits (a condition, with a watchdog) until a tail has leased the stream, so that an append now notifies it.</summary>
    private async Task WaitUntilLeasedAsync(string stream)
    {
        await using var connection = new NpgsqlConnection(OwnerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM rs_streams WHERE stream = $1 AND watch_until > now())", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        using var watchdog = new CancellationTokenSource(Guard);
        while (!(bool)(await command.ExecuteScalarAsync(watchdog.Token))!)
        {
        }
    }

    [Fact]
    public async Task A_search_path_naming_no_existing_schema_fails_opening_with_the_servers_error()
    {
        var nowhere = new NpgsqlConnectionStringBuilder(OwnerConnectionString) { SearchPath = "no_such_schema" }.ConnectionString;
        var error = await Assert.ThrowsAsync<PostgresException>(async () => await PostgresStreamLog.OpenAsync(nowhere));
        Assert.Equal(PostgresErrorCodes.InvalidSchemaName, error.SqlState);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
