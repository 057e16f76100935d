using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Streams.Testing;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// The policy operators against Rx's rules, in virtual time: an observer that throws, an observer that pushes back into
/// its own source, the scheduler argument (Rx's immediate and trampoline schedulers, a user's own virtual clock, the
/// HistoricalScheduler), and the metrics snapshot an operator's subscription gives.
/// </summary>
public class WithBackpressureRxRulesTests
{
    [Fact]
    public void An_observer_that_throws_ends_the_subscription_and_the_exception_leaves_through_the_scheduler()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(220, 3), OnCompleted<int>(300));
        var seen = new List<int>();
        var boom = new InvalidOperationException("observer");
        scheduler.ScheduleAbsolute(0, 200, (_, _) => xs.DropOldest(4, scheduler).Subscribe(x =>
        {
            seen.Add(x);
            if (x == 1)
            {
                throw boom;
            }
        }));

        Assert.Same(boom, Assert.Throws<InvalidOperationException>(() => scheduler.Start()));

        // The source was let go at the throw; nothing after it was delivered (2 was in the same batch).
        Assert.Equal([1], seen);
        Assert.Equal([Subscribe(200, 211)], xs.Subscriptions);
    }

    [Fact]
    public void An_observer_that_pushes_back_into_its_source_gets_those_items_in_order_after_the_current_one()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var observer = scheduler.CreateObserver<int>();
        subject.DropOldest(4, scheduler).Subscribe(Observer.Create<int>(
            x =>
            {
                observer.OnNext(x);
                if (x < 3)
                {
                    subject.OnNext(x + 1);
                }
                else
                {
                    subject.OnCompleted();
                }
            },
            observer.OnError,
            observer.OnCompleted));
        scheduler.ScheduleAbsolute(10, () => subject.OnNext(1));

        scheduler.Start();

        // The re-entrant pushes land in the buffer while the drain runs, which delivers them in the same pass.
        Assert.Equal([OnNext(11, 1), OnNext(11, 2), OnNext(11, 3), OnCompleted<int>(11)], observer.Messages);
    }

    [Fact]
    public void A_re_entrant_push_that_finds_a_PauseUpstream_buffer_full_fails_the_stream_instead_of_deadlocking()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var messages = new List<Notification<int>>();
        subject.PauseUpstream(1, scheduler).Subscribe(
            x =>
            {
                messages.Add(Notification.CreateOnNext(x));
                if (x == 1)
                {
                    subject.OnNext(2);
                    subject.OnNext(3); // full, and this thread is the drain's
                }
            },
            e => messages.Add(Notification.CreateOnError<int>(e)),
            () => messages.Add(Notification.CreateOnCompleted<int>()));
        scheduler.ScheduleAbsolute(10, () => subject.OnNext(1));

        scheduler.Start();

        Assert.Equal([1, 2], messages.Where(static m => m.Kind == NotificationKind.OnNext).Select(static m => m.Value));
        var error = Assert.IsType<InvalidOperationException>(messages[^1].Exception);
        Assert.Contains("PauseUpstream", error.Message);
        Assert.False(subject.HasObservers);
    }

    public static TheoryData<string> InlineSchedulerKinds() => new() { "Immediate", "CurrentThread" };

    [Theory]
    [MemberData(nameof(InlineSchedulerKinds))]
    public void On_an_inline_scheduler_an_observer_that_throws_is_not_called_again_and_the_push_throws_as_with_ObserveOn(string kind)
    {
        IScheduler scheduler = kind == "Immediate" ? ImmediateScheduler.Instance : CurrentThreadScheduler.Instance;

        // The twin: ObserveOn on the same scheduler runs the observer inside the source's OnNext, so the observer's
        // exception comes out of that OnNext, and the observer hears nothing more.
        (List<string> Calls, Exception? Thrown, Exception? Second) Run(Func<IObservable<int>, IObservable<int>> apply)
        {
            var subject = new Subject<int>();
            var calls = new List<string>();
            apply(subject).Subscribe(
                x =>
                {
                    calls.Add($"OnNext({x})");
                    throw new ArithmeticException($"the observer rejects {x}");
                },
                e => calls.Add($"OnError({e.Message})"),
                () => calls.Add("OnCompleted"));
            var thrown = Record.Exception(() => subject.OnNext(1));
            var second = Record.Exception(() => subject.OnNext(2));
            return (calls, thrown, second);
        }

        var twin = Run(xs => xs.ObserveOn(scheduler));
        var ours = Run(xs => xs.DropOldest(4, scheduler));

        Assert.Equal(["OnNext(1)"], twin.Calls);
        Assert.Equal(twin.Calls, ours.Calls);
        Assert.Equal("the observer rejects 1", Assert.IsType<ArithmeticException>(twin.Thrown).Message);
        Assert.Equal("the observer rejects 1", Assert.IsType<ArithmeticException>(ours.Thrown).Message);
        Assert.Null(ours.Second);
    }

    [Theory]
    [MemberData(nameof(InlineSchedulerKinds))]
    public void On_an_inline_scheduler_an_observer_that_throws_in_OnCompleted_is_called_once_and_lets_the_source_go(string kind)
    {
        IScheduler scheduler = kind == "Immediate" ? ImmediateScheduler.Instance : CurrentThreadScheduler.Instance;
        var subject = new Subject<int>();
        var calls = new List<string>();
        subject.PauseUpstream(2, scheduler).Subscribe(
            x => calls.Add($"OnNext({x})"),
            e => calls.Add($"OnError({e.Message})"),
            () =>
            {
                calls.Add("OnCompleted");
                throw new ArithmeticException("the observer rejects the completion");
            });

        subject.OnNext(1);
        var thrown = Record.Exception(subject.OnCompleted);

        Assert.Equal(["OnNext(1)", "OnCompleted"], calls);
        Assert.Equal("the observer rejects the completion", Assert.IsType<ArithmeticException>(thrown).Message);
        Assert.False(subject.HasObservers);
    }

    public static TheoryData<string, BackpressurePolicy> InlineSchedulers() => new()
    {
        { "Immediate", BackpressurePolicy.DropOldest },
        { "Immediate", BackpressurePolicy.PauseUpstream },
        { "Immediate", BackpressurePolicy.Fail },
        { "CurrentThread", BackpressurePolicy.DropOldest },
        { "CurrentThread", BackpressurePolicy.PauseUpstream },
        { "CurrentThread", BackpressurePolicy.Fail },
    };

    [Theory]
    [MemberData(nameof(InlineSchedulers))]
    public void On_Rxs_immediate_and_trampoline_schedulers_a_synchronous_source_is_delivered_whole(string kind, BackpressurePolicy policy)
    {
        IScheduler scheduler = kind == "Immediate" ? ImmediateScheduler.Instance : CurrentThreadScheduler.Instance;

        var messages = Observable.Range(0, 10).WithBackpressure(policy, 2, scheduler).Materialize().ToList().Wait();

        Assert.Equal(Enumerable.Range(0, 10), messages.Where(static m => m.Kind == NotificationKind.OnNext).Select(static m => m.Value));
        Assert.Equal(NotificationKind.OnCompleted, messages[^1].Kind);
    }

    [Fact]
    public void On_the_HistoricalScheduler_a_PauseUpstream_burst_from_its_own_work_fails_fast_after_the_buffered_items()
    {
        var scheduler = new HistoricalScheduler(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var subject = new Subject<int>();
        var messages = new List<Notification<int>>();
        subject.PauseUpstream(2, TimeSpan.FromSeconds(1), scheduler).Materialize().Subscribe(messages.Add);
        scheduler.Schedule(TimeSpan.FromSeconds(1), () =>
        {
            for (var i = 0; i < 5; i++)
            {
                subject.OnNext(i);
            }
        });

        scheduler.Start();

        Assert.Equal([0, 1], messages.Where(static m => m.Kind == NotificationKind.OnNext).Select(static m => m.Value));
        Assert.IsType<InvalidOperationException>(messages[^1].Exception);
    }

    [Fact]
    public void The_subscription_is_a_metered_stream_whose_snapshot_counts_the_policys_decisions()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(210, 4), OnNext(300, 5), OnCompleted<int>(400));
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { Name = "rx-rules-metrics" };
        IDisposable? subscription = null;
        var observer = scheduler.CreateObserver<int>();
        scheduler.ScheduleAbsolute(0, 200, (_, _) => subscription = xs.WithBackpressure(options, scheduler).Subscribe(observer));

        scheduler.AdvanceTo(250);
        var metered = Assert.IsAssignableFrom<IMeteredStream>(subscription);
        Assert.Equal(("rx-rules-metrics", BackpressurePolicy.DropOldest, 2), (metered.Name, metered.Policy, metered.Capacity));
        Assert.Equal(new StreamMetricsSnapshot(4, 2, 2, 0, 0, 0, 0, 0), metered.GetMetrics());

        scheduler.Start();
        Assert.Equal([OnNext(211, 3), OnNext(211, 4), OnNext(301, 5), OnCompleted<int>(401)], observer.Messages);
        var metrics = metered.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(5, 3, 2, 0, 0, 0, 0, 0), metrics);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public void Disposing_one_of_two_subscriptions_twice_leaves_the_other_untouched()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(260, 2));
        var buffered = xs.DropOldest(2, scheduler);
        var first = scheduler.CreateObserver<int>();
        var second = scheduler.CreateObserver<int>();
        IDisposable? firstSubscription = null;
        scheduler.ScheduleAbsolute(0, 200, (_, _) => firstSubscription = buffered.Subscribe(first));
        scheduler.ScheduleAbsolute(0, 205, (_, _) => buffered.Subscribe(second));
        scheduler.ScheduleAbsolute(0, 250, (_, _) =>
        {
            firstSubscription!.Dispose();
            firstSubscription.Dispose();
            return Disposable.Empty;
        });

        scheduler.Start();

        Assert.Equal([OnNext(211, 1)], first.Messages);
        Assert.Equal([OnNext(211, 1), OnNext(261, 2)], second.Messages);
        Assert.Equal([Subscribe(200, 250), Subscribe(205)], xs.Subscriptions);
    }
}
