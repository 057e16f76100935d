using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// A wait that has a timeout (a PauseUpstream push, a postponed Dataflow offer, a canal's pull deadline, a log's tail)
/// and is cancelled by its caller's token before the timeout: the OperationCanceledException names the caller's token,
/// nothing was pushed, read or handed out, and the timeout's timer is gone with the wait. A long-running consumer that
/// cancels many such waits (a poll loop with a per-call token) must not leave one timer per wait on the clock until its
/// timeout would have fired, and a timer left behind must not act on the surface later. The clock counts the timers
/// alive (created, not yet disposed); the runtime's <c>Task.WaitAsync</c> on the same clock is the oracle that the
/// count sees a disposed timer as such.
/// </summary>
public class CancelledTimedWaitTests
{
    private const int Waits = 100;
    private static readonly TimeSpan s_long = TimeSpan.FromHours(1);

    [Fact]
    public async Task Task_WaitAsync_cancelled_by_its_token_leaves_no_timer_as_the_oracle()
    {
        var clock = new LiveTimerClock();
        var never = new TaskCompletionSource();
        for (var i = 0; i < Waits; i++)
        {
            using var cts = new CancellationTokenSource();
            var wait = never.Task.WaitAsync(s_long, clock, cts.Token);
            Assert.Equal(1, clock.Live);
            await cts.CancelAsync();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
            Assert.Equal(cts.Token, error.CancellationToken);
            AssertTimersLeft(clock, 0);
        }
    }

    public static TheoryData<string> PushSurfaces => ["BoundedStream.PushAsync", "BackpressureChannel.WriteAsync", "Channel.CreateBounded.WriteAsync"];

