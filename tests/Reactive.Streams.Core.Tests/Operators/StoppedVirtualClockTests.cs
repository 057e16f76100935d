using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using Reactive.Streams.Testing;
using Reactive.Streams.Tests.Support;
using Clock = Reactive.Streams.Tests.Conformance.VirtualClock;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// PauseUpstream on a virtual-time scheduler whose clock is not running: nothing drains until a thread advances the
/// clock, so the thread that would advance it (the one that subscribed, or the one that last advanced it) must fail fast
/// instead of blocking, as it does while the clock runs. A push from another thread still pauses, and advancing the clock
/// resumes it. The pushing "test thread" is a thread of its own, so a regression fails at the limit instead of hanging
/// the run; disposal then releases it.
/// </summary>
public sealed class StoppedVirtualClockTests
{
    private static readonly TimeSpan Limit = TestLimits.Hang;

    public static TheoryData<string> Clocks => new("TestScheduler", "HistoricalScheduler", "user");

    [Theory]
    [MemberData(nameof(Clocks))]
    public async Task Pushing_past_the_capacity_before_the_clock_starts_fails_fast_instead_of_hanging(string kind)
    {
        var clock = CreateClock(kind);
        var subject = new Subject<int>();
        var received = new List<Notification<int>>();
        IDisposable? subscription = null;

        // The repro: subscribe, then push three into a buffer of two, all before the clock is started.
        var test = StartThread(() =>
        {
            subscription = subject.PauseUpstream(2, clock.Scheduler).Subscribe(
                x => received.Add(Notification.CreateOnNext(x)),
                e => received.Add(Notification.CreateOnError<int>(e)),
                () => received.Add(Notification.CreateOnCompleted<int>()));
            subject.OnNext(1);
            subject.OnNext(2);
            subject.OnNext(3); // full: only this thread could advance the clock that drains it
        });
        await FinishesOrReleaseAsync(test, () => subscription);

        Assert.False(subject.HasObservers);
        Assert.Empty(received); // delivered on the scheduler: nothing until the clock advances
        clock.AdvanceBy(100);

        Assert.Equal([1, 2], received.Where(n => n.Kind == NotificationKind.OnNext).Select(n => n.Value));
        var error = Assert.IsType<InvalidOperationException>(received[^1].Exception);
        Assert.Equal(3, received.Count);
        Assert.Contains("deadlock", error.Message, StringComparison.Ordinal);
        Assert.Contains("not running", error.Message, StringComparison.Ordinal);
        Assert.Contains("Schedule the pushes on the scheduler", error.Message, StringComparison.Ordinal);
        Assert.Contains("AdvanceBy", error.Message, StringComparison.Ordinal);
        var metrics = ((IMeteredStream)subscription!).GetMetrics();
        Assert.Equal(3, metrics.ItemsPushed);
        Assert.Equal(1, metrics.ItemsRejected);
        Assert.Equal(0, metrics.PauseUpstreamBlocks);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public async Task The_stopped_clock_error_names_the_stream_as_the_running_clock_error_does()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var res = scheduler.CreateObserver<int>();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 2) { Name = "stopped" };
        IDisposable? subscription = null;

        var test = StartThread(() =>
        {
            subscription = subject.WithBackpressure(options, scheduler).Subscribe(res);
            subject.OnNext(1);
            subject.OnNext(2);
            subject.OnNext(3);
            subject.OnNext(4); // after the failure: the source is unsubscribed, nothing more is counted
        });
        await FinishesOrReleaseAsync(test, () => subscription);

        scheduler.Start();

