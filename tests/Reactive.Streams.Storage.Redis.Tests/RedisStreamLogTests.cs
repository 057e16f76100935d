using System.Globalization;
using System.Text.Json.Nodes;
using Reactive.Streams.Storage.Tests;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>The conformance suite on Redis, plus pub/sub wake-ups, the summary's compare-and-set and server restarts.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisStreamLogTests : ServerStreamLogConformanceTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly RedisServerFixture _server;

    public RedisStreamLogTests(RedisServerFixture server)
    {
        _server = server;
    }

    public override Task InitializeAsync()
    {
        _server.EnsureRunning();
        return Task.CompletedTask;
    }

    protected override async ValueTask<IStreamLog> OpenLogAsync(StreamLogOptions options) =>
        await RedisStreamLog.OpenAsync(_server.ConfigurationString, new RedisStreamLogOptions(options));

    /// <summary>
    /// SIGKILLs the server and starts it again: with <c>appendfsync always</c> every acknowledged write is in the
    /// append-only file. The restarted server has also lost its script cache, so the first <c>EVALSHA</c> meets
    /// <c>NOSCRIPT</c> and the script is sent again.
    /// </summary>
    protected override Task RestartServerAsync() => _server.RestartAsync();

    private async Task<RedisStreamLog> OpenAsync(TimeProvider? clock = null, string? keyPrefix = null)
    {
        var options = new RedisStreamLogOptions { TimeProvider = clock ?? Clock, KeyPrefix = keyPrefix ?? RedisStreamLogOptions.DefaultKeyPrefix };
        var log = await RedisStreamLog.OpenAsync(_server.ConfigurationString, options);
        Track(log);
        return log;
    }

    [Fact]
    public async Task A_publish_that_brings_nothing_new_keeps_the_tail_waiting()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromSeconds(30), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        await using (var raw = await ConnectionMultiplexer.ConnectAsync(_server.ConfigurationString))
        {
            Assert.Equal(1, await raw.GetSubscriber().PublishAsync(RedisChannel.Literal("rs:append"), stream));
        }

        // The stray announcement wakes the tail, which re-checks, finds nothing and parks on a new timer.
        await Clock.WaitForTimersAsync(timers + 2);
        Assert.False(tail.IsCompleted);
        Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(await tail.WaitAsync(Guard));
    }

    [Fact]
    public async Task Ids_are_the_redis_entries_own_ids_and_frames_are_plain_stream_entries()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var durable = await log.AppendAsync(stream, "d", AppendMode.Durable);
        var live = await log.AppendAsync(stream, "l", AppendMode.BestEffortLive);

        var entries = await log.Database.StreamRangeAsync($"rs:{{{stream}}}:d");
        var liveEntries = await log.Database.StreamRangeAsync($"rs:{{{stream}}}:l");

        Assert.Equal(durable.Id.ToString(), (string?)Assert.Single(entries).Id);
        Assert.Equal("d", (string?)entries[0]["p"]);
        Assert.Equal("0", (string?)entries[0]["m"]);
        Assert.Equal(live.Id.ToString(), (string?)Assert.Single(liveEntries).Id);
        Assert.Equal("2", (string?)liveEntries[0]["m"]);
    }

    [Fact]
    public async Task Best_effort_frames_are_trimmed_with_maxlen_on_their_own_redis_stream()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var retention = new LiveRetentionOptions();
        await log.AppendAsync(stream, "durable", AppendMode.Durable);
        for (var i = 0; i < retention.Floor + 5; i++)
        {
            await log.AppendAsync(stream, $"live {i}", AppendMode.BestEffortLive);
        }

        // At rate 0 (the virtual clock never moves, intervals read as 1 ms: a burst) K is at least the floor.
        var length = await log.Database.StreamLengthAsync($"rs:{{{stream}}}:l");
        Assert.InRange(length, retention.Floor, retention.Floor + 5);
        Assert.Equal(1, await log.Database.StreamLengthAsync($"rs:{{{stream}}}:d"));
    }

    [Fact]
    public async Task Concurrent_summary_appends_from_several_instances_all_merge()
    {
        var logs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => OpenAsync()));
        var stream = NewStream();

        // Every writer reads the same summary and races the others: the compare-and-set must merge each patch once.
        await Task.WhenAll(logs.SelectMany((log, w) => Enumerable.Range(0, 10).Select(i =>
            log.AppendAsync(stream, $$$"""{"w{{{w}}}":{"i{{{i}}}":{{{i}}}}}""", AppendMode.DurableSummary).AsTask())));

        var summary = await logs[0].ReadSummaryAsync(stream);
        Assert.Equal(40, summary!.Version);
        var document = JsonNode.Parse(summary.Document.GetRawText())!.AsObject();
        Assert.Equal(4, document.Count);
        Assert.All(document, member => Assert.Equal(10, member.Value!.AsObject().Count));
        Assert.Equal(40, (await logs[1].ReadAsync(stream, StreamId.Min, StreamId.Max, 100)).Count);
    }

    [Fact]
    public async Task Maxlen_trimming_is_exact_and_keeps_the_newest_best_effort_entries_of_the_redis_stream()
    {
        await using var log = await RedisStreamLog.OpenAsync(
            _server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = Clock, LiveRetention = new LiveRetentionOptions { Floor = 4, Ceiling = 4 } });
        var stream = NewStream();
        var live = new List<StreamId>();
        var durable = (await log.AppendAsync(stream, "durable", AppendMode.Durable)).Id;
        for (var i = 0; i < 10; i++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(3));
            live.Add((await log.AppendAsync(stream, $"live {i}", AppendMode.BestEffortLive)).Id);
        }

        var batch = await log.AppendBatchAsync(stream, [Utf8("b0"), Utf8("b1"), Utf8("b2")], AppendMode.BestEffortLive);

        // XADD … MAXLEN 4 (exact, not ~): XLEN is the bound, and XRANGE holds the newest entries.
        var key = $"rs:{{{stream}}}:l";
        Assert.Equal(4, await log.Database.StreamLengthAsync(key));
        Assert.Equal(
            [live[^1].ToString(), batch.FirstId.ToString(), new StreamId(batch.FirstId.Milliseconds, batch.FirstId.Sequence + 1).ToString(), batch.LastId.ToString()],
            (await log.Database.StreamRangeAsync(key)).Select(e => e.Id.ToString()));
        Assert.Equal(5, batch.FrameCount);
        Assert.Equal([durable.ToString()], (await log.Database.StreamRangeAsync($"rs:{{{stream}}}:d")).Select(e => e.Id.ToString()));
    }

    [Theory]
    [InlineData("""{"a":{"b":[1,{"c":null}],"d":{}},"e":"$null","f":1.0000000000000002,"g":12345678901234567890,"h":"é\ud83d\ude00"}""")]
    [InlineData("""{"a":{"b":null,"x":{"y":"$null"}},"d":{"e":[]},"z":-0.0,"n":1e300}""")]
    public async Task The_stored_summary_is_what_JsonMergePatch_computes(string patch)
    {
        var log = await OpenAsync();
        var stream = NewStream();
        const string First = """{"a":{"b":7,"x":{"y":1,"k":[]}},"e":{"deep":true},"keep":"yes"}""";
        await log.AppendAsync(stream, First, AppendMode.DurableSummary);
        await log.AppendAsync(stream, patch, AppendMode.DurableSummary);

        var expected = JsonMergePatch.Apply(JsonMergePatch.Apply(null, First), patch);
        var summary = await log.ReadSummaryAsync(stream);
        Assert.Equal(expected, summary!.Document.GetRawText());
    }

    [Fact]
    public async Task Keys_of_two_prefixes_are_kept_apart()
    {
        var a = await OpenAsync(keyPrefix: "one:");
        var b = await OpenAsync(keyPrefix: "two:");
        const string Stream = "shared-name";
        await a.AppendAsync(Stream, "from one", AppendMode.Durable);

        Assert.Empty(await b.ReadAsync(Stream, StreamId.Min, StreamId.Max, 10));
        Assert.Equal(["from one"], (await a.ReadAsync(Stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a{b")]
    [InlineData("a}b")]
    [InlineData("tab\t")]
    public void A_bad_key_prefix_is_refused_naming_the_option(string prefix)
    {
        var options = new RedisStreamLogOptions { KeyPrefix = prefix };

        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(nameof(RedisStreamLogOptions.KeyPrefix), error.ParamName);
    }

    public static TheoryData<string, Action<RedisStreamLogOptions>> BadOptions => new()
    {
        { "KeyPrefix", o => o.KeyPrefix = null! },
        { "KeyPrefix", o => o.KeyPrefix = "" },
        { "KeyPrefix", o => o.KeyPrefix = new string('k', 65) },
        { "Database", o => o.Database = -2 },
        { "ReconnectTimeout", o => o.ReconnectTimeout = TimeSpan.FromTicks(-1) },
        { "ReconnectTimeout", o => o.ReconnectTimeout = Timeout.InfiniteTimeSpan },
        { "Logger", o => o.Logger = null! },
        { "MaxReadCount", o => o.MaxReadCount = 0 },
        { "Ceiling", o => o.LiveRetention.Ceiling = 0 },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task A_bad_option_is_refused_by_both_open_calls_themselves_naming_it(string name, Action<RedisStreamLogOptions> set)
    {
        var options = new RedisStreamLogOptions();
        set(options);
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(_server.ConfigurationString);

        Assert.Equal(name, Assert.ThrowsAny<ArgumentException>(() => RedisStreamLog.OpenAsync(_server.ConfigurationString, options)).ParamName);
        Assert.Equal(name, Assert.ThrowsAny<ArgumentException>(() => RedisStreamLog.OpenAsync(multiplexer, options)).ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("127.0.0.1:1,noSuchOption=1")]
    public void An_empty_or_malformed_configuration_is_refused_by_the_open_call_itself(string configuration)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => RedisStreamLog.OpenAsync(configuration));
        Assert.Contains(configuration.Trim().Length == 0 ? "configuration" : "noSuchOption", error.ParamName + error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changing_the_key_prefix_after_opening_leaves_the_log_on_its_keys()
    {
        var prefix = $"p{Guid.NewGuid():N}:";
        var options = new RedisStreamLogOptions { TimeProvider = Clock, KeyPrefix = prefix };
        var log = await RedisStreamLog.OpenAsync(_server.ConfigurationString, options);
        Track(log);
        await log.AppendAsync("s", "before", AppendMode.Durable);
        await log.WriteCheckpointAsync("c", new StreamId(5, 0));

        options.KeyPrefix = "elsewhere:";
        options.ReconnectTimeout = TimeSpan.Zero;
        options.Logger = null!;

        await log.AppendAsync("s", "after", AppendMode.Durable);
        Assert.Equal(["before", "after"], (await log.ReadAsync("s", StreamId.Min, StreamId.Max, 10)).Select(Text));
        Assert.Equal(new StreamId(5, 0), await log.ReadCheckpointAsync("c"));
        await using var raw = await ConnectionMultiplexer.ConnectAsync(_server.ConfigurationString);
        Assert.Equal(2, await raw.GetDatabase().StreamLengthAsync($"{prefix}{{s}}:d"));
        Assert.False(await raw.GetDatabase().KeyExistsAsync("elsewhere:{s}:d"));
    }

    [Fact]
    public async Task Opening_an_unreachable_server_fails_with_a_connection_error()
    {
        await Assert.ThrowsAsync<RedisConnectionException>(() =>
            RedisStreamLog.OpenAsync("127.0.0.1:1,connectTimeout=500,connectRetry=0").AsTask());
    }

    [Fact]
    public async Task A_log_on_a_shared_multiplexer_leaves_it_open_when_disposed()
    {
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(_server.ConfigurationString);
        var stream = NewStream();
        await using (var log = await RedisStreamLog.OpenAsync(multiplexer, new RedisStreamLogOptions { TimeProvider = Clock }))
        {
            await log.AppendAsync(stream, "x", AppendMode.Durable);
        }

        Assert.True(multiplexer.IsConnected);
        Assert.Equal(1, await multiplexer.GetDatabase().StreamLengthAsync($"rs:{{{stream}}}:d"));
    }

    [Theory]
    [InlineData(AppendMode.Durable)]
    [InlineData(AppendMode.DurableSummary)]
    [InlineData(AppendMode.BestEffortLive)]
    public async Task An_append_cancelled_before_it_is_sent_throws_and_writes_nothing(AppendMode mode)
    {
        var log = await OpenAsync();
        var stream = NewStream();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.AppendAsync(stream, """{"a":1}""", mode, new CancellationToken(true)).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            log.AppendBatchAsync(stream, [Utf8("""{"b":1}""")], mode, new CancellationToken(true)).AsTask());

        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
        Assert.Null(await log.ReadSummaryAsync(stream));
        Assert.Equal(1, (await log.AppendAsync(stream, """{"c":1}""", mode)).FrameCount);
    }

    [Fact]
    public async Task Disposing_one_of_two_logs_on_a_shared_multiplexer_keeps_the_other_s_tails_waking()
    {
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(_server.ConfigurationString);
        var first = await RedisStreamLog.OpenAsync(multiplexer, new RedisStreamLogOptions { TimeProvider = Clock });
        var second = await RedisStreamLog.OpenAsync(multiplexer, new RedisStreamLogOptions { TimeProvider = Clock });
        Track(second);
        var stream = NewStream();
        var timers = Clock.TimersCreated;
        var doomed = first.TailAsync(stream, StreamId.Min, TimeSpan.FromDays(1), 10).AsTask();
        var kept = second.TailAsync(stream, StreamId.Min, TimeSpan.FromDays(1), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 2);

        await first.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => doomed.WaitAsync(Guard));
        var writer = await OpenAsync();
        await writer.AppendAsync(stream, "after one log left", AppendMode.Durable);

        Assert.Equal(["after one log left"], (await kept.WaitAsync(Guard)).Select(Text));
        Assert.True(multiplexer.IsConnected);
    }

    [Fact]
    public async Task After_a_server_restart_the_subscription_reconnects_and_rechecks_tails_whose_announcements_were_lost()
    {
        var log = await OpenAsync();
        var streams = new[] { NewStream(), NewStream(), NewStream() };
        foreach (var stream in streams)
        {
            Assert.Empty(await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 10));
        }

        // Four parked tails: one on each stream, and a second on the first. Their timeout is a virtual day that never
        // passes here, so only the log's re-check after its subscription comes back can wake them.
        var timers = Clock.TimersCreated;
        var tails = streams.Append(streams[0]).Select(s => log.TailAsync(s, StreamId.Min, TimeSpan.FromDays(1), 10).AsTask()).ToArray();
        await Clock.WaitForTimersAsync(timers + tails.Length);

        await _server.RestartAsync();
        // A fresh writer connects at once; the tailing log's multiplexer reconnects on its own schedule, and
        // announcements published before it has re-subscribed reach nobody in it.
        var writer = await OpenAsync(clock: TimeProvider.System);
        foreach (var stream in streams)
        {
            await writer.AppendAsync(stream, $"{stream} while the subscription was away", AppendMode.Durable);
        }

        var woken = await Task.WhenAll(tails).WaitAsync(Guard);
        Assert.Equal(streams.Append(streams[0]).Select(s => $"{s} while the subscription was away"), woken.Select(r => Text(Assert.Single(r))));
        Assert.True(log.SubscriptionReconnects >= 1);

        // The subscription hears announcements again.
        var last = await log.AppendAsync(streams[0], "again", AppendMode.Durable);
        timers = Clock.TimersCreated;
        var next = log.TailAsync(streams[0], last.Id, TimeSpan.FromDays(1), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        await writer.AppendAsync(streams[0], "woken by publish", AppendMode.Durable);
        Assert.Equal(["woken by publish"], (await next.WaitAsync(Guard)).Select(Text));
    }

    [Fact]
    public async Task On_resp3_where_subscriptions_share_the_interactive_connection_a_restart_rechecks_parked_tails()
    {
        // RESP3 carries pub/sub on the interactive connection: no connection of type Subscription is ever restored.
        var log = await RedisStreamLog.OpenAsync(_server.ConfigurationString + ",protocol=resp3", new RedisStreamLogOptions { TimeProvider = Clock });
        Track(log);
        Assert.Equal(RedisProtocol.Resp3, log.Multiplexer.GetServers()[0].Protocol);
        var stream = NewStream();
        var timers = Clock.TimersCreated;
        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromDays(1), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);

        // An entry written without an announcement (as one published while the connection was away): only a re-check
        // finds it, and the virtual day of the tail's timeout never passes.
        await using (var raw = await ConnectionMultiplexer.ConnectAsync(_server.ConfigurationString))
        {
            await raw.GetDatabase().StreamAddAsync($"rs:{{{stream}}}:d", [new NameValueEntry("m", "0"), new NameValueEntry("p", "unannounced")]);
        }

        Assert.False(tail.IsCompleted);
        await _server.RestartAsync();

        Assert.Equal(["unannounced"], (await tail.WaitAsync(Guard)).Select(Text));
        Assert.True(log.SubscriptionReconnects >= 1);
    }

    [Fact]
    public async Task Opening_cancelled_while_connecting_closes_the_connection_once_it_is_made()
    {
        await using var proxy = new HoldingProxy(_server.Port);
        using var cancel = new CancellationTokenSource();
        var open = RedisStreamLog.OpenAsync(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{proxy.Port},connectTimeout=120000"), null, cancel.Token).AsTask();
        await proxy.FirstAccepted.WaitAsync(Guard);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => open);

        // The connection the cancelled open was making has no owner: once made, it is closed, not left open for ever.
        proxy.Release();
        await proxy.AllClosed.WaitAsync(Guard);
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
}
