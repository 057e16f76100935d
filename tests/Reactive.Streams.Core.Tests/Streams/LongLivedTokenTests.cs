using System.Runtime.CompilerServices;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// An application's lifetime token passed to every call of a long-running consumer or producer: each wait registers on
/// it, and a wait that ends (an item, room, completion) must take its registration away, or the token (which outlives
/// them all) keeps every stream, channel, block or canal it ever waited on reachable, and grows with every wait. Each
/// case parks many waits on one token, ends them normally, drops the surface and checks that only the token is left.
/// <c>Channel.CreateBounded</c> runs the same loop as the oracle that the harness sees a collectable surface as such.
/// </summary>
public class LongLivedTokenTests
{
    private const int Waits = 200;

    public static TheoryData<string> Surfaces => ["BoundedStream", "BackpressureChannel", "Channel.CreateBounded"];

    [Theory]
    [MemberData(nameof(Surfaces))]
    public async Task Reads_and_writes_that_waited_on_the_token_leave_nothing_on_it(string surface)
    {
        using var lifetime = new CancellationTokenSource();
        var target = surface == "BoundedStream" ? WaitOnAStream(lifetime.Token) : WaitOnAChannel(surface, lifetime.Token);

        await AssertCollectedAsync(target, surface);
        Assert.False(lifetime.IsCancellationRequested);
    }

    [Fact]
    public async Task SendAsync_and_ReceiveAsync_that_waited_on_the_token_leave_nothing_on_it()
    {
        using var lifetime = new CancellationTokenSource();
        var target = await WaitOnABlockAsync(lifetime.Token);

        await AssertCollectedAsync(target, "BackpressureBlock");
    }

    [Fact]
    public async Task Pulls_that_waited_on_the_token_leave_nothing_on_it()
    {
        using var lifetime = new CancellationTokenSource();
        var (lossy, cursor, log) = await PullFromCanalsAsync(lifetime.Token);

        await AssertCollectedAsync(lossy, "LossySubscription's stream");
        await AssertCollectedAsync(cursor, "CursorCanal");
        await AssertCollectedAsync(log, "CursorCanal's log");
    }