        Assert.Equal(
            [
                ReactiveTest.OnNext(1, 1),
                ReactiveTest.OnNext(1, 2),
                ReactiveTest.OnError<int>(1, e => e is InvalidOperationException && e.Message.Contains("'stopped'", StringComparison.Ordinal)),
            ],
            res.Messages);
        var metrics = ((IMeteredStream)subscription!).GetMetrics();
        Assert.Equal(3, metrics.ItemsPushed);
        Assert.True(metrics.IsConserved);
    }

    [Theory]
    [MemberData(nameof(Clocks))]
    public async Task SubscribeAsync_pushing_past_the_capacity_before_the_clock_starts_fails_fast(string kind)
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var clock = CreateClock(kind);
        var subject = new Subject<int>();
        var handled = new List<int>();
        BackpressureSubscription? subscription = null;
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 2) { Name = "stopped-async" };

        var test = StartThread(() =>
        {
            subscription = subject.SubscribeAsync(
                (x, _) =>
                {
                    handled.Add(x);
                    return ValueTask.CompletedTask;
                },
                options,
                clock.Scheduler);
            subject.OnNext(1);
            subject.OnNext(2);
            subject.OnNext(3);
        });
        await FinishesOrReleaseAsync(test, () => subscription);

        Assert.False(subject.HasObservers);
        clock.AdvanceBy(100);

        await Task.WhenAny(subscription!.Completion, Task.Delay(Limit));
        var failure = Assert.IsType<InvalidOperationException>(subscription.Completion.Exception?.InnerException);
        Assert.Contains("'stopped-async'", failure.Message, StringComparison.Ordinal);
        Assert.Equal([1, 2], handled);
        Assert.True(subscription.GetMetrics().IsConserved);
    }

    [Theory]
    [MemberData(nameof(Clocks))]
    public async Task The_thread_that_last_advanced_the_clock_fails_fast_when_it_pushes_while_the_clock_is_stopped(string kind)
    {
        var clock = CreateClock(kind);
        var subject = new Subject<int>();
        var received = new List<int>();
        Exception? failure = null;

        // Subscribed here, but driven (advanced, then pushed into) from a thread of its own.
        using var subscription = subject.PauseUpstream(2, clock.Scheduler).Subscribe(received.Add, e => failure = e);
        var driver = StartThread(() =>
        {
            clock.AdvanceBy(1);
            subject.OnNext(1);
            subject.OnNext(2);
            subject.OnNext(3);
            clock.AdvanceBy(100);
        });
        await FinishesOrReleaseAsync(driver, () => subscription);

        Assert.IsType<InvalidOperationException>(failure);
        Assert.Equal([1, 2], received);
        Assert.False(subject.HasObservers);
    }

    [Theory]
    [MemberData(nameof(Clocks))]
    public async Task A_push_from_another_thread_pauses_until_the_clock_drains_and_then_resumes(string kind)
    {
        var clock = CreateClock(kind);
        var subject = new Subject<int>();
        var received = new List<Notification<int>>();
        using var subscription = subject.PauseUpstream(2, clock.Scheduler).Subscribe(
            x => received.Add(Notification.CreateOnNext(x)),
            e => received.Add(Notification.CreateOnError<int>(e)),
            () => received.Add(Notification.CreateOnCompleted<int>()));
        var metered = (IMeteredStream)subscription;

        var producer = StartThread(() =>
        {
            subject.OnNext(1);
            subject.OnNext(2);
            subject.OnNext(3); // full: waits for the clock, which only the test's thread advances
            subject.OnCompleted();
        });

        Assert.True(SpinWait.SpinUntil(() => metered.GetMetrics().PauseUpstreamBlocks == 1 || producer.IsCompleted, Limit));
        Assert.False(producer.IsCompleted);
        Assert.Empty(received);

        // The drain at the next tick takes 1 and 2, which releases the producer: 3 and the completion follow.
        clock.AdvanceBy(1);
        await producer.WaitAsync(Limit);
        clock.AdvanceBy(100);

        Assert.Equal(
            [Notification.CreateOnNext(1), Notification.CreateOnNext(2), Notification.CreateOnNext(3), Notification.CreateOnCompleted<int>()],
            received);
        var metrics = metered.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(ItemsPushed: 3, ItemsDelivered: 3, 0, 0, PauseUpstreamBlocks: 1, 0, ItemsRejected: 0, Depth: 0), metrics);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public void Pushes_scheduled_on_the_TestScheduler_and_pushes_within_the_capacity_before_it_starts_are_delivered_in_virtual_time()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var res = scheduler.CreateObserver<int>();
        using var subscription = subject.PauseUpstream(2, scheduler).Subscribe(res);

        // Before the clock starts, up to the capacity: nothing would block, so nothing fails.
        subject.OnNext(1);
        subject.OnNext(2);

        // Then a full buffer at each of these times, drained one tick later, before the next burst.
        scheduler.ScheduleAbsolute(10, () =>
        {
            subject.OnNext(3);
            subject.OnNext(4);
        });
        scheduler.ScheduleAbsolute(20, () =>
        {
            subject.OnNext(5);
            subject.OnNext(6);
        });
        scheduler.ScheduleAbsolute(30, subject.OnCompleted);
        scheduler.Start();

        Assert.Equal(
            [
                ReactiveTest.OnNext(1, 1), ReactiveTest.OnNext(1, 2),
                ReactiveTest.OnNext(11, 3), ReactiveTest.OnNext(11, 4),
                ReactiveTest.OnNext(21, 5), ReactiveTest.OnNext(21, 6),
                ReactiveTest.OnCompleted<int>(31),
            ],
            res.Messages);
        Assert.True(((IMeteredStream)subscription).GetMetrics().IsConserved);
    }

    public static TheoryData<string> RealSchedulers => new("EventLoop", "TaskPool");

    [Theory]
    [MemberData(nameof(RealSchedulers))]
    public async Task On_a_real_scheduler_the_subscribing_thread_still_blocks_and_resumes(string kind)
    {
        using var loop = new EventLoopScheduler();
        IScheduler scheduler = kind == "EventLoop" ? loop : TaskPoolScheduler.Default;
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var subject = new Subject<int>();
        var received = new List<int>();
        var completed = new TaskCompletionSource();
        IDisposable? subscription = null;

        // The same thread subscribes and pushes, as in the virtual-time repro; the consumer holds 1 until released.
        var test = StartThread(() =>
        {
            subscription = subject.PauseUpstream(2, scheduler).Subscribe(
                x =>
                {
                    entered.Set();
                    gate.Wait();
                    lock (received)
                    {
                        received.Add(x);
                    }
                },
                e => completed.TrySetException(e),
                () => completed.TrySetResult());
            subject.OnNext(1);
            entered.Wait();
            for (var i = 2; i <= 6; i++)
            {
                subject.OnNext(i); // 2 and 3 fill the buffer; 4 blocks
            }

            subject.OnCompleted();
        });
        try
        {
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref subscription) is IMeteredStream m && m.GetMetrics().PauseUpstreamBlocks == 1, Limit));
            Assert.False(test.IsCompleted);

            gate.Set();
            await test.WaitAsync(Limit);
            await completed.Task.WaitAsync(Limit);
        }
        finally
        {
            gate.Set();
            subscription?.Dispose();
        }

        Assert.Equal([1, 2, 3, 4, 5, 6], received);
        Assert.True(((IMeteredStream)subscription!).GetMetrics().IsConserved);
    }

    private static Clock CreateClock(string kind) => kind switch
    {
        "TestScheduler" => Clock.Test(),
        "HistoricalScheduler" => Clock.Historical(),
        _ => Clock.User(),
    };

    /// <summary>
    /// Waits for the pushing thread; if it hangs (the regression), disposing the subscription releases it before the
    /// test fails, so no thread is left blocked.
    /// </summary>
    private static async Task FinishesOrReleaseAsync(Task pushing, Func<IDisposable?> subscription)
    {
        if (await Task.WhenAny(pushing, Task.Delay(Limit)) != pushing)
        {
            subscription()?.Dispose();
            Assert.Fail("The push blocked the thread that would advance the virtual clock (deadlock).");
        }

        await pushing;
    }

    private static Task StartThread(Action action) =>
        Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
