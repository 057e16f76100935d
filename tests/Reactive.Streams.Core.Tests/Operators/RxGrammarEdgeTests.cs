using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Streams.Testing;
using Reactive.Streams.Tests.Support;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// The Rx grammar at the edges, in virtual time: a source that breaks it after its terminal, a null error, an observer
/// that throws in OnError, SubscribeAsync on the trivial sources and a handler that disposes its own subscription, and
/// Rx operators around the policy operators.
/// </summary>
public class RxGrammarEdgeTests
{
    /// <summary>A bare source (not an Rx Producer, so nothing in Rx filters what it calls).</summary>
    private sealed class BareSource<T> : IObservable<T>
    {
        public IObserver<T>? Observer { get; private set; }

        public int Disposals { get; private set; }

        public IDisposable Subscribe(IObserver<T> observer)
        {
            Observer = observer;
            return Disposable.Create(() => Disposals++);
        }
    }

    [Theory]
    [InlineData(BackpressurePolicy.DropOldest)]
    [InlineData(BackpressurePolicy.DegradeQuality)]
    [InlineData(BackpressurePolicy.PauseUpstream)]
    [InlineData(BackpressurePolicy.Fail)]
    public void Calls_after_the_sources_terminal_are_ignored_and_not_counted(BackpressurePolicy policy)
    {
        var scheduler = new TestScheduler();
        var source = new BareSource<int>();
        var observer = scheduler.CreateObserver<int>();
        var subscription = source.WithBackpressure(policy, 4, x => x, scheduler).Subscribe(observer);
        scheduler.ScheduleAbsolute(10, () =>
        {
            source.Observer!.OnNext(1);
            source.Observer.OnCompleted();
            source.Observer.OnNext(2);
            source.Observer.OnError(new InvalidOperationException("late"));
            source.Observer.OnCompleted();
        });

        scheduler.Start();

        Assert.Equal([OnNext(11, 1), OnCompleted<int>(11)], observer.Messages);
        Assert.Equal(1, source.Disposals);
        var metrics = ((IMeteredStream)subscription).GetMetrics();
        Assert.Equal(1, metrics.ItemsPushed);
        Assert.Equal(1, metrics.ItemsDelivered);
        Assert.Equal(0, metrics.Depth);
    }

    [Fact]
    public void A_null_error_from_the_source_reaches_the_observer_as_an_ArgumentNullException()
    {
        var scheduler = new TestScheduler();
        var source = new BareSource<int>();
        var observer = scheduler.CreateObserver<int>();
        source.DropOldest(4, scheduler).Subscribe(observer);
        source.Observer!.OnNext(1);
        source.Observer.OnError(null!);

        scheduler.Start();

        Assert.Equal(2, observer.Messages.Count);
        Assert.Equal(OnNext(1, 1), observer.Messages[0]);
        Assert.IsType<ArgumentNullException>(observer.Messages[1].Value.Exception);
    }

