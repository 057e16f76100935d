using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;
using Twin = Reactive.Streams.Tests.Channels.ChannelTwin;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// Protocol cases of the channel face that <see cref="BackpressureChannelTwinTests"/> does not hold, each written once
/// and run against <c>Channel.CreateBounded</c> (the "runtime" variant) and against <see cref="BackpressureChannel"/> in
/// the shared mode (the default) and the locked mode: the drop callback (<c>itemDropped</c> against
/// <see cref="BoundedStreamOptions{T}.OnDropped"/>), several parked writes, a parked write beside a waiting writer,
/// leaving a <c>ReadAllAsync</c> early, racing completions and many concurrent writers and readers.
/// </summary>
public sealed class BackpressureChannelTwinGapTests
{

    private static readonly string[] s_variants = ["runtime", "shared", "locked"];

    public static TheoryData<string> Variants => new(s_variants);

    public static TheoryData<Twin, string> AllTwins() => ChannelTwins.All(s_variants);

    public static TheoryData<Twin, string> EvictingTwins() => ChannelTwins.Evicting(s_variants);

    // ---- The drop callback ---------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(EvictingTwins))]
    public async Task Every_evicted_item_reaches_the_drop_callback_once_in_eviction_order(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        Fill(c);

        Assert.True(c.Channel.Writer.TryWrite(3));
        await c.Channel.Writer.WriteAsync(4);
        Assert.True(c.Channel.Writer.TryWrite(5));

        // What was evicted, as it was buffered (DegradeQuality buffered 3 degraded).
        Assert.Equal([1, 2, c.Overflowed(3)], c.Dropped);
        Assert.Equal([c.Overflowed(4), c.Overflowed(5)], Drain(c.Channel.Reader));
        Assert.True(c.Channel.Writer.TryWrite(6)); // room again: nothing is dropped
        Assert.Equal(3, c.Dropped.Count);
    }

