namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// The cursor canal (docs/canal.md) on every backend: what reaches it through the backend's reads and tails.
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task A_cursor_canal_pull_takes_every_ready_frame_up_to_max_beyond_the_logs_read_cap()
    {
        // A pull returns "every item that is ready without waiting, up to max" (ICanal): the log's cap on one read
        // (MaxReadCount) is the log's business, not a smaller batch. It used to end the pull at the cap.
        var log = await CreateAsync(maxReadCount: 3);
        var stream = NewStream();
        await log.AppendBatchAsync(stream, [.. Enumerable.Range(0, 10).Select(i => (ReadOnlyMemory<byte>)Utf8($"f{i}"))], AppendMode.Durable);
        var canal = await CursorCanal.OpenAsync(log, stream, new CursorCanalOptions { TimeProvider = Clock });

        var first = await canal.PullBatchAsync(8, TimeSpan.Zero);
        var rest = await canal.PullBatchAsync(8, TimeSpan.FromSeconds(1)).AsTask().WaitAsync(Guard);

        Assert.Equal([.. Enumerable.Range(0, 8).Select(i => $"f{i}")], first.Select(Text));
        Assert.Equal(["f8", "f9"], rest.Select(Text));
        await canal.DisposeAsync();
    }

    [Fact]
    public async Task A_cursor_canal_pull_parked_on_the_backend_ends_on_cancellation_and_disposal_and_loses_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var canal = await CursorCanal.OpenAsync(log, stream, new CursorCanalOptions { CheckpointId = "canal-" + stream, TimeProvider = Clock });
        using var cancel = new CancellationTokenSource();
        var timers = Clock.TimersCreated;

        var cancelled = canal.PullBatchAsync(10, TimeSpan.FromMinutes(10), cancel.Token).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Guard));
        Assert.Equal(cancel.Token, error.CancellationToken); // the caller's token, not the one the canal links to its disposal

        var first = await log.AppendAsync(stream, "a", AppendMode.Durable);
        var batch = await canal.PullBatchAsync(10, TimeSpan.FromMinutes(10)).AsTask().WaitAsync(Guard);
        Assert.Equal(["a"], batch.Select(Text));
        await canal.CommitAsync(batch.Last);
        timers = Clock.TimersCreated;
        var parked = canal.PullBatchAsync(10, TimeSpan.FromMinutes(10)).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        await canal.DisposeAsync();

        await Assert.ThrowsAsync<CanalClosedException>(() => parked.WaitAsync(Guard));
        Assert.Equal(first.Id, await ((ICheckpointStore)log).ReadCheckpointAsync("canal-" + stream));
    }

    /// <summary>
    /// The cursor canal's progress on every backend's checkpoint store: tokens acknowledged out of order move the stored
    /// checkpoint through the acknowledged prefix only, a canal reopened on the checkpoint resumes after it, committing a
    /// frame older than the checkpoint changes nothing, and a frame the canal did not hand out is refused with the
    /// parameter named. With <see cref="TailVisibility.ExcludeBestEffort"/> the best-effort frames between are passed
    /// over, and the checkpoint still moves from durable frame to durable frame.
    /// </summary>
    [Fact]
    public async Task A_cursor_canal_checkpoints_the_acknowledged_prefix_and_a_reopened_canal_resumes_after_it()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var checkpoint = "canal-" + stream;
        var modes = new[] { AppendMode.Durable, AppendMode.BestEffortLive, AppendMode.Durable, AppendMode.Durable, AppendMode.BestEffortLive, AppendMode.Durable };
        var ids = new List<StreamId>();
        for (var i = 0; i < modes.Length; i++)
        {
            ids.Add((await log.AppendAsync(stream, Utf8($"f{i}"), modes[i])).Id);
        }

        var options = new CursorCanalOptions { CheckpointId = checkpoint, Visibility = TailVisibility.ExcludeBestEffort, TimeProvider = Clock };
        var canal = await CursorCanal.OpenAsync(log, stream, options);
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(["f0", "f2", "f3", "f5"], batch.Select(Text));
        Assert.Equal((ids[5], StreamId.Min, 4), (canal.ReadPosition, canal.CommittedPosition, canal.Unacknowledged));

        // f3 first, then f0: only f0 is a prefix, so the checkpoint stops there; f2 then completes the prefix through f3.
        canal.AckTokenFor(batch[2]).Acknowledge();
        canal.AckTokenFor(batch[0]).Acknowledge();
        await canal.FlushCheckpointAsync();
        Assert.Equal(ids[0], await ((ICheckpointStore)log).ReadCheckpointAsync(checkpoint));
        Assert.Equal((ids[0], 3), (canal.CommittedPosition, canal.Unacknowledged));
        canal.AckTokenFor(batch[1]).Acknowledge();
        await canal.FlushCheckpointAsync();
        Assert.Equal(ids[3], await ((ICheckpointStore)log).ReadCheckpointAsync(checkpoint));
        Assert.Equal((ids[3], 1), (canal.CommittedPosition, canal.Unacknowledged));

        // Older than the checkpoint: nothing changes. Not handed out by this canal: refused, with the parameter named.
        await canal.CommitAsync(batch[0]);
        Assert.Equal(ids[3], await ((ICheckpointStore)log).ReadCheckpointAsync(checkpoint));
        var later = (await log.AppendAsync(stream, Utf8("f6"), AppendMode.Durable)).Id;
        var notHandedOut = (await log.ReadAsync(stream, later, later, 1)).Single();
        Assert.Equal("handled", (await Assert.ThrowsAsync<ArgumentException>(() => canal.CommitAsync(notHandedOut).AsTask())).ParamName);
        Assert.Equal("frame", Assert.Throws<ArgumentException>(() => canal.AckTokenFor(notHandedOut)).ParamName);
        await canal.DisposeAsync();
        Assert.Equal(ids[3], await ((ICheckpointStore)log).ReadCheckpointAsync(checkpoint));

        // A crash now redelivers what the checkpoint does not cover: f5 (unacknowledged), then the new f6.
        var reopened = await CursorCanal.OpenAsync(log, stream, options);
        Assert.Equal((ids[3], ids[3], 0), (reopened.ReadPosition, reopened.CommittedPosition, reopened.Unacknowledged));
        var again = await reopened.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(["f5", "f6"], again.Select(Text));
        await reopened.CommitAsync(again.Last);
        Assert.Equal((later, 0), (reopened.CommittedPosition, reopened.Unacknowledged));
        Assert.Equal(later, await ((ICheckpointStore)log).ReadCheckpointAsync(checkpoint));
        await reopened.DisposeAsync();
    }

    /// <summary>
    /// docs/canal.md's at-least-once table for a <see cref="CanalWorker"/> on every backend: a handler that fails ends the
    /// worker with its exception, the batches it handled before stay committed, the failed batch is not, and a worker
    /// restarted on a new canal over the checkpoint hands the failed batch out again first, then the rest: every frame
    /// after the checkpoint, in order, none skipped and none of the committed ones again.
    /// </summary>
    [Fact]
    public async Task A_cursor_canal_worker_restarted_after_its_handler_failed_resumes_right_after_its_last_committed_batch()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var checkpoint = "canal-" + stream;
        var ids = new List<StreamId>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add((await log.AppendAsync(stream, Utf8($"f{i}"), AppendMode.Durable)).Id);
        }

        var options = new CursorCanalOptions { CheckpointId = checkpoint, TimeProvider = Clock };
        var workerOptions = new CanalWorkerOptions { MaxBatch = 3, Deadline = TimeSpan.FromMinutes(1) };
        var canal = await CursorCanal.OpenAsync(log, stream, options);
        var first = new List<string>();
        var worker = CanalWorker.Start(canal, (batch, _) =>
        {
            var texts = batch.Select(Text).ToList();
            if (texts.Contains("f7"))
            {
                throw new InvalidOperationException("poison f7");
            }

            first.AddRange(texts);
            return default;
        }, workerOptions);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.JoinAsync().WaitAsync(Guard));
        Assert.Equal("poison f7", error.Message);
        Assert.Equal(["f0", "f1", "f2", "f3", "f4", "f5"], first);
        Assert.Equal((ids[5], 0), (canal.CommittedPosition, canal.Unacknowledged));
        await canal.DisposeAsync();
        Assert.Equal(ids[5], await ((ICheckpointStore)log).ReadCheckpointAsync(checkpoint));

        // The restart: a new canal on the checkpoint and a new worker.
        var reopened = await CursorCanal.OpenAsync(log, stream, options);
        var second = new List<string>();
        var sawLast = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var restarted = CanalWorker.Start(reopened, (batch, _) =>
        {
            second.AddRange(batch.Select(Text));
            if (batch.Last.Id == ids[9])
            {
                sawLast.TrySetResult();
            }

            return default;
        }, workerOptions);
        await sawLast.Task.WaitAsync(Guard);
        await restarted.StopAndJoinAsync().WaitAsync(Guard);

        Assert.Equal(["f6", "f7", "f8", "f9"], second);
        Assert.Equal((ids[9], 0), (reopened.CommittedPosition, reopened.Unacknowledged));
        await reopened.DisposeAsync();
        Assert.Equal(ids[9], await ((ICheckpointStore)log).ReadCheckpointAsync(checkpoint));
    }

    /// <summary>
    /// A frame of another stream is not a frame the cursor canal handed out, on every backend, even when its id is at or
    /// before the canal's read position (ids are numbered per stream, so on one millisecond two streams share them):
    /// its ack token and a commit of it are refused, and the checkpoint moves only over the canal's own frames.
    /// </summary>
    [Fact]
    public async Task A_cursor_canal_refuses_another_streams_frame_at_or_before_its_read_position()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var other = NewStream("other");
        var checkpoint = "canal-" + stream;
        await log.AppendAsync(stream, Utf8("a"), AppendMode.Durable);
        var foreign = (await log.AppendAsync(other, Utf8("x"), AppendMode.Durable)).Id;
        await log.AppendAsync(stream, Utf8("b"), AppendMode.Durable);
        var canal = await CursorCanal.OpenAsync(log, stream, new CursorCanalOptions { CheckpointId = checkpoint, TimeProvider = Clock });
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(["a", "b"], batch.Select(Text));
        var theirs = (await log.ReadAsync(other, foreign, foreign, 1)).Single();
        Assert.True(theirs.Id <= canal.ReadPosition); // same ids per stream, or one between a and b if ids were global

        Assert.Equal("frame", Assert.Throws<ArgumentException>(() => canal.AckTokenFor(theirs)).ParamName);
        Assert.Equal("handled", (await Assert.ThrowsAsync<ArgumentException>(() => canal.CommitAsync(theirs).AsTask())).ParamName);
        await canal.FlushCheckpointAsync();
        Assert.Null(await ((ICheckpointStore)log).ReadCheckpointAsync(checkpoint));
        Assert.Equal((StreamId.Min, 2), (canal.CommittedPosition, canal.Unacknowledged));
        await canal.DisposeAsync();

        // Nothing was skipped: a canal reopened on the checkpoint hands out both frames again.
        var reopened = await CursorCanal.OpenAsync(log, stream, new CursorCanalOptions { CheckpointId = checkpoint, TimeProvider = Clock });
        var again = await reopened.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(["a", "b"], again.Select(Text));
        await reopened.CommitAsync(again.Last);
        Assert.Equal(again.Last.Id, await ((ICheckpointStore)log).ReadCheckpointAsync(checkpoint));
        await reopened.DisposeAsync();
    }

    /// <summary>
    /// A stored checkpoint past the stream's last frame (the stream was recreated, or the checkpoint belongs to another
    /// log) is refused when the canal opens, on every backend: resuming there could skip frames appended later.
    /// </summary>
    [Fact]
    public async Task A_cursor_canal_refuses_a_stored_checkpoint_past_the_stream_s_last_frame()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var last = (await log.AppendAsync(stream, Utf8("f0"), AppendMode.Durable)).Id;
        var checkpoint = "canal-" + stream;
        await ((ICheckpointStore)log).WriteCheckpointAsync(checkpoint, last.Successor());

        await Assert.ThrowsAsync<InvalidOperationException>(() => CursorCanal.OpenAsync(log, stream, new CursorCanalOptions { CheckpointId = checkpoint, TimeProvider = Clock }).AsTask());

        await ((ICheckpointStore)log).WriteCheckpointAsync(checkpoint, last);
        await using var canal = await CursorCanal.OpenAsync(log, stream, new CursorCanalOptions { CheckpointId = checkpoint, TimeProvider = Clock });
        Assert.True((await canal.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
    }
}
