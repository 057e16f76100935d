using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Testing.Tests.Observables;

public class HotObservableTests
{
    [Fact]
    public void Emits_at_absolute_times_to_whoever_is_subscribed_then()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(100, 1), OnNext(200, 2), OnNext(300, 3), OnCompleted<int>(400));
        var early = scheduler.CreateObserver<int>();
        var late = scheduler.CreateObserver<int>();
        IDisposable? earlySubscription = null;

        scheduler.ScheduleAbsolute(0, 50, (_, _) => earlySubscription = xs.Subscribe(early));
        scheduler.ScheduleAbsolute(0, 250, (_, _) => xs.Subscribe(late));
        scheduler.ScheduleAbsolute(0, 350, (_, _) =>
        {
            earlySubscription!.Dispose();
            return Disposable.Empty;
        });
        scheduler.Start();

        Assert.Equal([OnNext(100, 1), OnNext(200, 2), OnNext(300, 3)], early.Messages);
        Assert.Equal([OnNext(300, 3), OnCompleted<int>(400)], late.Messages);
        Assert.Equal([Subscribe(50, 350), Subscribe(250)], xs.Subscriptions);
    }

    [Fact]
    public void Notifications_run_whether_or_not_anyone_is_subscribed()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(100, 1), OnNext(500, 2));

        scheduler.AdvanceTo(300);
        var res = scheduler.CreateObserver<int>();
        xs.Subscribe(res);
        scheduler.Start();

        Assert.Equal([OnNext(500, 2)], res.Messages);
        Assert.Equal([Subscribe(300)], xs.Subscriptions);
    }

    [Fact]
    public void Disposing_twice_keeps_the_first_release_time()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable<int>();
        var subscription = xs.Subscribe(scheduler.CreateObserver<int>());

        scheduler.AdvanceTo(10);
        subscription.Dispose();
        scheduler.AdvanceTo(20);
        subscription.Dispose();

        Assert.Equal([Subscribe(0, 10)], xs.Subscriptions);
    }

    [Fact]
    public void Messages_are_a_copy_of_the_given_notifications()
    {
        var scheduler = new TestScheduler();
        Recorded<Notification<int>>[] messages = [OnNext(10, 1), OnCompleted<int>(20)];
        var xs = scheduler.CreateHotObservable(messages);
        messages[0] = OnNext(10, 99);
        var res = scheduler.CreateObserver<int>();
        xs.Subscribe(res);

        scheduler.Start();

        Assert.Equal([OnNext(10, 1), OnCompleted<int>(20)], xs.Messages);
        Assert.Equal([OnNext(10, 1), OnCompleted<int>(20)], res.Messages);
    }

    [Fact]
    public void An_observer_may_unsubscribe_itself_while_being_notified()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(220, 2), OnNext(230, 3));

        var res = scheduler.Start(() => xs.Take(2));

        Assert.Equal([OnNext(210, 1), OnNext(220, 2), OnCompleted<int>(220)], res.Messages);
        Assert.Equal([Subscribe(200, 220)], xs.Subscriptions);
    }

    [Fact]
    public void Rejects_null_and_predicate_messages()
    {
        var scheduler = new TestScheduler();

        Assert.Equal("messages", Assert.Throws<ArgumentNullException>(() => scheduler.CreateHotObservable<int>(null!)).ParamName);
        Assert.Equal("messages", Assert.Throws<ArgumentException>(() => scheduler.CreateHotObservable(OnNext<int>(10, x => x > 0))).ParamName);
        Assert.Equal("messages", Assert.Throws<ArgumentException>(() => scheduler.CreateHotObservable(new Recorded<Notification<int>>(10, null!))).ParamName);
        Assert.Equal("observer", Assert.Throws<ArgumentNullException>(() => scheduler.CreateHotObservable<int>().Subscribe(null!)).ParamName);
    }
}
