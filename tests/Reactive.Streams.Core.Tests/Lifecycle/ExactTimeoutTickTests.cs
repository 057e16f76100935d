using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Lifecycle;

/// <summary>
/// Every wait bounded by a <see cref="TimeProvider"/> (a canal's pull deadline and linger fill time, a log's tail block,
/// a PauseUpstream push, a dispatcher's drain, a delivery retry's backoff and a partial batch's flush) on a virtual
/// clock: one tick before its timeout it is still waiting, and at exactly its timeout it ends, as
/// <c>Task.WaitAsync(timeout, provider)</c> does (the oracle). The clock is advanced only while the code under test is
/// parked on one of its timers, so no step of virtual time is lost to a timer not yet created.
/// </summary>
public class ExactTimeoutTickTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_tick = TimeSpan.FromTicks(1);

    [Fact]
    public async Task Task_WaitAsync_is_the_oracle_one_tick_before_and_at_the_timeout()
    {
        var clock = new ParkingClock();
        var never = new TaskCompletionSource();
        var wait = never.Task.WaitAsync(s_timeout, clock);

        await clock.AdvanceWhileParkedAsync(s_timeout - s_tick, wait);
        Assert.False(wait.IsCompleted);
        await clock.AdvanceWhileParkedAsync(s_timeout, wait);
        await Assert.ThrowsAsync<TimeoutException>(() => wait.WaitAsync(TestLimits.Hang));
    }

    [Fact]
    public async Task A_cursor_canal_pull_on_an_empty_stream_returns_empty_exactly_at_its_deadline()
    {
        var clock = new ParkingClock();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = clock });

        var pull = canal.PullBatchAsync(10, s_timeout).AsTask();
        await clock.AdvanceWhileParkedAsync(s_timeout - s_tick, pull);
        Assert.False(pull.IsCompleted);
        await clock.AdvanceWhileParkedAsync(s_timeout, pull);

        Assert.True((await pull.WaitAsync(TestLimits.Hang)).IsEmpty);
        Assert.Equal(StreamId.Min, canal.ReadPosition);
    }

    [Fact]
    public async Task A_cursor_canal_pull_holding_fewer_than_its_linger_asks_returns_them_exactly_at_the_fill_time()
    {
        var clock = new ParkingClock();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        var first = await log.AppendAsync("orders", "a", AppendMode.Durable);
        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = clock });

        var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1), new CanalLinger(3, s_timeout)).AsTask();
        await clock.AdvanceWhileParkedAsync(s_timeout - s_tick, pull);
        Assert.False(pull.IsCompleted);
        await clock.AdvanceWhileParkedAsync(s_timeout, pull);

        Assert.Equal([first.Id], (await pull.WaitAsync(TestLimits.Hang)).Select(f => f.Id));
    }

    [Fact]
    public async Task A_group_canal_pull_on_an_empty_stream_returns_empty_exactly_at_its_deadline()
    {
        var clock = new ParkingClock();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        await using var canal = await ConsumerGroupCanal.OpenAsync(log, "orders", "g", "m", new ConsumerGroupCanalOptions { TimeProvider = clock });

        var pull = canal.PullBatchAsync(10, s_timeout).AsTask();
        await clock.AdvanceWhileParkedAsync(s_timeout - s_tick, pull);
        Assert.False(pull.IsCompleted);
        await clock.AdvanceWhileParkedAsync(s_timeout, pull);

        Assert.True((await pull.WaitAsync(TestLimits.Hang)).IsEmpty);
        Assert.Empty(await log.ReadPendingAsync("orders", "g", null, 10));
    }

    [Fact]
    public async Task A_group_canal_pull_holding_fewer_than_its_linger_asks_returns_them_exactly_at_the_fill_time()
    {
        var clock = new ParkingClock();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        await using var canal = await ConsumerGroupCanal.OpenAsync(log, "orders", "g", "m", new ConsumerGroupCanalOptions { TimeProvider = clock });
        var first = await log.AppendAsync("orders", "a", AppendMode.Durable);

        var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1), new CanalLinger(3, s_timeout)).AsTask();
        await clock.AdvanceWhileParkedAsync(s_timeout - s_tick, pull);
        Assert.False(pull.IsCompleted);
        await clock.AdvanceWhileParkedAsync(s_timeout, pull);

        Assert.Equal([first.Id], (await pull.WaitAsync(TestLimits.Hang)).Select(f => f.Id));
    }

    [Fact]
    public async Task A_lossy_pull_on_an_empty_stream_returns_empty_exactly_at_its_deadline()
    {
        var clock = new ParkingClock();
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, clock);

        var pull = canal.PullBatchAsync(10, s_timeout).AsTask();
        await clock.AdvanceWhileParkedAsync(s_timeout - s_tick, pull);
        Assert.False(pull.IsCompleted);
        await clock.AdvanceWhileParkedAsync(s_timeout, pull);

        Assert.True((await pull.WaitAsync(TestLimits.Hang)).IsEmpty);
    }

    [Fact]
    public async Task A_lossy_pull_holding_fewer_than_its_linger_asks_returns_them_exactly_at_the_fill_time()
    {
        var clock = new ParkingClock();
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, clock);
        Assert.True(stream.TryPush(1).IsAccepted);

        var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1), new CanalLinger(3, s_timeout)).AsTask();
        await clock.AdvanceWhileParkedAsync(s_timeout - s_tick, pull);
        Assert.False(pull.IsCompleted);
        await clock.AdvanceWhileParkedAsync(s_timeout, pull);

        Assert.Equal([1], await pull.WaitAsync(TestLimits.Hang));
    }

    [Fact]
    public async Task A_log_tail_returns_empty_exactly_when_its_block_ends()
    {
        var clock = new ParkingClock();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });

        var tail = log.TailAsync("orders", StreamId.Min, s_timeout, 10).AsTask();
        await clock.AdvanceWhileParkedAsync(s_timeout - s_tick, tail);
        Assert.False(tail.IsCompleted);
        await clock.AdvanceWhileParkedAsync(s_timeout, tail);

        Assert.Empty(await tail.WaitAsync(TestLimits.Hang));
    }

    [Theory]
    [InlineData("BoundedStream.PushAsync")]
    [InlineData("BackpressureChannel.WriteAsync")]
    public async Task A_PauseUpstream_push_fails_exactly_at_its_pause_timeout_and_leaves_the_buffer_as_it_was(string surface)
    {
        var clock = new ParkingClock();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = s_timeout, TimeProvider = clock };
        BoundedStream<int>? stream = null;
        Channel<int>? channel = null;
        if (surface == "BoundedStream.PushAsync")
        {
            stream = BoundedStream.Create(options);
        }
        else
        {
            channel = BackpressureChannel.Create(options);
        }

        Func<int, CancellationToken, ValueTask> push = stream is not null ? stream.PushAsync : channel!.Writer.WriteAsync;
        await push(1, default);

        var parked = push(2, default).AsTask();
        await clock.AdvanceWhileParkedAsync(s_timeout - s_tick, parked);
        Assert.False(parked.IsCompleted);
        await clock.AdvanceWhileParkedAsync(s_timeout, parked);

        var error = await Record.ExceptionAsync(() => parked.WaitAsync(TestLimits.Hang));
        Assert.NotNull(error);
        Assert.IsNotType<TimeoutException>(error);
        var read = stream is not null ? await stream.ReadAsync() : await channel!.Reader.ReadAsync();
        Assert.Equal(1, read);
        Assert.False(stream is not null ? stream.TryRead(out _) : channel!.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_drain_ends_exactly_at_its_timeout()
    {
        var clock = new ParkingClock();
        var stuck = new StuckSink();
        var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { TimeProvider = clock }.AddSink(stuck));
        await dispatcher.DispatchAsync(1);
        await stuck.Started.Task.WaitAsync(TestLimits.Hang);

        var shutdown = dispatcher.ShutdownAsync(s_timeout);
        await clock.AdvanceWhileParkedAsync(s_timeout - s_tick, shutdown);
        Assert.False(shutdown.IsCompleted);
        await clock.AdvanceWhileParkedAsync(s_timeout, shutdown);

        Assert.False(await shutdown.WaitAsync(TestLimits.Hang));
        await dispatcher.DisposeAsync();
    }

    [Fact]
    public async Task A_retry_is_written_exactly_when_its_backoff_ends()
    {
        var clock = new ParkingClock();
        var sink = new FailingOnceSink();
        var options = new DeliveryOptions<int> { TimeProvider = clock, BackoffBase = s_timeout, MaxBackoff = s_timeout, BackoffJitter = false };
        await using var dispatcher = new DeliveryDispatcher<int>(options.AddSink(sink));
        await dispatcher.DispatchAsync(1);
        await sink.FirstAttempt.Task.WaitAsync(TestLimits.Hang);

        await clock.AdvanceWhileParkedAsync(s_timeout - s_tick, sink.Written.Task);
        Assert.False(sink.Written.Task.IsCompleted);
        await clock.AdvanceWhileParkedAsync(s_timeout, sink.Written.Task);

        await sink.Written.Task.WaitAsync(TestLimits.Hang);
        Assert.Equal(2, sink.Attempts);
    }

    [Fact]
    public async Task A_partial_batch_is_written_exactly_when_its_batch_flush_ends()
    {
        var clock = new ParkingClock();
        var sink = new BatchSink();
        var options = new DeliveryOptions<int> { TimeProvider = clock, MaxBatch = 10, BatchFlush = s_timeout };
        await using var dispatcher = new DeliveryDispatcher<int>(options.AddSink(sink));
        await dispatcher.DispatchAsync(1);

        await clock.AdvanceWhileParkedAsync(s_timeout - s_tick, sink.Written.Task);
        Assert.False(sink.Written.Task.IsCompleted);
        await clock.AdvanceWhileParkedAsync(s_timeout, sink.Written.Task);

        var written = await sink.Written.Task.WaitAsync(TestLimits.Hang);
        Assert.Equal([1], written);
    }

    private sealed class FailingOnceSink : IDeliverySink<int>
    {
        private int _attempts;

        public TaskCompletionSource FirstAttempt { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Attempts => Volatile.Read(ref _attempts);

        public string Name => "flaky";

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _attempts) == 1)
            {
                FirstAttempt.TrySetResult();
                return ValueTask.FromException(new TimeoutException("transient"));
            }

            Written.TrySetResult();
            return default;
        }
    }

    private sealed class BatchSink : IBatchDeliverySink<int>
    {
        public TaskCompletionSource<int[]> Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "batch";

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken) => WriteBatchAsync([item], cancellationToken);

        public ValueTask WriteBatchAsync(IReadOnlyList<int> items, CancellationToken cancellationToken)
        {
            Written.TrySetResult([.. items]);
            return default;
        }
    }

    private sealed class StuckSink : IDeliverySink<int>
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "stuck";

        public async ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }
    }
}

