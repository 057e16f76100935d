namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// What a commit acknowledges when a member has more than one batch out: a reclaimed frame comes late, with an id
/// older than frames handed out before it, and committing an earlier batch must not acknowledge it unhandled.
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    [Fact]
    public async Task Committing_a_batch_leaves_an_older_frame_reclaimed_into_a_later_batch_pending()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 4);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);

        // Member a takes f0 and dies. Half a claim timeout later member b takes f1 and f2.
        Assert.Equal([ids[0]], (await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout)).Frames.Select(f => f.Frame.Id));
        await PassAsync(ClaimTimeout / 2);
        var b = await OpenCanalAsync(await CreateAsync(), stream, "b");
        var first = await b.PullBatchAsync(2, TimeSpan.Zero);
        Assert.Equal(ids[1..3], first.Select(f => f.Id));

        // Once a's claim has run out (b's has not), b's next batch is f0, reclaimed late, then the new f3.
        await PassAsync(ClaimTimeout / 2);
        var second = await b.PullBatchAsync(2, TimeSpan.Zero);
        Assert.Equal([ids[0], ids[3]], second.Select(f => f.Id));
        Assert.Equal(2, b.DeliveryCountOf(second[0]));

        // b handled its first batch and commits it: f1 and f2 are acknowledged, the second batch's frames are not,
        // though f0's id is older than f2's.
        await b.CommitAsync(first.Last);
        Assert.Equal([ids[0], ids[3]], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        Assert.Equal(2, b.Unacknowledged);

        // b crashes before it handles the second batch: f0 is not lost, another member gets it after the claim timeout.
        await b.DisposeAsync();
        await PassAsync(ClaimTimeout);
        var c = await OpenCanalAsync(await CreateAsync(), stream, "c");
        var again = await c.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal([ids[0], ids[3]], again.Select(f => f.Id));
        Assert.Equal([3L, 2L], again.Select(c.DeliveryCountOf));
        await c.CommitAsync(again.Last);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
    }

    [Fact]
    public async Task Committing_a_frame_a_later_batch_handed_out_again_acknowledges_it_with_its_first_batch()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        var a = await OpenCanalAsync(log, stream, "a");

        // a holds f0 past its claim timeout and takes it again (a claim takes any member's due frames, its own too),
        // then f1 and f2 come new. Its first batch's handling ends: committing it acknowledges f0, whichever batch
        // handed it out last, and leaves the second batch's new frames.
        var first = await a.PullBatchAsync(1, TimeSpan.Zero);
        await PassAsync(ClaimTimeout);
        var second = await a.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids, second.Select(f => f.Id));
        Assert.Equal(3, a.Unacknowledged);

        await a.CommitAsync(first.Last);
        Assert.Equal(ids[1..], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        await a.CommitAsync(second.Last);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(0, a.Unacknowledged);
    }
}
