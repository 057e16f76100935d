using System.Diagnostics.Metrics;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// Canal edges a user of <c>ChannelReader</c>, Rx and Kafka's consumer reaches for: very long deadlines, sources that
/// emit while being subscribed, pre-cancelled tokens over ready frames, and a failed handler's batch on the lossy canal.
/// </summary>
public class CanalEdgeAuditTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero));

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    [Fact]
    public async Task A_lossy_pull_with_a_deadline_longer_than_one_timer_waits_for_the_next_item()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, _clock);

        var pull = canal.PullBatchAsync(4, TimeSpan.MaxValue).AsTask();
        Assert.False(pull.IsCompleted);
        stream.TryPush(7);

        Assert.Equal(new[] { 7 }, (await pull.WaitAsync(TestLimits.Hang)).ToArray());
    }

    [Fact]
    public async Task A_lossy_lingering_pull_with_a_long_deadline_keeps_its_items_and_returns_them_when_the_linger_is_met()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, _clock);
        stream.TryPush(1);

        var pull = canal.PullBatchAsync(4, TimeSpan.FromDays(60), new CanalLinger(2, Timeout.InfiniteTimeSpan)).AsTask();
        Assert.False(pull.IsCompleted);
        stream.TryPush(2);

        Assert.Equal(new[] { 1, 2 }, (await pull.WaitAsync(TestLimits.Hang)).ToArray());
    }

    [Fact]
    public async Task A_lossy_pull_with_a_deadline_of_sixty_days_returns_Empty_after_sixty_virtual_days()
    {
        var clock = new ArmingClock(_clock);
        await using var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(16), clock);

        var pull = canal.PullBatchAsync(4, TimeSpan.FromDays(60)).AsTask();
        Assert.Equal(1, clock.Armings);

        // One timer measures at most uint.MaxValue - 1 ms: it fires there, and the pull arms the rest of its deadline.
        // The clock moves on only once it has, so the rest is measured from that first step.
        _clock.Advance(TimeSpan.FromMilliseconds(uint.MaxValue - 1));
        await WaitUntilAsync(() => clock.Armings == 2);
        Assert.False(pull.IsCompleted);
        _clock.Advance(TimeSpan.FromDays(59) - TimeSpan.FromMilliseconds(uint.MaxValue - 1));
        Assert.False(pull.IsCompleted);
        _clock.Advance(TimeSpan.FromDays(1));

        Assert.True((await pull.WaitAsync(TestLimits.Hang)).IsEmpty);
    }

    /// <summary>A virtual clock that counts how often a timer is armed (created or changed to a due time).</summary>
    private sealed class ArmingClock(TimeProvider inner) : TimeProvider
    {
        private int _armings;

        public int Armings => Volatile.Read(ref _armings);

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override long GetTimestamp() => inner.GetTimestamp();

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new CountingTimer(this, inner.CreateTimer(callback, state, dueTime, period));
            Counted(dueTime);
            return timer;
        }

        private void Counted(TimeSpan dueTime)
        {
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                Interlocked.Increment(ref _armings);
            }
        }

        private sealed class CountingTimer(ArmingClock clock, ITimer inner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                var changed = inner.Change(dueTime, period);
                clock.Counted(dueTime);
                return changed;
            }

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_lossy_canal_over_an_observable_that_emits_while_subscribed_counts_what_it_skipped()
    {
        await using var canal = LossySubscription.Create(Observable.Range(0, 100), capacity: 10, _clock, "range");

        Assert.Equal(90, canal.Skipped);
        Assert.Equal(Enumerable.Range(90, 10), (await canal.PullBatchAsync(100, TimeSpan.Zero)).ToArray());
        await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(100, TimeSpan.Zero).AsTask());
    }

    [Fact]
    public async Task A_lossy_canal_over_an_observable_refuses_bad_arguments_naming_them_and_subscribes_to_nothing()
    {
        var subject = new Subject<int>();
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => LossySubscription.Create(subject, 0)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => LossySubscription.Create(subject, 4, name: "")).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => LossySubscription.Create((IObservable<int>)null!, 4)).ParamName);
        Assert.False(subject.HasObservers);
        await Task.CompletedTask;
    }
    [Fact]
    public async Task An_observable_canals_stream_series_counts_what_it_skipped_and_what_its_pulls_took()
    {
        var name = $"canal-range-{Guid.NewGuid():N}";
        await using var canal = LossySubscription.Create(Observable.Range(0, 100), capacity: 10, _clock, name);
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        Assert.Equal(Enumerable.Range(90, 4), (await canal.PullBatchAsync(4, TimeSpan.Zero)).ToArray());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.PullBatchAsync(4, TimeSpan.Zero, cancel.Token).AsTask());

        var seen = Collect(name);

        Assert.Equal(100, seen["reactive_streams.stream.items.pushed"]);
        Assert.Equal(90, seen["reactive_streams.stream.items.dropped"]);
        Assert.Equal(4, seen["reactive_streams.stream.items.delivered"]);
        Assert.Equal(6, seen["reactive_streams.stream.depth"]);
        Assert.Equal(canal.Skipped, seen["reactive_streams.stream.items.dropped"]);
        Assert.Equal(name, canal.Name);
    }

    [Fact]
    public async Task An_unnamed_observable_canal_gets_a_generated_stream_name_which_its_closing_reports()
    {
        var subject = new Subject<int>();
        await using var canal = LossySubscription.Create(subject, capacity: 4, _clock);
        subject.OnCompleted();

        Assert.StartsWith("stream-", canal.Name, StringComparison.Ordinal);
        var closed = await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(1, Second).AsTask());
        Assert.Equal(canal.Name, closed.CanalName);
    }

    [Fact]
    public async Task A_cursor_pull_with_a_token_cancelled_before_the_call_takes_nothing_even_when_frames_are_ready()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        await log.AppendAsync("orders", "b", AppendMode.Durable);
        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = _clock });
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.PullBatchAsync(10, Second, cancel.Token).AsTask());
        Assert.Equal(cancel.Token, cancelled.CancellationToken);
        Assert.Equal(StreamId.Min, canal.ReadPosition);
        Assert.Equal(0, canal.Unacknowledged);

        Assert.Equal(new[] { "a", "b" }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(Text));
    }

    [Fact]
    public async Task A_cursor_pull_with_a_deadline_longer_than_one_timer_waits_for_the_next_frame()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = _clock });

        var pull = canal.PullBatchAsync(4, TimeSpan.MaxValue).AsTask();
        Assert.False(pull.IsCompleted);
        await log.AppendAsync("orders", "late", AppendMode.Durable);

        Assert.Equal(new[] { "late" }, (await pull.WaitAsync(TestLimits.Hang)).Select(Text));
    }

    [Fact]
    public async Task A_lossy_batch_whose_handler_failed_goes_to_the_next_worker_first()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, _clock);
        stream.TryPush(1);
        stream.TryPush(2);
        var failing = CanalWorker.Start<int>(canal, (_, _) => throw new FormatException("bad"), new CanalWorkerOptions { MaxBatch = 8, Deadline = TimeSpan.Zero });
        await Assert.ThrowsAsync<FormatException>(() => failing.JoinAsync().WaitAsync(TestLimits.Hang));
        stream.TryPush(3);

        var seen = new List<int>();
        var second = CanalWorker.Start<int>(canal, (batch, _) =>
        {
            lock (seen)
            {
                seen.AddRange(batch);
            }

            return default;
        }, new CanalWorkerOptions { MaxBatch = 8, Deadline = TimeSpan.Zero });
        stream.Complete();

        await second.JoinAsync().WaitAsync(TestLimits.Hang);
        Assert.Equal(new[] { 1, 2, 3 }, seen);
    }

    [Fact]
    public async Task A_cursor_pull_cancelled_while_parked_is_cancelled_with_the_callers_token_and_hands_out_nothing()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = _clock });
        using var cancel = new CancellationTokenSource();

        var pull = canal.PullBatchAsync(4, TimeSpan.FromHours(1), cancel.Token).AsTask();
        await cancel.CancelAsync();

        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.WaitAsync(TestLimits.Hang));
        Assert.Equal(cancel.Token, cancelled.CancellationToken);
        await log.AppendAsync("orders", "x", AppendMode.Durable);
        Assert.Equal(new[] { "x" }, (await canal.PullBatchAsync(4, TimeSpan.Zero)).Select(Text));
    }

    [Fact]
    public async Task Linger_arguments_are_checked_naming_the_parameter()
    {
        Assert.Equal("minItems", Assert.Throws<ArgumentOutOfRangeException>(() => new CanalLinger(0, Second)).ParamName);
        Assert.Equal("fillTime", Assert.Throws<ArgumentOutOfRangeException>(() => new CanalLinger(2, TimeSpan.FromTicks(-1))).ParamName);
        Assert.Equal(CanalLinger.None, default);
        Assert.Equal(1, CanalLinger.None.MinItems);
        await Task.CompletedTask;
    }

    [Fact]
    public void A_linger_prints_None_only_when_it_equals_None()
    {
        Assert.Equal("None", CanalLinger.None.ToString());
        Assert.Equal("None", new CanalLinger(1, TimeSpan.Zero).ToString());
        Assert.NotEqual(CanalLinger.None, new CanalLinger(1, Second));
        Assert.Equal("MinItems=1, FillTime=00:00:01", new CanalLinger(1, Second).ToString());
        Assert.Equal("MinItems=3, FillTime=until deadline", new CanalLinger(3, Timeout.InfiniteTimeSpan).ToString());
    }

    [Fact]
    public async Task A_cursor_pull_disposed_mid_linger_hands_out_nothing_and_the_next_canal_on_the_checkpoint_gets_every_frame()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        await log.AppendAsync("orders", "b", AppendMode.Durable);
        var options = new CursorCanalOptions { CheckpointId = "billing", TimeProvider = _clock };
        var canal = await CursorCanal.OpenAsync(log, "orders", options);
        await canal.CommitAsync((await canal.PullBatchAsync(1, TimeSpan.Zero)).Last);
        await log.AppendAsync("orders", "c", AppendMode.Durable);

        // b and c are read; the pull lingers for a fourth frame when the canal is disposed.
        var lingering = canal.PullBatchAsync(10, TimeSpan.FromHours(1), new CanalLinger(3, Timeout.InfiniteTimeSpan)).AsTask();
        await canal.DisposeAsync();

        await Assert.ThrowsAsync<CanalClosedException>(() => lingering.WaitAsync(TestLimits.Hang));
        Assert.Equal(0, canal.Unacknowledged);
        await using var next = await CursorCanal.OpenAsync(log, "orders", options);
        Assert.Equal(new[] { "b", "c" }, (await next.PullBatchAsync(10, TimeSpan.Zero)).Select(Text));
    }

    [Fact]
    public async Task A_worker_stopped_while_its_handler_runs_commits_a_batch_the_handler_finished_anyway()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { CheckpointId = "billing", TimeProvider = _clock });
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = CanalWorker.Start<StreamFrame>(canal, async (_, _) =>
        {
            entered.SetResult();
            await release.Task; // ignores the stop: the batch is handled all the same
        }, new CanalWorkerOptions { Deadline = TimeSpan.FromHours(1) });
        await entered.Task.WaitAsync(TestLimits.Hang);

        worker.Stop();
        release.SetResult();
        await worker.JoinAsync().WaitAsync(TestLimits.Hang);

        Assert.Equal(canal.ReadPosition, await log.ReadCheckpointAsync("billing"));
        Assert.Equal(0, canal.Unacknowledged);
    }

    /// <summary>
    /// As <c>ChannelReader.ReadAsync</c> on a completed channel: a token cancelled before the call reports the
    /// cancellation, not the closed canal.
    /// </summary>
    [Theory]
    [InlineData("lossy")]
    [InlineData("cursor")]
    [InlineData("group")]
    public async Task A_pull_on_a_disposed_canal_with_a_token_cancelled_before_the_call_is_cancelled_as_a_channel_read_is(string kind)
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        ICanal<StreamFrame> canal = kind switch
        {
            "lossy" => LossySubscription.Create(BoundedStream.DropOldest<StreamFrame>(4), _clock),
            "cursor" => await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = _clock }),
            _ => await ConsumerGroupCanal.OpenAsync(log, "orders", "g", "c", new ConsumerGroupCanalOptions { TimeProvider = _clock }),
        };
        await canal.DisposeAsync();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.PullBatchAsync(4, Second, cancelled.Token).AsTask());
        Assert.Equal(cancelled.Token, error.CancellationToken);
        await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(4, Second).AsTask());

        var channel = System.Threading.Channels.Channel.CreateBounded<int>(4);
        channel.Writer.Complete();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channel.Reader.ReadAsync(cancelled.Token).AsTask());
    }

    [Fact]
    public async Task A_cursor_canal_disposed_while_the_worker_handles_a_batch_ends_the_worker_as_closed_and_the_batch_is_redelivered()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        var options = new CursorCanalOptions { CheckpointId = "billing", TimeProvider = _clock };
        var canal = await CursorCanal.OpenAsync(log, "orders", options);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = CanalWorker.Start<StreamFrame>(canal, async (_, _) =>
        {
            entered.TrySetResult();
            await release.Task;
        }, new CanalWorkerOptions { Deadline = TimeSpan.FromHours(1) });
        await entered.Task.WaitAsync(TestLimits.Hang);

        await canal.DisposeAsync();
        release.SetResult();

        // The docs' table: a canal that was disposed ends the loop successfully; the batch was not committed.
        await worker.JoinAsync().WaitAsync(TestLimits.Hang);
        Assert.Null(await log.ReadCheckpointAsync("billing"));
        await using var next = await CursorCanal.OpenAsync(log, "orders", options);
        var again = await next.PullBatchAsync(8, TimeSpan.Zero);
        Assert.Equal(new[] { "a" }, again.ToArray().Select(Text));
    }

    [Fact]
    public async Task A_handler_that_fails_after_the_stop_with_an_error_of_its_own_faults_the_worker_and_its_batch_is_given_back()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, _clock);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = CanalWorker.Start<int>(canal, async (_, _) =>
        {
            entered.SetResult();
            await release.Task;
            throw new FormatException("bad item");
        }, new CanalWorkerOptions { Deadline = TimeSpan.FromHours(1) });
        stream.TryPush(1);
        await entered.Task.WaitAsync(TestLimits.Hang);

        worker.Stop();
        release.SetResult();

        Assert.Equal("bad item", (await Assert.ThrowsAsync<FormatException>(() => worker.JoinAsync().WaitAsync(TestLimits.Hang))).Message);
        Assert.Equal(new[] { 1 }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).ToArray());
    }

    [Fact]
    public async Task A_worker_delivering_empty_batches_calls_its_handler_at_each_deadline_in_virtual_time()
    {
        await using var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(16), _clock);
        var calls = 0;
        var worker = CanalWorker.Start<int>(canal, (batch, _) =>
        {
            Assert.True(batch.IsEmpty);
            Interlocked.Increment(ref calls);
            return default;
        }, new CanalWorkerOptions { Deadline = Second, DeliverEmptyBatches = true });

        // Nothing arrives, so only the virtual clock's deadlines end the pulls; each one hands the handler an Empty batch.
        Assert.Equal(0, Volatile.Read(ref calls));
        var started = TimeProvider.System.GetTimestamp();
        while (Volatile.Read(ref calls) < 3)
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < TestLimits.Hang, "the handler was not called");
            _clock.Advance(Second);
            await Task.Yield();
        }

        await worker.StopAndJoinAsync().WaitAsync(TestLimits.Hang);
        Assert.True(calls >= 3);
    }

    [Fact]
    public async Task A_lingering_pull_on_the_test_schedulers_clock_returns_at_its_fill_time()
    {
        var scheduler = new Reactive.Streams.Testing.TestScheduler();
        var stream = BoundedStream.DropOldest<int>(16);
        var clock = new ArmingClock(Reactive.Streams.Testing.SchedulerTimeProviderExtensions.AsTimeProvider(scheduler));
        await using var canal = LossySubscription.Create(stream, clock);
        stream.TryPush(1);

        var pull = canal.PullBatchAsync(10, TimeSpan.FromSeconds(10), new CanalLinger(5, TimeSpan.FromSeconds(2))).AsTask();
        Assert.Equal(1, clock.Armings);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
        stream.TryPush(2);

        // The pull takes 2 and arms the rest of its fill time before the clock moves on.
        await WaitUntilAsync(() => clock.Armings == 2);
        Assert.Equal(0, stream.Depth);
        Assert.False(pull.IsCompleted);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        Assert.Equal(new[] { 1, 2 }, (await pull.WaitAsync(TestLimits.Hang)).ToArray());
    }

    [Fact]
    public async Task A_cursor_pull_above_the_logs_read_cap_takes_every_ready_frame_and_a_linger_counts_across_reads()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock, MaxReadCount = 2 });
        for (var i = 0; i < 5; i++)
        {
            await log.AppendAsync("orders", $"f{i}", AppendMode.Durable);
        }

        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { TimeProvider = _clock });
        Assert.Equal(new[] { "f0", "f1", "f2", "f3", "f4" }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).Select(Text));

        for (var i = 5; i < 8; i++)
        {
            await log.AppendAsync("orders", $"f{i}", AppendMode.Durable);
        }

        // Three ready, a linger of four: the pull reads the three in two reads and parks for the fourth.
        var pull = canal.PullBatchAsync(10, TimeSpan.FromHours(1), new CanalLinger(4, Timeout.InfiniteTimeSpan)).AsTask();
        Assert.False(pull.IsCompleted);
        await log.AppendAsync("orders", "f8", AppendMode.Durable);
        await log.AppendAsync("orders", "f9", AppendMode.Durable);

        var batch = await pull.WaitAsync(TestLimits.Hang);
        Assert.Equal(new[] { "f5", "f6", "f7", "f8" }, batch.Take(4).Select(Text));
        Assert.InRange(batch.Count, 4, 5);
    }

    [Fact]
    public async Task Two_lossy_canals_parked_on_one_stream_each_get_an_item_as_competing_readers_of_a_channel_do()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var left = LossySubscription.Create(stream, _clock);
        await using var right = LossySubscription.Create(stream, _clock);
        var leftPull = left.PullBatchAsync(1, TimeSpan.FromHours(1)).AsTask();
        var rightPull = right.PullBatchAsync(1, TimeSpan.FromHours(1)).AsTask();

        stream.TryPush(1);
        var first = await Task.WhenAny(leftPull, rightPull).WaitAsync(TestLimits.Hang);
        stream.TryPush(2);
        var second = first == leftPull ? rightPull : leftPull;

        Assert.Equal(1, (await first)[0]);
        Assert.Equal(2, (await second.WaitAsync(TestLimits.Hang))[0]);
    }

    [Fact]
    public async Task A_resumed_cursor_canal_reads_and_commits_from_its_checkpoint_before_any_pull()
    {
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = _clock });
        await log.AppendAsync("orders", "a", AppendMode.Durable);
        await log.AppendAsync("orders", "b", AppendMode.Durable);
        var options = new CursorCanalOptions { CheckpointId = "billing", TimeProvider = _clock };
        await using (var first = await CursorCanal.OpenAsync(log, "orders", options))
        {
            await first.CommitAsync((await first.PullBatchAsync(1, TimeSpan.Zero)).Last);
        }

        await using var resumed = await CursorCanal.OpenAsync(log, "orders", options);
        var checkpoint = await log.ReadCheckpointAsync("billing");

        Assert.Equal(checkpoint, resumed.ReadPosition);
        Assert.Equal(checkpoint, resumed.CommittedPosition);
        Assert.Equal(0, resumed.Unacknowledged);
        Assert.Equal(new[] { "b" }, (await resumed.PullBatchAsync(10, TimeSpan.Zero)).Select(Text));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < TestLimits.Hang, "the condition never held");
            await Task.Yield();
        }
    }

    private static Dictionary<string, long> Collect(string streamName)
    {
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
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
                if (tag.Key == StreamMeter.StreamNameAttribute && tag.Value as string == streamName)
                {
                    seen[instrument.Name] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }
}
