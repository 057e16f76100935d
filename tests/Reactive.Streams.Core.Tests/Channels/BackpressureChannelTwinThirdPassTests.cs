using System.Threading.Channels;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;
using Twin = Reactive.Streams.Tests.Channels.ChannelTwin;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// Channel twin cases the earlier suites do not hold, each run against <c>Channel.CreateBounded</c> (the "runtime"
/// variant) and against <see cref="BackpressureChannel"/> in the shared mode (the default), the shared mode on the
/// options <c>SingleReader</c>/<c>SingleWriter</c> ("single") and the locked mode: a drop callback that writes back
/// into, reads from or completes its own channel, many parked writes let in one per read with cancelled ones among
/// them, a <c>ReadAllAsync</c> whose token is cancelled while items are still buffered, and a completion racing the
/// last item of a <c>ReadAllAsync</c>.
/// </summary>
public sealed class BackpressureChannelTwinThirdPassTests
{
    private static readonly string[] s_variants = ["runtime", "shared", "single", "locked"];

    public static TheoryData<string> Variants => new(s_variants);

    public static TheoryData<Twin, string> AllTwins() => ChannelTwins.All(s_variants);

    public static TheoryData<Twin, string> EvictingTwins() => ChannelTwins.Evicting(s_variants);

    // ---- A drop callback that uses its own channel -----------------------------------------------------------------

    [Theory]
    [MemberData(nameof(EvictingTwins))]
    public async Task A_drop_callback_that_writes_back_into_its_channel_evicts_again_as_the_twin_does(Twin twin, string variant)
    {
        Channel<int>? channel = null;
        var dropped = new List<int>();
        var c = Open(twin, variant, onDropped: item =>
        {
            dropped.Add(item);
            if (item is 1 or 3)
            {
                // The callback runs outside the channel's lock in both: its write is a write like any other.
                Assert.True(channel!.Writer.TryWrite(100 + item));
            }
        });
        channel = c.Channel;
        Fill(c);

        Assert.True(channel.Writer.TryWrite(3));     // evicts 1; the callback's write of 101 evicts 2
        Assert.Equal([1, 2], dropped);
        Assert.Equal(2, channel.Reader.Count);
        await channel.Writer.WriteAsync(4);
        Assert.True(channel.Writer.TryWrite(5));

        // DropOldest: 4 evicts 3, whose callback writes 103 and evicts 101; 5 evicts 4. DegradeQuality buffered 3 as -3,
        // so its eviction writes nothing back.
        var degrades = c.Overflowed(1) != 1;
        List<int> expectedDropped = degrades ? [1, 2, -3, -101] : [1, 2, 3, 101, 4];
        List<int> expectedLeft = degrades ? [-4, -5] : [103, 5];
        Assert.Equal(expectedDropped, dropped);
        Assert.Equal(expectedLeft, ChannelTwins.Drain(channel.Reader));
        if (variant != "runtime")
        {
            // Two writes to fill, three of the test's and the callback's (two, or one when 3 was degraded): all but the
            // two read were evicted.
            var metrics = channel.GetMetrics();
            var pushed = degrades ? 6L : 7L;
            Assert.Equal((pushed, 2L, pushed - 2, 0), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.ItemsEvicted, metrics.Depth));
            Assert.True(metrics.IsConserved, metrics.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(EvictingTwins))]
    public void A_drop_callback_that_reads_its_channel_takes_the_oldest_item_left(Twin twin, string variant)
    {
        Channel<int>? channel = null;
        var readInCallback = new List<int>();
        var c = Open(twin, variant, onDropped: _ =>
        {
            Assert.True(channel!.Reader.TryPeek(out var peeked));
            Assert.True(channel.Reader.TryRead(out var read));
            Assert.Equal(peeked, read);
            readInCallback.Add(read);
        });
        channel = c.Channel;
        Fill(c);

        Assert.True(channel.Writer.TryWrite(3));

        Assert.Equal([2], readInCallback);
        Assert.Equal(1, channel.Reader.Count);
        Assert.True(channel.Writer.TryWrite(4)); // room again: no eviction, no callback
        Assert.Equal([2], readInCallback);
        Assert.Equal([c.Overflowed(3), 4], ChannelTwins.Drain(channel.Reader));
    }

