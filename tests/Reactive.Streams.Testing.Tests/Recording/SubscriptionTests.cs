using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Testing.Tests.Recording;

public class SubscriptionTests
{
    [Fact]
    public void Subscriptions_are_equal_when_both_times_are_equal()
    {
        Assert.True(Subscribe(200, 1000) == new Subscription(200, 1000));
        Assert.Equal(Subscribe(200, 1000).GetHashCode(), new Subscription(200, 1000).GetHashCode());
        Assert.True(Subscribe(200, 1000) != Subscribe(200, 999));
        Assert.True(Subscribe(200, 1000) != Subscribe(201, 1000));
        Assert.True(Subscribe(200).Equals((object)new Subscription(200, Subscription.Infinite)));
    }

    [Fact]
    public void An_unreleased_subscription_has_an_infinite_release_time()
    {
        Assert.Equal(200, Subscribe(200).Subscribe);
        Assert.Equal(long.MaxValue, Subscribe(200).Unsubscribe);
        Assert.Equal(Subscription.Infinite, new Subscription(5).Unsubscribe);
    }

    [Fact]
    public void ToString_shows_both_times_or_Infinite()
    {
        Assert.Equal("(200, 1000)", Subscribe(200, 1000).ToString());
        Assert.Equal("(200, Infinite)", Subscribe(200).ToString());
    }
}

public class AssertionMessageTests
{
    [Fact]
    public void A_failed_subscription_log_comparison_names_both_logs()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(300, 1));
        scheduler.Start(() => xs, disposed: 400);

        var failure = Assert.Throws<Xunit.Sdk.EqualException>(() => Assert.Equal([Subscribe(200, 1000)], xs.Subscriptions));

        Assert.Contains("(200, 1000)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("(200, 400)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_comparison_against_a_predicate_names_the_predicate_and_the_actual_value()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(220, 5));
        var res = scheduler.Start(() => xs);

        var failure = Assert.Throws<Xunit.Sdk.EqualException>(() => Assert.Equal([OnNext<int>(220, x => x > 10)], res.Messages));

        Assert.Contains("OnNext(<predicate>)@220", failure.Message, StringComparison.Ordinal);
        Assert.Contains("OnNext(5)@220", failure.Message, StringComparison.Ordinal);
    }
}
