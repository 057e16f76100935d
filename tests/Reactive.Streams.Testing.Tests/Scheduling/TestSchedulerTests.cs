using System.Collections.Concurrent;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Testing.Tests.Scheduling;

public class TestSchedulerTests
{
    [Fact]
    public void Clock_starts_at_zero_and_Now_counts_TimeSpan_ticks_from_MinValue()
    {
        var scheduler = new TestScheduler();
        Assert.Equal(0, scheduler.Clock);
        Assert.Equal(DateTimeOffset.MinValue, scheduler.Now);

        scheduler.AdvanceBy(TimeSpan.FromSeconds(3).Ticks);

        Assert.Equal(30_000_000, scheduler.Clock);
        Assert.Equal(DateTimeOffset.MinValue + TimeSpan.FromSeconds(3), scheduler.Now);
        Assert.Equal(TimeSpan.Zero, scheduler.Now.Offset);
    }

    [Fact]
    public void Relative_due_times_are_TimeSpan_ticks()
    {
        var scheduler = new TestScheduler();
        long ranAt = -1;
        scheduler.Schedule(TimeSpan.FromTicks(250), () => ranAt = scheduler.Clock);

        scheduler.AdvanceBy(249);
        Assert.Equal(-1, ranAt);

        scheduler.AdvanceBy(1);
        Assert.Equal(250, ranAt);
    }

    [Fact]
    public void Work_scheduled_at_or_before_the_clock_runs_at_clock_plus_one_in_scheduling_order()
    {
        var scheduler = new TestScheduler();
        scheduler.AdvanceTo(100);
        var runs = new List<(string Name, long At)>();

        scheduler.ScheduleAbsolute("past", 50, (_, name) => Record(name));
        scheduler.ScheduleAbsolute("now", 100, (_, name) => Record(name));
        scheduler.Schedule("immediate", (_, name) => Record(name));
        scheduler.Schedule("zero", TimeSpan.Zero, (_, name) => Record(name));
        scheduler.ScheduleAbsolute("later", 102, (_, name) => Record(name));
        scheduler.Start();

        Assert.Equal([("past", 101L), ("now", 101L), ("immediate", 101L), ("zero", 101L), ("later", 102L)], runs);

        IDisposable Record(string name)
        {
            runs.Add((name, scheduler.Clock));
            return Disposable.Empty;
        }
    }

    [Fact]
    public void Disposing_scheduled_work_cancels_it_without_moving_the_clock()
    {
        var scheduler = new TestScheduler();
        var ran = false;
        var work = scheduler.ScheduleAbsolute(0, 500, (_, _) =>
        {
            ran = true;
            return Disposable.Empty;
        });

        work.Dispose();
        scheduler.Start();

        Assert.False(ran);
        Assert.Equal(0, scheduler.Clock);
    }

    [Fact]
    public void Work_due_after_the_end_of_virtual_time_does_not_wrap_into_the_past()
    {
        var scheduler = new TestScheduler();
        scheduler.AdvanceTo(1000);
        var ran = false;
        scheduler.Schedule(TimeSpan.MaxValue, () => ran = true);

        scheduler.AdvanceBy(TimeSpan.FromDays(365).Ticks);

        Assert.False(ran);
    }

    [Fact]
    public void Work_run_at_the_end_of_virtual_time_reads_Now_as_the_last_representable_time()
    {
        var scheduler = new TestScheduler();
        var time = scheduler.AsTimeProvider();
        DateTimeOffset? now = null;
        scheduler.Schedule(TimeSpan.MaxValue, () => now = time.GetUtcNow());

        // Start runs every piece of work, the one due at the end of virtual time included.
        scheduler.Start();

        Assert.Equal(long.MaxValue, scheduler.Clock);
        Assert.Equal(DateTimeOffset.MaxValue, now);
        Assert.Equal(DateTimeOffset.MaxValue, scheduler.Now);
    }

    [Fact]
    public void Work_scheduled_now_at_the_end_of_virtual_time_runs_after_the_work_already_due_there()
    {
        // "Now" is Clock + 1, which at the end of virtual time must not wrap around to long.MinValue: that put the new
        // work ahead of everything already due at the end, against the documented order (now-work runs after the work
        // due now, work due at the same time in the order it was scheduled).
        var scheduler = new TestScheduler();
        var order = new List<string>();
        scheduler.Schedule(TimeSpan.MaxValue, () =>
        {
            order.Add("first");
            scheduler.Schedule(() => order.Add("scheduled now by first"));
        });
        scheduler.Schedule(TimeSpan.MaxValue, () => order.Add("second"));

        scheduler.Start();

        Assert.Equal(["first", "second", "scheduled now by first"], order);
        Assert.Equal(long.MaxValue, scheduler.Clock);
    }