    [Theory]
    [MemberData(nameof(EvictingTwins))]
    public async Task A_throwing_drop_callback_reaches_the_writer_after_the_write_happened(Twin twin, string variant)
    {
        var boom = new FormatException("callback failed");
        var c = Open(twin, variant, onDropped: _ => throw boom);
        Fill(c);

        Assert.Same(boom, Assert.Throws<FormatException>(() => c.Channel.Writer.TryWrite(3)));
        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => c.Channel.Writer.WriteAsync(4).AsTask()));

        Assert.Equal([c.Overflowed(3), c.Overflowed(4)], Drain(c.Channel.Reader));
        Assert.True(c.Channel.Writer.TryWrite(5));
        Assert.Equal([5], Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(EvictingTwins))]
    public async Task A_write_handed_to_a_pending_read_drops_nothing(Twin twin, string variant)
    {
        var c = Open(twin, variant, capacity: 1);
        var read = c.Channel.Reader.ReadAsync().AsTask();

        Assert.True(c.Channel.Writer.TryWrite(1));
        Assert.True(c.Channel.Writer.TryWrite(2));

        Assert.Equal(1, await read.WaitAsync(TestLimits.Hang));
        Assert.Empty(c.Dropped);
        Assert.Equal([2], Drain(c.Channel.Reader));
    }

    // ---- Several parked writes ------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Parked_writes_enter_in_call_order_one_per_read(string variant)
    {
        var c = Open(Twin.Wait, variant);
        Fill(c);
        var writes = new[] { 3, 4, 5 }.Select(i => c.Channel.Writer.WriteAsync(i).AsTask()).ToArray();
        Assert.All(writes, w => Assert.False(w.IsCompleted));

        Assert.Equal(1, await c.Channel.Reader.ReadAsync());
        await writes[0].WaitAsync(TestLimits.Hang);
        Assert.False(writes[1].IsCompleted);
        Assert.False(writes[2].IsCompleted);
        Assert.Equal(2, c.Channel.Reader.Count);
        Assert.True(c.Channel.Reader.TryPeek(out var head));
        Assert.Equal(2, head);

        Assert.True(c.Channel.Reader.TryRead(out var second));
        Assert.Equal(2, second);
        await writes[1].WaitAsync(TestLimits.Hang);
        Assert.False(writes[2].IsCompleted);
        Assert.False(c.Channel.Writer.TryWrite(6)); // a write that does not wait does not pass the parked one

        Assert.Equal(3, await c.Channel.Reader.ReadAsync());
        await writes[2].WaitAsync(TestLimits.Hang);
        Assert.Equal([4, 5], Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task A_cancelled_parked_write_between_two_others_is_skipped(string variant)
    {
        var c = Open(Twin.Wait, variant);
        using var cts = new CancellationTokenSource();
        Fill(c);
        var first = c.Channel.Writer.WriteAsync(3).AsTask();
        var cancelled = c.Channel.Writer.WriteAsync(4, cts.Token).AsTask();
        var last = c.Channel.Writer.WriteAsync(5).AsTask();

        await cts.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TestLimits.Hang));
        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.True(c.Channel.Reader.TryRead(out _));
        Assert.True(c.Channel.Reader.TryRead(out _));
        await Task.WhenAll(first, last).WaitAsync(TestLimits.Hang);
        Assert.Equal([3, 5], Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task A_parked_write_takes_the_room_before_a_pending_WaitToWriteAsync(string variant)
    {
        var c = Open(Twin.Wait, variant);
        Fill(c);
        var write = c.Channel.Writer.WriteAsync(3).AsTask();
        var wait = c.Channel.Writer.WaitToWriteAsync().AsTask();

        Assert.True(c.Channel.Reader.TryRead(out _));

        await write.WaitAsync(TestLimits.Hang);
        Assert.False(wait.IsCompleted); // the room went to the parked write: the channel is full again
        Assert.Equal(2, c.Channel.Reader.Count);

        Assert.True(c.Channel.Reader.TryRead(out _));
        Assert.True(await wait.WaitAsync(TestLimits.Hang));
        Assert.True(c.Channel.Writer.TryWrite(4));
        Assert.Equal([3, 4], Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task TryComplete_refuses_every_parked_write_and_keeps_the_buffered_items_readable(string variant)
    {
        var c = Open(Twin.Wait, variant);
        Fill(c);
        var writes = new[] { 3, 4, 5 }.Select(i => c.Channel.Writer.WriteAsync(i).AsTask()).ToArray();

        Assert.True(c.Channel.Writer.TryComplete());

        foreach (var write in writes)
        {
            await Assert.ThrowsAsync<ChannelClosedException>(() => write.WaitAsync(TestLimits.Hang));
        }

        Assert.False(c.Channel.Reader.Completion.IsCompleted);
        Assert.True(await c.Channel.Reader.WaitToReadAsync());
        Assert.Equal([1, 2], Drain(c.Channel.Reader));
        await c.Channel.Reader.Completion.WaitAsync(TestLimits.Hang);
    }

    // ---- Reading --------------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Leaving_ReadAllAsync_early_takes_only_what_it_yielded(Twin twin, string variant)
    {
        var c = Open(twin, variant, capacity: 3);
        Fill(c);

        await foreach (var item in c.Channel.Reader.ReadAllAsync())
        {
            Assert.Equal(1, item);
            break;
        }

        Assert.Equal(2, c.Channel.Reader.Count);
        Assert.False(c.Channel.Reader.Completion.IsCompleted);
        c.Channel.Writer.Complete();
        Assert.Equal([2, 3], await ReadAll(c.Channel.Reader));
        await c.Channel.Reader.Completion.WaitAsync(TestLimits.Hang);
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task WaitToReadAsync_stays_true_after_completion_until_the_last_item_is_read(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        Fill(c);
        Assert.True(c.Channel.Writer.TryComplete(new FormatException("producer failed")));

        Assert.True(await c.Channel.Reader.WaitToReadAsync());
        Assert.True(c.Channel.Reader.TryPeek(out _));
        Assert.True(c.Channel.Reader.TryRead(out _));
        Assert.True(await c.Channel.Reader.WaitToReadAsync());
        Assert.False(c.Channel.Reader.Completion.IsCompleted);
        Assert.Equal(2, await c.Channel.Reader.ReadAsync());

        await Assert.ThrowsAsync<FormatException>(() => c.Channel.Reader.WaitToReadAsync().AsTask());
        await Assert.ThrowsAsync<FormatException>(() => c.Channel.Reader.Completion.WaitAsync(TestLimits.Hang));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task A_token_cancelled_after_an_operation_completed_changes_nothing(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        using var cts = new CancellationTokenSource();
        var write = c.Channel.Writer.WriteAsync(1, cts.Token);
        Assert.True(write.IsCompletedSuccessfully);
        var wait = c.Channel.Reader.WaitToReadAsync(cts.Token);
        Assert.True(wait.IsCompletedSuccessfully);
        var read = c.Channel.Reader.ReadAsync(cts.Token).AsTask();
        var pending = c.Channel.Reader.ReadAsync(cts.Token).AsTask();
        Assert.True(c.Channel.Writer.TryWrite(2));
        Assert.Equal(2, await pending.WaitAsync(TestLimits.Hang));

        await cts.CancelAsync();

        Assert.Equal(1, await read);
        Assert.True(c.Channel.Writer.TryWrite(3));
        Assert.Equal([3], Drain(c.Channel.Reader));
    }

    // ---- Races ----------------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Racing_TryCompletes_succeed_exactly_once_and_Completion_holds_the_winners_error(Twin twin, string variant)
    {
        for (var round = 0; round < 50; round++)
        {
            var c = Open(twin, variant);
            var errors = Enumerable.Range(0, 4).Select(i => (Exception?)(i == 0 ? null : new FormatException($"error {i}"))).ToArray();
            using var start = new Barrier(errors.Length);
            var results = await Task.WhenAll(errors.Select(error => Task.Run(() =>
            {
                start.SignalAndWait(TestLimits.Hang);
                return c.Channel.Writer.TryComplete(error);
            }))).WaitAsync(TestLimits.Hang);

            Assert.Single(results, r => r);
            var winner = errors[Array.IndexOf(results, true)];
            var completion = await Record(c.Channel.Reader.Completion);
            Assert.Same(winner, completion);
        }
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Many_writers_and_readers_move_every_item_exactly_once(Twin twin, string variant)
    {
        const int writers = 4;
        const int readers = 3;
        const int perWriter = 500;
        for (var round = 0; round < 5; round++)
        {
            var c = Open(twin, variant, capacity: 4);
            var read = new ConcurrentBag<int>();
            var readTasks = Enumerable.Range(0, readers).Select(r => Task.Run(async () =>
            {
                if (r == 0)
                {
                    await foreach (var item in c.Channel.Reader.ReadAllAsync())
                    {
                        read.Add(item);
                    }

                    return;
                }

                while (true)
                {
                    try
                    {
                        read.Add(await c.Channel.Reader.ReadAsync());
                    }
                    catch (ChannelClosedException)
                    {
                        return;
                    }
                }
            })).ToArray();
            var writeTasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < perWriter; i++)
                {
                    var item = (w * perWriter) + i + 1;
                    if (i % 2 == 0)
                    {
                        await c.Channel.Writer.WriteAsync(item);
                    }
                    else
                    {
                        while (!c.Channel.Writer.TryWrite(item))
                        {
                            Assert.True(await c.Channel.Writer.WaitToWriteAsync());
                        }
                    }
                }
            })).ToArray();

            await Task.WhenAll(writeTasks).WaitAsync(TestLimits.Hang);
            c.Channel.Writer.Complete();
            await Task.WhenAll(readTasks).WaitAsync(TestLimits.Hang);
            await c.Channel.Reader.Completion.WaitAsync(TestLimits.Hang);

            var seen = read.Select(item => twin == Twin.Degrade ? Math.Abs(item) : item).ToList();
            lock (c.Dropped)
            {
                seen.AddRange(c.Dropped.Select(Math.Abs));
            }

            seen.Sort();
            Assert.Equal(Enumerable.Range(1, writers * perWriter), seen); // every item read or dropped, exactly once
            if (twin == Twin.Wait)
            {
                Assert.Empty(c.Dropped);
            }

            if (BackpressureChannel.BufferOf(c.Channel) is not null)
            {
                var metrics = c.Channel.GetMetrics();
                Assert.True(metrics.IsConserved, metrics.ToString());
                Assert.Equal(writers * perWriter, metrics.ItemsPushed);
                Assert.Equal(read.Count, metrics.ItemsDelivered);
                Assert.Equal(c.Dropped.Count, metrics.ItemsEvicted);
                Assert.Equal(0, metrics.ItemsFailed);
            }
        }
    }

    // ---- Our channel only: the timeout, the degrader -------------------------------------------------------------

    [Theory]
    [InlineData("shared")]
    [InlineData("locked")]
    public async Task A_parked_write_that_times_out_fails_as_an_overflow_and_its_item_never_arrives(string variant)
    {
        var clock = new FakeTimeProvider();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 2)
        {
            PauseTimeout = TimeSpan.FromSeconds(5),
            TimeProvider = clock,
        };
        var channel = variant == "locked" ? BackpressureChannel.Create(options, BufferMode.Locked) : BackpressureChannel.Create(options);
        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(channel.Writer.TryWrite(2));
        var timesOut = channel.Writer.WriteAsync(3).AsTask();
        clock.Advance(TimeSpan.FromSeconds(2));
        var later = channel.Writer.WriteAsync(4).AsTask();
        var wait = channel.Writer.WaitToWriteAsync().AsTask();

        clock.Advance(TimeSpan.FromSeconds(3));

        var overflow = await Assert.ThrowsAsync<StreamOverflowException>(() => timesOut.WaitAsync(TestLimits.Hang));
        Assert.Equal((BackpressurePolicy.PauseUpstream, 2), (overflow.Policy, overflow.Capacity));
        Assert.False(later.IsCompleted);
        Assert.False(wait.IsCompleted);
        Assert.True(channel.Reader.TryRead(out var first));
        Assert.Equal(1, first);
        await later.WaitAsync(TestLimits.Hang);
        Assert.Equal([2, 4], Drain(channel.Reader));
        Assert.True(await wait.WaitAsync(TestLimits.Hang));
        var metrics = channel.GetMetrics();
        Assert.Equal((2L, 1L), (metrics.PauseUpstreamBlocks, metrics.ItemsRejected));
        Assert.True(metrics.IsConserved, metrics.ToString());
    }

    [Theory]
    [InlineData("shared")]
    [InlineData("locked")]
    public async Task A_throwing_degrader_refuses_the_write_and_evicts_nothing(string variant)
    {
        var boom = new FormatException("degrader failed");
        var dropped = new List<int>();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2)
        {
            Degrader = _ => throw boom,
            OnDropped = dropped.Add,
        };
        var channel = variant == "locked" ? BackpressureChannel.Create(options, BufferMode.Locked) : BackpressureChannel.Create(options);
        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(channel.Writer.TryWrite(2));

        Assert.False(channel.Writer.TryWrite(3));
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => channel.Writer.WriteAsync(4).AsTask());
        Assert.Same(boom, failed.InnerException);
        Assert.True(await channel.Writer.WaitToWriteAsync()); // DegradeQuality never waits for room

        Assert.Empty(dropped);
        Assert.Equal([1, 2], Drain(channel.Reader));
        var metrics = channel.GetMetrics();
        Assert.Equal((4L, 2L, 2L), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.ItemsRejected));
    }

    [Theory]
    [InlineData("shared")]
    [InlineData("locked")]
    public async Task DegradeQuality_without_a_degrader_WaitToWriteAsync_waits_for_room_as_Fail_does(string variant)
    {
        // A full DegradeQuality channel with no degrader rejects every write (MissingDegraderException), so "room to
        // write" is room in the buffer, as under Fail. WaitToWriteAsync answered true at once, and the ChannelWriter idiom
        // (while (await WaitToWriteAsync()) if (TryWrite(item)) ...) spun on the CPU until a reader made room.
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2);
        var channel = variant == "locked" ? BackpressureChannel.Create(options, BufferMode.Locked) : BackpressureChannel.Create(options);
        Assert.True(channel.Writer.WaitToWriteAsync().IsCompletedSuccessfully);
        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(channel.Writer.TryWrite(2));
        Assert.False(channel.Writer.TryWrite(3));

        var spins = 0;
        var writing = Task.Run(async () =>
        {
            while (await channel.Writer.WaitToWriteAsync())
            {
                if (channel.Writer.TryWrite(3))
                {
                    return;
                }

                Assert.True(++spins < 100, "WaitToWriteAsync said there was room, and a write was rejected again and again.");
            }
        });
        var wait = channel.Writer.WaitToWriteAsync().AsTask();
        Assert.False(wait.IsCompleted);

        Assert.True(channel.Reader.TryRead(out var first));
        Assert.Equal(1, first);
        Assert.True(await wait.WaitAsync(TestLimits.Hang));
        await writing.WaitAsync(TestLimits.Hang);
        Assert.Equal([2, 3], Drain(channel.Reader));
        Assert.Equal(1, channel.GetMetrics().ItemsRejected);

        var atCompletion = channel.Writer.WaitToWriteAsync();
        Assert.True(atCompletion.IsCompletedSuccessfully); // room again
        channel.Writer.Complete();
        Assert.False(await channel.Writer.WaitToWriteAsync());
    }

    [Theory]
    [InlineData("shared", false)]
    [InlineData("shared", true)]
    [InlineData("locked", false)]
    [InlineData("locked", true)]
    public async Task A_read_of_a_drained_channel_says_there_is_nothing_more_to_read_and_a_write_that_it_is_completed(string variant, bool withError)
    {
        // The read's ChannelClosedException said "it accepts no more items", a writer's reason, to a reader.
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 2) { Name = "orders" };
        var channel = variant == "locked" ? BackpressureChannel.Create(options, BufferMode.Locked) : BackpressureChannel.Create(options);
        var boom = withError ? new FormatException("producer failed") : null;
        var pending = channel.Reader.ReadAsync().AsTask();
        Assert.True(channel.Writer.TryComplete(boom));

        foreach (var read in new[] { pending, channel.Reader.ReadAsync().AsTask() })
        {
            var closed = await Assert.ThrowsAsync<ChannelClosedException>(() => read.WaitAsync(TestLimits.Hang));
            Assert.Same(boom, closed.InnerException);
            Assert.Contains("'orders'", closed.Message, StringComparison.Ordinal);
            Assert.Contains("nothing more to read", closed.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("accepts no more items", closed.Message, StringComparison.Ordinal);
        }

        var refused = await Assert.ThrowsAsync<ChannelClosedException>(() => channel.Writer.WriteAsync(1).AsTask());
        Assert.Same(boom, refused.InnerException);
        Assert.Contains("accepts no more items", refused.Message, StringComparison.Ordinal);
        var stream = new BoundedStream<int>(options);
        stream.Complete(boom);
        var streamRead = await Assert.ThrowsAsync<StreamClosedException>(() => stream.ReadAsync().AsTask());
        Assert.Equal("orders", streamRead.StreamName);
        Assert.Contains("nothing more to read", streamRead.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_is_rejected_naming_what_was_wrong()
    {
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => BackpressureChannel.Create<int>(BackpressurePolicy.DropOldest, 0)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, -1)).ParamName);
        Assert.Equal("policy", Assert.Throws<ArgumentOutOfRangeException>(() => BackpressureChannel.Create<int>((BackpressurePolicy)42, 1)).ParamName);
        Assert.Equal("PauseTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.FromSeconds(-1) }).ParamName);
        Assert.Equal("channel", Assert.Throws<ArgumentNullException>(() => BackpressureChannel.GetMetrics<int>(null!)).ParamName);
    }

    // ---- Support --------------------------------------------------------------------------------------------------

    private sealed record TwinChannel(Channel<int> Channel, int Capacity, Func<int, int> Overflowed, List<int> Dropped);

    private static TwinChannel Open(Twin twin, string variant, int capacity = 2, Action<int>? onDropped = null)
    {
        var dropped = new List<int>();
        onDropped ??= item =>
        {
            lock (dropped)
            {
                dropped.Add(item);
            }
        };
        if (variant == "runtime")
        {
            var mode = twin == Twin.Wait ? BoundedChannelFullMode.Wait : BoundedChannelFullMode.DropOldest;
            var runtime = Channel.CreateBounded(new BoundedChannelOptions(capacity) { FullMode = mode }, onDropped);
            return new TwinChannel(runtime, capacity, static x => x, dropped);
        }

        var policy = twin switch
        {
            Twin.Wait => BackpressurePolicy.PauseUpstream,
            Twin.DropOldest => BackpressurePolicy.DropOldest,
            _ => BackpressurePolicy.DegradeQuality,
        };
        var options = new BoundedStreamOptions<int>(policy, capacity) { Degrader = static x => -x, OnDropped = onDropped };
        var ours = variant == "locked" ? BackpressureChannel.Create(options, BufferMode.Locked) : BackpressureChannel.Create(options);
        return new TwinChannel(ours, capacity, twin == Twin.Degrade ? static x => -x : static x => x, dropped);
    }

    private static void Fill(TwinChannel c) => ChannelTwins.Fill(c.Channel, c.Capacity);

    private static List<int> Drain(ChannelReader<int> reader) => ChannelTwins.Drain(reader);

    private static Task<List<int>> ReadAll(ChannelReader<int> reader) => ChannelTwins.ReadAll(reader);

    /// <summary>The exception a task ends with (null on success), once it ended.</summary>
    private static async Task<Exception?> Record(Task task)
    {
        try
        {
            await task.WaitAsync(TestLimits.Hang);
            return null;
        }
        catch (Exception error) when (error is not TimeoutException)
        {
            return error;
        }
    }
}
