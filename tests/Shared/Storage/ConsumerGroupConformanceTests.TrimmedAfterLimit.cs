namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// docs/consumer-groups.md: a pending frame that best-effort retention trimmed "is dropped from the pending list when it
/// would be reclaimed or taken back by its holder". A claim whose limit is met by the frames before it does not reach
/// it, so it stays pending (counted, listed, on its holder) until a claim that does reach it drops it: the same on every
/// backend (found by the differential scenario, where one backend dropped trimmed frames past the limit of a claim
/// whose frames it had handed out in one run).
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Trimmed_frames_past_where_a_claim_s_limit_ends_stay_pending_until_a_claim_reaches_them(bool ownPending)
    {
        var log = await OpenLogKeepingTwoLiveFramesAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var durable = await AppendAsync(log, stream, 3, "d");
        var live = new[]
        {
            (await log.AppendAsync(stream, "l0"u8.ToArray(), AppendMode.BestEffortLive)).Id,
            (await log.AppendAsync(stream, "l1"u8.ToArray(), AppendMode.BestEffortLive)).Id,
        };

        // One claim hands out all five, then two more best-effort frames trim the two the member holds.
        var all = durable.Concat(live).ToArray();
        Assert.Equal(all, Ids(await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout)));
        await log.AppendAsync(stream, "l2"u8.ToArray(), AppendMode.BestEffortLive);
        await log.AppendAsync(stream, "l3"u8.ToArray(), AppendMode.BestEffortLive);
        Assert.Empty(await log.ReadAsync(stream, live[0], live[1], 10));

        // A claim of three takes the three durable frames and stops there: the trimmed frames behind them stay.
        await PassAsync(ClaimTimeout);
        var taker = ownPending ? "a" : "b";
        var first = ownPending
            ? await log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 3)
            : await log.ClaimAsync(stream, "g", "b", 3, ClaimTimeout);
        Assert.Equal(durable, Ids(first));
        Assert.All(first.Frames, f => Assert.Equal(2, f.DeliveryCount));

        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal(5, info!.PendingCount);
        Assert.Equal(live, (await log.ReadPendingAsync(stream, "g", "a", 10)).Select(p => p.Id).Where(live.Contains));
        Assert.Equal(ownPending ? 5 : 2, info.Members.Single(m => m.Name == "a").PendingCount);

        // The next claim reaches them: dropped, not handed out.
        var next = ownPending
            ? await log.ClaimOwnPendingAsync(stream, "g", "a", durable[^1], 10)
            : await log.ClaimAsync(stream, "g", "c", 10, ClaimTimeout);
        Assert.Equal(ownPending ? 0 : 2, next.Frames.Count);
        Assert.DoesNotContain(next.Frames, f => live.Contains(f.Frame.Id));
        info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal(ownPending ? 3 : 5, info!.PendingCount);
        Assert.Equal(3, info.Members.Single(m => m.Name == taker).PendingCount);
        Assert.DoesNotContain(await log.ReadPendingAsync(stream, "g", null, 10), p => live.Contains(p.Id));
    }
}