    [Fact]
    public void Start_records_a_hot_source_only_between_subscription_and_disposal()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(
            OnNext(150, 1),
            OnNext(210, 2),
            OnNext(300, 3),
            OnNext(1000, 4),
            OnNext(1100, 5),
            OnCompleted<int>(1200));

        var res = scheduler.Start(() => xs);

        // The value at 1000 was scheduled (at creation of xs) before Start scheduled the disposal at 1000, and work due
        // at the same time runs in scheduling order, so it is still recorded, as with Microsoft.Reactive.Testing.
        Assert.Equal([OnNext(210, 2), OnNext(300, 3), OnNext(1000, 4)], res.Messages);
        Assert.Equal([Subscribe(200, 1000)], xs.Subscriptions);
    }

    [Fact]
    public void Start_creates_subscribes_and_disposes_at_the_given_times()
    {
        var scheduler = new TestScheduler();
        long createdAt = -1;
        var xs = scheduler.CreateHotObservable(OnNext(40, 1), OnNext(60, 2), OnNext(90, 3), OnNext(110, 4));

        var res = scheduler.Start(
            () =>
            {
                createdAt = scheduler.Clock;
                return xs;
            },
            created: 10,
            subscribed: 50,
            disposed: 100);

        Assert.Equal(10, createdAt);
        Assert.Equal([OnNext(60, 2), OnNext(90, 3)], res.Messages);
        Assert.Equal([Subscribe(50, 100)], xs.Subscriptions);
    }

    [Fact]
    public void Start_with_a_disposal_time_keeps_the_classic_creation_and_subscription_times()
    {
        var scheduler = new TestScheduler();
        long createdAt = -1;
        var xs = scheduler.CreateHotObservable(OnNext(250, 1), OnNext(350, 2));

        var res = scheduler.Start(
            () =>
            {
                createdAt = scheduler.Clock;
                return xs;
            },
            disposed: 300);

        Assert.Equal(Created, createdAt);
        Assert.Equal([OnNext(250, 1)], res.Messages);
        Assert.Equal([Subscribe(Subscribed, 300)], xs.Subscriptions);
    }

    [Fact]
    public void Interval_produces_values_at_exact_virtual_times_until_disposal()
    {
        var scheduler = new TestScheduler();

        var res = scheduler.Start(() => Observable.Interval(TimeSpan.FromTicks(100), scheduler));

        Assert.Equal(
            [OnNext(300, 0L), OnNext(400, 1L), OnNext(500, 2L), OnNext(600, 3L), OnNext(700, 4L), OnNext(800, 5L), OnNext(900, 6L)],
            res.Messages);
    }

    [Fact]
    public void Where_and_Select_forward_an_error_and_release_the_source()
    {
        var scheduler = new TestScheduler();
        var error = new InvalidOperationException("boom");
        var xs = scheduler.CreateHotObservable(
            OnNext(150, 1),
            OnNext(210, 2),
            OnNext(240, 3),
            OnNext(290, 4),
            OnNext(350, 5),
            OnError<int>(400, error),
            OnNext(410, 6));

        var res = scheduler.Start(() => xs.Where(x => x % 2 == 0).Select(x => x * 10));

        Assert.Equal([OnNext(210, 20), OnNext(290, 40), OnError<int>(400, error)], res.Messages);
        Assert.Equal([Subscribe(200, 400)], xs.Subscriptions);
    }

    [Fact]
    public void A_throwing_selector_becomes_an_error_at_the_time_of_the_value()
    {
        var scheduler = new TestScheduler();
        var error = new InvalidOperationException("selector");
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(250, 2), OnNext(300, 3), OnCompleted<int>(400));

        var res = scheduler.Start(() => xs.Select(x => x == 2 ? throw error : x));

        Assert.Equal([OnNext(210, 1), OnError<int>(250, error)], res.Messages);
        Assert.Equal([Subscribe(200, 250)], xs.Subscriptions);
    }

    [Fact]
    public void Merge_of_a_hot_and_a_cold_source_completes_when_both_have_completed()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(150, 0), OnNext(210, 1), OnNext(320, 4), OnCompleted<int>(330));
        var ys = scheduler.CreateColdObservable(OnNext(50, 2), OnNext(150, 3), OnCompleted<int>(200));

        var res = scheduler.Start(() => xs.Merge(ys));

        Assert.Equal(
            [OnNext(210, 1), OnNext(250, 2), OnNext(320, 4), OnNext(350, 3), OnCompleted<int>(400)],
            res.Messages);
        Assert.Equal([Subscribe(200, 330)], xs.Subscriptions);
        Assert.Equal([Subscribe(200, 400)], ys.Subscriptions);
    }

    [Fact]
    public void Disposing_in_the_middle_stops_recording_and_releases_every_source()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(300, 2), OnNext(400, 3), OnCompleted<int>(500));
        var ys = scheduler.CreateColdObservable(OnNext(20, 10), OnNext(200, 20), OnCompleted<int>(300));

        var res = scheduler.Start(() => xs.Merge(ys).Select(x => x + 1), disposed: 320);

        Assert.Equal([OnNext(210, 2), OnNext(220, 11), OnNext(300, 3)], res.Messages);
        Assert.Equal([Subscribe(200, 320)], xs.Subscriptions);
        Assert.Equal([Subscribe(200, 320)], ys.Subscriptions);
    }

    [Fact]
    public void Start_rejects_a_null_factory_and_times_out_of_order()
    {
        var scheduler = new TestScheduler();

        Assert.Equal("create", Assert.Throws<ArgumentNullException>(() => scheduler.Start<int>(null!)).ParamName);
        Assert.Equal("subscribed", Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Start(Observable.Never<int>, 200, 100, 300)).ParamName);
        Assert.Equal("disposed", Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Start(Observable.Never<int>, 100, 200, 150)).ParamName);
        Assert.Equal(0, scheduler.Clock);
    }

    [Fact]
    public void Start_cannot_be_nested_inside_scheduled_work()
    {
        var scheduler = new TestScheduler();
        Exception? caught = null;
        scheduler.ScheduleAbsolute(0, 10, (_, _) =>
        {
            caught = Record.Exception(() => scheduler.Start(Observable.Never<int>));
            return Disposable.Empty;
        });

        scheduler.Start();

        Assert.IsType<InvalidOperationException>(caught);
    }

    [Fact]
    public void Start_after_scheduled_work_threw_says_the_scheduler_was_left_running_and_runs_again_after_Stop()
    {
        var scheduler = new TestScheduler();
        scheduler.ScheduleAbsolute(0, 10, (_, _) => throw new ArithmeticException("work"));
        Assert.Throws<ArithmeticException>(() => scheduler.Start());

        // As in Rx, the exception left the clock marked as running: Start<T> refuses, and says what to do.
        var error = Assert.Throws<InvalidOperationException>(() => scheduler.Start(Observable.Never<int>));
        Assert.Contains("Stop()", error.Message);

        scheduler.Stop();
        var observer = scheduler.Start(() => Observable.Return(1, scheduler));
        Assert.Equal([OnNext(201, 1), OnCompleted<int>(201)], observer.Messages);
    }

    [Fact]
    public async Task Concurrent_scheduling_while_the_clock_advances_loses_nothing_and_never_runs_early()
    {
        const int Threads = 4;
        const int PerThread = 5_000;
        var scheduler = new TestScheduler();
        var early = 0;
        var ran = 0;
        var seenTimes = new ConcurrentBag<long>();
        using var go = new Barrier(Threads + 1);

        var producers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                go.SignalAndWait();
                for (var i = 0; i < PerThread; i++)
                {
                    var delay = 1 + ((i * 7) + t) % 50;
                    var notBefore = scheduler.Clock + delay;
                    scheduler.Schedule(TimeSpan.FromTicks(delay), () =>
                    {
                        if (scheduler.Clock < notBefore)
                        {
                            Interlocked.Increment(ref early);
                        }

                        seenTimes.Add(scheduler.Clock);
                        Interlocked.Increment(ref ran);
                    });
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();

        go.SignalAndWait();
        while (!Task.WhenAll(producers).IsCompleted)
        {
            scheduler.AdvanceBy(1);
        }

        await Task.WhenAll(producers);
        scheduler.Start();

        Assert.Equal(Threads * PerThread, ran);
        Assert.Equal(0, early);
        Assert.True(seenTimes.All(time => time <= scheduler.Clock));
    }
}
