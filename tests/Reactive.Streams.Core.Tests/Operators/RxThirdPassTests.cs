using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using Reactive.Streams.Testing;
using Reactive.Streams.Tests.Support;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// Third pass over the Rx faces: every policy seen through the operator at capacity 1, the order of items and error on
/// Rx's real schedulers, SubscribeAsync's handler failing in each shape a handler can fail, and ToAsyncEnumerable's
/// token and disposal against Ix's <c>ToAsyncEnumerable</c>, its twin.
/// </summary>
public class RxThirdPassTests
{
    private static readonly TimeSpan Hang = TestLimits.Hang;

    public static TheoryData<BackpressurePolicy> Policies() => [.. Enum.GetValues<BackpressurePolicy>()];

    [Theory]
    [MemberData(nameof(Policies))]
    public void At_capacity_one_each_policy_decides_on_the_second_item_of_a_tick(BackpressurePolicy policy)
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(220, 4), OnCompleted<int>(230));
        var observer = scheduler.CreateObserver<int>();
        IDisposable? subscription = null;
        scheduler.ScheduleAbsolute(0, 200, (_, _) => subscription = xs.WithBackpressure(policy, 1, static x => -x, scheduler).Subscribe(observer));

        scheduler.Start();

        var metrics = ((IMeteredStream)subscription!).GetMetrics();
        Assert.True(metrics.IsConserved, metrics.ToString());
        switch (policy)
        {
            case BackpressurePolicy.DropOldest:
                Assert.Equal([OnNext(211, 3), OnNext(221, 4), OnCompleted<int>(231)], observer.Messages);
                Assert.Equal([Subscribe(200, 230)], xs.Subscriptions);
                Assert.Equal(new StreamMetricsSnapshot(4, 2, 2, 0, 0, 0, 0, 0), metrics);
                break;
            case BackpressurePolicy.DegradeQuality:
                // 2 evicts 1 and is buffered degraded; 3 evicts that and is buffered degraded.
                Assert.Equal([OnNext(211, -3), OnNext(221, 4), OnCompleted<int>(231)], observer.Messages);
                Assert.Equal([Subscribe(200, 230)], xs.Subscriptions);
                Assert.Equal(new StreamMetricsSnapshot(4, 2, 0, 2, 0, 0, 0, 0), metrics);
                break;
            case BackpressurePolicy.Fail:
                Assert.Equal([OnNext(211, 1), OnError<int>(211, static e => e is StreamOverflowException { Capacity: 1 })], observer.Messages);
                Assert.Equal([Subscribe(200, 210)], xs.Subscriptions);
                Assert.Equal(new StreamMetricsSnapshot(2, 1, 0, 0, 0, 1, 0, 0), metrics);
                break;
            default:
                // The second push at 210 runs on the running virtual clock, which alone drains: it fails fast.
                Assert.Equal([OnNext(211, 1), OnError<int>(211, static e => e is InvalidOperationException)], observer.Messages);
                Assert.Equal([Subscribe(200, 210)], xs.Subscriptions);
                Assert.Equal((2, 1, 1), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.ItemsFailed));
                break;
        }
    }

    public static TheoryData<string, BackpressurePolicy> RealSchedulers()
    {
        var data = new TheoryData<string, BackpressurePolicy>();
        foreach (var scheduler in new[] { "immediate", "current-thread", "task-pool", "thread-pool", "new-thread", "event-loop" })
        {
            foreach (var policy in Enum.GetValues<BackpressurePolicy>())
            {
                data.Add(scheduler, policy);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RealSchedulers))]
    public async Task On_Rxs_real_schedulers_a_source_error_reaches_the_observer_after_every_item_before_it(string kind, BackpressurePolicy policy)
    {
        using var loop = kind == "event-loop" ? new EventLoopScheduler() : null;
        IScheduler scheduler = kind switch
        {
            "immediate" => ImmediateScheduler.Instance,
            "current-thread" => CurrentThreadScheduler.Instance,
            "task-pool" => TaskPoolScheduler.Default,
            "thread-pool" => ThreadPoolScheduler.Instance,
            "new-thread" => NewThreadScheduler.Default,
            _ => loop!,
        };
        var boom = new ArithmeticException("boom");
        var source = Observable.Range(0, 10).Concat(Observable.Throw<int>(boom));

        // Room for every item: no policy decides, and ObserveOn (which may deliver the error ahead of what it holds and
        // drop that) is not the oracle here; the documented order is.
        var messages = await source.WithBackpressure(policy, 16, static x => x, scheduler).Materialize().ToList().ToTask().WaitAsync(Hang);

        Assert.Equal(Enumerable.Range(0, 10), messages.Where(static m => m.Kind == NotificationKind.OnNext).Select(static m => m.Value));
        Assert.Equal(11, messages.Count);
        Assert.Same(boom, messages[^1].Exception);
    }

    [Theory]
    [InlineData("throws")]
    [InlineData("faulted")]
    [InlineData("cancelled")]
    [InlineData("faults-later")]
    public async Task A_handler_failing_in_any_shape_faults_Completion_with_its_exception_and_lets_the_source_go(string shape)
    {
        var subject = new Subject<int>();
        var handled = new List<int>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var boom = new InvalidOperationException("boom");
        using var foreign = new CancellationTokenSource();
        foreign.Cancel();

        ValueTask Handler(int item, CancellationToken token)
        {
            handled.Add(item);
            if (item < 2)
            {
                return default;
            }

            return shape switch
            {
                "throws" => throw boom,
                "faulted" => ValueTask.FromException(boom),
                "cancelled" => ValueTask.FromCanceled(foreign.Token),
                _ => Later(),
            };
        }

        async ValueTask Later()
        {
            await release.Task;
            throw boom;
        }

        var subscription = subject.SubscribeAsync(Handler, BackpressurePolicy.DropOldest, 4, scheduler: ImmediateScheduler.Instance);
        subject.OnNext(1);
        subject.OnNext(2);
        subject.OnNext(3);
        release.SetResult();

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => subscription.Completion.WaitAsync(Hang));

        // A cancellation that is not the subscription's is the handler's failure like any other (as with ForEachAsync):
        // Completion faults with it rather than ending as cancelled or successfully.
        Assert.True(subscription.Completion.IsFaulted);
        if (shape == "cancelled")
        {
            Assert.Equal(foreign.Token, Assert.IsType<TaskCanceledException>(thrown).CancellationToken);
        }
        else
        {
            Assert.Same(boom, thrown);
        }

        Assert.Equal([1, 2], handled);
        Assert.False(subject.HasObservers);
        subject.OnNext(4);
        var metrics = subscription.GetMetrics();
        Assert.True(metrics.IsConserved, metrics.ToString());
        // A handler that fails synchronously ends the subscription inside the push that ran it (the immediate
        // scheduler runs the loop inline), so 3 is never pushed; one that fails later has 3 buffered by then.
        Assert.Equal(shape == "faults-later" ? 3 : 2, metrics.ItemsPushed);
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public async Task Cancelling_the_token_with_items_buffered_ends_the_enumeration_at_the_next_MoveNextAsync_and_lets_the_source_go(BackpressurePolicy policy)
    {
        // Ix's ToAsyncEnumerable (the twin) throws from every MoveNextAsync once its token is cancelled, and unsubscribes:
        // a consumer that cancels a hot, never-ending source must get out even though the buffer is never empty.
        var unsubscribed = 0;
        var source = Observable.Range(0, 5).Concat(Observable.Never<int>()).Finally(() => Interlocked.Increment(ref unsubscribed));
        using var cts = new CancellationTokenSource();
        var seen = new List<int>();

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in source.ToAsyncEnumerable(policy, 8, static x => x).WithCancellation(cts.Token))
            {
                seen.Add(item);
                if (item == 0)
                {
                    await cts.CancelAsync();
                }
            }
        }).WaitAsync(Hang);

        Assert.Equal(cts.Token, thrown.CancellationToken);
        Assert.Equal([0], seen);
        Assert.Equal(1, Volatile.Read(ref unsubscribed));
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public async Task An_enumerator_disposed_before_its_first_MoveNextAsync_never_subscribes_and_a_second_disposal_is_harmless(BackpressurePolicy policy)
    {
        var subscribed = 0;
        var source = Observable.Defer(() =>
        {
            Interlocked.Increment(ref subscribed);
            return Observable.Range(0, 3);
        });
        var sequence = source.ToAsyncEnumerable(policy, 4, static x => x);

        var unused = sequence.GetAsyncEnumerator();
        await unused.DisposeAsync();
        await unused.DisposeAsync();
        Assert.Equal(0, subscribed);

        // The enumerable is unharmed: a later enumeration subscribes and sees everything.
        var items = new List<int>();
        await foreach (var item in sequence.WithCancellation(CancellationToken.None))
        {
            items.Add(item);
        }

        Assert.Equal([0, 1, 2], items);
        Assert.Equal(1, subscribed);
    }

    [Fact]
    public void An_undefined_policy_is_rejected_at_the_call_naming_policy_on_every_Rx_face()
    {
        var xs = Observable.Never<int>();
        var undefined = (BackpressurePolicy)42;
        var scheduler = ImmediateScheduler.Instance;

        Assert.Equal("policy", Assert.Throws<ArgumentOutOfRangeException>(() => xs.WithBackpressure(undefined, 1, scheduler)).ParamName);
        Assert.Equal("policy", Assert.Throws<ArgumentOutOfRangeException>(() => xs.WithBackpressure(undefined, 1, static x => x, scheduler)).ParamName);
        Assert.Equal("policy", Assert.Throws<ArgumentOutOfRangeException>(() => xs.SubscribeAsync(static (_, _) => default, undefined, 1)).ParamName);
        Assert.Equal("policy", Assert.Throws<ArgumentOutOfRangeException>(() => xs.ToBoundedStream(undefined, 1)).ParamName);
        Assert.Equal("policy", Assert.Throws<ArgumentOutOfRangeException>(() => xs.ToAsyncEnumerable(undefined, 1)).ParamName);
    }

    [Fact]
    public void With_several_arguments_wrong_the_null_source_is_named_first_as_Rx_does()
    {
        // Rx validates in parameter order, the source first (Observable.Buffer(null, 0) names "source").
        IObservable<int> none = null!;

        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => Observable.Buffer(none, 0)).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => none.DegradeQuality(1, null!, null!)).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => none.WithBackpressure(null!, null!)).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => none.PauseUpstream(0, TimeSpan.FromSeconds(-5), null!)).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => none.SubscribeAsync(null!, (BoundedStreamOptions<int>)null!)).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => none.ToBoundedStream(null!)).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => none.ToAsyncEnumerable(null!)).ParamName);
    }

    [Fact]
    public void Behind_the_operator_Publish_RefCount_shares_one_buffer_and_lets_the_source_go_when_the_last_observer_leaves()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(220, 4), OnNext(240, 5), OnCompleted<int>(250));
        var shared = xs.DropOldest(2, scheduler).Publish().RefCount();
        var a = scheduler.CreateObserver<int>();
        var b = scheduler.CreateObserver<int>();
        IDisposable? first = null;
        IDisposable? second = null;
        scheduler.ScheduleAbsolute(0, 200, (_, _) => first = shared.Subscribe(a));
        scheduler.ScheduleAbsolute(0, 215, (_, _) => second = shared.Subscribe(b));
        scheduler.ScheduleAbsolute(0, 225, (_, _) => { first!.Dispose(); return System.Reactive.Disposables.Disposable.Empty; });
        scheduler.ScheduleAbsolute(0, 230, (_, _) => { second!.Dispose(); return System.Reactive.Disposables.Disposable.Empty; });

        scheduler.Start();

        // One operator subscription: one buffer, one drain; each observer sees what the drain delivers while it is there.
        Assert.Equal([OnNext(211, 2), OnNext(211, 3), OnNext(221, 4)], a.Messages);
        Assert.Equal([OnNext(221, 4)], b.Messages);
        Assert.Equal([Subscribe(200, 230)], xs.Subscriptions);
    }

    [Fact]
    public void Behind_the_operator_Replay_hands_a_late_observer_what_the_drain_delivered()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnCompleted<int>(220));
        var replayed = xs.DropOldest(2, scheduler).Replay(1).RefCount();
        var a = scheduler.CreateObserver<int>();
        var late = scheduler.CreateObserver<int>();
        scheduler.ScheduleAbsolute(0, 200, (_, _) => replayed.Subscribe(a));
        scheduler.ScheduleAbsolute(0, 215, (_, _) => replayed.Subscribe(late));

        scheduler.Start();

        Assert.Equal([OnNext(211, 2), OnNext(211, 3), OnCompleted<int>(221)], a.Messages);
        Assert.Equal([OnNext(215, 3), OnCompleted<int>(221)], late.Messages);
        Assert.Equal([Subscribe(200, 220)], xs.Subscriptions);
    }

    [Fact]
    public void On_the_same_schedule_ObserveOn_delivers_an_error_ahead_of_what_it_holds_and_the_operator_after_it()
    {
        // The documented difference, seen on both: at one tick two items then an error arrive.
        var scheduler = new TestScheduler();
        var boom = new InvalidOperationException("boom");
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnError<int>(210, boom));
        var twin = scheduler.CreateObserver<int>();
        var ours = scheduler.CreateObserver<int>();
        scheduler.ScheduleAbsolute(0, 200, (_, _) => xs.ObserveOn(scheduler).Subscribe(twin));
        scheduler.ScheduleAbsolute(0, 200, (_, _) => xs.WithBackpressure(BackpressurePolicy.Fail, 4, scheduler).Subscribe(ours));

        scheduler.Start();

        Assert.Equal([OnError<int>(211, boom)], twin.Messages);
        Assert.Equal([OnNext(211, 1), OnNext(211, 2), OnError<int>(211, boom)], ours.Messages);
    }

    [Theory]
    [InlineData("immediate")]
    [InlineData("current-thread")]
    [InlineData("task-pool")]
    [InlineData("thread-pool")]
    [InlineData("new-thread")]
    [InlineData("event-loop")]
    public async Task SubscribeAsync_under_PauseUpstream_handles_a_synchronous_source_whole_and_in_order_on_Rxs_real_schedulers(string kind)
    {
        using var loop = kind == "event-loop" ? new EventLoopScheduler() : null;
        IScheduler scheduler = kind switch
        {
            "immediate" => ImmediateScheduler.Instance,
            "current-thread" => CurrentThreadScheduler.Instance,
            "task-pool" => TaskPoolScheduler.Default,
            "thread-pool" => ThreadPoolScheduler.Instance,
            "new-thread" => NewThreadScheduler.Default,
            _ => loop!,
        };
        var handled = new List<int>();

        // Range emits on this thread (inside Subscribe, within the trampoline every subscription runs in) far more
        // than the capacity; the handler yields, so the loop continues on the pool and makes room for the producer.
        var subscription = Observable.Range(0, 200).SubscribeAsync(
            async (x, _) =>
            {
                handled.Add(x);
                await Task.Yield();
            },
            BackpressurePolicy.PauseUpstream,
            4,
            scheduler: scheduler);
        await subscription.Completion.WaitAsync(Hang);

        Assert.Equal(Enumerable.Range(0, 200), handled);
        Assert.Equal(new StreamMetricsSnapshot(200, 200, 0, 0, subscription.GetMetrics().PauseUpstreamBlocks, 0, 0, 0), subscription.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public async Task At_capacity_one_ToAsyncEnumerable_applies_each_policy_to_a_synchronous_source(BackpressurePolicy policy)
    {
        var unsubscribed = 0;
        var source = Observable.Range(0, 5).Finally(() => Interlocked.Increment(ref unsubscribed));
        var items = new List<int>();
        Exception? error = null;

        try
        {
            await foreach (var item in source.ToAsyncEnumerable(policy, 1, static x => -x))
            {
                items.Add(item);
            }
        }
        catch (StreamOverflowException overflow)
        {
            error = overflow;
        }

        // Outside PauseUpstream the whole burst is pushed while the first MoveNextAsync subscribes, before any read.
        switch (policy)
        {
            case BackpressurePolicy.DropOldest:
                Assert.Equal([4], items);
                break;
            case BackpressurePolicy.DegradeQuality:
                Assert.Equal([-4], items);
                break;
            case BackpressurePolicy.Fail:
                Assert.Equal([0], items);
                Assert.Equal(1, Assert.IsType<StreamOverflowException>(error).Capacity);
                break;
            default:
                Assert.Equal([0, 1, 2, 3, 4], items);
                break;
        }

        if (policy != BackpressurePolicy.Fail)
        {
            Assert.Null(error);
        }

        Assert.Equal(1, Volatile.Read(ref unsubscribed));
    }
}
