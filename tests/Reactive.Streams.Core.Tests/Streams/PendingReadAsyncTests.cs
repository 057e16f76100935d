using Reactive.Streams.Internal;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// Pending ReadAsyncs on a stream, in the engine's two modes with a lock (the lock-free mode's surfaces never call
/// ReadAsync): a push hands its item to the oldest pending ReadAsync, as <c>Channel.CreateBounded</c> hands a write to its
/// oldest blocked reader, and wakes no WaitToReadAsync for it; the counters still add up.
/// </summary>
public class PendingReadAsyncTests
{
    // A guard against a hang, never waited out when the engine behaves.
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(1);

    // The mode by name (BufferMode is internal, a public test method cannot take it).
    public static TheoryData<string, BackpressurePolicy> Modes()
    {
        var data = new TheoryData<string, BackpressurePolicy>();
        foreach (var mode in new[] { nameof(BufferMode.Locked), nameof(BufferMode.SharedLane) })
        {
            foreach (var policy in Enum.GetValues<BackpressurePolicy>())
            {
                data.Add(mode, policy);
            }
        }

        return data;
    }

    private static BoundedStream<int> Open(string modeName, BackpressurePolicy policy, int capacity = 2)
    {
        var mode = Enum.Parse<BufferMode>(modeName);
        var stream = new BoundedStream<int>(new BoundedStreamOptions<int>(policy, capacity) { Degrader = static x => -x }, mode);
        Assert.Equal(mode, stream.Buffer.Mode);
        return stream;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Pending_ReadAsyncs_take_pushes_in_the_order_they_were_called(string mode, BackpressurePolicy policy)
    {
        var stream = Open(mode, policy);
        var reads = Enumerable.Range(0, 5).Select(_ => stream.ReadAsync().AsTask()).ToList();
        var wait = stream.WaitToReadAsync().AsTask();
        Assert.All(reads, r => Assert.False(r.IsCompleted));

        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal(PushStatus.Enqueued, stream.TryPush(i).Status);
            Assert.Equal(i, await reads[i - 1].WaitAsync(HangGuard));
            Assert.All(reads.Skip(i), r => Assert.False(r.IsCompleted));
            Assert.Equal(0, stream.Depth);
        }

        // Every item went to a ReadAsync: nothing was there for the waiting reader.
        Assert.False(wait.IsCompleted);
        Assert.Equal(new StreamMetricsSnapshot(5, 5, 0, 0, 0, 0, 0, 0), stream.GetMetrics());

        Assert.Equal(PushStatus.Enqueued, stream.TryPush(6).Status);
        Assert.True(await wait.WaitAsync(HangGuard));
        Assert.Equal(6, await stream.ReadAsync());
        Assert.True(stream.GetMetrics().IsConserved);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task PushAsync_hands_its_item_to_a_pending_ReadAsync(string mode, BackpressurePolicy policy)
    {
        var stream = Open(mode, policy);
        var first = stream.ReadAsync().AsTask();
        var second = stream.ReadAsync().AsTask();

        await stream.PushAsync(1);
        using (var cts = new CancellationTokenSource())
        {
            await stream.PushAsync(2, cts.Token);
        }

        Assert.Equal(1, await first.WaitAsync(HangGuard));
        Assert.Equal(2, await second.WaitAsync(HangGuard));
        Assert.Equal(new StreamMetricsSnapshot(2, 2, 0, 0, 0, 0, 0, 0), stream.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_cancelled_pending_ReadAsync_is_skipped_and_the_push_goes_to_the_next(string mode, BackpressurePolicy policy)
    {
        var stream = Open(mode, policy);
        using var cts = new CancellationTokenSource();
        var cancelled = stream.ReadAsync(cts.Token).AsTask();
        var next = stream.ReadAsync().AsTask();

        await cts.CancelAsync();
        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(HangGuard));
        Assert.Equal(cts.Token, thrown.CancellationToken);

        Assert.Equal(PushStatus.Enqueued, stream.TryPush(1).Status);
        Assert.Equal(1, await next.WaitAsync(HangGuard));
        Assert.Equal(0, stream.Depth);
        Assert.Equal(new StreamMetricsSnapshot(1, 1, 0, 0, 0, 0, 0, 0), stream.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Completion_ends_every_pending_ReadAsync_as_closed(string mode, BackpressurePolicy policy)
    {
        var stream = Open(mode, policy);
        var reads = Enumerable.Range(0, 3).Select(_ => stream.ReadAsync().AsTask()).ToList();

        stream.Complete();

        foreach (var read in reads)
        {
            var closed = await Assert.ThrowsAsync<StreamClosedException>(() => read.WaitAsync(HangGuard));
            Assert.Null(closed.InnerException);
        }

        await stream.Completion.WaitAsync(HangGuard);
        Assert.Equal(new StreamMetricsSnapshot(0, 0, 0, 0, 0, 0, 0, 0), stream.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Completion_with_an_error_ends_every_pending_ReadAsync_as_closed_with_the_error(string mode, BackpressurePolicy policy)
    {
        var stream = Open(mode, policy);
        var reads = Enumerable.Range(0, 3).Select(_ => stream.ReadAsync().AsTask()).ToList();
        var boom = new FormatException("producer failed");

        stream.Complete(boom);

        foreach (var read in reads)
        {
            var closed = await Assert.ThrowsAsync<StreamClosedException>(() => read.WaitAsync(HangGuard));
            Assert.Same(boom, closed.InnerException);
        }

        // A ReadAsync after the completion ends the same way, without parking.
        var late = await Assert.ThrowsAsync<StreamClosedException>(() => stream.ReadAsync().AsTask().WaitAsync(HangGuard));
        Assert.Same(boom, late.InnerException);
    }

    [Theory]
    [InlineData(nameof(BufferMode.Locked))]
    [InlineData(nameof(BufferMode.SharedLane))]
    public async Task Counters_are_conserved_after_handoffs_to_pending_ReadAsyncs_and_parked_writers(string mode)
    {
        var stream = Open(mode, BackpressurePolicy.PauseUpstream, capacity: 1);
        var reads = Enumerable.Range(0, 3).Select(_ => stream.ReadAsync().AsTask()).ToList();
        Assert.Equal(PushStatus.Enqueued, stream.TryPush(1).Status);
        Assert.Equal(PushStatus.Enqueued, stream.TryPush(2).Status);
        Assert.Equal(1, await reads[0].WaitAsync(HangGuard));
        Assert.Equal(2, await reads[1].WaitAsync(HangGuard));

        // The third read takes the next push; then the buffer fills and a writer parks behind it.
        Assert.Equal(PushStatus.Enqueued, stream.TryPush(3).Status);
        Assert.Equal(3, await reads[2].WaitAsync(HangGuard));
        Assert.Equal(PushStatus.Enqueued, stream.TryPush(4).Status);
        var parked = stream.PushAsync(5).AsTask();
        Assert.False(parked.IsCompleted);
        Assert.True(stream.GetMetrics().IsConserved);

        Assert.Equal(4, await stream.ReadAsync());
        await parked.WaitAsync(HangGuard);
        Assert.Equal(5, await stream.ReadAsync());

        var last = stream.ReadAsync().AsTask();
        Assert.Equal(PushStatus.Enqueued, stream.TryPush(6).Status);
        Assert.Equal(6, await last.WaitAsync(HangGuard));

        var metrics = stream.GetMetrics();
        Assert.True(metrics.IsConserved, metrics.ToString());
        Assert.Equal(new StreamMetricsSnapshot(6, 6, 0, 0, 1, 0, 0, 0), metrics);
    }

    [Fact]
    public async Task Many_readers_and_writers_take_every_item_once_and_the_counters_add_up()
    {
        foreach (var mode in new[] { nameof(BufferMode.Locked), nameof(BufferMode.SharedLane) })
        {
            const int Writers = 4;
            const int PerWriter = 2_000;
            var stream = Open(mode, BackpressurePolicy.PauseUpstream, capacity: 2);
            var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                var taken = new List<int>();
                try
                {
                    while (true)
                    {
                        taken.Add(await stream.ReadAsync());
                    }
                }
                catch (StreamClosedException)
                {
                }

                return taken;
            })).ToList();
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < PerWriter; i++)
                {
                    await stream.PushAsync((w * PerWriter) + i);
                }
            })).ToList();

            await Task.WhenAll(writers).WaitAsync(HangGuard);
            stream.Complete();
            var all = (await Task.WhenAll(readers).WaitAsync(HangGuard)).SelectMany(t => t).Order().ToList();

            Assert.Equal(Enumerable.Range(0, Writers * PerWriter), all);
            var metrics = stream.GetMetrics();
            Assert.True(metrics.IsConserved, metrics.ToString());
            Assert.Equal(Writers * PerWriter, metrics.ItemsPushed);
            Assert.Equal(Writers * PerWriter, metrics.ItemsDelivered);
        }
    }
}
