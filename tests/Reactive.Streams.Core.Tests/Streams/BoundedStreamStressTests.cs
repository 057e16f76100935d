using System.Threading.Channels;
using Reactive.Streams.Internal;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// Many producers and consumers on real threads, exact counts: every surface of the engine must conserve
/// <c>pushed = delivered + evicted + failed + depth</c>, deliver each pushed item at most once, and keep each
/// producer's order.
/// </summary>
public class BoundedStreamStressTests
{
    private const int Producers = 4;
    private const long DegradedBit = 1L << 62;

    // The engine mode by name (BufferMode is internal): the shared mode is the streams' and channels' default, the locked
    // mode the Dataflow block's and the delivery layer's.
    public static TheoryData<BackpressurePolicy, string> PoliciesAndModes()
    {
        var data = new TheoryData<BackpressurePolicy, string>();
        foreach (var mode in new[] { nameof(BufferMode.SharedLane), nameof(BufferMode.Locked) })
        {
            foreach (var policy in new[] { BackpressurePolicy.DropOldest, BackpressurePolicy.DegradeQuality, BackpressurePolicy.PauseUpstream, BackpressurePolicy.Fail })
            {
                data.Add(policy, mode);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PoliciesAndModes))]
    public async Task Stream_conserves_items_under_four_producers_and_two_consumers(BackpressurePolicy policy, string engineMode)
    {
        var mode = Enum.Parse<BufferMode>(engineMode);
        const int PerProducer = 250_000; // 1,000,000 items in all
        long evicted = 0;
        var stream = new BoundedStream<long>(
            new BoundedStreamOptions<long>(policy, 64)
            {
                Degrader = static x => x | DegradedBit,
                OnDropped = _ => Interlocked.Increment(ref evicted),
            },
            mode);
        Assert.Equal(mode, stream.Buffer.Mode);

        var outcome = await RunAsync(
            PerProducer,
            consumers: 2,
            push: PushFor(stream, policy),
            read: stream.ReadAllAsync,
            complete: () => stream.Complete());

        var metrics = stream.GetMetrics();
        AssertConservation(policy, PerProducer, outcome, metrics, Interlocked.Read(ref evicted));
    }

    [Theory]
    [MemberData(nameof(PoliciesAndModes))]
    public async Task Channel_face_conserves_items_under_four_producers_and_two_consumers(BackpressurePolicy policy, string engineMode)
    {
        var mode = Enum.Parse<BufferMode>(engineMode);
        const int PerProducer = 50_000;
        long evicted = 0;
        var channel = BackpressureChannel.Create(
            new BoundedStreamOptions<long>(policy, 16)
            {
                Degrader = static x => x | DegradedBit,
                OnDropped = _ => Interlocked.Increment(ref evicted),
            },
            mode);

        var outcome = await RunAsync(
            PerProducer,
            consumers: 2,
            push: async item =>
            {
                if (policy == BackpressurePolicy.PauseUpstream)
                {
                    await channel.Writer.WriteAsync(item);
                    return PushStatus.Enqueued;
                }

                return channel.Writer.TryWrite(item) ? PushStatus.Enqueued : PushStatus.Overflow;
            },
            read: ct => channel.Reader.ReadAllAsync(ct),
            complete: () => channel.Writer.Complete());

        AssertConservation(policy, PerProducer, outcome, channel.GetMetrics(), Interlocked.Read(ref evicted));
    }

