using Reactive.Streams.Tests.Support;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Streams.Testing;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// The policy operators in virtual time, in the style of Rx's own operator tests: the hot source emits at absolute
/// times, the drain runs one tick after the buffer turns non-empty (the TestScheduler runs work scheduled "now" at
/// Clock + 1), and whole recorded lists and the source's subscription log are compared.
/// </summary>
public class WithBackpressureTests
{
    [Fact]
    public void Delivers_every_item_in_order_on_the_scheduler_then_completes()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(
            OnNext(150, 0), OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnCompleted<int>(300));

        var res = scheduler.Start(() => xs.DropOldest(4, scheduler));

        Assert.Equal([OnNext(211, 1), OnNext(221, 2), OnNext(231, 3), OnCompleted<int>(301)], res.Messages);
        Assert.Equal([Subscribe(200, 300)], xs.Subscriptions);
    }

    [Fact]
    public void Items_arriving_together_are_drained_in_one_pass_one_tick_later()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(250, 4));

        var res = scheduler.Start(() => xs.WithBackpressure(BackpressurePolicy.Fail, 3, scheduler));

        Assert.Equal([OnNext(211, 1), OnNext(211, 2), OnNext(211, 3), OnNext(251, 4)], res.Messages);
        Assert.Equal([Subscribe(200, 1000)], xs.Subscriptions);
    }

    [Fact]
    public void DropOldest_evicts_the_oldest_item_when_full()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(
            OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(210, 4), OnNext(300, 5), OnCompleted<int>(400));

        var res = scheduler.Start(() => xs.DropOldest(2, scheduler));

        Assert.Equal([OnNext(211, 3), OnNext(211, 4), OnNext(301, 5), OnCompleted<int>(401)], res.Messages);
        Assert.Equal([Subscribe(200, 400)], xs.Subscriptions);
    }

    [Fact]
    public void DropOldest_hands_evicted_items_to_the_OnDropped_callback()
    {
        var scheduler = new TestScheduler();
        var dropped = new List<int>();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(210, 4));
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { OnDropped = dropped.Add };

        var res = scheduler.Start(() => xs.WithBackpressure(options, scheduler));

        Assert.Equal([OnNext(211, 3), OnNext(211, 4)], res.Messages);
        Assert.Equal([1, 2], dropped);
    }

    [Fact]
    public void DegradeQuality_evicts_the_oldest_and_buffers_the_degraded_item()
    {
        var scheduler = new TestScheduler();
        var degraded = new List<int>();
        var xs = scheduler.CreateHotObservable(
            OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(300, 4), OnCompleted<int>(400));

        var res = scheduler.Start(() => xs.DegradeQuality(2, x => { degraded.Add(x); return -x; }, scheduler));

        Assert.Equal([OnNext(211, 2), OnNext(211, -3), OnNext(301, 4), OnCompleted<int>(401)], res.Messages);
        Assert.Equal([3], degraded); // the degrader runs only on overflow
        Assert.Equal([Subscribe(200, 400)], xs.Subscriptions);
    }

    [Fact]
    public void DegradeQuality_with_a_throwing_degrader_faults_after_the_buffered_items_and_counts_the_item()
    {
        var scheduler = new TestScheduler();
        var boom = new FormatException("boom");
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(220, 4));
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2) { Name = "degrading", Degrader = _ => throw boom };
        var res = scheduler.CreateObserver<int>();
        var subscription = (IMeteredStream)xs.WithBackpressure(options, scheduler).Subscribe(res);

        scheduler.Start();

        Assert.Equal(
            [OnNext(211, 1), OnNext(211, 2), OnError<int>(211, e => e is InvalidOperationException && e.InnerException == boom && e.Message.Contains("degrading"))],
            res.Messages);
        Assert.Equal([Subscribe(0, 210)], xs.Subscriptions);
        var metrics = subscription.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(3, 2, 0, 0, 0, 0, 1, 0), metrics);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public void WithBackpressure_DegradeQuality_without_a_degrader_faults_only_on_overflow()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnNext(230, 4), OnNext(230, 5));

        var res = scheduler.Start(() => xs.WithBackpressure(BackpressurePolicy.DegradeQuality, 2, scheduler));

        Assert.Equal(
            [OnNext(211, 1), OnNext(221, 2), OnNext(231, 3), OnNext(231, 4), OnError<int>(231, e => e is MissingDegraderException)],
            res.Messages);
        Assert.Equal([Subscribe(200, 230)], xs.Subscriptions);
    }

    [Fact]
    public void FailOnOverflow_delivers_the_buffered_items_then_faults_and_unsubscribes_at_the_overflow()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(220, 4), OnCompleted<int>(300));

        var res = scheduler.Start(() => xs.FailOnOverflow(2, scheduler));

        Assert.Equal(
            [OnNext(211, 1), OnNext(211, 2), OnError<int>(211, e => e is StreamOverflowException { Policy: BackpressurePolicy.Fail, Capacity: 2 })],
            res.Messages);
        Assert.Equal([Subscribe(200, 210)], xs.Subscriptions);
    }

    [Fact]
    public void PauseUpstream_within_capacity_delivers_what_arrived_at_one_tick_together_on_the_next()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(220, 3), OnCompleted<int>(230));

        var res = scheduler.Start(() => xs.PauseUpstream(2, scheduler));

        Assert.Equal([OnNext(211, 1), OnNext(211, 2), OnNext(221, 3), OnCompleted<int>(231)], res.Messages);
        Assert.Equal([Subscribe(200, 230)], xs.Subscriptions);
    }

    [Fact]
    public void PauseUpstream_fails_fast_instead_of_blocking_the_virtual_time_thread_that_drains_it()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(220, 4));
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 2) { Name = "paused" };
        var res = scheduler.CreateObserver<int>();
        var subscription = (IMeteredStream)xs.WithBackpressure(options, scheduler).Subscribe(res);

        scheduler.Start();

        Assert.Equal(
            [OnNext(211, 1), OnNext(211, 2), OnError<int>(211, e => e is InvalidOperationException && e.Message.Contains("'paused'") && e.Message.Contains("deadlock"))],
            res.Messages);
        Assert.Equal([Subscribe(0, 210)], xs.Subscriptions);
        var metrics = subscription.GetMetrics();
        Assert.Equal(3, metrics.ItemsPushed);
        Assert.Equal(1, metrics.ItemsRejected);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public void A_source_error_is_delivered_after_the_items_buffered_before_it()
    {
        var scheduler = new TestScheduler();
        var boom = new InvalidOperationException("source failed");
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(300, 2), OnNext(300, 3), OnError<int>(300, boom), OnNext(310, 4));

        var res = scheduler.Start(() => xs.DropOldest(8, scheduler));

        Assert.Equal([OnNext(211, 1), OnNext(301, 2), OnNext(301, 3), OnError<int>(301, boom)], res.Messages);
        Assert.Equal([Subscribe(200, 300)], xs.Subscriptions);
    }

    [Fact]
    public void Completion_is_delivered_after_the_items_buffered_before_it()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(300, 1), OnNext(300, 2), OnCompleted<int>(300));

        var res = scheduler.Start(() => xs.PauseUpstream(4, scheduler));

        Assert.Equal([OnNext(301, 1), OnNext(301, 2), OnCompleted<int>(301)], res.Messages);
        Assert.Equal([Subscribe(200, 300)], xs.Subscriptions);
    }

    [Fact]
    public void Disposal_in_the_middle_unsubscribes_and_stops_delivery()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(240, 2), OnNext(260, 3), OnCompleted<int>(300));

        var res = scheduler.Start(() => xs.DropOldest(4, scheduler), 250);

        Assert.Equal([OnNext(211, 1), OnNext(241, 2)], res.Messages);
        Assert.Equal([Subscribe(200, 250)], xs.Subscriptions);
    }

    [Fact]
    public void No_callback_runs_after_dispose_even_for_items_already_buffered()
    {
        var scheduler = new TestScheduler();

        // Buffered at 249; the drain is due at 250, after the disposal scheduled for 250 at creation.
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(249, 2), OnNext(249, 3), OnCompleted<int>(249));

        var res = scheduler.Start(() => xs.FailOnOverflow(4, scheduler), 250);

        Assert.Equal([OnNext(211, 1)], res.Messages);
        Assert.Equal([Subscribe(200, 249)], xs.Subscriptions);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_scheduler_that_refuses_the_drain_ends_the_subscription_with_OnError_and_the_push_does_not_throw(bool disposedBeforeSubscribing)
    {
        // ObserveOn on a disposed EventLoopScheduler subscribes fine; here too. The first push meets the refusal: the
        // observer gets OnError with the scheduler's exception, the source is let go, and the source's OnNext returns.
        var loop = new EventLoopScheduler();
        if (disposedBeforeSubscribing)
        {
            loop.Dispose();
        }

        var subject = new Subject<int>();
        var messages = new List<Notification<int>>();
        using var subscription = subject.DropOldest(4, loop).Materialize().Subscribe(messages.Add);
        loop.Dispose();

        subject.OnNext(1);
        subject.OnNext(2);

        var error = Assert.Single(messages);
        Assert.IsType<ObjectDisposedException>(error.Exception);
        Assert.False(subject.HasObservers);
    }

    [Fact]
    public void A_cold_source_is_subscribed_per_subscription_and_each_gets_its_own_buffer()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdObservable(OnNext(10, 1), OnNext(10, 2), OnNext(10, 3), OnCompleted<int>(20));
        var buffered = xs.DropOldest(2, scheduler);
        var first = scheduler.CreateObserver<int>();
        var second = scheduler.CreateObserver<int>();

        scheduler.ScheduleAbsolute(0, 100, (_, _) => buffered.Subscribe(first));
        scheduler.ScheduleAbsolute(0, 200, (_, _) => buffered.Subscribe(second));
        scheduler.Start();

        Assert.Equal([OnNext(111, 2), OnNext(111, 3), OnCompleted<int>(121)], first.Messages);
        Assert.Equal([OnNext(211, 2), OnNext(211, 3), OnCompleted<int>(221)], second.Messages);
        Assert.Equal([Subscribe(100, 120), Subscribe(200, 220)], xs.Subscriptions);
    }

    [Fact]
    public void Operators_compose_in_a_fluent_chain()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(210, 4), OnCompleted<int>(300));

        var res = scheduler.Start(() => xs
            .Select(x => x * 10)
            .DropOldest(2, scheduler)
            .Where(x => x > 30)
            .FailOnOverflow(4, scheduler));

        Assert.Equal([OnNext(212, 40), OnCompleted<int>(302)], res.Messages);
        Assert.Equal([Subscribe(200, 300)], xs.Subscriptions);
    }

    [Fact]
    public async Task PauseUpstream_timeout_faults_the_stream_when_no_room_appears_in_time()
    {
        // The producer is a real thread (it must block). Nothing drains: the delivery scheduler is never advanced while
        // the timeout's clock, a second virtual-time scheduler, runs out.
        var delivery = new TestScheduler();
        var clock = new TestScheduler();
        var subject = new Subject<int>();
        var res = delivery.CreateObserver<int>();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1)
        {
            PauseTimeout = TimeSpan.FromTicks(100),
            TimeProvider = clock.AsTimeProvider(),
        };
        var subscription = (IMeteredStream)subject.WithBackpressure(options, delivery).Subscribe(res);

        var producer = Task.Factory.StartNew(
            () =>
            {
                subject.OnNext(1);
                subject.OnNext(2); // blocks: capacity 1
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        Assert.True(SpinWait.SpinUntil(() => subscription.GetMetrics().PauseUpstreamBlocks == 1, TestLimits.Hang));

        clock.AdvanceBy(99);
        Assert.False(producer.IsCompleted);
        clock.AdvanceBy(1);
        await producer.WaitAsync(TestLimits.Hang);
        delivery.Start();

        Assert.Equal([OnNext(1, 1), OnError<int>(1, e => e is StreamOverflowException { Policy: BackpressurePolicy.PauseUpstream })], res.Messages);
        Assert.Equal(new StreamMetricsSnapshot(2, 1, 0, 0, 1, 0, 1, 0), subscription.GetMetrics());
        Assert.False(subject.HasObservers);
    }

    [Fact]
    public void The_PauseUpstream_shorthand_clock_fires_timers_in_scheduler_time()
    {
        var scheduler = new TestScheduler();
        var fired = new List<long>();
        var provider = new SchedulerTimeProvider(scheduler);

        using var timer = provider.CreateTimer(_ => fired.Add(scheduler.Clock), null, TimeSpan.FromTicks(100), Timeout.InfiniteTimeSpan);
        scheduler.AdvanceTo(99);
        Assert.Empty(fired);
        scheduler.AdvanceTo(500);

        Assert.Equal([100], fired);
        Assert.Equal(new DateTimeOffset(500, TimeSpan.Zero), provider.GetUtcNow());
    }

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public void A_source_whose_Subscribe_throws_ends_the_subscription_with_OnError_as_ObserveOn_does(BackpressurePolicy policy)
    {
        // Rx's operators subscribe upstream with SubscribeSafe: an exception thrown by a source's Subscribe becomes the
        // operator's OnError, delivered on the scheduler, and the caller's Subscribe returns. Ours threw it to the caller.
        var source = new UnsubscribableSource();
        var twinScheduler = new TestScheduler();
        var twin = twinScheduler.Start(() => source.ObserveOn(twinScheduler));
        var scheduler = new TestScheduler();

        var res = scheduler.Start(() => source.WithBackpressure(policy, 4, x => x, scheduler));

        Assert.Equal([OnError<int>(201, source.Error)], twin.Messages);
        Assert.Equal(twin.Messages, res.Messages);
    }

    [Fact]
    public async Task A_source_whose_Subscribe_throws_ends_the_dedicated_drain_after_delivering_the_error()
    {
        var scheduler = new DedicatedThreadScheduler();
        var source = new UnsubscribableSource();
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);

        using var subscription = source.DropOldest(4, scheduler).Subscribe(_ => { }, error => failed.TrySetResult(error));

        Assert.Same(source.Error, await failed.Task.WaitAsync(TestLimits.Hang));
        await Assert.Single(scheduler.Drains).WaitAsync(TestLimits.Hang);
    }

    [Fact]
    public void Null_arguments_are_rejected_at_the_call()
    {
        var scheduler = new TestScheduler();
        IObservable<int> none = null!;
        var xs = Observable.Empty<int>();

        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => none.DropOldest(1, scheduler)).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => none.WithBackpressure(BackpressurePolicy.Fail, 1, scheduler)).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => xs.DropOldest(1, null!)).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => xs.PauseUpstream(1, null!)).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => xs.FailOnOverflow(1, null!)).ParamName);
        Assert.Equal("degrader", Assert.Throws<ArgumentNullException>(() => xs.DegradeQuality(1, null!, scheduler)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => xs.WithBackpressure(null!, scheduler)).ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Capacity_below_one_is_rejected_at_the_call(int capacity)
    {
        var scheduler = new TestScheduler();
        var xs = Observable.Empty<int>();

        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => xs.DropOldest(capacity, scheduler)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => xs.DegradeQuality(capacity, x => x, scheduler)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => xs.PauseUpstream(capacity, scheduler)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => xs.FailOnOverflow(capacity, scheduler)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => xs.WithBackpressure(BackpressurePolicy.DropOldest, capacity, scheduler)).ParamName);
    }

    /// <summary>A scheduler that offers dedicated threads (as the task pool does) and keeps each long-running work's task.</summary>
    private sealed class DedicatedThreadScheduler : IScheduler, IServiceProvider, ISchedulerLongRunning
    {
        public List<Task> Drains { get; } = [];

        public DateTimeOffset Now => DateTimeOffset.UnixEpoch;

        public object? GetService(Type serviceType) => serviceType == typeof(ISchedulerLongRunning) ? this : null;

        public IDisposable ScheduleLongRunning<TState>(TState state, Action<TState, System.Reactive.Disposables.ICancelable> action)
        {
            var cancel = new System.Reactive.Disposables.BooleanDisposable();
            Drains.Add(Task.Factory.StartNew(() => action(state, cancel), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
            return cancel;
        }

        public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action) => throw new NotSupportedException();

        public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action) => throw new NotSupportedException();

        public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) => throw new NotSupportedException();
    }

    private sealed class UnsubscribableSource : IObservable<int>
    {
        public InvalidOperationException Error { get; } = new("cannot subscribe");

        public IDisposable Subscribe(IObserver<int> observer) => throw Error;
    }
}
