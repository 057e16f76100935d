using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// A consumer-group member feeding a dispatcher (docs/consumer-groups.md, per-frame <c>AckTokenFor</c>): a frame whose
/// token fired within its claim timeout counts as acknowledged, also while the member's next pull is parked.
/// </summary>
public sealed class GroupCanalTokenAckTests
{
    private static readonly TimeSpan s_hang = TimeSpan.FromMinutes(2);

    private sealed class HeldSink : IDeliverySink<StreamFrame>
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "held";

        public async ValueTask WriteAsync(StreamFrame item, CancellationToken cancellationToken) =>
            await Release.Task.WaitAsync(s_hang, cancellationToken);
    }

    /// <summary>
    /// The member's token, saying when it has fired. The dispatcher counts an item as acknowledged just before it fires
    /// the item's token (so that code the token wakes sees the count): its AcknowledgedCount alone does not say that the
    /// member has the acknowledgement yet.
    /// </summary>
    private sealed class FiredToken(IAckToken inner) : IAckToken
    {
        private readonly TaskCompletionSource _fired = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Fired => _fired.Task;

        public void Acknowledge()
        {
            inner.Acknowledge();
            _fired.TrySetResult();
        }
    }

    [Fact]
    public async Task A_frame_acknowledged_through_its_token_while_the_next_pull_waits_is_not_reclaimed_by_that_pull()
    {
        var clock = new TestClock();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        var member = await ConsumerGroupCanal.OpenAsync(log, "orders", "billing", "m1",
            new ConsumerGroupCanalOptions { ClaimTimeout = TimeSpan.FromSeconds(10), TimeProvider = clock });
        var sink = new HeldSink();
        await using var dispatcher = new DeliveryDispatcher<StreamFrame>(new DeliveryOptions<StreamFrame>().AddSink(sink));

        var batch = await member.PullBatchAsync(10, TimeSpan.Zero);
        var frame = Assert.Single(batch);
        var token = new FiredToken(member.AckTokenFor(frame));
        await dispatcher.DispatchAsync(frame, token);

        // The next pull waits a minute for new frames, claiming again every quarter of the claim timeout meanwhile.
        var timers = clock.TimersCreated;
        var next = member.PullBatchAsync(10, TimeSpan.FromMinutes(1)).AsTask();
        await clock.WaitForTimersAsync(timers + 1);

        // The sink commits the frame at once, well within its claim timeout: the token fires. (Not the dispatcher's
        // count: a clock advanced as soon as that reads 1 could pass the claim timeout before the token reached the member.)
        sink.Release.TrySetResult();
        await token.Fired.WaitAsync(s_hang);
        Assert.Equal(1, dispatcher.AcknowledgedCount);

        // Ten virtual seconds later the claim would have run out had the acknowledgement not been sent: the parked pull
        // must not take the handled frame back and hand it out again.
        for (var step = 0; step < 40 && !next.IsCompleted; step++)
        {
            timers = clock.TimersCreated;
            clock.Advance(TimeSpan.FromSeconds(2.5));
            await Task.WhenAny(next, clock.WaitForTimersAsync(timers + 1));
        }

        var again = await next.WaitAsync(s_hang);
        Assert.True(again.IsEmpty, $"the pull handed out {again.Count} frame(s) again: delivery {(again.IsEmpty ? 0 : member.DeliveryCountOf(again[0]))}");
        Assert.Empty(await log.ReadPendingAsync("orders", "billing", null, 10));
        Assert.Equal(0, member.Unacknowledged);
        await member.DisposeAsync();
    }

    [Fact]
    public async Task A_token_for_a_frame_the_member_does_not_hold_acknowledges_nothing()
    {
        var clock = new TestClock();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        await log.AppendAsync("orders", "b", AppendMode.Durable);
        var options = new ConsumerGroupCanalOptions { ClaimTimeout = TimeSpan.FromSeconds(10), TimeProvider = clock };
        var m1 = await ConsumerGroupCanal.OpenAsync(log, "orders", "billing", "m1", options);
        var m2 = await ConsumerGroupCanal.OpenAsync(log, "orders", "billing", "m2", options);
        var first = await m1.PullBatchAsync(1, TimeSpan.Zero);
        var second = await m2.PullBatchAsync(1, TimeSpan.Zero);
        var direct = (await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 10))[1];

        // b is m2's, and m1 never handed it out: m1's token for it (or for the same frame read directly) does nothing.
        m1.AckTokenFor(second[0]).Acknowledge();
        m1.AckTokenFor(direct).Acknowledge();
        await m1.FlushAcknowledgementsAsync();
        var pending = await log.ReadPendingAsync("orders", "billing", null, 10);
        Assert.Equal(new[] { (first[0].Id, "m1"), (second[0].Id, "m2") }, pending.Select(p => (p.Id, p.Consumer)));

        // Each member's own token acknowledges its own frame; firing it twice is harmless.
        var token = m2.AckTokenFor(second[0]);
        token.Acknowledge();
        token.Acknowledge();
        await m2.FlushAcknowledgementsAsync();
        Assert.Equal(new[] { first[0].Id }, (await log.ReadPendingAsync("orders", "billing", null, 10)).Select(p => p.Id));
        Assert.Equal(0, m2.Unacknowledged);
        Assert.Equal(1, m1.Unacknowledged);

        await m1.DisposeAsync();
        await m2.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => token.Acknowledge());
        Assert.Throws<ObjectDisposedException>(() => m1.AckTokenFor(first[0]));
    }
}
