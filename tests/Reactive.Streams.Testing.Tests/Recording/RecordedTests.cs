using System.Reactive;
using Xunit.Sdk;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Testing.Tests.Recording;

public class RecordedTests
{
    [Fact]
    public void Records_are_equal_when_time_and_value_are_equal()
    {
        var a = new Recorded<string>(10, "x");

        Assert.True(a == new Recorded<string>(10, "x"));
        Assert.True(a.Equals((object)new Recorded<string>(10, "x")));
        Assert.Equal(a.GetHashCode(), new Recorded<string>(10, "x").GetHashCode());
        Assert.True(a != new Recorded<string>(11, "x"));
        Assert.True(a != new Recorded<string>(10, "y"));
        Assert.False(a.Equals("x"));
    }

    [Fact]
    public void Recorded_notifications_compare_by_kind_time_and_value()
    {
        Assert.Equal(OnNext(210, 2), OnNext(210, 2));
        Assert.NotEqual(OnNext(210, 2), OnNext(211, 2));
        Assert.NotEqual(OnNext(210, 2), OnNext(210, 3));
        Assert.Equal(OnCompleted<int>(300), OnCompleted<int>(300));
        Assert.NotEqual(OnCompleted<int>(300), OnNext(300, 0));
    }

    [Fact]
    public void ToString_is_value_at_time()
    {
        Assert.Equal("OnNext(42)@210", OnNext(210, 42).ToString());
        Assert.Equal("OnCompleted()@300", OnCompleted<int>(300).ToString());
        Assert.Equal("null@5", new Recorded<string?>(5, null).ToString());
    }

    [Fact]
    public void A_failed_list_comparison_names_the_differing_records()
    {
        Recorded<Notification<int>>[] expected = [OnNext(210, 1), OnNext(300, 3)];
        Recorded<Notification<int>>[] actual = [OnNext(210, 1), OnNext(301, 3)];

        var failure = Assert.Throws<EqualException>(() => Assert.Equal(expected, actual));

        Assert.Contains("OnNext(3)@300", failure.Message, StringComparison.Ordinal);
        Assert.Contains("OnNext(3)@301", failure.Message, StringComparison.Ordinal);
    }
}
