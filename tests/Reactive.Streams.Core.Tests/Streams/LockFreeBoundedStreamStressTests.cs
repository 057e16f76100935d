using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// Streams on the engine's lock-free mode (the Rx operators' and <c>SubscribeAsync</c>'s; created here through the
/// internal constructor, since streams and channels do not choose it) on two real threads, with exact accounting: every
/// item is delivered, evicted or rejected exactly once, deliveries keep the push order, and cancelled waits on both sides
/// are counted once and lose nothing.
/// </summary>
public class LockFreeBoundedStreamStressTests
{
    private const long DegradedBit = ItemAccounting.DegradedBit;
    private static readonly TimeSpan Limit = TestLimits.Hang;

    public static TheoryData<BackpressurePolicy, int> Cases() => new()
    {
        { BackpressurePolicy.DropOldest, 1 },
        { BackpressurePolicy.DropOldest, 64 },
        { BackpressurePolicy.DegradeQuality, 3 },
        { BackpressurePolicy.PauseUpstream, 1 },
        { BackpressurePolicy.PauseUpstream, 64 },
        { BackpressurePolicy.Fail, 64 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task One_writer_and_one_reader_account_for_every_item(BackpressurePolicy policy, int capacity)
    {
        const int Total = 300_000;
        var evicted = new List<long>();
        var options = new BoundedStreamOptions<long>(policy, capacity)
        {
            Degrader = static x => x | DegradedBit,
            OnDropped = evicted.Add,
        };
        var stream = new BoundedStream<long>(options, BufferMode.SingleLane);
        Assert.True(stream.Buffer.IsLockFree);

        var reader = Task.Run(async () =>
        {
            var received = new List<long>();
            while (await stream.WaitToReadAsync())
            {
                while (stream.TryRead(out var item))
                {
                    received.Add(item);
                }
            }

            return received;
        });

        var rejected = await Task.Run(async () =>
        {
            var refused = new List<long>();
            for (long i = 0; i < Total; i++)
            {
                if (policy == BackpressurePolicy.PauseUpstream)
                {
                    await stream.PushAsync(i);
                }
                else if (!stream.TryPush(i).IsAccepted)
                {
                    refused.Add(i);
                }
            }

            stream.Complete();
            return refused;
        });
        var delivered = await reader.WaitAsync(Limit);
        await stream.Completion.WaitAsync(Limit);

        ItemAccounting.AssertEachOnceInOrder(Total, delivered, evicted.Concat(rejected));

        var metrics = stream.GetMetrics();
        Assert.True(metrics.IsConserved, metrics.ToString());
        Assert.Equal(Total, metrics.ItemsPushed);
        Assert.Equal(delivered.Count, metrics.ItemsDelivered);
        Assert.Equal(evicted.Count, metrics.ItemsEvicted);
        Assert.Equal(rejected.Count, metrics.FailOverflows);
        Assert.Equal(0, metrics.Depth);
        if (policy == BackpressurePolicy.PauseUpstream)
        {
            Assert.Equal(Total, delivered.Count);
        }
    }

    [Fact]
    public async Task Cancelled_pushes_and_reads_are_counted_once_and_lose_nothing()
    {
        const int Total = 40_000;
        var stream = new BoundedStream<long>(new BoundedStreamOptions<long>(BackpressurePolicy.PauseUpstream, 4), BufferMode.SingleLane);
        Assert.True(stream.Buffer.IsLockFree);

        var cancelledReads = 0;
        var reader = Task.Run(async () =>
        {
            var received = new List<long>();
            for (var n = 0; ; n++)
            {
                using var cts = new CancellationTokenSource();
                var wait = stream.WaitToReadAsync(cts.Token);
                if (n % 5 == 0)
                {
                    cts.Cancel();
                }

                bool more;
                try
                {
                    more = await wait;
                }
                catch (OperationCanceledException)
                {
                    cancelledReads++;
                    continue;
                }

                if (!more)
                {
                    return received;
                }

                while (stream.TryRead(out var item))
                {
                    received.Add(item);
                }
            }
        });

        var cancelledPushes = await Task.Run(async () =>
        {
            var cancelled = new HashSet<long>();
            for (long i = 0; i < Total; i++)
            {
                using var cts = new CancellationTokenSource();
                var push = stream.PushAsync(i, cts.Token);
                if (i % 3 == 0)
                {
                    cts.Cancel();
                }

                try
                {
                    await push;
                }
                catch (OperationCanceledException)
                {
                    cancelled.Add(i);
                }
            }

            stream.Complete();
            return cancelled;
        });
        var delivered = await reader.WaitAsync(Limit);

        Assert.Equal(Enumerable.Range(0, Total).Select(i => (long)i).Where(i => !cancelledPushes.Contains(i)), delivered);
        var metrics = stream.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(Total, delivered.Count, 0, 0, metrics.PauseUpstreamBlocks, 0, cancelledPushes.Count, 0), metrics);
        Assert.InRange(metrics.PauseUpstreamBlocks, cancelledPushes.Count, Total);
        Assert.True(cancelledReads > 0, "some reads were cancelled while parked or before");
    }

    [Fact]
    public async Task A_second_reader_on_the_lock_free_mode_is_refused_with_the_stream_named()
    {
        var stream = new BoundedStream<int>(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4) { Name = "solo" }, BufferMode.SingleLane);
        var first = stream.WaitToReadAsync().AsTask();

        var error = Assert.Throws<InvalidOperationException>(() => stream.WaitToReadAsync());
        Assert.Contains("solo", error.Message);
        Assert.Contains("single reader", error.Message);

        // The first reader is still parked, and still woken.
        Assert.False(first.IsCompleted);
        stream.TryPush(1);
        Assert.True(await first.WaitAsync(Limit));
    }
}
