namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// A group canal across its awaits: disposal while a pull sends acknowledgements, a pull that outlasts its own claim
/// timeout while it lingers, a pull cancelled while its claim is out, and acknowledgements the log counts once.
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    /// <summary>
    /// docs/consumer-groups.md: token acknowledgements "are sent at the next pull, FlushAcknowledgementsAsync or
    /// disposal", and DisposeAsync "completes when the acknowledgements are stored". A pull sending them when the canal is
    /// disposed is cancelled by the disposal; the acknowledgements it was sending must still be stored by the disposal,
    /// not left in a closed canal (the frames would be handed out again after the claim timeout).
    /// </summary>
    [Fact]
    public async Task Disposing_a_canal_while_a_pull_sends_its_acknowledgements_still_stores_them()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(inner, stream, 2);
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids, batch.Select(f => f.Id));
        canal.AckTokenFor(batch[0]).Acknowledge();
        canal.AckTokenFor(batch[1]).Acknowledge();

        // The next pull's acknowledgement is out when the canal is disposed; its cancellation comes back only later.
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        log.BeforeAcknowledge = async token =>
        {
            log.BeforeAcknowledge = null;
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, token);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
                await release.Task;
                throw;
            }
        };
        var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1)).AsTask();
        var dispose = canal.DisposeAsync().AsTask();
        await cancelled.Task.WaitAsync(Guard);
        release.TrySetResult();

        await Assert.ThrowsAsync<CanalClosedException>(() => pull.WaitAsync(Guard));
        await dispose.WaitAsync(Guard);
        Assert.Empty(await inner.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(0, canal.Unacknowledged);
    }

    /// <summary>
    /// A pull lingering for a fuller batch hands out what it holds once half the claim timeout has passed since the claim,
    /// whatever the linger asks: the handler gets the other half, and the claim never runs out while the pull waits
    /// (the frame would be claimed again with its count raised, and, past the most deliveries, parked unhandled).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public async Task A_lingering_pull_hands_out_its_frames_once_half_the_claim_timeout_has_passed(int maxDeliveries)
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var deadLetter = NewStream("dl");
        var first = (await AppendAsync(log, stream, 1))[0];
        var canal = await OpenCanalAsync(log, stream, "a", maxDeliveries: maxDeliveries, deadLetter: deadLetter);

        var timers = Clock.TimersCreated;
        var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1), new CanalLinger(4, Timeout.InfiniteTimeSpan)).AsTask();
        await PassWhilePullWaitsAsync(pull, timers, ClaimTimeout / 4);
        Assert.False(pull.IsCompleted);
        await PassWhilePullWaitsAsync(pull, Clock.TimersCreated - 1, ClaimTimeout / 4);

        var batch = await pull.WaitAsync(Guard);
        Assert.Equal(new[] { first }, batch.Select(f => f.Id));
        Assert.Equal(new[] { 1L }, batch.Select(canal.DeliveryCountOf));
        Assert.Equal(new[] { (first, "a", 1L) }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));
        Assert.Empty(await log.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10));
        await canal.CommitAsync(batch.Last);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
    }

    /// <summary>
    /// Frames a cancelled pull claimed wait in the canal for its next pull (as a batch a stopped worker gives back does);
    /// when that pull, lingering for more, finds them due again and reclaims them, each is still returned once.
    /// </summary>
    [Fact]
    public async Task Frames_kept_from_a_cancelled_pull_and_reclaimed_by_the_next_lingering_pull_are_returned_once()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(inner, stream, 2);
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");
        await CancelPullWhileItsClaimIsOutAsync(log, canal, 2);
        var third = (await AppendAsync(inner, stream, 1, "n"))[0];
        await PassAsync(ClaimTimeout);

        // The pull holds the two kept, lingers for a third, and its claim takes both again (due) and the new one.
        var next = await canal.PullBatchAsync(10, TimeSpan.FromMinutes(1), new CanalLinger(3, Timeout.InfiniteTimeSpan)).AsTask().WaitAsync(Guard);

        Assert.Equal(ids.Append(third), next.Select(f => f.Id));
        Assert.Equal(new[] { 2L, 2L, 1L }, next.Select(canal.DeliveryCountOf));
        Assert.Equal(3, canal.Unacknowledged);
    }

    /// <summary>
    /// Cancellation interrupts only waiting: a claim already sent completes, and the frames it took come first with
    /// the next pull of the canal, with no second delivery counted.
    /// </summary>
    [Fact]
    public async Task A_pull_cancelled_while_its_claim_is_out_hands_the_claimed_frames_to_the_next_pull()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(inner, stream, 3);
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");
        await CancelPullWhileItsClaimIsOutAsync(log, canal, 2);

        Assert.Equal(new[] { (ids[0], 1L), (ids[1], 1L) }, (await inner.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.DeliveryCount)));
        Assert.Equal(0, canal.Unacknowledged);
        var next = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids[..2], next.Select(f => f.Id));
        Assert.Equal(new[] { 1L, 1L }, next.Select(canal.DeliveryCountOf));
        await canal.CommitAsync(next.Last);
        Assert.Equal(new[] { ids[2] }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
    }

    /// <summary>
    /// Frames a cancelled pull claimed wait in the canal, but only while its claim is live: once the claim timeout has
    /// passed another member may have reclaimed them, and handing them out here too would have two members handle them
    /// at once. The next pull leaves them to whoever holds them now.
    /// </summary>
    [Fact]
    public async Task Frames_kept_from_a_cancelled_pull_that_another_member_reclaimed_meanwhile_are_not_returned()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(inner, stream, 2);
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");
        await CancelPullWhileItsClaimIsOutAsync(log, canal, 2);
        await PassAsync(ClaimTimeout);
        var other = await OpenCanalAsync(await CreateAsync(), stream, "b");
        var taken = await other.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids, taken.Select(f => f.Id));

        Assert.True((await canal.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        Assert.Equal(0, canal.Unacknowledged);
        Assert.Equal(new[] { ("b", 2L), ("b", 2L) }, (await inner.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Consumer, p.DeliveryCount)));
        var appended = (await AppendAsync(inner, stream, 1, "n"))[0];
        Assert.Equal(new[] { appended }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
    }

    /// <summary>The same frames when no other member took them: the next pull claims them again, delivery 2, and returns them once.</summary>
    [Fact]
    public async Task Frames_kept_from_a_cancelled_pull_past_the_claim_timeout_are_claimed_again_before_they_are_returned()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(inner, stream, 2);
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");
        await CancelPullWhileItsClaimIsOutAsync(log, canal, 2);
        await PassAsync(ClaimTimeout);

        var next = await canal.PullBatchAsync(10, TimeSpan.Zero);

        Assert.Equal(ids, next.Select(f => f.Id));
        Assert.Equal(new[] { 2L, 2L }, next.Select(canal.DeliveryCountOf));
        Assert.Equal(new[] { ("a", 2L), ("a", 2L) }, (await inner.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Consumer, p.DeliveryCount)));
    }

    /// <summary>
    /// A canal disposed while its worker's handler runs: the worker still commits the batch it handled (the
    /// acknowledgement reaches the log, once), then finds the canal closed and ends cleanly.
    /// </summary>
    [Fact]
    public async Task A_canal_disposed_while_its_worker_is_mid_batch_still_gets_the_handled_batch_acknowledged()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        var canal = await OpenCanalAsync(log, stream, "a");
        var entered = new TaskCompletionSource<StreamId[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = 0;
        await using var worker = CanalWorker.Start(canal, async (batch, _) =>
        {
            Interlocked.Increment(ref batches);
            entered.TrySetResult(batch.Select(f => f.Id).ToArray());
            await release.Task;
        }, new CanalWorkerOptions { Deadline = TimeSpan.Zero });

        Assert.Equal(ids, await entered.Task.WaitAsync(Guard));
        await canal.DisposeAsync();
        release.TrySetResult();

        await worker.JoinAsync().WaitAsync(Guard);
        Assert.Equal(1, batches);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(0, canal.Unacknowledged);
    }

    /// <summary>
    /// A worker stopped while its handler runs gives the batch back unacknowledged; the canal is then disposed (the
    /// process shuts down). The member restarted under its name gets those frames at once, delivery 2, and nothing else
    /// acknowledged them.
    /// </summary>
    [Fact]
    public async Task A_batch_a_stopped_worker_gave_back_comes_back_to_the_restarted_member_at_once()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        var canal = await OpenCanalAsync(log, stream, "a");
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = CanalWorker.Start(canal, async (_, token) =>
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, token);
        }, new CanalWorkerOptions { Deadline = TimeSpan.Zero });
        await entered.Task.WaitAsync(Guard);
        await worker.StopAndJoinAsync().WaitAsync(Guard);
        await canal.DisposeAsync();
        Assert.Equal(new[] { (ids[0], 1L), (ids[1], 1L) }, (await log.ReadPendingAsync(stream, "g", "a", 10)).Select(p => (p.Id, p.DeliveryCount)));

        var restarted = await OpenCanalAsync(await CreateAsync(), stream, "a");
        var batch = await restarted.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids, batch.Select(f => f.Id));
        Assert.Equal(new[] { 2L, 2L }, batch.Select(restarted.DeliveryCountOf));
    }

    /// <summary>
    /// A canal disposed while its pull's claim is out: the pull ends with <see cref="CanalClosedException"/>, and the
    /// frames the claim took stay pending on the member (nothing lost, nothing acknowledged), for the member restarted
    /// under its name at once, or for another member after the claim timeout.
    /// </summary>
    [Fact]
    public async Task A_canal_disposed_while_its_claim_is_out_leaves_the_claimed_frames_pending_on_the_member()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(inner, stream, 3);
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");
        Task? disposing = null;
        log.BeforeClaim = _ =>
        {
            log.BeforeClaim = null;
            disposing = canal.DisposeAsync().AsTask();
            return Task.CompletedTask;
        };

        await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(2, TimeSpan.FromMinutes(1)).AsTask().WaitAsync(Guard));
        await disposing!.WaitAsync(Guard);

        Assert.Equal(new[] { (ids[0], "a", 1L), (ids[1], "a", 1L) }, (await inner.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));
        var other = await OpenCanalAsync(await CreateAsync(), stream, "b");
        Assert.Equal(new[] { ids[2] }, (await other.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
        var restarted = await OpenCanalAsync(await CreateAsync(), stream, "a");
        var back = await restarted.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids[..2], back.Select(f => f.Id));
        Assert.Equal(new[] { 2L, 2L }, back.Select(restarted.DeliveryCountOf));
    }

    /// <summary>A frame acknowledged through its token and by a commit too is sent to the log once.</summary>
    [Fact]
    public async Task A_frame_acknowledged_by_its_token_and_a_commit_is_sent_once()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(inner, stream, 2);
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        canal.AckTokenFor(batch[0]).Acknowledge();
        canal.AckTokenFor(batch[0]).Acknowledge();

        await canal.CommitAsync(batch[1]);

        Assert.Equal(new[] { ids }, log.Acknowledged);
        Assert.Empty(await inner.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(0, canal.Unacknowledged);
    }

    /// <summary>
    /// A second DisposeAsync while the first sends the acknowledgements (a host stopping twice, `await using` in two
    /// flows) completes only when the first has: a caller that goes on, or exits, after it must find them stored.
    /// </summary>
    [Fact]
    public async Task A_second_disposal_during_the_first_completes_only_once_the_acknowledgements_are_stored()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        await AppendAsync(inner, stream, 1);
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        canal.AckTokenFor(batch[0]).Acknowledge();

        var sending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        log.BeforeAcknowledge = async _ =>
        {
            log.BeforeAcknowledge = null;
            sending.TrySetResult();
            await release.Task;
        };
        var first = canal.DisposeAsync().AsTask();
        await sending.Task.WaitAsync(Guard);

        var second = canal.DisposeAsync().AsTask();
        Assert.False(second.IsCompleted);

        release.TrySetResult();
        await Task.WhenAll(first, second).WaitAsync(Guard);
        Assert.Empty(await inner.ReadPendingAsync(stream, "g", null, 10));
        await canal.DisposeAsync();
    }

    /// <summary>
    /// docs/consumer-groups.md: after DisposeAsync, an ack token fired late, and a new ack token, throw
    /// ObjectDisposedException and acknowledge nothing, since nothing would send them (before, a late token was dropped
    /// silently); the frame stays pending on the member for a reclaim. A commit sends at once, so it still acknowledges.
    /// </summary>
    [Fact]
    public async Task An_ack_token_fired_after_the_disposal_is_refused_and_leaves_its_frame_pending()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(inner, stream, 3);
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        var early = canal.AckTokenFor(batch[0]);
        var late = canal.AckTokenFor(batch[1]);
        early.Acknowledge();

        await canal.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(late.Acknowledge);
        Assert.Throws<ObjectDisposedException>(() => canal.AckTokenFor(batch[2]));
        await canal.FlushAcknowledgementsAsync();
        Assert.Equal(new[] { new[] { ids[0] } }, log.Acknowledged); // the disposal sent the one made before it
        Assert.Equal(ids[1..], (await inner.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
    }

    /// <summary>
    /// A frame trimmed by best-effort retention while pending stays in the pending list, the group's and its holder's
    /// pending counts (as Redis's XPENDING keeps a deleted entry) until a reclaim drops it or it is acknowledged; the
    /// lag counts only frames that are still there after the cursor.
    /// </summary>
    [Fact]
    public async Task A_pending_frame_trimmed_by_retention_counts_as_pending_until_a_reclaim_drops_it_or_it_is_acknowledged()
    {
        var log = await OpenLogKeepingTwoLiveFramesAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var l0 = (await log.AppendAsync(stream, "l0"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        var l1 = (await log.AppendAsync(stream, "l1"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        Assert.Equal(2, (await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout)).Frames.Count);
        await log.AppendAsync(stream, "l2"u8.ToArray(), AppendMode.BestEffortLive);
        await log.AppendAsync(stream, "l3"u8.ToArray(), AppendMode.BestEffortLive);
        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, l1, 10));

        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((l1, 2L, 2L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(new[] { ("a", 2L) }, info.Members.Select(m => (m.Name, m.PendingCount)));
        Assert.Equal(new[] { l0, l1 }, (await log.ReadPendingAsync(stream, "g", "a", 10)).Select(p => p.Id));

        Assert.Equal(1, await log.AcknowledgeAsync(stream, "g", [l0]));
        await PassAsync(ClaimTimeout);
        var claim = await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout);
        Assert.Equal(new[] { "l2", "l3" }, claim.Frames.Select(f => Text(f.Frame)));
        Assert.All(claim.Frames, f => Assert.Equal(1, f.DeliveryCount));

        info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((2L, 0L), (info!.PendingCount, info.Lag));
        Assert.Equal(new[] { ("a", 0L), ("b", 2L) }, info.Members.Select(m => (m.Name, m.PendingCount)));
    }

    /// <summary>XACK's rules: an id given twice in one call counts once, and a frame another member holds is acknowledged all the same.</summary>
    [Fact]
    public async Task An_acknowledgement_counts_an_id_given_twice_once_and_takes_another_member_s_frame()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);
        await log.ClaimAsync(stream, "g", "b", 1, ClaimTimeout);

        Assert.Equal(2, await log.AcknowledgeAsync(stream, "g", [ids[0], ids[0], ids[2], ids[2]]));

        Assert.Equal(new[] { (ids[1], "a") }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer)));
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal(new[] { ("a", 1L), ("b", 0L) }, info!.Members.Select(m => (m.Name, m.PendingCount)));
    }

    /// <summary>
    /// Lets <paramref name="total"/> of virtual time pass in quarters of the claim timeout while <paramref name="pull"/>
    /// waits, each step once the pull has parked again (<paramref name="timers"/>: the clock's timer count before the pull).
    /// </summary>
    private async Task PassWhilePullWaitsAsync(Task pull, int timers, TimeSpan total)
    {
        await Task.WhenAny(pull, Clock.WaitForTimersAsync(timers + 1));
        var step = ClaimTimeout / 4;
        for (var passed = TimeSpan.Zero; passed < total && !pull.IsCompleted; passed += step)
        {
            var before = Clock.TimersCreated;
            await PassAsync(step);
            await Task.WhenAny(pull, Clock.WaitForTimersAsync(before + 1));
        }
    }

    /// <summary>
    /// Pulls up to <paramref name="max"/> frames and cancels the pull once its claim is on its way to the log: the pull
    /// throws, and the claim completes.
    /// </summary>
    private static async Task CancelPullWhileItsClaimIsOutAsync(HookedLog log, ConsumerGroupCanal canal, int max)
    {
        using var cts = new CancellationTokenSource();
        log.BeforeClaim = async _ =>
        {
            log.BeforeClaim = null;
            await cts.CancelAsync();
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.PullBatchAsync(max, TimeSpan.FromMinutes(1), cts.Token).AsTask().WaitAsync(Guard));
    }

    /// <summary>A log that runs a test's hook before an acknowledgement or a claim (not a member's claim of its own pending frames) reaches the inner log (each hook clears itself to run once).</summary>
    private sealed class HookedLog(IConsumerGroupLog inner) : IConsumerGroupLog
    {
        public volatile Func<CancellationToken, Task>? BeforeAcknowledge;
        public volatile Func<CancellationToken, Task>? BeforeClaim;

        /// <summary>The ids of every acknowledgement sent, in order.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<StreamId[]> Acknowledged { get; } = new();

        public ValueTask<AppendResult> AppendAsync(string stream, ReadOnlyMemory<byte> frame, AppendMode mode, CancellationToken cancellationToken = default) =>
            inner.AppendAsync(stream, frame, mode, cancellationToken);

        public ValueTask<AppendResult> AppendAsync(string stream, ReadOnlyMemory<byte> frame, AppendMode mode, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken = default) =>
            inner.AppendAsync(stream, frame, mode, headers, cancellationToken);

        public ValueTask<AppendBatchResult> AppendBatchAsync(string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, CancellationToken cancellationToken = default) =>
            inner.AppendBatchAsync(stream, frames, mode, cancellationToken);

        public ValueTask<AppendBatchResult> AppendBatchAsync(string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, CancellationToken cancellationToken = default) =>
            inner.AppendBatchAsync(stream, frames, mode, headers, cancellationToken);

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

        public async ValueTask<ConsumerGroupClaim> ClaimAsync(string stream, string group, string consumer, int limit, TimeSpan claimTimeout, CancellationToken cancellationToken = default)
        {
            if (BeforeClaim is { } hook)
            {
                await hook(cancellationToken);
            }

            return await inner.ClaimAsync(stream, group, consumer, limit, claimTimeout, cancellationToken);
        }

        public ValueTask<ConsumerGroupClaim> ClaimOwnPendingAsync(string stream, string group, string consumer, StreamId after, int limit, CancellationToken cancellationToken = default) =>
            inner.ClaimOwnPendingAsync(stream, group, consumer, after, limit, cancellationToken);

        public async ValueTask<long> AcknowledgeAsync(string stream, string group, IReadOnlyList<StreamId> ids, CancellationToken cancellationToken = default)
        {
            if (BeforeAcknowledge is { } hook)
            {
                await hook(cancellationToken);
            }

            Acknowledged.Enqueue([.. ids]);
            return await inner.AcknowledgeAsync(stream, group, ids, cancellationToken);
        }

        public ValueTask<IReadOnlyList<PendingFrame>> ReadPendingAsync(string stream, string group, string? consumer, int limit, CancellationToken cancellationToken = default) =>
            inner.ReadPendingAsync(stream, group, consumer, limit, cancellationToken);

        public ValueTask<ConsumerGroupInfo?> ReadGroupAsync(string stream, string group, CancellationToken cancellationToken = default) =>
            inner.ReadGroupAsync(stream, group, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the inner log is the test's
    }
}