    [Fact]
    public void An_observer_that_throws_in_OnError_is_called_once_and_the_exception_reaches_the_scheduler()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnError<int>(220, new InvalidOperationException("source")));
        var calls = 0;
        var boom = new FormatException("observer");
        scheduler.ScheduleAbsolute(0, 200, (_, _) => xs.DropOldest(4, scheduler).Subscribe(_ => { }, _ =>
        {
            calls++;
            throw boom;
        }));

        Assert.Same(boom, Assert.Throws<FormatException>(() => scheduler.Start()));
        scheduler.Stop();
        scheduler.Start();

        Assert.Equal(1, calls);
        Assert.Equal([Subscribe(200, 220)], xs.Subscriptions);
    }

    [Fact]
    public async Task SubscribeAsync_on_an_empty_a_failed_and_a_silent_source_ends_as_ForEachAsync_would()
    {
        var empty = Observable.Empty<int>().SubscribeAsync((_, _) => ValueTask.CompletedTask, BackpressurePolicy.DropOldest, 4, scheduler: ImmediateScheduler.Instance);
        await empty.Completion.WaitAsync(TestLimits.Hang);

        var boom = new InvalidOperationException("source");
        var failed = Observable.Throw<int>(boom).SubscribeAsync((_, _) => ValueTask.CompletedTask, BackpressurePolicy.DropOldest, 4, scheduler: ImmediateScheduler.Instance);
        Assert.Same(boom, await Assert.ThrowsAsync<InvalidOperationException>(() => failed.Completion.WaitAsync(TestLimits.Hang)));

        var silent = Observable.Never<int>().SubscribeAsync((_, _) => ValueTask.CompletedTask, BackpressurePolicy.DropOldest, 4, scheduler: ImmediateScheduler.Instance);
        Assert.False(silent.Completion.IsCompleted);
        silent.Dispose();
        await silent.Completion.WaitAsync(TestLimits.Hang);
        Assert.True(silent.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task SubscribeAsync_handler_that_disposes_its_own_subscription_sees_its_token_cancelled_and_no_later_item()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var seen = new List<int>();
        var cancelledInside = false;
        BackpressureSubscription? subscription = null;
        subscription = subject.SubscribeAsync((x, token) =>
        {
            seen.Add(x);
            if (x == 2)
            {
                subscription!.Dispose();
                cancelledInside = token.IsCancellationRequested;
            }

            return ValueTask.CompletedTask;
        }, BackpressurePolicy.DropOldest, 4, scheduler: scheduler);
        subject.OnNext(1);
        subject.OnNext(2);
        subject.OnNext(3);

        scheduler.AdvanceBy(1);

        Assert.Equal([1, 2], seen);
        Assert.True(cancelledInside);
        Assert.False(subject.HasObservers);
        await subscription.Completion.WaitAsync(TestLimits.Hang);
        Assert.True(subscription.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public void BackpressureObserver_ignores_what_follows_its_completion_and_counts_only_what_it_took()
    {
        var scheduler = new TestScheduler();
        var seen = new List<int>();
        var observer = new BackpressureObserver<int>((x, _) =>
        {
            seen.Add(x);
            return ValueTask.CompletedTask;
        }, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2), scheduler);
        observer.OnNext(1);
        observer.OnCompleted();
        observer.OnNext(2);
        observer.OnError(new InvalidOperationException("late"));

        Assert.True(observer.IsStopped);
        scheduler.AdvanceBy(1);

        Assert.Equal([1], seen);
        Assert.True(observer.Completion.IsCompletedSuccessfully);
        Assert.Equal(1, observer.GetMetrics().ItemsPushed);
    }

    [Fact]
    public void Merge_of_two_operators_delivers_each_in_time_and_lets_each_source_go_at_its_terminal()
    {
        var scheduler = new TestScheduler();
        var error = new InvalidOperationException("ys");
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(220, 2), OnCompleted<int>(230));
        var ys = scheduler.CreateHotObservable(OnNext(215, 10), OnNext(225, 20), OnError<int>(240, error));

        var results = scheduler.Start(() => xs.DropOldest(2, scheduler).Merge(ys.FailOnOverflow(2, scheduler)));

        Assert.Equal([OnNext(211, 1), OnNext(216, 10), OnNext(221, 2), OnNext(226, 20), OnError<int>(241, error)], results.Messages);
        Assert.Equal([Subscribe(200, 230)], xs.Subscriptions);
        Assert.Equal([Subscribe(200, 240)], ys.Subscriptions);
    }

    [Fact]
    public void Buffer_before_the_operator_is_one_item_per_batch_under_the_policy()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnCompleted<int>(300));

        var results = scheduler.Start(() => xs.Buffer(2).DropOldest(1, scheduler).Select(batch => batch.Count));

        // [1, 2] at 210; the rest, [3], at the completion.
        Assert.Equal([OnNext(211, 2), OnNext(301, 1), OnCompleted<int>(301)], results.Messages);
    }

    [Fact]
    public void BackpressureObserver_OnNext_throws_only_what_OnDropped_throws_after_buffering_the_item_and_goes_on()
    {
        var scheduler = new TestScheduler();
        var seen = new List<int>();
        var dropped = new FormatException("onDropped");
        var observer = new BackpressureObserver<int>((x, _) =>
        {
            seen.Add(x);
            return ValueTask.CompletedTask;
        }, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 1) { OnDropped = _ => throw dropped }, scheduler);
        observer.OnNext(1);

        Assert.Same(dropped, Assert.Throws<FormatException>(() => observer.OnNext(2)));

        Assert.False(observer.IsStopped);
        observer.OnCompleted();
        scheduler.AdvanceBy(1);
        Assert.Equal([2], seen);
        Assert.True(observer.Completion.IsCompletedSuccessfully);
    }
}
