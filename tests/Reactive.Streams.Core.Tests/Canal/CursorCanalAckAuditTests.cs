using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// Acknowledgement of the cursor canal at its edges: twice, out of order, from another canal, past what was handed out,
/// and after disposal (refused with <see cref="ObjectDisposedException"/>, as a Kafka consumer's commit after its close).
/// </summary>
public class CursorCanalAckAuditTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));

    private InMemoryStreamLog NewLog() => new(new StreamLogOptions { TimeProvider = _clock });

    private CursorCanalOptions Durable() => new() { CheckpointId = "reader", TimeProvider = _clock };

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    private static async Task AppendAsync(IStreamLog log, params string[] texts)
    {
        foreach (var text in texts)
        {
            await log.AppendAsync("orders", text, AppendMode.Durable);
        }
    }

    [Fact]
    public async Task An_ack_after_disposal_is_refused_and_moves_no_checkpoint()
    {
        await using var log = NewLog();
        await AppendAsync(log, "a", "b");
        var canal = await CursorCanal.OpenAsync(log, "orders", Durable());
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        var early = canal.AckTokenFor(batch[0]);
        var late = canal.AckTokenFor(batch[1]);
        early.Acknowledge();

        await canal.DisposeAsync();

        Assert.Equal(batch[0].Id, await log.ReadCheckpointAsync("reader"));
        Assert.Throws<ObjectDisposedException>(late.Acknowledge);
        Assert.Throws<ObjectDisposedException>(() => canal.AckTokenFor(batch[1]));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => canal.CommitAsync(batch[1]).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => canal.FlushCheckpointAsync().AsTask());
        await canal.DisposeAsync(); // twice: nothing more
        Assert.Equal(batch[0].Id, await log.ReadCheckpointAsync("reader"));
        Assert.Equal(batch[0].Id, canal.CommittedPosition);

        // The refused frame is redelivered by the next canal.
        await using var next = await CursorCanal.OpenAsync(log, "orders", Durable());
        Assert.Equal(["b"], (await next.PullBatchAsync(10, TimeSpan.Zero)).Select(Text));
    }

    [Fact]
    public async Task A_late_commit_on_a_disposed_canal_never_moves_a_newer_canals_checkpoint_back()
    {
        await using var log = NewLog();
        await AppendAsync(log, "a", "b", "c");
        var old = await CursorCanal.OpenAsync(log, "orders", Durable());
        var stale = await old.PullBatchAsync(1, TimeSpan.Zero);
        await old.DisposeAsync();

        await using var current = await CursorCanal.OpenAsync(log, "orders", Durable());
        var batch = await current.PullBatchAsync(10, TimeSpan.Zero);
        await current.CommitAsync(batch.Last);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => old.CommitAsync(stale.Last).AsTask());
        Assert.Equal(batch.Last.Id, await log.ReadCheckpointAsync("reader"));
    }

    [Fact]
    public async Task A_commit_or_ack_token_for_a_frame_this_canal_did_not_hand_out_is_refused_naming_it()
    {
        await using var log = NewLog();
        await AppendAsync(log, "a", "b", "c", "d");
        var ahead = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = _clock });
        var later = (await ahead.PullBatchAsync(10, TimeSpan.Zero)).Last;
        await ahead.DisposeAsync();
        await using var canal = await CursorCanal.OpenAsync(log, "orders", Durable());
        var batch = await canal.PullBatchAsync(2, TimeSpan.Zero);

        // d came from another canal: committing it would store a checkpoint past c, which no one handed out here.
        var commit = await Assert.ThrowsAsync<ArgumentException>(() => canal.CommitAsync(later).AsTask());
        Assert.Equal("handled", commit.ParamName);
        Assert.Equal("frame", Assert.Throws<ArgumentException>(() => canal.AckTokenFor(later)).ParamName);
        Assert.Null(await log.ReadCheckpointAsync("reader"));
        Assert.Equal(2, canal.Unacknowledged);

        await canal.CommitAsync(batch.Last);
        Assert.Equal(["c", "d"], (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(Text));
        Assert.Equal(batch.Last.Id, await log.ReadCheckpointAsync("reader"));
    }

    [Fact]
    public async Task A_commit_or_ack_token_for_another_streams_frame_with_a_handed_out_id_is_refused_and_moves_nothing()
    {
        // Ids are per stream: on one millisecond, "orders" and "payments" both number their frames (t,0), (t,1). A
        // payments frame is not an orders frame this canal handed out, though its id is; acknowledging it would mark
        // orders' frame of that id handled, and committing it would store a checkpoint past a frame nobody handled.
        await using var log = NewLog();
        await AppendAsync(log, "a", "b", "c");
        await log.AppendAsync("payments", "x", AppendMode.Durable);
        await log.AppendAsync("payments", "y", AppendMode.Durable);
        await using var payments = await CursorCanal.OpenAsync(log, "payments", new CursorCanalOptions { TimeProvider = _clock });
        var theirs = await payments.PullBatchAsync(10, TimeSpan.Zero);
        await using var canal = await CursorCanal.OpenAsync(log, "orders", Durable());
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal((batch[0].Id, batch[1].Id), (theirs[0].Id, theirs[1].Id));

        Assert.Equal("frame", Assert.Throws<ArgumentException>(() => canal.AckTokenFor(theirs[0])).ParamName);
        Assert.Equal("handled", (await Assert.ThrowsAsync<ArgumentException>(() => canal.CommitAsync(theirs[1]).AsTask())).ParamName);
        await canal.FlushCheckpointAsync();
        Assert.Null(await log.ReadCheckpointAsync("reader"));
        Assert.Equal((StreamId.Min, 3), (canal.CommittedPosition, canal.Unacknowledged));

        // Its own frames still go through, and a frame the checkpoint already covers changes nothing, whoever's it is.
        canal.AckTokenFor(batch[0]).Acknowledge();
        await canal.CommitAsync(batch[1]);
        await canal.CommitAsync(theirs[0]);
        canal.AckTokenFor(theirs[1]).Acknowledge();
        Assert.Equal((batch[1].Id, 1), (canal.CommittedPosition, canal.Unacknowledged));
        Assert.Equal(batch[1].Id, await log.ReadCheckpointAsync("reader"));
    }

    [Fact]
    public async Task Acking_twice_and_committing_an_older_frame_again_change_nothing()
    {
        await using var log = NewLog();
        await AppendAsync(log, "a", "b", "c");
        await using var canal = await CursorCanal.OpenAsync(log, "orders", Durable());
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        var first = canal.AckTokenFor(batch[0]);

        first.Acknowledge();
        first.Acknowledge();
        canal.AckTokenFor(batch[0]).Acknowledge();
        await canal.FlushCheckpointAsync();
        Assert.Equal(batch[0].Id, await log.ReadCheckpointAsync("reader"));
        Assert.Equal(2, canal.Unacknowledged);

        await canal.CommitAsync(batch[2]);
        await canal.CommitAsync(batch[1]);
        first.Acknowledge();
        await canal.FlushCheckpointAsync();
        Assert.Equal(batch[2].Id, await log.ReadCheckpointAsync("reader"));
        Assert.Equal(0, canal.Unacknowledged);
    }

    [Fact]
    public async Task A_failed_checkpoint_write_leaves_the_frames_unacknowledged_and_the_next_flush_writes_them()
    {
        await using var log = NewLog();
        await AppendAsync(log, "a", "b");
        var store = new FailingStore(log);
        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { CheckpointId = "reader", Checkpoints = store, TimeProvider = _clock });
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        store.Failing = true;

        await Assert.ThrowsAsync<IOException>(() => canal.CommitAsync(batch.Last).AsTask());
        Assert.Equal(StreamId.Min, canal.CommittedPosition);
        Assert.Equal(2, canal.Unacknowledged);
        Assert.Null(await log.ReadCheckpointAsync("reader"));

        store.Failing = false;
        await canal.FlushCheckpointAsync();
        Assert.Equal(batch.Last.Id, await log.ReadCheckpointAsync("reader"));
        Assert.Equal(0, canal.Unacknowledged);
    }

    [Fact]
    public async Task A_worker_whose_commit_fails_faults_with_it_and_the_batch_is_redelivered_after_a_restart()
    {
        await using var log = NewLog();
        await AppendAsync(log, "a", "b");
        var store = new FailingStore(log) { Failing = true };
        var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { CheckpointId = "reader", Checkpoints = store, TimeProvider = _clock });
        var handled = 0;
        var worker = CanalWorker.Start<StreamFrame>(canal, (batch, _) =>
        {
            handled += batch.Count;
            return default;
        }, new CanalWorkerOptions { MaxBatch = 10, Deadline = TimeSpan.Zero });

        await Assert.ThrowsAsync<IOException>(() => worker.JoinAsync().WaitAsync(Support.TestLimits.Hang));
        Assert.Equal(2, handled);
        await Assert.ThrowsAsync<IOException>(() => canal.DisposeAsync().AsTask());

        await using var restarted = await CursorCanal.OpenAsync(log, "orders", Durable());
        Assert.Equal(["a", "b"], (await restarted.PullBatchAsync(10, TimeSpan.Zero)).Select(Text));
    }

    [Fact]
    public async Task A_pulls_deadline_counts_from_the_call_so_time_spent_writing_the_acknowledged_checkpoint_is_part_of_it()
    {
        // docs/canal.md: the deadline is "measured on the canal's clock from the call", and every pull first writes the
        // acknowledged prefix. A store that takes the whole deadline to write leaves the pull no time to wait for frames.
        await using var log = NewLog();
        await AppendAsync(log, "a");
        var store = new GatedStore(log);
        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { CheckpointId = "reader", Checkpoints = store, TimeProvider = _clock });
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        canal.AckTokenFor(batch[0]).Acknowledge(); // written by the next pull, first
        store.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var pull = canal.PullBatchAsync(10, TimeSpan.FromSeconds(1)).AsTask();
        await store.Writing.Task.WaitAsync(Support.TestLimits.Hang);
        _clock.Advance(TimeSpan.FromSeconds(1)); // the deadline passes while the checkpoint is being written
        store.Gate.SetResult();

        Assert.True((await pull.WaitAsync(Support.TestLimits.Hang)).IsEmpty);
        Assert.Equal(batch[0].Id, await log.ReadCheckpointAsync("reader"));
        Assert.Equal(0, canal.Unacknowledged);
    }

    private sealed class GatedStore(ICheckpointStore inner) : ICheckpointStore
    {
        public TaskCompletionSource? Gate { get; set; }

        public TaskCompletionSource Writing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<StreamId?> ReadCheckpointAsync(string checkpointId, CancellationToken cancellationToken = default) =>
            inner.ReadCheckpointAsync(checkpointId, cancellationToken);

        public async ValueTask WriteCheckpointAsync(string checkpointId, StreamId position, CancellationToken cancellationToken = default)
        {
            if (Gate is { } gate)
            {
                Writing.TrySetResult();
                await gate.Task.WaitAsync(cancellationToken);
            }

            await inner.WriteCheckpointAsync(checkpointId, position, cancellationToken);
        }
    }

    private sealed class FailingStore(ICheckpointStore inner) : ICheckpointStore
    {
        public bool Failing { get; set; }

        public ValueTask<StreamId?> ReadCheckpointAsync(string checkpointId, CancellationToken cancellationToken = default) =>
            inner.ReadCheckpointAsync(checkpointId, cancellationToken);

        public ValueTask WriteCheckpointAsync(string checkpointId, StreamId position, CancellationToken cancellationToken = default) =>
            Failing ? ValueTask.FromException(new IOException("checkpoint store down")) : inner.WriteCheckpointAsync(checkpointId, position, cancellationToken);
    }
}
