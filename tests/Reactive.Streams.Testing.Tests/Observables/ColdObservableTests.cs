using System.Reactive.Disposables;
using System.Reactive.Linq;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Testing.Tests.Observables;

public class ColdObservableTests
{
    [Fact]
    public void Replays_at_times_relative_to_the_subscription_and_logs_it()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdObservable(OnNext(10, 1), OnNext(50, 2), OnCompleted<int>(100));

        var res = scheduler.Start(() => xs);

        Assert.Equal([OnNext(210, 1), OnNext(250, 2), OnCompleted<int>(300)], res.Messages);
        Assert.Equal([Subscribe(200, 1000)], xs.Subscriptions);
    }

    [Fact]
    public void Each_subscriber_gets_its_own_replay()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdObservable(OnNext(10, "a"), OnCompleted<string>(20));

        var res = scheduler.Start(() => xs.Concat(xs).Concat(xs));

        Assert.Equal(
            [OnNext(210, "a"), OnNext(230, "a"), OnNext(250, "a"), OnCompleted<string>(260)],
            res.Messages);
        Assert.Equal([Subscribe(200, 220), Subscribe(220, 240), Subscribe(240, 260)], xs.Subscriptions);
    }

    [Fact]
    public void Disposing_cancels_the_pending_notifications_of_that_subscription_only()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdObservable(OnNext(100, 1), OnNext(300, 2));
        var first = scheduler.CreateObserver<int>();
        var second = scheduler.CreateObserver<int>();
        IDisposable? firstSubscription = null;

        scheduler.ScheduleAbsolute(0, 10, (_, _) => firstSubscription = xs.Subscribe(first));
        scheduler.ScheduleAbsolute(0, 20, (_, _) => xs.Subscribe(second));
        scheduler.ScheduleAbsolute(0, 150, (_, _) =>
        {
            firstSubscription!.Dispose();
            return Disposable.Empty;
        });
        scheduler.Start();

        Assert.Equal([OnNext(110, 1)], first.Messages);
        Assert.Equal([OnNext(120, 1), OnNext(320, 2)], second.Messages);
        Assert.Equal([Subscribe(10, 150), Subscribe(20)], xs.Subscriptions);
    }

    [Fact]
    public void A_relative_time_of_zero_arrives_one_tick_after_subscribing()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdObservable(OnNext(0, 1), OnCompleted<int>(5));

        var res = scheduler.Start(() => xs);

        Assert.Equal([OnNext(201, 1), OnCompleted<int>(205)], res.Messages);
    }

    [Fact]
    public void Rejects_null_and_predicate_messages()
    {
        var scheduler = new TestScheduler();

        Assert.Equal("messages", Assert.Throws<ArgumentNullException>(() => scheduler.CreateColdObservable<int>(null!)).ParamName);
        Assert.Equal("messages", Assert.Throws<ArgumentException>(() => scheduler.CreateColdObservable(OnError<int>(10, _ => true))).ParamName);
        Assert.Equal("observer", Assert.Throws<ArgumentNullException>(() => scheduler.CreateColdObservable<int>().Subscribe(null!)).ParamName);
    }
}
