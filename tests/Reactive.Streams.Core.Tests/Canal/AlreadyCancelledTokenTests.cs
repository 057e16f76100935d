using Microsoft.Extensions.Time.Testing;
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
}
