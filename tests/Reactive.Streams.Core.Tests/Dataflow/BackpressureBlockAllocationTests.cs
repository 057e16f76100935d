using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Dataflow;

/// <summary>
/// The block allocates nothing per message in steady state under any policy: a post with room, an eviction, a declined
/// or overflowing post on a full block, and a receive. (A lambda capturing a local of the read path once allocated its
/// closure on every read: 24 bytes a message, seen only in the benchmark's allocation column.)
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class BackpressureBlockAllocationTests
{
    private const int Rounds = 500;

    [Theory]
    [InlineData(BackpressurePolicy.DropOldest)]
    [InlineData(BackpressurePolicy.DegradeQuality)]
    [InlineData(BackpressurePolicy.PauseUpstream)]
    [InlineData(BackpressurePolicy.Fail)]
    public void Posts_and_receives_allocate_nothing_per_message(BackpressurePolicy policy)
    {
        var block = new BackpressureBlock<int>(
            new BoundedStreamOptions<int>(policy, 4) { Degrader = static x => -x, Name = $"block-alloc-{policy}" });

        // Warm up every path once (tiered compilation).
        for (var round = 0; round < 3; round++)
        {
            Round(block);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < Rounds; round++)
        {
            Round(block);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(block.GetMetrics().IsConserved, block.GetMetrics().ToString());
    }

    /// <summary>Posts past the capacity (two more evict, are declined or overflow, as the policy says), then receives all.</summary>
    private static void Round(BackpressureBlock<int> block)
    {
        for (var i = 0; i < 6; i++)
        {
            _ = block.Post(i);
        }

        while (block.TryReceive(out _))
        {
        }
    }
}
