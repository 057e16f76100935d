using System.Reactive;
using System.Reactive.Disposables;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Testing.Tests.Observables;

public class MisuseAndDisposalTests
{
    [Fact]
    public void Subscribing_a_null_observer_names_it_and_logs_no_subscription()
    {
        var scheduler = new TestScheduler();
        var hot = scheduler.CreateHotObservable(OnNext(10, 1));
        var cold = scheduler.CreateColdObservable(OnNext(10, 1));

        Assert.Equal("observer", Assert.Throws<ArgumentNullException>(() => hot.Subscribe(null!)).ParamName);
        Assert.Equal("observer", Assert.Throws<ArgumentNullException>(() => cold.Subscribe(null!)).ParamName);
        scheduler.Start();

        Assert.Empty(hot.Subscriptions);
        Assert.Empty(cold.Subscriptions);
    }

    [Fact]
    public void A_null_error_given_to_the_recording_observer_names_it_and_records_nothing()
    {
        var observer = new TestScheduler().CreateObserver<int>();

        Assert.Equal("error", Assert.Throws<ArgumentNullException>(() => observer.OnError(null!)).ParamName);
        Assert.Empty(observer.Messages);
    }

    [Fact]
    public void Disposing_a_cold_subscription_twice_keeps_the_first_release_time_and_cancels_its_replay()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdObservable(OnNext(5, 1), OnNext(50, 2), OnCompleted<int>(60));
        var observer = scheduler.CreateObserver<int>();
        var subscription = xs.Subscribe(observer);

        scheduler.AdvanceTo(10);
        subscription.Dispose();
        scheduler.AdvanceTo(20);
        subscription.Dispose();
        scheduler.Start();

        Assert.Equal([OnNext(5, 1)], observer.Messages);
        Assert.Equal([Subscribe(0, 10)], xs.Subscriptions);
    }

    [Fact]
    public void A_cold_observer_may_unsubscribe_itself_while_being_notified()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdObservable(OnNext(10, 1), OnNext(10, 2), OnNext(20, 3));
        var received = new List<int>();
        var subscription = new SingleAssignmentDisposable();

        scheduler.ScheduleAbsolute(0, 100, (_, _) =>
        {
            subscription.Disposable = xs.Subscribe(x =>
            {
                received.Add(x);
                subscription.Dispose();
            });
            return Disposable.Empty;
        });
        scheduler.Start();

        Assert.Equal([1], received);
        Assert.Equal([Subscribe(100, 110)], xs.Subscriptions);
    }

    [Fact]
    public void Default_records_compare_hash_and_print_consistently()
    {
        Recorded<Notification<int>> empty = default;

        Assert.Equal(empty, default(Recorded<Notification<int>>));
        Assert.Equal(empty.GetHashCode(), default(Recorded<Notification<int>>).GetHashCode());
        Assert.NotEqual(empty, OnCompleted<int>(0));
        Assert.NotEqual(OnCompleted<int>(0), empty);
        Assert.Equal("null@0", empty.ToString());
        Assert.Equal("(0, 0)", default(Subscription).ToString());
    }

    [Fact]
    public void A_predicate_held_as_object_still_matches_and_hashes_like_what_it_matches()
    {
        var pattern = new Recorded<object>(210, OnNext<int>(210, x => x > 10).Value);
        var actual = new Recorded<object>(210, Notification.CreateOnNext(11));

        Assert.True(pattern.Equals(actual));
        Assert.True(actual.Equals(pattern));
        Assert.Equal(pattern.GetHashCode(), actual.GetHashCode());
        Assert.False(new Recorded<object>(210, Notification.CreateOnNext(9)).Equals(pattern));
        Assert.False(new Recorded<object>(210, "OnNext(11)").Equals(pattern));
    }
}
