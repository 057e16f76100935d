using System.Reactive.Concurrency;

namespace Reactive.Streams.Testing.Tests.Time;

public class SchedulerTimeProviderExtensionsTests
{
    private static readonly TimeSpan s_ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void GetUtcNow_and_timestamps_follow_the_virtual_clock()
    {
        var scheduler = new TestScheduler();
        var time = scheduler.AsTimeProvider();
        var start = time.GetTimestamp();

        Assert.Equal(DateTimeOffset.MinValue, time.GetUtcNow());
        Assert.Equal(0, start);

        scheduler.AdvanceBy(TimeSpan.FromSeconds(5).Ticks);

        Assert.Equal(DateTimeOffset.MinValue + TimeSpan.FromSeconds(5), time.GetUtcNow());
        Assert.Equal(scheduler.Clock, time.GetTimestamp());
        Assert.Equal(TimeSpan.TicksPerSecond, time.TimestampFrequency);
        Assert.Equal(TimeSpan.FromSeconds(5), time.GetElapsedTime(start));
        Assert.Equal(TimeZoneInfo.Utc, time.LocalTimeZone);
    }

    [Fact]
    public void Works_on_any_scheduler_such_as_a_HistoricalScheduler()
    {
        var origin = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var scheduler = new HistoricalScheduler(origin);
        var time = scheduler.AsTimeProvider();
        var delay = Task.Delay(TimeSpan.FromMinutes(1), time);

        scheduler.AdvanceBy(TimeSpan.FromSeconds(59));
        Assert.False(delay.IsCompleted);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1));

        Assert.True(delay.IsCompletedSuccessfully);
        Assert.Equal(origin.AddMinutes(1), time.GetUtcNow());
    }

    [Fact]
    public void Task_Delay_completes_only_when_virtual_time_reaches_the_due_time()
    {
        var scheduler = new TestScheduler();
        var delay = Task.Delay(TimeSpan.FromMilliseconds(100), scheduler.AsTimeProvider());

        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(100).Ticks - 1);
        Assert.False(delay.IsCompleted);

        scheduler.AdvanceBy(1);
        Assert.True(delay.IsCompletedSuccessfully);
    }

    [Fact]
    public void A_cancelled_Task_Delay_removes_its_timer_from_the_scheduler()
    {
        var scheduler = new TestScheduler();
        using var cts = new CancellationTokenSource();
        var delay = Task.Delay(TimeSpan.FromSeconds(10), scheduler.AsTimeProvider(), cts.Token);

        cts.Cancel();
        scheduler.Start();

        Assert.True(delay.IsCanceled);
        Assert.Equal(0, scheduler.Clock);
    }

    [Fact]
    public void CancellationTokenSource_with_a_virtual_timeout_cancels_at_the_due_time()
    {
        var scheduler = new TestScheduler();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1), scheduler.AsTimeProvider());
        long cancelledAt = -1;
        using var registration = cts.Token.Register(() => cancelledAt = scheduler.Clock);

        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks - 1);
        Assert.False(cts.IsCancellationRequested);

        scheduler.AdvanceBy(1);
        Assert.True(cts.IsCancellationRequested);
        Assert.Equal(TimeSpan.FromSeconds(1).Ticks, cancelledAt);
    }

    [Fact]
    public void CancelAfter_moves_the_virtual_timeout()
    {
        var scheduler = new TestScheduler();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1), scheduler.AsTimeProvider());

        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(500).Ticks);
        cts.CancelAfter(TimeSpan.FromSeconds(1));
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(999).Ticks);
        Assert.False(cts.IsCancellationRequested);

        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1).Ticks);
        Assert.True(cts.IsCancellationRequested);
    }

    [Fact]
    public async Task WaitAsync_times_out_in_virtual_time()
    {
        var scheduler = new TestScheduler();
        var time = scheduler.AsTimeProvider();
        var never = new TaskCompletionSource();
        var completes = new TaskCompletionSource<int>();
        var timingOut = never.Task.WaitAsync(TimeSpan.FromSeconds(2), time);
        var inTime = completes.Task.WaitAsync(TimeSpan.FromSeconds(2), time);

        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
        completes.SetResult(7);
        Assert.False(timingOut.IsCompleted);

        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        await Assert.ThrowsAsync<TimeoutException>(() => timingOut);
        Assert.Equal(7, await inTime);
    }

    [Fact]
    public async Task PeriodicTimer_ticks_in_virtual_time()
    {
        var scheduler = new TestScheduler();
        using var periodic = new PeriodicTimer(TimeSpan.FromSeconds(1), scheduler.AsTimeProvider());

        for (var i = 1; i <= 3; i++)
        {
            var tick = periodic.WaitForNextTickAsync().AsTask();
            scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks - 1);
            Assert.False(tick.IsCompleted);
            scheduler.AdvanceBy(1);
            Assert.True(tick.IsCompletedSuccessfully);
            Assert.True(await tick);
            Assert.Equal(TimeSpan.FromSeconds(i).Ticks, scheduler.Clock);
        }
    }

    [Fact]
    public void A_periodic_timer_fires_once_per_period_at_exact_times()
    {
        var scheduler = new TestScheduler();
        var time = scheduler.AsTimeProvider();
        var firedAt = new List<long>();

        using var timer = time.CreateTimer(_ => firedAt.Add(scheduler.Clock), null, 10 * s_ms, 5 * s_ms);
        scheduler.AdvanceBy((30 * s_ms).Ticks);

        Assert.Equal([10 * s_ms.Ticks, 15 * s_ms.Ticks, 20 * s_ms.Ticks, 25 * s_ms.Ticks, 30 * s_ms.Ticks], firedAt);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    public void A_timer_with_an_infinite_or_zero_period_fires_once(int periodMilliseconds)
    {
        var scheduler = new TestScheduler();
        var fired = 0;

        using var timer = scheduler.AsTimeProvider().CreateTimer(_ => fired++, null, 10 * s_ms, TimeSpan.FromMilliseconds(periodMilliseconds));
        scheduler.AdvanceBy((100 * s_ms).Ticks);

        Assert.Equal(1, fired);
    }

    [Fact]
    public void An_infinite_due_time_never_fires_until_Change_arms_it()
    {
        var scheduler = new TestScheduler();
        var firedAt = new List<long>();
        using var timer = scheduler.AsTimeProvider().CreateTimer(_ => firedAt.Add(scheduler.Clock), null, Timeout.InfiniteTimeSpan, s_ms);

        scheduler.AdvanceBy(TimeSpan.FromDays(1).Ticks);
        Assert.Empty(firedAt);

        var armedAt = scheduler.Clock;
        Assert.True(timer.Change(10 * s_ms, Timeout.InfiniteTimeSpan));
        scheduler.AdvanceBy(TimeSpan.FromDays(1).Ticks);

        Assert.Equal([armedAt + (10 * s_ms).Ticks], firedAt);
    }

    [Fact]
    public void Change_rearms_from_the_current_virtual_time()
    {
        var scheduler = new TestScheduler();
        var firedAt = new List<long>();
        using var timer = scheduler.AsTimeProvider().CreateTimer(_ => firedAt.Add(scheduler.Clock), null, 10 * s_ms, 10 * s_ms);

        scheduler.AdvanceBy((5 * s_ms).Ticks);
        timer.Change(10 * s_ms, 20 * s_ms);
        scheduler.AdvanceBy((50 * s_ms).Ticks);

        Assert.Equal([15 * s_ms.Ticks, 35 * s_ms.Ticks, 55 * s_ms.Ticks], firedAt);
    }

    [Fact]
    public void Change_to_infinite_stops_a_periodic_timer()
    {
        var scheduler = new TestScheduler();
        var fired = 0;
        using var timer = scheduler.AsTimeProvider().CreateTimer(_ => fired++, null, s_ms, s_ms);

        scheduler.AdvanceBy((3 * s_ms).Ticks);
        timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        scheduler.Start();

        Assert.Equal(3, fired);
        Assert.Equal((3 * s_ms).Ticks, scheduler.Clock);
    }

    [Fact]
    public async Task A_disposed_timer_never_fires_and_refuses_Change()
    {
        var scheduler = new TestScheduler();
        var time = scheduler.AsTimeProvider();
        var fired = 0;
        var timer = time.CreateTimer(_ => fired++, null, s_ms, s_ms);
        var other = time.CreateTimer(_ => fired++, null, s_ms, s_ms);

        timer.Dispose();
        await other.DisposeAsync();
        scheduler.Start();

        Assert.Equal(0, fired);
        Assert.False(timer.Change(s_ms, s_ms));
        Assert.False(other.Change(s_ms, s_ms));
        Assert.Equal(0, scheduler.Clock);
    }

    [Fact]
    public void A_periodic_timer_can_dispose_itself_from_its_callback()
    {
        var scheduler = new TestScheduler();
        var fired = 0;
        ITimer? timer = null;
        timer = scheduler.AsTimeProvider().CreateTimer(
            _ =>
            {
                if (++fired == 4)
                {
                    timer!.Dispose();
                }
            },
            null,
            s_ms,
            s_ms);

        scheduler.Start();

        Assert.Equal(4, fired);
        Assert.Equal((4 * s_ms).Ticks, scheduler.Clock);
    }

    [Fact]
    public void A_zero_due_time_fires_one_tick_later_like_any_work_scheduled_now()
    {
        var scheduler = new TestScheduler();
        scheduler.AdvanceTo(1000);
        long firedAt = -1;
        object? seenState = null;

        using var timer = scheduler.AsTimeProvider().CreateTimer(s => (firedAt, seenState) = (scheduler.Clock, s), "state", TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        Assert.Equal(-1, firedAt);
        scheduler.AdvanceBy(1);

        Assert.Equal(1001, firedAt);
        Assert.Equal("state", seenState);
    }

    [Fact]
    public void The_callback_runs_in_the_execution_context_captured_at_creation()
    {
        var scheduler = new TestScheduler();
        var local = new AsyncLocal<string>();
        string? seen = null;
        ITimer timer;

        local.Value = "creator";
        timer = scheduler.AsTimeProvider().CreateTimer(_ => seen = local.Value, null, s_ms, Timeout.InfiniteTimeSpan);
        local.Value = "advancer";
        scheduler.AdvanceBy(s_ms.Ticks);
        timer.Dispose();

        Assert.Equal("creator", seen);
    }

    [Fact]
    public void Timers_created_and_disposed_from_many_threads_fire_exactly_once_each()
    {
        const int Count = 2_000;
        var scheduler = new TestScheduler();
        var time = scheduler.AsTimeProvider();
        var fired = 0;
        var disposedFired = 0;

        var timers = new ITimer[Count];
        Parallel.For(0, Count, i =>
        {
            var keep = i % 2 == 0;
            timers[i] = time.CreateTimer(
                _ =>
                {
                    if (keep)
                    {
                        Interlocked.Increment(ref fired);
                    }
                    else
                    {
                        Interlocked.Increment(ref disposedFired);
                    }
                },
                null,
                TimeSpan.FromMilliseconds(1 + (i % 10)),
                Timeout.InfiniteTimeSpan);
            if (!keep)
            {
                timers[i].Dispose();
            }
        });
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(20).Ticks);

        Assert.Equal(Count / 2, fired);
        Assert.Equal(0, disposedFired);
        foreach (var timer in timers)
        {
            timer.Dispose();
        }
    }

    [Fact]
    public void Change_and_Dispose_hold_even_when_the_scheduler_cannot_cancel_work()
    {
        var scheduler = new TestScheduler();
        var time = new BestEffortScheduler(scheduler).AsTimeProvider();
        var changedFiredAt = new List<long>();
        var disposedFired = 0;

        using var changed = time.CreateTimer(_ => changedFiredAt.Add(scheduler.Clock), null, 10 * s_ms, Timeout.InfiniteTimeSpan);
        var disposed = time.CreateTimer(_ => disposedFired++, null, 10 * s_ms, 10 * s_ms);
        scheduler.AdvanceBy((5 * s_ms).Ticks);
        changed.Change(20 * s_ms, Timeout.InfiniteTimeSpan);
        disposed.Dispose();
        scheduler.AdvanceBy((100 * s_ms).Ticks);

        Assert.Equal([25 * s_ms.Ticks], changedFiredAt);
        Assert.Equal(0, disposedFired);
    }

    [Fact]
    public void Timer_arguments_are_validated()
    {
        var time = new TestScheduler().AsTimeProvider();

        Assert.Equal("callback", Assert.Throws<ArgumentNullException>(() => time.CreateTimer(null!, null, s_ms, s_ms)).ParamName);
        Assert.Equal("dueTime", Assert.Throws<ArgumentOutOfRangeException>(() => time.CreateTimer(_ => { }, null, TimeSpan.FromMilliseconds(-2), s_ms)).ParamName);
        Assert.Equal("period", Assert.Throws<ArgumentOutOfRangeException>(() => time.CreateTimer(_ => { }, null, s_ms, TimeSpan.FromDays(50))).ParamName);
        using var timer = time.CreateTimer(_ => { }, null, s_ms, s_ms);
        Assert.Equal("dueTime", Assert.Throws<ArgumentOutOfRangeException>(() => timer.Change(TimeSpan.FromMilliseconds(-2), s_ms)).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => SchedulerTimeProviderExtensions.AsTimeProvider(null!)).ParamName);
    }

    /// <summary>A scheduler whose scheduled work cannot be cancelled, which <see cref="IScheduler"/> permits ("best effort").</summary>
    private sealed class BestEffortScheduler(IScheduler inner) : IScheduler
    {
        public DateTimeOffset Now => inner.Now;

        public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action)
        {
            inner.Schedule(state, action);
            return System.Reactive.Disposables.Disposable.Empty;
        }

        public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action)
        {
            inner.Schedule(state, dueTime, action);
            return System.Reactive.Disposables.Disposable.Empty;
        }

        public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action)
        {
            inner.Schedule(state, dueTime, action);
            return System.Reactive.Disposables.Disposable.Empty;
        }
    }
}
