using System.Collections.Concurrent;
using System.Text;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// The consumer-group behaviour every <see cref="IConsumerGroupLog"/> backend shares. A backend's test class derives
/// from this and says how to open a log on this test's storage; each call may return another instance (another
/// connection, pool or process's view) on the same storage, so members on different instances are tested too.
/// Time is virtual (<see cref="TestClock"/>) where the backend measures claim timeouts with the log's clock; a backend
/// whose server measures them overrides <see cref="PassAsync"/>.
/// </summary>
public abstract partial class ConsumerGroupConformanceTests : IAsyncLifetime
{
    protected static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    protected static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(10);
    private readonly List<IAsyncDisposable> _opened = [];

    protected TestClock Clock { get; } = new();

    /// <summary>Opens a log on this test's storage (the same storage on every call within one test).</summary>
    protected abstract ValueTask<IConsumerGroupLog> OpenLogAsync(StreamLogOptions options);

    /// <summary>Lets <paramref name="time"/> pass on the clock that measures claim timeouts.</summary>
    protected virtual Task PassAsync(TimeSpan time)
    {
        Clock.Advance(time);
        return Task.CompletedTask;
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        for (var i = _opened.Count - 1; i >= 0; i--)
        {
            await _opened[i].DisposeAsync();
        }
    }

    protected async Task<IConsumerGroupLog> CreateAsync(int maxReadCount = StreamLogOptions.DefaultMaxReadCount)
    {
        var log = await OpenLogAsync(new StreamLogOptions { TimeProvider = Clock, MaxReadCount = maxReadCount });
        _opened.Add(log);
        return log;
    }

    /// <summary>A log on the test clock whose best-effort retention keeps the last two live frames of a stream.</summary>
    protected async Task<IConsumerGroupLog> OpenLogKeepingTwoLiveFramesAsync() =>
        Track(await OpenLogAsync(new StreamLogOptions
        {
            TimeProvider = Clock,
            LiveRetention = new LiveRetentionOptions { Alpha = 1, Ttl = TimeSpan.FromSeconds(1), Floor = 2, Ceiling = 2 },
        }));

    protected T Track<T>(T disposable)
        where T : IAsyncDisposable
    {
        _opened.Add(disposable);
        return disposable;
    }

    protected static string NewStream(string prefix = "g") => $"{prefix}-{Guid.NewGuid():N}";

    protected static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    protected static async Task<StreamId[]> AppendAsync(IStreamLog log, string stream, int count, string prefix = "f")
    {
        var ids = new StreamId[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = (await log.AppendAsync(stream, Encoding.UTF8.GetBytes($"{prefix}{i}"), AppendMode.Durable)).Id;
        }

        return ids;
    }

    private static StreamId[] Ids(ConsumerGroupClaim claim) => claim.Frames.Select(f => f.Frame.Id).ToArray();

    // ---- creating and starting ----

