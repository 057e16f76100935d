using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// docs/canal.md read literally for the cursor canal: one consumer pulls at a time, a commit covers every frame up to
/// the one committed (also from the middle of a batch), a commit whose token was cancelled before the call is recorded
/// and written by the next pull, and a restart resumes right after the stored checkpoint.
/// </summary>
public sealed class CursorCanalCommitShapeTests
{
    // A failure guard against hangs; never a bound on how long correct code takes.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero));

    private InMemoryStreamLog NewLog() => new(new StreamLogOptions { TimeProvider = _clock });

    private CursorCanalOptions Options(string checkpoint = "reader") => new() { CheckpointId = checkpoint, TimeProvider = _clock };

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    [Fact]
    public async Task A_second_pull_while_one_is_parked_is_refused_and_the_first_pull_still_gets_the_next_frame()
    {
        await using var log = NewLog();
        await using var canal = await CursorCanal.OpenAsync(log, "orders", Options());
        var parked = canal.PullBatchAsync(10, TimeSpan.FromSeconds(1)).AsTask();

        await Assert.ThrowsAsync<InvalidOperationException>(() => canal.PullBatchAsync(10, TimeSpan.Zero).AsTask());

        // The refusal neither ended the parked pull nor released its claim: it still gets the frame, and a third pull
        // made while it is still parked is refused too.
        Assert.False(parked.IsCompleted);
        await Assert.ThrowsAsync<InvalidOperationException>(() => canal.PullBatchAsync(1, TimeSpan.Zero).AsTask());
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        var batch = await parked.WaitAsync(Guard);
        Assert.Equal(["a"], batch.Select(Text));
        Assert.Equal(1, canal.Unacknowledged);

        // Once the first pull has returned, pulling works again, from after "a".
        await log.AppendAsync("orders", "b", AppendMode.Durable);
        Assert.Equal(["b"], (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(Text));
    }

    [Fact]
    public async Task Committing_a_frame_in_the_middle_of_a_batch_checkpoints_it_and_a_restart_redelivers_the_rest_of_the_batch()
    {
        await using var log = NewLog();
        foreach (var text in new[] { "a", "b", "c", "d", "e" })
        {
            await log.AppendAsync("orders", text, AppendMode.Durable);
        }

        var canal = await CursorCanal.OpenAsync(log, "orders", Options());
        var batch = await canal.PullBatchAsync(4, TimeSpan.Zero);
        Assert.Equal(CanalBatchKind.Many, batch.Kind);
        Assert.Equal(["a", "b", "c", "d"], batch.Select(Text));

        await canal.CommitAsync(batch[1]);

        Assert.Equal(batch[1].Id, await log.ReadCheckpointAsync("reader"));
        Assert.Equal(batch[1].Id, canal.CommittedPosition);
        Assert.Equal(batch[3].Id, canal.ReadPosition);
        Assert.Equal(2, canal.Unacknowledged); // "c" and "d": what a crash now would redeliver
        await canal.DisposeAsync();

        await using var restarted = await CursorCanal.OpenAsync(log, "orders", Options());
        Assert.Equal(batch[1].Id, restarted.CommittedPosition);
        Assert.Equal(batch[1].Id, restarted.ReadPosition);
        Assert.Equal(0, restarted.Unacknowledged);
        Assert.Equal(["c", "d", "e"], (await restarted.PullBatchAsync(10, TimeSpan.Zero)).Select(Text));
    }

    [Fact]
    public async Task A_commit_whose_token_was_cancelled_before_the_call_is_recorded_and_the_next_pull_writes_it()
    {
        await using var log = NewLog();
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        await log.AppendAsync("orders", "b", AppendMode.Durable);
        await using var canal = await CursorCanal.OpenAsync(log, "orders", Options());
        var batch = await canal.PullBatchAsync(1, TimeSpan.Zero);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.CommitAsync(batch.Last, new CancellationToken(true)).AsTask());

        // Nothing was written by the cancelled call...
        Assert.Null(await log.ReadCheckpointAsync("reader"));
        Assert.Equal(1, canal.Unacknowledged);

        // ...and the next pull writes what it recorded before it takes "b".
        var next = await canal.PullBatchAsync(1, TimeSpan.Zero);
        Assert.Equal(["b"], next.Select(Text));
        Assert.Equal(batch.Last.Id, await log.ReadCheckpointAsync("reader"));
        Assert.Equal(batch.Last.Id, canal.CommittedPosition);
        Assert.Equal(1, canal.Unacknowledged);
    }

    [Fact]
    public async Task Pulls_of_max_one_hand_out_One_batches_in_order_and_each_commit_moves_the_checkpoint_by_one_frame()
    {
        await using var log = NewLog();
        var appended = new List<StreamId>();
        for (var i = 0; i < 4; i++)
        {
            appended.Add((await log.AppendAsync("orders", $"f{i}", AppendMode.Durable)).Id);
        }

        await using var canal = await CursorCanal.OpenAsync(log, "orders", Options());
        for (var i = 0; i < 4; i++)
        {
            var batch = await canal.PullBatchAsync(1, TimeSpan.Zero);
            Assert.Equal(CanalBatchKind.One, batch.Kind);
            Assert.Equal($"f{i}", Text(batch.Last));
            Assert.Equal(1, canal.Unacknowledged);
            await canal.CommitAsync(batch.Last);
            Assert.Equal(appended[i], await log.ReadCheckpointAsync("reader"));
            Assert.Equal(0, canal.Unacknowledged);
        }

        Assert.True((await canal.PullBatchAsync(1, TimeSpan.Zero)).IsEmpty);
    }
}
