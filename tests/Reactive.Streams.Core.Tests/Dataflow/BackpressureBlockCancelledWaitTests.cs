using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Dataflow;

/// <summary>
/// <c>ReceiveAsync</c> and <c>OutputAvailableAsync</c> link a target to the block for as long as they wait; cancelled,
/// they unlink it. A consumer that polls a long-lived block with a per-call token (a timeout, a shutdown token) cancels
/// many such waits: none may stay linked, or the block keeps every cancelled wait (and what it holds) reachable and offers
/// each new item to all of them first. Each case keeps the block alive and checks that the cancelled waits' tasks are
/// collected; <c>BufferBlock</c> runs the same loop as the oracle.
/// </summary>
public class BackpressureBlockCancelledWaitTests
{
    private const int Waits = 100;

    public static TheoryData<string, string> Cases => new()
    {
        { "BackpressureBlock", "ReceiveAsync" },
        { "BackpressureBlock", "OutputAvailableAsync" },
        { "BufferBlock", "ReceiveAsync" },
        { "BufferBlock", "OutputAvailableAsync" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Waits_cancelled_on_an_empty_block_stay_linked_to_nothing(string kind, string wait)
    {
        IPropagatorBlock<int, int> block = kind == "BufferBlock"
            ? new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1 })
            : new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));

        var waits = await CancelledWaitsAsync(block, wait);

        // The offering loop may still run on the thread pool with the snapshot of the links it took when the last wait
        // linked (a transient reference, gone once it stops): wait for the collection, with a watchdog, as for any state.
        Assert.True(
            SpinWait.SpinUntil(
                () =>
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    return !waits.Any(w => w.TryGetTarget(out _));
                },
                TestLimits.Hang),
            $"{waits.Count(w => w.TryGetTarget(out _))} cancelled waits are still reachable from the block.");

        // The block goes on: the next item goes to the next receiver, not to a cancelled one.
        var receive = block.ReceiveAsync();
        Assert.True(block.Post(7));
        Assert.Equal(7, await receive.WaitAsync(TestLimits.Hang));
        GC.KeepAlive(block);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<List<WeakReference<Task>>> CancelledWaitsAsync(IPropagatorBlock<int, int> block, string wait)
    {
        var waits = new List<WeakReference<Task>>();
        for (var i = 0; i < Waits; i++)
        {
            using var cts = new CancellationTokenSource();
            Task pending = wait == "ReceiveAsync" ? block.ReceiveAsync(cts.Token) : block.OutputAvailableAsync(cts.Token);
            Assert.False(pending.IsCompleted);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending).WaitAsync(TestLimits.Hang);
            waits.Add(new WeakReference<Task>(pending));
        }

        return waits;
    }
}
