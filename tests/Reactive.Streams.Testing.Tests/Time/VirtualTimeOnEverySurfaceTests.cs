using System.Collections.Concurrent;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Testing.Tests.Time;

/// <summary>
/// docs/testing.md: <c>scheduler.AsTimeProvider()</c> runs "a canal's deadline or a stream's PauseUpstream timeout" in the
/// same virtual time as the Rx operators; docs/canal.md: "TestScheduler.AsTimeProvider() works the same way" as a
/// FakeTimeProvider for deadlines and lingers. The stream face is pinned by <see cref="PauseUpstreamInVirtualTimeTests"/>;
/// these pin the channel face, the Dataflow block and the canal: each wait ends at its virtual time, not a tick before,
/// and only because the test advanced the clock.
/// </summary>
public class VirtualTimeOnEverySurfaceTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static BoundedStreamOptions<int> PauseOptions(TestScheduler scheduler) =>
        new(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = Timeout, TimeProvider = scheduler.AsTimeProvider() };

    [Fact]
    public async Task A_channel_write_waiting_for_room_throws_StreamOverflowException_exactly_at_the_virtual_timeout()
    {
        var scheduler = new TestScheduler();
        var channel = BackpressureChannel.Create(PauseOptions(scheduler));
        await channel.Writer.WriteAsync(1);

        var waiting = channel.Writer.WriteAsync(2).AsTask();
        scheduler.AdvanceBy(Timeout.Ticks - 1);
        Assert.False(waiting.IsCompleted);

        scheduler.AdvanceBy(1);
        await Assert.ThrowsAsync<StreamOverflowException>(() => waiting.WaitAsync(Hang));
        Assert.True(channel.Reader.TryRead(out var first));
        Assert.Equal(1, first);
        Assert.False(channel.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_channel_write_that_finds_room_before_the_virtual_timeout_is_not_failed_by_advancing_past_it()
    {
        var scheduler = new TestScheduler();
        var channel = BackpressureChannel.Create(PauseOptions(scheduler));
        await channel.Writer.WriteAsync(1);

        var waiting = channel.Writer.WriteAsync(2).AsTask();
        scheduler.AdvanceBy(Timeout.Ticks - 1);
        Assert.Equal(1, await channel.Reader.ReadAsync().AsTask().WaitAsync(Hang));
        await waiting.WaitAsync(Hang);
        scheduler.AdvanceBy(Timeout.Ticks * 2);

        Assert.True(channel.Reader.TryRead(out var second));
        Assert.Equal(2, second);
    }

    [Fact]
    public async Task A_postponed_block_offer_is_declined_exactly_at_the_virtual_timeout()
    {
        var scheduler = new TestScheduler();
        var block = new BackpressureBlock<int>(PauseOptions(scheduler));
        Assert.True(await block.SendAsync(1).WaitAsync(Hang));

        var sending = block.SendAsync(2);
        scheduler.AdvanceBy(Timeout.Ticks - 1);
        Assert.False(sending.IsCompleted);

        scheduler.AdvanceBy(1);
        Assert.False(await sending.WaitAsync(Hang));
        Assert.True(block.TryReceive(out var first));
        Assert.Equal(1, first);
        Assert.False(block.TryReceive(out _));
    }

    [Fact]
    public async Task A_postponed_block_offer_consumed_before_the_virtual_timeout_is_accepted_and_stays_accepted()
    {
        var scheduler = new TestScheduler();
        var block = new BackpressureBlock<int>(PauseOptions(scheduler));
        Assert.True(await block.SendAsync(1).WaitAsync(Hang));

        var sending = block.SendAsync(2);
        scheduler.AdvanceBy(Timeout.Ticks - 1);
        Assert.Equal(1, await block.ReceiveAsync(Hang));
        Assert.True(await sending.WaitAsync(Hang));
        scheduler.AdvanceBy(Timeout.Ticks * 2);

        Assert.Equal(2, await block.ReceiveAsync(Hang));
    }

    [Fact]
    public async Task An_empty_canal_pull_returns_empty_exactly_at_its_virtual_deadline()
    {
        var scheduler = new TestScheduler();
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, scheduler.AsTimeProvider());

        var pull = canal.PullBatchAsync(10, TimeSpan.FromSeconds(1)).AsTask();
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks - 1);
        Assert.False(pull.IsCompleted);

        scheduler.AdvanceBy(1);
        Assert.True((await pull.WaitAsync(Hang)).IsEmpty);
    }

    [Fact]
    public async Task A_lingering_canal_pull_hands_over_what_it_holds_exactly_when_the_fill_time_has_passed()
    {
        var scheduler = new TestScheduler();
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, scheduler.AsTimeProvider());
        stream.TryPush(1);
        stream.TryPush(2);

        var fill = TimeSpan.FromMilliseconds(50);
        var pull = canal.PullBatchAsync(10, TimeSpan.FromSeconds(1), new CanalLinger(minItems: 5, fillTime: fill)).AsTask();
        scheduler.AdvanceBy(fill.Ticks - 1);
        Assert.False(pull.IsCompleted);

        scheduler.AdvanceBy(1);
        var batch = await pull.WaitAsync(Hang);
        Assert.Equal([1, 2], batch.ToArray());
    }
    [Fact]
    public async Task A_lingering_pull_from_a_test_observable_returns_when_the_third_item_arrives_in_virtual_time()
    {
        var scheduler = new TestScheduler();
        var source = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnNext(240, 4));
        await using var canal = LossySubscription.Create(source, 16, scheduler.AsTimeProvider());

        var pull = canal.PullBatchAsync(10, TimeSpan.FromTicks(1_000), new CanalLinger(minItems: 3, fillTime: TimeSpan.FromTicks(500))).AsTask();
        scheduler.AdvanceTo(229);
        Assert.False(pull.IsCompleted);

        scheduler.AdvanceTo(230);
        var batch = await pull.WaitAsync(Hang);
        Assert.Equal([1, 2, 3], batch.ToArray());
        Assert.Equal([Subscribe(0)], source.Subscriptions);
    }

    [Fact]
    public async Task Two_tests_driving_their_own_schedulers_at_once_share_no_clock_and_no_recordings()
    {
        // xUnit runs test classes in parallel: nothing in the package may be static state one test's clock can move.
        static Recorded<System.Reactive.Notification<int>>[] Run(int offset)
        {
            var scheduler = new TestScheduler();
            var source = scheduler.CreateHotObservable(
                OnNext(210 + offset, 1), OnNext(210 + offset, 2), OnNext(210 + offset, 3), OnCompleted<int>(400 + offset));
            var timerFiredAt = -1L;
            using var timer = scheduler.AsTimeProvider().CreateTimer(_ => timerFiredAt = scheduler.Clock, null, TimeSpan.FromTicks(300 + offset), System.Threading.Timeout.InfiniteTimeSpan);
            var observer = scheduler.Start(() => source.DropOldest(2, scheduler));
            Assert.Equal(300 + offset, timerFiredAt);
            return [.. observer.Messages];
        }

        using var go = new Barrier(2);
        var runs = Enumerable.Range(0, 2).Select(i => Task.Factory.StartNew(
            () =>
            {
                go.SignalAndWait(Hang);
                var all = new List<Recorded<System.Reactive.Notification<int>>[]>();
                for (var round = 0; round < 200; round++)
                {
                    all.Add(Run(i * 7));
                }

                return all;
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();

        var results = await Task.WhenAll(runs).WaitAsync(Hang);
        for (var i = 0; i < 2; i++)
        {
            var o = i * 7;
            Recorded<System.Reactive.Notification<int>>[] expected = [OnNext(211 + o, 2), OnNext(211 + o, 3), OnCompleted<int>(401 + o)];
            Assert.All(results[i], messages => Assert.Equal(expected, messages));
        }
    }
    [Fact]
    public async Task A_channel_write_cancelled_on_the_virtual_clock_before_its_timeout_is_cancelled_then_and_the_timeout_changes_nothing()
    {
        var scheduler = new TestScheduler();
        var time = scheduler.AsTimeProvider();
        var channel = BackpressureChannel.Create(PauseOptions(scheduler));
        await channel.Writer.WriteAsync(1);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2), time);

        var waiting = channel.Writer.WriteAsync(2, cts.Token).AsTask();
        scheduler.AdvanceBy(TimeSpan.FromSeconds(2).Ticks - 1);
        Assert.False(waiting.IsCompleted);

        scheduler.AdvanceBy(1);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Hang));
        scheduler.AdvanceBy(Timeout.Ticks * 2);

        Assert.True(channel.Reader.TryRead(out var first));
        Assert.Equal(1, first);
        Assert.False(channel.Reader.TryRead(out _));
        await channel.Writer.WriteAsync(3);
        Assert.True(channel.Reader.TryRead(out var third));
        Assert.Equal(3, third);
    }

    [Fact]
    public async Task A_block_send_cancelled_on_the_virtual_clock_before_its_timeout_is_cancelled_then_and_the_block_stays_usable()
    {
        var scheduler = new TestScheduler();
        var time = scheduler.AsTimeProvider();
        var block = new BackpressureBlock<int>(PauseOptions(scheduler));
        Assert.True(await block.SendAsync(1).WaitAsync(Hang));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2), time);

        var sending = block.SendAsync(2, cts.Token);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(2).Ticks - 1);
        Assert.False(sending.IsCompleted);

        scheduler.AdvanceBy(1);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(Hang));
        scheduler.AdvanceBy(Timeout.Ticks * 2);

        Assert.Equal(1, await block.ReceiveAsync(Hang));
        Assert.False(block.TryReceive(out _));
        Assert.True(await block.SendAsync(3).WaitAsync(Hang));
        Assert.Equal(3, await block.ReceiveAsync(Hang));
    }
    [Fact]
    public async Task A_BackpressureObserver_producer_blocked_for_room_fails_the_observer_exactly_at_the_virtual_timeout()
    {
        var scheduler = new TestScheduler();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new ConcurrentQueue<int>();
        await using var observer = new BackpressureObserver<int>(
            async (item, _) =>
            {
                handled.Enqueue(item);
                entered.TrySetResult();
                await release.Task;
            },
            PauseOptions(scheduler));

        observer.OnNext(1);
        await entered.Task.WaitAsync(Hang);
        observer.OnNext(2);
        var producer = Task.Factory.StartNew(() => observer.OnNext(3), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        // The engine arms the timeout before it counts the pause, so once counted the timer is due 5 s after virtual 0:
        // the clock has not moved, whenever the producer got there.
        Assert.True(SpinWait.SpinUntil(() => observer.GetMetrics().PauseUpstreamBlocks == 1, Hang));
        scheduler.AdvanceBy(Timeout.Ticks - 1);
        Assert.False(producer.IsCompleted);
        Assert.False(observer.IsStopped);

        scheduler.AdvanceBy(1);
        await producer.WaitAsync(Hang);
        Assert.True(observer.IsStopped);
        release.SetResult();
        await Assert.ThrowsAsync<StreamOverflowException>(() => observer.Completion.WaitAsync(Hang));
        Assert.Equal([1, 2], handled);
    }
}
