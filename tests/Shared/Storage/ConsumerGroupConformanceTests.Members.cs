namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// What a user of Kafka or Redis Streams consumer groups checks first: which due frame a claim takes when frames came
/// due at different times, a member's stale acknowledgement of a frame another member reclaimed, a parked pull's
/// deadline and a finite linger on the canal's clock, and the parameter named by each refusal.
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    /// <summary>
    /// The due frames are taken oldest id first, whatever order they came due in: frames a member reclaimed (and so
    /// took later) are older than frames that have waited longer, and a claim for fewer than all of them takes the
    /// oldest ids, as on Redis's own <c>XAUTOCLAIM</c>, which scans the pending list in id order. More frames are due
    /// than one page of a claim's search, so a backend that looked only at the longest-waiting ones would differ.
    /// </summary>
    [Fact]
    public async Task A_claim_takes_the_oldest_due_ids_first_whatever_order_they_came_due_in()
    {
        const int Count = 150;
        var log = await CreateAsync();
        var stream = NewStream();
        await ((IStreamLog)log).AppendBatchAsync(
            stream, Enumerable.Range(0, Count).Select(i => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes($"f{i}")).ToArray(), AppendMode.Durable);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var ids = (await log.ClaimAsync(stream, "g", "a", Count, ClaimTimeout)).Frames.Select(f => f.Frame.Id).ToArray();
        Assert.Equal(Count, ids.Length);

        // b takes the oldest fifty over from a, then dies too: once its claim has run out, the fifty it took and the
        // hundred a still holds (due for longer) are all due.
        await PassAsync(ClaimTimeout);
        Assert.Equal(ids[..50], (await log.ClaimAsync(stream, "g", "b", 50, ClaimTimeout)).Frames.Select(f => f.Frame.Id));
        await PassAsync(ClaimTimeout);

        var one = await log.ClaimAsync(stream, "g", "c", 1, ClaimTimeout);
        Assert.Equal(new[] { (ids[0], 3L) }, one.Frames.Select(f => (f.Frame.Id, f.DeliveryCount)));
        var next = await log.ClaimAsync(stream, "g", "c", 60, ClaimTimeout);
        Assert.Equal(ids[1..61], next.Frames.Select(f => f.Frame.Id));
        Assert.Equal(Enumerable.Repeat(3L, 49).Concat(Enumerable.Repeat(2L, 11)), next.Frames.Select(f => f.DeliveryCount));
        var rest = await log.ClaimAsync(stream, "g", "c", Count, ClaimTimeout);
        Assert.Equal(ids[61..], rest.Frames.Select(f => f.Frame.Id));
        Assert.Equal(Count, (await log.ReadGroupAsync(stream, "g"))!.Members.Single(m => m.Name == "c").PendingCount);
    }

    /// <summary>
    /// A member slower than its claim timeout loses the frame to another member; its late acknowledgement still counts
    /// (at least once: the frame was handled), so the frame leaves the pending list and nobody gets it again, and the
    /// member that took it over acknowledges nothing more when it commits.
    /// </summary>
    [Fact]
    public async Task A_stale_token_of_a_member_whose_frame_was_reclaimed_still_acknowledges_the_frame()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        var slow = await OpenCanalAsync(log, stream, "slow");
        var mine = await slow.PullBatchAsync(1, TimeSpan.Zero);
        Assert.Equal([ids[0]], mine.Select(f => f.Id));

        await PassAsync(ClaimTimeout);
        var other = await OpenCanalAsync(await CreateAsync(), stream, "other");
        var taken = await other.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids, taken.Select(f => f.Id));
        Assert.Equal([2L, 1L], taken.Select(other.DeliveryCountOf));
        Assert.Equal([(ids[0], "other", 2L), (ids[1], "other", 1L)], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));

        // The slow member finishes the frame now: its token's acknowledgement removes it, whoever holds it.
        slow.AckTokenFor(mine[0]).Acknowledge();
        await slow.FlushAcknowledgementsAsync();
        Assert.Equal(0, slow.Unacknowledged);
        Assert.Equal([ids[1]], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));

        // The member that took it over commits its batch: the other frame goes, the first one was gone already.
        Assert.Equal(2, other.Unacknowledged);
        await other.CommitAsync(taken.Last);
        Assert.Equal(0, other.Unacknowledged);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
        await PassAsync(ClaimTimeout);
        Assert.True((await slow.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((0L, 0L), (info!.PendingCount, info.Lag));
    }

    /// <summary>
    /// A pull that finds nothing waits its whole deadline on the canal's clock (claiming again every quarter of the
    /// claim timeout meanwhile) and then returns an empty batch; it claims nothing and leaves the group as it was.
    /// </summary>
    [Fact]
    public async Task A_parked_pull_that_gets_nothing_returns_an_empty_batch_once_its_deadline_passes()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var canal = await OpenCanalAsync(log, stream, "a");
        var timers = Clock.TimersCreated;

        var pull = canal.PullBatchAsync(10, ClaimTimeout / 2).AsTask();
        await PassWhilePullWaitsAsync(pull, timers, ClaimTimeout / 4);
        Assert.False(pull.IsCompleted);
        await PassWhilePullWaitsAsync(pull, Clock.TimersCreated - 1, ClaimTimeout / 4);

        var batch = await pull.WaitAsync(Guard);
        Assert.True(batch.IsEmpty);
        Assert.Equal(0, canal.Unacknowledged);
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((StreamId.Min, 0L, 0L), (info!.LastDeliveredId, info.PendingCount, info.Lag));

        // The canal pulls on after an empty batch.
        var id = (await log.AppendAsync(stream, "late"u8.ToArray(), AppendMode.Durable)).Id;
        Assert.Equal([id], (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
    }

    /// <summary>
    /// A linger with a finite fill time: a pull holding frames waits for more until the fill time has passed since it
    /// took its first, takes what is appended meanwhile, then returns what it holds, short of its minimum.
    /// </summary>
    [Fact]
    public async Task A_pull_lingering_for_a_fill_time_returns_what_it_holds_once_the_fill_time_passes()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var first = (await AppendAsync(log, stream, 1))[0];
        var canal = await OpenCanalAsync(log, stream, "a");
        var timers = Clock.TimersCreated;

        var fill = ClaimTimeout / 4;
        var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1), new CanalLinger(5, fill)).AsTask();
        await Task.WhenAny(pull, Clock.WaitForTimersAsync(timers + 1));
        Assert.False(pull.IsCompleted);

        timers = Clock.TimersCreated;
        var second = (await log.AppendAsync(stream, "f1"u8.ToArray(), AppendMode.Durable)).Id;
        await Task.WhenAny(pull, Clock.WaitForTimersAsync(timers + 1));
        Assert.False(pull.IsCompleted);
        await PassWhilePullWaitsAsync(pull, Clock.TimersCreated - 1, fill);

        var batch = await pull.WaitAsync(Guard);
        Assert.Equal([first, second], batch.Select(f => f.Id));
        Assert.Equal([1L, 1L], batch.Select(canal.DeliveryCountOf));
        await canal.CommitAsync(batch.Last);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
    }

    /// <summary>
    /// Committing a batch again (a periodic commit of the last handled frame, as a Kafka consumer commits its position
    /// whether or not it moved) acknowledges nothing new: in particular not an older frame reclaimed late into a later
    /// batch that is still being handled, which would then be lost if the member crashed.
    /// </summary>
    [Fact]
    public async Task Committing_a_batch_again_leaves_an_older_frame_reclaimed_into_a_later_batch_pending()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 4);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);

        // Member a takes f0 and dies; half a claim timeout later b takes f1 and f2, handles them and commits.
        Assert.Equal([ids[0]], (await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout)).Frames.Select(f => f.Frame.Id));
        await PassAsync(ClaimTimeout / 2);
        var b = await OpenCanalAsync(await CreateAsync(), stream, "b");
        var first = await b.PullBatchAsync(2, TimeSpan.Zero);
        Assert.Equal(ids[1..3], first.Select(f => f.Id));
        await b.CommitAsync(first.Last);

        // b's next batch is f0, reclaimed late, and the new f3. While b handles it, its periodic commit of the last
        // frame it finished sends the first batch's last frame again.
        await PassAsync(ClaimTimeout / 2);
        var second = await b.PullBatchAsync(2, TimeSpan.Zero);
        Assert.Equal([ids[0], ids[3]], second.Select(f => f.Id));
        await b.CommitAsync(first.Last);
        await b.CommitAsync(first[0]);

        Assert.Equal([ids[0], ids[3]], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        Assert.Equal(2, b.Unacknowledged);
        await b.CommitAsync(second.Last);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(0, b.Unacknowledged);
    }

    /// <summary>
    /// The logs keep claim times in whole milliseconds (the millisecond the claim was in), so by the log's clock a claim
    /// sent half a millisecond into a millisecond runs out half a millisecond before the claim timeout has passed on the
    /// canal's. A frame the canal kept from a cancelled pull must not be handed out in that gap: another member may
    /// have reclaimed it, and the two would hold it at once.
    /// </summary>
    [Fact]
    public async Task A_frame_kept_from_a_cancelled_pull_is_not_handed_out_once_the_log_may_have_given_it_to_another_member()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(inner, stream, 1);
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");
        await PassAsync(TimeSpan.FromTicks(TimeSpan.TicksPerMillisecond / 2));
        await CancelPullWhileItsClaimIsOutAsync(log, canal, 1);

        // 0.4 ms short of the claim timeout on the canal's clock; past it on the log's, which stored the claim's
        // millisecond: another member reclaims the frame.
        await PassAsync(ClaimTimeout - TimeSpan.FromTicks(TimeSpan.TicksPerMillisecond * 4 / 10));
        var other = await OpenCanalAsync(await CreateAsync(), stream, "b");
        var taken = await other.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal([(ids[0], 2L)], taken.Select(f => (f.Id, other.DeliveryCountOf(f))));

        // The canal that kept it does not hand it out too.
        Assert.True((await canal.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        Assert.Equal(0, canal.Unacknowledged);
        Assert.Equal([(ids[0], "b", 2L)], (await inner.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));
    }

    /// <summary>Each refusal names the parameter (or the option) that was wrong, and writes nothing.</summary>
    [Fact]
    public async Task A_canal_and_its_options_name_the_parameter_they_refuse()
    {
        var log = await CreateAsync();
        var stream = NewStream();

        Assert.Equal("log", (await Assert.ThrowsAsync<ArgumentNullException>(() => ConsumerGroupCanal.OpenAsync(null!, stream, "g", "a").AsTask())).ParamName);
        Assert.Equal("stream", (await Assert.ThrowsAsync<ArgumentNullException>(() => ConsumerGroupCanal.OpenAsync(log, null!, "g", "a").AsTask())).ParamName);
        Assert.Equal("stream", (await Assert.ThrowsAsync<ArgumentException>(() => ConsumerGroupCanal.OpenAsync(log, "s\u0000", "g", "a").AsTask())).ParamName);
        Assert.Equal("group", (await Assert.ThrowsAsync<ArgumentNullException>(() => ConsumerGroupCanal.OpenAsync(log, stream, null!, "a").AsTask())).ParamName);
        Assert.Equal("consumer", (await Assert.ThrowsAsync<ArgumentNullException>(() => ConsumerGroupCanal.OpenAsync(log, stream, "g", null!).AsTask())).ParamName);
        Assert.Equal("consumer", (await Assert.ThrowsAsync<ArgumentException>(() => ConsumerGroupCanal.OpenAsync(log, stream, "g", "a\ud800").AsTask())).ParamName);
        Assert.Null(await log.ReadGroupAsync(stream, "g"));

        Assert.Equal("ClaimTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new ConsumerGroupCanalOptions { ClaimTimeout = TimeSpan.FromTicks(-1) }).ParamName);
        Assert.Equal("MaxDeliveries", Assert.Throws<ArgumentOutOfRangeException>(() => new ConsumerGroupCanalOptions { MaxDeliveries = -1 }).ParamName);
        Assert.Equal("TimeProvider", Assert.Throws<ArgumentNullException>(() => new ConsumerGroupCanalOptions { TimeProvider = null! }).ParamName);
        Assert.Equal("DeadLetterStream", Assert.Throws<ArgumentException>(() => new ConsumerGroupCanalOptions { DeadLetterStream = "" }).ParamName);
        Assert.Equal("minItems", Assert.Throws<ArgumentOutOfRangeException>(() => new CanalLinger(0, TimeSpan.Zero)).ParamName);
        Assert.Equal("fillTime", Assert.Throws<ArgumentOutOfRangeException>(() => new CanalLinger(2, TimeSpan.FromTicks(-1))).ParamName);

        var ids = await AppendAsync(log, stream, 1);
        var canal = await OpenCanalAsync(log, stream, "a");
        Assert.Equal("max", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => canal.PullBatchAsync(0, TimeSpan.Zero).AsTask())).ParamName);
        Assert.Equal("max", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => canal.PullBatchAsync(int.MinValue, TimeSpan.Zero, new CanalLinger(2, TimeSpan.Zero)).AsTask())).ParamName);
        Assert.Equal("deadline", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => canal.PullBatchAsync(1, TimeSpan.FromTicks(-1)).AsTask())).ParamName);
        Assert.Equal("deadline", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => canal.PullBatchAsync(1, Timeout.InfiniteTimeSpan).AsTask())).ParamName);

        // The refused pulls claimed nothing: the frame is still new to the group.
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((StreamId.Min, 0L, 1L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(ids, (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
    }
}
