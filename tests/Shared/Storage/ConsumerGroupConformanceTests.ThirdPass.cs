using System.Text;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// Groups on streams that do not exist yet, pulls of one frame with no deadline, a member name reused while its old
/// canal is still live, readouts after acknowledgements out of order, a one-delivery group parking a frame another
/// member took first, and a commit cancelled while another flush is out, on every backend.
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    /// <summary>
    /// docs/consumer-groups.md: CreateGroupAsync "creates the group if missing" and "the stream need not exist yet"
    /// (Redis's XGROUP CREATE … MKSTREAM). A group made before its stream reads as an empty group at its start (no
    /// pending frame, no lag, no member), and once frames come it hands out what its start says: all of them for the
    /// beginning and the end alike (the end of a stream with no frame is before its first), those after the id for an
    /// id.
    /// </summary>
    [Fact]
    public async Task A_group_made_before_its_stream_exists_reads_empty_and_then_hands_out_what_its_start_says()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var probe = NewStream();
        // An id of the log's clock now, from another stream: the group's stream's first frame comes in its millisecond.
        var after = (await log.AppendAsync(probe, "x"u8.ToArray(), AppendMode.Durable)).Id;

        Assert.True(await log.CreateGroupAsync(stream, "begin", ConsumerGroupStart.Beginning));
        Assert.True(await log.CreateGroupAsync(stream, "end", ConsumerGroupStart.End));
        Assert.True(await log.CreateGroupAsync(stream, "after", ConsumerGroupStart.After(after)));

        foreach (var (group, last) in new[] { ("begin", StreamId.Min), ("end", StreamId.Min), ("after", after) })
        {
            var info = await log.ReadGroupAsync(stream, group);
            Assert.NotNull(info);
            Assert.Equal((last, 0L, 0L, 0), (info.LastDeliveredId, info.PendingCount, info.Lag, info.Members.Count));
            Assert.Empty(await log.ReadPendingAsync(stream, group, null, 10));
            var empty = await log.ClaimAsync(stream, group, "a", 10, ClaimTimeout);
            Assert.Empty(empty.Frames);
            Assert.Equal(last, empty.LastDeliveredId);
        }

        // The first frames of the stream: one in the millisecond of the "after" group's id, one a millisecond later.
        var ids = await AppendAsync(log, stream, 1);
        await PassAsync(TimeSpan.FromMilliseconds(1));
        ids = [.. ids, .. await AppendAsync(log, stream, 1, "g")];

        Assert.Equal(2L, (await log.ReadGroupAsync(stream, "begin"))!.Lag);
        Assert.Equal(ids, Ids(await log.ClaimAsync(stream, "begin", "a", 10, ClaimTimeout)));
        Assert.Equal(ids, Ids(await log.ClaimAsync(stream, "end", "a", 10, ClaimTimeout)));
        Assert.Equal(ids.Where(id => id > after), Ids(await log.ClaimAsync(stream, "after", "a", 10, ClaimTimeout)));
    }

    /// <summary>
    /// A pull of at most one frame with no deadline (PullBatchAsync(1, TimeSpan.Zero)), the smallest a Kafka user's
    /// max.poll.records=1 loop asks for, claims one frame and no more: the others stay new to the group (its lag), free
    /// for any member, not pending on this one; and with nothing left it returns an empty batch at once.
    /// </summary>
    [Fact]
    public async Task Pulls_of_one_frame_with_no_deadline_claim_one_frame_each_and_leave_the_rest_to_the_group()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        var a = await OpenCanalAsync(log, stream, "a");
        var b = await OpenCanalAsync(log, stream, "b");

        var first = await a.PullBatchAsync(1, TimeSpan.Zero);
        Assert.Equal(ids[..1], first.Select(f => f.Id));
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[0], 1L, 2L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(1, a.Unacknowledged);

        Assert.Equal(ids[1..2], (await b.PullBatchAsync(1, TimeSpan.Zero)).Select(f => f.Id));
        await a.CommitAsync(first[0]);
        Assert.Equal(ids[2..], (await a.PullBatchAsync(1, TimeSpan.Zero)).Select(f => f.Id));
        Assert.True((await a.PullBatchAsync(1, TimeSpan.Zero)).IsEmpty);
        Assert.True((await b.PullBatchAsync(1, TimeSpan.Zero)).IsEmpty);

        Assert.Equal(new[] { (ids[1], "b"), (ids[2], "a") }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer)));
        info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[2], 2L, 0L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
    }

    /// <summary>
    /// Acknowledgements out of order (the newest first, then the oldest, then one twice): the pending list keeps the
    /// others in id order with their holders, the group's and each member's pending counts follow, a member whose
    /// frames are all acknowledged stays listed with none pending (as XINFO CONSUMERS lists it), the lag does not move,
    /// and a reclaim after the claim timeout hands out only the frames still pending.
    /// </summary>
    [Fact]
    public async Task Acknowledgements_out_of_order_leave_the_rest_pending_in_id_order_and_the_members_listed()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 6);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);
        await log.ClaimAsync(stream, "g", "b", 2, ClaimTimeout);

        Assert.Equal(1L, await log.AcknowledgeAsync(stream, "g", [ids[3]]));
        Assert.Equal(1L, await log.AcknowledgeAsync(stream, "g", [ids[0]]));
        Assert.Equal(0L, await log.AcknowledgeAsync(stream, "g", [ids[3]]));
        Assert.Equal(1L, await log.AcknowledgeAsync(stream, "g", [ids[2], ids[0]]));

        Assert.Equal(new[] { (ids[1], "a", 1L) }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));
        Assert.Empty(await log.ReadPendingAsync(stream, "g", "b", 10));
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[3], 1L, 2L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(new[] { ("a", 1L), ("b", 0L) }, info.Members.Select(m => (m.Name, m.PendingCount)));

        await PassAsync(ClaimTimeout);
        var reclaimed = await log.ClaimAsync(stream, "g", "c", 10, ClaimTimeout);
        Assert.Equal(new[] { (ids[1], 2L), (ids[4], 1L), (ids[5], 1L) }, reclaimed.Frames.Select(f => (f.Frame.Id, f.DeliveryCount)));
        info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal(new[] { ("a", 0L), ("b", 0L), ("c", 3L) }, info!.Members.Select(m => (m.Name, m.PendingCount)));
    }

    /// <summary>
    /// docs/consumer-groups.md: "A member's name must be unique among the live members: two canals with one name share
    /// one pending list." A second process that opens the name while the first still runs takes the first one's frames
    /// back at once with their delivery count raised; an acknowledgement by either counts (whoever holds the frame),
    /// and the other's later commit of the same frames changes nothing and loses nothing.
    /// </summary>
    [Fact]
    public async Task A_member_name_opened_again_while_the_old_canal_holds_frames_shares_them_and_either_commit_counts()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 4);
        var old = await OpenCanalAsync(log, stream, "a");
        var held = await old.PullBatchAsync(2, TimeSpan.Zero);

        // The new canal's first pull takes its name's pending frames back (a batch of them alone), the next new ones.
        var again = await OpenCanalAsync(log, stream, "a");
        var back = await again.PullBatchAsync(10, TimeSpan.Zero);
        var taken = await again.PullBatchAsync(10, TimeSpan.Zero);

        Assert.Equal(ids, back.Concat(taken).Select(f => f.Id));
        Assert.Equal([2L, 2L, 1L, 1L], back.Concat(taken).Select(again.DeliveryCountOf));
        Assert.Equal(1L, old.DeliveryCountOf(held[0]));

        await old.CommitAsync(held[^1]);
        Assert.Equal(0, old.Unacknowledged);
        Assert.Equal(ids[2..], (await log.ReadPendingAsync(stream, "g", "a", 10)).Select(p => p.Id));

        await again.CommitAsync(taken[^1]);
        Assert.Equal(0, again.Unacknowledged);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((0L, 0L), (info!.PendingCount, info.Lag));
        Assert.Equal(new[] { ("a", 0L) }, info.Members.Select(m => (m.Name, m.PendingCount)));
    }

    /// <summary>
    /// MaxDeliveries = 1: the first delivery reaches a handler, the second is parked. Here member a takes the frame and
    /// stalls; once the claim timeout has passed member b's pull claims it for the second time and parks it instead of
    /// returning it: the parked frame names its stream, id, group and the count 2; it leaves the pending list (b's too)
    /// and b goes on to the next frame. a still holds its stale copy; its commit acknowledges nothing more, and a later
    /// pull of a's does not bring the parked frame back.
    /// </summary>
    [Fact]
    public async Task With_one_delivery_a_frame_another_member_reclaims_is_parked_with_count_two_and_handed_to_no_one()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var deadLetter = NewStream("dl");
        var ids = await AppendAsync(log, stream, 2);
        var a = await OpenCanalAsync(log, stream, "a", maxDeliveries: 1, deadLetter: deadLetter);
        var b = await OpenCanalAsync(log, stream, "b", maxDeliveries: 1, deadLetter: deadLetter);
        var stale = await a.PullBatchAsync(1, TimeSpan.Zero);
        Assert.Equal(1L, a.DeliveryCountOf(stale[0]));

        await PassAsync(ClaimTimeout - TimeSpan.FromMilliseconds(1));
        Assert.Equal(ids[1..], (await b.PullBatchAsync(1, TimeSpan.Zero)).Select(f => f.Id));
        Assert.Empty(await log.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10));

        await PassAsync(TimeSpan.FromMilliseconds(1));
        Assert.True((await b.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);

        var parked = Assert.Single(await log.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10));
        Assert.Equal("f0", Text(parked));
        Assert.Equal(stream, parked.Headers[FrameHeaders.OriginalStream]);
        Assert.Equal(ids[0].ToString(), parked.Headers[FrameHeaders.OriginalId]);
        Assert.Equal("g", parked.Headers[FrameHeaders.OriginalGroup]);
        Assert.Equal("2", parked.Headers[FrameHeaders.DeliveryCount]);
        Assert.Equal(new[] { (ids[1], "b") }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer)));

        await a.CommitAsync(stale[0]);
        Assert.Equal(0, a.Unacknowledged);
        Assert.True((await a.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        Assert.Equal(new[] { (ids[1], "b") }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer)));
        Assert.Single(await log.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10));
    }

    /// <summary>
    /// A commit cancelled while it waits for another flush of the same canal (the acknowledgements a token fired, sent
    /// by FlushAcknowledgementsAsync and held up at the log) throws with the caller's token and loses nothing: its
    /// acknowledgement is not stored by the flush that was out (it was made after that one took its ids) and goes with
    /// the next flush.
    /// </summary>
    [Fact]
    public async Task A_commit_cancelled_while_another_flush_is_out_keeps_its_acknowledgement_for_the_next_flush()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(inner, stream, 3);
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");
        var batch = await canal.PullBatchAsync(3, TimeSpan.Zero);

        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        log.BeforeAcknowledge = async _ =>
        {
            log.BeforeAcknowledge = null;
            entered.SetResult();
            await release.Task;
        };
        canal.AckTokenFor(batch[0]).Acknowledge();
        var flush = canal.FlushAcknowledgementsAsync().AsTask();
        await entered.Task.WaitAsync(Guard);

        using var cancel = new CancellationTokenSource();
        var commit = canal.CommitAsync(batch[2], cancel.Token).AsTask();
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => commit.WaitAsync(Guard));
        Assert.Equal(cancel.Token, error.CancellationToken);

        release.SetResult();
        await flush.WaitAsync(Guard);
        Assert.Equal(new[] { ids[1], ids[2] }, (await inner.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        Assert.Equal(2, canal.Unacknowledged);

        await canal.FlushAcknowledgementsAsync();
        Assert.Empty(await inner.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(0, canal.Unacknowledged);
        Assert.Equal(new[] { new[] { ids[0] }, new[] { ids[1], ids[2] } }, log.Acknowledged);
    }

    /// <summary>
    /// Claim times and idle times are on the log's wall clock (docs/consumer-groups.md, "Whose clock"). When that clock
    /// is set back (an NTP step), an idle time reads zero, never negative (as XPENDING's idle), for the pending entry
    /// and the member alike, and a claim is not counted out early: it expires once the wall clock has gone the claim
    /// timeout past the claim's time again, as a member on a machine behind by that much would see it.
    /// </summary>
    [Fact]
    public async Task A_wall_clock_set_back_reads_idle_times_as_zero_and_expires_a_claim_only_at_its_time_plus_the_timeout()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        Assert.Equal(ids[..1], Ids(await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout)));

        Clock.MoveWallClock(TimeSpan.FromSeconds(-5));
        var pending = Assert.Single(await log.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal((ids[0], "a", TimeSpan.Zero, 1L), (pending.Id, pending.Consumer, pending.Idle, pending.DeliveryCount));
        var member = Assert.Single((await log.ReadGroupAsync(stream, "g"))!.Members);
        Assert.Equal(("a", 1L, TimeSpan.Zero), (member.Name, member.PendingCount, member.Idle));

        // The claim timeout on the wall clock from the claim is 5 s further on now.
        await PassAsync(ClaimTimeout);
        Assert.Equal(ids[1..], Ids(await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout)));
        Assert.Equal(ClaimTimeout - TimeSpan.FromSeconds(5), (await log.ReadPendingAsync(stream, "g", "a", 10)).Single().Idle);
        await PassAsync(TimeSpan.FromSeconds(5));
        var reclaimed = await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout);
        Assert.Equal(new[] { (ids[0], 2L) }, reclaimed.Frames.Select(f => (f.Frame.Id, f.DeliveryCount)));
    }

    /// <summary>
    /// A frame parked twice, by a group on the first dead-letter stream with default dead-letter names, names its
    /// latest parking (docs/consumer-groups.md: the four headers "replace headers of the same keys"): the second
    /// dead-letter stream's frame says it came from the first dead-letter stream, its id there, the second group and
    /// that group's count, and keeps the frame's own headers and payload.
    /// </summary>
    [Fact]
    public async Task A_frame_parked_twice_through_default_dead_letter_streams_names_its_latest_parking()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var headers = new Dictionary<string, string> { ["tenant"] = "t1" };
        await log.AppendAsync(stream, "poison"u8.ToArray(), AppendMode.Durable, headers);
        var first = Track(await ConsumerGroupCanal.OpenAsync(log, stream, "g", "a", new ConsumerGroupCanalOptions
        {
            ClaimTimeout = ClaimTimeout, MaxDeliveries = 1, TimeProvider = Clock,
        }));
        Assert.Equal($"{stream}:g:dead-letter", first.DeadLetterStream);
        Assert.Single(await first.PullBatchAsync(10, TimeSpan.Zero));
        await PassAsync(ClaimTimeout);
        Assert.True((await first.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        var parkedOnce = Assert.Single(await log.ReadAsync(first.DeadLetterStream, StreamId.Min, StreamId.Max, 10));

        var second = Track(await ConsumerGroupCanal.OpenAsync(log, first.DeadLetterStream, "ops", "b", new ConsumerGroupCanalOptions
        {
            ClaimTimeout = ClaimTimeout, MaxDeliveries = 2, TimeProvider = Clock,
        }));
        Assert.Equal($"{stream}:g:dead-letter:ops:dead-letter", second.DeadLetterStream);
        for (var delivery = 1; delivery <= 2; delivery++)
        {
            var batch = await second.PullBatchAsync(10, TimeSpan.Zero);
            Assert.Equal(new[] { parkedOnce.Id }, batch.Select(f => f.Id));
            Assert.Equal(delivery, second.DeliveryCountOf(batch[0]));
            await PassAsync(ClaimTimeout);
        }

        Assert.True((await second.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        Assert.Equal(0, second.Unacknowledged);
        var parkedTwice = Assert.Single(await log.ReadAsync(second.DeadLetterStream, StreamId.Min, StreamId.Max, 10));
        Assert.Equal("poison", Text(parkedTwice));
        var expected = new Dictionary<string, string>
        {
            ["tenant"] = "t1",
            [FrameHeaders.OriginalStream] = first.DeadLetterStream,
            [FrameHeaders.OriginalId] = parkedOnce.Id.ToString(),
            [FrameHeaders.OriginalGroup] = "ops",
            [FrameHeaders.DeliveryCount] = "3",
        };
        Assert.Equal(expected.OrderBy(h => h.Key, StringComparer.Ordinal), parkedTwice.Headers.OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Empty(await log.ReadPendingAsync(first.DeadLetterStream, "ops", null, 10));
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
    }

    /// <summary>
    /// docs/consumer-groups.md: Members "lists every member that has claimed". A member that asks for its own pending
    /// frames back (a restarted canal's first pull) and has none is such a member on every backend: listed, with nothing
    /// pending and its idle time counted from that call, while the group's cursor and lag do not move.
    /// </summary>
    [Fact]
    public async Task A_member_that_asked_for_its_own_frames_back_and_had_none_is_listed_with_none_pending()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await AppendAsync(log, stream, 2);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "b", 1, ClaimTimeout);
        await PassAsync(TimeSpan.FromSeconds(3));

        var none = await log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 10);
        Assert.Empty(none.Frames);
        await PassAsync(TimeSpan.FromSeconds(1));

        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal(
            new[] { ("a", 0L, TimeSpan.FromSeconds(1)), ("b", 1L, TimeSpan.FromSeconds(4)) },
            info!.Members.Select(m => (m.Name, m.PendingCount, m.Idle)));
        Assert.Equal((none.LastDeliveredId, 1L, 1L), (info.LastDeliveredId, info.PendingCount, info.Lag));
    }

    /// <summary>
    /// Durable and best-effort frames interleaved, taken a frame at a time: new claims, reclaims and a member's own
    /// frames taken back each hand out the next frame in id order whichever kind it is, and the lag falls by one with
    /// each new frame (on Redis the two kinds are two native groups driven together, so a limit ending on one kind must
    /// leave the other's next frame where it was).
    /// </summary>
    [Fact]
    public async Task Durable_and_best_effort_frames_interleaved_come_one_at_a_time_in_id_order_through_every_kind_of_claim()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = new List<StreamId>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await log.AppendAsync(stream, Encoding.UTF8.GetBytes($"d{i}"), AppendMode.Durable)).Id);
            ids.Add((await log.AppendAsync(stream, Encoding.UTF8.GetBytes($"l{i}"), AppendMode.BestEffortLive)).Id);
        }

        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        for (var i = 0; i < ids.Count; i++)
        {
            var claim = await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout);
            Assert.Equal(new[] { ids[i] }, Ids(claim));
            Assert.Equal(ids[i], claim.LastDeliveredId);
            Assert.Equal(ids.Count - i - 1, (await log.ReadGroupAsync(stream, "g"))!.Lag);
        }

        var back = new List<StreamId>();
        var after = StreamId.Min;
        for (var i = 0; i < ids.Count; i++)
        {
            var own = await log.ClaimOwnPendingAsync(stream, "g", "a", after, 1);
            back.AddRange(Ids(own));
            after = Ids(own).Single();
        }

        Assert.Equal(ids, back);
        Assert.Empty((await log.ClaimOwnPendingAsync(stream, "g", "a", after, 1)).Frames);

        await PassAsync(ClaimTimeout);
        var reclaimed = new List<ClaimedFrame>();
        for (var i = 0; i < ids.Count; i++)
        {
            reclaimed.AddRange((await log.ClaimAsync(stream, "g", "b", 1, ClaimTimeout)).Frames);
        }

        Assert.Equal(ids, reclaimed.Select(f => f.Frame.Id));
        Assert.All(reclaimed, f => Assert.Equal(3, f.DeliveryCount));
        Assert.Equal(new[] { "d0", "l0", "d1", "l1", "d2", "l2" }, reclaimed.Select(f => Text(f.Frame)));
        Assert.Empty((await log.ClaimAsync(stream, "g", "b", 1, ClaimTimeout)).Frames);
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[^1], 6L, 0L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(new[] { ("a", 0L), ("b", 6L) }, info.Members.Select(m => (m.Name, m.PendingCount)));
    }
}
