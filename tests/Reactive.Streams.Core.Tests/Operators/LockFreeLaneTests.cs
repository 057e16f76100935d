using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using System.Runtime.CompilerServices;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// The policy operator's lock-free buffer (one producer, one consumer): the races it resolves without a lock, each
/// driven on real threads with exact accounting. The producer's evictions race the consumer's batch claims; the
/// consumer's parking races the producer's next item; reference items must not outlive their delivery in the ring.
/// </summary>
public class LockFreeLaneTests
{
    private const long DegradedBit = ItemAccounting.DegradedBit;
    private static readonly TimeSpan Limit = TestLimits.Hang;

    public static TheoryData<BackpressurePolicy, int, string> EvictingCases()
    {
        var cases = new TheoryData<BackpressurePolicy, int, string>();
        foreach (var policy in new[] { BackpressurePolicy.DropOldest, BackpressurePolicy.DegradeQuality })
        {
            foreach (var capacity in new[] { 1, 3, 64 })
            {
                foreach (var scheduler in new[] { "taskpool", "eventloop" })
                {
                    cases.Add(policy, capacity, scheduler);
                }
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(EvictingCases))]
    public async Task Every_item_is_delivered_or_evicted_exactly_once(BackpressurePolicy policy, int capacity, string schedulerName)
    {
        const int Total = 200_000;
        using var eventLoop = new EventLoopScheduler();
        IScheduler scheduler = schedulerName == "eventloop" ? eventLoop : TaskPoolScheduler.Default;

        // onDropped and the degrader run on the producer's thread; the observer on the drain's.
        var evicted = new List<long>();
        var received = new List<long>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subject = new Subject<long>();
        var options = new BoundedStreamOptions<long>(policy, capacity)
        {
            Degrader = static x => x | DegradedBit,
            OnDropped = evicted.Add,
        };
        var subscription = (WithBackpressure<long>.Sink)subject.WithBackpressure(options, scheduler)
            .Subscribe(received.Add, e => done.SetException(e), done.SetResult);
        Assert.True(subscription.Buffer.IsLockFree);

        await Task.Factory.StartNew(
            () =>
            {
                for (long i = 0; i < Total; i++)
                {
                    subject.OnNext(i);
                }

                subject.OnCompleted();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        await done.Task.WaitAsync(Limit);

        ItemAccounting.AssertEachOnceInOrder(Total, received, evicted);

        var metrics = subscription.GetMetrics();
        Assert.True(metrics.IsConserved, metrics.ToString());
        Assert.Equal(Total, metrics.ItemsPushed);
        Assert.Equal(received.Count, metrics.ItemsDelivered);
        Assert.Equal(evicted.Count, metrics.ItemsEvicted);
        Assert.Equal(0, metrics.Depth);
        if (policy == BackpressurePolicy.DegradeQuality)
        {
            Assert.Equal(0, metrics.DropOldestHits);
            Assert.Equal(evicted.Count, metrics.DegradeQualityHits);
        }
        else
        {
            Assert.Equal(0, metrics.DegradeQualityHits);
            Assert.DoesNotContain(received, x => (x & DegradedBit) != 0);
        }
    }

    public static TheoryData<BackpressurePolicy, string> TricklingCases() => new()
    {
        { BackpressurePolicy.DropOldest, "taskpool" },
        { BackpressurePolicy.DropOldest, "eventloop" },
        { BackpressurePolicy.PauseUpstream, "newthread" },
        { BackpressurePolicy.Fail, "eventloop" },
    };

    /// <summary>
    /// Every item is the last one for a while: the producer waits until the drain has delivered it, then waits a random
    /// few microseconds, which lands the next item before, during or after the drain's park (its spin, the arming of its
    /// read signal, its wait). A wake-up lost in any of those windows leaves the item undelivered and the test fails.
    /// </summary>
    [Theory]
    [MemberData(nameof(TricklingCases))]
    public async Task A_trickling_producer_wakes_the_parking_drain_for_every_item(BackpressurePolicy policy, string schedulerName)
    {
        const int Total = 4_000;
        using var eventLoop = new EventLoopScheduler();
        IScheduler scheduler = schedulerName switch
        {
            "eventloop" => eventLoop,
            "newthread" => NewThreadScheduler.Default,
            _ => TaskPoolScheduler.Default,
        };
        var received = new List<long>();
        var observed = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subject = new Subject<long>();
        var subscription = (WithBackpressure<long>.Sink)subject.WithBackpressure(policy, 4, scheduler)
            .Subscribe(
                x =>
                {
                    received.Add(x);
                    Interlocked.Increment(ref observed);
                },
                e => done.SetException(e),
                done.SetResult);
        Assert.True(subscription.Buffer.IsLockFree);

        var stuck = await Task.Factory.StartNew(
            () =>
            {
                var random = new Random(42);
                for (var i = 0; i < Total; i++)
                {
                    Thread.SpinWait(random.Next(0, 400));
                    subject.OnNext(i);
                    if (!SpinWait.SpinUntil(() => Volatile.Read(ref observed) == i + 1, Limit))
                    {
                        return i;
                    }
                }

                return -1;
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        Assert.Equal(-1, stuck);

        subject.OnCompleted();
        await done.Task.WaitAsync(Limit);
        Assert.Equal(Enumerable.Range(0, Total).Select(i => (long)i), received);
        Assert.Equal(new StreamMetricsSnapshot(Total, Total, 0, 0, 0, 0, 0, 0), subscription.GetMetrics());
    }

    [Fact]
    public void Delivered_items_are_not_kept_alive_by_the_ring()
    {
        const int Total = 100;
        var observed = 0;
        var subject = new Subject<object>();
        using var eventLoop = new EventLoopScheduler();
        using var subscription = (WithBackpressure<object>.Sink)subject.DropOldest(16, eventLoop).Subscribe(_ => Interlocked.Increment(ref observed));
        Assert.True(subscription.Buffer.IsLockFree);
        var references = Push(subject, Total);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref observed) + subscription.GetMetrics().ItemsEvicted == Total, Limit));

        // One more item, observed after the tracked ones, so that no drain frame still holds the last of them.
        subject.OnNext(new object());
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref observed) + subscription.GetMetrics().ItemsEvicted == Total + 1, Limit));

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(0, references.Count(r => r.IsAlive));
        Assert.Equal(0, subscription.GetMetrics().Depth);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference[] Push(IObserver<object> observer, int count)
    {
        var references = new WeakReference[count];
        for (var i = 0; i < count; i++)
        {
            var item = new byte[64];
            references[i] = new WeakReference(item);
            observer.OnNext(item);
        }

        return references;
    }
}
