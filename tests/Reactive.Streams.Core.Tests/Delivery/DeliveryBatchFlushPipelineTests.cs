using System.Text;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// Issue 6's "a partial batch is flushed after <c>BatchFlush</c>" read with the pipeline of issue 8 behind it, in virtual
/// time: the flush window (when it starts, what a retry of the flushed batch holds), and a cursor canal whose
/// checkpoint must not pass a frame a batch sink is still holding, across a crash while the batch is held.
/// </summary>
public class DeliveryBatchFlushPipelineTests
{
    private const string Stream = "events";

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    private static async Task AppendAsync(IStreamLog log, params string[] items)
    {
        foreach (var item in items)
        {
            await log.AppendAsync(Stream, Encoding.UTF8.GetBytes(item), AppendMode.Durable);
        }
    }

    [Fact]
    public async Task A_partial_batch_held_for_BatchFlush_keeps_the_canal_checkpoint_back_until_the_flush_writes_it()
    {
        var time = new RecordingTimeProvider();
        await using var log = new InMemoryStreamLog();
        await AppendAsync(log, "e0", "e1", "e2", "e3", "e4");
        var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "bulk-reader" });
        var sink = new RecordingBatchSink<string>("bulk");
        var options = new DeliveryOptions<string> { TimeProvider = time, MaxBatch = 8, BatchFlush = TimeSpan.FromSeconds(2) }.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<string>(options);

        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(5, batch.Count);
        foreach (var frame in batch)
        {
            await dispatcher.DispatchAsync(Text(frame), canal.AckTokenFor(frame));
        }

        // The worker holds all five (its queue is empty) and waits out the flush window it armed for them.
        Assert.Equal(TimeSpan.FromSeconds(2), await time.NextTimerAsync());
        await WaitUntil(() => dispatcher.GetSinkMetrics("bulk").QueueDepth == 0);

        time.Advance(TimeSpan.FromSeconds(2) - TimeSpan.FromTicks(1));
        await canal.FlushCheckpointAsync();
        Assert.Empty(sink.Batches);
        Assert.Equal(0, dispatcher.AcknowledgedCount);
        Assert.Null(await ((ICheckpointStore)log).ReadCheckpointAsync("bulk-reader"));
        Assert.Equal(5, canal.Unacknowledged);

        time.Advance(TimeSpan.FromTicks(1));
        await sink.WhenCommitted(5);
        await WaitUntil(() => dispatcher.AcknowledgedCount == 5);
        Assert.Equal([["e0", "e1", "e2", "e3", "e4"]], sink.Batches);
        await canal.FlushCheckpointAsync();
        Assert.Equal(batch.Last.Id, await ((ICheckpointStore)log).ReadCheckpointAsync("bulk-reader"));
        Assert.Equal(0, canal.Unacknowledged);
        await canal.DisposeAsync();
    }

    [Fact]
    public async Task The_flush_window_runs_from_the_first_item_taken_and_later_items_do_not_extend_it()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingBatchSink<int>("bulk");
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxBatch = 4, BatchFlush = TimeSpan.FromSeconds(2) }.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var first = new AckCompletionSource();
        var second = new AckCompletionSource();

        await dispatcher.DispatchAsync(0, first);
        Assert.Equal(TimeSpan.FromSeconds(2), await time.NextTimerAsync());
        time.Advance(TimeSpan.FromSeconds(1.5));
        await dispatcher.DispatchAsync(1, second);
        await WaitUntil(() => dispatcher.GetSinkMetrics("bulk").QueueDepth == 0);

        // 2 s after the first item, not 2 s after the last: a partial batch waits BatchFlush at most.
        time.Advance(TimeSpan.FromSeconds(0.5));
        await sink.WhenCommitted(2);
        await Task.WhenAll(first.Task, second.Task).WaitAsync(TestLimits.Hang);
        Assert.Equal([[0, 1]], sink.Batches);

        // No other timer was armed for the batch: the second item joined the window the first one opened.
        Assert.Equal([TimeSpan.FromSeconds(2)], time.AllTimers);
    }

    [Fact]
    public async Task A_batch_retried_after_a_transient_failure_is_the_same_batch_and_what_arrives_during_its_backoff_forms_the_next()
    {
        var time = new RecordingTimeProvider();
        var seen = new List<int[]>();
        var sink = new RecordingBatchSink<int>("bulk", (items, attempt) =>
        {
            lock (seen)
            {
                seen.Add([.. items]);
            }

            return attempt == 1 ? ValueTask.FromException(new IOException("bulk endpoint busy")) : default;
        });
        var options = new DeliveryOptions<int>
        {
            TimeProvider = time,
            MaxBatch = 8,
            BackoffBase = TimeSpan.FromSeconds(1),
            MaxBackoff = TimeSpan.FromSeconds(1),
        }.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 6).Select(_ => new AckCompletionSource()).ToArray();

        for (var i = 0; i < 3; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        // The worker may take the three in one batch or in several; wait for the first failure and its backoff.
        Assert.Equal(TimeSpan.FromSeconds(1), await time.NextTimerAsync());
        int[] failed;
        lock (seen)
        {
            failed = Assert.Single(seen);
        }

        for (var i = 3; i < 6; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        Assert.All(acks, a => Assert.False(a.IsAcknowledged));
        time.Advance(TimeSpan.FromSeconds(1));
        await sink.WhenCommitted(6);
        await Task.WhenAll(acks.Select(a => a.Task)).WaitAsync(TestLimits.Hang);

        // The retry is the failed batch, item for item; nothing queued during the backoff joined it.
        lock (seen)
        {
            Assert.Equal(failed, seen[1]);
        }

        Assert.Equal(failed, sink.Batches[0]);
        Assert.Equal(Enumerable.Range(0, 6), sink.Batches.SelectMany(b => b));
        Assert.Equal(1, dispatcher.GetSinkMetrics("bulk").Retries);
        Assert.Equal(6, dispatcher.GetSinkMetrics("bulk").Delivered);
    }

    [Fact]
    public async Task A_crash_while_a_partial_batch_is_held_redelivers_exactly_the_held_frames_and_the_dead_runs_late_acks_move_nothing()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        await using var log = new InMemoryStreamLog();
        await AppendAsync(log, "e0", "e1", "e2", "e3", "e4", "e5");
        var checkpointOptions = new CursorCanalOptions { CheckpointId = "bulk-reader" };

        // Run 1: the first two frames are written in a full batch and acknowledged; the next three are held for the
        // flush window when the process "dies" (its canal is gone; its dispatcher lives on only to show that its late
        // acknowledgements cannot move anything).
        var canal = await CursorCanal.OpenAsync(log, Stream, checkpointOptions);
        var sink = new RecordingBatchSink<string>("bulk");
        var dispatcher = new DeliveryDispatcher<string>(new DeliveryOptions<string>
        {
            TimeProvider = time,
            Logger = logger,
            MaxBatch = 2,
            BatchFlush = TimeSpan.FromSeconds(5),
        }.AddSink(sink));
        var pulled = await canal.PullBatchAsync(5, TimeSpan.Zero);
        Assert.Equal(["e0", "e1", "e2", "e3", "e4"], pulled.Select(Text));
        foreach (var frame in pulled)
        {
            await dispatcher.DispatchAsync(Text(frame), canal.AckTokenFor(frame));
        }

        await sink.WhenCommitted(4);
        await WaitUntil(() => dispatcher.AcknowledgedCount == 4 && dispatcher.GetSinkMetrics("bulk").QueueDepth == 0);
        Assert.Equal(["e0", "e1", "e2", "e3"], sink.Committed);
        await canal.FlushCheckpointAsync();
        Assert.Equal(pulled[3].Id, await ((ICheckpointStore)log).ReadCheckpointAsync("bulk-reader"));
        await canal.DisposeAsync();

        // Run 2 resumes after the last acknowledged frame: the held frame and the one never pulled, nothing acknowledged.
        var restarted = await CursorCanal.OpenAsync(log, Stream, checkpointOptions);
        var again = await restarted.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(["e4", "e5"], again.Select(Text));

        // The dead run's dispatcher finally flushes: its acknowledgement reaches a disposed canal and is refused. (The
        // worker arms the flush timer just after it takes e4 off its queue, so virtual time moves until it has fired.)
        await WaitUntil(() =>
        {
            time.Advance(TimeSpan.FromSeconds(5));
            return sink.Committed.Count == 5;
        });
        await WaitUntil(() =>
        {
            lock (logger.Entries)
            {
                return logger.Entries.Exists(e => e.Id.Id == 6003 && e.Error is ObjectDisposedException);
            }
        });
        Assert.Equal(pulled[3].Id, await ((ICheckpointStore)log).ReadCheckpointAsync("bulk-reader"));
        Assert.Equal(2, restarted.Unacknowledged);
        await dispatcher.DisposeAsync();

        await restarted.CommitAsync(again.Last);
        Assert.Equal(again.Last.Id, await ((ICheckpointStore)log).ReadCheckpointAsync("bulk-reader"));
        await restarted.DisposeAsync();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = Environment.TickCount64 + (long)TestLimits.Hang.TotalMilliseconds;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "The condition never became true.");
            await Task.Yield();
        }
    }
}