    [Fact]
    public async Task Creating_a_group_is_idempotent_and_leaves_an_existing_group_as_it_is()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);

        Assert.True(await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning));
        var first = await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout);
        Assert.False(await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.End));

        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal(ids[0], first.LastDeliveredId);
        Assert.Equal(ids[0], info!.LastDeliveredId);
        Assert.Equal(1, info.PendingCount);
        Assert.Equal(2, info.Lag);
    }

    [Fact]
    public async Task Groups_on_streams_named_with_braces_work_like_any_other()
    {
        var log = await CreateAsync();
        var id = NewStream();
        foreach (var (stream, group) in new[] { ("}" + id, "}g"), ("}}" + id + "}", "{g}"), ("{" + id + "}", "g}:c") })
        {
            var ids = await AppendAsync(log, stream, 3);
            Assert.True(await log.CreateGroupAsync(stream, group, ConsumerGroupStart.Beginning));

            var a = await log.ClaimAsync(stream, group, "a", 2, ClaimTimeout);
            var b = await log.ClaimAsync(stream, group, "b", 2, ClaimTimeout);
            Assert.Equal(ids[..2], Ids(a));
            Assert.Equal(ids[2..], Ids(b));
            Assert.Equal(ids[..2], Ids(await log.ClaimOwnPendingAsync(stream, group, "a", StreamId.Min, 10)));
            Assert.Equal(ids, (await log.ReadPendingAsync(stream, group, null, 10)).Select(p => p.Id));
            Assert.Equal(2, await log.AcknowledgeAsync(stream, group, ids[..2]));
            var info = await log.ReadGroupAsync(stream, group);
            Assert.Equal((ids[2], 1L, 0L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        }
    }

    [Fact]
    public async Task A_group_starts_at_the_beginning_at_the_end_or_after_an_id()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 4);

        await log.CreateGroupAsync(stream, "begin", ConsumerGroupStart.Beginning);
        await log.CreateGroupAsync(stream, "end", ConsumerGroupStart.End);
        await log.CreateGroupAsync(stream, "after", ConsumerGroupStart.After(ids[1]));
        await log.CreateGroupAsync(NewStream(), "empty-stream", ConsumerGroupStart.End);
        var later = (await log.AppendAsync(stream, "later"u8.ToArray(), AppendMode.Durable)).Id;

        Assert.Equal(ids.Append(later), Ids(await log.ClaimAsync(stream, "begin", "a", 10, ClaimTimeout)));
        Assert.Equal(new[] { later }, Ids(await log.ClaimAsync(stream, "end", "a", 10, ClaimTimeout)));
        Assert.Equal([ids[2], ids[3], later], Ids(await log.ClaimAsync(stream, "after", "a", 10, ClaimTimeout)));
    }

    [Fact]
    public async Task Groups_on_one_stream_are_independent()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        await log.CreateGroupAsync(stream, "one", ConsumerGroupStart.Beginning);
        await log.CreateGroupAsync(stream, "two", ConsumerGroupStart.Beginning);

        Assert.Equal(ids, Ids(await log.ClaimAsync(stream, "one", "a", 10, ClaimTimeout)));
        Assert.Equal(ids, Ids(await log.ClaimAsync(stream, "two", "a", 10, ClaimTimeout)));
        Assert.Equal(3, await log.AcknowledgeAsync(stream, "one", ids));
        Assert.Equal(3, (await log.ReadGroupAsync(stream, "two"))!.PendingCount);
    }

    // ---- claiming ----

    [Fact]
    public async Task Each_frame_goes_to_one_member_in_id_order_within_each_batch()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 7);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);

        var a = await log.ClaimAsync(stream, "g", "a", 3, ClaimTimeout);
        var b = await log.ClaimAsync(stream, "g", "b", 3, ClaimTimeout);
        var c = await log.ClaimAsync(stream, "g", "c", 3, ClaimTimeout);
        var none = await log.ClaimAsync(stream, "g", "a", 3, ClaimTimeout);

        Assert.Equal(ids[..3], Ids(a));
        Assert.Equal(ids[3..6], Ids(b));
        Assert.Equal(ids[6..], Ids(c));
        Assert.Empty(none.Frames);
        Assert.Equal(ids[^1], none.LastDeliveredId);
        Assert.All(a.Frames.Concat(b.Frames).Concat(c.Frames), f => Assert.Equal(1, f.DeliveryCount));
        Assert.Equal(new[] { "f0", "f1", "f2" }, a.Frames.Select(f => Text(f.Frame)));
    }

    [Fact]
    public async Task Acknowledged_frames_leave_the_pending_list_and_are_never_reclaimed()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 3, ClaimTimeout);

        Assert.Equal(2, await log.AcknowledgeAsync(stream, "g", [ids[0], ids[2], new StreamId(1, 1)]));
        Assert.Equal(0, await log.AcknowledgeAsync(stream, "g", [ids[0]]));
        Assert.Equal(0, await log.AcknowledgeAsync(stream, "g", []));
        await PassAsync(ClaimTimeout);

        var pending = await log.ReadPendingAsync(stream, "g", null, 10);
        Assert.Equal(new[] { ids[1] }, pending.Select(p => p.Id));
        Assert.Equal(new[] { ids[1] }, Ids(await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout)));
    }

    [Fact]
    public async Task Frames_not_acknowledged_within_the_claim_timeout_are_reclaimed_with_their_delivery_count()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);

        await PassAsync(ClaimTimeout - TimeSpan.FromMilliseconds(1));
        var early = await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout);
        Assert.Equal(new[] { ids[2] }, Ids(early)); // only the new frame: a's claim still runs
        await PassAsync(TimeSpan.FromMilliseconds(1));
        var late = await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout);

        Assert.Equal(ids[..2], Ids(late));
        Assert.All(late.Frames, f => Assert.Equal(2, f.DeliveryCount));
        var pending = await log.ReadPendingAsync(stream, "g", null, 10);
        Assert.Equal(ids, pending.Select(p => p.Id));
        Assert.All(pending, p => Assert.Equal("b", p.Consumer));
        Assert.Equal(new[] { 2L, 2L, 1L }, pending.Select(p => p.DeliveryCount));
        Assert.Equal(new[] { TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(1) }, pending.Select(p => p.Idle));
    }

    [Fact]
    public async Task Claimed_and_reclaimed_frames_carry_their_headers()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var traced = new Dictionary<string, string> { [FrameHeaders.TraceParent] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ["tenant"] = "t1" };
        await log.AppendAsync(stream, Encoding.UTF8.GetBytes("with"), AppendMode.Durable, traced);
        await log.AppendAsync(stream, Encoding.UTF8.GetBytes("without"), AppendMode.Durable);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);

        var fresh = await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout);
        await PassAsync(ClaimTimeout);
        var reclaimed = await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout);

        foreach (var claim in new[] { fresh, reclaimed })
        {
            Assert.Equal(["with", "without"], claim.Frames.Select(f => Text(f.Frame)));
            Assert.Equal(traced.OrderBy(h => h.Key), claim.Frames[0].Frame.Headers.OrderBy(h => h.Key));
            Assert.Empty(claim.Frames[1].Frame.Headers);
        }
    }

    [Fact]
    public async Task A_claim_takes_reclaimable_frames_before_new_ones_and_keeps_id_order()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout);
        await PassAsync(ClaimTimeout);

        var claim = await log.ClaimAsync(stream, "g", "b", 1, ClaimTimeout);
        var rest = await log.ClaimAsync(stream, "g", "b", 5, ClaimTimeout);

        Assert.Equal(new[] { ids[0] }, Ids(claim));
        Assert.Equal(2, claim.Frames[0].DeliveryCount);
        Assert.Equal(new[] { ids[1] }, Ids(rest));
    }

    [Fact]
    public async Task Expired_frames_are_reclaimed_behind_any_number_of_older_frames_held_live()
    {
        // Redis's XAUTOCLAIM looks at a window of the oldest pending entries; a claim here must find the expired frames
        // wherever they are, however many older ones live members hold.
        var log = await CreateAsync();
        var stream = NewStream();
        var payload = (ReadOnlyMemory<byte>)"f"u8.ToArray();
        await log.AppendBatchAsync(stream, Enumerable.Repeat(payload, 260).ToArray(), AppendMode.Durable);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var held = new List<StreamId>();
        while (held.Count < 260)
        {
            held.AddRange(Ids(await log.ClaimAsync(stream, "g", "dead", 260 - held.Count, ClaimTimeout)));
        }

        await PassAsync(ClaimTimeout);
        var live = new List<StreamId>();
        while (live.Count < 250)
        {
            live.AddRange(Ids(await log.ClaimAsync(stream, "g", "live", 250 - live.Count, ClaimTimeout)));
        }

        var other = await log.ClaimAsync(stream, "g", "other", 10, ClaimTimeout);

        Assert.Equal(held[..250], live);
        Assert.Equal(held[250..], Ids(other));
        Assert.All(other.Frames, f => Assert.Equal(2, f.DeliveryCount));
        Assert.Empty(Ids(await log.ClaimAsync(stream, "g", "other", 10, ClaimTimeout)));
        Assert.Equal(10, (await log.ReadPendingAsync(stream, "g", "other", 100)).Count);
    }

    [Fact]
    public async Task A_member_can_reclaim_its_own_expired_frames()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 1);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout);
        await PassAsync(ClaimTimeout);

        var again = await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout);

        Assert.Equal(ids, Ids(again));
        Assert.Equal(2, again.Frames[0].DeliveryCount);
    }

    [Fact]
    public async Task After_a_partial_acknowledgement_a_reclaim_hands_out_only_the_unacknowledged_frames()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 6);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 6, ClaimTimeout);

        Assert.Equal(3, await log.AcknowledgeAsync(stream, "g", [ids[4], ids[1], ids[0]]));
        await PassAsync(ClaimTimeout);
        var reclaimed = await log.ClaimAsync(stream, "g", "b", 10, ClaimTimeout);

        Assert.Equal([ids[2], ids[3], ids[5]], Ids(reclaimed));
        Assert.Equal(new[] { "f2", "f3", "f5" }, reclaimed.Frames.Select(f => Text(f.Frame)));
        Assert.All(reclaimed.Frames, f => Assert.Equal(2, f.DeliveryCount));
        Assert.Equal(ids[^1], reclaimed.LastDeliveredId);
        Assert.Equal(0, await log.AcknowledgeAsync(stream, "g", [ids[1]]));
        Assert.Equal(3, await log.AcknowledgeAsync(stream, "g", [ids[2], ids[3], ids[5]]));
        await PassAsync(ClaimTimeout);
        Assert.Empty((await log.ClaimAsync(stream, "g", "c", 10, ClaimTimeout)).Frames);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
    }

    [Fact]
    public async Task A_reclaim_whose_limit_ends_inside_one_claim_s_frames_leaves_the_rest_to_the_next_claim()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 5);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 5, ClaimTimeout);
        await PassAsync(ClaimTimeout);

        var first = await log.ClaimAsync(stream, "g", "b", 2, ClaimTimeout);
        var pendingBetween = await log.ReadPendingAsync(stream, "g", null, 10);
        var rest = await log.ClaimAsync(stream, "g", "c", 10, ClaimTimeout);

        Assert.Equal(ids[..2], Ids(first));
        Assert.Equal(ids[2..], Ids(rest));
        Assert.All(first.Frames.Concat(rest.Frames), f => Assert.Equal(2, f.DeliveryCount));
        Assert.Equal(new[] { "b", "b", "a", "a", "a" }, pendingBetween.Select(p => p.Consumer));
        Assert.Equal(new[] { TimeSpan.Zero, TimeSpan.Zero, ClaimTimeout, ClaimTimeout, ClaimTimeout }, pendingBetween.Select(p => p.Idle));
        var pending = await log.ReadPendingAsync(stream, "g", null, 10);
        Assert.Equal(ids, pending.Select(p => p.Id));
        Assert.Equal(new[] { "b", "b", "c", "c", "c" }, pending.Select(p => p.Consumer));
        Assert.All(pending, p => Assert.Equal(2, p.DeliveryCount));

        // Each part is acknowledged and reclaimed on its own.
        Assert.Equal(1, await log.AcknowledgeAsync(stream, "g", [ids[1]]));
        await PassAsync(ClaimTimeout);
        var again = await log.ClaimAsync(stream, "g", "d", 10, ClaimTimeout);
        Assert.Equal([ids[0], ids[2], ids[3], ids[4]], Ids(again));
        Assert.All(again.Frames, f => Assert.Equal(3, f.DeliveryCount));
    }

    [Fact]
    public async Task Pending_counts_and_lists_leave_out_partially_acknowledged_frames()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 8);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 5, ClaimTimeout);
        await log.ClaimAsync(stream, "g", "b", 2, ClaimTimeout);

        Assert.Equal(3, await log.AcknowledgeAsync(stream, "g", [ids[1], ids[3], ids[6]]));

        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((ids[6], 4L, 1L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(new[] { ("a", 3L), ("b", 1L) }, info.Members.Select(m => (m.Name, m.PendingCount)));
        Assert.Equal([ids[0], ids[2], ids[4], ids[5]], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        Assert.Equal([ids[0], ids[2]], (await log.ReadPendingAsync(stream, "g", null, 2)).Select(p => p.Id));
        Assert.Equal([ids[0], ids[2], ids[4]], (await log.ReadPendingAsync(stream, "g", "a", 10)).Select(p => p.Id));
        Assert.Equal(new[] { ids[5] }, (await log.ReadPendingAsync(stream, "g", "b", 10)).Select(p => p.Id));

        // One acknowledgement spanning both members' frames, with repeats and ids that were never pending.
        Assert.Equal(4, await log.AcknowledgeAsync(stream, "g", [ids[5], ids[0], ids[4], ids[2], ids[0], ids[7], ids[3], new StreamId(1, 1)]));
        var after = await log.ReadGroupAsync(stream, "g");
        Assert.Equal(0, after!.PendingCount);
        Assert.All(after.Members, m => Assert.Equal(0, m.PendingCount));
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
    }

    [Fact]
    public async Task A_claim_returns_at_most_the_log_s_read_cap()
    {
        var log = await CreateAsync(maxReadCount: 2);
        var stream = NewStream();
        await AppendAsync(log, stream, 5);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);

        Assert.Equal(2, (await log.ClaimAsync(stream, "g", "a", 100, ClaimTimeout)).Frames.Count);
    }

    // ---- reading the group ----

    [Fact]
    public async Task Pending_lag_and_members_are_readable()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 5);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var fresh = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((stream, "g", StreamId.Min, 0L, 5L, 0), (fresh!.Stream, fresh.Group, fresh.LastDeliveredId, fresh.PendingCount, fresh.Lag, fresh.Members.Count));

        await log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout);
        await PassAsync(TimeSpan.FromSeconds(1));
        await log.ClaimAsync(stream, "g", "b", 1, ClaimTimeout);
        await PassAsync(TimeSpan.FromSeconds(1));
        await log.AcknowledgeAsync(stream, "g", [ids[0]]);

        var info = await log.ReadGroupAsync(stream, "g");
        Assert.NotNull(info);
        Assert.Equal(ids[2], info.LastDeliveredId);
        Assert.Equal(2, info.PendingCount);
        Assert.Equal(2, info.Lag);
        Assert.Equal(
            new[] { new ConsumerGroupMember("a", 1, TimeSpan.FromSeconds(2)), new ConsumerGroupMember("b", 1, TimeSpan.FromSeconds(1)) },
            info.Members);
        Assert.Equal(new[] { new PendingFrame(ids[1], "a", TimeSpan.FromSeconds(2), 1) }, await log.ReadPendingAsync(stream, "g", "a", 10));
        Assert.Equal(new[] { new PendingFrame(ids[1], "a", TimeSpan.FromSeconds(2), 1) }, await log.ReadPendingAsync(stream, "g", null, 1));
        Assert.Empty(await log.ReadPendingAsync(stream, "g", "nobody", 10));
        Assert.Null(await log.ReadGroupAsync(stream, "other"));
    }

    // ---- bad input ----

    [Fact]
    public async Task Bad_input_is_refused_with_the_parameter_named_and_nothing_written()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await AppendAsync(log, stream, 2);
        var tooLong = new string('x', StreamLog.MaxStreamNameLength + 1);

        Assert.Equal("group", (await Assert.ThrowsAsync<ArgumentException>(() => log.CreateGroupAsync(stream, "", ConsumerGroupStart.Beginning).AsTask())).ParamName);
        Assert.Equal("group", (await Assert.ThrowsAsync<ArgumentException>(() => log.CreateGroupAsync(stream, tooLong, ConsumerGroupStart.Beginning).AsTask())).ParamName);
        Assert.Equal("group", (await Assert.ThrowsAsync<ArgumentException>(() => log.CreateGroupAsync(stream, "a\nb", ConsumerGroupStart.Beginning).AsTask())).ParamName);
        Assert.Equal("stream", (await Assert.ThrowsAsync<ArgumentException>(() => log.CreateGroupAsync("", "g", ConsumerGroupStart.Beginning).AsTask())).ParamName);
        Assert.Null(await log.ReadGroupAsync(stream, "g"));

        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        Assert.Equal("consumer", (await Assert.ThrowsAsync<ArgumentException>(() => log.ClaimAsync(stream, "g", "", 1, ClaimTimeout).AsTask())).ParamName);
        Assert.Equal("consumer", (await Assert.ThrowsAsync<ArgumentException>(() => log.ClaimAsync(stream, "g", tooLong, 1, ClaimTimeout).AsTask())).ParamName);
        Assert.Equal("consumer", (await Assert.ThrowsAsync<ArgumentNullException>(() => log.ClaimAsync(stream, "g", null!, 1, ClaimTimeout).AsTask())).ParamName);
        Assert.Equal("limit", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.ClaimAsync(stream, "g", "a", 0, ClaimTimeout).AsTask())).ParamName);
        Assert.Equal("claimTimeout", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.ClaimAsync(stream, "g", "a", 1, TimeSpan.Zero).AsTask())).ParamName);
        Assert.Equal("limit", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.ReadPendingAsync(stream, "g", null, 0).AsTask())).ParamName);
        Assert.Equal("ids", (await Assert.ThrowsAsync<ArgumentNullException>(() => log.AcknowledgeAsync(stream, "g", null!).AsTask())).ParamName);
        Assert.Equal("group", (await Assert.ThrowsAsync<ArgumentException>(() => log.ReadGroupAsync(stream, "").AsTask())).ParamName);

        var unknown = await Assert.ThrowsAsync<ConsumerGroupNotFoundException>(() => log.ClaimAsync(stream, "nope", "a", 1, ClaimTimeout).AsTask());
        Assert.Equal(("nope", stream), (unknown.Group, unknown.Stream));
        Assert.Contains("'nope'", unknown.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ConsumerGroupNotFoundException>(() => log.AcknowledgeAsync(stream, "nope", [StreamId.Min]).AsTask());
        await Assert.ThrowsAsync<ConsumerGroupNotFoundException>(() => log.ReadPendingAsync(stream, "nope", null, 1).AsTask());
        Assert.Null(await log.ReadGroupAsync(stream, "nope"));

        // Nothing was handed out or created by the refused calls.
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((0L, 2L, 0), (info!.PendingCount, info.Lag, info.Members.Count));
    }

    // ---- concurrency ----

    [Fact]
    public async Task Members_racing_on_several_log_instances_never_get_the_same_frame()
    {
        const int Frames = 120;
        var writer = await CreateAsync();
        var stream = NewStream();
        await writer.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var appended = (await writer.AppendBatchAsync(stream, Enumerable.Range(0, Frames).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"{i}")).ToArray(), AppendMode.Durable));
        var logs = new[] { writer, await CreateAsync(), await CreateAsync(), await CreateAsync() };
        var taken = new ConcurrentBag<(string Member, StreamId Id)>();

        await Task.WhenAll(logs.Select((log, m) => Task.Run(async () =>
        {
            while (true)
            {
                var claim = await log.ClaimAsync(stream, "g", $"m{m}", 7, ClaimTimeout);
                if (claim.Frames.Count == 0)
                {
                    return;
                }

                Assert.Equal(claim.Frames.Select(f => f.Frame.Id).Order(), claim.Frames.Select(f => f.Frame.Id));
                foreach (var frame in claim.Frames)
                {
                    taken.Add(($"m{m}", frame.Frame.Id));
                }
            }
        }))).WaitAsync(Guard * 3);

        var ids = taken.Select(t => t.Id).ToList();
        Assert.Equal(Frames, ids.Count);
        Assert.Equal(Frames, ids.Distinct().Count());
        Assert.Equal(appended.LastId, ids.Max());
        Assert.Equal(Frames, (await writer.ReadGroupAsync(stream, "g"))!.PendingCount);
    }

    [Fact]
    public async Task Members_reclaiming_on_several_log_instances_never_get_the_same_frame()
    {
        const int Frames = 120;
        var writer = await CreateAsync();
        var stream = NewStream();
        await writer.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await writer.AppendBatchAsync(stream, Enumerable.Range(0, Frames).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"{i}")).ToArray(), AppendMode.Durable);
        // A member that dies holding every frame, taken in claims of assorted sizes, some acknowledged in part.
        var dead = new List<StreamId>();
        foreach (var size in new[] { 1, 30, 7, 50, 32 })
        {
            dead.AddRange(Ids(await writer.ClaimAsync(stream, "g", "dead", size, ClaimTimeout)));
        }

        var acknowledged = dead.Where((_, i) => i % 5 == 0).ToArray();
        Assert.Equal(acknowledged.Length, await writer.AcknowledgeAsync(stream, "g", acknowledged));
        await PassAsync(ClaimTimeout);
        var logs = new[] { writer, await CreateAsync(), await CreateAsync(), await CreateAsync() };
        var taken = new ConcurrentBag<(StreamId Id, long Deliveries)>();

        await Task.WhenAll(logs.Select((log, m) => Task.Run(async () =>
        {
            while (true)
            {
                // Small limits, so that the dead member's runs of frames are split between members.
                var claim = await log.ClaimAsync(stream, "g", $"m{m}", 3 + m, ClaimTimeout);
                if (claim.Frames.Count == 0)
                {
                    return;
                }

                Assert.Equal(claim.Frames.Select(f => f.Frame.Id).Order(), claim.Frames.Select(f => f.Frame.Id));
                foreach (var frame in claim.Frames)
                {
                    taken.Add((frame.Frame.Id, frame.DeliveryCount));
                }
            }
        }))).WaitAsync(Guard * 3);

        Assert.Equal(dead.Except(acknowledged).Order(), taken.Select(t => t.Id).Order());
        Assert.All(taken, t => Assert.Equal(2, t.Deliveries));
        Assert.Equal(Frames - acknowledged.Length, (await writer.ReadGroupAsync(stream, "g"))!.PendingCount);
    }

    // ---- the canal ----

    protected async Task<ConsumerGroupCanal> OpenCanalAsync(
        IConsumerGroupLog log, string stream, string consumer, int maxDeliveries = 10, string? deadLetter = null, bool claimOwnPendingFirst = true) =>
        Track(await ConsumerGroupCanal.OpenAsync(log, stream, "g", consumer, new ConsumerGroupCanalOptions
        {
            ClaimTimeout = ClaimTimeout,
            MaxDeliveries = maxDeliveries,
            DeadLetterStream = deadLetter,
            TimeProvider = Clock,
            ClaimOwnPendingFirst = claimOwnPendingFirst,
        }));

    [Fact]
    public async Task A_group_pull_is_a_receive_span_linked_to_the_trace_that_appended_the_frame()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        using (recorder.StartTrace())
        {
            await log.AppendAsync(stream, Encoding.UTF8.GetBytes("traced"), AppendMode.Durable);
        }

        var append = recorder.Single($"append {stream}");
        var canal = await OpenCanalAsync(log, stream, "a");
        CanalBatch<StreamFrame> batch;
        using (recorder.StartTrace("consumer"))
        {
            batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        }

        Assert.Equal(["traced"], batch.Select(Text));
        var pull = recorder.Single($"pull {stream}");
        Assert.Equal(System.Diagnostics.ActivityKind.Client, pull.Kind);
        Assert.Equal("g", pull.GetTagItem("messaging.consumer.group.name"));
        Assert.Equal(1, pull.GetTagItem("messaging.batch.message_count"));
        Assert.Contains(pull.Links, l => l.Context.TraceId == append.TraceId && l.Context.SpanId == append.SpanId);
    }

    [Fact]
    public async Task A_pull_on_a_disposed_group_canal_records_no_span()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var canal = await OpenCanalAsync(log, stream, "a");
        await canal.DisposeAsync();

        using (recorder.StartTrace("consumer"))
        {
            await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(10, TimeSpan.Zero).AsTask());
        }

        Assert.DoesNotContain(recorder.Spans, s => s.DisplayName == $"pull {stream}");
    }

    [Fact]
    public async Task Canal_members_share_the_stream_and_commits_acknowledge()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 5);
        var a = await OpenCanalAsync(log, stream, "a");
        var b = await OpenCanalAsync(await CreateAsync(), stream, "b");

        var first = await a.PullBatchAsync(3, TimeSpan.Zero);
        var second = await b.PullBatchAsync(3, TimeSpan.Zero);
        Assert.Equal(ids[..3], first.Select(f => f.Id));
        Assert.Equal(ids[3..], second.Select(f => f.Id));
        Assert.Equal(1, a.DeliveryCountOf(first[0]));

        await a.CommitAsync(first[1]);
        Assert.Equal(1, a.Unacknowledged);
        Assert.Equal(new[] { ids[2], ids[3], ids[4] }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        b.AckTokenFor(second[1]).Acknowledge();
        await b.FlushAcknowledgementsAsync();
        Assert.Equal(new[] { ids[2], ids[3] }, (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
    }

    [Fact]
    public async Task A_canal_keeps_track_of_its_frames_through_reclaims_tokens_and_commits()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 5);
        var dead = await OpenCanalAsync(log, stream, "dead");
        Assert.Equal(ids[..2], (await dead.PullBatchAsync(2, TimeSpan.Zero)).Select(f => f.Id));
        await PassAsync(ClaimTimeout - TimeSpan.FromMilliseconds(1));
        var canal = await OpenCanalAsync(await CreateAsync(), stream, "a");
        var newer = await canal.PullBatchAsync(2, TimeSpan.Zero);
        await PassAsync(TimeSpan.FromMilliseconds(1));
        var id5 = (await log.AppendAsync(stream, "f5"u8.ToArray(), AppendMode.Durable)).Id;

        // The dead member's frames are older than the ones this canal holds; the new one comes after them.
        var older = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids[2..4], newer.Select(f => f.Id));
        Assert.Equal([ids[0], ids[1], ids[4], id5], older.Select(f => f.Id));
        Assert.Equal(6, canal.Unacknowledged);
        Assert.Equal(new[] { 2L, 2L, 1L, 1L }, older.Select(canal.DeliveryCountOf));
        Assert.Equal(new[] { 1L, 1L }, newer.Select(canal.DeliveryCountOf));

        canal.AckTokenFor(newer[1]).Acknowledge();
        await canal.CommitAsync(older[1]);
        Assert.Equal(3, canal.Unacknowledged);
        Assert.Equal(0, canal.DeliveryCountOf(older[0]));
        Assert.Equal([ids[2], ids[4], id5], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));

        await canal.CommitAsync(older[^1]);
        Assert.Equal(0, canal.Unacknowledged);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
    }

    [Fact]
    public async Task A_parked_pull_wakes_on_an_append()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var canal = await OpenCanalAsync(log, stream, "a");
        var timers = Clock.TimersCreated;

        var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1)).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        Assert.False(pull.IsCompleted);
        var id = (await log.AppendAsync(stream, "x"u8.ToArray(), AppendMode.Durable)).Id;

        var batch = await pull.WaitAsync(Guard);
        Assert.Equal(new[] { id }, batch.Select(f => f.Id));
    }

    [Fact]
    public async Task A_parked_pull_reclaims_a_dead_member_s_frames_once_the_claim_timeout_passes()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        var dead = await OpenCanalAsync(log, stream, "dead");
        Assert.Equal(2, (await dead.PullBatchAsync(10, TimeSpan.Zero)).Count);
        var live = await OpenCanalAsync(await CreateAsync(), stream, "live");
        var timers = Clock.TimersCreated;

        var pull = live.PullBatchAsync(10, TimeSpan.FromMinutes(1)).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        Assert.False(pull.IsCompleted);
        for (var i = 0; i < 40 && !pull.IsCompleted; i++)
        {
            var before = Clock.TimersCreated;
            await PassAsync(ClaimTimeout / 4);
            await Task.WhenAny(pull, Clock.WaitForTimersAsync(before + 1));
        }

        var batch = await pull.WaitAsync(Guard);
        Assert.Equal(ids, batch.Select(f => f.Id));
        Assert.Equal(2, live.DeliveryCountOf(batch[0]));
    }

    [Fact]
    public async Task Frames_past_the_most_deliveries_go_to_the_dead_letter_stream_and_are_acknowledged()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var deadLetter = NewStream("dl");
        var ids = await AppendAsync(log, stream, 2);
        var canal = await OpenCanalAsync(log, stream, "a", maxDeliveries: 2, deadLetter: deadLetter);

        Assert.Equal(ids, (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id)); // delivery 1
        await PassAsync(ClaimTimeout);
        var second = await canal.PullBatchAsync(10, TimeSpan.Zero); // delivery 2
        Assert.Equal(ids, second.Select(f => f.Id));
        await canal.CommitAsync(second[0]);
        await PassAsync(ClaimTimeout);

        Assert.True((await canal.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty); // delivery 3 of ids[1]: dead-lettered
        Assert.Equal(new[] { "f1" }, (await log.ReadAsync(deadLetter, StreamId.Min, StreamId.Max, 10)).Select(Text));
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal($"{stream}:g:dead-letter", (await OpenCanalAsync(log, stream, "b")).DeadLetterStream);
    }

    [Fact]
    public async Task Cancelling_a_parked_pull_throws_and_loses_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var canal = await OpenCanalAsync(log, stream, "a");
        using var cts = new CancellationTokenSource();
        var timers = Clock.TimersCreated;

        var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1), cts.Token).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.WaitAsync(Guard));

        var id = (await log.AppendAsync(stream, "x"u8.ToArray(), AppendMode.Durable)).Id;
        Assert.Equal(new[] { id }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
    }

    [Fact]
    public async Task A_pull_cancelled_before_it_starts_hands_out_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 2);
        var canal = await OpenCanalAsync(log, stream, "a");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.PullBatchAsync(10, TimeSpan.Zero, new CancellationToken(true)).AsTask());

        Assert.Equal(ids, (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
    }

    [Fact]
    public async Task Disposing_the_canal_ends_a_parked_pull_and_flushes_acknowledgements()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 1);
        var canal = await OpenCanalAsync(log, stream, "a");
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        canal.AckTokenFor(batch[0]).Acknowledge();
        var timers = Clock.TimersCreated;

        var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1)).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        await canal.DisposeAsync();

        await Assert.ThrowsAsync<CanalClosedException>(() => pull.WaitAsync(Guard));
        await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(1, TimeSpan.Zero).AsTask());
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(ids[0], (await log.ReadGroupAsync(stream, "g"))!.LastDeliveredId);
    }

    [Fact]
    public async Task A_canal_refuses_bad_names_and_bad_pulls()
    {
        var log = await CreateAsync();
        var stream = NewStream();

        Assert.Equal("consumer", (await Assert.ThrowsAsync<ArgumentException>(() => ConsumerGroupCanal.OpenAsync(log, stream, "g", "").AsTask())).ParamName);
        Assert.Equal("group", (await Assert.ThrowsAsync<ArgumentException>(() => ConsumerGroupCanal.OpenAsync(log, stream, new string('g', 201), "a").AsTask())).ParamName);
        Assert.Equal("options", (await Assert.ThrowsAsync<ArgumentException>(() => ConsumerGroupCanal.OpenAsync(log, new string('s', 190), "group", "a").AsTask())).ParamName);
        Assert.Null(await log.ReadGroupAsync(stream, "g"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConsumerGroupCanalOptions { ClaimTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConsumerGroupCanalOptions { MaxDeliveries = 0 });
        var canal = await OpenCanalAsync(log, stream, "a");
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => canal.PullBatchAsync(0, TimeSpan.Zero).AsTask());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => canal.PullBatchAsync(1, TimeSpan.FromSeconds(-1)).AsTask());
    }
}
