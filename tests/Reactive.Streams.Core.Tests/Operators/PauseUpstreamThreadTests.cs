using Reactive.Streams.Tests.Support;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// PauseUpstream on real threads: a producer really blocks and is really released, and the same-thread guard turns
/// what would be a silent deadlock into a clear error. Waits are on state (never on time), with generous limits that
/// only bound a failing run.
/// </summary>
public sealed class PauseUpstreamThreadTests : IDisposable
{
    private static readonly TimeSpan Limit = TestLimits.Hang;
    private readonly EventLoopScheduler _loop = new();

    public void Dispose() => _loop.Dispose();

    [Fact]
    public async Task PauseUpstream_blocks_the_producer_until_the_consumer_makes_room()
    {
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var subject = new Subject<int>();
        var received = new List<int>();
        var completed = new TaskCompletionSource();
        using var subscription = subject.PauseUpstream(2, _loop).Subscribe(
            x =>
            {
                entered.Set();
                gate.Wait();
                lock (received)
                {
                    received.Add(x);
                }
            },
            () => completed.SetResult());
        var metered = (IMeteredStream)subscription;

        var producer = StartThread(() =>
        {
            subject.OnNext(1);
            entered.Wait(); // the consumer holds 1: from here the buffer only fills
            for (var i = 2; i <= 6; i++)
            {
                subject.OnNext(i);
            }

            subject.OnCompleted();
        });

        // 1 is held by the blocked consumer, 2 and 3 fill the buffer, 4 waits: the producer is parked.
        Assert.True(SpinWait.SpinUntil(() => metered.GetMetrics().PauseUpstreamBlocks == 1, Limit));
        Assert.False(producer.IsCompleted);
        Assert.Equal(2, metered.GetMetrics().Depth);

        gate.Set();
        await producer.WaitAsync(Limit);
        await completed.Task.WaitAsync(Limit);

        Assert.Equal([1, 2, 3, 4, 5, 6], received);
        var metrics = metered.GetMetrics();
        Assert.Equal(6, metrics.ItemsPushed);
        Assert.Equal(6, metrics.ItemsDelivered);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public async Task Disposal_releases_a_blocked_producer_and_stops_delivery()
    {
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var subject = new Subject<int>();
        var received = new List<int>();
        var subscription = subject.PauseUpstream(1, _loop).Subscribe(x =>
        {
            entered.Set();
            gate.Wait();
            lock (received)
            {
                received.Add(x);
            }
        });

        var producer = StartThread(() =>
        {
            subject.OnNext(1);
            entered.Wait(); // the consumer holds 1: from here the buffer only fills
            subject.OnNext(2);
            subject.OnNext(3); // blocks
            subject.OnNext(4); // after disposal: ignored
        });
        var metered = (IMeteredStream)subscription;
        Assert.True(SpinWait.SpinUntil(() => metered.GetMetrics().PauseUpstreamBlocks == 1, Limit));

        subscription.Dispose();
        await producer.WaitAsync(Limit);
        Assert.False(subject.HasObservers);

        // The call already running finishes; nothing starts after Dispose returned.
        gate.Set();
        var flushed = new TaskCompletionSource();
        _loop.Schedule(() => flushed.SetResult());
        await flushed.Task.WaitAsync(Limit);

        Assert.Equal([1], received);
        var metrics = metered.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(ItemsPushed: 3, ItemsDelivered: 1, 0, 0, PauseUpstreamBlocks: 1, 0, ItemsRejected: 1, Depth: 1), metrics);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public async Task A_downstream_that_throws_releases_a_blocked_producer_and_lets_the_source_go_as_ObserveOn_does()
    {
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var escaped = new TaskCompletionSource<Exception>();
        var subject = new Subject<int>();
        var received = new List<int>();

        // A scheduler that survives its actions' exceptions (Rx's Catch), so the drain's exception is seen, not fatal.
        var scheduler = _loop.Catch<ArithmeticException>(e =>
        {
            escaped.TrySetResult(e);
            return true;
        });
        var subscription = subject.PauseUpstream(1, scheduler).Subscribe(x =>
        {
            entered.Set();
            gate.Wait();
            lock (received)
            {
                received.Add(x);
            }

            throw new ArithmeticException($"the downstream rejects {x}");
        });

        var producer = StartThread(() =>
        {
            subject.OnNext(1);
            entered.Wait(); // the consumer holds 1: from here the buffer only fills
            subject.OnNext(2);
            subject.OnNext(3); // blocks until the downstream's exception ends the subscription
            subject.OnNext(4); // after that: ignored
        });
        var metered = (IMeteredStream)subscription;
        Assert.True(SpinWait.SpinUntil(() => metered.GetMetrics().PauseUpstreamBlocks == 1, Limit));

        gate.Set();
        Assert.Equal("the downstream rejects 1", (await escaped.Task.WaitAsync(Limit)).Message);
        await producer.WaitAsync(Limit);
        Assert.False(subject.HasObservers);

        // Nothing is delivered after the exception: 2 stays buffered.
        var flushed = new TaskCompletionSource();
        _loop.Schedule(() => flushed.SetResult());
        await flushed.Task.WaitAsync(Limit);
        Assert.Equal([1], received);
        Assert.True(metered.GetMetrics().IsConserved);
        subscription.Dispose();
    }

    [Fact]
    public async Task A_reentrant_OnNext_from_the_downstream_fails_fast_instead_of_deadlocking()
    {
        var subject = new Subject<int>();
        var received = new List<int>();
        var error = new TaskCompletionSource<Exception>();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 2) { Name = "echo" };
        using var subscription = subject.WithBackpressure(options, _loop).Subscribe(
            x =>
            {
                received.Add(x);
                if (x == 1)
                {
                    // Called on the drain thread: the buffer fills and the third push would wait for this very call.
                    subject.OnNext(10);
                    subject.OnNext(11);
                    subject.OnNext(12);
                }
            },
            e => error.SetResult(e));

        subject.OnNext(1);
        var failure = await error.Task.WaitAsync(Limit);

        Assert.IsType<InvalidOperationException>(failure);
        Assert.Contains("'echo'", failure.Message, StringComparison.Ordinal);
        Assert.Equal([1, 10, 11], received);
        Assert.False(subject.HasObservers);
    }