    internal static void AssertConservation(BackpressurePolicy policy, int perProducer, Outcome outcome, StreamMetricsSnapshot metrics, long evicted)
    {
        var total = (long)Producers * perProducer;
        Assert.Equal(total, metrics.ItemsPushed);
        Assert.True(metrics.IsConserved, metrics.ToString());
        Assert.Equal(0, metrics.Depth);
        Assert.Equal(outcome.Delivered, metrics.ItemsDelivered);
        Assert.Equal(evicted, metrics.ItemsEvicted);
        Assert.Equal(outcome.Rejected, metrics.ItemsFailed);
        Assert.Equal(0, metrics.ItemsRejected);
        switch (policy)
        {
            case BackpressurePolicy.DropOldest:
                Assert.Equal(0, metrics.DegradeQualityHits + metrics.FailOverflows);
                Assert.True(metrics.DropOldestHits > 0, "four free-running producers against two consumers must overflow");
                break;
            case BackpressurePolicy.DegradeQuality:
                Assert.Equal(0, metrics.DropOldestHits + metrics.FailOverflows);
                Assert.InRange(outcome.Degraded, 1, metrics.DegradeQualityHits); // a degraded item may itself be evicted later
                break;
            case BackpressurePolicy.PauseUpstream:
                Assert.Equal(total, metrics.ItemsDelivered);
                Assert.True(metrics.PauseUpstreamBlocks > 0, "four free-running producers against two consumers must block");
                Assert.Equal(0, metrics.ItemsEvicted + metrics.ItemsFailed);
                break;
            case BackpressurePolicy.Fail:
                Assert.Equal(0, metrics.ItemsEvicted);
                Assert.Equal(outcome.Rejected, metrics.FailOverflows);
                Assert.True(metrics.FailOverflows > 0, "four free-running producers against two consumers must overflow");
                break;
        }
    }

    /// <summary>A producer's push: awaited under PauseUpstream (so it waits for room), non-waiting otherwise.</summary>
    internal static Func<long, ValueTask<PushStatus>> PushFor(BoundedStream<long> stream, BackpressurePolicy policy) =>
        async item =>
        {
            if (policy == BackpressurePolicy.PauseUpstream)
            {
                await stream.PushAsync(item);
                return PushStatus.Enqueued;
            }

            return stream.TryPush(item).Status;
        };

    internal sealed record Outcome(long Delivered, long Rejected, long Degraded);

    /// <summary>
    /// Runs the producers and consumers. Items are <c>producer &lt;&lt; 32 | sequence</c>; a degraded item carries
    /// <see cref="DegradedBit"/>. Checks, per consumer, that each producer's items arrive in increasing order, and
    /// across consumers that no item is delivered twice and every delivered item was pushed.
    /// </summary>
    internal static async Task<Outcome> RunAsync(
        int perProducer,
        int consumers,
        Func<long, ValueTask<PushStatus>> push,
        Func<CancellationToken, IAsyncEnumerable<long>> read,
        Action complete)
    {
        // A non-blocking start signal: a Barrier would park thread-pool threads and stall until the pool grows.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new int[Producers * perProducer];
        long degraded = 0;
        var consumerTasks = Enumerable.Range(0, consumers).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            var last = Enumerable.Repeat(-1L, Producers).ToArray();
            long count = 0;
            await foreach (var raw in read(CancellationToken.None))
            {
                if ((raw & DegradedBit) != 0)
                {
                    Interlocked.Increment(ref degraded);
                }

                var item = raw & ~DegradedBit;
                var producer = (int)(item >> 32);
                var sequence = item & 0xFFFF_FFFF;
                Assert.InRange(producer, 0, Producers - 1);
                Assert.InRange(sequence, 0, perProducer - 1);
                Assert.True(sequence > last[producer], $"producer {producer}: {sequence} after {last[producer]}");
                last[producer] = sequence;
                Assert.Equal(1, Interlocked.Increment(ref seen[(producer * perProducer) + (int)sequence]));
                count++;
            }

            return count;
        })).ToArray();

        var producerTasks = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            await start.Task;
            long rejected = 0;
            for (long sequence = 0; sequence < perProducer; sequence++)
            {
                var status = await push(((long)p << 32) | sequence);
                if (status is PushStatus.Overflow or PushStatus.Closed or PushStatus.MissingDegrader or PushStatus.DegraderFailed)
                {
                    rejected++;
                }
            }

            return rejected;
        })).ToArray();

        start.SetResult();
        var rejectedTotal = (await Task.WhenAll(producerTasks)).Sum();
        complete();
        var delivered = (await Task.WhenAll(consumerTasks)).Sum();
        return new Outcome(delivered, rejectedTotal, Interlocked.Read(ref degraded));
    }
}
