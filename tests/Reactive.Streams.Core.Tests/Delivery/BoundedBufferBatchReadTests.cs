using Reactive.Streams.Tests.Support;
using Reactive.Streams.Internal;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>The engine's batch read, added for the dispatcher's workers: it must behave like repeated TryRead.</summary>
public class BoundedBufferBatchReadTests
{
    private static LockedBuffer<int> Buffer(BackpressurePolicy policy, int capacity) => new(new BoundedStreamOptions<int>(policy, capacity));

    [Fact]
    public void TryReadBatch_takes_the_oldest_items_up_to_max_and_leaves_the_rest()
    {
        var buffer = Buffer(BackpressurePolicy.Fail, 8);
        for (var i = 0; i < 5; i++)
        {
            buffer.TryPush(i);
        }

        var batch = new List<int>();
        Assert.Equal(3, buffer.TryReadBatch(batch, 3));
        Assert.Equal(2, buffer.TryReadBatch(batch, 3));
        Assert.Equal(0, buffer.TryReadBatch(batch, 3));

        Assert.Equal([0, 1, 2, 3, 4], batch);
        var metrics = buffer.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(5, 5, 0, 0, 0, 0, 0, 0), metrics);
    }

    [Fact]
    public void TryReadBatch_treats_max_as_a_bound_and_reads_past_one_chunk()
    {
        // int.MaxValue asks for whatever is there: the list grows with what is taken, not to max.
        var count = BoundedBuffer<int>.BatchReadChunk + 500;
        var buffer = Buffer(BackpressurePolicy.Fail, int.MaxValue);
        for (var i = 0; i < count; i++)
        {
            buffer.TryPush(i);
        }

        var batch = new List<int> { -1 };
        Assert.Equal(count, buffer.TryReadBatch(batch, int.MaxValue));
        Assert.Equal(0, buffer.TryReadBatch(batch, int.MaxValue));

        Assert.Equal(Enumerable.Range(-1, count + 1), batch);
        Assert.True(batch.Capacity < 4 * count, $"The list grew to {batch.Capacity}.");
    }

    [Fact]
    public async Task TryReadBatch_admits_parked_PauseUpstream_writers_in_order()
    {
        var buffer = Buffer(BackpressurePolicy.PauseUpstream, 2);
        buffer.TryPush(1);
        buffer.TryPush(2);
        var third = buffer.PushAsync(3, CancellationToken.None).AsTask();
        var fourth = buffer.PushAsync(4, CancellationToken.None).AsTask();
        var fifth = buffer.PushAsync(5, CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted || fourth.IsCompleted || fifth.IsCompleted);

        var batch = new List<int>();
        Assert.Equal(3, buffer.TryReadBatch(batch, 3));

        await Task.WhenAll(third, fourth, fifth).WaitAsync(TestLimits.Hang);
        Assert.Equal([1, 2, 3], batch);
        Assert.Equal(2, buffer.TryReadBatch(batch, 10));
        Assert.Equal([1, 2, 3, 4, 5], batch);
        var metrics = buffer.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(5, 5, 0, 0, 3, 0, 0, 0), metrics);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public async Task TryReadBatch_wakes_space_waiters_and_completes_the_drained_buffer()
    {
        var buffer = Buffer(BackpressurePolicy.PauseUpstream, 2);
        buffer.TryPush(1);
        buffer.TryPush(2);
        var space = buffer.WaitToPushAsync(CancellationToken.None).AsTask();
        Assert.False(space.IsCompleted);
        buffer.TryComplete(null);
        Assert.False(await space.WaitAsync(TestLimits.Hang));
        Assert.False(buffer.Completion.IsCompleted);

        Assert.Equal(2, buffer.TryReadBatch([], 5));

        await buffer.Completion.WaitAsync(TestLimits.Hang);
    }

    [Fact]
    public async Task TryReadBatch_makes_room_for_a_space_waiter()
    {
        var buffer = Buffer(BackpressurePolicy.PauseUpstream, 2);
        buffer.TryPush(1);
        buffer.TryPush(2);
        var space = buffer.WaitToPushAsync(CancellationToken.None).AsTask();

        Assert.Equal(1, buffer.TryReadBatch([], 1));

        Assert.True(await space.WaitAsync(TestLimits.Hang));
    }

    [Fact]
    public async Task TryReadBatch_races_with_producers_without_losing_or_duplicating_items()
    {
        const int PerProducer = 50_000;
        var buffer = Buffer(BackpressurePolicy.PauseUpstream, 16);
        var producers = Enumerable.Range(0, 2).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < PerProducer; i++)
            {
                await buffer.PushAsync((p * PerProducer) + i, CancellationToken.None);
            }
        })).ToArray();
        var seen = new int[2 * PerProducer];
        var consumer = Task.Run(async () =>
        {
            var batch = new List<int>();
            while (await buffer.WaitToReadAsync(CancellationToken.None))
            {
                batch.Clear();
                buffer.TryReadBatch(batch, 7);
                batch.ForEach(i => seen[i]++);
            }
        });

        await Task.WhenAll(producers).WaitAsync(TestLimits.Hang);
        buffer.TryComplete(null);
        await consumer.WaitAsync(TestLimits.Hang);

        Assert.All(seen, count => Assert.Equal(1, count));
        Assert.True(buffer.GetMetrics().IsConserved);
    }
}
