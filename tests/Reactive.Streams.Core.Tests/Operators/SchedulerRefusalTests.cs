using Reactive.Streams.Tests.Support;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// A scheduler or clock that refuses work at a point other than the first drain: the operator's dedicated drain
/// thread at subscription, a PauseUpstream timeout's timer on a scheduler that throws on timed work, a clock whose
/// timers cannot be created. And the PauseUpstream timeout on an event loop, whose thread a stuck consumer holds. As for a refused drain (docs: "a scheduler that refuses the drain's work ... the push itself does
/// not throw"), the subscription ends with the scheduler's exception as its error, and nothing is thrown into the
/// source's <c>OnNext</c> or out of <c>Subscribe</c>.
/// </summary>
public sealed class SchedulerRefusalTests
{
    private static readonly TimeSpan Limit = TestLimits.Hang;

    [Fact]
    public async Task PauseUpstream_with_a_timeout_on_a_scheduler_that_refuses_timed_work_fails_the_stream_instead_of_throwing_into_OnNext()
    {
        using var loop = new EventLoopScheduler();
        var scheduler = new NoTimedWorkScheduler(loop);
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var subject = new Subject<int>();
        var received = new List<int>();
        var terminal = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscription = subject.PauseUpstream(1, TimeSpan.FromMinutes(5), scheduler).Subscribe(
            x =>
            {
                received.Add(x);
                if (x == 1)
                {
                    entered.Set();
                    gate.Wait(Limit);
                }
            },
            e => terminal.TrySetResult(e),
            () => terminal.TrySetResult(null));
        try
        {
            subject.OnNext(1);
            Assert.True(entered.Wait(Limit));
            subject.OnNext(2); // the drain took 1: room for one

            // Full: the push asks the scheduler for its timeout's timer, and the scheduler refuses it.
            var thrown = Record.Exception(() => subject.OnNext(3));
            gate.Set();

            Assert.Null(thrown);
            var error = await terminal.Task.WaitAsync(Limit);
            Assert.Equal(NoTimedWorkScheduler.Refusal, Assert.IsType<NotSupportedException>(error).Message);
            Assert.Equal([1, 2], received);
            Assert.False(subject.HasObservers);
            var metrics = ((IMeteredStream)subscription).GetMetrics();
            Assert.Equal((3, 2, 1, 0), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.ItemsFailed, metrics.Depth));
        }
        finally
        {
            gate.Set();
            subscription.Dispose();
        }
    }

    [Fact]
    public async Task BackpressureObserver_whose_clock_cannot_create_the_PauseUpstream_timer_fails_Completion_instead_of_throwing_from_OnNext()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new List<int>();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1)
        {
            PauseTimeout = TimeSpan.FromMinutes(5),
            TimeProvider = new TimerlessClock(),
        };
        await using var observer = new BackpressureObserver<int>(
            async (x, _) =>
            {
                handled.Add(x);
                if (x == 1)
                {
                    entered.SetResult();
                    await release.Task;
                }
            },
            options);

        observer.OnNext(1);
        await entered.Task.WaitAsync(Limit);
        observer.OnNext(2); // the handler took 1: room for one
        var thrown = Record.Exception(() => observer.OnNext(3));
        release.SetResult();

        Assert.Null(thrown);
        Assert.True(observer.IsStopped);
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => observer.Completion.WaitAsync(Limit));
        Assert.Equal(TimerlessClock.Refusal, error.Message);
        Assert.Equal([1, 2], handled);
        var metrics = observer.GetMetrics();
        Assert.Equal((3, 2, 1, 0), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.ItemsFailed, metrics.Depth));
    }

    [Fact]
    public void A_scheduler_that_refuses_the_dedicated_drain_thread_ends_the_subscription_with_OnError_instead_of_Subscribe_throwing()
    {
        // NewThreadScheduler offers long-running work, so the operator asks it for its drain thread at subscription.
        var refusing = new NewThreadScheduler(_ => throw new InvalidOperationException("no thread today"));
        var subject = new Subject<int>();
        var notifications = new List<string>();
        IDisposable? subscription = null;

        var thrown = Record.Exception(() => subscription = subject.DropOldest(4, refusing).Subscribe(
            x => notifications.Add($"OnNext({x})"),
            e => notifications.Add($"OnError({e.GetType().Name}: {e.Message})"),
            () => notifications.Add("OnCompleted")));

        Assert.Null(thrown);
        Assert.Equal(["OnError(InvalidOperationException: no thread today)"], notifications);
        Assert.False(subject.HasObservers); // never subscribed: nothing could ever be delivered
        subject.OnNext(1);
        subject.OnCompleted();
        Assert.Single(notifications);
        subscription!.Dispose();
    }

    [Fact]
    public void A_cold_source_is_not_subscribed_when_the_dedicated_drain_thread_is_refused()
    {
        var refusing = new NewThreadScheduler(_ => throw new InvalidOperationException("no thread today"));
        var subscriptions = 0;
        var source = Observable.Create<int>(_ =>
        {
            subscriptions++;
            return () => { };
        });
        Exception? error = null;

        using var subscription = source.FailOnOverflow(4, refusing).Subscribe(_ => { }, e => error = e);

        Assert.IsType<InvalidOperationException>(error);
        Assert.Equal(0, subscriptions);
    }

    [Fact]
    public async Task PauseUpstream_times_out_on_an_event_loop_whose_thread_is_held_by_a_stuck_observer()
    {
        // The timeout is there for a consumer that makes no room. On an event loop the consumer holds the loop's only
        // thread, so a timer queued on the loop could fire only once the consumer moved on: the producer waited for
        // ever. The observer here is stuck until the producer's push has returned.
        using var loop = new EventLoopScheduler();
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var subject = new Subject<int>();
        var received = new List<int>();
        var terminal = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = subject.PauseUpstream(1, TimeSpan.FromMilliseconds(1), loop).Subscribe(
            x =>
            {
                received.Add(x);
                if (x == 1)
                {
                    entered.Set();
                    gate.Wait(Limit);
                }
            },
            e => terminal.TrySetResult(e),
            () => terminal.TrySetResult(null));
        try
        {
            subject.OnNext(1);
            Assert.True(entered.Wait(Limit));
            subject.OnNext(2);
            var producer = Task.Run(() => subject.OnNext(3)); // waits for room that only the stuck observer could make
            await producer.WaitAsync(Limit);
            gate.Set();

            var error = await terminal.Task.WaitAsync(Limit);
            Assert.Equal(BackpressurePolicy.PauseUpstream, Assert.IsType<StreamOverflowException>(error).Policy);
            Assert.Equal([1, 2], received);
            Assert.False(subject.HasObservers);
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public async Task PauseUpstream_with_a_timeout_on_the_current_thread_scheduler_parks_a_producer_of_another_thread_instead_of_sleeping_it()
    {
        // The timer of a producer's wait was a CurrentThreadScheduler work item: on a thread with no trampoline that
        // runs at once, sleeping the producer for the whole timeout before it could wait for room at all.
        var scheduler = CurrentThreadScheduler.Instance;
        var subject = new Subject<int>();
        var received = new List<int>();
        var ended = false;
        using var subscription = subject.PauseUpstream(1, TimeSpan.FromMinutes(10), scheduler)
            .Subscribe(received.Add, _ => ended = true, () => ended = true);
        var metered = (IMeteredStream)subscription;
        Task? producer = null;
        var parked = false;

        scheduler.Schedule(() =>
        {
            subject.OnNext(1); // the drain is queued on this thread's trampoline, behind this work item
            producer = Task.Run(() => subject.OnNext(2)); // finds the buffer full: waits for room
            parked = SpinWait.SpinUntil(() => metered.GetMetrics().PauseUpstreamBlocks == 1, Limit);
        });
        await producer!.WaitAsync(Limit);

        Assert.True(parked, "The producer did not wait for room.");
        Assert.Equal([1, 2], received);
        Assert.False(ended);
        Assert.Equal(new StreamMetricsSnapshot(2, 2, 0, 0, 1, 0, 0, 0), metered.GetMetrics());
    }

    [Fact]
    public void ToBoundedStream_whose_source_Subscribe_throws_lets_go_of_a_long_lived_token()
    {
        // The exception reaches the caller, who gets no stream; the registration on a token that outlives the call (an
        // application's lifetime token) must not keep the abandoned stream reachable, nor end it later.
        using var lifetime = new CancellationTokenSource();
        var subscribed = SubscribeAThrowingSource(lifetime.Token);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(subscribed.TryGetTarget(out _), "The token still holds the abandoned stream's producer.");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference<IObserver<int>> SubscribeAThrowingSource(CancellationToken token)
    {
        var source = new ThrowsOnSubscribe();
        var error = Assert.Throws<InvalidOperationException>(
            () => source.ToBoundedStream(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4), token));
        Assert.Equal(ThrowsOnSubscribe.Message, error.Message);
        return source.Subscribed!;
    }

    private sealed class ThrowsOnSubscribe : IObservable<int>
    {
        public const string Message = "this source cannot be subscribed";

        public WeakReference<IObserver<int>>? Subscribed { get; private set; }

        public IDisposable Subscribe(IObserver<int> observer)
        {
            Subscribed = new WeakReference<IObserver<int>>(observer);
            throw new InvalidOperationException(Message);
        }
    }

    /// <summary>Runs work now on an inner scheduler, and refuses work with a due time (a scheduler that throws).</summary>
    private sealed class NoTimedWorkScheduler(IScheduler inner) : IScheduler
    {
        public const string Refusal = "this scheduler runs no timed work";

        public DateTimeOffset Now => inner.Now;

        public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action) =>
            inner.Schedule(state, (_, s) => action(this, s));

        public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action) =>
            throw new NotSupportedException(Refusal);

        public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) =>
            throw new NotSupportedException(Refusal);
    }

    /// <summary>A clock that tells the time but, like a disposed scheduler, creates no timers.</summary>
    private sealed class TimerlessClock : TimeProvider
    {
        public const string Refusal = "this clock creates no timers";

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            throw new NotSupportedException(Refusal);
    }
}
