namespace Reactive.Streams.Storage.Tests;

/// <summary>Claim order, empty payloads and cancelled commits on every backend.</summary>
public abstract partial class ConsumerGroupConformanceTests
{
    /// <summary>
    /// docs/consumer-groups.md: a pull claims "first frames any member ... took at least ClaimTimeout ago and did not
    /// acknowledge, oldest id first; then frames new to the group", and a pending frame trimmed by best-effort retention
    /// is dropped when it would be reclaimed: it must not take the place of a due frame behind it.
    /// </summary>
    [Fact]
    public async Task A_reclaim_passes_over_frames_trimmed_while_pending_and_still_takes_due_frames_before_new_ones()
    {
        var log = await OpenLogKeepingTwoLiveFramesAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.AppendAsync(stream, "l0"u8.ToArray(), AppendMode.BestEffortLive);
        await log.AppendAsync(stream, "l1"u8.ToArray(), AppendMode.BestEffortLive);
        var durable = (await log.AppendAsync(stream, "d"u8.ToArray(), AppendMode.Durable)).Id;
        Assert.Equal(3, (await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout)).Frames.Count);

        // Two more best-effort frames trim both pending ones; they are new to the group.
        var l2 = (await log.AppendAsync(stream, "l2"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        await log.AppendAsync(stream, "l3"u8.ToArray(), AppendMode.BestEffortLive);
        await PassAsync(ClaimTimeout);

        // The due frame comes before any new one, however many trimmed entries come before it in the pending list.
        var claim = await log.ClaimAsync(stream, "g", "b", 1, ClaimTimeout);

        Assert.Equal(new[] { durable }, Ids(claim));
        Assert.Equal(2, claim.Frames[0].DeliveryCount);
        Assert.Equal(new[] { (durable, "b", 2L) }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));
        Assert.Equal(new[] { l2 }, Ids(await log.ClaimAsync(stream, "g", "b", 1, ClaimTimeout)));
    }

    [Fact]
    public async Task A_reclaim_passes_over_more_trimmed_claims_than_its_limit_and_still_takes_a_due_frame_before_new_ones()
    {
        var log = await OpenLogKeepingTwoLiveFramesAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.AppendAsync(stream, "l0"u8.ToArray(), AppendMode.BestEffortLive);
        await log.AppendAsync(stream, "l1"u8.ToArray(), AppendMode.BestEffortLive);
        var durable = (await log.AppendAsync(stream, "d"u8.ToArray(), AppendMode.Durable)).Id;

        // Three claims of one frame each (on PostgreSQL, three leases), then two more best-effort frames trim the first two.
        for (var i = 0; i < 3; i++)
        {
            Assert.Single((await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout)).Frames);
        }

        var l2 = (await log.AppendAsync(stream, "l2"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        await log.AppendAsync(stream, "l3"u8.ToArray(), AppendMode.BestEffortLive);
        await PassAsync(ClaimTimeout);

        // A claim of one: the trimmed entries before the due frame do not use up its limit, nor let a new frame through.
        var claim = await log.ClaimAsync(stream, "g", "b", 1, ClaimTimeout);
        Assert.Equal(new[] { durable }, Ids(claim));
        Assert.Equal(2, claim.Frames[0].DeliveryCount);
        Assert.Equal(new[] { (durable, "b", 2L) }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));
        Assert.Equal(new[] { l2 }, Ids(await log.ClaimAsync(stream, "g", "b", 1, ClaimTimeout)));
    }

    [Fact]
    public async Task A_frame_with_an_empty_payload_is_claimed_reclaimed_and_taken_back_not_dropped_as_trimmed()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var empty = (await log.AppendAsync(stream, ReadOnlyMemory<byte>.Empty, AppendMode.Durable)).Id;
        var live = (await log.AppendAsync(stream, ReadOnlyMemory<byte>.Empty, AppendMode.BestEffortLive)).Id;

