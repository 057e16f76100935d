using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// Second audit of the engine through <see cref="BoundedStream{T}"/> in every mode: callbacks that re-enter the
/// stream, degraders that return null or their input, OnDropped throwing on the awaiting paths, and waits cancelled or
/// timed out at the moment room appears (the item enters exactly once or not at all, and the counters say which).
/// </summary>
public sealed class EngineAuditTests
{
    private static readonly TimeSpan Hang = Reactive.Streams.Tests.Support.TestLimits.Hang;

    public static TheoryData<string> AllModes => EngineModes.All;

    private static BoundedStream<T> Open<T>(string mode, BoundedStreamOptions<T> options) => EngineModes.Open(mode, options);

    private static List<T> Drain<T>(BoundedStream<T> stream) => EngineModes.Drain(stream);

    [Theory]
    [MemberData(nameof(AllModes))]
    public void An_OnDropped_that_pushes_into_its_own_stream_does_not_deadlock_and_is_counted(string mode)
    {
        BoundedStream<int>? s = null;
        var dropped = new List<int>();
        s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2)
        {
            OnDropped = x =>
            {
                dropped.Add(x);
                if (x < 100)
                {
                    s!.TryPush(x + 100);
                }
            },
        });
        s.TryPush(1);
        s.TryPush(2);

        // 3 evicts 1, whose callback pushes 101 (evicting 2, which pushes 102, evicting 3, which pushes 103, evicting
        // 101, which pushes nothing): each nested push runs after the outer one released the lock, in order.
        s.TryPush(3);
        Assert.Equal([1, 2, 3, 101], dropped);
        Assert.Equal([102, 103], Drain(s));
        Assert.Equal(new StreamMetricsSnapshot(6, 2, 4, 0, 0, 0, 0, 0), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task An_OnDropped_that_throws_reaches_an_awaiting_pusher_after_the_push_happened(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 1) { OnDropped = _ => throw new FormatException("boom") });
        await s.PushAsync(1);
        await Assert.ThrowsAsync<FormatException>(async () => await s.PushAsync(2));
        Assert.Throws<FormatException>(() => s.Push(3));
        Assert.Equal([3], Drain(s));
        Assert.Equal(new StreamMetricsSnapshot(3, 1, 2, 0, 0, 0, 0, 0), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_DegradeQuality_OnDropped_that_throws_reaches_every_pusher_after_the_push_happened(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 1) { Degrader = x => -x, OnDropped = _ => throw new FormatException("boom") });
        s.TryPush(1);
        Assert.Throws<FormatException>(() => s.TryPush(2));
        await Assert.ThrowsAsync<FormatException>(async () => await s.PushAsync(3));
        Assert.Throws<FormatException>(() => s.Push(4));
        Assert.Equal([-4], Drain(s));
        Assert.Equal(new StreamMetricsSnapshot(4, 1, 0, 3, 0, 0, 0, 0), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_degrader_may_return_null_or_its_input(string mode)
    {
        var nulls = Open(mode, new BoundedStreamOptions<string?>(BackpressurePolicy.DegradeQuality, 1) { Degrader = _ => null });
        nulls.TryPush("a");
        Assert.True(nulls.TryPush("b").IsAccepted);
        await nulls.PushAsync("c");
        Assert.Equal([null], Drain(nulls));
        Assert.Equal(new StreamMetricsSnapshot(3, 1, 0, 2, 0, 0, 0, 0), nulls.GetMetrics());

        var same = Open(mode, new BoundedStreamOptions<object>(BackpressurePolicy.DegradeQuality, 1) { Degrader = x => x });
        var o1 = new object();
        var o2 = new object();
        same.TryPush(o1);
        same.TryPush(o2);
        Assert.Same(o2, Assert.Single(Drain(same)));
        Assert.Equal(new StreamMetricsSnapshot(2, 1, 0, 1, 0, 0, 0, 0), same.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_degrader_that_pushes_into_its_own_stream_is_counted(string mode)
    {
        BoundedStream<int>? s = null;
        var reentered = false;
        s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2)
        {
            Degrader = x =>
            {
                if (!reentered)
                {
                    reentered = true;
                    s!.TryPush(50);
                }

                return -x;
            },
        });
        s.TryPush(1);
        s.TryPush(2);
        await s.PushAsync(3);
        var m = s.GetMetrics();
        Assert.True(m.IsConserved, m.ToString());
        Assert.Equal(2, m.Depth);
        Assert.Equal(4, m.ItemsPushed);
        Assert.Equal(2, m.DegradeQualityHits);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_wait_cancelled_as_room_appears_enters_once_or_not_at_all(string mode)
    {
        for (var i = 0; i < 300; i++)
        {
            var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));
            await s.PushAsync(1);
            using var cts = new CancellationTokenSource();
            var w = s.PushAsync(2, cts.Token).AsTask();
            using var go = new Barrier(2);
            var reader = Task.Run(() =>
            {
                go.SignalAndWait();
                return s.TryRead(out var x) ? x : -1;
            });
            go.SignalAndWait();
            cts.Cancel();
            Assert.Equal(1, await reader.WaitAsync(Hang));
            var entered = true;
            try
            {
                await w.WaitAsync(Hang);
            }
            catch (OperationCanceledException)
            {
                entered = false;
            }

            var items = Drain(s);
            var m = s.GetMetrics();
            Assert.True(m.IsConserved, m.ToString());
            Assert.Equal(entered ? [2] : [], items);
            Assert.Equal(entered ? new StreamMetricsSnapshot(2, 2, 0, 0, 1, 0, 0, 0) : new StreamMetricsSnapshot(2, 1, 0, 0, 1, 0, 1, 0), m);
        }
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_wait_timing_out_as_room_appears_enters_once_or_not_at_all(string mode)
    {
        for (var i = 0; i < 300; i++)
        {
            var time = new FakeTimeProvider();
            var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.FromSeconds(1), TimeProvider = time });
            await s.PushAsync(1);
            var w = s.PushAsync(2).AsTask();
            using var go = new Barrier(2);
            var reader = Task.Run(() =>
            {
                go.SignalAndWait();
                return s.TryRead(out var x) ? x : -1;
            });
            go.SignalAndWait();
            time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(1, await reader.WaitAsync(Hang));
            var entered = true;
            try
            {
                await w.WaitAsync(Hang);
            }
            catch (StreamOverflowException)
            {
                entered = false;
            }

            var items = Drain(s);
            var m = s.GetMetrics();
            Assert.Equal(entered ? [2] : [], items);
            Assert.Equal(entered ? new StreamMetricsSnapshot(2, 2, 0, 0, 1, 0, 0, 0) : new StreamMetricsSnapshot(2, 1, 0, 0, 1, 0, 1, 0), m);
        }
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Completion_racing_a_read_with_a_parked_writer_rejects_or_admits_it_once(string mode)
    {
        for (var i = 0; i < 300; i++)
        {
            var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));
            await s.PushAsync(1);
            var w = s.PushAsync(2).AsTask();
            using var go = new Barrier(2);
            var reader = Task.Run(() =>
            {
                go.SignalAndWait();
                return s.TryRead(out var x) ? x : -1;
            });
            go.SignalAndWait();
            s.Complete();
            Assert.Equal(1, await reader.WaitAsync(Hang));
            var entered = true;
            try
            {
                await w.WaitAsync(Hang);
            }
            catch (StreamClosedException)
            {
                entered = false;
            }

            var items = Drain(s);
            Assert.Equal(entered ? [2] : [], items);
            await s.Completion.WaitAsync(Hang);
            Assert.Equal(entered ? new StreamMetricsSnapshot(2, 2, 0, 0, 1, 0, 0, 0) : new StreamMetricsSnapshot(2, 1, 0, 0, 1, 0, 1, 0), s.GetMetrics());
        }
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Completion_with_items_left_keeps_them_counted_as_depth(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 3));
        s.TryPush(1);
        s.TryPush(2);
        s.Complete(new FormatException("x"));
        Assert.Equal(new StreamMetricsSnapshot(2, 0, 0, 0, 0, 0, 0, 2), s.GetMetrics());
        Assert.False(s.Completion.IsCompleted);
        Assert.Equal(1, await s.ReadAsync());
        Assert.Equal(2, await s.ReadAsync());
        await Assert.ThrowsAsync<FormatException>(() => s.Completion.WaitAsync(Hang));
        Assert.False(await Assert.ThrowsAsync<FormatException>(async () => await s.WaitToReadAsync()) is null);
    }

    [Theory]
    [InlineData(nameof(BufferMode.Locked))]
    [InlineData(nameof(BufferMode.SharedLane))]
    public async Task A_parked_ReadAsync_and_WaitToReadAsync_wake_on_completion(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));
        var r = s.ReadAsync().AsTask();
        var w = s.WaitToReadAsync().AsTask();
        s.Complete();
        await Assert.ThrowsAsync<StreamClosedException>(() => r.WaitAsync(Hang));
        Assert.False(await w.WaitAsync(Hang));
        await s.Completion.WaitAsync(Hang);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Capacity_one_under_every_policy_counts_each_path(string mode)
    {
        var drop = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 1));
        for (var i = 0; i < 5; i++)
        {
            await drop.PushAsync(i);
        }

        Assert.Equal([4], Drain(drop));
        Assert.Equal(new StreamMetricsSnapshot(5, 1, 4, 0, 0, 0, 0, 0), drop.GetMetrics());

        var fail = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 1));
        await fail.PushAsync(1);
        await Assert.ThrowsAsync<StreamOverflowException>(async () => await fail.PushAsync(2));
        Assert.Throws<StreamOverflowException>(() => fail.Push(3));
        Assert.Equal(PushStatus.Overflow, fail.TryPush(4).Status);
        Assert.Equal(new StreamMetricsSnapshot(4, 0, 0, 0, 0, 3, 0, 1), fail.GetMetrics());
    }

    [Theory]
    [InlineData(nameof(BufferMode.Locked))]
    [InlineData(nameof(BufferMode.SharedLane))]
    public async Task A_ReadAsync_cancelled_as_an_item_arrives_returns_it_or_leaves_it_buffered(string mode)
    {
        for (var i = 0; i < 300; i++)
        {
            var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 2));
            using var cts = new CancellationTokenSource();
            var r = s.ReadAsync(cts.Token).AsTask();
            using var go = new Barrier(2);
            var writer = Task.Run(() =>
            {
                go.SignalAndWait();
                return s.TryPush(7);
            });
            go.SignalAndWait();
            cts.Cancel();
            Assert.True((await writer.WaitAsync(Hang)).IsAccepted);
            int? read;
            try
            {
                read = await r.WaitAsync(Hang);
            }
            catch (OperationCanceledException)
            {
                read = null;
            }

            var left = Drain(s);
            Assert.Equal([7], read is { } x ? [x] : left);
            Assert.Equal(read is null ? [7] : [], left);
            Assert.Equal(new StreamMetricsSnapshot(1, 1, 0, 0, 0, 0, 0, 0), s.GetMetrics());
        }
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Completion_racing_pushes_and_reads_conserves_every_item(string mode)
    {
        for (var i = 0; i < 100; i++)
        {
            var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));
            var accepted = 0;
            var rejected = 0;
            var pusher = Task.Run(async () =>
            {
                for (var n = 0; n < 20; n++)
                {
                    try
                    {
                        await s.PushAsync(n);
                        Interlocked.Increment(ref accepted);
                    }
                    catch (StreamClosedException)
                    {
                        Interlocked.Increment(ref rejected);
                    }
                }
            });
            var read = new List<int>();
            var reader = Task.Run(async () =>
            {
                await foreach (var x in s.ReadAllAsync())
                {
                    read.Add(x);
                }
            });
            Assert.True(SpinWait.SpinUntil(() => s.GetMetrics().ItemsPushed >= 3, Hang));
            s.Complete();
            await pusher.WaitAsync(Hang);
            await reader.WaitAsync(Hang);
            await s.Completion.WaitAsync(Hang);

            // The lock-free mode serves one producer, and completion is the producer's to call; a completion from another
            // thread is a consumer that stops (a handler that failed, a subscription disposed), after which nothing more
            // is read. A push racing it may then be accepted after the reader saw the end: it stays in the buffer,
            // counted in its depth, never lost from the counters. The other modes read every accepted item.
            var unread = mode == nameof(BufferMode.SingleLane) ? s.Depth : 0;
            Assert.InRange(unread, 0, 1);
            Assert.Equal(accepted, read.Count + unread);
            Assert.Equal(Enumerable.Range(0, read.Count), read);
            Assert.Equal(new StreamMetricsSnapshot(20, read.Count, 0, 0, s.GetMetrics().PauseUpstreamBlocks, 0, rejected, unread), s.GetMetrics());
        }
    }

    [Theory]
    [InlineData(nameof(BufferMode.Locked), BackpressurePolicy.DropOldest)]
    [InlineData(nameof(BufferMode.SharedLane), BackpressurePolicy.DropOldest)]
    [InlineData(nameof(BufferMode.Locked), BackpressurePolicy.DegradeQuality)]
    [InlineData(nameof(BufferMode.SharedLane), BackpressurePolicy.DegradeQuality)]
    public async Task Under_concurrent_writers_and_readers_every_item_is_read_or_handed_to_OnDropped_exactly_once(string mode, BackpressurePolicy policy)
    {
        const int PerWriter = 5000;
        var dropped = new System.Collections.Concurrent.ConcurrentBag<int>();
        var s = Open(mode, new BoundedStreamOptions<int>(policy, 4)
        {
            // A degraded item is the original negated: it still names its original, so each one is accounted for.
            Degrader = x => -x,
            OnDropped = dropped.Add,
        });
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            for (var n = 1; n <= PerWriter; n++)
            {
                await s.PushAsync((w * PerWriter) + n);
            }
        })).ToArray();
        var read = new System.Collections.Concurrent.ConcurrentBag<int>();
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            await foreach (var x in s.ReadAllAsync())
            {
                read.Add(x);
            }
        })).ToArray();
        await Task.WhenAll(writers).WaitAsync(Hang);
        s.Complete();
        await Task.WhenAll(readers).WaitAsync(Hang);

        var seen = read.Concat(dropped).Select(Math.Abs).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 2 * PerWriter), seen);
        var m = s.GetMetrics();
        Assert.Equal(2 * PerWriter, m.ItemsPushed);
        Assert.Equal(read.Count, m.ItemsDelivered);
        Assert.Equal(dropped.Count, m.ItemsEvicted);
        Assert.True(m.IsConserved, m.ToString());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_blocking_Push_cancelled_as_room_appears_enters_once_or_not_at_all(string mode)
    {
        for (var i = 0; i < 200; i++)
        {
            var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));
            s.Push(1);
            using var cts = new CancellationTokenSource();
            var pusher = Task.Run(() => s.Push(2, cts.Token));
            Assert.True(SpinWait.SpinUntil(() => s.GetMetrics().PauseUpstreamBlocks == 1, Hang));
            using var go = new Barrier(2);
            var reader = Task.Run(() =>
            {
                go.SignalAndWait();
                return s.TryRead(out var x) ? x : -1;
            });
            go.SignalAndWait();
            cts.Cancel();
            Assert.Equal(1, await reader.WaitAsync(Hang));
            var entered = true;
            try
            {
                await pusher.WaitAsync(Hang);
            }
            catch (OperationCanceledException)
            {
                entered = false;
            }

            Assert.Equal(entered ? [2] : [], Drain(s));
            Assert.Equal(entered ? new StreamMetricsSnapshot(2, 2, 0, 0, 1, 0, 0, 0) : new StreamMetricsSnapshot(2, 1, 0, 0, 1, 0, 1, 0), s.GetMetrics());
        }
    }

    [Theory]
    [InlineData(nameof(BufferMode.SharedLane), 65_536)]
    [InlineData(nameof(BufferMode.SharedLane), 65_537)]
    [InlineData(nameof(BufferMode.SingleLane), 65_536)]
    [InlineData(nameof(BufferMode.Locked), 65_536)]
    public async Task A_capacity_at_the_lanes_bound_and_past_it_keeps_order_and_counts_through_wraps(string mode, int capacity)
    {
        var drop = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, capacity));
        var total = (2 * capacity) + 3;
        for (var i = 0; i < total; i++)
        {
            drop.TryPush(i);
        }

        Assert.Equal(capacity, drop.Depth);
        Assert.Equal(Enumerable.Range(total - capacity, capacity), Drain(drop));
        Assert.Equal(new StreamMetricsSnapshot(total, capacity, total - capacity, 0, 0, 0, 0, 0), drop.GetMetrics());

        var pause = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, capacity));
        for (var i = 0; i < capacity; i++)
        {
            Assert.True(pause.TryPush(i).IsAccepted);
        }

        Assert.Equal(PushStatus.Full, pause.TryPush(-1).Status);
        var parked = pause.PushAsync(capacity).AsTask();
        Assert.False(parked.IsCompleted);
        Assert.True(pause.TryRead(out var first));
        Assert.Equal(0, first);
        await parked.WaitAsync(Hang);
        Assert.Equal(Enumerable.Range(1, capacity), Drain(pause));
        Assert.Equal(new StreamMetricsSnapshot(capacity + 1, capacity + 1, 0, 0, 1, 0, 0, 0), pause.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public void CreateException_refuses_an_accepted_result_naming_the_argument(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 1) { Name = "accepted" });
        var enqueued = s.TryPush(1);
        var dropped = s.TryPush(2);
        Assert.Equal((PushStatus.Enqueued, PushStatus.DroppedOldest), (enqueued.Status, dropped.Status));

        // An accepted push has no exception: asking for one is a caller's mistake, reported as such, not an exception
        // object whose message says the push did not fail.
        foreach (var accepted in new[] { enqueued, dropped, default })
        {
            var error = Assert.Throws<ArgumentException>(() => s.CreateException(accepted));
            Assert.Equal("result", error.ParamName);
            Assert.Contains(accepted.Status.ToString(), error.Message);
        }

        Assert.Equal(new StreamMetricsSnapshot(2, 0, 1, 0, 0, 0, 0, 1), s.GetMetrics());
    }
}
