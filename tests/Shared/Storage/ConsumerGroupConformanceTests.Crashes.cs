using System.Text;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// Members that crash (their frames left pending) and the claims that take their work over: every due frame before
/// any new one however many are due, delivery counts, the dead-letter route past the most deliveries, and the readouts.
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    /// <summary>
    /// docs/consumer-groups.md: a claim takes "expired pending frames, then new ones". A member that crashed holding more
    /// frames than one page of a backend's scan of due frames (Redis read 1000 at a time) must still have all of them
    /// taken over before the group hands out anything new: a claim that stopped after the first page handed new frames
    /// out while due ones waited.
    /// </summary>
    [Fact]
    public async Task A_claim_hands_out_every_due_frame_before_any_new_one_however_many_are_due()
    {
        const int Held = 1500;
        var log = await CreateAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.AppendBatchAsync(stream, Enumerable.Range(0, Held).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"f{i}")).ToArray(), AppendMode.Durable);
        var held = (await log.ClaimAsync(stream, "g", "crashed", Held, ClaimTimeout)).Frames.Select(f => f.Frame.Id).ToArray();
        Assert.Equal(Held, held.Length);
        await PassAsync(ClaimTimeout);
        var fresh = await AppendAsync(log, stream, 3, "n");

        var claim = await log.ClaimAsync(stream, "g", "b", Held, ClaimTimeout);

        Assert.Equal(held, claim.Frames.Select(f => f.Frame.Id));
        Assert.All(claim.Frames, f => Assert.Equal(2, f.DeliveryCount));
        Assert.Equal(held[^1], claim.LastDeliveredId);
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((held[^1], (long)Held, 3L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(new[] { ("b", (long)Held), ("crashed", 0L) }, info.Members.Select(m => (m.Name, m.PendingCount)));

        var next = await log.ClaimAsync(stream, "g", "b", Held, ClaimTimeout);
        Assert.Equal(fresh, next.Frames.Select(f => f.Frame.Id));
        Assert.All(next.Frames, f => Assert.Equal(1, f.DeliveryCount));
    }

    /// <summary>
    /// A frame whose every holder crashes (its canal disposed unacknowledged) goes from member to member after each claim
    /// timeout, its count raised, and the member that claims it past MaxDeliveries parks it instead of handing it out.
    /// </summary>
    [Fact]
    public async Task A_frame_that_crashes_every_member_is_parked_once_past_the_most_deliveries_with_the_count_that_parked_it()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var deadLetter = NewStream("dl");
        var ids = await AppendAsync(log, stream, 2);
        for (var i = 1; i <= 2; i++)
        {
            var member = await ConsumerGroupCanal.OpenAsync(log, stream, "g", $"m{i}", new ConsumerGroupCanalOptions { ClaimTimeout = ClaimTimeout, MaxDeliveries = 2, DeadLetterStream = deadLetter, TimeProvider = Clock });
            var batch = await member.PullBatchAsync(10, TimeSpan.Zero);
            Assert.Equal(ids, batch.Select(f => f.Id));
            Assert.All(batch, f => Assert.Equal(i, member.DeliveryCountOf(f)));
            await member.DisposeAsync();
            await PassAsync(ClaimTimeout);
        }

        var last = await ConsumerGroupCanal.OpenAsync(await CreateAsync(), stream, "g", "m3", new ConsumerGroupCanalOptions { ClaimTimeout = ClaimTimeout, MaxDeliveries = 2, DeadLetterStream = deadLetter, TimeProvider = Clock });
        Assert.True((await last.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        var parked = await log.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10);
        Assert.Equal(["f0", "f1"], parked.Select(Text));
        Assert.All(parked, p => Assert.Equal("3", p.Headers[FrameHeaders.DeliveryCount]));
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[^1], 0L, 0L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(["m1", "m2", "m3"], info.Members.Select(m => m.Name));
        await last.DisposeAsync();
    }

    /// <summary>
    /// A restart (the member's canal gone, a new log instance over the same storage) keeps the group's progress: a group
    /// started after an id, its cursor, what was acknowledged and what is still pending, on the member that held it.
    /// </summary>
    [Fact]
    public async Task Another_log_instance_keeps_the_group_s_cursor_and_pending_frames_and_a_restarted_member_takes_its_own_back()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 5);
        var a = await ConsumerGroupCanal.OpenAsync(log, stream, "g", "a", new ConsumerGroupCanalOptions { ClaimTimeout = ClaimTimeout, TimeProvider = Clock, Start = ConsumerGroupStart.After(ids[0]) });
        var batch = await a.PullBatchAsync(3, TimeSpan.Zero);
        Assert.Equal(ids[1..4], batch.Select(f => f.Id));
        await a.CommitAsync(batch[1]);
        await a.DisposeAsync();

        var log2 = await CreateAsync();
        var info = await log2.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[3], 1L, 1L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        var b = await ConsumerGroupCanal.OpenAsync(log2, stream, "g", "b", new ConsumerGroupCanalOptions { ClaimTimeout = ClaimTimeout, TimeProvider = Clock, Start = ConsumerGroupStart.Beginning });
        Assert.Equal(new[] { ids[4] }, (await b.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
        var a2 = await ConsumerGroupCanal.OpenAsync(log2, stream, "g", "a", new ConsumerGroupCanalOptions { ClaimTimeout = ClaimTimeout, TimeProvider = Clock });
        var back = await a2.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(new[] { ids[3] }, back.Select(f => f.Id));
        Assert.Equal(2, a2.DeliveryCountOf(back[0]));
        await a2.DisposeAsync();
        await b.DisposeAsync();
    }

    /// <summary>
    /// A handler that throws faults its worker, and the batch goes back to the canal unacknowledged: the next worker on the
    /// canal gets it at once, with no delivery counted twice.
    /// </summary>
    [Fact]
    public async Task A_worker_whose_handler_fails_gives_its_batch_back_and_the_next_worker_on_the_canal_gets_it_with_the_same_count()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        var canal = await OpenCanalAsync(log, stream, "a");
        var worker = CanalWorker.Start(canal, (_, _) => throw new InvalidOperationException("boom"), new CanalWorkerOptions { Deadline = TimeSpan.Zero });
        await Assert.ThrowsAsync<InvalidOperationException>(() => worker.JoinAsync().WaitAsync(Guard));
        Assert.Equal(3L, (await log.ReadGroupAsync(stream, "g"))!.PendingCount);
        var seen = new TaskCompletionSource<StreamId[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var counts = new List<long>();
        await using (var second = CanalWorker.Start(canal, (batch, _) =>
        {
            counts.AddRange(batch.Select(canal.DeliveryCountOf));
            seen.TrySetResult(batch.Select(f => f.Id).ToArray());
            return default;
        }, new CanalWorkerOptions { Deadline = TimeSpan.Zero }))
        {
            Assert.Equal(ids, await seen.Task.WaitAsync(Guard));
            await second.StopAndJoinAsync();
        }

        Assert.Equal([1L, 1L, 1L], counts);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
    }

    /// <summary>
    /// The largest claim timeout (and deadline) is accepted: frames are never reclaimed, and a pull parks on the tail and
    /// wakes on an append.
    /// </summary>
    [Fact]
    public async Task A_claim_timeout_of_the_largest_time_span_never_expires_and_a_parked_pull_still_wakes_on_an_append()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var canal = await ConsumerGroupCanal.OpenAsync(log, stream, "g", "a", new ConsumerGroupCanalOptions { ClaimTimeout = TimeSpan.MaxValue, TimeProvider = Clock });
        var ids = await AppendAsync(log, stream, 2);
        var batch = await canal.PullBatchAsync(10, TimeSpan.MaxValue);
        Assert.Equal(ids, batch.Select(f => f.Id));
        await PassAsync(TimeSpan.FromDays(365));
        var other = await ConsumerGroupCanal.OpenAsync(log, stream, "g", "b", new ConsumerGroupCanalOptions { ClaimTimeout = TimeSpan.MaxValue, TimeProvider = Clock });
        Assert.True((await other.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        var timers = Clock.TimersCreated;
        var parked = other.PullBatchAsync(10, TimeSpan.MaxValue).AsTask();
        await Task.WhenAny(parked, Clock.WaitForTimersAsync(timers + 1));
        var more = await AppendAsync(log, stream, 1, "n");
        Assert.Equal(more, (await parked.WaitAsync(Guard)).Select(f => f.Id));
        await canal.DisposeAsync();
        await other.DisposeAsync();
    }

    /// <summary>
    /// One acknowledgement of thousands of ids in no order, held by two members, with unknown and repeated ids: each
    /// pending one counts once, the rest are ignored, and only the unacknowledged frames are reclaimed.
    /// </summary>
    [Fact]
    public async Task Acknowledging_thousands_of_ids_across_members_counts_each_pending_one_once()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.AppendBatchAsync(stream, Enumerable.Range(0, 2500).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"f{i}")).ToArray(), AppendMode.Durable);
        var a = (await log.ClaimAsync(stream, "g", "a", 1000, ClaimTimeout)).Frames.Select(f => f.Frame.Id).ToArray();
        var b = (await log.ClaimAsync(stream, "g", "b", 1000, ClaimTimeout)).Frames.Select(f => f.Frame.Id).ToArray();
        var ids = a.Where((_, i) => i % 2 == 0).Concat(b.Where((_, i) => i % 3 == 0)).Reverse().Append(new StreamId(1, 1)).Append(a[0]).ToArray();
        var expected = a.Where((_, i) => i % 2 == 0).Count() + b.Where((_, i) => i % 3 == 0).Count();
        Assert.Equal(expected, await log.AcknowledgeAsync(stream, "g", ids));
        Assert.Equal(2000 - expected, (await log.ReadGroupAsync(stream, "g"))!.PendingCount);
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal(new[] { ("a", 500L), ("b", 1000L - b.Where((_, i) => i % 3 == 0).Count()) }, info!.Members.Select(m => (m.Name, m.PendingCount)));
        Assert.Equal(0, await log.AcknowledgeAsync(stream, "g", ids));
        await PassAsync(ClaimTimeout);
        var re = await log.ClaimAsync(stream, "g", "c", 5000, ClaimTimeout);
        Assert.Equal(a.Where((_, i) => i % 2 == 1).Concat(b.Where((_, i) => i % 3 != 0)), re.Frames.Take(2000 - expected).Select(f => f.Frame.Id));
        Assert.Equal(500, re.Frames.Count(f => f.DeliveryCount == 1));
    }
}