        Assert.Equal(new[] { empty, live }, Ids(await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout)));
        var own = await log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 10);
        Assert.Equal(new[] { empty, live }, Ids(own));
        Assert.All(own.Frames, f => Assert.Equal(0, f.Frame.Payload.Length));
        await PassAsync(ClaimTimeout);
        var reclaimed = await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout);

        Assert.Equal(new[] { empty, live }, Ids(reclaimed));
        Assert.All(reclaimed.Frames, f => Assert.Equal(3, f.DeliveryCount));
        Assert.Equal(2, (await log.ReadGroupAsync(stream, "g"))!.PendingCount);
    }

    [Fact]
    public async Task A_commit_cancelled_before_it_is_sent_keeps_its_acknowledgements_for_the_next_pull()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        var canal = await OpenCanalAsync(log, stream, "a");
        var batch = await canal.PullBatchAsync(3, TimeSpan.Zero);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.CommitAsync(batch[1], cancelled.Token).AsTask());

        // Nothing was acknowledged yet; the canal still holds the frames and sends the acknowledgements with the next pull.
        Assert.Equal(3, (await log.ReadPendingAsync(stream, "g", null, 10)).Count);
        Assert.Equal(3, canal.Unacknowledged);
        Assert.True((await canal.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        Assert.Equal(new[] { ids[2] }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        Assert.Equal(1, canal.Unacknowledged);
    }

    /// <summary>
    /// An acknowledgement of a frame never handed out (after the group's cursor), or of ids the stream never had, is a
    /// no-op, as Redis's XACK of an id outside the pending list: it counts 0 and the frame is still handed out later.
    /// </summary>
    [Fact]
    public async Task Acknowledging_frames_never_handed_out_counts_nothing_and_they_are_still_delivered()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 4);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        Assert.Equal(ids[..2], Ids(await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout)));

        Assert.Equal(0, await log.AcknowledgeAsync(stream, "g", [ids[3], ids[2], StreamId.Max, StreamId.Min, ids[1].Successor()]));

        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[1], 2L, 2L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        var claim = await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout);
        Assert.Equal(ids[2..], Ids(claim));
        Assert.All(claim.Frames, f => Assert.Equal(1, f.DeliveryCount));
        Assert.Equal(ids, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        Assert.Equal(4, await log.AcknowledgeAsync(stream, "g", ids));
    }

    /// <summary>Group and member names are any well-formed text: spaces, '%', quotes, non-ASCII and astral characters round-trip.</summary>
    [Fact]
    public async Task Group_and_member_names_with_spaces_percent_signs_quotes_and_non_ascii_round_trip()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        const string group = "grüppe 😀 %s %d 'x' \"y\" *?[a]";
        const string a = "wörker %1$s 'a'";
        const string b = "😀 \\ b ?*";
        Assert.True(await log.CreateGroupAsync(stream, group, ConsumerGroupStart.Beginning));
        Assert.False(await log.CreateGroupAsync(stream, group, ConsumerGroupStart.Beginning));
        Assert.Null(await log.ReadGroupAsync(stream, "grüppe 😀"));

        Assert.Equal(ids[..2], Ids(await log.ClaimAsync(stream, group, a, 2, ClaimTimeout)));
        Assert.Equal(ids[2..], Ids(await log.ClaimAsync(stream, group, b, 2, ClaimTimeout)));
        Assert.Equal(ids[..2], Ids(await log.ClaimOwnPendingAsync(stream, group, a, StreamId.Min, 10)));

        Assert.Equal([(ids[0], a), (ids[1], a), (ids[2], b)], (await log.ReadPendingAsync(stream, group, null, 10)).Select(p => (p.Id, p.Consumer)));
        Assert.Equal([ids[2]], (await log.ReadPendingAsync(stream, group, b, 10)).Select(p => p.Id));
        var info = await log.ReadGroupAsync(stream, group);
        Assert.Equal(group, info!.Group);
        Assert.Equal(new[] { (a, 2L), (b, 1L) }.OrderBy(m => m.Item1, StringComparer.Ordinal), info.Members.Select(m => (m.Name, m.PendingCount)));
        Assert.Equal(3, await log.AcknowledgeAsync(stream, group, ids));
        Assert.Equal(0, (await log.ReadGroupAsync(stream, group))!.PendingCount);
    }

    /// <summary>
    /// One consumer pulls at a time: a second pull while one is parked fails at once and claims nothing, and the parked
    /// pull goes on. Null frames are refused by name; a commit or token of a frame this canal does not hold acknowledges
    /// only this canal's own frames (a token of another member's frame is a no-op).
    /// </summary>
    [Fact]
    public async Task A_second_pull_while_one_is_parked_fails_and_claims_nothing_and_frames_of_another_member_are_not_acknowledged()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var a = await OpenCanalAsync(log, stream, "a");
        var timers = Clock.TimersCreated;
        var parked = a.PullBatchAsync(10, TimeSpan.FromMinutes(1)).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => a.PullBatchAsync(10, TimeSpan.Zero).AsTask());
        var ids = await AppendAsync(log, stream, 2);
        var got = (await parked.WaitAsync(Guard)).Select(f => f.Id).ToList();
        if (got.Count < ids.Length)
        {
            // The parked pull may wake at the first append and hand it out alone: the rest is the member's next pull.
            got.AddRange((await a.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
        }

        Assert.Equal(ids, got);
        Assert.All(await log.ReadPendingAsync(stream, "g", null, 10), p => Assert.Equal(("a", 1L), (p.Consumer, p.DeliveryCount)));

        Assert.Equal("handled", (await Assert.ThrowsAsync<ArgumentNullException>(() => a.CommitAsync(null!).AsTask())).ParamName);
        Assert.Equal("frame", Assert.Throws<ArgumentNullException>(() => a.AckTokenFor(null!)).ParamName);
        Assert.Equal("frame", Assert.Throws<ArgumentNullException>(() => a.DeliveryCountOf(null!)).ParamName);

        // b holds a newer frame: a's token for it does nothing; a's commit up to it acknowledges a's two frames only.
        var b = await OpenCanalAsync(await CreateAsync(), stream, "b");
        var id2 = (await log.AppendAsync(stream, "f2"u8.ToArray(), AppendMode.Durable)).Id;
        var theirs = (await b.PullBatchAsync(10, TimeSpan.Zero)).Single();
        Assert.Equal(id2, theirs.Id);
        Assert.Equal(0, a.DeliveryCountOf(theirs));
        a.AckTokenFor(theirs).Acknowledge();
        await a.FlushAcknowledgementsAsync();
        Assert.Equal([ids[0], ids[1], id2], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        await a.CommitAsync(theirs);
        Assert.Equal(0, a.Unacknowledged);
        Assert.Equal([(id2, "b")], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer)));
        Assert.Equal(1, b.Unacknowledged);
    }

    /// <summary>
    /// A frame of another stream is not a frame the member holds, on every backend, even when it carries the id of one
    /// it holds (ids are numbered per stream, so on one millisecond two streams share them): its token acknowledges
    /// nothing, and the member's frame stays pending until the member's own token acknowledges it.
    /// </summary>
    [Fact]
    public async Task A_token_for_another_streams_frame_with_the_id_of_a_held_frame_acknowledges_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var other = NewStream("other");
        var mine = (await log.AppendAsync(stream, "f0"u8.ToArray(), AppendMode.Durable)).Id;
        var foreign = (await log.AppendAsync(other, "x0"u8.ToArray(), AppendMode.Durable)).Id;
        var a = await OpenCanalAsync(log, stream, "a");
        var held = (await a.PullBatchAsync(10, TimeSpan.Zero)).Single();
        Assert.Equal(mine, held.Id);
        var theirs = (await log.ReadAsync(other, foreign, foreign, 1)).Single();

        a.AckTokenFor(theirs).Acknowledge();
        await a.FlushAcknowledgementsAsync();
        Assert.Equal([(mine, "a")], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer)));
        Assert.Equal(1, a.Unacknowledged);

        a.AckTokenFor(held).Acknowledge();
        await a.FlushAcknowledgementsAsync();
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(0, a.Unacknowledged);
    }

    /// <summary>
    /// A group pull's deadline counts from the call (docs/canal.md), on every backend: the acknowledgements every pull
    /// sends first are part of it, so a send that takes the whole deadline leaves the pull no time to wait for frames.
    /// </summary>
    [Fact]
    public async Task A_group_pulls_deadline_counts_from_the_call_so_the_acknowledgements_it_sends_first_are_part_of_it()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        await AppendAsync(inner, stream, 1);
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        canal.AckTokenFor(batch[0]).Acknowledge(); // sent by the next pull, first
        var sending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        log.BeforeAcknowledge = async _ =>
        {
            log.BeforeAcknowledge = null;
            sending.TrySetResult();
            await gate.Task;
        };

        var pull = canal.PullBatchAsync(10, TimeSpan.FromSeconds(1)).AsTask();
        await sending.Task.WaitAsync(Guard);
        Clock.Advance(TimeSpan.FromSeconds(1)); // the deadline passes while the acknowledgement is being sent
        gate.SetResult();

        Assert.True((await pull.WaitAsync(Guard)).IsEmpty);
        Assert.Empty(await inner.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(0, canal.Unacknowledged);
    }
}
