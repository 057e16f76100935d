using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Canal;

public class CanalWorkerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task The_worker_hands_every_item_to_the_handler_and_ends_when_the_canal_closes()
    {
        var stream = BoundedStream.PauseUpstream<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var seen = new List<int>();
        var worker = CanalWorker.Start<int>(canal, (batch, _) =>
        {
            foreach (var item in batch)
            {
                seen.Add(item);
            }

            return default;
        }, new CanalWorkerOptions { MaxBatch = 4, Deadline = TimeSpan.Zero });

        for (var i = 0; i < 100; i++)
        {
            await stream.PushAsync(i);
        }

        stream.Complete();
        await worker.JoinAsync().WaitAsync(Wait);
        Assert.Equal(Enumerable.Range(0, 100), seen);
        Assert.True(worker.IsCompleted);
    }

    [Fact]
    public async Task JoinAsync_surfaces_the_handler_failure()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var worker = CanalWorker.Start<int>(canal, (batch, _) => throw new FormatException($"bad {batch[0]}"), new CanalWorkerOptions { MaxBatch = 1 });

        stream.TryPush(3);

        var error = await Assert.ThrowsAsync<FormatException>(() => worker.JoinAsync().WaitAsync(Wait));
        Assert.Equal("bad 3", error.Message);
    }

    [Fact]
    public async Task A_handlers_own_cancellation_faults_JoinAsync_with_that_exception()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        using var httpTimeout = new CancellationTokenSource();
        await httpTimeout.CancelAsync();
        var worker = CanalWorker.Start<int>(canal, (_, _) => throw new TaskCanceledException("HTTP request timed out", null, httpTimeout.Token), new CanalWorkerOptions { MaxBatch = 1 });

        stream.TryPush(1);

        var join = worker.JoinAsync();
        var error = await Assert.ThrowsAsync<TaskCanceledException>(() => join.WaitAsync(Wait));
        Assert.Equal("HTTP request timed out", error.Message);
        Assert.True(join.IsFaulted);
    }

    [Fact]
    public async Task A_worker_on_a_disposed_canal_ends_cleanly()
    {
        var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(16), new FakeTimeProvider());
        var parked = CanalWorker.Start<int>(canal, (_, _) => default, new CanalWorkerOptions { Deadline = TimeSpan.FromHours(1) });

        await canal.DisposeAsync();
        await parked.JoinAsync().WaitAsync(Wait);
        var late = CanalWorker.Start<int>(canal, (_, _) => default);
        await late.JoinAsync().WaitAsync(Wait);

        Assert.True(parked.JoinAsync().IsCompletedSuccessfully);
        Assert.True(late.JoinAsync().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_source_that_fails_faults_JoinAsync_with_the_closing_and_its_cause()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var worker = CanalWorker.Start<int>(canal, (_, _) => default);

        stream.Complete(new TimeoutException("sensor lost"));

        var error = await Assert.ThrowsAsync<CanalClosedException>(() => worker.JoinAsync().WaitAsync(Wait));
        Assert.IsType<TimeoutException>(error.InnerException);
    }

    [Fact]
    public async Task A_worker_stopped_while_its_pull_holds_items_leaves_them_to_the_next_worker()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var first = CanalWorker.Start<int>(canal, (_, _) => throw new InvalidOperationException("the lingering pull returned"), new CanalWorkerOptions
        {
            MaxBatch = 10,
            Deadline = TimeSpan.FromHours(1),
            Linger = new CanalLinger(10, Timeout.InfiniteTimeSpan),
        });
        stream.TryPush(1);
        stream.TryPush(2);
        var started = TimeProvider.System.GetTimestamp();
        while (stream.Depth > 0)
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < Wait, "the worker never pulled");
            await Task.Yield();
        }

        await first.StopAndJoinAsync().WaitAsync(Wait);

        var seen = new List<int>();
        var second = CanalWorker.Start<int>(canal, (batch, _) =>
        {
            seen.AddRange(batch);
            return default;
        }, new CanalWorkerOptions { MaxBatch = 10, Deadline = TimeSpan.Zero });
        stream.TryPush(3);
        stream.Complete();
        await second.JoinAsync().WaitAsync(Wait);
        Assert.Equal([1, 2, 3], seen);
    }

    [Fact]
    public async Task Stop_does_not_block_and_cancels_the_running_handler()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = CanalWorker.Start<int>(canal, async (_, token) =>
        {
            entered.SetResult();
            await Task.Delay(Timeout.Infinite, token);
        }, new CanalWorkerOptions { MaxBatch = 1 });
        stream.TryPush(1);
        await entered.Task.WaitAsync(Wait);

        worker.Stop();
        await worker.JoinAsync().WaitAsync(Wait);
        Assert.True(worker.IsCompleted);
    }

    [Fact]
    public async Task StopAndJoin_ends_an_idle_worker_and_DisposeAsync_stops_too()
    {
        await using var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(16), new FakeTimeProvider());
        var idle = CanalWorker.Start<int>(canal, (_, _) => default, new CanalWorkerOptions { Deadline = TimeSpan.FromHours(1) });
        await idle.StopAndJoinAsync().WaitAsync(Wait);

        await using var canal2 = LossySubscription.Create(BoundedStream.DropOldest<int>(16), new FakeTimeProvider());
        var disposed = CanalWorker.Start<int>(canal2, (_, _) => default, new CanalWorkerOptions { Deadline = TimeSpan.FromHours(1) });
        await disposed.DisposeAsync().AsTask().WaitAsync(Wait);
        Assert.True(disposed.IsCompleted);
    }

    [Fact]
    public async Task A_faulted_worker_disposed_twice_and_stopped_afterwards_throws_nothing_and_still_reports_its_fault()
    {
        // As a CancellationTokenSource or a Channel's completion: a second Dispose, sync or async, and a Stop after the
        // disposal are harmless; DisposeAsync never rethrows, and JoinAsync keeps the fault for whoever asks.
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var worker = CanalWorker.Start<int>(canal, (_, _) => throw new InvalidOperationException("boom"), new CanalWorkerOptions { Deadline = TimeSpan.FromHours(1) });
        stream.TryPush(1);
        await Assert.ThrowsAsync<InvalidOperationException>(() => worker.JoinAsync().WaitAsync(Wait));

        await worker.DisposeAsync();
        await worker.DisposeAsync();
        worker.Dispose();
        worker.Stop();
        await Assert.ThrowsAsync<InvalidOperationException>(() => worker.StopAndJoinAsync().WaitAsync(Wait));
        Assert.True(worker.IsCompleted);

        // The batch the handler failed on was given back: a later worker on the same canal gets it first.
        var seen = new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var next = CanalWorker.Start<int>(canal, (batch, _) =>
        {
            seen.TrySetResult(batch.ToArray());
            return default;
        }, new CanalWorkerOptions { Deadline = TimeSpan.FromHours(1) });
        var again = await seen.Task.WaitAsync(Wait);
        Assert.Equal(new[] { 1 }, again);
    }

    [Fact]
    public async Task A_committable_canal_is_committed_after_each_handled_batch_only()
    {
        var canal = new RecordingCanal([[1, 2], [3], [4, 5, 6]]);
        var handled = new List<int>();
        var worker = CanalWorker.Start<int>(canal, (batch, _) =>
        {
            Assert.Equal(handled.Count == 0 ? 0 : handled[^1], canal.Committed.Count == 0 ? 0 : canal.Committed[^1]);
            handled.AddRange(batch);
            return default;
        });

        await worker.JoinAsync().WaitAsync(Wait);
        Assert.Equal([1, 2, 3, 4, 5, 6], handled);
        Assert.Equal([2, 3, 6], canal.Committed);
    }

    [Fact]
    public async Task A_batch_of_several_frames_is_processed_in_a_trace_of_its_own_whoever_started_the_worker()
    {
        using var recorder = new Reactive.Streams.Storage.Tests.TraceRecorder();
        await using var log = new InMemoryStreamLog();
        var stream = $"process-root-{Guid.NewGuid():N}";
        var producers = new List<System.Diagnostics.ActivityContext>();
        foreach (var payload in new[] { "a", "b" })
        {
            using var producer = recorder.StartTrace();
            await log.AppendAsync(stream, payload, AppendMode.Durable);
            producers.Add(producer.Context);
        }

        await using var canal = await CursorCanal.OpenAsync(log, stream);
        var handled = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        CanalWorkerHandle worker;
        System.Diagnostics.ActivityTraceId starter;
        using (var starting = recorder.StartTrace("starts the worker"))
        {
            starter = starting.TraceId;
            worker = CanalWorker.Start<StreamFrame>(canal, (batch, _) =>
            {
                handled.TrySetResult(batch.Count);
                return default;
            }, new CanalWorkerOptions { MaxBatch = 10 });
        }

        Assert.Equal(2, await handled.Task.WaitAsync(Wait));
        await worker.StopAndJoinAsync().WaitAsync(Wait);

        // docs/tracing.md: a batch of several frames "gets a process span that starts its own trace and links to each
        // distinct context", not a child of whatever span was current where the worker was started.
        var process = recorder.Single($"process {stream}");
        Assert.Equal(default, process.ParentSpanId);
        Assert.NotEqual(starter, process.TraceId);
        Assert.Equal(producers.Select(p => p.TraceId.ToHexString()).Order(), process.Links.Select(l => l.Context.TraceId.ToHexString()).Order());
    }

    [Fact]
    public void Bad_input_is_rejected_naming_the_parameter()
    {
        Assert.Equal("canal", Assert.Throws<ArgumentNullException>(() => CanalWorker.Start<int>(null!, (_, _) => default)).ParamName);
        Assert.Equal("MaxBatch", Assert.Throws<ArgumentOutOfRangeException>(() => new CanalWorkerOptions { MaxBatch = 0 }).ParamName);
        Assert.Equal("Deadline", Assert.Throws<ArgumentOutOfRangeException>(() => new CanalWorkerOptions { Deadline = TimeSpan.FromTicks(-1) }).ParamName);
    }

    private sealed class RecordingCanal(int[][] batches) : ICommittableCanal<int>
    {
        private int _next;

        public List<int> Committed { get; } = [];

        public ValueTask<CanalBatch<int>> PullBatchAsync(int max, TimeSpan deadline, CancellationToken cancellationToken = default) =>
            PullBatchAsync(max, deadline, CanalLinger.None, cancellationToken);

        public ValueTask<CanalBatch<int>> PullBatchAsync(int max, TimeSpan deadline, CanalLinger linger, CancellationToken cancellationToken = default) =>
            _next < batches.Length
                ? new(CanalBatch<int>.Many(batches[_next++]))
                : ValueTask.FromException<CanalBatch<int>>(new CanalClosedException("recording"));

        public ValueTask CommitAsync(int handled, CancellationToken cancellationToken = default)
        {
            Committed.Add(handled);
            return default;
        }

        public ValueTask DisposeAsync() => default;
    }
}
