using System.Reactive;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Testing.Tests.Recording;

public class ReactiveTestTests
{
    [Fact]
    public void The_classic_default_times_are_100_200_and_1000()
    {
        Assert.Equal(100, Created);
        Assert.Equal(200, Subscribed);
        Assert.Equal(1000, Disposed);
    }

    [Fact]
    public void Factories_build_the_matching_notifications()
    {
        var error = new InvalidOperationException();

        Assert.Equal(new Recorded<Notification<int>>(10, Notification.CreateOnNext(1)), OnNext(10, 1));
        Assert.Equal(new Recorded<Notification<int>>(20, Notification.CreateOnCompleted<int>()), OnCompleted<int>(20));
        Assert.Equal(new Recorded<Notification<int>>(30, Notification.CreateOnError<int>(error)), OnError<int>(30, error));
        Assert.Equal(NotificationKind.OnError, OnError<int>(30, error).Value.Kind);
        Assert.Same(error, OnError<int>(30, error).Value.Exception);
    }

    [Fact]
    public void Witness_overloads_infer_the_element_type()
    {
        var witness = new { Id = 1 };
        var error = new InvalidOperationException();

        var completed = OnCompleted(20, witness);
        var failed = OnError(30, error, witness);
        var failedMatch = OnError(30, e => e is InvalidOperationException, witness);

        Assert.Equal(NotificationKind.OnCompleted, completed.Value.Kind);
        Assert.Equal(NotificationKind.OnError, failed.Value.Kind);
        Assert.Equal(failedMatch, failed);
    }

    [Fact]
    public void OnNext_predicate_matches_values_that_satisfy_it_at_the_same_time()
    {
        var expected = OnNext<int>(210, x => x > 10);

        Assert.Equal(expected, OnNext(210, 11));
        Assert.NotEqual(expected, OnNext(210, 10));
        Assert.NotEqual(expected, OnNext(211, 11));
        Assert.NotEqual(expected, OnCompleted<int>(210));
        Assert.Equal("OnNext(<predicate>)@210", expected.ToString());
    }

    [Fact]
    public void OnError_predicate_matches_exceptions_that_satisfy_it()
    {
        var expected = OnError<int>(400, e => e is ArgumentException { ParamName: "x" });

        Assert.Equal(expected, OnError<int>(400, new ArgumentException("bad", "x")));
        Assert.NotEqual(expected, OnError<int>(400, new ArgumentException("bad", "y")));
        Assert.NotEqual(expected, OnError<int>(400, new InvalidOperationException()));
        Assert.NotEqual(expected, OnNext(400, 1));
        Assert.Equal("OnError(<predicate>)@400", expected.ToString());
    }

    [Fact]
    public void Predicates_mix_with_values_in_a_whole_list_comparison()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1.5), OnNext(220, 2.25), OnError<double>(230, new TimeoutException("late")));

        var res = scheduler.Start(() => xs);

        Assert.Equal(
            [OnNext(210, 1.5), OnNext<double>(220, x => Math.Abs(x - 2.25) < 1e-9), OnError<double>(230, e => e.Message == "late")],
            res.Messages);
    }

    [Fact]
    public void Factories_reject_null_arguments()
    {
        Assert.Equal("predicate", Assert.Throws<ArgumentNullException>(() => OnNext<int>(1, (Func<int, bool>)null!)).ParamName);
        Assert.Equal("predicate", Assert.Throws<ArgumentNullException>(() => OnError<int>(1, (Func<Exception, bool>)null!)).ParamName);
        Assert.Equal("exception", Assert.Throws<ArgumentNullException>(() => OnError<int>(1, (Exception)null!)).ParamName);
    }
}
