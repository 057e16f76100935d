using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Dataflow;

/// <summary>
/// What the twin suites of the block share (<see cref="BackpressureBlockTwinTests"/>,
/// <see cref="BackpressureBlockTwinProtocolTests"/>): the twins, how each is made, and the reads every case asserts with.
/// </summary>
public static class BlockTwins
{
    /// <summary>The twin, and the block under each policy.</summary>
    public enum Twin
    {
        BufferBlock,
        PauseUpstream,
        DropOldest,
        DegradeQuality,
        Fail,
    }

    /// <summary><see cref="BufferBlock{T}"/> with <c>BoundedCapacity</c>, or the block under the twin's policy (degrading x to -x).</summary>
    internal static IPropagatorBlock<int, int> Create(Twin twin, int capacity) => twin == Twin.BufferBlock
        ? new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = capacity })
        : new BackpressureBlock<int>(Enum.Parse<BackpressurePolicy>(twin.ToString()), capacity, static x => -x);

    internal static IReceivableSourceBlock<int> Receivable(IPropagatorBlock<int, int> block) => (IReceivableSourceBlock<int>)block;

    internal static int Count(IPropagatorBlock<int, int> block) => block switch
    {
        BufferBlock<int> buffer => buffer.Count,
        BackpressureBlock<int> policy => policy.Count,
        _ => throw new ArgumentException("Not a twin.", nameof(block)),
    };

    internal static List<int> ReceiveAll(IPropagatorBlock<int, int> block) =>
        Receivable(block).TryReceiveAll(out var items) ? [.. items] : [];

    /// <summary>The block's counters add up (the twin has none).</summary>
    internal static void AssertConserved(IPropagatorBlock<int, int> block)
    {
        if (block is BackpressureBlock<int> policy)
        {
            var metrics = policy.GetMetrics();
            Assert.True(metrics.IsConserved, metrics.ToString());
        }
    }

    /// <summary>
    /// The twin faulted with exactly <paramref name="error"/> (its only exception), passed it on to
    /// <paramref name="downstream"/> (linked with <c>PropagateCompletion</c>), refuses posts and holds nothing.
    /// </summary>
    internal static async Task AssertFaultedWithAsync(IPropagatorBlock<int, int> block, Exception error, IDataflowBlock downstream)
    {
        Assert.Same(error, await Assert.ThrowsAsync(error.GetType(), () => block.Completion.WaitAsync(TestLimits.Hang)));
        Assert.Same(error, Assert.Single(block.Completion.Exception!.InnerExceptions));
        var propagated = await Assert.ThrowsAsync<AggregateException>(() => downstream.Completion.WaitAsync(TestLimits.Hang));
        Assert.Same(error, Assert.Single(propagated.Flatten().InnerExceptions));
        Assert.False(block.Post(3));
        Assert.False(Receivable(block).TryReceive(out _));
        Assert.Equal(0, Count(block));
        AssertConserved(block);
    }

    /// <summary>A twin of capacity 2 holding [1, 2].</summary>
    internal static IPropagatorBlock<int, int> Full(Twin twin)
    {
        var block = Create(twin, 2);
        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        return block;
    }
}
