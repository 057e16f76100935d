using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Streams.Testing;
using Reactive.Streams.Tests.Support;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// The policy operators and SubscribeAsync composed with Rx operators before and after them (Retry, Publish/RefCount,
/// Replay, Switch, Concat, Catch, Buffer), an observer that ends its own subscription or throws at completion, the
/// task pool's dedicated drain against a disposal, the PauseUpstream timeout's edge values, and the scheduler argument.
/// </summary>
public class RxCompositionTests
{
    [Fact]
    public void Retry_resubscribes_with_a_fresh_buffer()
    {
        var scheduler = new TestScheduler();
        var boom = new InvalidOperationException("boom");
        var xs = scheduler.CreateColdObservable(OnNext(10, 1), OnNext(10, 2), OnNext(10, 3), OnError<int>(20, boom));

        var observer = scheduler.Start(() => xs.DropOldest(2, scheduler).Retry(2));

        Assert.Equal([OnNext(211, 2), OnNext(211, 3), OnNext(232, 2), OnNext(232, 3), OnError<int>(242, boom)], observer.Messages);
        Assert.Equal([Subscribe(200, 220), Subscribe(221, 241)], xs.Subscriptions);
    }

    [Fact]
    public void Retry_on_a_dedicated_thread_scheduler_starts_each_attempt_with_a_fresh_buffer_and_drain()
    {
        // NewThreadScheduler offers long-running work: each subscription gets a parked drain thread of its own, which
        // must end with its attempt (the error) and not carry items or a terminal into the next one.
        var attempt = 0;
        var source = Observable.Defer(() =>
        {
            attempt++;
            return Observable.Range(0, 3).Concat(Observable.Throw<int>(new ArithmeticException($"attempt {attempt}")));
        });

        var messages = source.DropOldest(8, NewThreadScheduler.Default).Retry(3).Materialize().ToList().Wait();

        Assert.Equal([0, 1, 2, 0, 1, 2, 0, 1, 2], messages.Where(static m => m.Kind == NotificationKind.OnNext).Select(static m => m.Value));
        Assert.Equal("attempt 3", Assert.IsType<ArithmeticException>(messages[^1].Exception).Message);
        Assert.Equal(10, messages.Count);
    }

