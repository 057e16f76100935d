using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// The cursor canal's checkpoint arithmetic when ids are not consecutive (a clock that moves between appends starts a
/// new millisecond at sequence 0, as Redis ids do; a batch numbers its frames within one millisecond), when the
/// checkpoint is the stream's last frame, and when best-effort frames are trimmed by live retention under the canal,
/// the checkpointed frame included.
/// </summary>
public class CursorCanalIdGapAndTrimTests
{
    private const string Stream = "orders";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero));

    private static string Text(StreamFrame frame) => System.Text.Encoding.UTF8.GetString(frame.Payload.Span);

    private Task<CursorCanal> OpenAsync(IStreamLog log, TailVisibility visibility = TailVisibility.All) =>
        CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "reader", Visibility = visibility, TimeProvider = _clock }).AsTask();

    [Fact]
    public async Task Tokens_acknowledged_out_of_order_across_id_gaps_checkpoint_the_prefix_and_a_reopened_canal_skips_nothing()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        var ids = new List<StreamId>();
        ids.Add((await log.AppendAsync(Stream, "a", AppendMode.Durable)).Id);
        _clock.Advance(TimeSpan.FromSeconds(3));
        var batch = await log.AppendBatchAsync(Stream, ["b"u8.ToArray(), "c"u8.ToArray(), "d"u8.ToArray()], AppendMode.Durable);
        ids.AddRange(Enumerable.Range(0, 3).Select(i => new StreamId(batch.FirstId.Milliseconds, batch.FirstId.Sequence + i)));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        ids.Add((await log.AppendAsync(Stream, "e", AppendMode.Durable)).Id);
        _clock.Advance(TimeSpan.FromDays(400));
        ids.Add((await log.AppendAsync(Stream, "f", AppendMode.Durable)).Id);

        // The ids have gaps: no id is another's successor across a millisecond boundary.
        Assert.NotEqual(ids[0].Successor(), ids[1]);
        Assert.NotEqual(ids[3].Successor(), ids[4]);
        Assert.Equal(batch.LastId, ids[3]);

        var canal = await OpenAsync(log);
        var pulled = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids, pulled.Select(f => f.Id));
        var tokens = pulled.Select(canal.AckTokenFor).ToArray();

        // e, c, a: the prefix is a alone.
        tokens[4].Acknowledge();
        tokens[2].Acknowledge();
        tokens[0].Acknowledge();

        // Acknowledged frames count as unacknowledged until their checkpoint is written.
        Assert.Equal(6, canal.Unacknowledged);
        Assert.Equal(StreamId.Min, canal.CommittedPosition);
        await canal.FlushCheckpointAsync();
        Assert.Equal(ids[0], canal.CommittedPosition);
        Assert.Equal(5, canal.Unacknowledged);

        // b closes the gap up to c, written by the next pull (empty: the canal is caught up); d up to e; f stays out.
        tokens[1].Acknowledge();
        Assert.True((await canal.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        Assert.Equal(ids[2], await ((ICheckpointStore)log).ReadCheckpointAsync("reader"));
        Assert.Equal(3, canal.Unacknowledged);
        Assert.Equal(ids[2], canal.CommittedPosition);
        tokens[3].Acknowledge();
        await canal.DisposeAsync();
        Assert.Equal(ids[4], canal.CommittedPosition);
        Assert.Equal(ids[4], await ((ICheckpointStore)log).ReadCheckpointAsync("reader"));

        var reopened = await OpenAsync(log);
        var rest = await reopened.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(["f"], rest.Select(Text));
        await reopened.CommitAsync(rest.Last);
        await reopened.DisposeAsync();
    }

    [Fact]
    public async Task A_checkpoint_on_the_last_frame_reopens_caught_up_and_the_next_append_across_a_gap_is_the_next_frame()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        await log.AppendAsync(Stream, "a", AppendMode.Durable);
        var last = (await log.AppendAsync(Stream, "b", AppendMode.Durable)).Id;
        var canal = await OpenAsync(log);
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        await canal.CommitAsync(batch.Last);
        await canal.DisposeAsync();

        var reopened = await OpenAsync(log);
        Assert.Equal(last, reopened.ReadPosition);
        Assert.Equal(last, reopened.CommittedPosition);
        Assert.Equal(0, reopened.Unacknowledged);
        Assert.True((await reopened.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);

        _clock.Advance(TimeSpan.FromHours(1));
        var next = (await log.AppendAsync(Stream, "c", AppendMode.Durable)).Id;
        var after = await reopened.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(next, Assert.Single(after).Id);
        await reopened.DisposeAsync();
    }

    [Fact]
    public async Task A_checkpoint_on_a_best_effort_frame_live_retention_trimmed_still_opens_and_resumes_without_skipping_a_durable_frame()
    {
        var retention = new LiveRetentionOptions { Floor = 1, Ceiling = 1 };
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock, LiveRetention = retention });
        await log.AppendAsync(Stream, "d0", AppendMode.Durable);
        await log.AppendAsync(Stream, "b1", AppendMode.BestEffortLive);

        var canal = await OpenAsync(log);
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(["d0", "b1"], batch.Select(Text));
        var token = canal.AckTokenFor(batch[1]);
        canal.AckTokenFor(batch[0]).Acknowledge();

        // b2 trims b1 (the frame the canal handed out and is about to checkpoint), b3 trims b2 before any pull read it.
        _clock.Advance(TimeSpan.FromSeconds(1));
        await log.AppendAsync(Stream, "b2", AppendMode.BestEffortLive);
        await log.AppendAsync(Stream, "d3", AppendMode.Durable);
        await log.AppendAsync(Stream, "b4", AppendMode.BestEffortLive);
        Assert.Equal(["d0", "d3", "b4"], (await log.ReadAsync(Stream, StreamId.Min, StreamId.Max, 10)).Select(Text));

        // The token of the trimmed frame still moves the checkpoint onto it.
        token.Acknowledge();
        await canal.DisposeAsync();
        Assert.Equal(batch[1].Id, await ((ICheckpointStore)log).ReadCheckpointAsync("reader"));

        // Reopening on a checkpoint whose frame is gone is not "past the end": later frames prove it is inside.
        var reopened = await OpenAsync(log);
        Assert.Equal(batch[1].Id, reopened.CommittedPosition);
        var rest = await reopened.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(["d3", "b4"], rest.Select(Text));
        await reopened.CommitAsync(rest.Last);
        await reopened.DisposeAsync();

        // A canal that excludes best-effort frames, on the same checkpoint, now stands on b4 and sees only what follows.
        _clock.Advance(TimeSpan.FromSeconds(1));
        await log.AppendAsync(Stream, "b5", AppendMode.BestEffortLive);
        await log.AppendAsync(Stream, "d6", AppendMode.Durable);
        var durableOnly = await OpenAsync(log, TailVisibility.ExcludeBestEffort);
        Assert.Equal(["d6"], (await durableOnly.PullBatchAsync(10, TimeSpan.Zero)).Select(Text));
        await durableOnly.DisposeAsync();
    }
}
