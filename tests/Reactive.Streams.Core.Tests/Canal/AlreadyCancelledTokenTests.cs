using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Delivery;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// A token already cancelled when the call is made: the call reports the cancellation, as a cancelled task naming that
/// token, whatever state the object is in and whatever options it was given, and does nothing, as
/// <c>ChannelReader.ReadAsync</c> and <c>ChannelWriter.WriteAsync</c> do (and as every stream log call does).
/// </summary>
public class AlreadyCancelledTokenTests
{
    public static TheoryData<bool> WithAndWithoutACheckpoint => [false, true];

    [Theory]
    [MemberData(nameof(WithAndWithoutACheckpoint))]
    public async Task CursorCanal_OpenAsync_with_a_cancelled_token_is_cancelled_with_or_without_a_checkpoint(bool checkpoint)
    {
        var clock = new FakeTimeProvider();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        var options = new CursorCanalOptions { TimeProvider = clock, CheckpointId = checkpoint ? "orders-reader" : null };
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        // Not thrown at the call: the returned task is cancelled (a bad argument still throws at the call).
        var opening = CursorCanal.OpenAsync(log, "orders", options, cancelled.Token);
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => opening.AsTask());
        Assert.Equal(cancelled.Token, error.CancellationToken);
        Assert.Throws<ArgumentException>(() => { _ = CursorCanal.OpenAsync(log, "", options, cancelled.Token); });

        // The same open with a live token works.
        await using var canal = await CursorCanal.OpenAsync(log, "orders", options);
        Assert.Single(await canal.PullBatchAsync(10, TimeSpan.Zero));
    }

    [Fact]
    public async Task DispatchAsync_with_a_cancelled_token_is_cancelled_on_a_shut_down_dispatcher_too()
    {
        // As ChannelWriter.WriteAsync on a completed channel (and as the dispatcher's own queues): the token is looked
        // at first. The dispatcher said "shut down" (InvalidOperationException) instead.
        var sink = new RecordingSink<int>("file");
        var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { TimeProvider = new FakeTimeProvider() }.AddSink(sink));
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var ack = new CountingAck();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dispatcher.DispatchAsync(1, ack, cancelled.Token).AsTask());
        Assert.Equal(cancelled.Token, error.CancellationToken);

        // With a live token, a shut-down dispatcher still refuses as shut down.
        await Assert.ThrowsAsync<InvalidOperationException>(() => dispatcher.DispatchAsync(2, ack).AsTask());
        Assert.Equal(0, ack.Count);
        Assert.Empty(sink.Committed);
        await dispatcher.DisposeAsync();
    }
}