    [Fact]
    public void Window_after_the_operator_cuts_what_it_delivers_and_closes_at_its_completion()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(220, 4), OnCompleted<int>(230));

        var observer = scheduler.Start(() => xs.DropOldest(2, scheduler).Window(2).SelectMany(static w => w.ToList()).Select(static l => string.Join(",", l)));

        // 1 was dropped; the first window is the pass at 211, the second holds 4 and closes with the completion at 231.
        Assert.Equal([OnNext(211, "2,3"), OnNext(231, "4"), OnCompleted<string>(231)], observer.Messages);
    }

    [Fact]
    public void Behind_Publish_RefCount_each_subscription_has_its_own_buffer_and_the_source_one_subscription()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnCompleted<int>(300));
        var shared = xs.Publish().RefCount().DropOldest(2, scheduler);
        var a = scheduler.CreateObserver<int>();
        var b = scheduler.CreateObserver<int>();
        scheduler.ScheduleAbsolute(0, 200, (_, _) => shared.Subscribe(a));
        scheduler.ScheduleAbsolute(0, 200, (_, _) => shared.Subscribe(b));

        scheduler.Start();

        Assert.Equal([OnNext(211, 2), OnNext(211, 3), OnCompleted<int>(301)], a.Messages);
        Assert.Equal([OnNext(211, 2), OnNext(211, 3), OnCompleted<int>(301)], b.Messages);
        Assert.Equal([Subscribe(200, 300)], xs.Subscriptions);
    }

    [Fact]
    public void A_Replay_upstream_that_replays_during_Subscribe_within_the_capacity_is_delivered_whole()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnCompleted<int>(300));
        var replayed = xs.Replay();
        replayed.Connect();
        var observer = scheduler.Start(() => replayed.PauseUpstream(4, scheduler), 100, 250, 1000);

        Assert.Equal([OnNext(251, 1), OnNext(251, 2), OnNext(251, 3), OnCompleted<int>(301)], observer.Messages);
    }

    [Fact]
    public void Switch_lets_go_of_the_previous_inner_operator_at_the_switch()
    {
        var scheduler = new TestScheduler();
        var inner1 = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(260, 2));
        var inner2 = scheduler.CreateHotObservable(OnNext(270, 3), OnCompleted<int>(290));
        var outer = scheduler.CreateHotObservable(
            OnNext<IObservable<int>>(205, inner1.DropOldest(2, scheduler)),
            OnNext<IObservable<int>>(250, inner2.DropOldest(2, scheduler)),
            OnCompleted<IObservable<int>>(280));

        var observer = scheduler.Start(() => outer.Switch());

        Assert.Equal([OnNext(211, 1), OnNext(271, 3), OnCompleted<int>(291)], observer.Messages);
        Assert.Equal([Subscribe(205, 250)], inner1.Subscriptions);
    }

    [Fact]
    public void Concat_subscribes_the_second_operator_after_the_first_has_delivered_its_completion()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdObservable(OnNext(10, 1), OnCompleted<int>(20));
        var ys = scheduler.CreateColdObservable(OnNext(10, 2), OnCompleted<int>(20));

        var observer = scheduler.Start(() => xs.FailOnOverflow(2, scheduler).Concat(ys.FailOnOverflow(2, scheduler)));

        Assert.Equal([OnNext(211, 1), OnNext(232, 2), OnCompleted<int>(242)], observer.Messages);
    }

    [Fact]
    public void Catch_after_a_Fail_overflow_switches_to_the_fallback_after_the_buffered_items()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(220, 4));

        var observer = scheduler.Start(() => xs.FailOnOverflow(2, scheduler).Catch<int, StreamOverflowException>(_ => Observable.Return(-1, scheduler)));

        Assert.Equal([OnNext(211, 1), OnNext(211, 2), OnNext(212, -1), OnCompleted<int>(212)], observer.Messages);
        Assert.Equal([Subscribe(200, 210)], xs.Subscriptions);
    }

    [Fact]
    public void Disposing_the_subscription_inside_OnNext_stops_the_rest_of_the_batch_and_the_terminal()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnCompleted<int>(220));
        var seen = new List<int>();
        var d = new SingleAssignmentDisposable();
        scheduler.ScheduleAbsolute(0, 200, (_, _) =>
        {
            d.Disposable = xs.DropOldest(4, scheduler).Subscribe(x =>
            {
                seen.Add(x);
                d.Dispose();
            }, _ => seen.Add(-1), () => seen.Add(-2));
            return Disposable.Empty;
        });

        scheduler.Start();

        Assert.Equal([1], seen);
        Assert.Equal([Subscribe(200, 211)], xs.Subscriptions);
    }

    [Fact]
    public void An_observer_that_throws_in_OnCompleted_is_called_once_and_the_exception_reaches_the_scheduler()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnCompleted<int>(220));
        var boom = new InvalidOperationException("x");
        var completions = 0;
        scheduler.ScheduleAbsolute(0, 200, (_, _) => xs.DropOldest(4, scheduler).Subscribe(_ => { }, () =>
        {
            completions++;
            throw boom;
        }));

        Assert.Same(boom, Assert.Throws<InvalidOperationException>(() => scheduler.Start()));
        scheduler.Start();
        Assert.Equal(1, completions);
    }

    [Fact]
    public void Buffer_after_the_operator_groups_what_it_delivers()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(220, 3), OnCompleted<int>(230));

        var observer = scheduler.Start(() => xs.PauseUpstream(4, scheduler).Buffer(2).Select(b => b.Sum()));

        Assert.Equal([OnNext(211, 3), OnNext(231, 3), OnCompleted<int>(231)], observer.Messages);
    }

    [Fact]
    public async Task On_the_task_pool_at_most_the_OnNext_already_decided_starts_after_Dispose_returns()
    {
        // The drain looks at the disposal before each call, as ObserveOn does; a call it had decided to make when Dispose
        // ran on this thread may still start after Dispose returns (a disposal cannot wait for a call that may be its
        // own caller's), but never a second one. Asserting none failed once in a CI run.
        for (var round = 0; round < 20; round++)
        {
            var subject = new Subject<int>();
            var afterDispose = 0;
            var disposed = 0;
            var gate = new ManualResetEventSlim();
            var sub = subject.DropOldest(16, TaskPoolScheduler.Default).Subscribe(x =>
            {
                if (Volatile.Read(ref disposed) == 1)
                {
                    Interlocked.Increment(ref afterDispose);
                }

                gate.Set();
            });
            var producer = Task.Run(() =>
            {
                for (var i = 0; i < 10_000; i++)
                {
                    subject.OnNext(i);
                }
            });
            gate.Wait(TestLimits.Hang);
            sub.Dispose();
            Volatile.Write(ref disposed, 1);
            await producer.WaitAsync(TestLimits.Hang);
            Assert.InRange(Volatile.Read(ref afterDispose), 0, 1);
            Assert.False(subject.HasObservers);
        }
    }

    private sealed class ThrowingScheduler : LocalScheduler
    {
        public override IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action) =>
            throw new NotSupportedException("refuses");
    }

    [Fact]
    public void SubscribeAsync_on_a_scheduler_that_throws_on_Schedule_faults_Completion_and_lets_the_source_go()
    {
        var subject = new Subject<int>();
        var sub = subject.SubscribeAsync((_, _) => ValueTask.CompletedTask, BackpressurePolicy.DropOldest, 4, scheduler: new ThrowingScheduler());
        subject.OnNext(1);
        Assert.True(sub.Completion.IsFaulted);
        Assert.IsType<NotSupportedException>(sub.Completion.Exception!.InnerException);
        Assert.False(subject.HasObservers);
    }

    [Fact]
    public void SubscribeAsync_on_a_TestScheduler_handles_in_virtual_time_and_counts_every_item()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(220, 3), OnCompleted<int>(300));
        var seen = new List<(long, int)>();
        BackpressureSubscription? sub = null;
        scheduler.ScheduleAbsolute(0, 200, (_, _) => sub = xs.SubscribeAsync((x, _) =>
        {
            seen.Add((scheduler.Clock, x));
            return ValueTask.CompletedTask;
        }, BackpressurePolicy.Fail, 2, scheduler: scheduler));

        scheduler.Start();

        Assert.Equal([(211L, 1), (211L, 2), (221L, 3)], seen);
        Assert.True(sub!.Completion.IsCompletedSuccessfully);
        Assert.True(sub.GetMetrics().IsConserved);
        Assert.Equal(3, sub.GetMetrics().ItemsDelivered);
    }

    [Fact]
    public void PauseUpstream_accepts_an_infinite_timeout()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnCompleted<int>(300));
        var observer = scheduler.Start(() => xs.PauseUpstream(2, Timeout.InfiniteTimeSpan, scheduler));
        Assert.Equal([OnNext(211, 1), OnCompleted<int>(301)], observer.Messages);
    }

    [Fact]
    public async Task PauseUpstream_with_a_zero_timeout_faults_at_the_first_push_that_finds_the_buffer_full()
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var messages = new List<Notification<int>>();
        subject.PauseUpstream(1, TimeSpan.Zero, scheduler).Materialize().Subscribe(messages.Add);

        // A dedicated thread: a pool thread may be the very thread that subscribed (this test's, back in the pool at
        // the await), which the operator takes for the one that advances the stopped clock, and fails fast instead.
        await Task.Factory.StartNew(
            () =>
            {
                subject.OnNext(1);
                subject.OnNext(2);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).WaitAsync(TestLimits.Hang);
        scheduler.Start();
        Assert.Equal(1, messages[0].Value);
        Assert.IsType<StreamOverflowException>(messages[1].Exception);
        Assert.False(subject.HasObservers);
    }

    [Fact]
    public async Task SubscribeAsync_handler_that_throws_for_its_cancelled_token_after_disposal_completes_Completion()
    {
        var subject = new Subject<int>();
        var started = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var sub = subject.SubscribeAsync(async (_, ct) =>
        {
            started.SetResult();
            await release.Task;
            ct.ThrowIfCancellationRequested();
        }, BackpressurePolicy.DropOldest, 4);
        subject.OnNext(1);
        await started.Task.WaitAsync(TestLimits.Hang);
        sub.Dispose();
        release.SetResult();
        await sub.Completion.WaitAsync(TestLimits.Hang);
    }

    [Fact]
    public void Two_subscriptions_to_one_operator_have_separate_counters()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3));
        var op = xs.DropOldest(2, scheduler);
        IDisposable? s1 = null, s2 = null;
        var o1 = scheduler.CreateObserver<int>();
        var o2 = scheduler.CreateObserver<int>();
        scheduler.ScheduleAbsolute(0, 200, (_, _) => s1 = op.Subscribe(o1));
        scheduler.ScheduleAbsolute(0, 215, (_, _) => s2 = op.Subscribe(o2));
        scheduler.Start();

        // The second subscribed after the burst: its buffer saw nothing of it.
        Assert.Equal(new StreamMetricsSnapshot(3, 2, 1, 0, 0, 0, 0, 0), ((IMeteredStream)s1!).GetMetrics());
        Assert.Equal(default, ((IMeteredStream)s2!).GetMetrics());
        Assert.Equal([OnNext(211, 2), OnNext(211, 3)], o1.Messages);
        Assert.Empty(o2.Messages);
    }

    [Fact]
    public void On_the_immediate_scheduler_a_source_error_follows_every_item_before_it()
    {
        var boom = new InvalidOperationException();
        var messages = Observable.Range(0, 3).Concat(Observable.Throw<int>(boom)).DropOldest(8, ImmediateScheduler.Instance).Materialize().ToList().Wait();
        Assert.Equal(4, messages.Count);
        Assert.Same(boom, messages[3].Exception);
    }

    [Fact]
    public async Task SubscribeAsync_Completion_faults_with_the_source_error_after_every_item_before_it_was_handled()
    {
        var boom = new InvalidOperationException();
        var seen = new List<int>();
        var sub = Observable.Range(0, 5).Concat(Observable.Throw<int>(boom)).SubscribeAsync(async (x, ct) =>
        {
            await Task.Yield();
            seen.Add(x);
        }, BackpressurePolicy.PauseUpstream, 2);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => sub.Completion.WaitAsync(TestLimits.Hang));
        Assert.Same(boom, error);
        Assert.Equal([0, 1, 2, 3, 4], seen);
    }

    [Theory]
    [InlineData(BackpressurePolicy.PauseUpstream)]
    [InlineData(BackpressurePolicy.Fail)]
    public async Task SubscribeAsync_on_the_immediate_scheduler_with_a_synchronous_handler_handles_a_synchronous_source_whole(BackpressurePolicy policy)
    {
        var seen = new List<int>();
        var sub = Observable.Range(0, 10, ImmediateScheduler.Instance).SubscribeAsync((x, _) =>
        {
            seen.Add(x);
            return ValueTask.CompletedTask;
        }, policy, 2, scheduler: ImmediateScheduler.Instance);
        await sub.Completion.WaitAsync(TestLimits.Hang);
        Assert.Equal(Enumerable.Range(0, 10), seen);
    }

    public static TheoryData<string> EndingsOfASubscription() => ["completed then disposed", "overflowed then disposed", "disposed twice", "observer disposed it then disposed again"];

    [Theory]
    [MemberData(nameof(EndingsOfASubscription))]
    public void The_source_subscription_is_disposed_exactly_once_however_the_subscription_ends(string ending)
    {
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var disposals = 0;
        var source = Observable.Create<int>(observer =>
        {
            var inner = subject.Subscribe(observer);
            return Disposable.Create(() =>
            {
                disposals++;
                inner.Dispose();
            });
        });
        IDisposable? subscription = null;
        subscription = source.FailOnOverflow(2, scheduler).Subscribe(_ =>
        {
            if (ending.StartsWith("observer", StringComparison.Ordinal))
            {
                subscription!.Dispose();
            }
        }, _ => { });

        scheduler.ScheduleAbsolute(0, 10, (_, _) =>
        {
            subject.OnNext(1);
            if (ending.StartsWith("overflowed", StringComparison.Ordinal))
            {
                subject.OnNext(2);
                subject.OnNext(3);
            }
            else if (ending.StartsWith("completed", StringComparison.Ordinal))
            {
                subject.OnCompleted();
            }

            return Disposable.Empty;
        });
        scheduler.Start();
        subscription.Dispose();
        if (ending == "disposed twice" || ending.EndsWith("disposed again", StringComparison.Ordinal))
        {
            subscription.Dispose();
        }

        Assert.Equal(1, disposals);
        Assert.False(subject.HasObservers);
    }
}
