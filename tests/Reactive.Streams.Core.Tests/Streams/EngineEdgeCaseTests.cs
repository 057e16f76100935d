using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// Edge cases of <see cref="BoundedStream{T}"/> in every engine mode that the conformance table does not reach: throwing
/// callbacks, capacities 1 and <see cref="int.MaxValue"/>, the blocking <c>Push</c>'s cancellation, completion and
/// timeout, zero and one-tick timeouts, completion with an <see cref="OperationCanceledException"/>, and the counters (in
/// the snapshot and on the meter) after each of them. Timeouts run on a <see cref="FakeTimeProvider"/>; the blocking
/// pushes run on a thread of their own, since blocking is their subject.
/// </summary>
public sealed class EngineEdgeCaseTests
{
    private static readonly TimeSpan Hang = Reactive.Streams.Tests.Support.TestLimits.Hang;

    public static TheoryData<string> AllModes => EngineModes.All;

    private static BoundedStream<int> Open(string mode, BoundedStreamOptions<int> options) => EngineModes.Open(mode, options);

    [Theory]
    [MemberData(nameof(AllModes))]
    public void An_OnDropped_that_throws_reaches_the_pusher_after_the_push_happened(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 1) { OnDropped = _ => throw new FormatException("boom") });
        s.TryPush(1);

        // As the bounded channel's itemDropped callback: it runs on the pushing thread, after the push.
        Assert.Throws<FormatException>(() => s.TryPush(2));
        Assert.True(s.TryRead(out var x));
        Assert.Equal(2, x);
        Assert.Equal(new StreamMetricsSnapshot(2, 1, 1, 0, 0, 0, 0, 0), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public void CreateException_for_a_Full_TryPush_says_the_push_did_not_wait(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { Name = "full-stream" });
        s.TryPush(1);
        var full = s.TryPush(2);
        Assert.Equal(PushStatus.Full, full.Status);

        var error = Assert.IsType<StreamOverflowException>(s.CreateException(full));

        // It never waited, so no timeout ran out: the message says what happened, with the stream's name and capacity.
        Assert.DoesNotContain("timeout", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("'full-stream'", error.Message);
        Assert.Contains("capacity 1", error.Message);
        Assert.Equal((BackpressurePolicy.PauseUpstream, 1, "full-stream"), (error.Policy, error.Capacity, error.StreamName));
        Assert.Equal(new StreamMetricsSnapshot(1, 0, 0, 0, 0, 0, 0, 1), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_throwing_degrader_rejects_on_every_push_path_and_is_counted(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 1) { Degrader = _ => throw new FormatException("boom") });
        await s.PushAsync(1);
        var r = s.TryPush(2);
        Assert.Equal(PushStatus.DegraderFailed, r.Status);
        Assert.IsType<FormatException>(r.Error);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => await s.PushAsync(3));
        Assert.IsType<FormatException>(e.InnerException);
        Assert.Contains(s.Name, e.Message);
        var e2 = Assert.Throws<InvalidOperationException>(() => s.Push(4));
        Assert.IsType<FormatException>(e2.InnerException);
        Assert.Equal(new StreamMetricsSnapshot(4, 0, 0, 0, 0, 0, 3, 1), s.GetMetrics());
        Assert.True(s.TryRead(out var x));
        Assert.Equal(1, x);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_capacity_of_int_MaxValue_works_in_every_policy(string mode)
    {
        foreach (var policy in Enum.GetValues<BackpressurePolicy>())
        {
            var s = Open(mode, new BoundedStreamOptions<int>(policy, int.MaxValue) { Degrader = x => x });
            for (var i = 0; i < 100; i++)
            {
                await s.PushAsync(i);
            }

            Assert.Equal(100, s.Depth);
            Assert.Equal(int.MaxValue, s.Capacity);
            for (var i = 0; i < 100; i++)
            {
                Assert.Equal(i, await s.ReadAsync());
            }

            Assert.Equal(new StreamMetricsSnapshot(100, 100, 0, 0, 0, 0, 0, 0), s.GetMetrics());
        }
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Capacity_one_PauseUpstream_lets_the_parked_writer_in_on_a_read(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));
        await s.PushAsync(1);
        var w = s.PushAsync(2).AsTask();
        Assert.False(w.IsCompleted);
        Assert.Equal(PushStatus.Full, s.TryPush(9).Status);
        Assert.Equal(1, await s.ReadAsync());
        await w.WaitAsync(Hang);
        Assert.Equal(2, await s.ReadAsync());
        Assert.Equal(new StreamMetricsSnapshot(2, 2, 0, 0, 1, 0, 0, 0), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_blocking_Push_waiting_for_room_is_cancelled_and_counted(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));
        s.Push(1);
        using var cts = new CancellationTokenSource();
        var started = new ManualResetEventSlim();
        var t = Task.Run(() =>
        {
            started.Set();
            s.Push(2, cts.Token);
        });
        Assert.True(started.Wait(Hang));
        Assert.True(SpinWait.SpinUntil(() => s.GetMetrics().PauseUpstreamBlocks == 1, Hang));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t.WaitAsync(Hang));
        Assert.Equal(new StreamMetricsSnapshot(2, 0, 0, 0, 1, 0, 1, 1), s.GetMetrics());
        Assert.True(s.TryRead(out _));
        Assert.False(s.TryRead(out _));
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_blocking_Push_waiting_for_room_is_released_by_completion_and_counted(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));
        s.Push(1);
        var t = Task.Run(() => s.Push(2));
        Assert.True(SpinWait.SpinUntil(() => s.GetMetrics().PauseUpstreamBlocks == 1, Hang));
        s.Complete();
        await Assert.ThrowsAsync<StreamClosedException>(() => t.WaitAsync(Hang));
        Assert.Equal(new StreamMetricsSnapshot(2, 0, 0, 0, 1, 0, 1, 1), s.GetMetrics());
        Assert.Equal(1, await s.ReadAsync());
        await Assert.ThrowsAsync<StreamClosedException>(async () => await s.ReadAsync());
        await s.Completion.WaitAsync(Hang);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_PauseUpstream_timeout_rejects_at_its_tick_and_the_stream_goes_on(string mode)
    {
        var time = new FakeTimeProvider();
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.FromSeconds(1), TimeProvider = time });
        await s.PushAsync(1);
        var w = s.PushAsync(2).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(w.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Assert.ThrowsAsync<StreamOverflowException>(() => w.WaitAsync(Hang));
        Assert.Equal(new StreamMetricsSnapshot(2, 0, 0, 0, 1, 0, 1, 1), s.GetMetrics());

        // After a timeout, a reader frees room and a new push goes straight in.
        Assert.Equal(1, await s.ReadAsync());
        await s.PushAsync(3);
        Assert.Equal(3, await s.ReadAsync());
        Assert.True(s.GetMetrics().IsConserved);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_zero_PauseUpstream_timeout_rejects_at_once_on_every_waiting_path(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.Zero });
        await s.PushAsync(1);
        await Assert.ThrowsAsync<StreamOverflowException>(async () => await s.PushAsync(2));
        Assert.Throws<StreamOverflowException>(() => s.Push(3));
        Assert.Equal(PushStatus.Full, s.TryPush(4).Status);
        Assert.Equal(new StreamMetricsSnapshot(3, 0, 0, 0, 2, 0, 2, 1), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_cancelled_WaitToReadAsync_leaves_no_waiter_behind(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 2));
        using var cts = new CancellationTokenSource();
        var w = s.WaitToReadAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => w.WaitAsync(Hang));
        var w2 = s.WaitToReadAsync().AsTask();
        s.TryPush(5);
        Assert.True(await w2.WaitAsync(Hang));
        Assert.Equal(5, await s.ReadAsync());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Completing_with_an_OperationCanceledException_cancels_Completion_and_the_last_read(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 2));
        s.TryPush(1);
        var oce = new OperationCanceledException("stop");
        s.Complete(oce);
        Assert.False(s.TryComplete());
        Assert.Throws<InvalidOperationException>(() => s.Complete());
        Assert.Equal(1, await s.ReadAsync());
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await s.ReadAsync());
        Assert.Same(oce, e);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => s.Completion);
        Assert.True(s.Completion.IsCanceled);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task ReadAllAsync_yields_the_buffered_items_then_throws_the_completion_error(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 2));
        s.TryPush(1);
        s.Complete(new FormatException("x"));
        var got = new List<int>();
        await Assert.ThrowsAsync<FormatException>(async () =>
        {
            await foreach (var i in s.ReadAllAsync())
            {
                got.Add(i);
            }
        });
        Assert.Equal([1], got);
        await Assert.ThrowsAsync<FormatException>(() => s.Completion);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_pending_ReadAsync_fails_as_closed_with_the_completion_error_inside(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 2));
        var r = s.ReadAsync().AsTask();
        s.Complete(new FormatException("x"));
        var e = await Assert.ThrowsAsync<StreamClosedException>(() => r.WaitAsync(Hang));
        Assert.IsType<FormatException>(e.InnerException);
        Assert.Contains(s.Name, e.Message);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task DegradeQuality_hands_OnDropped_the_evicted_oldest_item_on_every_push_path(string mode)
    {
        var dropped = new List<int>();
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 1) { Degrader = x => x * 10, OnDropped = dropped.Add });
        await s.PushAsync(1);
        await s.PushAsync(2);
        s.Push(3);
        Assert.Equal([1, 20], dropped);
        Assert.Equal(30, await s.ReadAsync());
        Assert.Equal(new StreamMetricsSnapshot(3, 1, 0, 2, 0, 0, 0, 0), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_one_tick_PauseUpstream_timeout_still_waits_for_the_clock(string mode)
    {
        var time = new FakeTimeProvider();
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.FromTicks(1), TimeProvider = time });
        await s.PushAsync(1);
        var w = s.PushAsync(2).AsTask();
        Assert.False(w.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Assert.ThrowsAsync<StreamOverflowException>(() => w.WaitAsync(Hang));
        Assert.Equal(new StreamMetricsSnapshot(2, 0, 0, 0, 1, 0, 1, 1), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_push_after_a_cancelled_ReadAsync_is_buffered_not_lost(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 2));
        using var cts = new CancellationTokenSource();
        var r = s.ReadAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => r.WaitAsync(Hang));
        s.TryPush(7);
        Assert.Equal(1, s.Depth);
        Assert.Equal(7, await s.ReadAsync());
        Assert.Equal(new StreamMetricsSnapshot(1, 1, 0, 0, 0, 0, 0, 0), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Parked_writers_enter_in_order_and_completion_rejects_the_rest(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));
        await s.PushAsync(0);
        var w1 = s.PushAsync(1).AsTask();
        if (mode == nameof(BufferMode.SingleLane))
        {
            // The lock-free mode has one producer, so one parked writer at most: it enters on the read.
            Assert.Equal(0, await s.ReadAsync());
            await w1.WaitAsync(Hang);
            Assert.Equal(new StreamMetricsSnapshot(2, 1, 0, 0, 1, 0, 0, 1), s.GetMetrics());
            return;
        }

        var w2 = s.PushAsync(2).AsTask();
        Assert.Equal(0, await s.ReadAsync());
        await w1.WaitAsync(Hang);
        Assert.False(w2.IsCompleted);
        s.Complete();
        await Assert.ThrowsAsync<StreamClosedException>(() => w2.WaitAsync(Hang));
        Assert.Equal(1, await s.ReadAsync());
        Assert.Equal(new StreamMetricsSnapshot(3, 2, 0, 0, 2, 0, 1, 0), s.GetMetrics());
        await s.Completion.WaitAsync(Hang);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_blocking_Push_times_out_on_the_options_clock(string mode)
    {
        var time = new FakeTimeProvider();
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.FromSeconds(1), TimeProvider = time });
        s.Push(1);
        var t = Task.Run(() => s.Push(2));
        Assert.True(SpinWait.SpinUntil(() => s.GetMetrics().PauseUpstreamBlocks == 1, Hang));
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<StreamOverflowException>(() => t.WaitAsync(Hang));
        Assert.Equal(new StreamMetricsSnapshot(2, 0, 0, 0, 1, 0, 1, 1), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Each_parked_writer_times_out_from_its_own_park(string mode)
    {
        var time = new FakeTimeProvider();
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.FromSeconds(1), TimeProvider = time });
        await s.PushAsync(0);
        var w1 = s.PushAsync(1).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(500));
        var w2 = s.PushAsync(2).AsTask();
        Assert.Equal(0, await s.ReadAsync());
        await w1.WaitAsync(Hang);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(w2.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Assert.ThrowsAsync<StreamOverflowException>(() => w2.WaitAsync(Hang));
        Assert.Equal(new StreamMetricsSnapshot(3, 1, 0, 0, 2, 0, 1, 1), s.GetMetrics());
        Assert.Equal(1, await s.ReadAsync());
    }

    [Fact]
    public void The_meter_sums_same_named_streams_of_different_item_types()
    {
        var name = $"types-{Guid.NewGuid():N}";
        var a = BoundedStream.DropOldest<int>(2, name);
        var b = BoundedStream.DropOldest<string>(2, name);
        a.TryPush(1);
        b.TryPush("x");
        b.TryPush("y");
        b.TryPush("z");
        var seen = Collect(name);
        Assert.Equal(4, seen["reactive_streams.stream.items.pushed"]);
        Assert.Equal(1, seen["reactive_streams.stream.items.dropped"]);
        Assert.Equal(3, seen["reactive_streams.stream.depth"]);
        GC.KeepAlive(a);
        GC.KeepAlive(b);
    }

    [Fact]
    public async Task The_meter_counts_cancelled_and_timed_out_waits_as_the_snapshot_does()
    {
        var name = $"waits-{Guid.NewGuid():N}";
        var time = new FakeTimeProvider();
        var s = BoundedStream.Create(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { Name = name, PauseTimeout = TimeSpan.FromSeconds(1), TimeProvider = time });
        await s.PushAsync(0);
        using var cts = new CancellationTokenSource();
        var cancelled = s.PushAsync(1, cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Hang));
        var timedOut = s.PushAsync(2).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<StreamOverflowException>(() => timedOut.WaitAsync(Hang));
        var seen = Collect(name);
        Assert.Equal(3, seen["reactive_streams.stream.items.pushed"]);
        Assert.Equal(2, seen["reactive_streams.stream.pushes.paused"]);
        Assert.Equal(2, seen["reactive_streams.stream.items.rejected"]);
        Assert.Equal(1, seen["reactive_streams.stream.depth"]);
        Assert.Equal(s.GetMetrics(), new StreamMetricsSnapshot(3, 0, 0, 0, 2, 0, 2, 1));
    }

    [Fact]
    public async Task An_OperationCanceledException_completion_ends_reads_as_the_bounded_channel_does()
    {
        var oce = new OperationCanceledException("stop");
        var channel = System.Threading.Channels.Channel.CreateBounded<int>(2);
        channel.Writer.Complete(oce);
        var s = BoundedStream.Fail<int>(2);
        s.Complete(oce);
        var cw = channel.Reader.WaitToReadAsync().AsTask();
        var sw = s.WaitToReadAsync().AsTask();
        await Task.WhenAny(cw);
        await Task.WhenAny(sw);
        Assert.Equal(cw.Status, sw.Status);
        var cr = channel.Reader.ReadAsync().AsTask();
        var sr = s.ReadAsync().AsTask();
        await Task.WhenAny(cr);
        await Task.WhenAny(sr);
        Assert.Equal(cr.Status, sr.Status);
        Assert.Equal(channel.Reader.Completion.Status, s.Completion.Status);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Pushes_after_completion_are_counted_rejections_and_Completion_waits_for_the_drain(string mode)
    {
        foreach (var policy in Enum.GetValues<BackpressurePolicy>())
        {
            var s = Open(mode, new BoundedStreamOptions<int>(policy, 1) { Degrader = x => x });
            await s.PushAsync(1);
            s.Complete();
            Assert.Equal(PushStatus.Closed, s.TryPush(2).Status);
            await Assert.ThrowsAsync<StreamClosedException>(async () => await s.PushAsync(3));
            Assert.Throws<StreamClosedException>(() => s.Push(4));
            Assert.Equal(new StreamMetricsSnapshot(4, 0, 0, 0, 0, 0, 3, 1), s.GetMetrics());
            Assert.False(s.Completion.IsCompleted);
            Assert.Equal(1, await s.ReadAsync());
            await s.Completion.WaitAsync(Hang);
            Assert.False(await s.WaitToReadAsync());
        }
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_cancelled_ReadAllAsync_leaves_the_stream_usable(string mode)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 4));
        s.TryPush(1);
        using var cts = new CancellationTokenSource();
        var got = new List<int>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var i in s.ReadAllAsync(cts.Token))
            {
                got.Add(i);
                await cts.CancelAsync();
            }
        });
        Assert.Equal([1], got);
        s.TryPush(2);
        Assert.Equal(2, await s.ReadAsync());
    }

    private static Dictionary<string, long> Collect(string name)
    {
        var seen = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StreamMeter.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == StreamMeter.StreamNameAttribute && tag.Value as string == name)
                {
                    lock (seen)
                    {
                        seen[instrument.Name] = seen.GetValueOrDefault(instrument.Name) + value;
                    }
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }
}
