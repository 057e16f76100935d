using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// A stream allocates nothing per item in steady state, in every engine mode and policy: a push with room, an eviction
/// (DropOldest, DegradeQuality with a static degrader), a non-waiting PauseUpstream push on a full buffer, a Fail
/// overflow, a read, a batch read, an awaited push and read that complete at once, and a snapshot of the counters.
/// Rejected pushes that throw are not steady state (the exception is the allocation) and are not measured.
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class SteadyStateAllocationTests
{
    private const int Items = 2_000;

    public static TheoryData<string, BackpressurePolicy> Cases()
    {
        var data = new TheoryData<string, BackpressurePolicy>();
        foreach (var mode in new[] { nameof(BufferMode.Locked), nameof(BufferMode.SharedLane), nameof(BufferMode.SingleLane) })
        {
            foreach (var policy in Enum.GetValues<BackpressurePolicy>())
            {
                data.Add(mode, policy);
            }
        }

        return data;
    }

    // A Debug build compiles async methods (the library's and this test's) as classes, and calling one allocates its
    // state machine even when it completes at once: the claim holds for the optimized build that ships (and that the
    // suite's command runs).
#if DEBUG
    [Theory(Skip = "allocation-free only in an optimized (Release) build of the library")]
#else
    [Theory]
#endif
    [MemberData(nameof(Cases))]
    public async Task Pushes_reads_and_snapshots_allocate_nothing_per_item(string mode, BackpressurePolicy policy)
    {
        var stream = new BoundedStream<int>(
            new BoundedStreamOptions<int>(policy, 4) { Degrader = static x => -x, Name = $"alloc-{mode}-{policy}" },
            Enum.Parse<BufferMode>(mode));
        var batch = new List<int>(8);

        // Warm up every path once (tiered compilation, the pooled waiters, the batch list's array).
        for (var round = 0; round < 3; round++)
        {
            await RoundAsync(stream, batch);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Items / 8; i++)
        {
            await RoundAsync(stream, batch);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(stream.GetMetrics().IsConserved);
    }

    /// <summary>Fills the stream past its capacity, then empties it by a read, a batch read and awaited reads.</summary>
    private static async ValueTask RoundAsync(BoundedStream<int> stream, List<int> batch)
    {
        for (var i = 0; i < 6; i++)
        {
            // Room for four: two more evict, wait (Full, not taken) or overflow, as the policy says.
            _ = stream.TryPush(i);
        }

        if (!stream.TryRead(out _))
        {
            Assert.Fail("nothing to read");
        }

        batch.Clear();
        if (stream.Buffer.TryReadBatch(batch, 2) != 2)
        {
            Assert.Fail("short batch");
        }

        await stream.PushAsync(7);
        while (stream.Depth > 0)
        {
            _ = await stream.ReadAsync();
        }

        _ = stream.GetMetrics();
    }
}
