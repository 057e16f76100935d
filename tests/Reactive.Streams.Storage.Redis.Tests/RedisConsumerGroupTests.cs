using System.Text;
using Reactive.Streams.Storage.Tests;

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
}
