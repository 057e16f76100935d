using System.Text;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// Issue 6's "<c>OnFull.Block</c> (waits: at-least-once; a stalled sink eventually backpressures the pipeline)" read
/// with issue 8's pipeline behind it: a cursor canal whose pull loop dispatches each frame with its ack token stops
/// pulling once a stalled sink's queue is full, holds exactly the window the docs give, never checkpoints past the
/// stalled frame, and either resumes when the sink does or, after a crash, redelivers exactly what was not acknowledged.
/// </summary>
public class DeliveryBackpressurePipelineTests
{
    private const string Stream = "events";
    private const int PullMax = 8;
    private const int QueueCapacity = 4;

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    private static async Task<List<StreamId>> AppendAsync(IStreamLog log, int count)
    {
        var ids = new List<StreamId>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await log.AppendAsync(Stream, Encoding.UTF8.GetBytes($"e{i}"), AppendMode.Durable)).Id);
        }

        return ids;
    }

    /// <summary>
    /// A cursor canal, a dispatcher with a sink that commits everything and one that stalls on its first write of e0, and
    /// the first pulled batch dispatched until a dispatch has to wait for room.
    /// </summary>
    private sealed class StalledPipeline : IAsyncDisposable
    {
        private StalledPipeline(CursorCanal canal, DeliveryDispatcher<string> dispatcher, RecordingSink<string> fine, RecordingSink<string> stalled, TaskCompletionSource held, TaskCompletionSource release)
        {
            Canal = canal;
            Dispatcher = dispatcher;
            Fine = fine;
            Stalled = stalled;
            Held = held;
            Release = release;
        }

        public CursorCanal Canal { get; }

        public DeliveryDispatcher<string> Dispatcher { get; }

        public RecordingSink<string> Fine { get; }

        public RecordingSink<string> Stalled { get; }

        public TaskCompletionSource Held { get; }

        public TaskCompletionSource Release { get; }

        public CanalBatch<StreamFrame> Batch { get; private set; }

        public int ParkedAt { get; private set; } = -1;

        public ValueTask Parked { get; private set; }

        public static async Task<StalledPipeline> StartAsync(IStreamLog log)
        {
            var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var fine = new RecordingSink<string>("fine");
            var stalled = new RecordingSink<string>("stalled", behaviour: async (item, attempt, cancellationToken) =>
            {
                if (item == "e0" && attempt == 1)
                {
                    held.TrySetResult();
                    await release.Task.WaitAsync(TestLimits.Hang, cancellationToken);
                }
            });
            var options = new DeliveryOptions<string> { Name = "stalled-pipeline", QueueCapacity = QueueCapacity, MaxBatch = 1 };
            // The fine sink's queue is roomy, so only the stalled sink's can be full however late the fine worker runs.
            options.AddSink(fine, new DeliverySinkOptions { QueueCapacity = 64 }).AddSink(stalled);
            var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "reader" });
            var pipeline = new StalledPipeline(canal, new DeliveryDispatcher<string>(options), fine, stalled, held, release);
            pipeline.Batch = await canal.PullBatchAsync(PullMax, TimeSpan.Zero);
            Assert.Equal(PullMax, pipeline.Batch.Count);

            // e0 first, and only once the stalled sink holds it: then its queue fills with the next four, deterministically.
            await pipeline.Dispatcher.DispatchAsync(Text(pipeline.Batch[0]), canal.AckTokenFor(pipeline.Batch[0]));
            await held.Task.WaitAsync(TestLimits.Hang);
            for (var i = 1; i < pipeline.Batch.Count; i++)
            {
                var dispatch = pipeline.Dispatcher.DispatchAsync(Text(pipeline.Batch[i]), canal.AckTokenFor(pipeline.Batch[i]));
                if (!dispatch.IsCompleted)
                {
                    pipeline.ParkedAt = i;
                    pipeline.Parked = dispatch;
                    break;
                }

                await dispatch;
            }

            return pipeline;
        }

        public async ValueTask DisposeAsync()
        {
            await Dispatcher.DisposeAsync();
            await Canal.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_stalled_Block_sink_stops_the_pull_loop_with_its_window_full_and_the_checkpoint_before_the_stalled_frame()
    {
        await using var log = new InMemoryStreamLog();
        var ids = await AppendAsync(log, 40);
        await using var pipeline = await StalledPipeline.StartAsync(log);

        // One item in the stalled write and QueueCapacity queued behind it: the next dispatch waits for room, as a
        // bounded channel's WriteAsync does, so the loop cannot go on to its next pull.
        Assert.Equal(1 + QueueCapacity, pipeline.ParkedAt);
        Assert.False(pipeline.Parked.IsCompleted);
        Assert.Equal(QueueCapacity, pipeline.Dispatcher.GetSinkMetrics("stalled").QueueDepth);
        await pipeline.Fine.WhenCommitted(1 + QueueCapacity);

        // The window is the pulled batch; nothing was acknowledged (e0 holds the prefix), so nothing is checkpointed.
        await pipeline.Canal.FlushCheckpointAsync();
        Assert.Equal(ids[PullMax - 1], pipeline.Canal.ReadPosition);
        Assert.Equal(PullMax, pipeline.Canal.Unacknowledged);
        Assert.Equal(0, pipeline.Dispatcher.AcknowledgedCount);
        Assert.Null(await ((ICheckpointStore)log).ReadCheckpointAsync("reader"));
        Assert.False(pipeline.Parked.IsCompleted);

        // The sink recovers: the parked dispatch gets its room, the loop goes on, and every frame is acknowledged.
        pipeline.Release.SetResult();
        await pipeline.Parked;
        for (var i = pipeline.ParkedAt + 1; i < pipeline.Batch.Count; i++)
        {
            await pipeline.Dispatcher.DispatchAsync(Text(pipeline.Batch[i]), pipeline.Canal.AckTokenFor(pipeline.Batch[i]));
        }

        while (true)
        {
            var batch = await pipeline.Canal.PullBatchAsync(PullMax, TimeSpan.Zero);
            if (batch.IsEmpty)
            {
                break;
            }

            foreach (var frame in batch)
            {
                await pipeline.Dispatcher.DispatchAsync(Text(frame), pipeline.Canal.AckTokenFor(frame));
            }
        }

        Assert.True(await pipeline.Dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        var expected = Enumerable.Range(0, 40).Select(i => $"e{i}");
        Assert.Equal(expected, pipeline.Fine.Committed);
        Assert.Equal(expected, pipeline.Stalled.Committed);
        Assert.Equal(40, pipeline.Dispatcher.AcknowledgedCount);
        await pipeline.Canal.FlushCheckpointAsync();
        Assert.Equal(ids[^1], await ((ICheckpointStore)log).ReadCheckpointAsync("reader"));
        Assert.Equal(0, pipeline.Canal.Unacknowledged);
    }

    [Fact]
    public async Task A_crash_behind_a_stalled_Block_sink_redelivers_the_pulled_batch_and_nothing_an_ack_had_covered()
    {
        await using var log = new InMemoryStreamLog();
        var ids = await AppendAsync(log, 20);
        var pipeline = await StalledPipeline.StartAsync(log);
        Assert.Equal(1 + QueueCapacity, pipeline.ParkedAt);

        // The fine sink comes first, so it took the parked frame too before the stalled sink's queue refused it.
        await pipeline.Fine.WhenCommitted(2 + QueueCapacity);

        // The crash: the dispatcher stops without draining (the parked dispatch fails, the stalled write is cancelled),
        // and the canal writes what was acknowledged: nothing.
        Assert.False(await pipeline.Dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TestLimits.Hang));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await pipeline.Parked);
        await pipeline.DisposeAsync();
        Assert.Equal(0, pipeline.Dispatcher.AcknowledgedCount);
        Assert.Empty(pipeline.Stalled.Committed);
        Assert.Null(await ((ICheckpointStore)log).ReadCheckpointAsync("reader"));

        // The restart starts again at e0: the duplicates at the fine sink are exactly the frames it committed that no
        // acknowledgement covered, and are fewer than the window (one pulled batch).
        var restarted = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "reader" });
        var again = await restarted.PullBatchAsync(100, TimeSpan.Zero);
        Assert.Equal(ids, again.Select(f => f.Id));
        var duplicates = pipeline.Fine.Committed;
        Assert.Equal(Enumerable.Range(0, 2 + QueueCapacity).Select(i => $"e{i}"), duplicates);
        Assert.InRange(duplicates.Count, 0, PullMax);
        await restarted.CommitAsync(again.Last);
        await restarted.DisposeAsync();
        Assert.Equal(ids[^1], await ((ICheckpointStore)log).ReadCheckpointAsync("reader"));
    }

    [Fact]
    public async Task A_dispatch_after_shutdown_to_Drop_sinks_only_is_refused_not_counted_as_dropped_and_never_acked()
    {
        // Issue 6, bad input: "Dispatch after shutdown: a clear InvalidOperationException ... never a silent loss". A
        // Drop queue never waits, so a refusal there must not pass for an ordinary drop (which would be acknowledged).
        var sink = new RecordingSink<int>("lossy");
        var options = new DeliveryOptions<int> { Name = "drop-only", OnFull = OnFull.Drop, QueueCapacity = 1 };
        options.AddSink(sink);
        var dispatcher = new DeliveryDispatcher<int>(options);
        var before = new AckCompletionSource();
        await dispatcher.DispatchAsync(1, before);
        await before.Task.WaitAsync(TestLimits.Hang);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));

        var after = new AckCompletionSource();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(async () => await dispatcher.DispatchAsync(2, after));
        Assert.IsNotType<ObjectDisposedException>(refused);
        Assert.Contains("'drop-only'", refused.Message, StringComparison.Ordinal);
        Assert.False(after.IsAcknowledged);
        Assert.Equal(1, dispatcher.AcknowledgedCount);
        Assert.Equal(new DeliverySinkMetrics("lossy", 1, 0, 0, 0, 0, 0), dispatcher.GetSinkMetrics("lossy"));

        await dispatcher.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await dispatcher.DispatchAsync(3, after));
        Assert.False(after.IsAcknowledged);
        Assert.Equal([1], sink.Committed);
        Assert.Equal(0, dispatcher.GetSinkMetrics("lossy").Dropped);
    }
}
