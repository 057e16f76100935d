using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Canal;

public class CursorCanalTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));

    private InMemoryStreamLog NewLog() => new(new StreamLogOptions { TimeProvider = _clock });

    private CursorCanalOptions Durable(string checkpoint = "reader") => new() { CheckpointId = checkpoint, TimeProvider = _clock };

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    private static async Task AppendAsync(IStreamLog log, params string[] texts)
    {
        foreach (var text in texts)
        {
            await log.AppendAsync("orders", text, AppendMode.Durable);
        }
    }

    [Fact]
    public async Task Replays_the_stream_in_order_in_batches_of_at_most_max()
    {
        await using var log = NewLog();
        await AppendAsync(log, "a", "b", "c", "d", "e");
        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = _clock });

        var first = await canal.PullBatchAsync(2, TimeSpan.Zero);
        var second = await canal.PullBatchAsync(2, TimeSpan.Zero);
        var third = await canal.PullBatchAsync(2, TimeSpan.Zero);
        var fourth = await canal.PullBatchAsync(2, TimeSpan.Zero);

        Assert.Equal(["a", "b"], first.Select(Text));
        Assert.Equal(["c", "d"], second.Select(Text));
        Assert.Equal(CanalBatchKind.One, third.Kind);
        Assert.Equal("e", Text(third[0]));
        Assert.True(fourth.IsEmpty);
    }

    [Fact]
    public async Task A_pull_waits_for_its_deadline_in_virtual_time_and_returns_what_arrived()
    {
        await using var log = NewLog();
        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = _clock });

        var pull = canal.PullBatchAsync(10, Second).AsTask();
        Assert.False(pull.IsCompleted);
        await AppendAsync(log, "late");
        _clock.Advance(TimeSpan.FromMilliseconds(400));
        Assert.False(pull.IsCompleted); // one frame of ten: the pull keeps waiting for more until its deadline
        _clock.Advance(TimeSpan.FromMilliseconds(600));
        var batch = await pull.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["late"], batch.Select(Text));

        var full = canal.PullBatchAsync(2, Second).AsTask();
        await AppendAsync(log, "x", "y");
        Assert.Equal(["x", "y"], (await full.WaitAsync(TimeSpan.FromSeconds(10))).Select(Text));

        var empty = canal.PullBatchAsync(10, Second).AsTask();
        Assert.False(empty.IsCompleted);
        _clock.Advance(Second);
        Assert.True((await empty.WaitAsync(TimeSpan.FromSeconds(10))).IsEmpty);
    }

    [Fact]
    public async Task The_checkpoint_advances_only_on_commit_and_a_reopen_resumes_after_it()
    {
        await using var log = NewLog();
        await AppendAsync(log, "a", "b", "c");
        var canal = await CursorCanal.OpenAsync(log, "orders", Durable());
        var batch = await canal.PullBatchAsync(2, TimeSpan.Zero);
        Assert.Null(await log.ReadCheckpointAsync("reader"));
        Assert.Equal(2, canal.Unacknowledged);

        await canal.CommitAsync(batch.Last);
        Assert.Equal(batch.Last.Id, await log.ReadCheckpointAsync("reader"));
        _ = await canal.PullBatchAsync(2, TimeSpan.Zero); // "c" handed out but never committed: a crash
        await canal.DisposeAsync();

        await using var reopened = await CursorCanal.OpenAsync(log, "orders", Durable());
        var replay = await reopened.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(["c"], replay.Select(Text));
        Assert.Equal(batch.Last.Id, reopened.CommittedPosition);
    }

    [Fact]
    public async Task A_worker_commits_each_batch_after_its_handler_so_a_failed_batch_is_replayed()
    {
        await using var log = NewLog();
        await AppendAsync(log, "a", "b", "c", "d");
        var canal = await CursorCanal.OpenAsync(log, "orders", Durable());
        var seen = new List<string>();
        var worker = CanalWorker.Start<StreamFrame>(canal, (batch, _) =>
        {
            if (batch.Any(f => Text(f) == "c"))
            {
                throw new IOException("sink down");
            }

            seen.AddRange(batch.Select(Text));
            return default;
        }, new CanalWorkerOptions { MaxBatch = 2, Deadline = TimeSpan.Zero });

        await Assert.ThrowsAsync<IOException>(() => worker.JoinAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        await canal.DisposeAsync();
        Assert.Equal(["a", "b"], seen);

        await using var reopened = await CursorCanal.OpenAsync(log, "orders", Durable());
        Assert.Equal(["c", "d"], (await reopened.PullBatchAsync(10, TimeSpan.Zero)).Select(Text));
    }

    [Fact]
    public async Task Acks_advance_the_checkpoint_through_the_contiguous_prefix_only()
    {
        await using var log = NewLog();
        await AppendAsync(log, "a", "b", "c", "d");
        var canal = await CursorCanal.OpenAsync(log, "orders", Durable());
        var frames = (await canal.PullBatchAsync(4, TimeSpan.Zero)).ToArray();

        canal.AckTokenFor(frames[1]).Acknowledge();
        canal.AckTokenFor(frames[3]).Acknowledge();
        await canal.FlushCheckpointAsync();
        Assert.Null(await log.ReadCheckpointAsync("reader"));

        canal.AckTokenFor(frames[0]).Acknowledge();
        await canal.FlushCheckpointAsync();
        Assert.Equal(frames[1].Id, await log.ReadCheckpointAsync("reader"));
        Assert.Equal(2, canal.Unacknowledged);

        canal.AckTokenFor(frames[2]).Acknowledge();
        await canal.DisposeAsync();
        Assert.Equal(frames[3].Id, await log.ReadCheckpointAsync("reader"));
    }

    [Fact]
    public async Task An_unknown_checkpoint_id_starts_from_the_beginning()
    {
        await using var log = NewLog();
        await AppendAsync(log, "a", "b");
        await using var canal = await CursorCanal.OpenAsync(log, "orders", Durable("never-stored"));

        Assert.Equal(["a", "b"], (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(Text));
    }

    [Fact]
    public async Task A_checkpoint_past_the_end_is_refused_and_nothing_is_skipped()
    {
        await using var log = NewLog();
        await AppendAsync(log, "a");
        await log.WriteCheckpointAsync("reader", new StreamId(9_999_999_999_999, 0));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => CursorCanal.OpenAsync(log, "orders", Durable()).AsTask());

        Assert.Contains("'reader'", error.Message);
        Assert.Contains("past its last frame", error.Message);
        Assert.Equal(new StreamId(9_999_999_999_999, 0), await log.ReadCheckpointAsync("reader"));
    }

    [Fact]
    public async Task A_disposed_canal_is_closed()
    {
        await using var log = NewLog();
        var canal = await CursorCanal.OpenAsync(log, "orders");
        await canal.DisposeAsync();

        await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(1, TimeSpan.Zero).AsTask());
    }

    [Fact]
    public async Task Bad_input_is_rejected_naming_the_parameter()
    {
        await using var log = NewLog();
        await using var canal = await CursorCanal.OpenAsync(log, "orders");

        Assert.Equal("max", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => canal.PullBatchAsync(0, Second).AsTask())).ParamName);
        Assert.Equal("deadline", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => canal.PullBatchAsync(1, TimeSpan.FromTicks(-1)).AsTask())).ParamName);
        Assert.Equal("stream", (await Assert.ThrowsAsync<ArgumentException>(() => CursorCanal.OpenAsync(log, "").AsTask())).ParamName);
        Assert.Equal("log", (await Assert.ThrowsAsync<ArgumentNullException>(() => CursorCanal.OpenAsync(null!, "orders").AsTask())).ParamName);
    }
}
