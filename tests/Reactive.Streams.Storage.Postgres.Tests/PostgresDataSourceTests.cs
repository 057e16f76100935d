using System.Text;
using Npgsql;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>
/// <see cref="PostgresStreamLog.OpenAsync(NpgsqlDataSource, PostgresStreamLogOptions?, CancellationToken)"/>: a log on
/// a data source the caller owns uses its pool as configured, signs its listener in as the pool does (password,
/// provider), holds no pooled connection for tails, and leaves the data source open when disposed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDataSourceTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly PostgresServerFixture _server;
    private readonly TestClock _clock = new();
    private readonly List<IAsyncDisposable> _owned = [];

    public PostgresDataSourceTests(PostgresServerFixture server)
    {
        _server = server;
    }

    public Task InitializeAsync()
    {
        _server.EnsureRunning();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }

    private T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    private NpgsqlDataSource DataSource(Action<NpgsqlConnectionStringBuilder>? configure = null, Action<NpgsqlDataSourceBuilder>? build = null)
    {
        var builder = new NpgsqlDataSourceBuilder(_server.ConnectionString);
        configure?.Invoke(builder.ConnectionStringBuilder);
        build?.Invoke(builder);
        return Own(builder.Build());
    }

    private async Task<PostgresStreamLog> OpenAsync(NpgsqlDataSource dataSource) =>
        Own(await PostgresStreamLog.OpenAsync(dataSource, new PostgresStreamLogOptions { TimeProvider = _clock }));

    private static string NewStream() => $"ds-{Guid.NewGuid():N}";

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    /// <summary>Parks a tail (its lease timer is the sign) that only a notification can wake: its timeout is infinite.</summary>
    private async Task<Task<IReadOnlyList<StreamFrame>>> ParkTailAsync(IStreamLog log, string stream)
    {
        var timers = _clock.TimersCreated;
        var tail = log.TailAsync(stream, StreamId.Min, Timeout.InfiniteTimeSpan, 10).AsTask();
        await Task.WhenAny(tail, _clock.WaitForTimersAsync(timers + 1)).WaitAsync(Guard);
        return tail;
    }

    [Fact]
    public async Task A_log_on_a_callers_data_source_appends_reads_wakes_tails_and_leaves_the_data_source_open()
    {
        var dataSource = DataSource();
        var stream = NewStream();
        var other = Own(await PostgresStreamLog.OpenAsync(_server.ConnectionString, new PostgresStreamLogOptions { TimeProvider = _clock }));

        await using (var log = await PostgresStreamLog.OpenAsync(dataSource, new PostgresStreamLogOptions { TimeProvider = _clock }))
        {
            var tail = await ParkTailAsync(log, stream);
            await other.AppendAsync(stream, "from another log", AppendMode.Durable);
            Assert.Equal(["from another log"], (await tail.WaitAsync(Guard)).Select(Text));

            await log.AppendAsync(stream, "through the data source", AppendMode.Durable);
            await log.AppendAsync(stream, """{"n":1}""", AppendMode.DurableSummary);
            Assert.Equal(3, (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Count);
        }

        // Disposing the log left the caller's data source open and usable, by the caller and by a new log.
        await using (var command = dataSource.CreateCommand("SELECT count(*) FROM rs_frames WHERE stream = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
            Assert.Equal(3L, await command.ExecuteScalarAsync());
        }

        var again = await OpenAsync(dataSource);
        Assert.Equal(
            ["from another log", "through the data source", """{"n":1}"""],
            (await again.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
    }

    [Fact]
    public async Task The_pool_is_used_as_configured_and_the_listener_gets_its_own_unpooled_connection_with_a_keepalive()
    {
        var plain = await OpenAsync(DataSource());
        var tuned = await OpenAsync(DataSource(b => { b.NoResetOnClose = true; b.MaxAutoPrepare = 7; b.KeepAlive = 9; }));

        // No defaults of the log's own imposed on the caller's pool.
        Assert.False(plain.SkipsSessionReset);
        Assert.Equal(0, plain.MaxAutoPrepare);
        Assert.True(tuned.SkipsSessionReset);
        Assert.Equal(7, tuned.MaxAutoPrepare);
        foreach (var (log, keepAlive) in new[] { (plain, 15), (tuned, 9) })
        {
            var listener = new NpgsqlConnectionStringBuilder(log.ListenerConnectionString);
            Assert.False(listener.Pooling);
            Assert.Equal(keepAlive, listener.KeepAlive);
        }
    }

    [Fact]
    public async Task Parked_tails_hold_no_connection_of_the_callers_pool()
    {
        // A pool of one: were the listener's connection pooled, the append below would wait for it until Timeout.
        var dataSource = DataSource(b => { b.MaxPoolSize = 1; b.Timeout = 60; });
        var log = await OpenAsync(dataSource);
        var streams = Enumerable.Range(0, 3).Select(_ => NewStream()).ToArray();
        var tails = new List<Task<IReadOnlyList<StreamFrame>>>();
        foreach (var stream in streams)
        {
            tails.Add(await ParkTailAsync(log, stream));
        }

        foreach (var stream in streams)
        {
            await log.AppendAsync(stream, stream, AppendMode.Durable);
        }

        var results = await Task.WhenAll(tails).WaitAsync(Guard);
        Assert.Equal(streams, results.Select(r => Text(Assert.Single(r))));
    }

    [Theory]
    [InlineData("in the connection string")]
    [InlineData("from a password provider")]
    public async Task The_listener_signs_in_with_the_data_sources_password(string how)
    {
        const string Password = "s3cret-listener";
        var role = $"rs_pw_{Guid.NewGuid():N}";
        await AdminAsync($"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{Password}'");
        var hba = (string)(await ScalarAsync("SHOW hba_file"))!;
        var original = await File.ReadAllTextAsync(hba);
        try
        {
            // This role, and only it, must give a password over TCP; the server is trust for everyone else.
            await File.WriteAllTextAsync(hba, $"host all {role} 127.0.0.1/32 scram-sha-256\n" + original);
            await ScalarAsync("SELECT pg_reload_conf()");
            await WaitUntilPasswordRequiredAsync(role);

            var dataSource = DataSource(
                b =>
                {
                    b.Username = role;
                    b.Password = how == "in the connection string" ? Password : null;
                },
                b =>
                {
                    if (how == "from a password provider")
                    {
                        b.UsePasswordProvider(_ => Password, (_, _) => ValueTask.FromResult(Password));
                    }
                });
            var log = await OpenAsync(dataSource);
            var stream = NewStream();

            // The tail's listener connects with the data source's password (its connection string leaves it out); a
            // listener refused its login fails the tail instead of waking it.
            var tail = await ParkTailAsync(log, stream);
            await log.AppendAsync(stream, "heard", AppendMode.Durable);
            Assert.Equal(["heard"], (await tail.WaitAsync(Guard)).Select(Text));
        }
        finally
        {
            await File.WriteAllTextAsync(hba, original);
            await ScalarAsync("SELECT pg_reload_conf()");
            await DisposeAsync();
            _owned.Clear();
            await AdminAsync($"DROP ROLE IF EXISTS {role}");
        }
    }

    [Fact]
    public async Task Bad_arguments_are_refused_naming_what_was_wrong()
    {
        var missing = await Assert.ThrowsAsync<ArgumentNullException>(() => PostgresStreamLog.OpenAsync((NpgsqlDataSource)null!).AsTask());
        Assert.Equal("dataSource", missing.ParamName);
        var bad = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => PostgresStreamLog.OpenAsync(DataSource(), new PostgresStreamLogOptions { ReconnectTimeout = TimeSpan.FromSeconds(-1) }).AsTask());
        Assert.Contains("ReconnectTimeout", bad.Message, StringComparison.Ordinal);

        var disposed = NpgsqlDataSource.Create(_server.ConnectionString);
        await disposed.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => PostgresStreamLog.OpenAsync(disposed).AsTask());

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PostgresStreamLog.OpenAsync(DataSource(), cancellationToken: cancelled.Token).AsTask());
    }

    [Fact]
    public async Task Disposing_the_data_source_under_a_live_log_fails_its_calls_and_the_log_still_disposes()
    {
        var dataSource = NpgsqlDataSource.Create(_server.ConnectionString);
        var log = await PostgresStreamLog.OpenAsync(dataSource, new PostgresStreamLogOptions { TimeProvider = _clock });
        var stream = NewStream();
        await log.AppendAsync(stream, "before", AppendMode.Durable);

        await dataSource.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendAsync(stream, "after", AppendMode.Durable).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10).AsTask());
        await log.DisposeAsync().AsTask().WaitAsync(Guard);
    }

    private async Task WaitUntilPasswordRequiredAsync(string role)
    {
        // pg_reload_conf only signals the server: wait (bounded) until a login without the password is refused.
        var connectionString = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Username = role, Pooling = false }.ConnectionString;
        using var guard = new CancellationTokenSource(Guard);
        while (true)
        {
            guard.Token.ThrowIfCancellationRequested();
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(guard.Token);
            }
            catch (NpgsqlException e) when (e is PostgresException { SqlState: "28P01" } || e.Message.Contains("password", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }

            await Task.Yield();
        }
    }

    private async Task AdminAsync(string sql) => await ScalarAsync(sql);

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
