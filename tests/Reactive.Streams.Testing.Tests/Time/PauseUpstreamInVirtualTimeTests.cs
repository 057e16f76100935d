namespace Reactive.Streams.Testing.Tests.Time;

/// <summary>
/// docs/testing.md: "a stream's PauseUpstream timeout run[s] in the same virtual time as the Rx operators" through
/// <c>scheduler.AsTimeProvider()</c>. The wait for room ends by the virtual clock alone: at the timeout, not a tick before.
/// </summary>
public class PauseUpstreamInVirtualTimeTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    private static BoundedStream<int> CreateStream(TestScheduler scheduler) =>
        BoundedStream.Create(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1)
        {
            PauseTimeout = TimeSpan.FromSeconds(5),
            TimeProvider = scheduler.AsTimeProvider(),
        });

    [Fact]
    public async Task A_push_waiting_for_room_times_out_exactly_at_the_virtual_timeout()
    {
        var scheduler = new TestScheduler();
        var stream = CreateStream(scheduler);
        await stream.PushAsync(1);

        var waiting = stream.PushAsync(2).AsTask();
        scheduler.AdvanceBy(TimeSpan.FromSeconds(5).Ticks - 1);
        Assert.False(waiting.IsCompleted);

        scheduler.AdvanceBy(1);
        await Assert.ThrowsAsync<StreamOverflowException>(() => waiting.WaitAsync(Hang));
        Assert.True(stream.TryRead(out var first));
        Assert.Equal(1, first);
        Assert.False(stream.TryRead(out _));
    }

    [Fact]
    public async Task A_push_that_finds_room_before_the_timeout_is_not_failed_by_advancing_past_it()
    {
        var scheduler = new TestScheduler();
        var stream = CreateStream(scheduler);
        await stream.PushAsync(1);

        var waiting = stream.PushAsync(2).AsTask();
        scheduler.AdvanceBy(TimeSpan.FromSeconds(4).Ticks);
        Assert.True(stream.TryRead(out var first));
        await waiting.WaitAsync(Hang);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(10).Ticks);

        Assert.Equal(1, first);
        Assert.True(stream.TryRead(out var second));
        Assert.Equal(2, second);
    }

    [Fact]
    public async Task A_push_cancelled_while_waiting_for_room_is_rejected_and_later_advances_change_nothing()
    {
        var scheduler = new TestScheduler();
        var stream = CreateStream(scheduler);
        await stream.PushAsync(1);
        using var cts = new CancellationTokenSource();

        var waiting = stream.PushAsync(2, cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Hang));
        scheduler.AdvanceBy(TimeSpan.FromSeconds(10).Ticks);
        Assert.True(stream.TryRead(out var first));
        Assert.Equal(1, first);
        Assert.False(stream.TryRead(out _));
    }
}
