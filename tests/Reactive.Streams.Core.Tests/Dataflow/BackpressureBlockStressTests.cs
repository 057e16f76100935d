using System.Collections.Concurrent;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Dataflow;

/// <summary>
/// Four producers offering concurrently (SendAsync under PauseUpstream, Post otherwise) into one policy block linked
/// to a bounded ActionBlock, with exact counts: conservation holds, every accepted item arrives once, each producer's
/// order survives.
/// </summary>
public class BackpressureBlockStressTests
{
    private const int Producers = 4;
    private const int PerProducer = 25_000;
    private const long DegradedBit = 1L << 62;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(1);

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public async Task Block_conserves_items_under_four_producers(BackpressurePolicy policy)
    {
        const long Total = (long)Producers * PerProducer;
        long dropped = 0;
        long declined = 0;
        var block = new BackpressureBlock<long>(new BoundedStreamOptions<long>(policy, 16)
        {
            Degrader = static x => x | DegradedBit,
            OnDropped = _ => Interlocked.Increment(ref dropped),
        });
        var received = new ConcurrentQueue<long>();
        var sink = new ActionBlock<long>(received.Enqueue, new ExecutionDataflowBlockOptions { BoundedCapacity = 4 });
        block.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (long i = 0; i < PerProducer; i++)
            {
                var item = ((long)p << 32) | i;
                var accepted = policy == BackpressurePolicy.PauseUpstream ? await block.SendAsync(item) : block.Post(item);
                if (!accepted)
                {
                    Interlocked.Increment(ref declined);
                }
            }
        })).ToArray();
        await Task.WhenAll(producers).WaitAsync(Limit);
        block.Complete();
        await sink.Completion.WaitAsync(Limit);

        var metrics = block.GetMetrics();
        Assert.True(metrics.IsConserved, metrics.ToString());
        Assert.Equal(0, metrics.Depth);
        Assert.Equal(Total, metrics.ItemsPushed);
        Assert.Equal(received.Count, metrics.ItemsDelivered);
        Assert.Equal(metrics.ItemsEvicted, Interlocked.Read(ref dropped));
        Assert.Equal(metrics.FailOverflows, Interlocked.Read(ref declined));
        Assert.Equal(Total, metrics.ItemsDelivered + metrics.ItemsEvicted + metrics.FailOverflows);
        Assert.Equal(0, metrics.ItemsRejected);
        if (policy == BackpressurePolicy.PauseUpstream)
        {
            Assert.Equal(Total, received.Count);
        }

        AssertOrderPerProducer(received);
    }

    private static void AssertOrderPerProducer(IEnumerable<long> received)
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
