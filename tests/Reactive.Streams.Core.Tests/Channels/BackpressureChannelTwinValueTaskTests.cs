using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Internal;
using Twin = Reactive.Streams.Tests.Channels.ChannelTwin;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// What the channel face's <see cref="ValueTask"/>s do when they are misused as <c>Channel.CreateBounded</c>'s tolerate:
/// a result read before the operation completed (<c>.Result</c> or <c>GetAwaiter().GetResult()</c> on a pending task),
/// and a task awaited, or its result read, a second time. <see cref="ValueTask"/>'s contract forbids both; the runtime's channels answer each
/// with an <see cref="InvalidOperationException"/> and change nothing else: the operation stays pending and completes
/// with its item, and an operation that reuses the runtime's pooled operation object is not disturbed. Each case runs on
/// the runtime's channel ("runtime") and on <see cref="BackpressureChannel"/> in the shared mode, with an armed
/// PauseUpstream timeout nobody reaches (no pooled waiter for writes) and in the locked mode, with and without a
/// cancellation token (without one, both sides reuse a pooled waiter).
/// </summary>
public sealed class BackpressureChannelTwinValueTaskTests
{
    private static readonly string[] s_variants = ["runtime", "shared", "shared+timeout", "locked"];

    public static TheoryData<string, bool> VariantsWithAndWithoutToken()
    {
        var data = new TheoryData<string, bool>();
        foreach (var variant in s_variants)
        {
            data.Add(variant, false);
            data.Add(variant, true);
        }

        return data;
    }

    // ---- A result read before the operation completed -------------------------------------------------------------

    [Theory]
    [MemberData(nameof(VariantsWithAndWithoutToken))]
    public async Task A_result_read_before_a_parked_WriteAsync_completes_throws_and_the_write_stays_parked_with_its_item(string variant, bool withToken)
    {
        using var cts = new CancellationTokenSource();
        var token = withToken ? cts.Token : default;
        var channel = Open(Twin.Wait, variant);
        Assert.True(channel.Writer.TryWrite(1));
        var write = channel.Writer.WriteAsync(2, token);
        Assert.False(write.IsCompleted);

        Assert.Throws<InvalidOperationException>(() => write.GetAwaiter().GetResult());

        // Still parked, and a second parked write (which takes the pooled waiter, if one is free) queues behind it.
        Assert.False(write.IsCompleted);
        var next = channel.Writer.WriteAsync(3, token);
        Assert.False(next.IsCompleted);
        Assert.Equal(1, channel.Reader.Count);

        Assert.True(channel.Reader.TryRead(out var first));
        Assert.Equal(1, first);
        Assert.True(write.IsCompletedSuccessfully);
        await write;
        Assert.False(next.IsCompleted);

        Assert.True(channel.Reader.TryRead(out var second));
        Assert.Equal(2, second);
        Assert.True(next.IsCompletedSuccessfully);
        await next;
        Assert.Equal([3], ChannelTwins.Drain(channel.Reader));
    }

    [Theory]
    [MemberData(nameof(VariantsWithAndWithoutToken))]
    public async Task A_result_read_before_a_pending_WaitToWriteAsync_completes_throws_and_the_wait_still_sees_the_room(string variant, bool withToken)
    {
        using var cts = new CancellationTokenSource();
        var token = withToken ? cts.Token : default;
        var channel = Open(Twin.Wait, variant);
        Assert.True(channel.Writer.TryWrite(1));
        var wait = channel.Writer.WaitToWriteAsync(token);
        Assert.False(wait.IsCompleted);

        Assert.Throws<InvalidOperationException>(() => _ = wait.Result);

        Assert.False(wait.IsCompleted);
        Assert.True(channel.Reader.TryRead(out _));
        Assert.True(wait.IsCompletedSuccessfully);
        Assert.True(await wait);
        Assert.True(channel.Writer.TryWrite(2));
    }

    [Theory]
    [MemberData(nameof(VariantsWithAndWithoutToken))]
    public async Task A_result_read_before_a_pending_ReadAsync_completes_throws_and_the_read_still_takes_the_next_write(string variant, bool withToken)
    {
        using var cts = new CancellationTokenSource();
        var token = withToken ? cts.Token : default;
        var channel = Open(Twin.DropOldest, variant);
        var read = channel.Reader.ReadAsync(token);
        Assert.False(read.IsCompleted);

        Assert.Throws<InvalidOperationException>(() => read.GetAwaiter().GetResult());

        Assert.False(read.IsCompleted);
        var next = channel.Reader.ReadAsync(token);
        Assert.False(next.IsCompleted);

        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(read.IsCompletedSuccessfully);
        Assert.Equal(1, await read);
        Assert.False(next.IsCompleted);

        Assert.True(channel.Writer.TryWrite(2));
        Assert.True(next.IsCompletedSuccessfully);
        Assert.Equal(2, await next);
        Assert.Equal(0, channel.Reader.Count);
    }

