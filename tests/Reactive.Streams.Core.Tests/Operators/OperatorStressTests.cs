using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// Four producer threads (serialized into one Rx source, as Rx grammar requires) against one consumer, with exact
/// counts: the engine's conservation <c>pushed = delivered + evicted + failed + depth</c> holds through the operator,
/// SubscribeAsync and ToBoundedStream faces, every item arrives at most once, and each producer's order survives (per
/// reader, where two readers share a stream).
/// </summary>
public class OperatorStressTests
{
    private const int Producers = 4;
    private const int PerProducer = 50_000;
    private const long DegradedBit = 1L << 62;
    private static readonly TimeSpan Limit = TestLimits.Hang;

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public async Task Operator_conserves_items_under_four_producers(BackpressurePolicy policy)
    {
        long dropped = 0;
        var received = new List<long>();
        var done = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var subject = new Subject<long>();
        var options = Options(policy, () => Interlocked.Increment(ref dropped));
        var subscription = (IMeteredStream)subject.WithBackpressure(options, TaskPoolScheduler.Default)
            .Subscribe(received.Add, e => done.SetResult(e), () => done.SetResult(null));

        await Produce(Subject.Synchronize(subject));
        var error = await done.Task.WaitAsync(Limit);

        var metrics = subscription.GetMetrics();
        AssertOutcome(policy, received, error, metrics, Interlocked.Read(ref dropped));
    }

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public async Task SubscribeAsync_conserves_items_under_four_producers(BackpressurePolicy policy)
    {
        long dropped = 0;
        var received = new List<long>();
        var subject = new Subject<long>();
        var subscription = subject.SubscribeAsync(
            (x, _) =>
            {
                received.Add(x);
                return ValueTask.CompletedTask;
            },
            Options(policy, () => Interlocked.Increment(ref dropped)));

        await Produce(Subject.Synchronize(subject));
        Exception? error = null;
        try
        {
            await subscription.Completion.WaitAsync(Limit);
        }
        catch (StreamOverflowException overflow)
        {
            error = overflow;
        }

        AssertOutcome(policy, received, error, subscription.GetMetrics(), Interlocked.Read(ref dropped));
    }

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public async Task ToBoundedStream_conserves_items_under_four_producers_and_two_readers(BackpressurePolicy policy)
    {
        long dropped = 0;
        var subject = new Subject<long>();
        var stream = subject.ToBoundedStream(Options(policy, () => Interlocked.Increment(ref dropped)));
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var mine = new List<long>();
            try
            {
                await foreach (var item in stream.ReadAllAsync())
                {
                    mine.Add(item);
                }
            }
            catch (StreamOverflowException)
            {
                // Fail: the stream ended with the overflow after the buffered items.
            }

            return mine;
        })).ToArray();

        await Produce(Subject.Synchronize(subject));
        var read = await Task.WhenAll(readers).WaitAsync(Limit);

        var error = stream.Completion.Exception?.InnerException;
        var metrics = stream.GetMetrics();
        AssertOutcome(policy, [.. read[0], .. read[1]], error, metrics, Interlocked.Read(ref dropped), orderedReaders: false);
        foreach (var mine in read)
        {
            AssertOrderPerProducer(mine);
        }
    }

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public async Task BackpressureObserver_conserves_items_under_four_producers_calling_it_at_once(BackpressurePolicy policy)
    {
        // The one consumer documented to take concurrent OnNext calls: no Synchronize here.
        long dropped = 0;
        var received = new List<long>();
        var observer = new BackpressureObserver<long>(
            (x, _) =>
            {
                received.Add(x);
                return ValueTask.CompletedTask;
            },
            Options(policy, () => Interlocked.Increment(ref dropped)));

        await Produce(observer);
        Exception? error = null;
        try
        {
            await observer.Completion.WaitAsync(Limit);
        }
        catch (StreamOverflowException overflow)
        {
            error = overflow;
        }

        AssertOutcome(policy, received, error, observer.GetMetrics(), Interlocked.Read(ref dropped), unsynchronized: true);
    }

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public async Task AsObservable_conserves_items_under_four_producers_and_three_competing_observers(BackpressurePolicy policy)
    {
        long dropped = 0;
        var subject = new Subject<long>();
        var stream = subject.ToBoundedStream(Options(policy, () => Interlocked.Increment(ref dropped)));
        var observers = Enumerable.Range(0, 3).Select(_ =>
        {
            var mine = new List<long>();
            var inside = 0;
            var overlapped = false;
            var ended = new TaskCompletionSource<List<long>>(TaskCreationOptions.RunContinuationsAsynchronously);
            stream.AsObservable(TaskPoolScheduler.Default).Subscribe(
                x =>
                {
                    // One call at a time per subscription (the Rx grammar the bridge promises).
                    overlapped |= Interlocked.Increment(ref inside) != 1;
                    mine.Add(x);
                    Interlocked.Decrement(ref inside);
                },
                e => End(e is StreamOverflowException ? null : e),
                () => End(null));

            void End(Exception? error)
            {
                if (error is not null || overlapped)
                {
                    ended.TrySetException(error ?? new InvalidOperationException("overlapping OnNext calls"));
                }
                else
                {
                    ended.TrySetResult(mine);
                }
            }

            return ended.Task;
        }).ToArray();

        await Produce(Subject.Synchronize(subject));
        var read = await Task.WhenAll(observers).WaitAsync(Limit);

        var error = stream.Completion.Exception?.InnerException;
        AssertOutcome(policy, [.. read[0], .. read[1], .. read[2]], error, stream.GetMetrics(), Interlocked.Read(ref dropped), orderedReaders: false);
        foreach (var mine in read)
        {
            AssertOrderPerProducer(mine);
        }
    }

    private static BoundedStreamOptions<long> Options(BackpressurePolicy policy, Action onDropped) =>
        new(policy, 64)
        {
            Degrader = static x => x | DegradedBit,
            OnDropped = _ => onDropped(),
        };

    private static async Task Produce(IObserver<long> observer)
    {
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Factory.StartNew(
            () =>
            {
                for (long i = 0; i < PerProducer; i++)
                {
                    observer.OnNext(((long)p << 32) | i);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(producers).WaitAsync(Limit);
        observer.OnCompleted();
    }

    private static void AssertOutcome(BackpressurePolicy policy, List<long> received, Exception? error, StreamMetricsSnapshot metrics, long dropped, bool orderedReaders = true, bool unsynchronized = false)
    {
        const long Total = (long)Producers * PerProducer;
        Assert.True(metrics.IsConserved, metrics.ToString());
        Assert.Equal(0, metrics.Depth);
        Assert.Equal(received.Count, metrics.ItemsDelivered);
        Assert.Equal(received.Count, received.Distinct().Count());
        Assert.Equal(metrics.ItemsEvicted, dropped);
        if (orderedReaders)
        {
            AssertOrderPerProducer(received);
        }

        switch (policy)
        {
            case BackpressurePolicy.DropOldest:
            case BackpressurePolicy.DegradeQuality:
                Assert.Null(error);
                Assert.Equal(Total, metrics.ItemsPushed);
                Assert.Equal(Total, metrics.ItemsDelivered + metrics.ItemsEvicted);
                Assert.Equal(0, metrics.ItemsFailed);
                // A degraded item may itself be evicted later, so at most every degradation reaches the consumer.
                Assert.InRange(received.Count(x => (x & DegradedBit) != 0), 0, metrics.DegradeQualityHits);
                break;
            case BackpressurePolicy.PauseUpstream:
                Assert.Null(error);
                Assert.Equal(Total, metrics.ItemsPushed);
                Assert.Equal(Total, metrics.ItemsDelivered);
                break;
            default:
                // Fail: the first overflow ends the stream; later items are not pushed at all.
                if (unsynchronized)
                {
                    // A push already under way on another producer when the first overflow ends the stream overflows too,
                    // or finds the stream completed and is counted as rejected: at most one more per producer.
                    Assert.InRange(metrics.FailOverflows, error is null ? 0 : 1, error is null ? 0 : Producers);
                    Assert.InRange(metrics.FailOverflows + metrics.ItemsRejected, 0, Producers);
                }
                else
                {
                    Assert.Equal(error is null ? 0 : 1, metrics.FailOverflows);
                    Assert.Equal(0, metrics.ItemsRejected);
                }

                Assert.Equal(metrics.ItemsPushed, received.Count + metrics.FailOverflows + metrics.ItemsRejected);
                if (error is null)
                {
                    Assert.Equal(Total, received.Count);
                }
                else
                {
                    Assert.IsType<StreamOverflowException>(error);
                }

                break;
        }
    }

    private static void AssertOrderPerProducer(List<long> received)
    {
        var last = new long[Producers];
        Array.Fill(last, -1);
        foreach (var raw in received)
        {
            var item = raw & ~DegradedBit;
            var producer = (int)(item >> 32);
            var sequence = item & 0xFFFFFFFF;
            Assert.True(sequence > last[producer], $"producer {producer}: {sequence} after {last[producer]}");
            last[producer] = sequence;
        }
    }
}
