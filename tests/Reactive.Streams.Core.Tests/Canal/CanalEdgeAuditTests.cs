using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// Canal edges a user of <c>ChannelReader</c>, Rx and Kafka's consumer reaches for: very long deadlines, sources that
/// emit while being subscribed, pre-cancelled tokens over ready frames, and a failed handler's batch on the lossy canal.
/// </summary>
public class CanalEdgeAuditTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_lossy_pull_with_a_deadline_longer_than_one_timer_waits_for_the_next_item()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, _clock);

        var pull = canal.PullBatchAsync(4, TimeSpan.MaxValue).AsTask();
        Assert.False(pull.IsCompleted);
        stream.TryPush(7);

        Assert.Equal(new[] { 7 }, (await pull.WaitAsync(TestLimits.Hang)).ToArray());
    }

    [Fact]
    public async Task A_lossy_lingering_pull_with_a_long_deadline_keeps_its_items_and_returns_them_when_the_linger_is_met()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, _clock);
        stream.TryPush(1);

        var pull = canal.PullBatchAsync(4, TimeSpan.FromDays(60), new CanalLinger(2, Timeout.InfiniteTimeSpan)).AsTask();
        Assert.False(pull.IsCompleted);
        stream.TryPush(2);

        Assert.Equal(new[] { 1, 2 }, (await pull.WaitAsync(TestLimits.Hang)).ToArray());
    }

    [Fact]
    public async Task A_lossy_pull_with_a_deadline_of_sixty_days_returns_Empty_after_sixty_virtual_days()
    {
        await using var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(16), _clock);

        var pull = canal.PullBatchAsync(4, TimeSpan.FromDays(60)).AsTask();
        _clock.Advance(TimeSpan.FromDays(59));
        Assert.False(pull.IsCompleted);
        _clock.Advance(TimeSpan.FromDays(1));

        Assert.True((await pull.WaitAsync(TestLimits.Hang)).IsEmpty);
    }
}
