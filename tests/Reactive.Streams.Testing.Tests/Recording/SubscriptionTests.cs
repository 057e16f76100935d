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
