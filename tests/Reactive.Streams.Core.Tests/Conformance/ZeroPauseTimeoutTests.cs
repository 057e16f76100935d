using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Conformance;

/// <summary>
/// A zero PauseUpstream timeout is a wait that is over before it starts (the engine's <c>RejectTimedOut</c>): every
/// surface rejects the push into a full buffer at once and counts a pause and a rejection, on a clock nobody advances.
/// </summary>
public sealed class ZeroPauseTimeoutTests
{
    private static BoundedStreamOptions<int> Options(TimeProvider clock) =>
        new(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.Zero, TimeProvider = clock };

    [Fact]
    public async Task Block_SendAsync_into_a_full_block_is_declined_at_once_and_counted_as_a_stream_push_is()
    {
        var clock = new FakeTimeProvider();
        var stream = BoundedStream.Create(Options(clock));
        await stream.PushAsync(1);
        await Assert.ThrowsAsync<StreamOverflowException>(() => stream.PushAsync(2).AsTask());

        var block = new BackpressureBlock<int>(Options(clock));
        Assert.True(await block.SendAsync(1));
        var sending = block.SendAsync(2);

        // The clock never moves: a zero wait must not need it to.
        Assert.True(sending.IsCompleted, "SendAsync into a full block with a zero PauseTimeout waited for the clock");
        Assert.False(await sending);
        Assert.Equal(1, block.Count);
        Assert.Equal(stream.GetMetrics(), block.GetMetrics());

        // The block goes on as the stream does: the buffered message is received, a later message taken.
        Assert.Equal(1, await stream.ReadAsync());
        Assert.True(block.TryReceive(out var first) && first == 1);
        Assert.True(await block.SendAsync(3));
        Assert.True(block.TryReceive(out var next) && next == 3);
        Assert.False(block.Completion.IsCompleted);
    }

    [Fact]
    public void Block_Post_into_a_full_block_is_declined_and_counts_nothing_as_TryPush_does()
    {
        var clock = new FakeTimeProvider();
        var stream = BoundedStream.Create(Options(clock));
        Assert.True(stream.TryPush(1).IsAccepted);
        Assert.Equal(PushStatus.Full, stream.TryPush(2).Status);

        var block = new BackpressureBlock<int>(Options(clock));
        Assert.True(block.Post(1));
        Assert.False(block.Post(2));
        Assert.Equal(stream.GetMetrics(), block.GetMetrics());
    }
}