/// <summary>
/// A <see cref="FakeTimeProvider"/> that knows which of its timers are armed (created or changed, not yet fired or
/// disposed), so a test moves virtual time only while the code under test waits on one.
/// </summary>
internal sealed class ParkingClock : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly HashSet<Armed> _armed = [];
    private readonly long _start;
    private TaskCompletionSource _armedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ParkingClock()
        : base(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero))
    {
        _start = GetTimestamp();
    }

    /// <summary>Virtual time since the clock was made.</summary>
    public TimeSpan Elapsed => GetElapsedTime(_start);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var armed = new Armed(this);
        armed.Inner = base.CreateTimer(static s => ((Armed)s!).Fire(), armed, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        armed.Callback = callback;
        armed.State = state;
        armed.Change(dueTime, period);
        return armed;
    }

    /// <summary>
    /// Moves virtual time to <paramref name="target"/> (measured from the clock's start), one step at a time: each step
    /// waits until the code under test has armed a timer (or <paramref name="work"/> has ended) and goes at most to the
    /// earliest armed timer's due time, so a wait re-armed after a timer fired is not skipped over. Returns once
    /// <paramref name="target"/> is reached and the code has parked again, or <paramref name="work"/> ended.
    /// </summary>
    public async Task AdvanceWhileParkedAsync(TimeSpan target, Task work)
    {
        while (true)
        {
            Task armedSince;
            TimeSpan? nextDue;
            lock (_gate)
            {
                armedSince = _armedSignal.Task;
                nextDue = EarliestDueLocked();
            }

            if (nextDue is null && !work.IsCompleted)
            {
                // Not parked yet: wait until a timer is armed or the work ends, then look again.
                await Task.WhenAny(armedSince, work).WaitAsync(TestLimits.Hang);
                continue;
            }

            var now = Elapsed;
            if (work.IsCompleted || now >= target)
            {
                return;
            }

            var step = nextDue!.Value < target ? nextDue.Value : target;
            Advance(step - now);
        }
    }

    private TimeSpan? EarliestDueLocked()
    {
        TimeSpan? earliest = null;
        foreach (var armed in _armed)
        {
            if (earliest is null || armed.Due < earliest)
            {
                earliest = armed.Due;
            }
        }

        return earliest;
    }

    private sealed class Armed(ParkingClock clock) : ITimer
    {
        private TimeSpan _period;

        public ITimer Inner { get; set; } = null!;

        public TimerCallback Callback { get; set; } = null!;

        public object? State { get; set; }

        public TimeSpan Due { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            TaskCompletionSource? signal = null;
            lock (clock._gate)
            {
                _period = period;
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    clock._armed.Remove(this);
                }
                else
                {
                    Due = clock.Elapsed + dueTime;
                    clock._armed.Add(this);
                    signal = clock._armedSignal;
                    clock._armedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            var changed = Inner.Change(dueTime, period);
            signal?.TrySetResult();
            return changed;
        }

        public void Fire()
        {
            lock (clock._gate)
            {
                if (_period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero)
                {
                    clock._armed.Remove(this);
                }
                else
                {
                    Due = clock.Elapsed + _period;
                }
            }

            Callback(State);
        }

        public void Dispose()
        {
            lock (clock._gate)
            {
                clock._armed.Remove(this);
            }

            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
