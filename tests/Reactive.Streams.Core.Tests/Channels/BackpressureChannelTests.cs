using System.Threading.Channels;
using Reactive.Streams.Internal;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// The channel face, in the shared mode here (the default), in the lock-free mode in
/// <see cref="LockFreeBackpressureChannelTests"/> and in the locked mode in <see cref="LockedBackpressureChannelTests"/>.
/// </summary>
public class BackpressureChannelTests
{
    /// <summary>The engine mode of the channels under test.</summary>
    private protected virtual BufferMode Mode => BufferMode.SharedLane;

    private Channel<T> Create<T>(BackpressurePolicy policy, int capacity, Func<T, T>? degrader = null)
    {
        var lockFree = Mode == BufferMode.SingleLane;
        return BackpressureChannel.Create(
            new BoundedStreamOptions<T>(policy, capacity) { Degrader = degrader, SingleWriter = lockFree, SingleReader = lockFree },
            Mode);
    }

    private static List<T> Drain<T>(ChannelReader<T> reader)
    {
        var items = new List<T>();
        while (reader.TryRead(out var item))
        {
            items.Add(item);
        }

        return items;
    }

    [Fact]
    public void DropOldest_channel_accepts_every_write_and_keeps_the_newest()
    {
        var channel = Create<int>(BackpressurePolicy.DropOldest, 2);

        Assert.All(Enumerable.Range(1, 4), i => Assert.True(channel.Writer.TryWrite(i)));

        Assert.Equal(2, channel.Reader.Count);
        Assert.True(channel.Reader.TryPeek(out var head));
        Assert.Equal(3, head);
        Assert.Equal([3, 4], Drain(channel.Reader));
        Assert.Equal(2, channel.GetMetrics().DropOldestHits);
    }

    [Fact]
    public void DegradeQuality_channel_degrades_on_overflow_only()
    {
        var channel = Create<string>(BackpressurePolicy.DegradeQuality, 1, static s => s.ToUpperInvariant());

        Assert.True(channel.Writer.TryWrite("a"));
        Assert.True(channel.Writer.TryWrite("b"));

        Assert.Equal(["B"], Drain(channel.Reader));
        Assert.Equal(1, channel.GetMetrics().DegradeQualityHits);
    }

    [Fact]
    public async Task Fail_channel_rejects_on_overflow_and_WriteAsync_throws_overflow()
    {
        var channel = Create<int>(BackpressurePolicy.Fail, 1);
        Assert.True(channel.Writer.TryWrite(1));

        Assert.False(channel.Writer.TryWrite(2));
        var error = await Assert.ThrowsAsync<StreamOverflowException>(() => channel.Writer.WriteAsync(3).AsTask());

        Assert.Equal(1, error.Capacity);
        Assert.Equal([1], Drain(channel.Reader));
        Assert.Equal(2, channel.GetMetrics().FailOverflows);
    }

    [Fact]
    public async Task Fail_and_PauseUpstream_channels_WaitToWriteAsync_waits_for_room()
    {
        foreach (var policy in new[] { BackpressurePolicy.Fail, BackpressurePolicy.PauseUpstream })
        {
            var channel = Create<int>(policy, 1);
            Assert.True(await channel.Writer.WaitToWriteAsync());
            Assert.True(channel.Writer.TryWrite(1));

            var wait = channel.Writer.WaitToWriteAsync().AsTask();
            Assert.False(wait.IsCompleted);
            Assert.True(channel.Reader.TryRead(out _));

            Assert.True(await wait);
            Assert.True(channel.Writer.TryWrite(2));
        }
    }

