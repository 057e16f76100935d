using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// Third audit of the stream face and the policy engine in every mode: degraders that call back into their stream
/// (a read that makes room, a completion), the DropOldest eviction order against the bounded channel's
/// <c>itemDropped</c>, a PauseUpstream timeout, a cancellation and a completion falling due at the same virtual tick
/// (one outcome each, counted once), the Fail error on every push path, the degrader's calls under concurrent producers,
/// and the messages of the options' refusals.
/// </summary>
public sealed class StreamFaceAuditTests
{
    private static readonly TimeSpan Hang = Reactive.Streams.Tests.Support.TestLimits.Hang;

    public static TheoryData<string> AllModes => EngineModes.All;

    private static BoundedStream<T> Open<T>(string mode, BoundedStreamOptions<T> options) => EngineModes.Open(mode, options);

    private static List<T> Drain<T>(BoundedStream<T> stream) => EngineModes.Drain(stream);

    /// <summary>The three push paths of the stream face, each reporting what happened as a status or an exception type.</summary>
    public static TheoryData<string, string> ModesAndPaths()
    {
        var data = new TheoryData<string, string>();
        foreach (var mode in new[] { nameof(BufferMode.Locked), nameof(BufferMode.SharedLane), nameof(BufferMode.SingleLane) })
        {
            foreach (var path in new[] { "TryPush", "PushAsync", "Push" })
            {
                data.Add(mode, path);
            }
        }

        return data;
    }

    private static async Task<string> PushBy(string path, BoundedStream<int> s, int item)
    {
        try
        {
            switch (path)
            {
                case "TryPush":
                    return s.TryPush(item).Status.ToString();
                case "PushAsync":
                    await s.PushAsync(item);
                    return "ok";
                default:
                    s.Push(item);
                    return "ok";
            }
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }

    [Theory]
    [MemberData(nameof(ModesAndPaths))]
    public async Task A_degrader_that_reads_its_stream_makes_room_and_the_original_item_goes_in(string mode, string path)
    {
        // The degrader runs outside the lock and the decision is taken again after it (docs/engine.md): a read it made
        // is room, so the push is no overflow any more. Its degraded item is discarded, nothing is evicted and OnDropped
        // is not called.
        BoundedStream<int>? s = null;
        var calls = new List<int>();
        var readInside = new List<int>();
        var dropped = new List<int>();
        s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2)
        {
            Degrader = x =>
            {
                calls.Add(x);
                Assert.True(s!.TryRead(out var oldest));
                readInside.Add(oldest);
                return -x;
            },
            OnDropped = dropped.Add,
        });
        s.TryPush(1);
        s.TryPush(2);

        var outcome = await PushBy(path, s, 3);

