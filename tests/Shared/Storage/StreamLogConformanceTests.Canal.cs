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
}
