using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Canal;

/// <summary>Checkpoint writes of one cursor canal that overlap (commits, flushes, disposal) store the newest position.</summary>
public class CursorCanalFlushOrderTests
{
    // A failure guard against hangs; never a bound on how long correct code takes.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_commit_overlapping_a_slower_earlier_commit_leaves_the_newest_checkpoint_stored()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        foreach (var text in new[] { "a", "b", "c", "d" })
        {
            await log.AppendAsync("orders", text, AppendMode.Durable);
        }

        var store = new FirstWriteHeldStore();
        var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { CheckpointId = "reader", Checkpoints = store, TimeProvider = _clock });
        var batch = await canal.PullBatchAsync(4, TimeSpan.Zero);

        var older = canal.CommitAsync(batch[1]).AsTask();
        await store.FirstWriteStarted.WaitAsync(Guard);
        var newer = canal.CommitAsync(batch[3]).AsTask();
        store.ReleaseFirstWrite();
        await Task.WhenAll(older, newer).WaitAsync(Guard);

        // The canal says everything is stored; the store must agree, or a restart redelivers c and d.
        Assert.Equal(batch[3].Id, canal.CommittedPosition);
        Assert.Equal(0, canal.Unacknowledged);
        Assert.Equal(batch[3].Id, await store.ReadCheckpointAsync("reader"));
        await canal.DisposeAsync();
        Assert.Equal(batch[3].Id, await store.ReadCheckpointAsync("reader"));
    }

    [Fact]
    public async Task Disposal_during_a_slow_commit_leaves_the_newest_acknowledged_checkpoint_stored()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        foreach (var text in new[] { "a", "b", "c" })
        {
            await log.AppendAsync("orders", text, AppendMode.Durable);
        }

        var store = new FirstWriteHeldStore();
        var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { CheckpointId = "reader", Checkpoints = store, TimeProvider = _clock });
        var batch = await canal.PullBatchAsync(3, TimeSpan.Zero);

        var commit = canal.CommitAsync(batch[0]).AsTask();
        await store.FirstWriteStarted.WaitAsync(Guard);
        canal.AckTokenFor(batch[1]).Acknowledge();
        canal.AckTokenFor(batch[2]).Acknowledge();
        var dispose = canal.DisposeAsync().AsTask();
        store.ReleaseFirstWrite();
        await Task.WhenAll(commit, dispose).WaitAsync(Guard);

        Assert.Equal(batch[2].Id, await store.ReadCheckpointAsync("reader"));
        Assert.Equal(batch[2].Id, canal.CommittedPosition);
    }

    [Fact]
    public async Task A_second_disposal_during_the_first_completes_only_once_the_checkpoint_is_stored()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        await log.AppendAsync("orders", "a", AppendMode.Durable);

        var store = new FirstWriteHeldStore();
        var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { CheckpointId = "reader", Checkpoints = store, TimeProvider = _clock });
        var batch = await canal.PullBatchAsync(1, TimeSpan.Zero);
        canal.AckTokenFor(batch[0]).Acknowledge();

        var first = canal.DisposeAsync().AsTask();
        await store.FirstWriteStarted.WaitAsync(Guard);

        // As a disposal that is not over yet: `await using` in another flow, a host stopping twice. A caller that
        // returns from it may exit the process, so it must not return before the checkpoint is stored.
        var second = canal.DisposeAsync().AsTask();
        Assert.False(second.IsCompleted);
        Assert.Null(await store.ReadCheckpointAsync("reader"));

        store.ReleaseFirstWrite();
        await Task.WhenAll(first, second).WaitAsync(Guard);
        Assert.Equal(batch[0].Id, await store.ReadCheckpointAsync("reader"));
        await canal.DisposeAsync();
    }

    /// <summary>A checkpoint store whose first write stores only when the test releases it; later writes store at once.</summary>
    private sealed class FirstWriteHeldStore : ICheckpointStore
    {
        private readonly Dictionary<string, StreamId> _stored = [];
        private readonly TaskCompletionSource _firstStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _writes;

        public Task FirstWriteStarted => _firstStarted.Task;

        public void ReleaseFirstWrite() => _release.TrySetResult();

        public ValueTask<StreamId?> ReadCheckpointAsync(string checkpointId, CancellationToken cancellationToken = default)
        {
            lock (_stored)
            {
                return new(_stored.TryGetValue(checkpointId, out var id) ? id : null);
            }
        }

        public async ValueTask WriteCheckpointAsync(string checkpointId, StreamId position, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _writes) == 1)
            {
                _firstStarted.TrySetResult();
                await _release.Task.WaitAsync(cancellationToken);
            }

            lock (_stored)
            {
                _stored[checkpointId] = position;
            }
        }
    }
}

/// <summary>A cursor canal refuses a stream name the log would refuse when it opens, not at its first pull.</summary>
public class CursorCanalOpenTests
{
    [Fact]
    public async Task A_stream_name_the_log_refuses_is_refused_on_open_naming_the_stream()
    {
        await using var log = new InMemoryStreamLog();

        foreach (var stream in new[] { "bad\nname", "lone " + (char)0xD800 })
        {
            var e = await Assert.ThrowsAsync<ArgumentException>(() => CursorCanal.OpenAsync(log, stream).AsTask());
            Assert.Equal("stream", e.ParamName);
        }
    }

    [Fact]
    public async Task An_over_long_stream_name_is_refused_on_open()
    {
        await using var log = new InMemoryStreamLog();

        var e = await Assert.ThrowsAsync<ArgumentException>(() => CursorCanal.OpenAsync(log, new string('s', StreamLog.MaxStreamNameLength + 1)).AsTask());

        Assert.Equal("stream", e.ParamName);
    }
}