    [Fact]
    public async Task PauseUpstream_channel_WriteAsync_waits_and_TryWrite_refuses_when_full()
    {
        var channel = Create<int>(BackpressurePolicy.PauseUpstream, 1);
        await channel.Writer.WriteAsync(1);

        Assert.False(channel.Writer.TryWrite(2));
        var write = channel.Writer.WriteAsync(3).AsTask();
        Assert.False(write.IsCompleted);
        Assert.Equal(1, await channel.Reader.ReadAsync());
        await write;

        Assert.Equal([3], Drain(channel.Reader));
        var metrics = channel.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(2, 2, 0, 0, 1, 0, 0, 0), metrics);
    }

    [Fact]
    public async Task Completed_channel_drains_then_ReadAsync_throws_ChannelClosedException()
    {
        var channel = Create<int>(BackpressurePolicy.DropOldest, 4);
        await channel.Writer.WriteAsync(1);
        channel.Writer.Complete();

        Assert.False(channel.Writer.TryWrite(2));
        await Assert.ThrowsAsync<ChannelClosedException>(() => channel.Writer.WriteAsync(3).AsTask());
        Assert.False(await channel.Writer.WaitToWriteAsync());
        Assert.Equal(1, await channel.Reader.ReadAsync());
        await Assert.ThrowsAsync<ChannelClosedException>(() => channel.Reader.ReadAsync().AsTask());
        Assert.False(await channel.Reader.WaitToReadAsync());
        await channel.Reader.Completion;
    }

    [Fact]
    public async Task Channel_faulted_on_completion_surfaces_the_error_to_readers()
    {
        var channel = Create<int>(BackpressurePolicy.Fail, 4);
        var boom = new TimeoutException("source timed out");
        channel.Writer.Complete(boom);

        await Assert.ThrowsAsync<TimeoutException>(() => channel.Reader.WaitToReadAsync().AsTask());
        Assert.Same(boom, await Assert.ThrowsAsync<TimeoutException>(() => channel.Reader.Completion));
        var items = new List<int>();
        await Assert.ThrowsAsync<TimeoutException>(async () =>
        {
            await foreach (var item in channel.Reader.ReadAllAsync())
            {
                items.Add(item);
            }
        });
        Assert.Empty(items);
    }

    [Theory]
    [InlineData(BackpressurePolicy.PauseUpstream)]
    [InlineData(BackpressurePolicy.Fail)]
    public async Task A_WaitToWriteAsync_pending_at_TryComplete_with_an_error_throws_that_error_like_the_runtime_channel(BackpressurePolicy policy)
    {
        var twin = Channel.CreateBounded<int>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.Wait });
        var channel = Create<int>(policy, 1);
        var boom = new InvalidOperationException("boom");
        foreach (var writer in new[] { twin.Writer, channel.Writer })
        {
            Assert.True(writer.TryWrite(1));
            var pending = writer.WaitToWriteAsync().AsTask();
            Assert.False(pending.IsCompleted);

            Assert.True(writer.TryComplete(boom));

            Assert.Same(boom, await Assert.ThrowsAsync<InvalidOperationException>(() => pending));
            Assert.Same(boom, await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WaitToWriteAsync().AsTask()));
        }
    }

    [Theory]
    [InlineData(BackpressurePolicy.PauseUpstream)]
    [InlineData(BackpressurePolicy.Fail)]
    public async Task A_WaitToWriteAsync_pending_at_a_normal_completion_returns_false_like_the_runtime_channel(BackpressurePolicy policy)
    {
        var twin = Channel.CreateBounded<int>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.Wait });
        var channel = Create<int>(policy, 1);
        foreach (var writer in new[] { twin.Writer, channel.Writer })
        {
            Assert.True(writer.TryWrite(1));
            var pending = writer.WaitToWriteAsync().AsTask();

            writer.Complete();

            Assert.False(await pending);
        }
    }

    [Fact]
    public void GetMetrics_rejects_a_channel_it_did_not_create()
    {
        var error = Assert.Throws<ArgumentException>(() => Channel.CreateBounded<int>(1).GetMetrics());
        Assert.Equal("channel", error.ParamName);
    }

    [Fact]
    public void Bad_input_is_rejected_naming_the_parameter()
    {
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => BackpressureChannel.Create<int>(BackpressurePolicy.Fail, 0)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => BackpressureChannel.Create<int>(null!)).ParamName);
    }
}

/// <summary>Every test of <see cref="BackpressureChannelTests"/> on single-writer, single-reader (lock-free) channels.</summary>
public sealed class LockFreeBackpressureChannelTests : BackpressureChannelTests
{
    /// <inheritdoc/>
    private protected override BufferMode Mode => BufferMode.SingleLane;
}

/// <summary>Every test of <see cref="BackpressureChannelTests"/> on the locked mode.</summary>
public sealed class LockedBackpressureChannelTests : BackpressureChannelTests
{
    /// <inheritdoc/>
    private protected override BufferMode Mode => BufferMode.Locked;
}
