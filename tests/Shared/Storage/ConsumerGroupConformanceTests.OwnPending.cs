using System.Collections.Concurrent;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// <see cref="IConsumerGroupLog.ClaimOwnPendingAsync"/> on every backend: a member takes its own pending frames back at
/// once, as a Redis consumer reads its history with <c>XREADGROUP … 0</c>.
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    private static StreamId[] OwnIds(ConsumerGroupClaim claim) => claim.Frames.Select(f => f.Frame.Id).ToArray();

    [Fact]
    public async Task A_member_takes_its_own_pending_frames_back_at_once_with_the_delivery_count_raised_and_the_claim_time_reset()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 4);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);
        await log.ClaimAsync(stream, "g", "b", 1, ClaimTimeout);
        await PassAsync(TimeSpan.FromSeconds(1));

        var own = await log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 10);

        // Its two frames, long before their claim timeout; not b's, and not the new frame.
        Assert.Equal(ids[..2], OwnIds(own));
        Assert.Equal(new[] { "f0", "f1" }, own.Frames.Select(f => Text(f.Frame)));
        Assert.All(own.Frames, f => Assert.Equal(2, f.DeliveryCount));
        Assert.Equal(ids[2], own.LastDeliveredId);
        Assert.Equal(
            new[]
            {
                new PendingFrame(ids[0], "a", TimeSpan.Zero, 2),
                new PendingFrame(ids[1], "a", TimeSpan.Zero, 2),
                new PendingFrame(ids[2], "b", TimeSpan.FromSeconds(1), 1),
            },
            await log.ReadPendingAsync(stream, "g", null, 10));
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[2], 3L, 1L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(
            new[] { new ConsumerGroupMember("a", 2, TimeSpan.Zero), new ConsumerGroupMember("b", 1, TimeSpan.FromSeconds(1)) },
            info.Members);

        // A member holding nothing gets nothing, and the frames pending and new are as they were.
        var none = await log.ClaimOwnPendingAsync(stream, "g", "c", StreamId.Min, 10);
        Assert.Empty(none.Frames);
        Assert.Equal(ids[2], none.LastDeliveredId);
        var after = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[2], 3L, 1L), (after!.LastDeliveredId, after.PendingCount, after.Lag));
        Assert.Equal(new[] { ids[3] }, OwnIds(await log.ClaimAsync(stream, "g", "c", 10, ClaimTimeout)));
    }

    [Fact]
    public async Task Own_pending_frames_come_back_oldest_first_a_limit_at_a_time_after_the_cursor_and_never_acknowledged_ones()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 7);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        // a holds frames of two claims, with b's frame between them; one of them is acknowledged.
        await log.ClaimAsync(stream, "g", "a", 3, ClaimTimeout);
        await log.ClaimAsync(stream, "g", "b", 1, ClaimTimeout);
        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);
        Assert.Equal(1, await log.AcknowledgeAsync(stream, "g", [ids[1]]));

        var first = await log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 2);
        var second = await log.ClaimOwnPendingAsync(stream, "g", "a", first.Frames[^1].Frame.Id, 2);
        var third = await log.ClaimOwnPendingAsync(stream, "g", "a", second.Frames[^1].Frame.Id, 2);

        Assert.Equal([ids[0], ids[2]], OwnIds(first));
        Assert.Equal([ids[4], ids[5]], OwnIds(second));
        Assert.Empty(third.Frames);
        Assert.All(first.Frames.Concat(second.Frames), f => Assert.Equal(2, f.DeliveryCount));
        Assert.Equal(ids[5], third.LastDeliveredId);
        Assert.Equal(
            [(ids[0], "a", 2L), (ids[2], "a", 2L), (ids[3], "b", 1L), (ids[4], "a", 2L), (ids[5], "a", 2L)],
            (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));

        // Once a member has acknowledged everything, nothing comes back.
        Assert.Equal(4, await log.AcknowledgeAsync(stream, "g", [ids[0], ids[2], ids[4], ids[5]]));
        Assert.Empty((await log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 10)).Frames);
        Assert.Equal(new[] { ids[3] }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
    }

    [Fact]
    public async Task A_cursor_and_a_limit_inside_one_claim_s_frames_take_back_only_the_frames_between()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 5);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 5, ClaimTimeout);
        await PassAsync(TimeSpan.FromSeconds(1));

        var own = await log.ClaimOwnPendingAsync(stream, "g", "a", ids[0], 2);

        Assert.Equal(ids[1..3], OwnIds(own));
        var s = TimeSpan.FromSeconds(1);
        Assert.Equal(
            [(ids[0], s, 1L), (ids[1], TimeSpan.Zero, 2L), (ids[2], TimeSpan.Zero, 2L), (ids[3], s, 1L), (ids[4], s, 1L)],
            (await log.ReadPendingAsync(stream, "g", "a", 10)).Select(p => (p.Id, p.Idle, p.DeliveryCount)));

        // Each part is acknowledged and reclaimed on its own: the frames before and after when their first claim
        // expires, the ones taken back a second later.
        Assert.Equal(2, await log.AcknowledgeAsync(stream, "g", [ids[2], ids[3]]));
        await PassAsync(ClaimTimeout - s);
        var expired = await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout);
        Assert.Equal([ids[0], ids[4]], OwnIds(expired));
        Assert.All(expired.Frames, f => Assert.Equal(2, f.DeliveryCount));
        await PassAsync(s);
        var later = await log.ClaimAsync(stream, "g", "c", 10, ClaimTimeout);
        Assert.Equal(new[] { ids[1] }, OwnIds(later));
        Assert.Equal(3, later.Frames[0].DeliveryCount);
    }

    [Fact]
    public async Task A_frame_taken_back_is_reclaimable_by_another_member_only_once_the_claim_timeout_passes_again()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 1);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout);
        await PassAsync(ClaimTimeout);

        // Due for a reclaim, but its holder takes it back first: its claim starts again.
        Assert.Equal(ids, OwnIds(await log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 10)));
        Assert.Empty((await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout)).Frames);
        await PassAsync(ClaimTimeout - TimeSpan.FromMilliseconds(1));
        Assert.Empty((await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout)).Frames);
        await PassAsync(TimeSpan.FromMilliseconds(1));

        var reclaimed = await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout);
        Assert.Equal(ids, OwnIds(reclaimed));
        Assert.Equal(3, reclaimed.Frames[0].DeliveryCount);
        Assert.Empty((await log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 10)).Frames);
    }

    [Fact]
    public async Task Own_pending_frames_trimmed_while_pending_are_dropped_and_do_not_count_toward_the_limit()
    {
        var log = await OpenLogKeepingTwoLiveFramesAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var l0 = (await log.AppendAsync(stream, "l0"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        var l1 = (await log.AppendAsync(stream, "l1"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        var durable = (await log.AppendAsync(stream, "d"u8.ToArray(), AppendMode.Durable)).Id;
        Assert.Equal([l0, l1, durable], OwnIds(await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout)));

        // The stream keeps two best-effort frames: two more trim both pending ones.
        var l2 = (await log.AppendAsync(stream, "l2"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        await log.AppendAsync(stream, "l3"u8.ToArray(), AppendMode.BestEffortLive);
        Assert.Equal([l2], (await log.ReadAsync(stream, l2, l2, 1)).Select(f => f.Id));
        Assert.Empty(await log.ReadAsync(stream, l0, l1, 10));

        var own = await log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 1);

        Assert.Equal(new[] { durable }, OwnIds(own));
        Assert.Equal(2, own.Frames[0].DeliveryCount);
        Assert.Equal(new[] { (durable, "a", 2L) }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));
        Assert.Equal(1, (await log.ReadGroupAsync(stream, "g"))!.PendingCount);
        Assert.Equal(durable, own.LastDeliveredId);
    }

    [Fact]
    public async Task Taking_own_pending_frames_back_refuses_bad_input_and_an_unknown_group_and_writes_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout);
        await PassAsync(TimeSpan.FromSeconds(1));
        var tooLong = new string('x', StreamLog.MaxStreamNameLength + 1);

        Assert.Equal("consumer", (await Assert.ThrowsAsync<ArgumentException>(() => log.ClaimOwnPendingAsync(stream, "g", "", StreamId.Min, 1).AsTask())).ParamName);
        Assert.Equal("consumer", (await Assert.ThrowsAsync<ArgumentException>(() => log.ClaimOwnPendingAsync(stream, "g", tooLong, StreamId.Min, 1).AsTask())).ParamName);
        Assert.Equal("consumer", (await Assert.ThrowsAsync<ArgumentException>(() => log.ClaimOwnPendingAsync(stream, "g", "a\u0001b", StreamId.Min, 1).AsTask())).ParamName);
        Assert.Equal("consumer", (await Assert.ThrowsAsync<ArgumentNullException>(() => log.ClaimOwnPendingAsync(stream, "g", null!, StreamId.Min, 1).AsTask())).ParamName);
        Assert.Equal("group", (await Assert.ThrowsAsync<ArgumentException>(() => log.ClaimOwnPendingAsync(stream, "", "a", StreamId.Min, 1).AsTask())).ParamName);
        Assert.Equal("group", (await Assert.ThrowsAsync<ArgumentNullException>(() => log.ClaimOwnPendingAsync(stream, null!, "a", StreamId.Min, 1).AsTask())).ParamName);
        Assert.Equal("stream", (await Assert.ThrowsAsync<ArgumentException>(() => log.ClaimOwnPendingAsync("", "g", "a", StreamId.Min, 1).AsTask())).ParamName);
        Assert.Equal("limit", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 0).AsTask())).ParamName);
        Assert.Equal("limit", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, int.MinValue).AsTask())).ParamName);

        var unknown = await Assert.ThrowsAsync<ConsumerGroupNotFoundException>(() => log.ClaimOwnPendingAsync(stream, "nope", "a", StreamId.Min, 1).AsTask());
        Assert.Equal(("nope", stream), (unknown.Group, unknown.Stream));
        await Assert.ThrowsAsync<ConsumerGroupNotFoundException>(() => log.ClaimOwnPendingAsync(NewStream("none"), "g", "a", StreamId.Min, 1).AsTask());
        Assert.Null(await log.ReadGroupAsync(stream, "nope"));

        // a's frame is as it was: not taken back, its claim time and delivery count unchanged, no member added.
        Assert.Equal(new[] { new PendingFrame(ids[0], "a", TimeSpan.FromSeconds(1), 1) }, await log.ReadPendingAsync(stream, "g", null, 10));
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[0], 1L, 1L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(new[] { new ConsumerGroupMember("a", 1, TimeSpan.FromSeconds(1)) }, info.Members);
    }

    [Fact]
    public async Task Taking_own_pending_frames_back_with_a_token_already_cancelled_writes_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);
        await PassAsync(TimeSpan.FromSeconds(1));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 10, new CancellationToken(true)).AsTask());

        Assert.Equal(
            ids.Select(id => new PendingFrame(id, "a", TimeSpan.FromSeconds(1), 1)),
            await log.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(TimeSpan.FromSeconds(1), Assert.Single((await log.ReadGroupAsync(stream, "g"))!.Members).Idle);
    }

    [Fact]
    public async Task Taking_own_pending_frames_back_returns_at_most_the_log_s_read_cap()
    {
        var log = await CreateAsync(maxReadCount: 2);
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);
        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);

        var own = await log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 100);

        Assert.Equal(ids[..2], OwnIds(own));
        Assert.Equal(new[] { ids[2] }, OwnIds(await log.ClaimOwnPendingAsync(stream, "g", "a", ids[1], 100)));
    }

    [Fact]
    public async Task A_member_taking_its_frames_back_while_others_reclaim_them_never_shares_a_frame()
    {
        const int Frames = 120;
        var writer = await CreateAsync();
        var stream = NewStream();
        await writer.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await writer.AppendBatchAsync(stream, Enumerable.Range(0, Frames).Select(i => (ReadOnlyMemory<byte>)BitConverter.GetBytes(i)).ToArray(), AppendMode.Durable);
        // A member that holds every frame, taken in claims of assorted sizes, some acknowledged in part; all due.
        var held = new List<StreamId>();
        foreach (var size in new[] { 1, 30, 7, 50, 32 })
        {
            held.AddRange(OwnIds(await writer.ClaimAsync(stream, "g", "a", size, ClaimTimeout)));
        }

        var acknowledged = held.Where((_, i) => i % 5 == 0).ToArray();
        Assert.Equal(acknowledged.Length, await writer.AcknowledgeAsync(stream, "g", acknowledged));
        await PassAsync(ClaimTimeout);
        var logs = new[] { writer, await CreateAsync(), await CreateAsync(), await CreateAsync() };
        var taken = new ConcurrentBag<(string Member, StreamId Id, long Deliveries)>();

        // a (restarted) takes its frames back in small pages while three members reclaim them, as they are due.
        await Task.WhenAll(logs.Select((log, m) => Task.Run(async () =>
        {
            var after = StreamId.Min;
            while (true)
            {
                var claim = m == 0
                    ? await log.ClaimOwnPendingAsync(stream, "g", "a", after, 4)
                    : await log.ClaimAsync(stream, "g", $"m{m}", 2 + m, ClaimTimeout);
                if (claim.Frames.Count == 0)
                {
                    return;
                }

                Assert.Equal(claim.Frames.Select(f => f.Frame.Id).Order(), claim.Frames.Select(f => f.Frame.Id));
                after = claim.Frames[^1].Frame.Id;
                foreach (var frame in claim.Frames)
                {
                    taken.Add((m == 0 ? "a" : $"m{m}", frame.Frame.Id, frame.DeliveryCount));
                }
            }
        }))).WaitAsync(Guard * 3);

        Assert.Equal(held.Except(acknowledged).Order(), taken.Select(t => t.Id).Order());
        Assert.All(taken, t => Assert.Equal(2, t.Deliveries));
        var pending = await writer.ReadPendingAsync(stream, "g", null, Frames);
        Assert.Equal(taken.Select(t => (t.Id, t.Member)).Order(), pending.Select(p => (p.Id, p.Consumer)));
    }

    // ---- the canal ----

    [Fact]
    public async Task A_member_restarted_under_its_name_takes_its_pending_frames_back_with_its_first_pulls()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 6);
        var before = await OpenCanalAsync(log, stream, "a");
        var other = await OpenCanalAsync(log, stream, "b");
        Assert.Equal(ids[..3], (await before.PullBatchAsync(3, TimeSpan.Zero)).Select(f => f.Id));
        Assert.Equal(new[] { ids[3] }, (await other.PullBatchAsync(1, TimeSpan.Zero)).Select(f => f.Id));
        await PassAsync(TimeSpan.FromSeconds(1));

        // The process restarts: another log instance, a new canal with the same name. Long before the claim timeout, its
        // first pulls take back its own frames (a batch at a time, each once), then it claims as usual.
        var restarted = await CreateAsync();
        var after = await OpenCanalAsync(restarted, stream, "a");
        var first = await after.PullBatchAsync(2, TimeSpan.Zero);
        var second = await after.PullBatchAsync(10, TimeSpan.Zero);
        var third = await after.PullBatchAsync(10, TimeSpan.Zero);

        Assert.Equal(ids[..2], first.Select(f => f.Id));
        Assert.Equal(new[] { ids[2] }, second.Select(f => f.Id));
        Assert.Equal(ids[4..], third.Select(f => f.Id));
        Assert.Equal(new[] { 2L, 2L, 2L, 1L, 1L }, first.Concat(second).Concat(third).Select(after.DeliveryCountOf));
        Assert.Equal(5, after.Unacknowledged);
        Assert.Equal(
            [(ids[0], "a", 2L), (ids[1], "a", 2L), (ids[2], "a", 2L), (ids[3], "b", 1L), (ids[4], "a", 1L), (ids[5], "a", 1L)],
            (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));

        // They are this canal's: committing acknowledges them.
        await after.CommitAsync(third[^1]);
        Assert.Equal(0, after.Unacknowledged);
        Assert.Equal(new[] { ids[3] }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
    }

    [Fact]
    public async Task A_restarted_member_fills_a_lingering_pull_with_its_own_frames_then_new_ones_in_id_order()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 4);
        var before = await OpenCanalAsync(log, stream, "a");
        Assert.Equal(ids[..2], (await before.PullBatchAsync(2, TimeSpan.Zero)).Select(f => f.Id));

        var after = await OpenCanalAsync(await CreateAsync(), stream, "a");
        var batch = await after.PullBatchAsync(10, TimeSpan.FromMinutes(1), new CanalLinger(4, Timeout.InfiniteTimeSpan)).AsTask().WaitAsync(Guard);

        Assert.Equal(ids, batch.Select(f => f.Id));
        Assert.Equal(new[] { 2L, 2L, 1L, 1L }, batch.Select(after.DeliveryCountOf));
    }

    [Fact]
    public async Task A_frame_a_restarted_member_takes_back_past_the_most_deliveries_is_parked()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var deadLetter = NewStream("dl");
        var ids = await AppendAsync(log, stream, 2);
        var before = await OpenCanalAsync(log, stream, "a", maxDeliveries: 1, deadLetter: deadLetter);
        Assert.Equal(ids[..1], (await before.PullBatchAsync(1, TimeSpan.Zero)).Select(f => f.Id));

        // The frame crashed its worker: taken back by the restarted one, it is past the most deliveries, and parked.
        var after = await OpenCanalAsync(await CreateAsync(), stream, "a", maxDeliveries: 1, deadLetter: deadLetter);
        var batch = await after.PullBatchAsync(10, TimeSpan.Zero);

        Assert.Equal(ids[1..], batch.Select(f => f.Id));
        Assert.Equal(new[] { 1L }, batch.Select(after.DeliveryCountOf));
        Assert.Equal(1, after.Unacknowledged);
        var parked = Assert.Single(await log.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10));
        Assert.Equal("f0", Text(parked));
        Assert.Equal("2", parked.Headers[FrameHeaders.DeliveryCount]);
        Assert.Equal(ids[0], StreamId.Parse(parked.Headers[FrameHeaders.OriginalId]));
        Assert.Equal(new[] { ids[1] }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
    }

    [Fact]
    public async Task With_claim_own_pending_first_off_a_restarted_member_leaves_its_frames_to_the_claim_timeout()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        var before = await OpenCanalAsync(log, stream, "a", maxDeliveries: 1);
        Assert.Equal(ids[..1], (await before.PullBatchAsync(1, TimeSpan.Zero)).Select(f => f.Id));

        var after = await OpenCanalAsync(await CreateAsync(), stream, "a", maxDeliveries: 1, claimOwnPendingFirst: false);
        Assert.Equal(ids[1..], (await after.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
        Assert.True((await after.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);

        // Its frame is still pending on it, as it was, and nothing was parked.
        Assert.Equal(
            [(ids[0], "a", 1L), (ids[1], "a", 1L)],
            (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));
        Assert.Empty(await log.ReadAsync(after.DeadLetterStream, StreamId.Min, StreamId.Max, 10));
    }
}