        Assert.Equal(path == "TryPush" ? nameof(PushStatus.Enqueued) : "ok", outcome);
        Assert.Equal([3], calls);
        Assert.Equal([1], readInside);
        Assert.Empty(dropped);
        Assert.Equal([2, 3], Drain(s));
        Assert.Equal(new StreamMetricsSnapshot(3, 3, 0, 0, 0, 0, 0, 0), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(ModesAndPaths))]
    public async Task A_degrader_that_completes_its_stream_has_its_push_rejected_as_closed_and_nothing_evicted(string mode, string path)
    {
        BoundedStream<int>? s = null;
        var dropped = new List<int>();
        s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2)
        {
            Degrader = x =>
            {
                s!.Complete();
                return -x;
            },
            OnDropped = dropped.Add,
        });
        s.TryPush(1);
        s.TryPush(2);

        var outcome = await PushBy(path, s, 3);

        Assert.Equal(path == "TryPush" ? nameof(PushStatus.Closed) : nameof(StreamClosedException), outcome);
        Assert.Empty(dropped);
        Assert.False(s.Completion.IsCompleted);
        Assert.Equal([1, 2], Drain(s));
        await s.Completion.WaitAsync(Hang);
        Assert.Equal(new StreamMetricsSnapshot(3, 2, 0, 0, 0, 0, 1, 0), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(ModesAndPaths))]
    public async Task DropOldest_hands_OnDropped_every_evicted_item_once_in_order_as_the_bounded_channel_does(string mode, string path)
    {
        var ours = new List<int>();
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 3) { OnDropped = ours.Add });
        var theirs = new List<int>();
        var twin = Channel.CreateBounded<int>(new BoundedChannelOptions(3) { FullMode = BoundedChannelFullMode.DropOldest }, theirs.Add);

        var outcomes = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            outcomes.Add(await PushBy(path, s, i));
            Assert.True(twin.Writer.TryWrite(i));
            if (i == 5)
            {
                // A read in the middle: the next push has room and evicts nothing, in both.
                Assert.True(s.TryRead(out var ourRead));
                Assert.True(twin.Reader.TryRead(out var theirRead));
                Assert.Equal(theirRead, ourRead);
            }
        }

        Assert.Equal(theirs, ours);
        Assert.Equal([0, 1, 2, 4, 5, 6], ours);
        var twinLeft = new List<int>();
        while (twin.Reader.TryRead(out var x))
        {
            twinLeft.Add(x);
        }

        Assert.Equal(twinLeft, Drain(s));
        if (path == "TryPush")
        {
            Assert.Equal(
                ["Enqueued", "Enqueued", "Enqueued", "DroppedOldest", "DroppedOldest", "DroppedOldest", "Enqueued", "DroppedOldest", "DroppedOldest", "DroppedOldest"],
                outcomes);
        }

        Assert.Equal(new StreamMetricsSnapshot(10, 4, 6, 0, 0, 0, 0, 0), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(ModesAndPaths))]
    public async Task Fail_names_the_stream_its_policy_and_capacity_on_every_push_path(string mode, string path)
    {
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 2) { Name = "fail-audit" });
        s.TryPush(1);
        s.TryPush(2);
        StreamOverflowException error;
        switch (path)
        {
            case "TryPush":
                var result = s.TryPush(3);
                Assert.Equal(new PushResult(PushStatus.Overflow), result);
                error = Assert.IsType<StreamOverflowException>(s.CreateException(result));
                break;
            case "PushAsync":
                error = await Assert.ThrowsAsync<StreamOverflowException>(async () => await s.PushAsync(3));
                break;
            default:
                error = Assert.Throws<StreamOverflowException>(() => s.Push(3));
                break;
        }

        Assert.Equal(("fail-audit", BackpressurePolicy.Fail, 2), (error.StreamName, error.Policy, error.Capacity));
        Assert.Contains("'fail-audit'", error.Message, StringComparison.Ordinal);
        Assert.Contains("capacity 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fail", error.Message, StringComparison.Ordinal);
        Assert.Equal([1, 2], Drain(s));
        Assert.Equal(new StreamMetricsSnapshot(3, 2, 0, 0, 0, 1, 0, 0), s.GetMetrics());
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_timeout_and_a_cancellation_due_at_the_same_tick_end_the_push_once(string mode)
    {
        // Both fire during one Advance: whichever runs first ends the wait, the other finds nothing to end. The push
        // ends exactly once, with one of the two outcomes, and is counted once.
        var time = new FakeTimeProvider();
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.FromSeconds(1), TimeProvider = time });
        s.TryPush(1);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1), time);
        var w = s.PushAsync(2, cts.Token).AsTask();
        time.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        Assert.False(w.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));

        var error = await Record.ExceptionAsync(() => w.WaitAsync(Hang));
        Assert.True(error is OperationCanceledException or StreamOverflowException, error?.ToString());
        Assert.Equal(new StreamMetricsSnapshot(2, 0, 0, 0, 1, 0, 1, 1), s.GetMetrics());

        // Nothing left behind: a read makes room and the next push goes straight in.
        Assert.Equal(1, await s.ReadAsync());
        Assert.Equal(PushStatus.Enqueued, s.TryPush(3).Status);
        Assert.Equal([3], Drain(s));
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_completion_at_the_timeouts_tick_ends_the_push_once(string mode)
    {
        var time = new FakeTimeProvider();
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.FromSeconds(1), TimeProvider = time });
        s.TryPush(1);

        // The completion and the timeout fall due at one tick: whichever runs first ends the wait, as closed or as
        // timed out, and the other finds nothing to end.
        using var completer = time.CreateTimer(_ => s.Complete(), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        var w = s.PushAsync(2).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));

        var error = await Record.ExceptionAsync(() => w.WaitAsync(Hang));
        Assert.True(error is StreamClosedException or StreamOverflowException, error?.ToString());
        Assert.True(s.IsCompleted);
        Assert.Equal(new StreamMetricsSnapshot(2, 0, 0, 0, 1, 0, 1, 1), s.GetMetrics());
        Assert.Equal([1], Drain(s));
        await s.Completion.WaitAsync(Hang);
        Assert.True(s.GetMetrics().IsConserved);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_read_at_the_timeouts_tick_lets_the_push_in_or_the_timeout_ends_it_never_both(string mode)
    {
        var time = new FakeTimeProvider();
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.FromSeconds(1), TimeProvider = time });
        s.TryPush(1);
        var readAtTick = new List<int>();
        using var reader = time.CreateTimer(_ => readAtTick.Add(s.TryRead(out var x) ? x : -1), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        var w = s.PushAsync(2).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal([1], readAtTick);
        var error = await Record.ExceptionAsync(() => w.WaitAsync(Hang));
        if (error is null)
        {
            // The read let the parked writer in; the timeout found nothing to end.
            Assert.Equal([2], Drain(s));
            Assert.Equal(new StreamMetricsSnapshot(2, 2, 0, 0, 1, 0, 0, 0), s.GetMetrics());
        }
        else
        {
            Assert.IsType<StreamOverflowException>(error);
            Assert.Empty(Drain(s));
            Assert.Equal(new StreamMetricsSnapshot(2, 1, 0, 0, 1, 0, 1, 0), s.GetMetrics());
        }
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_blocking_Push_whose_timeout_and_cancellation_fall_due_at_one_tick_ends_once(string mode)
    {
        var time = new FakeTimeProvider();
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.FromSeconds(1), TimeProvider = time });
        s.Push(1);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1), time);
        var t = Task.Run(() => s.Push(2, cts.Token));
        Assert.True(SpinWait.SpinUntil(() => s.GetMetrics().PauseUpstreamBlocks == 1, Hang));
        time.Advance(TimeSpan.FromSeconds(1));

        var error = await Record.ExceptionAsync(() => t.WaitAsync(Hang));
        Assert.True(error is OperationCanceledException or StreamOverflowException, error?.ToString());
        Assert.Equal(new StreamMetricsSnapshot(2, 0, 0, 0, 1, 0, 1, 1), s.GetMetrics());
        Assert.Equal([1], Drain(s));
        s.Push(3);
        Assert.Equal([3], Drain(s));
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Writers_released_by_completion_are_not_ended_again_by_their_timeout_or_token(string mode)
    {
        var time = new FakeTimeProvider();
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.FromSeconds(1), TimeProvider = time });
        s.TryPush(1);
        using var cts = new CancellationTokenSource();
        var timed = s.PushAsync(2).AsTask();
        var cancellable = s.PushAsync(3, cts.Token).AsTask();
        var blocking = Task.Run(() => s.Push(4, cts.Token));
        Assert.True(SpinWait.SpinUntil(() => s.GetMetrics().PauseUpstreamBlocks == 3, Hang));

        s.Complete();
        foreach (var writer in new[] { timed, cancellable, blocking })
        {
            await Assert.ThrowsAsync<StreamClosedException>(() => writer.WaitAsync(Hang));
        }

        var afterCompletion = new StreamMetricsSnapshot(4, 0, 0, 0, 3, 0, 3, 1);
        Assert.Equal(afterCompletion, s.GetMetrics());

        // Their timers and registrations went with them: neither counts nor ends anything a second time.
        cts.Cancel();
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(afterCompletion, s.GetMetrics());
        Assert.Equal([1], Drain(s));
        await s.Completion.WaitAsync(Hang);
    }

    [Theory]
    [InlineData(nameof(BufferMode.Locked))]
    [InlineData(nameof(BufferMode.SharedLane))]
    public async Task Under_concurrent_producers_the_degrader_runs_at_most_once_per_push_and_at_least_once_per_degraded_item(string mode)
    {
        const int PerWriter = 5000;
        var calls = new ConcurrentDictionary<int, int>();
        var s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 4)
        {
            Degrader = x =>
            {
                calls.AddOrUpdate(x, 1, (_, n) => n + 1);
                return -x;
            },
        });
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            for (var n = 1; n <= PerWriter; n++)
            {
                await s.PushAsync((w * PerWriter) + n);
            }
        })).ToArray();
        var read = new ConcurrentBag<int>();
        var reader = Task.Run(async () =>
        {
            await foreach (var x in s.ReadAllAsync())
            {
                read.Add(x);
            }
        });
        await Task.WhenAll(writers).WaitAsync(Hang);
        s.Complete();
        await reader.WaitAsync(Hang);

        Assert.All(calls, c => Assert.Equal(1, c.Value));
        Assert.All(read.Where(x => x < 0), x => Assert.True(calls.ContainsKey(-x), $"{x} was degraded without a call for {-x}."));
        var m = s.GetMetrics();
        Assert.True(m.DegradeQualityHits <= calls.Count, $"{m.DegradeQualityHits} degraded, {calls.Count} calls.");
        Assert.Equal(2 * PerWriter, m.ItemsPushed);
        Assert.True(m.IsConserved, m.ToString());
    }

    [Theory]
    [MemberData(nameof(ModesAndPaths))]
    public async Task The_degrader_holds_no_lock_another_thread_can_observe(string mode, string path)
    {
        // "No foreign code runs under a lock" (docs/engine.md): while the degrader runs, another thread reads the stream,
        // takes its metrics and completes nothing. Were the degrader under the buffer's lock, that thread would block and
        // the degrader's wait would time out.
        BoundedStream<int>? s = null;
        var readByOther = new List<int>();
        s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2)
        {
            Degrader = x =>
            {
                var other = Task.Run(() =>
                {
                    Assert.True(s!.TryRead(out var oldest));
                    readByOther.Add(oldest);
                    Assert.True(s.GetMetrics().IsConserved);
                });
                Assert.True(other.Wait(Hang), "Another thread could not read the stream while the degrader ran.");
                return -x;
            },
        });
        s.TryPush(1);
        s.TryPush(2);

        var outcome = await PushBy(path, s, 3);

        // The other thread's read made room, so the original item went in.
        Assert.Equal(path == "TryPush" ? nameof(PushStatus.Enqueued) : "ok", outcome);
        Assert.Equal([1], readByOther);
        Assert.Equal([2, 3], Drain(s));
    }

    [Theory]
    [MemberData(nameof(ModesAndPaths))]
    public async Task OnDropped_holds_no_lock_another_thread_can_observe(string mode, string path)
    {
        BoundedStream<int>? s = null;
        var dropped = new List<int>();
        var pushedByOther = false;
        s = Open(mode, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2)
        {
            OnDropped = x =>
            {
                dropped.Add(x);
                if (!pushedByOther)
                {
                    pushedByOther = true;

                    // The push that evicted x has happened: another thread sees its item and can push behind it.
                    var other = Task.Run(() =>
                    {
                        Assert.Equal(2, s!.Depth);
                        Assert.Equal(PushStatus.DroppedOldest, s.TryPush(100).Status);
                    });
                    Assert.True(other.Wait(Hang), "Another thread could not push while OnDropped ran.");
                }
            },
        });
        s.TryPush(1);
        s.TryPush(2);

        var outcome = await PushBy(path, s, 3);

        Assert.Equal(path == "TryPush" ? nameof(PushStatus.DroppedOldest) : "ok", outcome);
        Assert.Equal([1, 2], dropped);
        Assert.Equal([3, 100], Drain(s));
        Assert.Equal(new StreamMetricsSnapshot(4, 2, 2, 0, 0, 0, 0, 0), s.GetMetrics());
    }

    public static TheoryData<string, BackpressurePolicy> ConcurrentCases()
    {
        var data = new TheoryData<string, BackpressurePolicy>();
        foreach (var mode in new[] { nameof(BufferMode.Locked), nameof(BufferMode.SharedLane) })
        {
            foreach (var policy in Enum.GetValues<BackpressurePolicy>())
            {
                data.Add(mode, policy);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ConcurrentCases))]
    public async Task Under_concurrent_producers_each_counter_equals_the_results_its_pushers_saw(string mode, BackpressurePolicy policy)
    {
        // Not only conservation: each counter is exactly the number of pushes that reported its outcome. A Full
        // TryPush (PauseUpstream) is counted nowhere, as the caller keeps the item.
        const int PerWriter = 4000;
        var s = Open(mode, new BoundedStreamOptions<int>(policy, 3) { Degrader = x => -x });
        var seen = new ConcurrentDictionary<PushStatus, int>();
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            for (var n = 0; n < PerWriter; n++)
            {
                seen.AddOrUpdate(s.TryPush(n).Status, 1, (_, c) => c + 1);
            }
        })).ToArray();
        var read = 0;
        var reader = Task.Run(async () =>
        {
            await foreach (var x in s.ReadAllAsync())
            {
                read++;
            }
        });
        await Task.WhenAll(writers).WaitAsync(Hang);
        s.Complete();
        await reader.WaitAsync(Hang);

        int Seen(PushStatus status) => seen.GetValueOrDefault(status);
        Assert.Equal(2 * PerWriter, seen.Values.Sum());
        Assert.Equal(0, Seen(PushStatus.Closed) + Seen(PushStatus.MissingDegrader) + Seen(PushStatus.DegraderFailed));
        var accepted = Seen(PushStatus.Enqueued) + Seen(PushStatus.DroppedOldest) + Seen(PushStatus.Degraded);
        Assert.Equal(
            new StreamMetricsSnapshot(
                (2 * PerWriter) - Seen(PushStatus.Full),
                read,
                Seen(PushStatus.DroppedOldest),
                Seen(PushStatus.Degraded),
                0,
                Seen(PushStatus.Overflow),
                0,
                0),
            s.GetMetrics());
        Assert.Equal(accepted - Seen(PushStatus.DroppedOldest) - Seen(PushStatus.Degraded), read);
    }

    [Fact]
    public void A_PauseUpstream_timeout_too_long_for_a_timer_is_refused_with_a_message_naming_the_limit()
    {
        // Past about 49.7 days no timer can measure the wait. The value is positive, so a message that asks for "zero or
        // positive" would tell the user to do what they did; it says what the limit is.
        var tooLong = TimerLimits.LongestWait + TimeSpan.FromTicks(1);
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1);
        var fromSetter = Assert.Throws<ArgumentOutOfRangeException>(() => options.PauseTimeout = tooLong);
        var fromFactory = Assert.Throws<ArgumentOutOfRangeException>(() => BoundedStream.PauseUpstream<int>(1, TimeSpan.FromDays(60)));

        Assert.Equal(nameof(BoundedStreamOptions<int>.PauseTimeout), fromSetter.ParamName);
        Assert.Equal("timeout", fromFactory.ParamName);
        foreach (var error in new[] { fromSetter, fromFactory })
        {
            Assert.Contains(TimerLimits.LongestWait.ToString(), error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("must be zero or positive", error.Message, StringComparison.Ordinal);
        }

        // The limit itself is accepted, and a negative value still says what it must be.
        options.PauseTimeout = TimerLimits.LongestWait;
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => options.PauseTimeout = TimeSpan.FromTicks(-1));
        Assert.Contains("zero or positive", negative.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_refused_stream_option_names_its_parameter_and_the_value()
    {
        var policy = Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedStreamOptions<int>((BackpressurePolicy)42, 1));
        Assert.Equal("policy", policy.ParamName);
        Assert.Equal((BackpressurePolicy)42, policy.ActualValue);

        foreach (var capacity in new[] { 0, -1, int.MinValue })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedStreamOptions<int>(BackpressurePolicy.Fail, capacity));
            Assert.Equal("capacity", error.ParamName);
            Assert.Equal(capacity, error.ActualValue);
        }

        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1);
        Assert.Equal("Name", Assert.Throws<ArgumentException>(() => options.Name = "").ParamName);
        Assert.Equal("Name", Assert.Throws<ArgumentNullException>(() => options.Name = null!).ParamName);
        Assert.Equal("TimeProvider", Assert.Throws<ArgumentNullException>(() => options.TimeProvider = null!).ParamName);
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => options.PauseTimeout = TimeSpan.FromMilliseconds(-2));
        Assert.Equal(("PauseTimeout", (object?)TimeSpan.FromMilliseconds(-2)), (negative.ParamName, negative.ActualValue));

        // Infinite in both spellings and zero are accepted; a refused value leaves the option as it was.
        options.PauseTimeout = Timeout.InfiniteTimeSpan;
        options.PauseTimeout = null;
        options.PauseTimeout = TimeSpan.Zero;
        Assert.Throws<ArgumentOutOfRangeException>(() => options.PauseTimeout = TimeSpan.FromTicks(-1));
        Assert.Equal(TimeSpan.Zero, options.PauseTimeout);
    }
}
