using System.Reactive.Linq;
using Reactive.Streams.Testing;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// Issue 3 read literally: "SubscribeAsync for a slow async consumer behind a fast hot source", every policy, in virtual
/// time. The handler takes <see cref="HandlerTicks"/> virtual ticks (its task completes from work scheduled on the
/// same <see cref="TestScheduler"/>), the hot source pushes every 5 ticks, and the test compares the whole list of
/// (virtual time, item) handled, the source's subscription log and the virtual time at which
/// <see cref="BackpressureSubscription.Completion"/> ends. Also: the policy operators re-subscribed by <c>Repeat</c>
/// get a fresh buffer each time, with <c>ObserveOn</c> as the oracle where no policy applies; the bridge pair
/// (<c>ToBoundedStream</c> then <c>AsObservable</c>) delivers what the operator delivers; and PauseUpstream fails fast on
/// a push from another thread while the clock runs.
/// </summary>
public sealed class SlowHandlerVirtualTimeTests
{
    private const long HandlerTicks = 20;

    // The handler's task completes on the thread advancing the clock; the loop's await resumes inline there only if
    // that thread has no SynchronizationContext of its own (xUnit gives its test threads one, which would post the
    // continuation to the pool, off the virtual clock).
    private static void OnPlainThread(Action test)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            test();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private static (List<(long Time, int Item)> Handled, BackpressureSubscription Subscription, ITestableObservable<int> Source) SubscribeSlow(
        TestScheduler scheduler, BackpressurePolicy policy, Func<int, int>? degrader = null)
    {
        var xs = scheduler.CreateHotObservable(
            OnNext(150, 0), OnNext(210, 1), OnNext(215, 2), OnNext(220, 3), OnNext(225, 4), OnNext(230, 5), OnCompleted<int>(300));
        var handled = new List<(long, int)>();
        BackpressureSubscription? subscription = null;
        scheduler.ScheduleAbsolute(0, 200, (_, _) =>
        {
            subscription = xs.SubscribeAsync(
                (x, _) =>
                {
                    handled.Add((scheduler.Clock, x));
                    var done = new TaskCompletionSource();
                    scheduler.ScheduleRelative(0, HandlerTicks, (_, _) =>
                    {
                        done.SetResult();
                        return System.Reactive.Disposables.Disposable.Empty;
                    });
                    return new ValueTask(done.Task);
                },
                policy,
                capacity: 2,
                degrader,
                scheduler);
            return System.Reactive.Disposables.Disposable.Empty;
        });

        scheduler.AdvanceTo(200);
        return (handled, subscription!, xs);
    }

    private static long CompletionTime(TestScheduler scheduler, Task completion)
    {
        while (!completion.IsCompleted && scheduler.Clock < 2000)
        {
            scheduler.AdvanceBy(1);
        }

        return scheduler.Clock;
    }

