using System.Text;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// The defaults that docs/stream-log.md, docs/canal.md and docs/consumer-groups.md state, and the outputs their
/// examples print, pinned so that a change to either the code or the page shows here.
/// </summary>
public class DocumentedCanalPromisesTests
{
    [Fact]
    public void The_log_options_have_the_documented_defaults()
    {
        var options = new StreamLogOptions();
        Assert.Equal(10_000, StreamLogOptions.DefaultMaxReadCount);
        Assert.Equal(StreamLogOptions.DefaultMaxReadCount, options.MaxReadCount);
        Assert.True(options.RequireObjectSummaryPatch);
        Assert.Same(TimeProvider.System, options.TimeProvider);

        var retention = options.LiveRetention;
        Assert.Equal(0.2, retention.Alpha);
        Assert.Equal(TimeSpan.FromSeconds(30), retention.Ttl);
        Assert.Equal(16, retention.Floor);
        Assert.Equal(10_000, retention.Ceiling);
    }

    [Fact]
    public void The_canal_options_have_the_documented_defaults()
    {
        var cursor = new CursorCanalOptions();
        Assert.Null(cursor.CheckpointId);
        Assert.Null(cursor.Checkpoints);
        Assert.Equal(TailVisibility.All, cursor.Visibility);
        Assert.Same(TimeProvider.System, cursor.TimeProvider);

        var worker = new CanalWorkerOptions();
        Assert.Equal(64, worker.MaxBatch);
        Assert.Equal(TimeSpan.FromMilliseconds(100), worker.Deadline);
        Assert.Equal(CanalLinger.None, worker.Linger);
        Assert.False(worker.DeliverEmptyBatches);

        var group = new ConsumerGroupCanalOptions();
        Assert.Equal(10, ConsumerGroupCanalOptions.DefaultMaxDeliveries);
        Assert.Equal(ConsumerGroupCanalOptions.DefaultMaxDeliveries, group.MaxDeliveries);
        Assert.Equal(ConsumerGroupCanalOptions.DefaultClaimTimeout, group.ClaimTimeout);
        Assert.Null(group.DeadLetterStream);
        Assert.True(group.ClaimOwnPendingFirst);
        Assert.Equal(ConsumerGroupStart.Beginning, group.Start);
    }

    [Fact]
    public async Task The_pulling_example_prints_what_its_comments_say()
    {
        var stream = BoundedStream.DropOldest<int>(1024);
        await using var canal = LossySubscription.Create(stream);
        stream.TryPush(1);
        stream.TryPush(2);

        var batch = await canal.PullBatchAsync(max: 64, deadline: TimeSpan.FromSeconds(1)).AsTask().WaitAsync(TestLimits.Hang);

        Assert.Equal([1, 2], batch.ToArray());
        Assert.Equal(CanalBatchKind.Many, batch.Kind);
        Assert.Equal(2, batch.Count);
        Assert.Equal(2, batch.Last);
        Assert.Equal(0, canal.Skipped);
    }

    [Fact]
    public void Stream_frames_compare_payload_and_headers_as_references_not_by_content()
    {
        var payload = new byte[] { 1, 2 };
        var headers = new Dictionary<string, string> { ["tenant"] = "acme" };
        var frame = new StreamFrame(new StreamId(1, 0), payload, AppendMode.Durable) { Headers = headers };

        Assert.Equal(frame, new StreamFrame(new StreamId(1, 0), payload, AppendMode.Durable) { Headers = headers });
        Assert.NotEqual(frame, new StreamFrame(new StreamId(1, 0), new byte[] { 1, 2 }, AppendMode.Durable) { Headers = headers });
        Assert.NotEqual(frame, new StreamFrame(new StreamId(1, 0), payload, AppendMode.Durable) { Headers = new Dictionary<string, string>(headers) });
        Assert.Same(FrameHeaders.Empty, new StreamFrame(new StreamId(1, 0), payload, AppendMode.Durable).Headers);
        Assert.Equal("Headers", Assert.Throws<ArgumentNullException>(() => new StreamFrame(new StreamId(1, 0), payload, AppendMode.Durable) { Headers = null! }).ParamName);
    }

    [Fact]
    public async Task The_cursor_canal_example_leaves_the_checkpoint_on_the_last_frame_and_nothing_unacknowledged()
    {
        await using var log = new InMemoryStreamLog();
        await log.AppendAsync("orders", "created #17", AppendMode.Durable);
        await log.AppendAsync("orders", "paid #17", AppendMode.Durable);

        var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { CheckpointId = "billing" });
        Assert.Equal(StreamId.Min, canal.ReadPosition);
        var batch = await canal.PullBatchAsync(max: 100, deadline: TimeSpan.FromSeconds(1)).AsTask().WaitAsync(TestLimits.Hang);
        Assert.Equal(["created #17", "paid #17"], batch.Select(f => Encoding.UTF8.GetString(f.Payload.Span)));
        Assert.Equal(2, canal.Unacknowledged);

        await canal.CommitAsync(batch.Last);

        Assert.Equal(batch.Last.Id, canal.CommittedPosition);
        Assert.Equal(batch.Last.Id, canal.ReadPosition);
        Assert.Equal(0, canal.Unacknowledged);
        Assert.Equal(batch.Last.Id, await log.ReadCheckpointAsync("billing"));
        await canal.DisposeAsync();
    }

    [Fact]
    public async Task The_virtual_time_example_returns_empty_once_the_fake_clock_passes_the_deadline()
    {
        var clock = new FakeTimeProvider();
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, clock);

        var pull = canal.PullBatchAsync(10, TimeSpan.FromSeconds(1)).AsTask();
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.True((await pull.WaitAsync(TestLimits.Hang)).IsEmpty);
    }
}