    [Theory]
    [MemberData(nameof(VariantsWithAndWithoutToken))]
    public async Task A_result_read_before_a_pending_WaitToReadAsync_completes_throws_and_the_wait_still_sees_the_write(string variant, bool withToken)
    {
        using var cts = new CancellationTokenSource();
        var token = withToken ? cts.Token : default;
        var channel = Open(Twin.DropOldest, variant);
        var wait = channel.Reader.WaitToReadAsync(token);
        Assert.False(wait.IsCompleted);

        Assert.Throws<InvalidOperationException>(() => _ = wait.Result);

        // Still pending; a second wait (which takes the pooled waiter, if one is free) waits beside it.
        Assert.False(wait.IsCompleted);
        var next = channel.Reader.WaitToReadAsync(token);
        Assert.False(next.IsCompleted);

        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(wait.IsCompletedSuccessfully);
        Assert.True(next.IsCompletedSuccessfully);
        Assert.True(await wait);
        Assert.True(await next);
        Assert.Equal([1], ChannelTwins.Drain(channel.Reader));
    }

    // ---- A task awaited (or its result read) a second time -----------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(VariantsWithAndWithoutToken))]
    public async Task A_WriteAsync_used_after_it_was_awaited_throws_and_leaves_the_next_parked_write_alone(string variant, bool withToken)
    {
        using var cts = new CancellationTokenSource();
        var token = withToken ? cts.Token : default;
        var channel = Open(Twin.Wait, variant);
        Assert.True(channel.Writer.TryWrite(1));
        var write = channel.Writer.WriteAsync(2, token);
        Assert.True(channel.Reader.TryRead(out _));
        await write;

        // The next parked write may reuse what the first one waited on (a pooled waiter, on both sides).
        var next = channel.Writer.WriteAsync(3, token);
        Assert.False(next.IsCompleted);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await write);
        Assert.Throws<InvalidOperationException>(() => write.GetAwaiter().GetResult());

        Assert.False(next.IsCompleted);
        Assert.Equal(1, channel.Reader.Count);
        Assert.True(channel.Reader.TryRead(out var item));
        Assert.Equal(2, item);
        Assert.True(next.IsCompletedSuccessfully);
        await next;
        Assert.Equal([3], ChannelTwins.Drain(channel.Reader));
    }

    [Theory]
    [MemberData(nameof(VariantsWithAndWithoutToken))]
    public async Task A_WaitToReadAsync_used_after_it_was_awaited_throws_and_leaves_the_next_wait_alone(string variant, bool withToken)
    {
        using var cts = new CancellationTokenSource();
        var token = withToken ? cts.Token : default;
        var channel = Open(Twin.DropOldest, variant);
        var wait = channel.Reader.WaitToReadAsync(token);
        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(await wait);
        Assert.True(channel.Reader.TryRead(out _));

        var next = channel.Reader.WaitToReadAsync(token);
        Assert.False(next.IsCompleted);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await wait);
        Assert.Throws<InvalidOperationException>(() => _ = wait.Result);

        Assert.False(next.IsCompleted);
        Assert.True(channel.Writer.TryWrite(2));
        Assert.True(next.IsCompletedSuccessfully);
        Assert.True(await next);
        Assert.Equal([2], ChannelTwins.Drain(channel.Reader));
    }

    [Theory]
    [MemberData(nameof(VariantsWithAndWithoutToken))]
    public async Task A_ReadAsync_used_after_it_was_awaited_throws_and_leaves_the_next_read_alone(string variant, bool withToken)
    {
        using var cts = new CancellationTokenSource();
        var token = withToken ? cts.Token : default;
        var channel = Open(Twin.DropOldest, variant);
        var read = channel.Reader.ReadAsync(token);
        Assert.True(channel.Writer.TryWrite(1));
        Assert.Equal(1, await read);

        var next = channel.Reader.ReadAsync(token);
        Assert.False(next.IsCompleted);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await read);
        Assert.Throws<InvalidOperationException>(() => _ = read.Result);

        Assert.False(next.IsCompleted);
        Assert.True(channel.Writer.TryWrite(2));
        Assert.True(next.IsCompletedSuccessfully);
        Assert.Equal(2, await next);
    }

    // ---- Support --------------------------------------------------------------------------------------------------

    private static Channel<int> Open(Twin twin, string variant)
    {
        const int capacity = 1;
        if (variant == "runtime")
        {
            var mode = twin == Twin.Wait ? BoundedChannelFullMode.Wait : BoundedChannelFullMode.DropOldest;
            return Channel.CreateBounded<int>(new BoundedChannelOptions(capacity) { FullMode = mode });
        }

        var policy = twin == Twin.Wait ? BackpressurePolicy.PauseUpstream : BackpressurePolicy.DropOldest;
        var options = new BoundedStreamOptions<int>(policy, capacity);
        if (variant == "shared+timeout")
        {
            options.PauseTimeout = TimeSpan.FromHours(1);
            options.TimeProvider = new FakeTimeProvider();
        }

        return BackpressureChannel.Create(options, variant == "locked" ? BufferMode.Locked : BufferMode.SharedLane);
    }
}
