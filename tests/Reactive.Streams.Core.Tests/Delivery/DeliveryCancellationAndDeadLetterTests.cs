using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// The dispatcher's cancellation and failure paths past the earlier audits: dispatches parked for room when the
/// dispatcher stops, a sink's own cancellation in every form (a cancelled task, a synchronous throw, a batch), dead
/// letters of best-effort sinks and slow dead-letter sinks, per-sink retry settings on dead letters and jitter, and a
/// bounded race of concurrent dispatches through Block, Drop and poisoned sinks.
/// </summary>
public class DeliveryCancellationAndDeadLetterTests
{
    private static readonly TimeSpan Ms100 = TimeSpan.FromMilliseconds(100);

    private static DeliveryOptions<int> Options(RecordingTimeProvider time, params IDeliverySink<int>[] sinks) =>
        DeliveryDispatcherTests.Options(time, sinks);

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = Environment.TickCount64 + (long)TestLimits.Hang.TotalMilliseconds;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "The condition never became true.");
            await Task.Yield();
        }
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public async Task A_dispatch_parked_for_room_fails_with_InvalidOperationException_when_the_dispatcher_shuts_down_or_is_disposed_and_is_never_acked(bool cancellable, bool dispose)
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new RecordingSink<int>("slow", time, async (_, _, ct) => await gate.Task.WaitAsync(ct));
        var other = new RecordingSink<int>("other");
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxBatch = 1 };
        options.AddSink(other).AddSink(slow, new DeliverySinkOptions { QueueCapacity = 1 });
        var dispatcher = new DeliveryDispatcher<int>(options);
        await dispatcher.DispatchAsync(0);
        await WaitUntil(() => slow.Attempts == 1);
        await dispatcher.DispatchAsync(1);
        using var cts = new CancellationTokenSource();
        var ack = new CountingAck();
        var blocked = dispatcher.DispatchAsync(2, ack, cancellable ? cts.Token : default).AsTask();
        Assert.False(blocked.IsCompleted);
        Task<bool> shutdown;
        if (dispose)
        {
            shutdown = dispatcher.DisposeAsync().AsTask().ContinueWith(_ => false);
        }
        else
        {
            shutdown = dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan);
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => blocked.WaitAsync(TestLimits.Hang));
        Assert.Contains(dispatcher.Name, error.Message, StringComparison.Ordinal);
        gate.SetResult();
        await shutdown.WaitAsync(TestLimits.Hang);
        Assert.Equal(0, ack.Count);
    }

    [Fact]
    public async Task A_sink_returning_a_task_cancelled_by_its_own_token_is_retried_not_stopped()
    {
        var time = new RecordingTimeProvider();
        using var own = new CancellationTokenSource();
        own.Cancel();
        var sink = new RecordingSink<int>("webhook", time, (_, attempt, _) => attempt == 1 ? ValueTask.FromCanceled(own.Token) : ValueTask.CompletedTask);
        await using var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        Assert.Equal(Ms100, await time.NextTimerAsync());
        time.Advance(Ms100);
        await ack.First;
        Assert.Equal(2, sink.Attempts);
        Assert.Equal(new DeliverySinkMetrics("webhook", 1, 0, 1, 0, 0, 0), dispatcher.GetSinkMetrics("webhook"));
    }

    [Fact]
    public async Task A_sink_that_throws_its_own_OperationCanceledException_synchronously_is_retried()
    {
        var time = new RecordingTimeProvider();
        var sink = new ThrowingSink();
        var options = Options(time);
        options.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        Assert.Equal(Ms100, await time.NextTimerAsync());
        time.Advance(Ms100);
        await ack.First;
        Assert.Equal(2, sink.Calls);
    }

    private sealed class ThrowingSink : IDeliverySink<int>
    {
        public int Calls;

        public string Name => "sync";

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref Calls) == 1)
            {
                throw new OperationCanceledException(new CancellationToken(true));
            }

            return default;
        }
    }

    [Fact]
    public async Task A_batch_sinks_own_cancellation_is_retried_as_configured_then_each_item_is_dead_lettered_with_the_attempts()
    {
        var time = new RecordingTimeProvider();
        var batch = new RecordingBatchSink<int>("batch", (_, _) => ValueTask.FromException(new TaskCanceledException("http timeout")));
        var dead = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time);
        options.AddSink(batch, new DeliverySinkOptions { MaxRetries = 2, BackoffBase = TimeSpan.Zero });
        options.DeadLetterSink = dead;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = new[] { new CountingAck(), new CountingAck() };
        await dispatcher.DispatchAsync(1, acks[0]);
        await dispatcher.DispatchAsync(2, acks[1]);
        await acks[0].First;
        await acks[1].First;
        await dead.WhenCommitted(2);
        Assert.All(dead.Committed, l => Assert.Equal(3, l.Attempts));
        Assert.All(dead.Committed, l => Assert.IsType<TaskCanceledException>(l.Error));
        Assert.Equal([1, 2], dead.Committed.Select(l => l.Item));
    }

    [Fact]
    public async Task The_ack_of_a_dead_lettered_item_waits_until_the_slow_dead_letter_sink_has_written_it()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("webhook", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("no")));
        var dead = new RecordingSink<DeadLetter<int>>("dead", time, async (_, _, _) => await gate.Task);
        var options = Options(time, sink);
        options.DeadLetterSink = dead;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        await WaitUntil(() => dead.Attempts == 1);
        Assert.Equal(0, ack.Count);
        gate.SetResult();
        await ack.First;
        Assert.Equal(1, ack.Count);
    }

    [Fact]
    public async Task A_best_effort_sinks_failures_are_retried_and_dead_lettered_without_holding_the_ack()
    {
        var time = new RecordingTimeProvider();
        var good = new RecordingSink<int>("good");
        var bad = new RecordingSink<int>("bad", time, (_, _, _) => ValueTask.FromException(new IOException("x")));
        var dead = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, good);
        options.AddSink(bad, new DeliverySinkOptions { BestEffort = true, MaxRetries = 1 });
        options.DeadLetterSink = dead;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(5, ack);
        await ack.First;
        Assert.Empty(dead.Committed);
        Assert.Equal(Ms100, await time.NextTimerAsync());
        time.Advance(Ms100);
        await dead.WhenCommitted(1);
        var letter = Assert.Single(dead.Committed);
        Assert.Equal((5, "bad", 2), (letter.Item, letter.SinkName, letter.Attempts));
        Assert.Equal(1, ack.Count);
        Assert.Equal(1, dispatcher.AcknowledgedCount);
    }

    [Fact]
    public async Task Concurrent_dispatches_through_Block_Drop_and_a_poisoned_sink_ack_each_item_once_and_dead_letter_each_poison_item_once()
    {
        for (var round = 0; round < 20; round++)
        {
            var time = new RecordingTimeProvider();
            var good = new RecordingSink<int>("good");
            var poisoned = new RecordingSink<int>("poison", time, (i, _, _) => i % 3 == 0 ? ValueTask.FromException(new PermanentDeliveryException("x")) : ValueTask.CompletedTask);
            var dead = new RecordingSink<DeadLetter<int>>("dead");
            var dropper = new RecordingSink<int>("dropper");
            var options = new DeliveryOptions<int> { TimeProvider = time, QueueCapacity = 2, MaxBatch = 3, DeadLetterSink = dead };
            options.AddSink(good).AddSink(poisoned).AddSink(dropper, new DeliverySinkOptions { OnFull = OnFull.Drop, QueueCapacity = 1 });
            var dispatcher = new DeliveryDispatcher<int>(options);
            const int N = 400;
            var acks = Enumerable.Range(0, N).Select(_ => new CountingAck()).ToArray();
            await Task.WhenAll(Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
            {
                for (var i = c; i < N; i += 4)
                {
                    await dispatcher.DispatchAsync(i, acks[i]);
                }
            }))).WaitAsync(TestLimits.Hang);
            Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
            Assert.All(acks, a => Assert.Equal(1, a.Count));
            Assert.Equal(Enumerable.Range(0, N).Where(i => i % 3 == 0).Order(), dead.Committed.Select(l => l.Item).Order());
            Assert.Equal(Enumerable.Range(0, N), good.Committed.Order());
            var m = dispatcher.GetSinkMetrics("dropper");
            Assert.Equal(N, m.Delivered + m.Dropped);
            Assert.Equal(N, dispatcher.AcknowledgedCount);
        }
    }

    [Fact]
    public async Task A_classifier_can_make_a_sinks_own_cancellation_permanent()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("webhook", time, (_, _, _) => ValueTask.FromException(new TaskCanceledException("timeout")));
        var dead = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, sink);
        options.IsTransient = e => e is not OperationCanceledException;
        options.DeadLetterSink = dead;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        await ack.First;
        var letter = Assert.Single(dead.Committed);
        Assert.Equal(1, letter.Attempts);
    }

    [Fact]
    public async Task Disposal_is_idempotent_and_a_later_ShutdownAsync_is_complete_and_still_validates_its_argument()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("file");
        var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        await dispatcher.DispatchAsync(1);
        await dispatcher.DisposeAsync();
        await dispatcher.DisposeAsync();
        dispatcher.Dispose();
        var again = dispatcher.ShutdownAsync(TimeSpan.FromSeconds(1));
        Assert.True(again.IsCompleted);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = dispatcher.ShutdownAsync(TimeSpan.FromMilliseconds(-5)); });
        Assert.Equal("drainTimeout", e.ParamName);
        Assert.Throws<ArgumentException>(() => dispatcher.GetSinkMetrics("nope"));
    }

    [Fact]
    public async Task Dead_letter_retries_use_the_failing_sinks_own_retry_settings()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("a", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("no")));
        var dead = new RecordingSink<DeadLetter<int>>("dead", time, (_, _, _) => ValueTask.FromException(new IOException("store down")));
        var options = Options(time);
        options.AddSink(sink, new DeliverySinkOptions { MaxRetries = 1, BackoffBase = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(1) });
        options.DeadLetterSink = dead;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        Assert.Equal(TimeSpan.FromSeconds(1), await time.NextTimerAsync());
        Assert.Equal(0, ack.Count);
        time.Advance(TimeSpan.FromSeconds(1));
        await ack.First;
        Assert.Equal(2, dead.Attempts);
        Assert.Equal(new DeliverySinkMetrics("a", 0, 0, 0, 0, 1, 0), dispatcher.GetSinkMetrics("a"));
    }

    [Fact]
    public async Task Jitter_set_on_one_sink_keeps_each_of_its_delays_between_half_and_the_full_delay()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("j", time, (_, attempt, _) => attempt <= 3 ? ValueTask.FromException(new IOException()) : ValueTask.CompletedTask);
        var options = Options(time);
        options.AddSink(sink, new DeliverySinkOptions { BackoffJitter = true, BackoffBase = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(3) });
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        foreach (var full in new[] { 1, 2, 3 })
        {
            var d = await time.NextTimerAsync();
            Assert.InRange(d, TimeSpan.FromSeconds(full) / 2, TimeSpan.FromSeconds(full));
            time.Advance(d);
        }

        await ack.First;
        Assert.Equal(4, sink.Attempts);
    }

    [Fact]
    public async Task ShutdownAsync_returns_the_first_calls_task_and_a_dispatch_with_room_completes_synchronously()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("file");
        var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        Assert.True(dispatcher.DispatchAsync(1).IsCompletedSuccessfully);
        var first = dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan);
        Assert.Same(first, dispatcher.ShutdownAsync(TimeSpan.Zero));
        Assert.True(await first.WaitAsync(TestLimits.Hang));
        await dispatcher.DisposeAsync();
        Assert.Equal([1], sink.Committed);
    }
}
