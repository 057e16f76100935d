using Reactive.Streams.Tests.Support;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Reactive.Streams.Testing;

namespace Reactive.Streams.Tests.Delivery;

public class DeliveryDispatcherTests
{
    private static readonly TimeSpan Ms100 = TimeSpan.FromMilliseconds(100);

    /// <summary>Options on <paramref name="time"/> with a 100 ms backoff base, a 1 s cap and the sinks given.</summary>
    internal static DeliveryOptions<int> Options(RecordingTimeProvider time, params IDeliverySink<int>[] sinks)
    {
        var options = new DeliveryOptions<int> { TimeProvider = time, BackoffBase = Ms100, MaxBackoff = TimeSpan.FromSeconds(1) };
        foreach (var sink in sinks)
        {
            options.AddSink(sink);
        }

        return options;
    }

    [Fact]
    public async Task One_sink_delivers_and_acks_every_item_in_order()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("file");
        await using var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        var acks = Enumerable.Range(0, 1000).Select(_ => new CountingAck()).ToArray();

        for (var i = 0; i < acks.Length; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        await Task.WhenAll(acks.Select(a => a.First));
        Assert.Equal(Enumerable.Range(0, 1000), sink.Committed);
        Assert.All(acks, a => Assert.Equal(1, a.Count));
        Assert.Equal(1000, dispatcher.AcknowledgedCount);
        Assert.Equal(new DeliverySinkMetrics("file", 1000, 0, 0, 0, 0, 0), dispatcher.GetSinkMetrics("file"));
        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.Zero));
        Assert.All(acks, a => Assert.Equal(1, a.Count));
    }

    [Fact]
    public async Task Transient_failures_are_retried_after_backoff_then_succeed_with_no_dead_letter()
    {
        var time = new RecordingTimeProvider();
        var start = time.GetUtcNow();
        var sink = new RecordingSink<int>("webhook", time, (_, attempt, _) =>
            attempt <= 2 ? ValueTask.FromException(new IOException($"attempt {attempt}")) : ValueTask.CompletedTask);
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, sink);
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(7, ack);
        Assert.Equal(Ms100, await time.NextTimerAsync());
        time.Advance(Ms100);
        Assert.Equal(2 * Ms100, await time.NextTimerAsync());
        Assert.False(ack.First.IsCompleted);
        time.Advance(2 * Ms100);
        await ack.First;

        Assert.Equal([7], sink.Committed);
        Assert.Equal([TimeSpan.Zero, Ms100, 3 * Ms100], sink.AttemptTimes.Select(t => t - start));
        Assert.Empty(deadLetters.Committed);
        Assert.Equal(1, ack.Count);
        Assert.Equal(new DeliverySinkMetrics("webhook", 1, 0, 2, 0, 0, 0), dispatcher.GetSinkMetrics("webhook"));
    }

    [Fact]
    public async Task Terminal_failure_goes_to_the_dead_letter_sink_with_the_reason_and_still_acks()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("queue", time, (item, attempt, _) => ValueTask.FromException(new IOException($"down {item}/{attempt}")));
        var healthy = new RecordingSink<int>("file");
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, sink, healthy);
        options.MaxRetries = 2;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(42, ack);
        time.Advance(await time.NextTimerAsync());
        time.Advance(await time.NextTimerAsync());
        await ack.First;

        var letter = Assert.Single(deadLetters.Committed);
        Assert.Equal(42, letter.Item);
        Assert.Equal("queue", letter.SinkName);
        Assert.Equal(3, letter.Attempts);
        Assert.Equal("down 42/3", Assert.IsType<IOException>(letter.Error).Message);
        Assert.Equal(time.GetUtcNow(), letter.FailedAt);
        Assert.Equal(3, sink.Attempts);
        Assert.Empty(sink.Committed);
        Assert.Equal([42], healthy.Committed);
        Assert.Equal(1, ack.Count);
        Assert.Equal(new DeliverySinkMetrics("queue", 0, 0, 2, 1, 0, 0), dispatcher.GetSinkMetrics("queue"));
    }

    [Fact]
    public async Task Permanent_failure_makes_exactly_one_attempt_and_is_dead_lettered()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("queue", time, (_, _, _) => throw new PermanentDeliveryException("schema rejected"));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, sink);
        options.MaxRetries = 5;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await ack.First;

        Assert.Equal(1, sink.Attempts);
        var letter = Assert.Single(deadLetters.Committed);
        Assert.Equal(1, letter.Attempts);
        Assert.IsType<PermanentDeliveryException>(letter.Error);
        Assert.Empty(time.AllTimers);
        Assert.Equal(0, dispatcher.GetSinkMetrics("queue").Retries);
    }

    [Fact]
    public async Task A_classifier_that_calls_an_error_permanent_skips_the_retries()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("queue", time, (_, _, _) => throw new UnauthorizedAccessException());
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, sink);
        options.DeadLetterSink = deadLetters;
        options.IsTransient = static e => e is IOException;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await ack.First;

        Assert.Equal(1, sink.Attempts);
        Assert.IsType<UnauthorizedAccessException>(Assert.Single(deadLetters.Committed).Error);
    }

    [Fact]
    public async Task A_classifier_that_throws_makes_the_failure_permanent()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("queue", time, (_, _, _) => throw new IOException());
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, sink);
        options.DeadLetterSink = deadLetters;
        options.IsTransient = static _ => throw new InvalidOperationException("classifier bug");
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await ack.First;

        Assert.Equal(1, sink.Attempts);
        Assert.IsType<IOException>(Assert.Single(deadLetters.Committed).Error);
    }

    [Fact]
    public async Task Terminal_failure_without_a_dead_letter_sink_is_logged_and_discarded_and_still_acks()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var sink = new RecordingSink<int>("queue", time, (_, _, _) => throw new PermanentDeliveryException("nope"));
        var options = Options(time, sink);
        options.Logger = logger;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await ack.First;

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("'queue'", entry.Message, StringComparison.Ordinal);
        Assert.IsType<PermanentDeliveryException>(entry.Error);
        Assert.Equal(1, dispatcher.GetSinkMetrics("queue").Discarded);
    }

    [Fact]
    public async Task A_failing_dead_letter_sink_is_retried_then_the_item_is_discarded_and_logged_critical()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var sink = new RecordingSink<int>("queue", time, (_, _, _) => throw new PermanentDeliveryException("nope"));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (_, _, _) => throw new IOException("disk full"));
        var options = Options(time, sink);
        options.Logger = logger;
        options.MaxRetries = 1;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        time.Advance(await time.NextTimerAsync());
        await ack.First;

        Assert.Equal(2, deadLetters.Attempts);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Critical, entry.Level);
        Assert.Contains("after 2 attempt(s)", entry.Message, StringComparison.Ordinal);

        // The dead letter's retry is not a retry of a write to the sink: the sink's Retries counts only those.
        Assert.Equal(new DeliverySinkMetrics("queue", 0, 0, 0, 0, 1, 0), dispatcher.GetSinkMetrics("queue"));
    }

    [Fact]
    public async Task A_sinks_Retries_counts_the_retries_of_its_writes_and_not_those_of_its_dead_letters()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("queue", time, (item, _, _) => ValueTask.FromException(new IOException($"down {item}")));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (_, attempt, _) =>
            attempt <= 2 ? ValueTask.FromException(new IOException("dead-letter store busy")) : ValueTask.CompletedTask);
        var options = Options(time, sink);
        options.MaxRetries = 2;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(9, ack);
        for (var backoff = 0; backoff < 4; backoff++)
        {
            // Two retries of the write, then two of the dead letter.
            time.Advance(await time.NextTimerAsync());
        }

        await ack.First;
        Assert.Equal(3, sink.Attempts);
        Assert.Equal(3, deadLetters.Attempts);
        var letter = Assert.Single(deadLetters.Committed);
        Assert.Equal(3, letter.Attempts);
        Assert.Equal(new DeliverySinkMetrics("queue", 0, 0, 2, 1, 0, 0), dispatcher.GetSinkMetrics("queue"));
    }

    [Fact]
    public async Task The_ack_waits_for_a_slow_sink_and_fires_once_it_commits()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fast = new RecordingSink<int>("fast");
        var slow = new RecordingSink<int>("slow", time, async (_, _, ct) => await gate.Task.WaitAsync(ct));
        await using var dispatcher = new DeliveryDispatcher<int>(Options(time, fast, slow));
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(5, ack);
        await fast.WhenCommitted(1);
        Assert.Equal(0, ack.Count);

        gate.SetResult();
        await ack.First;
        Assert.Equal([5], slow.Committed);
        Assert.Equal(1, ack.Count);
    }

    [Fact]
    public async Task A_best_effort_sink_never_holds_the_ack_back()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var durable = new RecordingSink<int>("durable");
        var shipper = new RecordingSink<int>("shipper", time, async (_, _, ct) => await gate.Task.WaitAsync(ct));
        var options = Options(time, durable);
        options.AddSink(shipper, new DeliverySinkOptions { BestEffort = true });
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(5, ack);
        await ack.First;
        Assert.Empty(shipper.Committed);

        gate.SetResult();
        await shipper.WhenCommitted(1);
        Assert.Equal(1, ack.Count);
    }

    [Fact]
    public async Task Only_best_effort_sinks_ack_as_soon_as_the_item_is_queued()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var shipper = new RecordingSink<int>("shipper", time, async (_, _, ct) => await gate.Task.WaitAsync(ct));
        var options = new DeliveryOptions<int> { TimeProvider = time }.AddSink(shipper, new DeliverySinkOptions { BestEffort = true });
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        var dispatch = dispatcher.DispatchAsync(5, ack);

        Assert.True(dispatch.IsCompletedSuccessfully);
        Assert.Equal(1, ack.Count);
        gate.SetResult();
    }

    [Fact]
    public async Task An_item_every_holding_sink_dropped_is_acked_by_the_dispatch_itself()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stalled = new RecordingSink<int>("stalled", time, async (_, _, ct) => await gate.Task.WaitAsync(ct));
        var options = new DeliveryOptions<int> { TimeProvider = time, OnFull = OnFull.Drop, QueueCapacity = 1, MaxBatch = 1 };
        options.AddSink(stalled);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        await dispatcher.DispatchAsync(0);
        await WaitUntil(() => stalled.Attempts == 1);
        await dispatcher.DispatchAsync(1);
        var dispatchingThread = Environment.CurrentManagedThreadId;
        var ackedOn = -1;

        // The sink holds acknowledgements, but it dropped this item: the dispatch releases the last hold and acks it.
        var dispatch = dispatcher.DispatchAsync(2, new CallbackAck(() => ackedOn = Environment.CurrentManagedThreadId));

        Assert.True(dispatch.IsCompletedSuccessfully);
        Assert.Equal(dispatchingThread, ackedOn);
        Assert.Equal(1, dispatcher.GetSinkMetrics("stalled").Dropped);
        gate.SetResult();
    }

    [Fact]
    public async Task Drop_never_blocks_and_acks_every_event_exactly_once()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stalled = new RecordingSink<int>("metrics", time, async (_, _, ct) => await gate.Task.WaitAsync(ct));
        var options = new DeliveryOptions<int> { TimeProvider = time, OnFull = OnFull.Drop, QueueCapacity = 8, MaxBatch = 1 };
        options.AddSink(stalled);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 1000).Select(_ => new CountingAck()).ToArray();

        for (var i = 0; i < acks.Length; i++)
        {
            var dispatch = dispatcher.DispatchAsync(i, acks[i]);
            Assert.True(dispatch.IsCompletedSuccessfully, $"Dispatch {i} waited.");
        }

        // The stalled worker holds at most one item in flight and eight queued; every other item was dropped and acked.
        var metrics = dispatcher.GetSinkMetrics("metrics");
        Assert.InRange(metrics.Dropped, 1000 - 9, 1000 - 8);
        Assert.Equal(metrics.Dropped, acks.Count(a => a.Count == 1));

        gate.SetResult();
        await Task.WhenAll(acks.Select(a => a.First));
        Assert.All(acks, a => Assert.Equal(1, a.Count));
        Assert.Equal(1000 - metrics.Dropped, stalled.Committed.Count);
        Assert.Equal(1000, dispatcher.AcknowledgedCount);
    }

    [Fact]
    public async Task Block_makes_the_dispatch_wait_for_room_in_a_full_queue()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new RecordingSink<int>("slow", time, async (_, _, ct) => await gate.Task.WaitAsync(ct));
        var options = new DeliveryOptions<int> { TimeProvider = time, QueueCapacity = 2, MaxBatch = 1 }.AddSink(slow);
        await using var dispatcher = new DeliveryDispatcher<int>(options);

        await dispatcher.DispatchAsync(0);
        await WaitUntil(() => slow.Attempts == 1);
        await dispatcher.DispatchAsync(1);
        await dispatcher.DispatchAsync(2);
        var blocked = dispatcher.DispatchAsync(3).AsTask();
        Assert.False(blocked.IsCompleted);

        gate.SetResult();
        await blocked.WaitAsync(TestLimits.Hang);
        await slow.WhenCommitted(4);
        Assert.Equal([0, 1, 2, 3], slow.Committed);
    }

    [Fact]
    public async Task Backoff_is_exponential_from_the_base_and_capped_at_the_ceiling()
    {
        var time = new RecordingTimeProvider();
        var start = time.GetUtcNow();
        var sink = new RecordingSink<int>("flaky", time, (_, _, _) => throw new IOException("down"));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, sink);
        options.MaxRetries = 6;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);

        await dispatcher.DispatchAsync(1);
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            var due = await time.NextTimerAsync();
            delays.Add(due);
            time.Advance(due);
        }

        await deadLetters.WhenCommitted(1);
        Assert.Equal(new[] { 100, 200, 400, 800, 1000, 1000 }.Select(ms => TimeSpan.FromMilliseconds(ms)), delays);
        Assert.Equal(new[] { 0, 100, 300, 700, 1500, 2500, 3500 }.Select(ms => TimeSpan.FromMilliseconds(ms)), sink.AttemptTimes.Select(t => t - start));
        Assert.Equal(7, deadLetters.Committed[0].Attempts);
    }

    [Fact]
    public async Task A_TestScheduler_drives_the_backoff_through_AsTimeProvider()
    {
        var scheduler = new TestScheduler();
        var time = new TimerReportingTimeProvider(scheduler.AsTimeProvider());
        var sink = new RecordingSink<int>("webhook", time, (_, attempt, _) => attempt <= 2 ? throw new IOException() : ValueTask.CompletedTask);
        var options = new DeliveryOptions<int> { TimeProvider = time, BackoffBase = Ms100 }.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        Assert.Equal(Ms100, await time.NextTimerAsync());
        scheduler.AdvanceBy(Ms100.Ticks);
        Assert.Equal(2 * Ms100, await time.NextTimerAsync());
        scheduler.AdvanceBy(2 * Ms100.Ticks);
        await ack.First;

        Assert.Equal([0, Ms100.Ticks, 3 * Ms100.Ticks], sink.AttemptTimes.Select(t => t.UtcTicks));
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(3, 400)]
    [InlineData(4, 800)]
    [InlineData(9, 25_600)]
    [InlineData(10, 30_000)]
    [InlineData(1000, 30_000)]
    [InlineData(int.MaxValue, 30_000)]
    public void Backoff_doubles_per_retry_up_to_the_ceiling(int retry, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Backoff.Compute(retry, Ms100, TimeSpan.FromSeconds(30), jitter: null));
    }

    [Theory]
    [InlineData(29)]
    [InlineData(64)]
    [InlineData(int.MaxValue)]
    public void Backoff_from_a_long_base_reaches_the_ceiling_without_overflowing_a_TimeSpan(int retry)
    {
        // The SQLite tail's polling and the PostgreSQL listener's reconnects back off through this too, from intervals of
        // hours or days: base · 2^(retry-1) passes TimeSpan.MaxValue long before the retries run out.
        Assert.Equal(TimeSpan.FromDays(60), Backoff.Compute(retry, TimeSpan.FromHours(1), TimeSpan.FromDays(60), jitter: null));
        Assert.Equal(TimeSpan.MaxValue.Ticks / 2, Backoff.Compute(retry, TimeSpan.FromDays(30), TimeSpan.MaxValue, jitter: 0).Ticks, tolerance: 1);
    }

    [Fact]
    public void Jittered_backoff_stays_between_half_the_delay_and_the_delay()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(200), Backoff.Compute(3, Ms100, TimeSpan.FromSeconds(30), jitter: 0));
        Assert.Equal(TimeSpan.FromMilliseconds(300), Backoff.Compute(3, Ms100, TimeSpan.FromSeconds(30), jitter: 0.5));
        Assert.Equal(TimeSpan.FromSeconds(15), Backoff.Compute(50, Ms100, TimeSpan.FromSeconds(30), jitter: 0));
        Assert.True(Backoff.Compute(50, Ms100, TimeSpan.FromSeconds(30), jitter: 0.999999) <= TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Jittered_retries_wait_between_half_the_delay_and_the_delay()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("flaky", time, (_, attempt, _) => attempt <= 3 ? throw new IOException() : ValueTask.CompletedTask);
        var options = Options(time, sink);
        options.BackoffJitter = true;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        for (var retry = 1; retry <= 3; retry++)
        {
            var due = await time.NextTimerAsync();
            var full = Backoff.Compute(retry, Ms100, TimeSpan.FromSeconds(1), null);
            Assert.InRange(due, full / 2, full);
            time.Advance(due);
        }

        await ack.First;
    }

    [Fact]
    public async Task A_batch_sink_gets_what_is_queued_up_to_MaxBatch_in_one_call()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingBatchSink<int>("bulk", async (_, attempt) =>
        {
            if (attempt == 1)
            {
                await gate.Task;
            }
        });
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxBatch = 4 }.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);

        await dispatcher.DispatchAsync(0);
        await WaitUntil(() => sink.BatchAttempts == 1);
        for (var i = 1; i <= 9; i++)
        {
            await dispatcher.DispatchAsync(i);
        }

        gate.SetResult();
        await sink.WhenCommitted(10);
        Assert.Equal([[0], [1, 2, 3, 4], [5, 6, 7, 8], [9]], sink.Batches);
    }

    [Fact]
    public async Task A_partial_batch_is_flushed_after_BatchFlush()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingBatchSink<int>("bulk");
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxBatch = 4, BatchFlush = TimeSpan.FromSeconds(2) }.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(0, ack);
        Assert.Equal(TimeSpan.FromSeconds(2), await time.NextTimerAsync());
        await dispatcher.DispatchAsync(1);
        time.Advance(TimeSpan.FromSeconds(1.999));
        Assert.Empty(sink.Batches);
        Assert.Equal(0, ack.Count);

        time.Advance(TimeSpan.FromMilliseconds(1));
        await sink.WhenCommitted(2);
        await ack.First;
        Assert.Equal([[0, 1]], sink.Batches);

        // A batch that fills up is written at once, with no wait for the timer.
        for (var i = 2; i < 6; i++)
        {
            await dispatcher.DispatchAsync(i);
        }

        await sink.WhenCommitted(6);
        Assert.Equal([[0, 1], [2, 3, 4, 5]], sink.Batches);
    }

    [Fact]
    public async Task A_failing_batch_is_retried_whole_and_dead_lettered_item_by_item()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingBatchSink<int>("bulk", async (_, attempt) =>
        {
            if (attempt == 1)
            {
                await gate.Task;
                return;
            }

            throw new IOException("bulk down");
        });
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxBatch = 8, MaxRetries = 1, DeadLetterSink = deadLetters }.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 4).Select(_ => new CountingAck()).ToArray();

        await dispatcher.DispatchAsync(0, acks[0]);
        await WaitUntil(() => sink.BatchAttempts == 1);
        for (var i = 1; i < 4; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        gate.SetResult();
        time.Advance(await time.NextTimerAsync());
        await Task.WhenAll(acks.Select(a => a.First));

        Assert.Equal(3, sink.BatchAttempts);
        Assert.Equal([1, 2, 3], deadLetters.Committed.Select(l => l.Item));
        Assert.All(deadLetters.Committed, l => Assert.Equal(2, l.Attempts));
        Assert.Equal(new DeliverySinkMetrics("bulk", 1, 0, 1, 3, 0, 0), dispatcher.GetSinkMetrics("bulk"));
    }

    [Theory]
    [InlineData(int.MaxValue, DeliveryOptions<int>.DefaultQueueCapacity)]
    [InlineData(int.MaxValue, int.MaxValue)]
    [InlineData(DeliveryOptions<int>.DefaultMaxBatch, int.MaxValue)]
    public async Task MaxBatch_and_QueueCapacity_are_bounds_so_int_MaxValue_takes_whatever_is_queued(int maxBatch, int capacity)
    {
        // As Channel.CreateBounded(int.MaxValue): a valid bound allocates nothing up front.
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingBatchSink<int>("bulk", async (_, attempt) =>
        {
            if (attempt == 1)
            {
                await gate.Task;
            }
        });
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxBatch = maxBatch, QueueCapacity = capacity }.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);

        await dispatcher.DispatchAsync(0);
        await WaitUntil(() => sink.BatchAttempts == 1);
        for (var i = 1; i <= 5; i++)
        {
            await dispatcher.DispatchAsync(i);
        }

        gate.SetResult();
        await sink.WhenCommitted(6);
        Assert.Equal([[0], [1, 2, 3, 4, 5]], sink.Batches);
    }

    [Fact]
    public async Task The_dead_letters_of_a_failed_batch_carry_the_time_the_batch_failed()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingBatchSink<int>("bulk", async (_, attempt) =>
        {
            if (attempt == 1)
            {
                await gate.Task;
                return;
            }

            throw new PermanentDeliveryException("rejected");
        });

        // Each dead letter's first write fails and is retried after the 100 ms backoff: 200 ms pass between the first
        // dead letter and the last, but the items failed together.
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (_, attempt, _) =>
            attempt == 1 ? ValueTask.FromException(new IOException("busy")) : ValueTask.CompletedTask);
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxBatch = 8, BackoffBase = Ms100, DeadLetterSink = deadLetters }.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 3).Select(_ => new CountingAck()).ToArray();
        await dispatcher.DispatchAsync(0, acks[0]);
        await WaitUntil(() => sink.BatchAttempts == 1);
        await dispatcher.DispatchAsync(1, acks[1]);
        await dispatcher.DispatchAsync(2, acks[2]);
        var failedAt = time.GetUtcNow();

        gate.SetResult();
        time.Advance(await time.NextTimerAsync());
        time.Advance(await time.NextTimerAsync());
        await Task.WhenAll(acks.Select(a => a.First));

        Assert.Equal([(1, failedAt), (2, failedAt)], deadLetters.Committed.Select(l => (l.Item, l.FailedAt)));
        Assert.Equal(failedAt + (2 * Ms100), time.GetUtcNow());
    }

    [Fact]
    public async Task A_classifier_that_calls_a_later_error_permanent_dead_letters_with_the_attempts_so_far()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("s", time, (_, attempt, _) =>
            attempt == 1 ? ValueTask.FromException(new IOException("flaky")) : ValueTask.FromException(new UnauthorizedAccessException("denied")));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxRetries = 5, IsTransient = e => e is IOException, DeadLetterSink = deadLetters }.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(3, ack);
        time.Advance(await time.NextTimerAsync());
        await ack.First;

        var letter = Assert.Single(deadLetters.Committed);
        Assert.Equal((2, "denied"), (letter.Attempts, Assert.IsType<UnauthorizedAccessException>(letter.Error).Message));
        Assert.Equal(new DeliverySinkMetrics("s", 0, 0, 1, 1, 0, 0), dispatcher.GetSinkMetrics("s"));
    }

    [Fact]
    public async Task A_null_item_is_delivered_and_acked_as_a_bounded_channel_carries_it()
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<string?>(1);
        await channel.Writer.WriteAsync(null);
        Assert.Null(await channel.Reader.ReadAsync());

        var sink = new NullableSink();
        await using var dispatcher = new DeliveryDispatcher<string?>(new DeliveryOptions<string?>().AddSink(sink));
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(null, ack);
        await ack.First;

        Assert.Equal([null], sink.Items);
    }

    [Fact]
    public async Task Per_sink_options_override_the_global_ones()
    {
        var time = new RecordingTimeProvider();
        var failing = new RecordingSink<int>("a", time, (_, _, _) => throw new IOException());
        var alsoFailing = new RecordingSink<int>("b", time, (_, _, _) => throw new IOException());
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxRetries = 0, DeadLetterSink = deadLetters };
        options.AddSink(failing).AddSink(alsoFailing, new DeliverySinkOptions { MaxRetries = 1, BackoffBase = TimeSpan.FromSeconds(5), MaxBackoff = TimeSpan.FromSeconds(5) });
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        Assert.Equal(TimeSpan.FromSeconds(5), await time.NextTimerAsync());
        time.Advance(TimeSpan.FromSeconds(5));
        await ack.First;

        Assert.Equal(1, failing.Attempts);
        Assert.Equal(2, alsoFailing.Attempts);
        Assert.Equal([("a", 1), ("b", 2)], deadLetters.Committed.Select(l => (l.SinkName, l.Attempts)).Order());
    }

    [Fact]
    public async Task Shutdown_drains_within_the_timeout_and_acks_everything_drained()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("file");
        var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        var acks = Enumerable.Range(0, 100).Select(_ => new CountingAck()).ToArray();
        for (var i = 0; i < acks.Length; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        var drained = await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang);

        Assert.True(drained);
        Assert.All(acks, a => Assert.Equal(1, a.Count));
        Assert.Equal(Enumerable.Range(0, 100), sink.Committed);
    }

    [Fact]
    public async Task Shutdown_leaves_what_did_not_drain_unacked_and_rejects_later_dispatches()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var canceled = 0;
        var stuck = new RecordingSink<int>("stuck", time, async (item, _, ct) =>
        {
            if (item == 0)
            {
                await Task.Yield();
                return;
            }

            firstStarted.TrySetResult();
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref canceled);
                throw;
            }
        });
        var fine = new RecordingSink<int>("fine");
        var options = Options(time, fine, stuck);
        options.Logger = logger;
        options.QueueCapacity = 4;
        options.MaxBatch = 1;
        var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 6).Select(_ => new CountingAck()).ToArray();
        for (var i = 0; i < 6; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        await acks[0].First;
        await firstStarted.Task.WaitAsync(TestLimits.Hang);
        var blocked = dispatcher.DispatchAsync(6, new CountingAck()).AsTask();

        var shutdown = dispatcher.ShutdownAsync(TimeSpan.FromSeconds(30));
        Assert.True(dispatcher.IsShutdown);
        var rejected = await Assert.ThrowsAsync<InvalidOperationException>(() => blocked.WaitAsync(TestLimits.Hang));
        Assert.Contains(dispatcher.Name, rejected.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => dispatcher.DispatchAsync(7).AsTask());

        Assert.Equal(TimeSpan.FromSeconds(30), await time.NextTimerAsync());
        Assert.False(shutdown.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(await shutdown.WaitAsync(TestLimits.Hang));

        Assert.Equal(1, canceled);
        Assert.Equal([0], stuck.Committed);
        Assert.Equal(1, acks[0].Count);
        Assert.All(acks.Skip(1), a => Assert.Equal(0, a.Count));
        Assert.Equal(1, dispatcher.AcknowledgedCount);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("unacknowledged", StringComparison.Ordinal));
        Assert.Same(shutdown, dispatcher.ShutdownAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task A_drain_timeout_longer_than_the_longest_timer_waits_for_all_of_it()
    {
        // Any drain timeout that is not negative is allowed; one timer reaches only about 49.7 days ahead.
        var time = new RecordingTimeProvider();
        var stuck = new RecordingSink<int>("stuck", time, async (_, _, ct) => await Task.Delay(Timeout.InfiniteTimeSpan, ct));
        var dispatcher = new DeliveryDispatcher<int>(Options(time, stuck));
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        await WaitUntil(() => stuck.Attempts == 1);

        var shutdown = dispatcher.ShutdownAsync(TimeSpan.FromDays(60));
        Assert.False(shutdown.IsCompleted, shutdown.Exception?.ToString());
        Assert.True(await time.NextTimerAsync() <= TimeSpan.FromDays(60));
        time.Advance(TimeSpan.FromDays(50));
        await time.NextTimerAsync();
        Assert.False(shutdown.IsCompleted, shutdown.Exception?.ToString());
        time.Advance(TimeSpan.FromDays(10));

        Assert.False(await shutdown.WaitAsync(TestLimits.Hang));
        Assert.Equal(0, ack.Count);
    }

    [Fact]
    public async Task Dispose_stops_at_once_and_leaves_queued_items_unacked()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new RecordingSink<int>("slow", time, async (_, _, ct) => await gate.Task.WaitAsync(ct));
        var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { TimeProvider = time }.AddSink(slow));
        var acks = Enumerable.Range(0, 3).Select(_ => new CountingAck()).ToArray();
        for (var i = 0; i < 3; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);

        Assert.All(acks, a => Assert.Equal(0, a.Count));
        Assert.Empty(slow.Committed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => dispatcher.DispatchAsync(3).AsTask());
    }

    [Theory]
    [InlineData(300_000)]
    [InlineData(-1)] // Timeout.InfiniteTimeSpan
    public async Task Dispose_ends_a_drain_under_way_as_its_timeout_would(int drainMilliseconds)
    {
        // The clock never moves: only the disposal can end the drain.
        var time = new RecordingTimeProvider();
        var stuck = new RecordingSink<int>("stuck", time, async (_, _, ct) => await Task.Delay(Timeout.InfiniteTimeSpan, ct));
        var dispatcher = new DeliveryDispatcher<int>(Options(time, stuck));
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        await WaitUntil(() => stuck.Attempts == 1);
        var shutdown = dispatcher.ShutdownAsync(TimeSpan.FromMilliseconds(drainMilliseconds));
        Assert.False(shutdown.IsCompleted, shutdown.Exception?.ToString());

        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);

        Assert.True(shutdown.IsCompleted);
        Assert.False(await shutdown);
        Assert.Equal(0, ack.Count);
        Assert.Empty(stuck.Committed);
    }

    [Fact]
    public async Task A_cancelled_dispatch_is_never_acked()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new RecordingSink<int>("slow", time, async (_, _, ct) => await gate.Task.WaitAsync(ct));
        var fast = new RecordingSink<int>("fast");
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxBatch = 1 };
        options.AddSink(fast).AddSink(slow, new DeliverySinkOptions { QueueCapacity = 1 });
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        await dispatcher.DispatchAsync(0);
        await WaitUntil(() => slow.Attempts == 1);
        await dispatcher.DispatchAsync(1);
        using var cts = new CancellationTokenSource();
        var ack = new CountingAck();

        var dispatch = dispatcher.DispatchAsync(2, ack, cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dispatch.WaitAsync(TestLimits.Hang));
        gate.SetResult();
        await slow.WhenCommitted(2);
        await fast.WhenCommitted(3);

        Assert.Equal([0, 1], slow.Committed);
        Assert.Equal(0, ack.Count);
    }

    [Fact]
    public async Task An_ack_callback_that_throws_is_logged_and_does_not_stop_delivery()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var sink = new RecordingSink<int>("file");
        var options = Options(time, sink);
        options.Logger = logger;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(0, new ThrowingAck());
        await dispatcher.DispatchAsync(1, ack);
        await ack.First;

        Assert.Equal([0, 1], sink.Committed);
        Assert.Single(logger.Entries, e => e.Error is InvalidProgramException);
    }

    public static TheoryData<string> Outcomes => ["delivered", "retried", "discarded", "dead-lettered", "batch", "dropped"];

    [Theory]
    [MemberData(nameof(Outcomes))]
    public async Task When_the_ack_fires_the_sinks_counters_and_AcknowledgedCount_already_count_the_item(string outcome)
    {
        var time = new RecordingTimeProvider();
        IDeliverySink<int> sink = outcome switch
        {
            "delivered" => new RecordingSink<int>("s"),
            "retried" => new RecordingSink<int>("s", time, (_, attempt, _) => attempt == 1 ? ValueTask.FromException(new IOException()) : ValueTask.CompletedTask),
            "discarded" or "dead-lettered" => new RecordingSink<int>("s", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException())),
            "batch" => new RecordingBatchSink<int>("s"),
            _ => new RecordingSink<int>("s", time, async (_, _, ct) => await Task.Delay(Timeout.InfiniteTimeSpan, ct)),
        };
        var options = new DeliveryOptions<int> { TimeProvider = time, BackoffBase = TimeSpan.Zero, QueueCapacity = 1, MaxBatch = 1 };
        if (outcome == "dead-lettered")
        {
            options.DeadLetterSink = new RecordingSink<DeadLetter<int>>("dead");
        }

        options.AddSink(sink, outcome == "dropped" ? new DeliverySinkOptions { OnFull = OnFull.Drop } : null);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        if (outcome == "dropped")
        {
            await dispatcher.DispatchAsync(0);
            await WaitUntil(() => ((RecordingSink<int>)sink).Attempts == 1);
            await dispatcher.DispatchAsync(1);
        }

        // Read on the acking thread: what an awaiter of the ack may see first, made deterministic.
        var seen = new TaskCompletionSource<(DeliverySinkMetrics Metrics, long Acked)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await dispatcher.DispatchAsync(7, new CallbackAck(() => seen.TrySetResult((dispatcher.GetSinkMetrics("s"), dispatcher.AcknowledgedCount))));
        var (metrics, acked) = await seen.Task.WaitAsync(TestLimits.Hang);

        Assert.Equal(1, metrics.Delivered + metrics.Discarded + metrics.DeadLettered + metrics.Dropped);
        Assert.Equal(1, acked);
    }

    [Fact]
    public async Task AckCompletionSource_completes_when_the_item_is_acked()
    {
        var time = new RecordingTimeProvider();
        await using var dispatcher = new DeliveryDispatcher<int>(Options(time, new RecordingSink<int>("file")));
        var ack = new AckCompletionSource();

        await dispatcher.DispatchAsync(0, ack);
        await ack.Task.WaitAsync(TestLimits.Hang);

        Assert.True(ack.IsAcknowledged);
    }

    [Fact]
    public async Task Metrics_are_published_on_the_Reactive_Streams_meter_tagged_with_the_sink()
    {
        var time = new RecordingTimeProvider();
        var name = $"metered-{Guid.NewGuid():N}";
        var measurements = new List<(string Instrument, string? Sink, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StreamMeter.MeterName && instrument.Name.StartsWith("reactive_streams.delivery.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record<TValue>(Instrument instrument, TValue value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            string? dispatcherTag = null, sinkTag = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "reactive_streams.dispatcher.name")
                {
                    dispatcherTag = (string?)tag.Value;
                }
                else if (tag.Key == "reactive_streams.sink.name")
                {
                    sinkTag = (string?)tag.Value;
                }
            }

            if (dispatcherTag == name)
            {
                lock (measurements)
                {
                    measurements.Add((instrument.Name, sinkTag, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)));
                }
            }
        }

        listener.SetMeasurementEventCallback<long>(Record);
        listener.SetMeasurementEventCallback<int>(Record);
        listener.SetMeasurementEventCallback<double>(Record);
        listener.Start();

        var flaky = new RecordingSink<int>("flaky", time, (item, attempt, _) => item == 1 && attempt == 1 ? throw new IOException() : ValueTask.CompletedTask);
        var poison = new RecordingSink<int>("poison", time, (_, _, _) => throw new PermanentDeliveryException());
        var options = new DeliveryOptions<int> { Name = name, TimeProvider = time, BackoffBase = TimeSpan.Zero, DeadLetterSink = new RecordingSink<DeadLetter<int>>("dead") };
        options.AddSink(flaky).AddSink(poison);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 3).Select(_ => new CountingAck()).ToArray();
        for (var i = 0; i < 3; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        await Task.WhenAll(acks.Select(a => a.First));
        listener.RecordObservableInstruments();

        double Value(string instrument, string sink) => Assert.Single(measurements, m => m.Instrument == instrument && m.Sink == sink).Value;
        Assert.Equal(3, Value("reactive_streams.delivery.items.delivered", "flaky"));
        Assert.Equal(1, Value("reactive_streams.delivery.retries", "flaky"));
        Assert.Equal(0, Value("reactive_streams.delivery.items.dead_lettered", "flaky"));
        Assert.Equal(3, Value("reactive_streams.delivery.items.dead_lettered", "poison"));
        Assert.Equal(0, Value("reactive_streams.delivery.items.dropped", "poison"));
        Assert.Equal(0, Value("reactive_streams.delivery.queue.depth", "poison"));
        Assert.Equal(0, Value("reactive_streams.delivery.items.discarded", "poison"));
        Assert.Equal(3, measurements.Count(m => m.Instrument == "reactive_streams.delivery.ack.duration"));
    }

    public static TheoryData<Action<DeliveryOptions<int>>, string> BadOptions => new()
    {
        { o => o.QueueCapacity = 0, "QueueCapacity" },
        { o => o.MaxBatch = 0, "MaxBatch" },
        { o => o.MaxRetries = -1, "MaxRetries" },
        { o => o.BackoffBase = TimeSpan.FromSeconds(2), "BackoffBase" },
        { o => o.BackoffBase = TimeSpan.FromMilliseconds(-1), "BackoffBase" },
        { o => o.BatchFlush = TimeSpan.FromMilliseconds(-1), "BatchFlush" },
        { o => o.OnFull = (OnFull)7, "OnFull" },
        { o => o.AddSink(new RecordingSink<int>("other"), new DeliverySinkOptions { MaxBatch = 0 }), "MaxBatch" },
        { o => o.AddSink(new RecordingSink<int>("other"), new DeliverySinkOptions { QueueCapacity = -3 }), "QueueCapacity" },
        { o => o.AddSink(new RecordingSink<int>("other"), new DeliverySinkOptions { MaxRetries = -1 }), "MaxRetries" },
        { o => o.AddSink(new RecordingSink<int>("other"), new DeliverySinkOptions { MaxBackoff = TimeSpan.FromMilliseconds(10) }), "BackoffBase" },
        { o => o.AddSink(new RecordingSink<int>("file")), "Sinks" },
        { o => o.AddSink(new RecordingSink<int>("")), "Sinks" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_options_throw_an_ArgumentException_naming_the_option(Action<DeliveryOptions<int>> configure, string option)
    {
        var options = new DeliveryOptions<int> { MaxBackoff = TimeSpan.FromSeconds(1) }.AddSink(new RecordingSink<int>("file"));
        configure(options);

        var error = Assert.ThrowsAny<ArgumentException>(() => new DeliveryDispatcher<int>(options));

        Assert.Equal(option, error.ParamName);
    }

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Validate_checks_the_dispatcher_wide_settings_by_the_constructor_rules(Action<DeliveryOptions<int>> configure, string option)
    {
        var options = new DeliveryOptions<int> { MaxBackoff = TimeSpan.FromSeconds(1) }.AddSink(new RecordingSink<int>("file"));
        options.Validate();
        configure(options);
        var sinkLevel = options.Sinks.Count > 1;

        if (sinkLevel)
        {
            // Sinks and their overrides are the constructor's to check (Validate covers the dispatcher-wide values).
            options.Validate();
        }
        else
        {
            Assert.Equal(option, Assert.ThrowsAny<ArgumentException>(options.Validate).ParamName);
        }
    }

    [Fact]
    public async Task A_null_sink_a_dispatcher_without_sinks_and_a_bad_drain_timeout_are_rejected()
    {
        Assert.Equal("sink", Assert.Throws<ArgumentNullException>(() => new DeliveryOptions<int>().AddSink(null!)).ParamName);
        Assert.Equal("Sinks", Assert.Throws<ArgumentException>(() => new DeliveryDispatcher<int>(new DeliveryOptions<int>())).ParamName);
        Assert.Throws<ArgumentNullException>(() => new DeliveryDispatcher<int>(null!));
        var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int>().AddSink(new RecordingSink<int>("file")));
        Assert.Equal("drainTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => { _ = dispatcher.ShutdownAsync(TimeSpan.FromSeconds(-1)); }).ParamName);
        Assert.Equal("sinkName", Assert.Throws<ArgumentException>(() => dispatcher.GetSinkMetrics("nope")).ParamName);
        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TestLimits.Hang));
    }

    /// <summary>Waits for a condition another thread makes true, yielding between checks (bounded in real time).</summary>
    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = Environment.TickCount64 + (long)TestLimits.Hang.TotalMilliseconds;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "The condition never became true.");
            await Task.Yield();
        }
    }

    private sealed class NullableSink : IDeliverySink<string?>
    {
        public List<string?> Items { get; } = [];

        public string Name => "nullable";

        public ValueTask WriteAsync(string? item, CancellationToken cancellationToken)
        {
            Items.Add(item);
            return default;
        }
    }

    private sealed class CallbackAck(Action callback) : IAckToken
    {
        public void Acknowledge() => callback();
    }

    private sealed class ThrowingAck : IAckToken
    {
        public void Acknowledge() => throw new InvalidProgramException("ack handler bug");
    }
}
