using System.Globalization;
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

    [Fact]
    public void Records_print_their_values_in_the_invariant_culture_too()
    {
        // docs/testing.md: "Text is culture-independent". A test that compares string.Join(", ", observer.Messages) with
        // a literal, as the page's first example prints it, must not fail on a machine whose culture writes 1,5 or ~1.
        var previous = CultureInfo.CurrentCulture;
        var culture = (CultureInfo)CultureInfo.GetCultureInfo("de-DE").Clone();
        culture.NumberFormat.NegativeSign = "~";
        CultureInfo.CurrentCulture = culture;
        try
        {
            Assert.Equal("OnNext(1.5)@210", OnNext(210, 1.5).ToString());
            Assert.Equal("OnNext(-1)@-3", OnNext(-3, -1).ToString());
            Assert.Equal("-2.25@7", new Recorded<double>(7, -2.25).ToString());
            Assert.Equal("OnNext(1.5 m)@5", OnNext(5, new Reading(1.5)).ToString());
            Assert.Equal("[OnNext(0.5)@1, OnCompleted()@2]", $"[{string.Join(", ", new[] { OnNext(1, 0.5), OnCompleted<double>(2) })}]");

            // The caller's culture is left as it was.
            Assert.Same(culture, CultureInfo.CurrentCulture);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    private sealed record Reading(double Meters)
    {
        public override string ToString() => string.Create(CultureInfo.CurrentCulture, $"{Meters} m");
    }
}

public class RecordedPredicateSymmetryTests
{
    [Fact]
    public void An_actual_record_compared_with_a_predicate_answers_instead_of_throwing()
    {
        var next = OnNext<int>(210, x => x > 10);
        var error = OnError<int>(400, e => e is TimeoutException);

        // Assert.Equal(actual, expected) with the arguments swapped, List.Contains, IndexOf: the actual record is the receiver.
        Assert.True(OnNext(210, 11).Equals(next));
        Assert.True(OnNext(210, 11) == next);
        Assert.False(OnNext(210, 10).Equals(next));
        Assert.False(OnNext(211, 11).Equals(next));
        Assert.False(OnCompleted<int>(210).Equals(next));
        Assert.True(OnError<int>(400, new TimeoutException()).Equals(error));
        Assert.False(OnError<int>(400, new InvalidOperationException()).Equals(error));
        Assert.False(OnNext(400, 1).Equals((object)error));
    }

    [Fact]
    public void A_predicate_is_found_in_the_recorded_messages()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(220, 12), OnError<int>(230, new TimeoutException("late")));

        var res = scheduler.Start(() => xs);

        Assert.Contains(OnNext<int>(220, x => x > 10), res.Messages);
        Assert.Equal(1, res.Messages.ToList().IndexOf(OnNext<int>(220, x => x > 10)));
        Assert.Contains(OnError<int>(230, e => e.Message == "late"), res.Messages);
        Assert.DoesNotContain(OnNext<int>(210, x => x > 10), res.Messages);
    }

    [Fact]
    public void Records_that_are_equal_hash_equal_even_when_one_is_a_predicate()
    {
        var expected = OnNext<int>(210, x => x > 10);
        var actual = OnNext(210, 11);
        var failed = OnError<int>(400, new TimeoutException());

        Assert.Equal(expected, actual);
        Assert.Equal(expected.GetHashCode(), actual.GetHashCode());
        Assert.Equal(OnError<int>(400, e => e is TimeoutException).GetHashCode(), failed.GetHashCode());
        Assert.Contains(expected, new HashSet<Recorded<Notification<int>>> { OnNext(200, 1), actual });
        Assert.Contains(actual, new HashSet<Recorded<Notification<int>>> { OnNext(200, 1), expected });
    }

    [Fact]
    public void Two_distinct_predicates_are_not_equal_and_a_predicate_equals_itself()
    {
        var a = OnNext<int>(210, x => x > 10);
        var b = OnNext<int>(210, x => x > 10);

        Assert.True(a.Equals(a));
        Assert.False(a.Equals(b));
        Assert.Equal(a.GetHashCode(), a.GetHashCode());
    }
}
