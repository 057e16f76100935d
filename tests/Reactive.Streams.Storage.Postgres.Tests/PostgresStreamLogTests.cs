using Npgsql;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>The conformance suite on PostgreSQL, plus LISTEN/NOTIFY, pooling and reconnection.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStreamLogTests : ServerStreamLogConformanceTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly PostgresServerFixture _server;

    public PostgresStreamLogTests(PostgresServerFixture server)
    {
        _server = server;
    }

    public override Task InitializeAsync()
    {
        _server.EnsureRunning();
        return Task.CompletedTask;
    }

    protected override async ValueTask<IStreamLog> OpenLogAsync(StreamLogOptions options) =>
        await PostgresStreamLog.OpenAsync(_server.ConnectionString, new PostgresStreamLogOptions(options));

    /// <summary>Restarts the server: its idle connections in the log's pool are ended, unnoticed by a log that never tailed.</summary>
    protected override Task RestartServerAsync() => _server.RestartAsync();

    private async Task<PostgresStreamLog> OpenAsync(string? connectionString = null, TimeProvider? clock = null, TimeSpan? watchLease = null)
    {
        var options = new PostgresStreamLogOptions { TimeProvider = clock ?? Clock, WatchLease = watchLease ?? new PostgresStreamLogOptions().WatchLease };
        var log = await PostgresStreamLog.OpenAsync(connectionString ?? _server.ConnectionString, options);
        Track(log);
        return log;
    }

    [Fact]
    public async Task A_database_created_before_frames_had_headers_gains_the_column_and_keeps_its_frames()
    {
        // A database of its own, holding rs_frames as the schema created it before headers existed, with one frame.
        var database = $"rs_headers_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(_server.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Database = database }.ToString();
        await using (var raw = new NpgsqlConnection(connectionString))
        {
            await raw.OpenAsync();
            await using var command = new NpgsqlCommand("""
                CREATE TABLE rs_frames (
                    stream text NOT NULL, ms bigint NOT NULL, seq bigint NOT NULL, kind smallint NOT NULL,
                    payload bytea NOT NULL, PRIMARY KEY (stream, ms, seq));
                INSERT INTO rs_frames VALUES ('s', 1000, 0, 0, '\x6f6c64'::bytea);
                """, raw);
            await command.ExecuteNonQueryAsync();
        }

        var headers = new Dictionary<string, string> { ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
        var log = await OpenAsync(connectionString);
        await log.AppendAsync("s", "new", AppendMode.Durable, headers);
        await log.AppendBatchAsync("s", [Utf8("b1"), Utf8("b2")], AppendMode.Durable, [null, headers]);
        await log.AppendAsync("s", """{"a":1}""", AppendMode.DurableSummary, headers);
        var again = await OpenAsync(connectionString);

        var frames = await again.ReadAsync("s", StreamId.Min, StreamId.Max, 10);
        Assert.Equal(["old", "new", "b1", "b2", """{"a":1}"""], frames.Select(Text));
        Assert.Equal([0, 1, 0, 1, 1], frames.Select(f => f.Headers.Count));
        Assert.Equal(headers, frames[4].Headers.ToDictionary());
    }

    [Fact]
    public async Task A_notification_that_brings_nothing_new_keeps_the_tail_waiting()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromSeconds(30), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        await using (var raw = new NpgsqlConnection(_server.ConnectionString))
        {
            await raw.OpenAsync();
            await using var notify = new NpgsqlCommand("SELECT pg_notify('rs_append', $1)", raw) { Parameters = { new() { Value = stream } } };
            await notify.ExecuteNonQueryAsync();
        }

        // The stray notification wakes the tail, which re-checks, finds nothing and parks on a new timer.
        await Clock.WaitForTimersAsync(timers + 2);
        Assert.False(tail.IsCompleted);
        Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(await tail.WaitAsync(Guard));
    }

    [Fact]
    public async Task The_pool_skips_the_session_reset_unless_the_connection_string_sets_it()
    {
        var log = await OpenAsync();
        Assert.True(log.SkipsSessionReset);

        var explicitReset = await OpenAsync(_server.ConnectionString + ";No Reset On Close=false");
        Assert.False(explicitReset.SkipsSessionReset);
        var otherSpelling = await OpenAsync(_server.ConnectionString + ";noresetonclose=false");
        Assert.False(otherSpelling.SkipsSessionReset);

        // Either way the log works on the same one connection, statement after statement.
        var stream = NewStream();
        var single = await OpenAsync(new NpgsqlConnectionStringBuilder(_server.ConnectionString) { MaxPoolSize = 1 }.ToString());
        var first = await single.AppendAsync(stream, new byte[] { 1 }, AppendMode.Durable);
        var second = await single.AppendAsync(stream, new byte[] { 2 }, AppendMode.Durable);
        Assert.True(second.Id > first.Id);
        Assert.Equal(2, (await single.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Count);
    }

    [Fact]
    public async Task Auto_prepare_defaults_to_twenty_statements_unless_the_connection_string_sets_it()
    {
        var byDefault = await OpenAsync();
        var off = await OpenAsync(_server.ConnectionString + ";Max Auto Prepare=0");
        var five = await OpenAsync(_server.ConnectionString + ";maxautoprepare=5");

        Assert.Equal(20, byDefault.MaxAutoPrepare);
        Assert.Equal(0, off.MaxAutoPrepare);
        Assert.Equal(5, five.MaxAutoPrepare);
        var stream = NewStream();
        await off.AppendAsync(stream, "unprepared", AppendMode.Durable);
        Assert.Equal(2, (await five.AppendAsync(stream, "prepared", AppendMode.Durable)).FrameCount);
    }

    [Fact]
    public async Task The_listener_is_unpooled_with_a_fifteen_second_keepalive_unless_the_connection_string_sets_one()
    {
        var byDefault = await OpenAsync();
        var zero = await OpenAsync(_server.ConnectionString + ";Keepalive=0;Pooling=true");
        var five = await OpenAsync(_server.ConnectionString + ";keepalive=5");

        foreach (var (log, keepAlive) in new[] { (byDefault, 15), (zero, 15), (five, 5) })
        {
            var listener = new NpgsqlConnectionStringBuilder(log.ListenerConnectionString);
            Assert.Equal(keepAlive, listener.KeepAlive);
            Assert.False(listener.Pooling);
        }

        // The listener so configured hears appends: a tail parked on it (its lease timer created) is woken by one.
        var stream = NewStream();
        var timers = Clock.TimersCreated;
        var tail = zero.TailAsync(stream, StreamId.Min, Timeout.InfiniteTimeSpan, 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        await five.AppendAsync(stream, "heard", AppendMode.Durable);
        Assert.Equal(["heard"], (await tail.WaitAsync(Guard)).Select(Text));
    }

    [Fact]
    public async Task Parked_tails_hold_no_pooled_connection()
    {
        var small = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { MaxPoolSize = 2, Timeout = 60 }.ToString();
        var log = await OpenAsync(small);
        var streams = Enumerable.Range(0, 10).Select(_ => NewStream()).ToArray();
        var timers = Clock.TimersCreated;

        var tails = streams.Select(s => log.TailAsync(s, StreamId.Min, TimeSpan.FromMinutes(5), 10).AsTask()).ToArray();
        await Clock.WaitForTimersAsync(timers + streams.Length);
        // Ten parked tails, a pool of two: appends through the same log still get connections.
        foreach (var s in streams)
        {
            await log.AppendAsync(s, s, AppendMode.Durable);
        }

        var results = await Task.WhenAll(tails).WaitAsync(Guard);
        Assert.Equal(streams, results.Select(r => Text(Assert.Single(r))));
    }

    [Fact]
    public async Task After_a_server_restart_the_listener_reconnects_and_rechecks_tails_whose_notifications_were_lost()
    {
        // A day's lease makes a parked tail's own re-check come every six hours of virtual time, far beyond what this
        // test lets pass: only the listener's re-check after reconnecting can wake the tails.
        var log = await OpenAsync(watchLease: TimeSpan.FromDays(1));
        var streams = new[] { NewStream(), NewStream(), NewStream() };
        foreach (var stream in streams)
        {
            Assert.Empty(await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 10));
        }

        // Four parked tails: one on each stream, and a second on the first.
        var timers = Clock.TimersCreated;
        var tails = streams.Append(streams[0]).Select(s => log.TailAsync(s, StreamId.Min, TimeSpan.FromDays(1), 10).AsTask()).ToArray();
        await Clock.WaitForTimersAsync(timers + tails.Length);

        await _server.RestartAsync();
        // The listener is down (waiting out its reconnect delay on the virtual clock), so these appends'
        // notifications reach nobody in this log.
        var writer = await OpenAsync(clock: TimeProvider.System);
        foreach (var stream in streams)
        {
            await writer.AppendAsync(stream, $"{stream} while the listener was away", AppendMode.Durable);
        }

        Assert.DoesNotContain(tails, t => t.IsCompleted);
        Assert.Equal(0, log.ListenerReconnects);

        // Let virtual time pass for the reconnect backoff; the real time is the server restarting.
        var guard = System.Diagnostics.Stopwatch.StartNew();
        var waited = TimeSpan.Zero;
        while (!tails.All(t => t.IsCompleted) && guard.Elapsed < Guard)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(100));
            waited += TimeSpan.FromMilliseconds(100);
            await Task.Delay(10);
        }

        Assert.True(waited < TimeSpan.FromHours(6), $"{waited} of virtual time passed: a tail's own re-check may have woken it.");
        var woken = await Task.WhenAll(tails).WaitAsync(Guard);
        Assert.Equal(streams.Append(streams[0]).Select(s => $"{s} while the listener was away"), woken.Select(r => Text(Assert.Single(r))));
        Assert.True(log.ListenerReconnects >= 1);
        // The log's pool was cleared of dead connections, and its listener hears notifications again.
        var last = await log.AppendAsync(streams[0], "again", AppendMode.Durable);
        timers = Clock.TimersCreated;
        var next = log.TailAsync(streams[0], last.Id, TimeSpan.FromDays(1), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        await writer.AppendAsync(streams[0], "woken by notify", AppendMode.Durable);
        Assert.Equal(["woken by notify"], (await next.WaitAsync(Guard)).Select(Text));
    }

    [Theory]
    [InlineData(AppendMode.Durable)]
    [InlineData(AppendMode.DurableSummary)]
    public async Task An_append_whose_connection_breaks_after_it_was_sent_fails_and_is_not_retried(AppendMode mode)
    {
        await using var proxy = new CuttingProxy(_server.Port);
        var throughProxy = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Port = proxy.Port }.ConnectionString;
        var log = await OpenAsync(throughProxy);
        var stream = NewStream();
        await log.AppendAsync(stream, """{"n":1}""", mode);

        proxy.ArmCut();
        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => log.AppendAsync(stream, """{"n":2}""", mode).AsTask());

        // The server committed the append; the log could not know it, so it reported the failure instead of sending the
        // append again, which would have stored it twice.
        Assert.IsNotType<PostgresException>(error);
        Assert.Equal(1, proxy.Cuts);
        var direct = await OpenAsync();
        Assert.Equal(["""{"n":1}""", """{"n":2}"""], (await direct.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
        Assert.Equal(3, (await log.AppendAsync(stream, """{"n":3}""", mode)).FrameCount);
    }

    [Fact]
    public async Task The_migration_is_idempotent_and_safe_to_run_concurrently()
    {
        var logs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => OpenAsync()));
        var stream = NewStream();

        await logs[0].AppendAsync(stream, "x", AppendMode.Durable);

        Assert.Equal(2, (await logs[3].AppendAsync(stream, "y", AppendMode.Durable)).FrameCount);
    }

    [Fact]
    public async Task Ids_increase_across_instances_whose_clocks_disagree()
    {
        var behind = new TestClock();
        behind.MoveWallClock(TimeSpan.FromHours(-1));
        var ahead = await OpenAsync();
        var late = await OpenAsync(clock: behind);
        var stream = NewStream();

        var a = await ahead.AppendAsync(stream, "a", AppendMode.Durable);
        var b = await late.AppendAsync(stream, "b", AppendMode.Durable);
        var c = await late.AppendBatchAsync(stream, [Utf8("c"), Utf8("d")], AppendMode.BestEffortLive);

        Assert.True(a.Id < b.Id && b.Id < c.FirstId && c.FirstId < c.LastId);
    }

    [Fact]
    public async Task Appends_notify_only_while_a_tail_holds_a_lease_on_the_stream()
    {
        var log = await OpenAsync();
        var writer = await OpenAsync();
        var stream = NewStream();
        await using var admin = NpgsqlDataSource.Create(_server.ConnectionString);
        await using var listener = new NpgsqlConnection(_server.ConnectionString);
        await listener.OpenAsync();
        var heard = new List<string>();
        listener.Notification += (_, e) => heard.Add(e.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN rs_append", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        // Nobody tails the stream: neither the one-statement append nor the function's append notifies.
        await writer.AppendAsync(stream, "unwatched", AppendMode.Durable);
        await writer.AppendBatchAsync(stream, [Utf8("a"), Utf8("b")], AppendMode.Durable);
        Assert.Empty(await HeardUntilMarkerAsync(admin, listener, heard));

        // A tail about to park takes the lease (through its own log); appends through another instance notify.
        var before = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        var timers = Clock.TimersCreated;
        var tail = log.TailAsync(stream, before[^1].Id, TimeSpan.FromMinutes(10), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        await writer.AppendAsync(stream, "watched", AppendMode.Durable);
        await writer.AppendAsync(stream, """{"x":1}""", AppendMode.DurableSummary);
        Assert.Equal([stream, stream], await HeardUntilMarkerAsync(admin, listener, heard));
        Assert.Equal("watched", Text((await tail.WaitAsync(Guard))[0]));

        // The lease lasts WatchLease (2 minutes by default) on the server's clock; once it has run out, appends are silent.
        await using (var lease = admin.CreateCommand("SELECT extract(epoch FROM watch_until - now()) FROM rs_streams WHERE stream = $1"))
        {
            lease.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
            Assert.InRange(Convert.ToDouble(await lease.ExecuteScalarAsync()), 100, 120);
        }

        await using (var expire = admin.CreateCommand("UPDATE rs_streams SET watch_until = now() - interval '1 second' WHERE stream = $1"))
        {
            expire.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
            await expire.ExecuteNonQueryAsync();
        }

        await writer.AppendAsync(stream, "lease ran out", AppendMode.Durable);
        Assert.Empty(await HeardUntilMarkerAsync(admin, listener, heard));
    }

    [Fact]
    public async Task A_tail_on_a_stream_with_no_frames_yet_creates_no_frames()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var timers = Clock.TimersCreated;

        // The lease creates the stream's row; the stream still has no frames, and the first append counts one.
        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromSeconds(1), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(await tail.WaitAsync(Guard));
        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));

        Assert.Equal(1, (await log.AppendAsync(stream, "first", AppendMode.Durable)).FrameCount);
        Assert.Null(await log.ReadSummaryAsync(stream));
    }

    [Fact]
    public async Task Opening_upgrades_a_log_created_before_tails_took_leases()
    {
        var stream = NewStream();
        var old = await OpenAsync();
        await old.AppendAsync(stream, "before the upgrade", AppendMode.Durable);
        await using (var admin = NpgsqlDataSource.Create(_server.ConnectionString))
        await using (var downgrade = admin.CreateCommand("ALTER TABLE rs_streams DROP COLUMN watch_until"))
        {
            await downgrade.ExecuteNonQueryAsync();
        }

        // The migration adds the column back; the old stream's row keeps its frames and takes a lease.
        var log = await OpenAsync();
        var first = (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Single();
        var timers = Clock.TimersCreated;
        var tail = log.TailAsync(stream, first.Id, TimeSpan.FromMinutes(10), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        var writer = await OpenAsync();
        var appended = await writer.AppendAsync(stream, "after the upgrade", AppendMode.Durable);

        Assert.Equal(2, appended.FrameCount);
        Assert.Equal(["after the upgrade"], (await tail.WaitAsync(Guard)).Select(Text));
    }

    public static TheoryData<string, Action<PostgresStreamLogOptions>> BadOptions => new()
    {
        { "ReconnectDelay", o => o.ReconnectDelay = TimeSpan.Zero },
        { "ReconnectDelay", o => o.ReconnectDelay = Timeout.InfiniteTimeSpan },
        { "MaxReconnectDelay", o => o.MaxReconnectDelay = o.ReconnectDelay - TimeSpan.FromTicks(1) },
        { "ReconnectTimeout", o => o.ReconnectTimeout = TimeSpan.FromTicks(-1) },
        { "ReconnectTimeout", o => o.ReconnectTimeout = Timeout.InfiniteTimeSpan },
        { "WatchLease", o => o.WatchLease = TimeSpan.Zero },
        { "WatchLease", o => o.WatchLease = Timeout.InfiniteTimeSpan },
        { "WatchLease", o => o.WatchLease = TimeSpan.MaxValue },
        { "Logger", o => o.Logger = null! },
        { "TimeProvider", o => o.TimeProvider = null! },
        { "Alpha", o => o.LiveRetention.Alpha = -0.5 },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_bad_option_is_refused_by_the_open_call_itself_naming_it(string name, Action<PostgresStreamLogOptions> set)
    {
        var options = new PostgresStreamLogOptions();
        set(options);

        Assert.Equal(name, Assert.ThrowsAny<ArgumentException>(() => PostgresStreamLog.OpenAsync(_server.ConnectionString, options)).ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("Host=127.0.0.1;No Such Keyword=1")]
    public void An_empty_or_malformed_connection_string_is_refused_by_the_open_call_itself(string connectionString)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => PostgresStreamLog.OpenAsync(connectionString));
        Assert.Contains(connectionString.Trim().Length == 0 ? "connectionString" : "no such keyword", error.ParamName + error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_reconnect_delay_beyond_the_longest_timer_waits_instead_of_failing_the_call()
    {
        // 60 days is more than one timer can measure (about 49.7 days); the options accept it, so the waits must too.
        await using var proxy = new CuttingProxy(_server.Port);
        var throughProxy = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Port = proxy.Port }.ConnectionString;
        var log = await PostgresStreamLog.OpenAsync(throughProxy, new PostgresStreamLogOptions
        {
            TimeProvider = Clock, ReconnectDelay = TimeSpan.FromDays(60), MaxReconnectDelay = TimeSpan.FromDays(60), ReconnectTimeout = TimeSpan.FromDays(365),
        });
        var stream = NewStream();
        await log.AppendAsync(stream, "before", AppendMode.Durable);
        var timers = Clock.TimersCreated;

        proxy.GoDown();
        var read = log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10).AsTask();
        // The first two attempts fail at once; the third waits ReconnectDelay on the log's clock.
        await Task.WhenAny(read, Clock.WaitForTimersAsync(timers + 1)).WaitAsync(Guard);
        Assert.False(read.IsCompleted, $"The read ended: {read.Exception?.InnerException}");

        proxy.ComeBack();
        Clock.Advance(TimeSpan.FromDays(60));
        Assert.Equal(["before"], (await read.WaitAsync(Guard)).Select(Text));
        await log.DisposeAsync();
    }

    [Theory]
    [InlineData(3.0)]
    [InlineData(86_401.0)]
    public void A_lease_outside_four_seconds_to_a_day_is_refused(double seconds)
    {
        var options = new PostgresStreamLogOptions { WatchLease = TimeSpan.FromSeconds(seconds) };

        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(nameof(PostgresStreamLogOptions.WatchLease), error.ParamName);
    }

    // Sends a marker notification from another session and collects what the listener hears before it: notifications
    // arrive in commit order, so every append that returned before the marker was sent has been heard by then.
    private static async Task<List<string>> HeardUntilMarkerAsync(NpgsqlDataSource admin, NpgsqlConnection listener, List<string> heard)
    {
        var marker = $"marker-{Guid.NewGuid():N}";
        await using (var notify = admin.CreateCommand("SELECT pg_notify('rs_append', $1)"))
        {
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = marker });
            await notify.ExecuteNonQueryAsync();
        }

        var guard = System.Diagnostics.Stopwatch.StartNew();
        while (!heard.Contains(marker))
        {
            Assert.True(guard.Elapsed < Guard, "The marker notification never arrived.");
            await listener.WaitAsync(Guard);
        }

        var before = heard.TakeWhile(p => p != marker).ToList();
        heard.Clear();
        return before;
    }
}