    [Fact]
    public void DropOldest_hands_the_slow_handler_the_newest_items_and_completes_after_the_last_one_is_handled() => OnPlainThread(() =>
    {
            var scheduler = new TestScheduler();
            var (handled, subscription, xs) = SubscribeSlow(scheduler, BackpressurePolicy.DropOldest);

            var completedAt = CompletionTime(scheduler, subscription.Completion);

            // 1 is handled from 211 to 231; meanwhile 2..5 arrive into a buffer of 2, which keeps 4 and 5.
            Assert.Equal([(211L, 1), (231L, 4), (251L, 5)], handled);
            Assert.Equal(301, completedAt);
            Assert.True(subscription.Completion.IsCompletedSuccessfully);
            Assert.Equal([Subscribe(200, 300)], xs.Subscriptions);
            var metrics = subscription.GetMetrics();
            Assert.Equal((5L, 3L, 2L), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.ItemsEvicted));
            Assert.True(metrics.IsConserved);
    });

    [Fact]
    public void DegradeQuality_hands_the_slow_handler_the_degraded_newest_items() => OnPlainThread(() =>
    {
            var scheduler = new TestScheduler();
            var (handled, subscription, xs) = SubscribeSlow(scheduler, BackpressurePolicy.DegradeQuality, x => x * 10);

            var completedAt = CompletionTime(scheduler, subscription.Completion);

            Assert.Equal([(211L, 1), (231L, 40), (251L, 50)], handled);
            Assert.Equal(301, completedAt);
            Assert.True(subscription.Completion.IsCompletedSuccessfully);
            Assert.Equal([Subscribe(200, 300)], xs.Subscriptions);
            Assert.Equal(2, subscription.GetMetrics().DegradeQualityHits);
            Assert.True(subscription.GetMetrics().IsConserved);
    });

    [Fact]
    public void Fail_lets_the_source_go_at_the_overflow_and_faults_Completion_once_the_buffered_items_are_handled() => OnPlainThread(() =>
    {
            var scheduler = new TestScheduler();
            var (handled, subscription, xs) = SubscribeSlow(scheduler, BackpressurePolicy.Fail);

            var completedAt = CompletionTime(scheduler, subscription.Completion);

            // 4 finds 2 and 3 buffered: the source goes at 225, and 2 and 3 are still handled before the fault.
            Assert.Equal([(211L, 1), (231L, 2), (251L, 3)], handled);
            Assert.Equal(271, completedAt);
            Assert.IsType<StreamOverflowException>(subscription.Completion.Exception!.InnerException);
            Assert.Equal([Subscribe(200, 225)], xs.Subscriptions);
            var metrics = subscription.GetMetrics();
            Assert.Equal((4L, 3L, 1L), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.FailOverflows));
            Assert.True(metrics.IsConserved);
    });

    [Fact]
    public void PauseUpstream_fails_fast_when_the_virtual_clock_itself_would_block_and_still_handles_what_was_buffered() => OnPlainThread(() =>
    {
            var scheduler = new TestScheduler();
            var (handled, subscription, xs) = SubscribeSlow(scheduler, BackpressurePolicy.PauseUpstream);

            var completedAt = CompletionTime(scheduler, subscription.Completion);

            // The push of 4 at 225 runs on the clock's own thread, which alone can complete the running handler: blocking
            // it would never end, so the stream fails fast (the source goes at 225) after 2 and 3.
            Assert.Equal([(211L, 1), (231L, 2), (251L, 3)], handled);
            Assert.Equal(271, completedAt);
            var error = Assert.IsType<InvalidOperationException>(subscription.Completion.Exception!.InnerException);
            Assert.Contains(subscription.Name, error.Message, StringComparison.Ordinal);
            Assert.Equal([Subscribe(200, 225)], xs.Subscriptions);
            Assert.True(subscription.GetMetrics().IsConserved);
    });

    [Fact]
    public void Disposal_while_the_slow_handler_runs_cancels_its_token_at_that_virtual_time_and_ends_at_once() => OnPlainThread(() =>
    {
            var scheduler = new TestScheduler();
            var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(215, 2), OnNext(220, 3), OnNext(250, 4), OnCompleted<int>(300));
            var handled = new List<(long, int)>();
            var cancelledAt = new List<(long, int)>();
            BackpressureSubscription? subscription = null;
            scheduler.ScheduleAbsolute(0, 200, (_, _) =>
            {
                subscription = xs.SubscribeAsync(
                    (x, ct) =>
                    {
                        handled.Add((scheduler.Clock, x));
                        var done = new TaskCompletionSource();
                        // The token is the subscription's, shared by every handler: a handler that returns lets go of it.
                        var registration = ct.Register(() =>
                        {
                            cancelledAt.Add((scheduler.Clock, x));
                            done.TrySetCanceled(ct);
                        });
                        scheduler.ScheduleRelative(0, HandlerTicks, (_, _) =>
                        {
                            registration.Dispose();
                            done.TrySetResult();
                            return System.Reactive.Disposables.Disposable.Empty;
                        });
                        return new ValueTask(done.Task);
                    },
                    BackpressurePolicy.DropOldest,
                    capacity: 2,
                    scheduler: scheduler);
                return System.Reactive.Disposables.Disposable.Empty;
            });
            scheduler.ScheduleAbsolute(0, 240, (_, _) =>
            {
                subscription!.Dispose();
                return System.Reactive.Disposables.Disposable.Empty;
            });

            scheduler.AdvanceTo(240);

            Assert.Equal([(211L, 1), (231L, 2)], handled);
            Assert.Equal([(240L, 2)], cancelledAt);
            Assert.True(subscription!.Completion.IsCompletedSuccessfully);
            Assert.Equal([Subscribe(200, 240)], xs.Subscriptions);

            scheduler.Start();

            // Nothing after the disposal: 3 stays buffered (counted in the depth), 4 is never pushed.
            Assert.Equal([(211L, 1), (231L, 2)], handled);
            var metrics = subscription.GetMetrics();
            Assert.Equal((3L, 2L, 1), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.Depth));
            Assert.True(metrics.IsConserved);
    });

    [Fact]
    public void A_push_from_another_thread_while_the_clock_runs_fails_fast_too_since_the_clocks_thread_is_unknown()
    {
        // A PauseUpstream operator cannot tell which thread advances a virtual clock (Rx does not say), so while the clock
        // runs it treats every push that finds the buffer full as one from the clock's own work, which would deadlock if
        // it blocked. Here the push comes from a thread of its own, started and awaited by work on the clock.
        var scheduler = new TestScheduler();
        var subject = new System.Reactive.Subjects.Subject<int>();
        var observer = scheduler.CreateObserver<int>();
        var subscription = (IMeteredStream)subject.PauseUpstream(1, scheduler).Subscribe(observer);
        scheduler.ScheduleAbsolute(0, 100, (_, _) =>
        {
            var producer = Task.Factory.StartNew(
                () =>
                {
                    subject.OnNext(1);
                    subject.OnNext(2); // full, while the clock runs
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            Assert.True(producer.Wait(Support.TestLimits.Hang), "the producer blocked");
            return System.Reactive.Disposables.Disposable.Empty;
        });

        scheduler.Start();

        Assert.Equal(2, observer.Messages.Count);
        Assert.Equal(OnNext(101, 1), observer.Messages[0]);
        var error = Assert.IsType<InvalidOperationException>(observer.Messages[1].Value.Exception);
        Assert.Equal(101, observer.Messages[1].Time);
        Assert.Contains(subscription.Name, error.Message, StringComparison.Ordinal);
        Assert.False(subject.HasObservers);
        var metrics = subscription.GetMetrics();
        Assert.Equal((2L, 1L, 1L, 0L), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.ItemsRejected, metrics.PauseUpstreamBlocks));
    }

    [Theory]
    [MemberData(nameof(Support.PolicyData.All), MemberType = typeof(Support.PolicyData))]
    public void Repeat_resubscribes_the_operator_with_a_fresh_buffer_as_it_resubscribes_ObserveOn(BackpressurePolicy policy)
    {
        // Three items at one tick into a buffer of three: no policy applies, so ObserveOn is the oracle, and each
        // repetition starts from an empty buffer (a buffer kept from the first would overflow the second).
        var expected = Run((xs, s) => xs.ObserveOn(s).Repeat(2), out _);
        var actual = Run((xs, s) => xs.WithBackpressure(policy, 3, x => x, s).Repeat(2), out var subscriptions);

        // ObserveOn on a TestScheduler schedules one action per item, so it spreads a burst over ticks: the values are the oracle.
        Assert.Equal(expected.Select(r => r.Value), actual.Select(r => r.Value));
        Assert.Equal(
            [OnNext(211, 1), OnNext(211, 2), OnNext(211, 3), OnNext(232, 1), OnNext(232, 2), OnNext(232, 3), OnCompleted<int>(242)],
            actual);

        // The operator lets the source go when its terminal arrives (220), and Repeat subscribes again once the
        // completion has been delivered (221).
        Assert.Equal([Subscribe(200, 220), Subscribe(221, 241)], subscriptions);
    }

    [Theory]
    [InlineData(BackpressurePolicy.DropOldest)]
    [InlineData(BackpressurePolicy.DegradeQuality)]
    [InlineData(BackpressurePolicy.Fail)]
    public void The_bridge_pair_ToBoundedStream_then_AsObservable_delivers_what_the_operator_delivers(BackpressurePolicy policy)
    {
        // PauseUpstream is left out: a bridged stream cannot tell that its reader runs on the clock that pushes, so a full
        // buffer there waits (ToBoundedStream's remarks), where the operator fails fast.
        static (IReadOnlyList<Recorded<System.Reactive.Notification<int>>>, IReadOnlyList<Subscription>) Run(Func<IObservable<int>, TestScheduler, IObservable<int>> create)
        {
            var scheduler = new TestScheduler();
            var xs = scheduler.CreateHotObservable(
                OnNext(150, 0), OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(250, 4), OnCompleted<int>(300));
            var observer = scheduler.Start(() => create(xs, scheduler));
            return (observer.Messages, xs.Subscriptions);
        }

        var (expected, expectedSubscriptions) = Run((xs, s) => xs.WithBackpressure(policy, 2, x => -x, s));
        // ToBoundedStream subscribes at once (Start's factory runs at 100): deferred to the subscription at 200, as the
        // operator subscribes.
        var (actual, actualSubscriptions) = Run((xs, s) => Observable.Defer(() => xs.ToBoundedStream(policy, 2, x => -x).AsObservable(s)));

        // Each run faults with an exception of its own: errors are compared by type.
        static IEnumerable<(long, System.Reactive.NotificationKind, int, Type?)> Shape(IEnumerable<Recorded<System.Reactive.Notification<int>>> messages) =>
            messages.Select(r => (r.Time, r.Value.Kind, r.Value.HasValue ? r.Value.Value : 0, r.Value.Exception?.GetType()));

        Assert.Equal(Shape(expected), Shape(actual));
        Assert.Equal(expectedSubscriptions, actualSubscriptions);
        Assert.Equal(
            policy switch
            {
                BackpressurePolicy.DropOldest => [OnNext(211, 2), OnNext(211, 3), OnNext(251, 4), OnCompleted<int>(301)],
                BackpressurePolicy.DegradeQuality => [OnNext(211, 2), OnNext(211, -3), OnNext(251, 4), OnCompleted<int>(301)],
                _ => [OnNext(211, 1), OnNext(211, 2), OnError<int>(211, e => e is StreamOverflowException)],
            },
            actual);
    }

    [Fact]
    public void Repeat_under_DropOldest_evicts_afresh_in_each_repetition()
    {
        var actual = Run((xs, s) => xs.DropOldest(2, s).Repeat(2), out var subscriptions);

        Assert.Equal(
            [OnNext(211, 2), OnNext(211, 3), OnNext(232, 2), OnNext(232, 3), OnCompleted<int>(242)],
            actual);
        Assert.Equal([Subscribe(200, 220), Subscribe(221, 241)], subscriptions);
    }

    private static IReadOnlyList<Recorded<System.Reactive.Notification<int>>> Run(
        Func<ITestableObservable<int>, TestScheduler, IObservable<int>> create, out IReadOnlyList<Subscription> subscriptions)
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdObservable(OnNext(10, 1), OnNext(10, 2), OnNext(10, 3), OnCompleted<int>(20));
        var observer = scheduler.Start(() => create(xs, scheduler));
        subscriptions = xs.Subscriptions;
        return observer.Messages;
    }
}