    [Theory]
    [MemberData(nameof(Surfaces))]
    public async Task Waits_cancelled_one_after_another_leave_no_waiter_behind(string surface)
    {
        // Each wait is parked, then cancelled by its own token: a cancelled waiter left in a wait list would grow the
        // list with every wait, and a push would hand its item to a reader that is gone (or a read let a dead writer in).
        var channel = surface switch
        {
            "BoundedStream" => null,
            "BackpressureChannel" => BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, 1),
            _ => Channel.CreateBounded<int>(1),
        };
        var stream = channel is null ? BoundedStream.PauseUpstream<int>(1) : null;
        for (var i = 0; i < Waits; i++)
        {
            using var read = new CancellationTokenSource();
            var reading = stream is not null ? stream.ReadAsync(read.Token).AsTask() : channel!.Reader.ReadAsync(read.Token).AsTask();
            using var wait = new CancellationTokenSource();
            var waiting = stream is not null ? stream.WaitToReadAsync(wait.Token).AsTask() : channel!.Reader.WaitToReadAsync(wait.Token).AsTask();
            Assert.False(reading.IsCompleted);
            Assert.False(waiting.IsCompleted);
            await read.CancelAsync();
            await wait.CancelAsync();
            Assert.Equal(read.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading)).CancellationToken);
            Assert.Equal(wait.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting)).CancellationToken);
        }

        // The push is stored, not handed to a cancelled ReadAsync.
        Assert.True(stream?.TryPush(1).IsAccepted ?? channel!.Writer.TryWrite(1));
        Assert.Equal(1, stream?.Depth ?? channel!.Reader.Count);

        for (var i = 0; i < Waits; i++)
        {
            using var write = new CancellationTokenSource();
            var writing = stream is not null ? stream.PushAsync(2, write.Token).AsTask() : channel!.Writer.WriteAsync(2, write.Token).AsTask();
            Assert.False(writing.IsCompleted);
            await write.CancelAsync();
            Assert.Equal(write.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writing)).CancellationToken);
        }

        // A read lets no cancelled writer in: the buffer is empty after it.
        Assert.True(stream is not null ? stream.TryRead(out var item) : channel!.Reader.TryRead(out item));
        Assert.Equal(1, item);
        Assert.Equal(0, stream?.Depth ?? channel!.Reader.Count);
        if (stream is not null)
        {
            var metrics = stream.GetMetrics();
            Assert.Equal(1 + Waits, metrics.ItemsPushed);
            Assert.Equal(Waits, metrics.ItemsRejected);
            Assert.Equal(1, metrics.ItemsDelivered);
            Assert.Equal(Waits, metrics.PauseUpstreamBlocks);
            Assert.True(metrics.IsConserved);
        }
    }

    private static async Task AssertCollectedAsync(WeakReference<object> target, string surface)
    {
        // Work that ends a wait may finish on the thread pool after the wait's task completed (Dataflow unlinks a
        // ReceiveAsync's target and disposes its registration there), so a surface may stay reachable for a moment:
        // collect until it is gone, and call it held only when a hung run's bound has passed.
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            if (!target.TryGetTarget(out _))
            {
                return;
            }

            Assert.True(TimeProvider.System.GetElapsedTime(started) < TestLimits.Hang, $"The long-lived token still holds the {surface} it waited on.");
            await Task.Yield();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<object> WaitOnAStream(CancellationToken token)
    {
        var stream = BoundedStream.PauseUpstream<int>(1);
        for (var i = 0; i < Waits; i++)
        {
            // A ReadAsync parked on the empty stream, handed its item by a push.
            var read = stream.ReadAsync(token);
            Assert.False(read.IsCompleted);
            Assert.True(stream.TryPush(i).IsAccepted);
            Assert.Equal(i, Await(read));

            // A WaitToReadAsync woken by a push.
            var wait = stream.WaitToReadAsync(token);
            Assert.False(wait.IsCompleted);
            Assert.True(stream.TryPush(i).IsAccepted);
            Assert.True(Await(wait));

            // A PauseUpstream push parked on the full stream, let in by a read.
            var push = stream.PushAsync(i + 1, token);
            Assert.False(push.IsCompleted);
            Assert.True(stream.TryRead(out _));
            Await(push);
            Assert.True(stream.TryRead(out var last));
            Assert.Equal(i + 1, last);
        }

        // The engine's buffer, which a wait's registration would hold (the stream is only a face on it).
        return new WeakReference<object>(stream.Buffer);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<object> WaitOnAChannel(string surface, CancellationToken token)
    {
        var channel = surface == "BackpressureChannel"
            ? BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, 1)
            : Channel.CreateBounded<int>(1);
        for (var i = 0; i < Waits; i++)
        {
            var read = channel.Reader.ReadAsync(token);
            Assert.False(read.IsCompleted);
            Assert.True(channel.Writer.TryWrite(i));
            Assert.Equal(i, Await(read));

            var wait = channel.Reader.WaitToReadAsync(token);
            Assert.False(wait.IsCompleted);
            Assert.True(channel.Writer.TryWrite(i));
            Assert.True(Await(wait));

            var room = channel.Writer.WaitToWriteAsync(token);
            Assert.False(room.IsCompleted);
            Assert.True(channel.Reader.TryRead(out _));
            Assert.True(Await(room));

            Assert.True(channel.Writer.TryWrite(i));
            var write = channel.Writer.WriteAsync(i + 1, token);
            Assert.False(write.IsCompleted);
            Assert.True(channel.Reader.TryRead(out _));
            Await(write);
            Assert.True(channel.Reader.TryRead(out var last));
            Assert.Equal(i + 1, last);
        }

        return new WeakReference<object>((object?)BackpressureChannel.BufferOf(channel) ?? channel);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference<object>> WaitOnABlockAsync(CancellationToken token)
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));
        for (var i = 0; i < Waits; i++)
        {
            var receive = block.ReceiveAsync(token);
            Assert.True(block.Post(i));
            Assert.Equal(i, await receive.WaitAsync(TestLimits.Hang));

            var available = block.OutputAvailableAsync(token);
            Assert.True(block.Post(i));
            Assert.True(await available.WaitAsync(TestLimits.Hang));

            // A SendAsync postponed by the full block, consumed when a receive makes room.
            var send = block.SendAsync(i + 1, token);
            Assert.False(send.IsCompleted);
            Assert.True(block.TryReceive(out _));
            Assert.True(await send.WaitAsync(TestLimits.Hang));
            Assert.Equal(i + 1, await block.ReceiveAsync(token).WaitAsync(TestLimits.Hang));
        }

        block.Complete();
        await block.Completion.WaitAsync(TestLimits.Hang);
        return new WeakReference<object>(block);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(WeakReference<object> Lossy, WeakReference<object> Cursor, WeakReference<object> Log)> PullFromCanalsAsync(CancellationToken token)
    {
        var clock = new FakeTimeProvider();
        var stream = BoundedStream.DropOldest<int>(4);
        var lossy = LossySubscription.Create(stream, clock);
        for (var i = 0; i < Waits; i++)
        {
            // Parked until the push: the virtual clock never reaches the deadline.
            var pull = lossy.PullBatchAsync(1, TimeSpan.FromHours(1), token);
            Assert.False(pull.IsCompleted);
            stream.TryPush(i);
            Assert.Equal(i, (await pull.AsTask().WaitAsync(TestLimits.Hang))[0]);
        }

        await lossy.DisposeAsync();

        var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        var cursor = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = clock }, token);
        for (var i = 0; i < Waits; i++)
        {
            var pull = cursor.PullBatchAsync(1, TimeSpan.FromHours(1), token);
            Assert.False(pull.IsCompleted);
            await log.AppendAsync("orders", $"o{i}", AppendMode.Durable, token);
            var batch = await pull.AsTask().WaitAsync(TestLimits.Hang);
            Assert.Single(batch);
            await cursor.CommitAsync(batch[0], token);
        }

        await cursor.DisposeAsync();
        // A pull's wait holds the stream's buffer (the lossy canal) or the log's tail (the cursor canal, through the
        // token it links with its own closing).
        return (new WeakReference<object>(stream.Buffer), new WeakReference<object>(cursor), new WeakReference<object>(log));
    }

    private static T Await<T>(ValueTask<T> pending)
    {
        Assert.True(pending.IsCompleted, "The wait was not completed by the call that ended it.");
        return pending.GetAwaiter().GetResult();
    }

    private static void Await(ValueTask pending)
    {
        Assert.True(pending.IsCompleted, "The wait was not completed by the call that ended it.");
        pending.GetAwaiter().GetResult();
    }
}
