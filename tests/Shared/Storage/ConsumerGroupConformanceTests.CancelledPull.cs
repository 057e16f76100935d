namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// A group pull cancelled by its caller, at each of its awaits: the exception names the caller's token, as
/// <c>ChannelReader.ReadAsync</c>'s does, and nothing the pull had taken or was sending is lost.
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    /// <summary>
    /// The canal waits on a token linked to its disposal; a caller that tells its own cancellation from another by
    /// <see cref="OperationCanceledException.CancellationToken"/> (as a worker loop does) must still see its own token,
    /// whether the pull was parked on the tail, had its claim out or was sending the acknowledgements made before it.
    /// </summary>
    [Fact]
    public async Task A_pull_cancelled_at_any_await_throws_with_the_caller_s_token_and_loses_nothing()
    {
        var inner = await CreateAsync();
        var stream = NewStream();
        var log = new HookedLog(inner);
        var canal = await OpenCanalAsync(log, stream, "a");

        // Parked on the log's tail wake-up.
        using (var parked = new CancellationTokenSource())
        {
            var timers = Clock.TimersCreated;
            var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1), parked.Token).AsTask();
            await Clock.WaitForTimersAsync(timers + 1);
            await parked.CancelAsync();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.WaitAsync(Guard));
            Assert.Equal(parked.Token, error.CancellationToken);
        }

        // While its claim is out: the claim completes, and the next pull returns what it took.
        var ids = await AppendAsync(inner, stream, 2);
        using (var claiming = new CancellationTokenSource())
        {
            log.BeforeClaim = async _ =>
            {
                log.BeforeClaim = null;
                await claiming.CancelAsync();
            };
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.PullBatchAsync(10, TimeSpan.FromMinutes(1), claiming.Token).AsTask().WaitAsync(Guard));
            Assert.Equal(claiming.Token, error.CancellationToken);
        }

        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids, batch.Select(f => f.Id));
        Assert.Equal(new[] { 1L, 1L }, batch.Select(canal.DeliveryCountOf));
        canal.AckTokenFor(batch[0]).Acknowledge();
        canal.AckTokenFor(batch[1]).Acknowledge();

        // While the acknowledgements it sends first are out: they stay for the next flush.
        using (var acknowledging = new CancellationTokenSource())
        {
            log.BeforeAcknowledge = async token =>
            {
                log.BeforeAcknowledge = null;
                await acknowledging.CancelAsync();
                token.ThrowIfCancellationRequested();
            };
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.PullBatchAsync(10, TimeSpan.FromMinutes(1), acknowledging.Token).AsTask().WaitAsync(Guard));
            Assert.Equal(acknowledging.Token, error.CancellationToken);
        }

        Assert.Equal(ids, (await inner.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        Assert.Equal(2, canal.Unacknowledged);
        await canal.FlushAcknowledgementsAsync();
        Assert.Empty(await inner.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal(0, canal.Unacknowledged);
    }
}