    [Theory]
    [MemberData(nameof(EvictingTwins))]
    public async Task A_drop_callback_that_completes_its_channel_keeps_the_write_and_the_reads_drain_it(Twin twin, string variant)
    {
        Channel<int>? channel = null;
        var boom = new InvalidDataException("completed from the drop callback");
        var c = Open(twin, variant, onDropped: _ => Assert.True(channel!.Writer.TryComplete(boom)));
        channel = c.Channel;
        Fill(c);

        Assert.True(channel.Writer.TryWrite(3)); // the write happened before the callback completed the channel
        Assert.False(channel.Writer.TryWrite(4));
        Assert.Same(boom, await Assert.ThrowsAsync<InvalidDataException>(() => channel.Writer.WaitToWriteAsync().AsTask()));
        Assert.False(channel.Reader.Completion.IsCompleted);

        var items = new List<int>();
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var item in channel.Reader.ReadAllAsync())
            {
                items.Add(item);
            }
        });
        Assert.Same(boom, error);
        Assert.Equal([2, c.Overflowed(3)], items);
        Assert.True(channel.Reader.Completion.IsFaulted);
        Assert.Same(boom, channel.Reader.Completion.Exception!.InnerException);
    }

    [Theory]
    [MemberData(nameof(EvictingTwins))]
    public void A_throwing_drop_callback_reaches_a_WriteAsync_caller_the_way_it_reaches_the_runtime_channels(Twin twin, string variant)
    {
        // Whether the callback's exception leaves WriteAsync itself or a faulted task is part of the contract: code
        // that calls WriteAsync without awaiting it (fire and forget, or checking IsCompletedSuccessfully) sees the
        // difference. The runtime channel is the oracle.
        Assert.Equal(ThrowingCallbackShape(Twin.DropOldest, "runtime"), ThrowingCallbackShape(twin, variant));
    }

    private static string ThrowingCallbackShape(Twin twin, string variant)
    {
        var c = Open(twin, variant, onDropped: _ => throw new FormatException("callback failed"));
        Fill(c);
        string shape;
        try
        {
            var write = c.Channel.Writer.WriteAsync(3);
            shape = write.IsFaulted ? "faulted " + write.AsTask().Exception!.InnerException!.GetType().Name : write.IsCompletedSuccessfully ? "succeeded" : "pending";
        }
        catch (FormatException)
        {
            shape = "threw";
        }

        return $"{shape}; left {string.Join(",", ChannelTwins.Drain(c.Channel.Reader).Select(x => x == c.Overflowed(3) ? 3 : x))}";
    }

    // ---- Many parked writes ---------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Many_parked_writes_enter_one_per_read_in_call_order_and_cancelled_ones_leave_no_gap(string variant)
    {
        const int capacity = 3;
        var c = Open(Twin.Wait, variant, capacity);
        Fill(c);
        var sources = Enumerable.Range(0, 10).Select(_ => new CancellationTokenSource()).ToArray();
        try
        {
            var writes = sources.Select((cts, i) => c.Channel.Writer.WriteAsync(10 + i, cts.Token).AsTask()).ToArray();
            Assert.All(writes, w => Assert.False(w.IsCompleted));
            Assert.Equal(capacity, c.Channel.Reader.Count);

            // The first, a middle and the last parked write are cancelled; the others keep their places.
            int[] cancelled = [0, 4, 9];
            foreach (var i in cancelled)
            {
                await sources[i].CancelAsync();
                var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writes[i].WaitAsync(TestLimits.Hang));
                Assert.Equal(sources[i].Token, error.CancellationToken);
            }

            Assert.Equal(capacity, c.Channel.Reader.Count);
            var admitted = Enumerable.Range(0, 10).Except(cancelled).ToArray();

            // Every read lets the oldest parked write in, before it returns: the count stays at the capacity while
            // parked writes remain, and a write that does not wait never passes them.
            var read = new List<int>();
            for (var n = 0; n < admitted.Length; n++)
            {
                Assert.True(c.Channel.Reader.TryRead(out var item));
                read.Add(item);
                Assert.Equal(capacity, c.Channel.Reader.Count);
                await writes[admitted[n]].WaitAsync(TestLimits.Hang);
                foreach (var later in admitted.Skip(n + 1))
                {
                    Assert.False(writes[later].IsCompleted);
                }

                if (n < admitted.Length - 1)
                {
                    Assert.False(c.Channel.Writer.TryWrite(99));
                }
            }

            read.AddRange(ChannelTwins.Drain(c.Channel.Reader));
            Assert.Equal([1, 2, 3, .. admitted.Select(i => 10 + i)], read);
            Assert.Equal(0, c.Channel.Reader.Count);
            Assert.False(c.Channel.Reader.TryPeek(out _));

            if (variant != "runtime")
            {
                // Each parked write counted one pause; a cancelled one is a decided push, rejected.
                var metrics = c.Channel.GetMetrics();
                Assert.Equal(capacity + writes.Length, metrics.ItemsPushed);
                Assert.Equal(capacity + admitted.Length, metrics.ItemsDelivered);
                Assert.Equal(writes.Length, metrics.PauseUpstreamBlocks);
                Assert.Equal(cancelled.Length, metrics.ItemsRejected);
                Assert.Equal(0, metrics.Depth);
                Assert.True(metrics.IsConserved);
            }
        }
        finally
        {
            foreach (var cts in sources)
            {
                cts.Dispose();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Parked_writes_cancelled_around_a_pending_read_still_enter_in_order(string variant)
    {
        // Capacity 1, so every read lets exactly one parked write in; the reads are ReadAsyncs, the writes cancelled
        // between them alternate with those kept.
        var c = Open(Twin.Wait, variant, capacity: 1);
        Fill(c);
        using var odd = new CancellationTokenSource();
        var writes = Enumerable.Range(2, 6).Select(i => (Item: i, Task: c.Channel.Writer.WriteAsync(i, i % 2 == 1 ? odd.Token : default).AsTask())).ToArray();
        await odd.CancelAsync();
        foreach (var (_, task) in writes.Where(w => w.Item % 2 == 1))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TestLimits.Hang));
        }

        var read = new List<int>();
        for (var n = 0; n < 4; n++)
        {
            read.Add(await c.Channel.Reader.ReadAsync().AsTask().WaitAsync(TestLimits.Hang));
        }

        Assert.Equal([1, 2, 4, 6], read);
        await Task.WhenAll(writes.Where(w => w.Item % 2 == 0).Select(w => w.Task)).WaitAsync(TestLimits.Hang);
        Assert.False(c.Channel.Reader.TryRead(out _));
        Assert.Equal(0, c.Channel.Reader.Count);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task A_parked_write_cancelled_in_front_of_a_pending_WaitToWriteAsync_makes_no_room_for_it(string variant)
    {
        var c = Open(Twin.Wait, variant, capacity: 1);
        Fill(c);
        using var cts = new CancellationTokenSource();
        var cancelled = c.Channel.Writer.WriteAsync(2, cts.Token).AsTask();
        var kept = c.Channel.Writer.WriteAsync(3).AsTask();
        var wait = c.Channel.Writer.WaitToWriteAsync().AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TestLimits.Hang));
        Assert.False(wait.IsCompleted);   // the buffer is as full as it was
        Assert.False(kept.IsCompleted);

        Assert.True(c.Channel.Reader.TryRead(out var first));
        Assert.Equal(1, first);
        await kept.WaitAsync(TestLimits.Hang);
        Assert.False(wait.IsCompleted);   // the parked write took the room
        Assert.Equal(1, c.Channel.Reader.Count);

        Assert.Equal(3, await c.Channel.Reader.ReadAsync());
        Assert.True(await wait.WaitAsync(TestLimits.Hang));
        Assert.True(c.Channel.Writer.TryWrite(4));
        Assert.Equal([4], ChannelTwins.Drain(c.Channel.Reader));
    }

    // ---- ReadAllAsync -------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task ReadAllAsync_whose_token_is_cancelled_mid_enumeration_yields_what_is_buffered_then_throws_and_leaves_later_items(Twin twin, string variant)
    {
        // The platform's ReadAllAsync looks at its token only when it waits: what is buffered when the token is
        // cancelled is still yielded, and the enumeration ends with the cancellation at its next wait.
        var c = Open(twin, variant, capacity: 4);
        Fill(c);
        using var cts = new CancellationTokenSource();
        var items = new List<int>();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in c.Channel.Reader.ReadAllAsync(cts.Token))
            {
                items.Add(item);
                if (item == 2)
                {
                    await cts.CancelAsync();
                }
            }
        });

        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.Equal([1, 2, 3, 4], items);
        Assert.True(c.Channel.Writer.TryWrite(5));
        Assert.Equal([5], ChannelTwins.Drain(c.Channel.Reader));
        Assert.False(c.Channel.Reader.Completion.IsCompleted);
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task ReadAllAsync_with_WithCancellation_cancelled_mid_enumeration_ends_as_with_the_argument(Twin twin, string variant)
    {
        var c = Open(twin, variant, capacity: 2);
        using var cts = new CancellationTokenSource();
        var items = new List<int>();
        var gotTwo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            await foreach (var item in c.Channel.Reader.ReadAllAsync().WithCancellation(cts.Token))
            {
                items.Add(item);
                if (items.Count == 2)
                {
                    gotTwo.SetResult();
                }
            }
        });

        await c.Channel.Writer.WriteAsync(1);
        await c.Channel.Writer.WriteAsync(2);
        await gotTwo.Task.WaitAsync(TestLimits.Hang);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(TestLimits.Hang));
        Assert.Equal([1, 2], items);

        // The cancelled enumeration left no waiter behind: the next write is there for the next reader.
        Assert.True(c.Channel.Writer.TryWrite(3));
        Assert.Equal(1, c.Channel.Reader.Count);
        Assert.Equal(3, await c.Channel.Reader.ReadAsync().AsTask().WaitAsync(TestLimits.Hang));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task A_completion_racing_the_last_item_never_loses_it_from_ReadAllAsync(Twin twin, string variant)
    {
        for (var round = 0; round < 200; round++)
        {
            var c = Open(twin, variant, capacity: 1);
            var reading = Task.Run(() => ChannelTwins.ReadAll(c.Channel.Reader));
            var writing = Task.Run(async () =>
            {
                await c.Channel.Writer.WriteAsync(round);
                c.Channel.Writer.Complete();
            });

            await writing.WaitAsync(TestLimits.Hang);
            var items = await reading.WaitAsync(TestLimits.Hang);

            Assert.Equal([round], items);
            Assert.True(c.Channel.Reader.Completion.IsCompletedSuccessfully);
            Assert.False(await c.Channel.Reader.WaitToReadAsync());
        }
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Two_ReadAllAsync_enumerations_of_one_reader_share_the_items_each_once_each_in_order(Twin twin, string variant)
    {
        var c = Open(twin, variant, capacity: 2);
        var firstItems = new List<int>();
        var secondItems = new List<int>();
        var first = Task.Run(async () =>
        {
            await foreach (var item in c.Channel.Reader.ReadAllAsync())
            {
                firstItems.Add(item);
            }
        });
        var second = Task.Run(async () =>
        {
            await foreach (var item in c.Channel.Reader.ReadAllAsync())
            {
                secondItems.Add(item);
            }
        });

        // Written with WriteAsync, which waits under Wait and evicts otherwise; only the Wait twin can be sure to
        // deliver them all.
        for (var i = 1; i <= 500; i++)
        {
            await c.Channel.Writer.WriteAsync(i);
        }

        c.Channel.Writer.Complete();
        await Task.WhenAll(first, second).WaitAsync(TestLimits.Hang);

        Assert.Equal(firstItems.Select(Math.Abs).Order(), firstItems.Select(Math.Abs));
        Assert.Equal(secondItems.Select(Math.Abs).Order(), secondItems.Select(Math.Abs));
        var all = firstItems.Concat(secondItems).Select(Math.Abs).Order().ToList();
        Assert.Equal(all.Distinct(), all);
        if (twin == Twin.Wait)
        {
            Assert.Equal(Enumerable.Range(1, 500), all);
        }

        Assert.Contains(500, all.Select(Math.Abs)); // the last write is never evicted: nothing comes after it
        Assert.True(c.Channel.Reader.Completion.IsCompletedSuccessfully);
    }

    // ---- WaitToRead/WaitToWrite obtained before and awaited after completion ---------------------------------------

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task A_pending_WaitToReadAsync_awaited_after_a_write_and_the_completion_is_true_and_the_next_is_false(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        var wait = c.Channel.Reader.WaitToReadAsync();
        Assert.False(wait.IsCompleted);

        Assert.True(c.Channel.Writer.TryWrite(1));
        Assert.True(c.Channel.Writer.TryComplete());

        Assert.True(await wait.AsTask().WaitAsync(TestLimits.Hang));
        Assert.True(c.Channel.Reader.TryPeek(out var peeked));
        Assert.Equal(1, peeked);
        Assert.Equal(1, c.Channel.Reader.Count);
        Assert.False(c.Channel.Reader.Completion.IsCompleted);
        Assert.True(c.Channel.Reader.TryRead(out var item));
        Assert.Equal(1, item);
        Assert.True(c.Channel.Reader.Completion.IsCompletedSuccessfully);
        Assert.Equal(0, c.Channel.Reader.Count);
        Assert.False(c.Channel.Reader.TryPeek(out _));
        Assert.False(await c.Channel.Reader.WaitToReadAsync());
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task A_pending_WaitToWriteAsync_awaited_after_a_read_and_the_completion_is_true_then_false(string variant)
    {
        var c = Open(Twin.Wait, variant);
        Fill(c);
        var wait = c.Channel.Writer.WaitToWriteAsync();
        Assert.False(wait.IsCompleted);

        Assert.True(c.Channel.Reader.TryRead(out _));
        Assert.True(c.Channel.Writer.TryComplete());

        // The room was there before the completion: the wait already knew it.
        Assert.True(await wait.AsTask().WaitAsync(TestLimits.Hang));
        Assert.False(c.Channel.Writer.TryWrite(3));
        Assert.False(await c.Channel.Writer.WaitToWriteAsync());
        Assert.Equal([2], ChannelTwins.Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(EvictingTwins))]
    public async Task Evicting_writes_racing_a_completion_and_a_reader_account_for_every_accepted_item_once(Twin twin, string variant)
    {
        for (var round = 0; round < 20; round++)
        {
            var dropped = new List<int>();
            var c = Open(twin, variant, capacity: 3, onDropped: item =>
            {
                lock (dropped)
                {
                    dropped.Add(item);
                }
            });
            var accepted = new List<int>();
            var read = new List<int>();
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var writing = Task.Run(() =>
            {
                for (var i = 1; i <= 2000; i++)
                {
                    if (c.Channel.Writer.TryWrite(i))
                    {
                        accepted.Add(i);
                    }

                    if (i == 100)
                    {
                        started.SetResult();
                    }
                }
            });
            var reading = Task.Run(async () =>
            {
                await foreach (var item in c.Channel.Reader.ReadAllAsync())
                {
                    read.Add(item);
                }
            });

            await started.Task.WaitAsync(TestLimits.Hang);
            Assert.True(c.Channel.Writer.TryComplete());
            await writing.WaitAsync(TestLimits.Hang);
            await reading.WaitAsync(TestLimits.Hang);

            // Every accepted write was read or evicted (as buffered: degraded or not), exactly once, each in order.
            var seen = read.Concat(dropped).Select(x => Math.Abs(x)).Order().ToList();
            Assert.Equal(accepted, seen);
            Assert.Equal(read.Select(Math.Abs).Order(), read.Select(Math.Abs));
            Assert.True(c.Channel.Reader.Completion.IsCompletedSuccessfully);
            Assert.False(c.Channel.Writer.TryWrite(0));
        }
    }

    // ---- Unusual completion errors ---------------------------------------------------------------------------------

    public static TheoryData<string, string> VariantsByError()
    {
        var data = new TheoryData<string, string>();
        foreach (var variant in s_variants)
        {
            foreach (var error in new[] { "aggregate", "task-canceled", "nested-closed" })
            {
                data.Add(variant, error);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(VariantsByError))]
    public async Task TryComplete_with_an_unusual_error_ends_parked_readers_parked_writers_and_later_calls_as_the_twin(string variant, string errorKind)
    {
        // Every outcome, recorded by shape (status, type, whether it is the error or wraps it), must be the runtime's.
        var expected = await Transcript("runtime", errorKind);
        var actual = await Transcript(variant, errorKind);
        Assert.Equal(expected, actual);
    }

    private static async Task<List<string>> Transcript(string variant, string errorKind)
    {
        Exception error = errorKind switch
        {
            "aggregate" => new AggregateException(new InvalidOperationException("a"), new FormatException("b")),
            "task-canceled" => new TaskCanceledException("no token"),
            _ => new ChannelClosedException("closed already", new IOException("inner")),
        };
        var lines = new List<string>();

        // An empty channel with a pending ReadAsync and WaitToReadAsync; a full one with a pending WriteAsync and
        // WaitToWriteAsync; one holding an item (completion waits for it).
        var empty = Open(Twin.Wait, variant, capacity: 1);
        var full = Open(Twin.Wait, variant, capacity: 1);
        var holding = Open(Twin.DropOldest, variant, capacity: 1);
        Fill(full);
        Fill(holding);
        var read = empty.Channel.Reader.ReadAsync().AsTask();
        var waitToRead = empty.Channel.Reader.WaitToReadAsync().AsTask();
        var write = full.Channel.Writer.WriteAsync(2).AsTask();
        var waitToWrite = full.Channel.Writer.WaitToWriteAsync().AsTask();

        foreach (var c in new[] { empty, full, holding })
        {
            Assert.True(c.Channel.Writer.TryComplete(error));
        }

        lines.Add("pending ReadAsync: " + await Outcome(read, error));
        lines.Add("pending WaitToReadAsync: " + await Outcome(waitToRead, error));
        lines.Add("pending WriteAsync: " + await Outcome(write, error));
        lines.Add("pending WaitToWriteAsync: " + await Outcome(waitToWrite, error));
        lines.Add("empty Completion: " + await Outcome(empty.Channel.Reader.Completion, error));
        lines.Add("full Completion before the read: " + full.Channel.Reader.Completion.Status);
        lines.Add("WriteAsync after: " + await Outcome(empty.Channel.Writer.WriteAsync(3).AsTask(), error));
        lines.Add("WaitToWriteAsync after: " + await Outcome(empty.Channel.Writer.WaitToWriteAsync().AsTask(), error));
        lines.Add("ReadAsync after: " + await Outcome(empty.Channel.Reader.ReadAsync().AsTask(), error));
        lines.Add("WaitToReadAsync after: " + await Outcome(empty.Channel.Reader.WaitToReadAsync().AsTask(), error));
        lines.Add("holding WaitToReadAsync: " + await Outcome(holding.Channel.Reader.WaitToReadAsync().AsTask(), error));
        lines.Add("holding ReadAsync: " + await Outcome(holding.Channel.Reader.ReadAsync().AsTask(), error));
        lines.Add("holding Completion: " + await Outcome(holding.Channel.Reader.Completion, error));
        lines.Add("full items: " + string.Join(",", ChannelTwins.Drain(full.Channel.Reader)));
        lines.Add("full Completion: " + await Outcome(full.Channel.Reader.Completion, error));

        var items = new List<int>();
        var enumeration = Task.Run(async () =>
        {
            await foreach (var item in full.Channel.Reader.ReadAllAsync())
            {
                items.Add(item);
            }
        });
        lines.Add("ReadAllAsync: " + await Outcome(enumeration, error) + " after " + items.Count);
        return lines;
    }

    private static async Task<string> Outcome(Task task, Exception error)
    {
        try
        {
            await task.WaitAsync(TestLimits.Hang);
            return task switch
            {
                Task<bool> b => $"{task.Status} {b.Result}",
                Task<int> i => $"{task.Status} {i.Result}",
                _ => $"{task.Status}",
            };
        }
        catch (Exception thrown) when (thrown is not TimeoutException)
        {
            var shape = $"{task.Status} {thrown.GetType().Name} same={ReferenceEquals(thrown, error)} wraps={ReferenceEquals(thrown.InnerException, error)}";
            if (task.IsFaulted)
            {
                shape += $" faults={task.Exception!.InnerExceptions.Count} first-same={ReferenceEquals(task.Exception.InnerException, error)}";
            }

            return shape;
        }
    }

    // ---- A pending ReadAsync beside a pending WaitToReadAsync -------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task A_write_handed_to_a_pending_ReadAsync_leaves_a_pending_WaitToReadAsync_waiting_for_the_next(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        var wait = c.Channel.Reader.WaitToReadAsync().AsTask();
        var read = c.Channel.Reader.ReadAsync().AsTask();

        Assert.True(c.Channel.Writer.TryWrite(1));

        Assert.Equal(1, await read.WaitAsync(TestLimits.Hang));
        Assert.False(wait.IsCompleted);
        Assert.Equal(0, c.Channel.Reader.Count);
        Assert.False(c.Channel.Reader.TryPeek(out _));

        Assert.True(c.Channel.Writer.TryWrite(2));
        Assert.True(await wait.WaitAsync(TestLimits.Hang));
        Assert.Equal(1, c.Channel.Reader.Count);
        Assert.Equal([2], ChannelTwins.Drain(c.Channel.Reader));
    }

    // ---- LINQ over ReadAllAsync -------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Linq_over_ReadAllAsync_takes_what_it_asks_for_and_leaves_the_rest(Twin twin, string variant)
    {
        var c = Open(twin, variant, capacity: 4);
        Fill(c);

        Assert.Equal(2, await c.Channel.Reader.ReadAllAsync().FirstAsync(x => x % 2 == 0));
        Assert.Equal([3, 4], ChannelTwins.Drain(c.Channel.Reader).ToList());

        Fill(c);
        Assert.True(c.Channel.Writer.TryComplete());
        Assert.Equal([2, 4], await c.Channel.Reader.ReadAllAsync().Where(x => x % 2 == 0).ToListAsync());
        Assert.True(c.Channel.Reader.Completion.IsCompletedSuccessfully);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await c.Channel.Reader.ReadAllAsync().FirstAsync());
    }

    // ---- Support --------------------------------------------------------------------------------------------------

    private sealed record TwinChannel(Channel<int> Channel, int Capacity, Func<int, int> Overflowed);

    private static TwinChannel Open(Twin twin, string variant, int capacity = 2, Action<int>? onDropped = null)
    {
        if (variant == "runtime")
        {
            var mode = twin == Twin.Wait ? BoundedChannelFullMode.Wait : BoundedChannelFullMode.DropOldest;
            var runtime = Channel.CreateBounded(new BoundedChannelOptions(capacity) { FullMode = mode }, onDropped);
            return new TwinChannel(runtime, capacity, static x => x);
        }

        var policy = twin switch
        {
            Twin.Wait => BackpressurePolicy.PauseUpstream,
            Twin.DropOldest => BackpressurePolicy.DropOldest,
            _ => BackpressurePolicy.DegradeQuality,
        };
        var options = new BoundedStreamOptions<int>(policy, capacity)
        {
            Degrader = static x => -x,
            OnDropped = onDropped,
            SingleReader = variant == "single",
            SingleWriter = variant == "single",
        };
        var ours = variant == "locked" ? BackpressureChannel.Create(options, BufferMode.Locked) : BackpressureChannel.Create(options);
        return new TwinChannel(ours, capacity, twin == Twin.Degrade ? static x => -x : static x => x);
    }

    private static void Fill(TwinChannel c) => ChannelTwins.Fill(c.Channel, c.Capacity);
}
