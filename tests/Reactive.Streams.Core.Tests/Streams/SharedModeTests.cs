using Reactive.Streams.Internal;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// The shared mode, the default of streams and channels: writers take the engine's lock and readers do not, with any
/// number of each. (The whole stream and channel suites also run on it; these are the properties only it has.)
/// </summary>
public class SharedModeTests
{
    // A guard against a hang, never waited out when the engine behaves.
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_reader_takes_items_while_a_writer_holds_the_lock()
    {
        var stream = BoundedStream.PauseUpstream<int>(4);
        Assert.Equal(BufferMode.SharedLane, stream.Buffer.Mode);
        await stream.PushAsync(1);
        await stream.PushAsync(2);

        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            lock (((SharedLaneBuffer<int>)stream.Buffer).WriterLock)
            {
                held.Set();
                release.Wait();
            }
        });
        holder.Start();
        held.Wait();
        try
        {
            // A reader that needed the lock would wait for the holder, and the guard would fire.
            var read = await Task.Run(() =>
            {
                var ready = stream.WaitToReadAsync().AsTask();
                Assert.True(ready.IsCompletedSuccessfully);
                var items = new List<int>();
                while (stream.TryRead(out var item))
                {
                    items.Add(item);
                }

                return items;
            }).WaitAsync(HangGuard);

            Assert.Equal([1, 2], read);
            Assert.Equal(0, stream.Depth);
        }
        finally
        {
            release.Set();
            holder.Join();
        }

        Assert.Equal(new StreamMetricsSnapshot(2, 2, 0, 0, 0, 0, 0, 0), stream.GetMetrics());
    }

    [Fact]
    public async Task Parked_writers_enter_in_the_order_they_parked_when_readers_make_room()
    {
        var stream = BoundedStream.PauseUpstream<int>(1);
        await stream.PushAsync(0);
        var parked = Enumerable.Range(1, 5).Select(i => stream.PushAsync(i).AsTask()).ToList();
        Assert.All(parked, p => Assert.False(p.IsCompleted));

        // A push that finds writers parked queues behind them, even once there is room.
        Assert.Equal(PushStatus.Full, stream.TryPush(99).Status);

        var read = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            Assert.True(stream.TryRead(out var item));
            read.Add(item);
        }

        await Task.WhenAll(parked).WaitAsync(HangGuard);
        Assert.Equal([0, 1, 2, 3, 4, 5], read);
        Assert.Equal(new StreamMetricsSnapshot(6, 6, 0, 0, 5, 0, 0, 0), stream.GetMetrics());
    }

    [Fact]
    public async Task A_reader_parked_while_another_lets_a_writer_in_is_woken()
    {
        // The window: a reader has claimed the last item without the lock and is about to take the lock to let a parked
        // writer in. A second reader that parks on the empty buffer in that window must be woken by the hand-off,
        // since no push may ever come again. This thread holds the lock to keep the first reader in the window, and
        // parks the second reader itself (the lock is reentrant).
        var stream = BoundedStream.PauseUpstream<int>(1);
        Assert.True(stream.TryPush(0).IsAccepted);
        var writer = stream.PushAsync(1);
        Assert.False(writer.IsCompleted);

        var first = -1;
        var reader = new Thread(() => stream.TryRead(out first));
        ValueTask<bool> second;
        lock (((SharedLaneBuffer<int>)stream.Buffer).WriterLock)
        {
            reader.Start();
            var spinner = default(SpinWait);
            while (stream.Depth != 0)
            {
                spinner.SpinOnce();
            }

            second = stream.WaitToReadAsync();
            Assert.False(second.IsCompleted);
        }

        Assert.True(reader.Join(HangGuard));
        Assert.Equal(0, first);
        Assert.True(writer.IsCompletedSuccessfully);
        Assert.True(second.IsCompleted, "the parked reader was not woken by the hand-off");
        Assert.True(await second);
        Assert.True(stream.TryRead(out var handedIn));
        Assert.Equal(1, handedIn);
        Assert.Equal(new StreamMetricsSnapshot(2, 2, 0, 0, 1, 0, 0, 0), stream.GetMetrics());
    }

    // Also the locked mode's (the delivery layer batches its reads), by name since BufferMode is internal.
    [Theory]
    [InlineData(nameof(BufferMode.SharedLane))]
    [InlineData(nameof(BufferMode.Locked))]
    public async Task A_batch_read_that_makes_more_room_than_parked_writers_take_wakes_those_waiting_for_room(string engineMode)
    {
        var stream = new BoundedStream<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 4), Enum.Parse<BufferMode>(engineMode));
        for (var i = 0; i < 4; i++)
        {
            Assert.True(stream.TryPush(i).IsAccepted);
        }

        var writer = stream.PushAsync(4);
        var space = stream.Buffer.WaitToPushAsync(CancellationToken.None);
        Assert.False(writer.IsCompleted);
        Assert.False(space.IsCompleted);

        var batch = new int[4];
        Assert.Equal(4, stream.Buffer.TryReadMany(batch));

        // The parked writer's item takes one of the four places; the other three are room for the space waiter.
        Assert.True(writer.IsCompletedSuccessfully);
        Assert.True(space.IsCompleted, "the space waiter was not woken");
        Assert.True(await space);
        Assert.Equal([0, 1, 2, 3], batch);
        Assert.Equal(1, stream.Depth);
    }

    public static TheoryData<BackpressurePolicy, int> Cases() => new()
    {
        { BackpressurePolicy.DropOldest, 1 },
        { BackpressurePolicy.DropOldest, 3 },
        { BackpressurePolicy.DegradeQuality, 1 },
        { BackpressurePolicy.PauseUpstream, 1 },
        { BackpressurePolicy.PauseUpstream, 3 },
        { BackpressurePolicy.Fail, 1 },
    };

    /// <summary>
    /// Tiny capacities make every push race the readers' claims: evictions and hand-offs on nearly every item, three
    /// readers claiming against each other. Exact accounting, per-producer order, nothing delivered twice.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Four_writers_and_three_readers_account_for_every_item_at_tiny_capacities(BackpressurePolicy policy, int capacity)
    {
        const int PerProducer = 50_000;
        long evicted = 0;
        var stream = BoundedStream.Create(new BoundedStreamOptions<long>(policy, capacity)
        {
            Degrader = static x => x | (1L << 62),
            OnDropped = _ => Interlocked.Increment(ref evicted),
        });
        Assert.Equal(BufferMode.SharedLane, stream.Buffer.Mode);

        var outcome = await BoundedStreamStressTests.RunAsync(
            PerProducer,
            consumers: 3,
            push: BoundedStreamStressTests.PushFor(stream, policy),
            read: stream.ReadAllAsync,
            complete: () => stream.Complete());

        BoundedStreamStressTests.AssertConservation(policy, PerProducer, outcome, stream.GetMetrics(), Interlocked.Read(ref evicted));
    }
}
