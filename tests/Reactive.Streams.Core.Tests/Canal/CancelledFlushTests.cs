using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// A flush or commit called with a token already cancelled is cancelled even when it has nothing to send, as
/// <c>Stream.FlushAsync</c> is on a stream with nothing buffered and <c>ChannelWriter.WriteAsync</c> on a closed
/// channel: the caller learns that its call did not run from the call, not from whether the canal happened to have
/// something pending. What a cancelled commit recorded is kept for the next flush (as the group canal's
/// acknowledgements are, ConsumerGroupConformanceTests), and nothing is written by the cancelled call itself.
/// </summary>
public class CancelledFlushTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public async Task The_platform_twins_cancel_a_flush_or_write_with_nothing_to_do()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var flush = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new MemoryStream().FlushAsync(cancelled.Token));
        Assert.Equal(cancelled.Token, flush.CancellationToken);
        var closed = Channel.CreateBounded<int>(1);
        closed.Writer.Complete();
        var write = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => closed.Writer.WriteAsync(1, cancelled.Token).AsTask());
        Assert.Equal(cancelled.Token, write.CancellationToken);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Cursor_canal_flush_and_commit_with_a_cancelled_token_are_cancelled_with_nothing_to_write(bool checkpoint)
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        await log.AppendAsync("orders", "b", AppendMode.Durable);
        var options = new CursorCanalOptions { TimeProvider = _clock, CheckpointId = checkpoint ? "reader" : null };
        var canal = await CursorCanal.OpenAsync(log, "orders", options);
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        await canal.CommitAsync(batch[0]);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        // Nothing to write: still cancelled, naming the caller's token.
        var flush = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.FlushCheckpointAsync(cancelled.Token).AsTask());
        Assert.Equal(cancelled.Token, flush.CancellationToken);
        var again = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.CommitAsync(batch[0], cancelled.Token).AsTask());
        Assert.Equal(cancelled.Token, again.CancellationToken);

        // Something to write: cancelled, nothing written; the commit is kept for the next flush.
        var commit = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.CommitAsync(batch[1], cancelled.Token).AsTask());
        Assert.Equal(cancelled.Token, commit.CancellationToken);
        Assert.Equal(batch[0].Id, canal.CommittedPosition);
        if (checkpoint)
        {
            Assert.Equal(batch[0].Id, await log.ReadCheckpointAsync("reader"));
        }

        await canal.FlushCheckpointAsync();
        Assert.Equal(batch[1].Id, canal.CommittedPosition);
        if (checkpoint)
        {
            Assert.Equal(batch[1].Id, await log.ReadCheckpointAsync("reader"));
        }

        // On a disposed canal, the token is looked at first too, as ChannelWriter.WriteAsync on a closed channel.
        await canal.DisposeAsync();
        var disposed = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.FlushCheckpointAsync(cancelled.Token).AsTask());
        Assert.Equal(cancelled.Token, disposed.CancellationToken);
        Assert.Throws<ObjectDisposedException>(() => { _ = canal.FlushCheckpointAsync(); });
    }

    [Fact]
    public async Task Cursor_canal_commit_with_a_cancelled_token_on_a_disposed_canal_is_cancelled_as_its_flush_is_and_records_nothing()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        await log.AppendAsync("orders", "b", AppendMode.Durable);
        var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = _clock, CheckpointId = "reader" });
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        await canal.CommitAsync(batch[0]);
        await canal.DisposeAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        // The token is looked at first, as by FlushCheckpointAsync on the same disposed canal, a pull on a disposed canal
        // and ChannelWriter.WriteAsync on a closed channel (docs/canal.md, Closing).
        var flush = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.FlushCheckpointAsync(cancelled.Token).AsTask());
        Assert.Equal(cancelled.Token, flush.CancellationToken);
        var commit = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await canal.CommitAsync(batch[1], cancelled.Token));
        Assert.Equal(cancelled.Token, commit.CancellationToken);

        // Nothing recorded or written, and a live token still meets the disposal.
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await canal.CommitAsync(batch[1]));
        Assert.Equal(batch[0].Id, canal.CommittedPosition);
        Assert.Equal(batch[0].Id, await log.ReadCheckpointAsync("reader"));
    }

    [Fact]
    public async Task Group_canal_flush_and_commit_with_a_cancelled_token_are_cancelled_with_nothing_to_send()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        await log.AppendAsync("orders", "b", AppendMode.Durable);
        await using var canal = await ConsumerGroupCanal.OpenAsync(log, "orders", "g", "m", new ConsumerGroupCanalOptions { TimeProvider = _clock });
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        await canal.CommitAsync(batch[0]);
        Assert.Equal(1, canal.Unacknowledged);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var flush = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.FlushAcknowledgementsAsync(cancelled.Token).AsTask());
        Assert.Equal(cancelled.Token, flush.CancellationToken);
        var again = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.CommitAsync(batch[0], cancelled.Token).AsTask());
        Assert.Equal(cancelled.Token, again.CancellationToken);
        Assert.Equal(1, canal.Unacknowledged);
        Assert.Equal(new[] { batch[1].Id }, (await log.ReadPendingAsync("orders", "g", null, 10)).Select(p => p.Id));

        // The live flush still works and sends nothing more.
        await canal.FlushAcknowledgementsAsync().AsTask().WaitAsync(TestLimits.Hang);
        Assert.Equal(new[] { batch[1].Id }, (await log.ReadPendingAsync("orders", "g", null, 10)).Select(p => p.Id));
    }
}