    [Fact]
    public async Task A_producer_on_the_same_event_loop_fails_fast_instead_of_deadlocking()
    {
        var subject = new Subject<int>();
        var error = new TaskCompletionSource<Exception>();
        var received = new List<int>();
        using var subscription = subject.PauseUpstream(2, _loop).Subscribe(received.Add, e => error.SetResult(e));

        // One work item on the loop emits everything: the operator's drain is queued behind it on the same thread.
        _loop.Schedule(() =>
        {
            for (var i = 1; i <= 5; i++)
            {
                subject.OnNext(i);
            }
        });
        var failure = await error.Task.WaitAsync(Limit);

        Assert.IsType<InvalidOperationException>(failure);
        Assert.Equal([1, 2], received);
        Assert.False(subject.HasObservers);
    }

    [Fact]
    public void A_producer_on_the_current_thread_trampoline_fails_fast_instead_of_deadlocking()
    {
        var subject = new Subject<int>();
        var received = new List<int>();
        Exception? failure = null;
        var scheduler = CurrentThreadScheduler.Instance;
        using var subscription = subject.PauseUpstream(2, scheduler).Subscribe(received.Add, e => failure = e);

        // Inside a trampoline work item, the operator's drain is queued behind the producer on this same thread.
        scheduler.Schedule(() =>
        {
            for (var i = 1; i <= 5; i++)
            {
                subject.OnNext(i);
            }
        });

        Assert.IsType<InvalidOperationException>(failure);
        Assert.Equal([1, 2], received);
    }

