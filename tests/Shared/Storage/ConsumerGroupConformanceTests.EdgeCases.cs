using System.Text;

namespace Reactive.Streams.Storage.Tests;

/// <summary>Consumer-group behaviour the conformance suite did not yet pin down, on every backend.</summary>
public abstract partial class ConsumerGroupConformanceTests
{
    private static StreamId[] ProbeIds(ConsumerGroupClaim claim) => claim.Frames.Select(f => f.Frame.Id).ToArray();

    private async Task<StreamId[]> AppendSpacedAsync(IStreamLog log, string stream, int count)
    {
        var ids = new StreamId[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = (await log.AppendAsync(stream, Encoding.UTF8.GetBytes($"f{i}"), AppendMode.Durable)).Id;
            Clock.Advance(TimeSpan.FromMilliseconds(10));
        }

        return ids;
    }

    [Fact]
    public async Task A_group_started_after_an_id_between_frames_delivers_the_frames_after_it()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendSpacedAsync(log, stream, 4);
        var between = new StreamId(ids[1].Milliseconds + 5, 0);
        Assert.True(ids[1] < between && between < ids[2]);

        Assert.True(await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.After(between)));
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((between, 0L, 2L), (info!.LastDeliveredId, info.PendingCount, info.Lag));

        var claim = await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout);
        Assert.Equal(ids[2..], ProbeIds(claim));
        Assert.Equal(ids[^1], claim.LastDeliveredId);
    }

    [Fact]
    public async Task A_group_started_after_a_future_id_skips_frames_up_to_it()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await AppendSpacedAsync(log, stream, 2);
        var future = new StreamId(Clock.GetUtcNow().ToUnixTimeMilliseconds() + 60_000, 0);

        Assert.True(await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.After(future)));
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((future, 0L, 0L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        await log.AppendAsync(stream, "before-the-start"u8.ToArray(), AppendMode.Durable);

        var claim = await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout);
        Assert.Empty(claim.Frames);
        Assert.Equal(future, claim.LastDeliveredId);
        Assert.Equal(0, (await log.ReadGroupAsync(stream, "g"))!.Lag);

        Clock.Advance(TimeSpan.FromMinutes(2));
        var after = (await log.AppendAsync(stream, "after-the-start"u8.ToArray(), AppendMode.Durable)).Id;
        Assert.Equal(new[] { after }, ProbeIds(await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout)));
    }

    [Fact]
    public async Task A_group_started_after_the_greatest_id_hands_out_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await AppendAsync(log, stream, 2);

        Assert.True(await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.After(StreamId.Max)));
        await AppendAsync(log, stream, 1);
        var claim = await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout);

        Assert.Empty(claim.Frames);
        Assert.Equal(StreamId.Max, claim.LastDeliveredId);
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((StreamId.Max, 0L, 0L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
    }

    [Fact]
    public async Task A_canal_opened_at_the_end_skips_what_is_there_and_a_second_open_changes_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await AppendAsync(log, stream, 3);
        var options = new ConsumerGroupCanalOptions { ClaimTimeout = ClaimTimeout, TimeProvider = Clock, Start = ConsumerGroupStart.End };
        var a = Track(await ConsumerGroupCanal.OpenAsync(log, stream, "g", "a", options));
        Assert.True((await a.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        var later = (await log.AppendAsync(stream, "later"u8.ToArray(), AppendMode.Durable)).Id;

        var b = Track(await ConsumerGroupCanal.OpenAsync(log, stream, "g", "b", new ConsumerGroupCanalOptions { ClaimTimeout = ClaimTimeout, TimeProvider = Clock }));
        Assert.Equal(new[] { later }, (await b.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
        Assert.True((await a.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
    }

    [Fact]
    public async Task Delivery_counts_rise_with_each_reclaim_and_the_pending_list_follows()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 1);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);

        var members = new[] { "a", "b", "c", "a" };
        for (var i = 0; i < members.Length; i++)
        {
            var claim = await log.ClaimAsync(stream, "g", members[i], 10, ClaimTimeout);
            Assert.Equal(ids, ProbeIds(claim));
            Assert.Equal(i + 1, claim.Frames[0].DeliveryCount);
            Assert.Equal(new[] { new PendingFrame(ids[0], members[i], TimeSpan.Zero, i + 1) }, await log.ReadPendingAsync(stream, "g", null, 10));
            Assert.Empty(await log.ReadPendingAsync(stream, "g", members[i] == "a" ? "b" : "a", 10));
            Assert.Empty((await log.ClaimAsync(stream, "g", "z", 10, ClaimTimeout)).Frames); // still held
            await PassAsync(ClaimTimeout);
        }
    }

    [Fact]
    public async Task Pending_filtered_by_consumer_with_a_limit_is_that_member_s_oldest()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 6);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);
        await log.ClaimAsync(stream, "g", "b", 2, ClaimTimeout);
        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);

        Assert.Equal([ids[0], ids[1], ids[4]], (await log.ReadPendingAsync(stream, "g", "a", 3)).Select(p => p.Id));
        Assert.Equal([ids[2]], (await log.ReadPendingAsync(stream, "g", "b", 1)).Select(p => p.Id));
        Assert.All(await log.ReadPendingAsync(stream, "g", "a", 10), p => Assert.Equal("a", p.Consumer));
        Assert.Equal(ids, (await log.ReadPendingAsync(stream, "g", null, int.MaxValue)).Select(p => p.Id));
    }

    [Fact]
    public async Task Lag_follows_appends_and_claims_not_acknowledgements()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        Assert.Equal(0, (await log.ReadGroupAsync(stream, "g"))!.Lag);
        var ids = await AppendAsync(log, stream, 4);
        Assert.Equal(4, (await log.ReadGroupAsync(stream, "g"))!.Lag);
        await log.ClaimAsync(stream, "g", "a", 3, ClaimTimeout);
        Assert.Equal(1, (await log.ReadGroupAsync(stream, "g"))!.Lag);
        await log.AcknowledgeAsync(stream, "g", ids[..3]);
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((1L, 0L), (info!.Lag, info.PendingCount));
        await log.AppendAsync(stream, "best-effort"u8.ToArray(), AppendMode.BestEffortLive);
        Assert.Equal(2, (await log.ReadGroupAsync(stream, "g"))!.Lag);
        await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout);
        Assert.Equal((0L, 2L), ((await log.ReadGroupAsync(stream, "g"))!.Lag, (await log.ReadGroupAsync(stream, "g"))!.PendingCount));
    }

    [Fact]
    public async Task Lag_leaves_out_frames_trimmed_before_they_were_delivered()
    {
        var log = await OpenLogKeepingTwoLiveFramesAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var ids = new List<StreamId>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await log.AppendAsync(stream, Encoding.UTF8.GetBytes($"l{i}"), AppendMode.BestEffortLive)).Id);
        }

        var kept = (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(f => f.Id).ToArray();
        Assert.Equal(ids[3..], kept);
        Assert.Equal(2, (await log.ReadGroupAsync(stream, "g"))!.Lag);
        Assert.Equal(kept, ProbeIds(await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout)));
        Assert.Equal(0, (await log.ReadGroupAsync(stream, "g"))!.Lag);
    }

    [Fact]
    public async Task More_bad_input_is_refused_with_the_parameter_named_and_nothing_written()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await AppendAsync(log, stream, 2);

        Assert.Equal("stream", (await Assert.ThrowsAsync<ArgumentNullException>(() => log.CreateGroupAsync(null!, "g", ConsumerGroupStart.Beginning).AsTask())).ParamName);
        Assert.Equal("group", (await Assert.ThrowsAsync<ArgumentNullException>(() => log.CreateGroupAsync(stream, null!, ConsumerGroupStart.Beginning).AsTask())).ParamName);
        Assert.Equal("stream", (await Assert.ThrowsAsync<ArgumentException>(() => log.CreateGroupAsync(new string('s', StreamLog.MaxStreamNameLength + 1), "g", ConsumerGroupStart.Beginning).AsTask())).ParamName);
        Assert.Null(await log.ReadGroupAsync(stream, "g"));

        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        Assert.Equal("limit", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.ClaimAsync(stream, "g", "a", -1, ClaimTimeout).AsTask())).ParamName);
        Assert.Equal("limit", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.ClaimAsync(stream, "g", "a", int.MinValue, ClaimTimeout).AsTask())).ParamName);
        Assert.Equal("claimTimeout", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.ClaimAsync(stream, "g", "a", 1, TimeSpan.FromSeconds(-1)).AsTask())).ParamName);
        Assert.Equal("claimTimeout", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.ClaimAsync(stream, "g", "a", 1, TimeSpan.MinValue).AsTask())).ParamName);
        Assert.Equal("consumer", (await Assert.ThrowsAsync<ArgumentException>(() => log.ClaimAsync(stream, "g", "a\u0001b", 1, ClaimTimeout).AsTask())).ParamName);
        Assert.Equal("group", (await Assert.ThrowsAsync<ArgumentException>(() => log.ClaimAsync(stream, "", "a", 1, ClaimTimeout).AsTask())).ParamName);
        Assert.Equal("stream", (await Assert.ThrowsAsync<ArgumentException>(() => log.ClaimAsync("", "g", "a", 1, ClaimTimeout).AsTask())).ParamName);
        Assert.Equal("limit", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.ReadPendingAsync(stream, "g", null, -3).AsTask())).ParamName);
        Assert.Equal("consumer", (await Assert.ThrowsAsync<ArgumentException>(() => log.ReadPendingAsync(stream, "g", "", 1).AsTask())).ParamName);
        Assert.Equal("group", (await Assert.ThrowsAsync<ArgumentException>(() => log.AcknowledgeAsync(stream, "", [StreamId.Min]).AsTask())).ParamName);
        Assert.Equal("stream", (await Assert.ThrowsAsync<ArgumentNullException>(() => log.AcknowledgeAsync(null!, "g", [StreamId.Min]).AsTask())).ParamName);
        Assert.Equal("group", (await Assert.ThrowsAsync<ArgumentNullException>(() => log.ReadGroupAsync(stream, null!).AsTask())).ParamName);

        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((StreamId.Min, 0L, 2L, 0), (info!.LastDeliveredId, info.PendingCount, info.Lag, info.Members.Count));
    }

    [Fact]
    public async Task Unknown_groups_and_streams_throw_group_not_found_even_with_no_ids()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var nowhere = NewStream("none");

        await Assert.ThrowsAsync<ConsumerGroupNotFoundException>(() => log.ClaimAsync(nowhere, "g", "a", 1, ClaimTimeout).AsTask());
        await Assert.ThrowsAsync<ConsumerGroupNotFoundException>(() => log.AcknowledgeAsync(nowhere, "g", []).AsTask());
        await Assert.ThrowsAsync<ConsumerGroupNotFoundException>(() => log.AcknowledgeAsync(stream, "other", []).AsTask());
        await Assert.ThrowsAsync<ConsumerGroupNotFoundException>(() => log.ReadPendingAsync(nowhere, "g", "a", 1).AsTask());
        Assert.Null(await log.ReadGroupAsync(nowhere, "g"));
        Assert.Null(await log.ReadGroupAsync(stream, "other"));
        Assert.Equal(0, await log.AcknowledgeAsync(stream, "g", []));
    }

    [Fact]
    public async Task Calls_with_a_token_already_cancelled_write_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        var cancelled = new CancellationToken(true);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning, cancelled).AsTask());
        Assert.Null(await log.ReadGroupAsync(stream, "g"));

        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout, cancelled).AsTask());
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((StreamId.Min, 0L, 0), (info!.LastDeliveredId, info.PendingCount, info.Members.Count));

        await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.AcknowledgeAsync(stream, "g", ids, cancelled).AsTask());
        Assert.Equal(ids, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.ReadPendingAsync(stream, "g", null, 10, cancelled).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.ReadGroupAsync(stream, "g", cancelled).AsTask());
    }

    // ---- the canal ----

    [Fact]
    public async Task Commit_acknowledges_only_what_this_member_holds_up_to_the_frame()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 6);
        var a = await OpenCanalAsync(log, stream, "a");
        var b = await OpenCanalAsync(await CreateAsync(), stream, "b");
        var a1 = await a.PullBatchAsync(2, TimeSpan.Zero);
        var b1 = await b.PullBatchAsync(2, TimeSpan.Zero);
        var a2 = await a.PullBatchAsync(2, TimeSpan.Zero);
        Assert.Equal(ids[..2], a1.Select(f => f.Id));
        Assert.Equal(ids[2..4], b1.Select(f => f.Id));
        Assert.Equal(ids[4..], a2.Select(f => f.Id));

        // A frame of b's: a acknowledges its own frames before it, not b's.
        await a.CommitAsync(b1[1]);
        Assert.Equal([ids[2], ids[3], ids[4], ids[5]], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        Assert.Equal(2, a.Unacknowledged);

        // Inclusive of the frame given, nothing after it.
        await a.CommitAsync(a2[0]);
        Assert.Equal([ids[2], ids[3], ids[5]], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        Assert.Equal(1, a.Unacknowledged);
        await a.CommitAsync(a2[0]); // again: nothing more
        Assert.Equal(3, (await log.ReadGroupAsync(stream, "g"))!.PendingCount);
        await b.CommitAsync(b1[0]);
        Assert.Equal([ids[3], ids[5]], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
    }

    [Fact]
    public async Task Disposing_the_log_ends_a_parked_canal_pull()
    {
        var log = await OpenLogAsync(new StreamLogOptions { TimeProvider = Clock });
        var stream = NewStream();
        var canal = await ConsumerGroupCanal.OpenAsync(log, stream, "g", "a", new ConsumerGroupCanalOptions { ClaimTimeout = ClaimTimeout, TimeProvider = Clock });
        var timers = Clock.TimersCreated;

        var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1)).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        Assert.False(pull.IsCompleted);
        await log.DisposeAsync();

        var error = await Record.ExceptionAsync(() => pull.WaitAsync(Guard));
        Assert.True(error is ObjectDisposedException or CanalClosedException, $"got {error}");
        await canal.DisposeAsync();
    }

    [Fact]
    public async Task Creating_one_group_concurrently_creates_it_once()
    {
        var logs = new[] { await CreateAsync(), await CreateAsync(), await CreateAsync() };
        for (var round = 0; round < 20; round++)
        {
            var stream = NewStream();
            using var go = new ManualResetEventSlim();
            var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                go.Wait();
                return await logs[i % logs.Length].CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
            })).ToArray();
            go.Set();
            var created = await Task.WhenAll(tasks).WaitAsync(Guard);
            Assert.Equal(1, created.Count(c => c));
        }
    }

    [Fact]
    public async Task A_canal_pull_with_a_token_already_cancelled_claims_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        var canal = await OpenCanalAsync(log, stream, "a");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.PullBatchAsync(10, TimeSpan.Zero, new CancellationToken(true)).AsTask());

        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((StreamId.Min, 0L, 2L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        var other = await OpenCanalAsync(await CreateAsync(), stream, "b");
        Assert.Equal(ids, (await other.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
    }

    [Fact]
    public async Task A_dead_lettered_frame_keeps_its_payload_and_headers_says_where_it_came_from_and_leaves_the_pending_list()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var deadLetter = NewStream("dl");
        var headers = new Dictionary<string, string>
        {
            [FrameHeaders.TraceParent] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ["tenant"] = "t1",
            [FrameHeaders.OriginalStream] = "an earlier parking's", // replaced: the frame was parked from this stream now
        };
        var id = (await log.AppendAsync(stream, "poison"u8.ToArray(), AppendMode.Durable, headers)).Id;
        var canal = await OpenCanalAsync(log, stream, "a", maxDeliveries: 1, deadLetter: deadLetter);
        Assert.Equal(new[] { id }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
        await PassAsync(ClaimTimeout);

        Assert.True((await canal.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        var parked = Assert.Single(await log.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10));
        Assert.Equal("poison", Text(parked));
        var expected = new Dictionary<string, string>(headers)
        {
            [FrameHeaders.OriginalStream] = stream,
            [FrameHeaders.OriginalId] = id.ToString(),
            [FrameHeaders.OriginalGroup] = "g",
            [FrameHeaders.DeliveryCount] = "2",
        };
        Assert.Equal(expected.OrderBy(h => h.Key, StringComparer.Ordinal), parked.Headers.OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Equal(id, StreamId.Parse(parked.Headers[FrameHeaders.OriginalId]));
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(0, (await log.ReadGroupAsync(stream, "g"))!.PendingCount);
        await PassAsync(ClaimTimeout);
        Assert.True((await canal.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        Assert.Single(await log.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10));
    }

    [Fact]
    public async Task A_frame_with_all_the_headers_it_may_carry_is_parked_with_its_own_headers_only()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var deadLetter = NewStream("dl");
        var full = Enumerable.Range(0, FrameHeaders.MaxCount).ToDictionary(i => $"h{i}", i => "v");
        var id = (await log.AppendAsync(stream, "poison"u8.ToArray(), AppendMode.Durable, full)).Id;
        var canal = await OpenCanalAsync(log, stream, "a", maxDeliveries: 1, deadLetter: deadLetter);
        Assert.Equal(new[] { id }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
        await PassAsync(ClaimTimeout);

        Assert.True((await canal.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        var parked = Assert.Single(await log.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10));
        Assert.Equal(full.OrderBy(h => h.Key, StringComparer.Ordinal), parked.Headers.OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
    }

    [Fact]
    public async Task A_pull_that_dead_letters_what_it_claimed_goes_on_to_the_next_due_frame()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var deadLetter = NewStream("dl");
        var ids = await AppendAsync(log, stream, 3);
        var canal = await OpenCanalAsync(log, stream, "a", maxDeliveries: 1, deadLetter: deadLetter);
        Assert.Equal(ids[..1], (await canal.PullBatchAsync(1, TimeSpan.Zero)).Select(f => f.Id));
        Assert.Equal(ids[1..2], (await canal.PullBatchAsync(1, TimeSpan.Zero)).Select(f => f.Id));
        await PassAsync(ClaimTimeout);

        // ids[0] and ids[1] are due for a second delivery, past the most: each pull dead-letters, and goes on to ids[2].
        var batch = await canal.PullBatchAsync(1, TimeSpan.Zero);
        Assert.Equal(ids[2..], batch.Select(f => f.Id));
        Assert.Equal(new[] { "f0", "f1" }, (await log.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10)).Select(Text));
        Assert.Equal(ids[2..], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
    }

    [Fact]
    public async Task A_reclaim_moves_pending_counts_between_members_and_leaves_the_cursor()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);
        await PassAsync(ClaimTimeout);

        var claim = await log.ClaimAsync(stream, "g", "b", 2, ClaimTimeout);

        Assert.Equal(ids[..2], ProbeIds(claim));
        Assert.Equal(ids[1], claim.LastDeliveredId); // only reclaimed frames: the cursor did not move
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[1], 2L, 1L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(
            new[] { new ConsumerGroupMember("a", 0, ClaimTimeout), new ConsumerGroupMember("b", 2, TimeSpan.Zero) },
            info.Members);
    }

    [Fact]
    public async Task A_group_started_at_the_end_skips_durable_and_best_effort_frames_alike()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, "d0"u8.ToArray(), AppendMode.Durable);
        await log.AppendAsync(stream, "l0"u8.ToArray(), AppendMode.BestEffortLive);
        await log.AppendAsync(stream, "d1"u8.ToArray(), AppendMode.Durable);
        var last = (await log.AppendAsync(stream, "l1"u8.ToArray(), AppendMode.BestEffortLive)).Id;

        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.End);
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((last, 0L), (info!.LastDeliveredId, info.Lag));
        var next = (await log.AppendAsync(stream, "d2"u8.ToArray(), AppendMode.Durable)).Id;

        Assert.Equal(new[] { next }, ProbeIds(await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout)));
    }

    [Fact]
    public async Task A_canal_that_reclaims_its_own_frame_holds_it_once_with_the_new_count()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        var canal = await OpenCanalAsync(log, stream, "a");
        var first = await canal.PullBatchAsync(1, TimeSpan.Zero);
        await PassAsync(ClaimTimeout);

        var again = await canal.PullBatchAsync(10, TimeSpan.Zero);

        Assert.Equal(ids, again.Select(f => f.Id));
        Assert.Equal(2, canal.Unacknowledged);
        Assert.Equal(2, canal.DeliveryCountOf(first[0]));
        Assert.Equal(1, canal.DeliveryCountOf(again[1]));
        await canal.CommitAsync(again[^1]);
        Assert.Equal(0, canal.Unacknowledged);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
    }

    [Fact]
    public async Task Members_are_listed_in_ordinal_order_of_their_names()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        // UTF-16 order puts a surrogate pair (U+1F600) before U+E000; UTF-8 byte order would put it after.
        string[] names = ["\uE000x", "\U0001F600x", "b", "B", "a ", " ", "a"];
        foreach (var name in names)
        {
            await log.ClaimAsync(stream, "g", name, 1, ClaimTimeout);
        }

        var members = (await log.ReadGroupAsync(stream, "g"))!.Members.Select(m => m.Name);
        Assert.Equal(names.Order(StringComparer.Ordinal), members);
    }

    [Fact]
    public async Task A_canal_forgets_a_frame_it_held_once_the_frame_is_dead_lettered()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var deadLetter = NewStream("dl");
        await AppendAsync(log, stream, 2);
        var canal = await OpenCanalAsync(log, stream, "a", maxDeliveries: 1, deadLetter: deadLetter);
        var first = await canal.PullBatchAsync(1, TimeSpan.Zero);
        Assert.Equal(1, canal.Unacknowledged);
        await PassAsync(ClaimTimeout);

        // The same canal claims its own frame again, past the most deliveries: parked, and no longer held here.
        var next = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(new[] { "f1" }, next.Select(Text));
        Assert.Equal(new[] { "f0" }, (await log.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10)).Select(Text));
        Assert.Equal(0, canal.DeliveryCountOf(first[0]));
        Assert.Equal(1, canal.Unacknowledged);
        await canal.CommitAsync(next[0]);
        Assert.Equal(0, canal.Unacknowledged);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
    }

    [Fact]
    public async Task A_canal_refuses_the_group_s_own_stream_as_its_dead_letter_stream()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await AppendAsync(log, stream, 1);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => ConsumerGroupCanal.OpenAsync(
            log, stream, "g", "a", new ConsumerGroupCanalOptions { DeadLetterStream = stream, TimeProvider = Clock }).AsTask());

        Assert.Equal("options", error.ParamName);
        Assert.Contains("DeadLetterStream", error.Message, StringComparison.Ordinal);
        Assert.Null(await log.ReadGroupAsync(stream, "g"));
    }

    [Fact]
    public async Task A_pull_with_a_claim_timeout_below_a_millisecond_parks_instead_of_claiming_without_end()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var canal = Track(await ConsumerGroupCanal.OpenAsync(
            log, stream, "g", "a", new ConsumerGroupCanalOptions { ClaimTimeout = TimeSpan.FromTicks(1), TimeProvider = Clock }));
        var timers = Clock.TimersCreated;

        // On its own thread: a pull that never parks would never return to the test (the in-memory log never yields).
        var pull = Task.Run(() => canal.PullBatchAsync(10, TimeSpan.FromMinutes(1)).AsTask());
        await Clock.WaitForTimersAsync(timers + 1);
        Assert.False(pull.IsCompleted);
        var id = (await log.AppendAsync(stream, "x"u8.ToArray(), AppendMode.Durable)).Id;

        Assert.Equal(new[] { id }, (await pull.WaitAsync(Guard)).Select(f => f.Id));
    }

    [Fact]
    public async Task Lag_leaves_out_frames_trimmed_after_the_group_s_cursor_once_it_has_read()
    {
        var log = await OpenLogKeepingTwoLiveFramesAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.AppendAsync(stream, "l0"u8.ToArray(), AppendMode.BestEffortLive);
        await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout);

        // Retention keeps two best-effort frames: l1-l5 go before the group reads them.
        for (var i = 1; i < 8; i++)
        {
            await log.AppendAsync(stream, Encoding.UTF8.GetBytes($"l{i}"), AppendMode.BestEffortLive);
        }

        await log.AppendAsync(stream, "d"u8.ToArray(), AppendMode.Durable);
        Assert.Equal(3, (await log.ReadGroupAsync(stream, "g"))!.Lag);
        var claim = await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout);
        Assert.Equal(new[] { "l6", "l7", "d" }, claim.Frames.Select(f => Text(f.Frame)));
        Assert.Equal(0, (await log.ReadGroupAsync(stream, "g"))!.Lag);

        // Again, with the cursor now on the newest best-effort frame kept.
        for (var i = 8; i < 11; i++)
        {
            await log.AppendAsync(stream, Encoding.UTF8.GetBytes($"l{i}"), AppendMode.BestEffortLive);
        }

        Assert.Equal(2, (await log.ReadGroupAsync(stream, "g"))!.Lag);
    }

    [Fact]
    public async Task A_member_restarted_under_its_name_with_claim_own_pending_first_off_gets_its_frames_back_after_the_claim_timeout()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        var before = await OpenCanalAsync(log, stream, "a");
        Assert.Equal(ids[..2], (await before.PullBatchAsync(2, TimeSpan.Zero)).Select(f => f.Id));
        await PassAsync(TimeSpan.FromSeconds(1));

        // The process restarts: another log instance, a new canal with the same name.
        var restarted = await CreateAsync();
        Assert.Equal(
            new[] { new PendingFrame(ids[0], "a", TimeSpan.FromSeconds(1), 1), new PendingFrame(ids[1], "a", TimeSpan.FromSeconds(1), 1) },
            await restarted.ReadPendingAsync(stream, "g", "a", 10));
        var after = await OpenCanalAsync(restarted, stream, "a", claimOwnPendingFirst: false);
        Assert.Equal(ids[2..], (await after.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
        Assert.True((await after.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);

        await PassAsync(ClaimTimeout);
        var back = await after.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids, back.Select(f => f.Id));
        Assert.Equal(new[] { 2L, 2L, 2L }, back.Select(after.DeliveryCountOf));
    }

    [Fact]
    public async Task A_pull_whose_dead_letter_append_fails_keeps_the_other_frames_it_claimed_for_the_next_pull()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        var deadLetter = NewStream("dl");
        var ids = await AppendAsync(inner, stream, 3);
        var log = new FailingAppendLog(inner, deadLetter);
        var canal = await OpenCanalAsync(log, stream, "a", maxDeliveries: 1, deadLetter: deadLetter);
        Assert.Equal(ids[..1], (await canal.PullBatchAsync(1, TimeSpan.Zero)).Select(f => f.Id));
        await PassAsync(ClaimTimeout);

        // The claim takes ids[0] (past the most deliveries) and ids[1], ids[2]; parking ids[0] fails.
        log.Failing = true;
        await Assert.ThrowsAsync<IOException>(() => canal.PullBatchAsync(10, TimeSpan.Zero).AsTask());
        log.Failing = false;

        // The frames claimed with it come with the next pull, at once; ids[0] stays pending until it is reclaimed.
        var next = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids[1..], next.Select(f => f.Id));
        Assert.Equal(new[] { 1L, 1L }, next.Select(canal.DeliveryCountOf));
        foreach (var frame in next)
        {
            canal.AckTokenFor(frame).Acknowledge(); // not CommitAsync, which would acknowledge ids[0] too (held since the first pull)
        }

        await canal.FlushAcknowledgementsAsync();
        Assert.Equal(ids[..1], (await inner.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        Assert.Empty(await inner.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10));

        await PassAsync(ClaimTimeout);
        Assert.True((await canal.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        Assert.Equal(new[] { "f0" }, (await inner.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10)).Select(Text));
        Assert.Empty(await inner.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(0, canal.Unacknowledged);
    }

    /// <summary>A log whose appends to one stream fail while <see cref="Failing"/> is set (a dead-letter stream out of reach).</summary>
    private sealed class FailingAppendLog(IConsumerGroupLog inner, string failing) : IConsumerGroupLog
    {
        public volatile bool Failing;

        public ValueTask<AppendResult> AppendAsync(string stream, ReadOnlyMemory<byte> frame, AppendMode mode, CancellationToken cancellationToken = default) =>
            AppendAsync(stream, frame, mode, null, cancellationToken);

        public ValueTask<AppendResult> AppendAsync(string stream, ReadOnlyMemory<byte> frame, AppendMode mode, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken = default) =>
            Failing && stream == failing ? throw new IOException($"Appends to '{stream}' fail.") : inner.AppendAsync(stream, frame, mode, headers, cancellationToken);

        public ValueTask<AppendBatchResult> AppendBatchAsync(string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, CancellationToken cancellationToken = default) =>
            AppendBatchAsync(stream, frames, mode, null, cancellationToken);

        public ValueTask<AppendBatchResult> AppendBatchAsync(string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, CancellationToken cancellationToken = default) =>
            Failing && stream == failing ? throw new IOException($"Appends to '{stream}' fail.") : inner.AppendBatchAsync(stream, frames, mode, headers, cancellationToken);

        public ValueTask<IReadOnlyList<StreamFrame>> ReadAsync(string stream, StreamId from, StreamId to, int limit, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(stream, from, to, limit, cancellationToken);

        public ValueTask<IReadOnlyList<StreamFrame>> TailAsync(string stream, StreamId after, TimeSpan block, int limit, TailVisibility visibility = TailVisibility.All, CancellationToken cancellationToken = default) =>
            inner.TailAsync(stream, after, block, limit, visibility, cancellationToken);

        public IAsyncEnumerable<StreamFrame> TailAllAsync(string stream, StreamId after, TailVisibility visibility = TailVisibility.All, CancellationToken cancellationToken = default) =>
            inner.TailAllAsync(stream, after, visibility, cancellationToken);

        public ValueTask<StreamSummary?> ReadSummaryAsync(string stream, CancellationToken cancellationToken = default) =>
            inner.ReadSummaryAsync(stream, cancellationToken);

        public ValueTask<bool> CreateGroupAsync(string stream, string group, ConsumerGroupStart start, CancellationToken cancellationToken = default) =>
            inner.CreateGroupAsync(stream, group, start, cancellationToken);

        public ValueTask<ConsumerGroupClaim> ClaimAsync(string stream, string group, string consumer, int limit, TimeSpan claimTimeout, CancellationToken cancellationToken = default) =>
            inner.ClaimAsync(stream, group, consumer, limit, claimTimeout, cancellationToken);

        public ValueTask<ConsumerGroupClaim> ClaimOwnPendingAsync(string stream, string group, string consumer, StreamId after, int limit, CancellationToken cancellationToken = default) =>
            inner.ClaimOwnPendingAsync(stream, group, consumer, after, limit, cancellationToken);

        public ValueTask<long> AcknowledgeAsync(string stream, string group, IReadOnlyList<StreamId> ids, CancellationToken cancellationToken = default) =>
            inner.AcknowledgeAsync(stream, group, ids, cancellationToken);

        public ValueTask<IReadOnlyList<PendingFrame>> ReadPendingAsync(string stream, string group, string? consumer, int limit, CancellationToken cancellationToken = default) =>
            inner.ReadPendingAsync(stream, group, consumer, limit, cancellationToken);

        public ValueTask<ConsumerGroupInfo?> ReadGroupAsync(string stream, string group, CancellationToken cancellationToken = default) =>
            inner.ReadGroupAsync(stream, group, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the inner log is the test's
    }

    [Fact]
    public async Task A_group_pull_takes_every_ready_frame_up_to_max_beyond_the_logs_read_cap()
    {
        // As a cursor canal's: a pull returns every frame that is ready without waiting, up to max (ICanal); the log's
        // cap on one claim (MaxReadCount) is the log's business, not a smaller batch.
        var log = await CreateAsync(maxReadCount: 3);
        var stream = NewStream();
        await log.AppendBatchAsync(stream, [.. Enumerable.Range(0, 10).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"f{i}"))], AppendMode.Durable);
        var canal = Track(await ConsumerGroupCanal.OpenAsync(log, stream, "g", "a", new ConsumerGroupCanalOptions { ClaimTimeout = ClaimTimeout, TimeProvider = Clock }));

        var first = await canal.PullBatchAsync(8, TimeSpan.Zero);
        var rest = await canal.PullBatchAsync(8, TimeSpan.Zero);

        Assert.Equal([.. Enumerable.Range(0, 8).Select(i => $"f{i}")], first.Select(Text));
        Assert.Equal(["f8", "f9"], rest.Select(Text));
    }
}