    [Theory]
    [MemberData(nameof(PushSurfaces))]
    public async Task PauseUpstream_writes_cancelled_while_parked_leave_no_timer_and_push_nothing(string surface)
    {
        var clock = new LiveTimerClock();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = s_long, TimeProvider = clock };
        BoundedStream<int>? stream = null;
        Channel<int>? channel = null;
        switch (surface)
        {
            case "BoundedStream.PushAsync":
                stream = BoundedStream.Create(options);
                break;
            case "BackpressureChannel.WriteAsync":
                channel = BackpressureChannel.Create(options);
                break;
            default:
                channel = Channel.CreateBounded<int>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.Wait });
                break;
        }

        Func<int, CancellationToken, ValueTask> push = stream is not null ? stream.PushAsync : channel!.Writer.WriteAsync;
        await push(0, default);

        for (var i = 1; i <= Waits; i++)
        {
            using var cts = new CancellationTokenSource();
            var parked = push(i, cts.Token).AsTask();
            Assert.False(parked.IsCompleted);
            await cts.CancelAsync();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => parked).WaitAsync(TestLimits.Hang);
            Assert.Equal(cts.Token, error.CancellationToken);
            AssertTimersLeft(clock, 0);
        }

        // The timeouts' hour passes: nothing that was left behind fires into the surface.
        clock.Advance(s_long * 2);
        AssertTimersLeft(clock, 0);

        // Only the first item is there, and a new push still waits for room (and gets it from the read).
        Func<ValueTask<int>> read = stream is not null ? () => stream.ReadAsync() : () => channel!.Reader.ReadAsync();
        var next = push(-1, default).AsTask();
        Assert.False(next.IsCompleted);
        Assert.Equal(0, await read().AsTask().WaitAsync(TestLimits.Hang));
        await next.WaitAsync(TestLimits.Hang);
        Assert.Equal(-1, await read().AsTask().WaitAsync(TestLimits.Hang));
        AssertTimersLeft(clock, 0);
    }

    [Fact]
    public async Task Dataflow_sends_cancelled_while_postponed_leave_no_timer_once_the_block_consumes_again()
    {
        // DataflowBlock.SendAsync's cancellation does not reach the target: the postponed offer stays until the target
        // tries to consume it (as BufferBlock's postponed messages do). Once the block has room, it finds them gone, and
        // their PauseUpstream timeouts must go with them.
        var clock = new LiveTimerClock();
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = s_long, TimeProvider = clock });
        var twin = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1 });
        Assert.True(await block.SendAsync(0));
        Assert.True(await twin.SendAsync(0));

        for (var i = 1; i <= Waits; i++)
        {
            using var cts = new CancellationTokenSource();
            var parked = block.SendAsync(i, cts.Token);
            var twinParked = twin.SendAsync(i, cts.Token);
            Assert.False(parked.IsCompleted);
            Assert.False(twinParked.IsCompleted);
            await cts.CancelAsync();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => parked).WaitAsync(TestLimits.Hang);
            var twinError = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => twinParked).WaitAsync(TestLimits.Hang);
            Assert.Equal(twinError.CancellationToken, error.CancellationToken);
            Assert.Equal(twinError.GetType(), error.GetType());
        }

        // The reads make room; the block (and the twin) look at the postponed offers, all cancelled, and take none.
        Assert.Equal(0, await block.ReceiveAsync().WaitAsync(TestLimits.Hang));
        Assert.Equal(0, await twin.ReceiveAsync().WaitAsync(TestLimits.Hang));
        Assert.False(block.TryReceive(out _));
        Assert.False(twin.TryReceive(out _));

        // The block may look at its postponed offers on the thread pool after the read: wait for it, with a watchdog.
        Assert.True(SpinWait.SpinUntil(() => clock.Live == 0, TestLimits.Hang), $"{clock.Live} PauseUpstream timers are left.");

        Assert.True(await block.SendAsync(-1).WaitAsync(TestLimits.Hang));
        Assert.Equal(-1, await block.ReceiveAsync().WaitAsync(TestLimits.Hang));
        block.Complete();
        await block.Completion.WaitAsync(TestLimits.Hang);
        AssertTimersLeft(clock, 0);
    }

    [Fact]
    public async Task Log_tails_cancelled_while_blocked_leave_no_timer_and_read_nothing()
    {
        var clock = new LiveTimerClock();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        for (var i = 0; i < Waits; i++)
        {
            using var cts = new CancellationTokenSource();
            var tail = log.TailAsync("orders", StreamId.Min, s_long, 10, TailVisibility.All, cts.Token).AsTask();
            Assert.False(tail.IsCompleted);
            await cts.CancelAsync();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tail).WaitAsync(TestLimits.Hang);
            Assert.Equal(cts.Token, error.CancellationToken);
            AssertTimersLeft(clock, 0);
        }

        clock.Advance(s_long * 2);
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        Assert.Single(await log.TailAsync("orders", StreamId.Min, s_long, 10).AsTask().WaitAsync(TestLimits.Hang));
        AssertTimersLeft(clock, 0);
    }

    [Fact]
    public async Task Cursor_canal_pulls_cancelled_before_their_deadline_leave_no_timer_and_hand_out_nothing()
    {
        var clock = new LiveTimerClock();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = clock });
        for (var i = 0; i < Waits; i++)
        {
            using var cts = new CancellationTokenSource();
            var pull = canal.PullBatchAsync(10, s_long, cts.Token).AsTask();
            Assert.False(pull.IsCompleted);
            await cts.CancelAsync();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull).WaitAsync(TestLimits.Hang);
            Assert.Equal(cts.Token, error.CancellationToken);
            AssertTimersLeft(clock, 0);
        }

        Assert.Equal(StreamId.Min, canal.ReadPosition);
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        Assert.Single(await canal.PullBatchAsync(10, TimeSpan.Zero).AsTask().WaitAsync(TestLimits.Hang));
        AssertTimersLeft(clock, 0);
    }

    [Fact]
    public async Task Consumer_group_canal_pulls_cancelled_before_their_deadline_leave_no_timer_and_claim_nothing()
    {
        var clock = new LiveTimerClock();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        await using var canal = await ConsumerGroupCanal.OpenAsync(log, "orders", "g", "a", new ConsumerGroupCanalOptions { TimeProvider = clock });
        var baseline = clock.Live; // a reclaim check the canal keeps, if any
        for (var i = 0; i < Waits; i++)
        {
            using var cts = new CancellationTokenSource();
            var pull = canal.PullBatchAsync(10, s_long, cts.Token).AsTask();
            Assert.False(pull.IsCompleted);
            await cts.CancelAsync();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull).WaitAsync(TestLimits.Hang);
            Assert.Equal(cts.Token, error.CancellationToken);
            AssertTimersLeft(clock, baseline);
        }

        await log.AppendAsync("orders", "a", AppendMode.Durable);
        Assert.Single(await canal.PullBatchAsync(10, TimeSpan.Zero).AsTask().WaitAsync(TestLimits.Hang));
        Assert.Single(await log.ReadPendingAsync("orders", "g", null, 10));
        AssertTimersLeft(clock, baseline);
    }

    [Fact]
    public async Task Lossy_pulls_cancelled_before_their_deadline_keep_one_timer_at_most_and_none_after_disposal()
    {
        var clock = new LiveTimerClock();
        var stream = BoundedStream.DropOldest<int>(4);
        var lossy = LossySubscription.Create(stream, clock);
        for (var i = 0; i < Waits; i++)
        {
            using var cts = new CancellationTokenSource();
            var pull = lossy.PullBatchAsync(10, s_long, cts.Token).AsTask();
            Assert.False(pull.IsCompleted);
            await cts.CancelAsync();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull).WaitAsync(TestLimits.Hang);
            Assert.Equal(cts.Token, error.CancellationToken);
            Assert.InRange(clock.Live, 0, 1); // one deadline timer per canal, re-armed per pull
        }

        Assert.Equal(1, clock.Created);
        stream.TryPush(7);
        Assert.Equal(7, (await lossy.PullBatchAsync(10, TimeSpan.Zero).AsTask().WaitAsync(TestLimits.Hang))[0]);
        await lossy.DisposeAsync();
        AssertTimersLeft(clock, 0);
    }

    /// <summary>
    /// Waits (with a watchdog) until <paramref name="expected"/> timers are alive: the runtime's <c>Task.WaitAsync</c>
    /// completes its task before it disposes its timer, on the thread that cancelled it, so an awaiter resumed on
    /// another thread may look before the disposal. A timer that is never disposed fails after the watchdog.
    /// </summary>
    private static void AssertTimersLeft(LiveTimerClock clock, int expected) =>
        Assert.True(SpinWait.SpinUntil(() => clock.Live == expected, TestLimits.Hang), $"{clock.Live} timers are alive, {expected} expected.");

    /// <summary>A <see cref="FakeTimeProvider"/> that counts the timers created and those not yet disposed.</summary>
    private sealed class LiveTimerClock : FakeTimeProvider
    {
        private int _live;
        private int _created;

        public int Live => Volatile.Read(ref _live);

        public int Created => Volatile.Read(ref _created);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            Interlocked.Increment(ref _created);
            Interlocked.Increment(ref _live);
            return new Counted(this, timer);
        }

        private sealed class Counted(LiveTimerClock clock, ITimer inner) : ITimer
        {
            private int _disposed;

            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Decrement(ref clock._live);
                }

                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