    [Fact]
    public async Task A_producer_on_another_thread_than_the_event_loop_is_not_mistaken_for_it()
    {
        // Capacity 1 against 1,000 items from a thread-pool thread: the producer blocks often, never fails. Every item
        // that blocks costs two thread switches, so on a loaded machine (two cores, other processes busy) each item can
        // cost a time slice or two: 10,000 items took 1.5 minutes there and once ran into the two-minute watchdog.
        const int Items = 1_000;
        var received = new List<int>();
        var completed = new TaskCompletionSource();
        using var subscription = Observable.Range(0, Items, TaskPoolScheduler.Default)
            .PauseUpstream(1, _loop)
            .Subscribe(received.Add, e => completed.SetException(e), () => completed.SetResult());

        await completed.Task.WaitAsync(Limit);

        Assert.Equal(Enumerable.Range(0, Items), received);
        var metrics = ((IMeteredStream)subscription).GetMetrics();
        Assert.Equal(((long)Items, (long)Items, 0L), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.ItemsRejected + metrics.FailOverflows));
    }

    /// <summary>A user's own virtual-time scheduler, with clock types the library knows nothing of.</summary>
    private sealed class TickScheduler : VirtualTimeScheduler<long, TimeSpan>
    {
        protected override long Add(long absolute, TimeSpan relative) => absolute + relative.Ticks;

        protected override DateTimeOffset ToDateTimeOffset(long absolute) => new(absolute, TimeSpan.Zero);

        protected override TimeSpan ToRelative(TimeSpan timeSpan) => timeSpan;
    }

    /// <summary>Another one, on a 32-bit clock counted in whole seconds.</summary>
    private sealed class SecondsScheduler : VirtualTimeScheduler<int, int>
    {
        protected override int Add(int absolute, int relative) => absolute + relative;

        protected override DateTimeOffset ToDateTimeOffset(int absolute) => DateTimeOffset.UnixEpoch.AddSeconds(absolute);

        protected override int ToRelative(TimeSpan timeSpan) => (int)timeSpan.TotalSeconds;
    }

    public static TheoryData<string> UserVirtualClocks => ["ticks", "seconds"];

    private static IScheduler CreateVirtualClock(string kind) => kind == "ticks" ? new TickScheduler() : new SecondsScheduler();

    private static void Start(IScheduler scheduler)
    {
        if (scheduler is TickScheduler ticks)
        {
            ticks.Start();
        }
        else
        {
            ((SecondsScheduler)scheduler).Start();
        }
    }

    [Theory]
    [MemberData(nameof(UserVirtualClocks))]
    public void PauseUpstream_on_a_users_own_virtual_time_scheduler_fails_fast_instead_of_deadlocking(string clock)
    {
        var scheduler = CreateVirtualClock(clock);
        var subject = new Subject<int>();
        var received = new List<int>();
        Exception? failure = null;
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 2) { Name = "own-clock" };
        using var subscription = subject.WithBackpressure(options, scheduler).Subscribe(received.Add, e => failure = e);

        // One virtual-time work item emits everything: the drain is queued behind it on the clock's own thread.
        scheduler.Schedule(TimeSpan.FromSeconds(1), () =>
        {
            for (var i = 1; i <= 5; i++)
            {
                subject.OnNext(i);
            }
        });
        Start(scheduler);

        Assert.IsType<InvalidOperationException>(failure);
        Assert.Contains("'own-clock'", failure!.Message, StringComparison.Ordinal);
        Assert.Equal([1, 2], received);
        Assert.False(subject.HasObservers);
        Assert.True(((IMeteredStream)subscription).GetMetrics().IsConserved);
    }

    [Theory]
    [MemberData(nameof(UserVirtualClocks))]
    public void SubscribeAsync_PauseUpstream_on_a_users_own_virtual_time_scheduler_fails_fast_instead_of_deadlocking(string clock)
    {
        var scheduler = CreateVirtualClock(clock);
        var subject = new Subject<int>();
        var received = new List<int>();
        using var subscription = subject.SubscribeAsync(
            (x, _) =>
            {
                received.Add(x);
                return ValueTask.CompletedTask;
            },
            BackpressurePolicy.PauseUpstream,
            2,
            scheduler: scheduler);

        scheduler.Schedule(TimeSpan.FromSeconds(1), () =>
        {
            for (var i = 1; i <= 5; i++)
            {
                subject.OnNext(i);
            }
        });
        Start(scheduler);

        Assert.True(subscription.Completion.IsFaulted);
        Assert.IsType<InvalidOperationException>(subscription.Completion.Exception!.InnerException);
        Assert.Equal([1, 2], received);
        Assert.False(subject.HasObservers);
    }

    private static Task StartThread(Action action) =>
        Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
