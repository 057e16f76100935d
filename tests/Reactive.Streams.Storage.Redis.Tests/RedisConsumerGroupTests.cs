using System.Text;
using Reactive.Streams.Storage.Tests;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// The consumer-group conformance suite on Redis's native consumer groups. Claim timeouts and idle times are on the
/// log's clock (kept beside Redis's pending list), so the suite's virtual time applies as on the other backends. Plus
/// what is Redis's own: a group is a pair of native groups, on the durable and on the best-effort entries.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisConsumerGroupTests(RedisServerFixture server) : ConsumerGroupConformanceTests
{
    public override Task InitializeAsync()
    {
        server.EnsureRunning();
        return Task.CompletedTask;
    }

    protected override async ValueTask<IConsumerGroupLog> OpenLogAsync(StreamLogOptions options) =>
        await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions(options));

    private async Task<IConsumerGroupLog> OpenWithRetentionAsync(int keep) =>
        Track(await OpenLogAsync(new StreamLogOptions { TimeProvider = Clock, LiveRetention = new LiveRetentionOptions { Floor = keep, Ceiling = keep } }));

    [Fact]
    public async Task A_claim_of_the_largest_allowed_size_hands_out_every_frame_with_its_time()
    {
        // MaxReadCount (10 000 by default) frames in one claim: their times go into the sorted set in one ZADD each time,
        // more arguments than Lua's unpack takes at once (about 8 000).
        var log = await CreateAsync();
        var stream = NewStream();
        for (var i = 0; i < StreamLogOptions.DefaultMaxReadCount / 1000; i++)
        {
            await ((IStreamLog)log).AppendBatchAsync(stream, Enumerable.Range(0, 1000).Select(j => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"f{i}-{j}")).ToArray(), AppendMode.Durable);
        }

        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);

        var claim = await log.ClaimAsync(stream, "g", "a", StreamLogOptions.DefaultMaxReadCount, ClaimTimeout);
        Assert.Equal(StreamLogOptions.DefaultMaxReadCount, claim.Frames.Count);
        var own = await log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, StreamLogOptions.DefaultMaxReadCount);
        Assert.Equal(claim.Frames.Select(f => f.Frame.Id), own.Frames.Select(f => f.Frame.Id));
        Assert.All(own.Frames, f => Assert.Equal(2, f.DeliveryCount));

        // Every frame has its time on the log's clock: none is due before the claim timeout, all are after it.
        Assert.Empty((await log.ClaimAsync(stream, "g", "b", StreamLogOptions.DefaultMaxReadCount, ClaimTimeout)).Frames);
        Clock.Advance(ClaimTimeout);
        var reclaimed = await log.ClaimAsync(stream, "g", "b", StreamLogOptions.DefaultMaxReadCount, ClaimTimeout);
        Assert.Equal(claim.Frames.Select(f => f.Frame.Id), reclaimed.Frames.Select(f => f.Frame.Id));
        Assert.All(reclaimed.Frames, f => Assert.Equal(3, f.DeliveryCount));
    }

    [Fact]
    public async Task A_group_hands_out_durable_and_best_effort_frames_together_in_id_order()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var modes = new[] { AppendMode.Durable, AppendMode.BestEffortLive, AppendMode.Durable, AppendMode.BestEffortLive, AppendMode.Durable };
        var ids = new List<StreamId>();
        for (var i = 0; i < modes.Length; i++)
        {
            ids.Add((await log.AppendAsync(stream, Encoding.UTF8.GetBytes($"f{i}"), modes[i])).Id);
        }

        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var a = await log.ClaimAsync(stream, "g", "a", 3, ClaimTimeout);
        var b = await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout);

        Assert.Equal(ids[..3], a.Frames.Select(f => f.Frame.Id));
        Assert.Equal(new[] { AppendMode.Durable, AppendMode.BestEffortLive, AppendMode.Durable }, a.Frames.Select(f => f.Frame.Mode));
        Assert.Equal(ids[2], a.LastDeliveredId);
        Assert.Equal(ids[3..], b.Frames.Select(f => f.Frame.Id));
        Assert.Equal(ids[^1], b.LastDeliveredId);
        var later = (await log.AppendAsync(stream, "live"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[^1], 5L, 1L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(ids, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));

        Assert.Equal(5, await log.AcknowledgeAsync(stream, "g", ids));
        await PassAsync(ClaimTimeout);
        Assert.Equal(new[] { later }, (await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout)).Frames.Select(f => f.Frame.Id));
    }

    [Fact]
    public async Task Lag_is_counted_where_redis_does_not_know_it_for_a_group_started_after_an_id()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = new List<StreamId>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await log.AppendAsync(stream, Encoding.UTF8.GetBytes($"f{i}"), i % 2 == 0 ? AppendMode.Durable : AppendMode.BestEffortLive)).Id);
        }

        // A group made at an explicit id has no entries-read count in Redis, so XINFO reports no lag for it.
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.After(ids[0]));
        var info = await log.ReadGroupAsync(stream, "g");

        Assert.Equal((ids[0], 0L, 3L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(ids[1..], (await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout)).Frames.Select(f => f.Frame.Id));
        Assert.Equal(0, (await log.ReadGroupAsync(stream, "g"))!.Lag);
    }

    [Fact]
    public async Task A_best_effort_frame_trimmed_while_pending_is_dropped_not_reclaimed()
    {
        var log = await OpenWithRetentionAsync(keep: 1);
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var first = (await log.AppendAsync(stream, "l0"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        Assert.Equal(new[] { first }, (await log.ClaimAsync(stream, "g", "dead", 10, ClaimTimeout)).Frames.Select(f => f.Frame.Id));

        // The stream keeps one best-effort frame: the next one trims the pending one.
        var second = (await log.AppendAsync(stream, "l1"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        await PassAsync(ClaimTimeout);
        var claim = await log.ClaimAsync(stream, "g", "live", 10, ClaimTimeout);

        Assert.Equal(new[] { second }, claim.Frames.Select(f => f.Frame.Id));
        Assert.Equal(new[] { second }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
    }

    [Fact]
    public async Task An_entry_another_client_handed_out_is_reclaimed_by_the_server_s_idle_time()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        // Another client reads the first entry through the same native group: the log has no time for it.
        var foreign = await redis.GetDatabase().StreamReadGroupAsync($"rs:{{{stream}}}:d", "g", "foreign", ">", 1);
        Assert.Equal(ids[0].ToString(), foreign.Single().Id.ToString());

        // Its claim timeout is then measured on the server's clock: let 50 ms pass there, then claim with a 1 ms timeout.
        await Task.Delay(50);
        var claim = await log.ClaimAsync(stream, "g", "a", 1, TimeSpan.FromMilliseconds(1));

        Assert.Equal(new[] { ids[0] }, claim.Frames.Select(f => f.Frame.Id));
        Assert.Equal(2, claim.Frames[0].DeliveryCount);
        Assert.Equal(new[] { "a" }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Consumer));
    }

    [Fact]
    public async Task Groups_whose_names_contain_braces_do_not_share_keys_with_another_stream_s_groups()
    {
        var log = await CreateAsync();
        var streamA = NewStream();
        var streamB = streamA + "}:g:b";
        var a = await AppendAsync(log, streamA, 1);
        var b = await AppendAsync(log, streamB, 1);
        await log.CreateGroupAsync(streamA, "b}:g:c", ConsumerGroupStart.Beginning);
        await log.CreateGroupAsync(streamB, "c", ConsumerGroupStart.Beginning);

        Assert.Equal(a, (await log.ClaimAsync(streamA, "b}:g:c", "m", 10, ClaimTimeout)).Frames.Select(f => f.Frame.Id));
        Assert.Equal(b, (await log.ClaimAsync(streamB, "c", "m", 10, ClaimTimeout)).Frames.Select(f => f.Frame.Id));
        Assert.Equal(1, await log.AcknowledgeAsync(streamA, "b}:g:c", a));

        // The second group's pending entry and its time are its own: it is still pending, and reclaimed after the timeout.
        Assert.Equal(b, (await log.ReadPendingAsync(streamB, "c", null, 10)).Select(p => p.Id));
        await PassAsync(ClaimTimeout);
        var again = await log.ClaimAsync(streamB, "c", "n", 10, ClaimTimeout);
        Assert.Equal(b, again.Frames.Select(f => f.Frame.Id));
        Assert.Equal(2, again.Frames[0].DeliveryCount);
    }

    [Theory]
    [InlineData("d", "l")]
    [InlineData("l", "d")]
    public async Task Creating_a_group_where_a_stream_key_holds_something_else_fails_naming_the_key_and_writes_nothing(string foreign, string other)
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        var db = redis.GetDatabase();
        var foreignKey = $"rs:{{{stream}}}:{foreign}";
        await db.StringSetAsync(foreignKey, "someone else's");

        var e = await Assert.ThrowsAsync<RedisServerException>(() => log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning).AsTask());

        Assert.Contains(foreignKey, e.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was written", e.Message, StringComparison.Ordinal);
        Assert.False(await db.KeyExistsAsync($"rs:{{{stream}}}:{other}"));
        Assert.Equal("someone else's", (string?)await db.StringGetAsync(foreignKey));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_claim_where_the_members_key_holds_something_else_fails_naming_the_key_and_hands_out_nothing(bool ownPending)
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var held = await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        var db = redis.GetDatabase();
        var members = $"rs:{{{stream}}}:g:g:c";
        await db.KeyDeleteAsync(members);
        await db.StringSetAsync(members, "someone else's");
        var before = await db.StreamPendingMessagesAsync($"rs:{{{stream}}}:d", "g", 10, RedisValue.Null);

        var e = await Assert.ThrowsAsync<RedisServerException>(() => ownPending
            ? log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 10).AsTask()
            : log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout).AsTask());

        Assert.Contains(members, e.Message, StringComparison.Ordinal);
        var after = await db.StreamPendingMessagesAsync($"rs:{{{stream}}}:d", "g", 10, RedisValue.Null);
        Assert.Equal(
            before.Select(p => (p.MessageId.ToString(), p.ConsumerName.ToString(), p.DeliveryCount)),
            after.Select(p => (p.MessageId.ToString(), p.ConsumerName.ToString(), p.DeliveryCount)));
        await db.KeyDeleteAsync(members);
        Assert.Equal(new[] { ids[2] }, (await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout)).Frames.Select(f => f.Frame.Id));
        Assert.Equal(held.Frames.Select(f => f.Frame.Id), ids[..2]);
    }

    [Fact]
    public async Task An_acknowledgement_where_the_times_key_holds_something_else_fails_naming_the_key_and_acknowledges_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        var db = redis.GetDatabase();
        var times = $"rs:{{{stream}}}:g:g:z";
        await db.KeyDeleteAsync(times);
        await db.StringSetAsync(times, "someone else's");

        var e = await Assert.ThrowsAsync<RedisServerException>(() => log.AcknowledgeAsync(stream, "g", ids).AsTask());

        Assert.Contains(times, e.Message, StringComparison.Ordinal);
        Assert.Equal(2, (await db.StreamPendingAsync($"rs:{{{stream}}}:d", "g")).PendingMessageCount);
    }

    // ---- the native structures, as redis-cli shows them (XINFO GROUPS, XINFO CONSUMERS, XPENDING, XACK) ----

    private static Dictionary<string, string> Fields(RedisResult entry)
    {
        var parts = (RedisResult[])entry!;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < parts.Length; i += 2)
        {
            fields[(string)parts[i]!] = parts[i + 1].IsNull ? "" : parts[i + 1].ToString();
        }

        return fields;
    }

    private static async Task<Dictionary<string, string>> RawGroupAsync(IDatabase db, string key, string group) =>
        ((RedisResult[])(await db.ExecuteAsync("XINFO", "GROUPS", (RedisKey)key))!).Select(Fields).Single(g => g["name"] == group);

    /// <summary>The extended XPENDING of a key as (id, consumer, delivery count), the way redis-cli prints it.</summary>
    private static async Task<(string Id, string Consumer, long Count)[]> RawPendingAsync(IDatabase db, string key, string group) =>
        ((RedisResult[])(await db.ExecuteAsync("XPENDING", (RedisKey)key, group, "-", "+", 100))!)
            .Select(e => (RedisResult[])e!)
            .Select(e => ((string)e[0]!, (string)e[1]!, (long)e[3]))
            .ToArray();

    [Fact]
    public async Task A_group_is_a_native_group_whose_pending_list_owners_and_delivery_counts_redis_cli_shows()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        var live = (await log.AppendAsync(stream, "live"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        var db = redis.GetDatabase();
        var durable = $"rs:{{{stream}}}:d";
        var bestEffort = $"rs:{{{stream}}}:l";

        Assert.True(await log.CreateGroupAsync(stream, "billing", ConsumerGroupStart.Beginning));

        // XGROUP CREATE at 0 on both halves.
        Assert.Equal("0-0", (await RawGroupAsync(db, durable, "billing"))["last-delivered-id"]);
        Assert.Equal("0-0", (await RawGroupAsync(db, bestEffort, "billing"))["last-delivered-id"]);

        // XREADGROUP by "a": the native pending list holds the ids with their holder and a delivery count of 1.
        var a = await log.ClaimAsync(stream, "billing", "a", 2, ClaimTimeout);
        Assert.Equal(ids[..2], a.Frames.Select(f => f.Frame.Id));
        Assert.Equal([(ids[0].ToString(), "a", 1L), (ids[1].ToString(), "a", 1L)], await RawPendingAsync(db, durable, "billing"));
        Assert.Equal(ids[1].ToString(), (await RawGroupAsync(db, durable, "billing"))["last-delivered-id"]);
        var consumers = ((RedisResult[])(await db.ExecuteAsync("XINFO", "CONSUMERS", (RedisKey)durable, "billing"))!).Select(Fields).ToArray();
        Assert.Equal("2", Assert.Single(consumers, c => c["name"] == "a")["pending"]);

        // The rest by "b", across both halves.
        var b = await log.ClaimAsync(stream, "billing", "b", 10, ClaimTimeout);
        Assert.Equal([ids[2], live], b.Frames.Select(f => f.Frame.Id));
        Assert.Equal([(live.ToString(), "b", 1L)], await RawPendingAsync(db, bestEffort, "billing"));

        // After the claim timeout "c" reclaims a's frames: XCLAIM moved them, raising Redis's own delivery count.
        await PassAsync(ClaimTimeout);
        var c = await log.ClaimAsync(stream, "billing", "c", 2, ClaimTimeout);
        Assert.Equal(ids[..2], c.Frames.Select(f => f.Frame.Id));
        Assert.All(c.Frames, f => Assert.Equal(2, f.DeliveryCount));
        var pending = await RawPendingAsync(db, durable, "billing");
        Assert.Contains((ids[0].ToString(), "c", 2L), pending);
        Assert.Contains((ids[1].ToString(), "c", 2L), pending);

        // The log's own view agrees with XPENDING: holder and delivery count of every pending frame.
        var view = await log.ReadPendingAsync(stream, "billing", null, 10);
        Assert.Equal(
            (await RawPendingAsync(db, durable, "billing")).Concat(await RawPendingAsync(db, bestEffort, "billing")).OrderBy(p => StreamId.Parse(p.Id)),
            view.Select(p => (p.Id.ToString(), p.Consumer, p.DeliveryCount)));

        // AcknowledgeAsync is XACK: the native pending lists empty.
        Assert.Equal(4, await log.AcknowledgeAsync(stream, "billing", [.. ids, live]));
        Assert.Empty(await RawPendingAsync(db, durable, "billing"));
        Assert.Empty(await RawPendingAsync(db, bestEffort, "billing"));
        Assert.Equal("0", (await RawGroupAsync(db, durable, "billing"))["pending"]);
    }

    [Fact]
    public async Task A_frame_acknowledged_from_redis_cli_with_XACK_is_no_longer_pending_nor_reclaimed()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        Assert.Equal(ids, (await log.ClaimAsync(stream, "g", "dead", 10, ClaimTimeout)).Frames.Select(f => f.Frame.Id));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        var db = redis.GetDatabase();

        // An operator acknowledges the poison frame by hand.
        Assert.Equal(1L, (long)await db.ExecuteAsync("XACK", (RedisKey)$"rs:{{{stream}}}:d", "g", ids[1].ToString()));

        Assert.Equal([ids[0], ids[2]], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal(2, info!.PendingCount);
        Assert.Equal(2, Assert.Single(info.Members).PendingCount);
        await PassAsync(ClaimTimeout);
        var reclaimed = await log.ClaimAsync(stream, "g", "live", 10, ClaimTimeout);
        Assert.Equal([ids[0], ids[2]], reclaimed.Frames.Select(f => f.Frame.Id));
        Assert.Equal(0, await log.AcknowledgeAsync(stream, "g", [ids[1]]));
    }

    [Fact]
    public async Task Parked_group_pulls_and_tails_block_no_connection_and_leave_the_multiplexer_serving_others()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var others = Enumerable.Range(0, 16).Select(i => NewStream("idle")).ToArray();
        var timers = Clock.TimersCreated;

        // Sixteen tails of other streams and two members of the group, all parked on the one multiplexer.
        var tails = others.Select(o => ((IStreamLog)log).TailAsync(o, StreamId.Min, TimeSpan.FromSeconds(30), 10).AsTask()).ToArray();
        await Clock.WaitForTimersAsync(timers + others.Length).WaitAsync(Guard);
        var a = await OpenCanalAsync(log, stream, "a");
        var b = await OpenCanalAsync(log, stream, "b");
        var pullA = a.PullBatchAsync(10, TimeSpan.FromMinutes(1)).AsTask();
        var pullB = b.PullBatchAsync(10, TimeSpan.FromMinutes(1)).AsTask();
        await Clock.WaitForTimersAsync(timers + others.Length + 2).WaitAsync(Guard);

        // No connection of the server is in a blocking command (INFO clients: blocked_clients), and the multiplexer
        // the parked calls share still answers at once.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        var clients = (string)(await redis.GetDatabase().ExecuteAsync("INFO", "clients"))!;
        Assert.Contains("blocked_clients:0", clients, StringComparison.Ordinal);
        Assert.Empty(await ((IStreamLog)log).ReadAsync(others[0], StreamId.Min, StreamId.Max, 10).AsTask().WaitAsync(Guard));
        Assert.All(tails, t => Assert.False(t.IsCompleted));

        // An append wakes a parked member at once (no virtual time passes), and the frame goes to one member only.
        var id = (await log.AppendAsync(stream, "work"u8.ToArray(), AppendMode.Durable)).Id;
        var first = await Task.WhenAny(pullA, pullB).WaitAsync(Guard);
        Assert.Equal([id], (await first).Select(f => f.Id));
        var second = first == pullA ? pullB : pullA;
        Assert.False(second.IsCompleted);
        var woken = (await ((IStreamLog)log).AppendAsync(others[3], "t"u8.ToArray(), AppendMode.Durable)).Id;
        Assert.Equal([woken], (await tails[3].WaitAsync(Guard)).Select(f => f.Id));

        // The other member takes the next frame, and the other tails end empty when their time is up.
        var next = (await log.AppendAsync(stream, "more"u8.ToArray(), AppendMode.Durable)).Id;
        Assert.Equal([next], (await second.WaitAsync(Guard)).Select(f => f.Id));
        Clock.Advance(TimeSpan.FromSeconds(30));
        foreach (var t in tails.Where((_, i) => i != 3))
        {
            Assert.Empty(await t.WaitAsync(Guard));
        }
    }

    [Fact]
    public async Task Taking_own_frames_back_is_the_native_history_read_raising_redis_s_delivery_count()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 3, ClaimTimeout);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        var db = redis.GetDatabase();
        var durable = $"rs:{{{stream}}}:d";

        var own = await log.ClaimOwnPendingAsync(stream, "g", "a", ids[0], 10);

        Assert.Equal(ids[1..], own.Frames.Select(f => f.Frame.Id));
        Assert.Equal([(ids[0].ToString(), "a", 1L), (ids[1].ToString(), "a", 2L), (ids[2].ToString(), "a", 2L)], await RawPendingAsync(db, durable, "g"));
        // The cursor is not moved: nothing new was read.
        Assert.Equal(ids[2].ToString(), (await RawGroupAsync(db, durable, "g"))["last-delivered-id"]);
    }

    [Fact]
    public async Task A_group_an_operator_created_on_the_durable_entries_is_used_as_it_is_and_gains_its_best_effort_half()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        var db = redis.GetDatabase();
        var durable = $"rs:{{{stream}}}:d";
        // redis-cli XGROUP CREATE rs:{s}:d g <id of the first frame>
        Assert.Equal("OK", (string?)await db.ExecuteAsync("XGROUP", "CREATE", (RedisKey)durable, "g", ids[0].ToString()));

        // The group exists: creating it again leaves its cursor where the operator put it, and adds the other half.
        Assert.False(await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning));
        Assert.Equal(ids[0].ToString(), (await RawGroupAsync(db, durable, "g"))["last-delivered-id"]);
        Assert.Equal("0-0", (await RawGroupAsync(db, $"rs:{{{stream}}}:l", "g"))["last-delivered-id"]);

        Assert.Equal(ids[1..], (await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout)).Frames.Select(f => f.Frame.Id));
        var live = (await log.AppendAsync(stream, "l"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        Assert.Equal([live], (await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout)).Frames.Select(f => f.Frame.Id));
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((live, 3L, 0L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
    }
}
