using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Canal;

public class CanalWorkerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

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
