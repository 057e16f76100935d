using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// Retries, dead letters and the acknowledgement where they meet: one sink retrying while another dead-letters, a
/// dead-letter sink that cancels on its own, throws synchronously or is slow, a sink that hangs past a shutdown, and
/// the order each caller's dispatches keep in every sink when many callers dispatch at once.
/// </summary>
public class DeliveryRetryAndDeadLetterEdgeTests
{
    private static readonly TimeSpan Ms100 = TimeSpan.FromMilliseconds(100);

    private static DeliveryOptions<int> Options(RecordingTimeProvider time, params IDeliverySink<int>[] sinks) =>
        DeliveryDispatcherTests.Options(time, sinks);

    [Fact]
    public async Task The_ack_waits_for_a_sink_still_retrying_after_another_sink_dead_lettered_and_fires_once()
    {
        var time = new RecordingTimeProvider();
        var retrying = new RecordingSink<int>("retrying", time, (_, attempt, _) => attempt <= 2 ? ValueTask.FromException(new IOException("busy")) : ValueTask.CompletedTask);
        var poisoned = new RecordingSink<int>("poisoned", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("rejected")));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, retrying, poisoned);
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(7, ack);
        Assert.Equal(Ms100, await time.NextTimerAsync());
        await deadLetters.WhenCommitted(1);

        // The poisoned sink is done with the item (dead-lettered); the retrying one is not.
        Assert.Equal(0, ack.Count);
        time.Advance(Ms100);
        Assert.Equal(TimeSpan.FromMilliseconds(200), await time.NextTimerAsync());
        Assert.Equal(0, ack.Count);
        time.Advance(TimeSpan.FromMilliseconds(200));

        await ack.First;
        Assert.Equal(1, ack.Count);
        Assert.Equal([7], retrying.Committed);
        Assert.Equal(3, retrying.Attempts);
        var letter = Assert.Single(deadLetters.Committed);
        Assert.Equal((7, "poisoned", 1), (letter.Item, letter.SinkName, letter.Attempts));
        Assert.IsType<PermanentDeliveryException>(letter.Error);
        Assert.Equal(new DeliverySinkMetrics("retrying", 1, 0, 2, 0, 0, 0), dispatcher.GetSinkMetrics("retrying"));
        Assert.Equal(new DeliverySinkMetrics("poisoned", 0, 0, 0, 1, 0, 0), dispatcher.GetSinkMetrics("poisoned"));
        Assert.Equal(1, dispatcher.AcknowledgedCount);
    }

    [Fact]
    public async Task A_dead_letter_sink_that_raises_its_own_cancellation_is_retried_then_the_item_is_discarded_and_acked()
    {
        // As for a sink: only the dispatcher's token stops a dead letter's write; the dead-letter store's own timeout
        // is a failure, retried with the sink's settings, then logged and discarded.
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var sink = new RecordingSink<int>("webhook", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("rejected")));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (_, _, _) => ValueTask.FromException(new TaskCanceledException("store timed out")));
        var options = Options(time, sink);
        options.BackoffBase = TimeSpan.Zero;
        options.MaxRetries = 2;
        options.DeadLetterSink = deadLetters;
        options.Logger = logger;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await ack.First;

        Assert.Equal(3, deadLetters.Attempts);
        Assert.Empty(deadLetters.Committed);
        Assert.Equal(1, ack.Count);
        Assert.Equal(new DeliverySinkMetrics("webhook", 0, 0, 0, 0, 1, 0), dispatcher.GetSinkMetrics("webhook"));
        lock (logger.Entries)
        {
            Assert.Contains(logger.Entries, e => e.Error is TaskCanceledException);
        }
    }

    [Fact]
    public async Task A_dead_letter_sink_that_throws_synchronously_is_retried_like_one_that_returns_a_faulted_task()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("webhook", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("rejected")));
        var deadLetters = new ThrowingDeadLetterSink(failures: 1);
        var options = Options(time, sink);
        options.BackoffBase = TimeSpan.Zero;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(5, ack);
        await ack.First;

        Assert.Equal(2, deadLetters.Attempts);
        var letter = Assert.Single(deadLetters.Letters);
        Assert.Equal((5, "webhook", 1), (letter.Item, letter.SinkName, letter.Attempts));
        Assert.Equal(new DeliverySinkMetrics("webhook", 0, 0, 0, 1, 0, 0), dispatcher.GetSinkMetrics("webhook"));
    }

    [Fact]
    public async Task A_sinks_classifier_does_not_judge_the_dead_letter_sinks_failures()
    {
        // IsTransient classifies the sink's exceptions (a webhook's): "false" means dead-letter the item at once. A dead
        // letter's write is another operation; its failures are retried with the sink's retry count and backoff, and
        // only a PermanentDeliveryException ends them early. Judged by the webhook's classifier (here one that casts, as
        // classifiers written for one sink's exceptions do), the dead-letter store's IOException would throw in it,
        // count as permanent, and the item would be discarded after one attempt though a retry would have kept it.
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("webhook", time, (_, _, _) => ValueTask.FromException(new TimeoutException("slow endpoint")));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (_, attempt, _) => attempt == 1 ? ValueTask.FromException(new IOException("store busy")) : ValueTask.CompletedTask);
        var options = Options(time, sink);
        options.BackoffBase = TimeSpan.Zero;
        options.MaxRetries = 1;
        options.IsTransient = static e => ((TimeoutException)e).Message.Length > 0;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await ack.First;

        Assert.Equal(2, sink.Attempts);
        Assert.Equal(2, deadLetters.Attempts);
        var letter = Assert.Single(deadLetters.Committed);
        Assert.Equal(("webhook", 2), (letter.SinkName, letter.Attempts));
        Assert.IsType<TimeoutException>(letter.Error);
        Assert.Equal(new DeliverySinkMetrics("webhook", 0, 0, 1, 1, 0, 0), dispatcher.GetSinkMetrics("webhook"));
    }

    [Fact]
    public async Task A_dead_letter_sinks_PermanentDeliveryException_is_not_retried_and_the_item_is_discarded_and_acked()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("webhook", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("rejected")));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("letter too large")));
        var options = Options(time, sink);
        options.BackoffBase = TimeSpan.Zero;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await ack.First;

        Assert.Equal(1, deadLetters.Attempts);
        Assert.Equal(new DeliverySinkMetrics("webhook", 0, 0, 0, 0, 1, 0), dispatcher.GetSinkMetrics("webhook"));
    }

    [Fact]
    public async Task A_slow_dead_letter_sink_holds_up_only_the_sink_whose_item_it_is_writing()
    {
        var time = new RecordingTimeProvider();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var poisoned = new RecordingSink<int>("poisoned", time, (item, _, _) => item == 1 ? ValueTask.FromException(new PermanentDeliveryException("rejected")) : ValueTask.CompletedTask);
        var healthy = new RecordingSink<int>("healthy");
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, async (_, _, _) => await release.Task);
        var options = Options(time, poisoned, healthy);
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 5).Select(_ => new CountingAck()).ToArray();

        for (var i = 0; i < acks.Length; i++)
        {
            await dispatcher.DispatchAsync(i + 1, acks[i]);
        }

        // The healthy sink delivers everything while the dead letter of item 1 is being written; the poisoned sink
        // writes nothing after item 1 until its dead letter is settled (its items stay in order), so nothing is acked.
        await healthy.WhenCommitted(5);
        Assert.True(SpinWait.SpinUntil(() => deadLetters.Attempts == 1, TestLimits.Hang));
        Assert.Equal([1, 2, 3, 4, 5], healthy.Committed);
        Assert.Equal(1, poisoned.Attempts);
        Assert.All(acks, a => Assert.Equal(0, a.Count));

        release.SetResult();
        await Task.WhenAll(acks.Select(a => a.First));

        Assert.Equal([2, 3, 4, 5], poisoned.Committed);
        Assert.Equal(1, Assert.Single(deadLetters.Committed).Item);
        Assert.All(acks, a => Assert.Equal(1, a.Count));
    }

    [Fact]
    public async Task An_item_is_dead_lettered_before_the_next_item_is_written_to_that_sink()
    {
        var time = new RecordingTimeProvider();
        var order = new List<string>();
        var sink = new RecordingSink<int>("webhook", time, (item, _, _) =>
        {
            lock (order)
            {
                order.Add($"write {item}");
            }

            return item == 1 ? ValueTask.FromException(new IOException("down")) : ValueTask.CompletedTask;
        });
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (letter, _, _) =>
        {
            lock (order)
            {
                order.Add($"dead {letter.Item}");
            }

            return ValueTask.CompletedTask;
        });
        var options = Options(time, sink);
        options.BackoffBase = TimeSpan.Zero;
        options.MaxRetries = 1;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var first = new CountingAck();
        var second = new CountingAck();

        await dispatcher.DispatchAsync(1, first);
        await dispatcher.DispatchAsync(2, second);
        await Task.WhenAll(first.First, second.First);

        Assert.Equal(["write 1", "write 1", "dead 1", "write 2"], order);
        Assert.Equal(2, Assert.Single(deadLetters.Committed).Attempts);
    }

    [Fact]
    public async Task A_sink_that_hangs_until_cancelled_is_abandoned_when_the_drain_times_out_and_nothing_is_acked()
    {
        var time = new RecordingTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancellation = false;
        var hanging = new RecordingSink<int>("hanging", time, async (_, _, token) =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, token);
            }
            catch (OperationCanceledException)
            {
                sawCancellation = true;
                throw;
            }
        });
        var healthy = new RecordingSink<int>("healthy");
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, hanging, healthy);
        options.DeadLetterSink = deadLetters;
        var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = new[] { new CountingAck(), new CountingAck() };

        await dispatcher.DispatchAsync(1, acks[0]);
        await dispatcher.DispatchAsync(2, acks[1]);
        await started.Task.WaitAsync(TestLimits.Hang);
        await healthy.WhenCommitted(2);

        var shutdown = dispatcher.ShutdownAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(5), await time.NextTimerAsync());
        Assert.False(shutdown.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.False(await shutdown.WaitAsync(TestLimits.Hang));
        Assert.True(sawCancellation);
        Assert.Equal(1, hanging.Attempts);
        Assert.All(acks, a => Assert.Equal(0, a.Count));
        Assert.Empty(deadLetters.Committed);
        var metrics = dispatcher.GetSinkMetrics("hanging");
        Assert.Equal((0L, 0L, 0L, 0L), (metrics.Delivered, metrics.Retries, metrics.DeadLettered, metrics.Discarded));
        Assert.Equal(0, dispatcher.AcknowledgedCount);
        await Assert.ThrowsAsync<InvalidOperationException>(() => dispatcher.DispatchAsync(3).AsTask());
    }

    [Fact]
    public async Task A_sink_that_ignores_its_token_holds_the_shutdown_until_its_write_returns_and_a_write_that_commits_then_is_acked()
    {
        // ShutdownAsync completes once every worker has stopped: the drain timeout cancels the token, it cannot take
        // back a write that ignores it. The item in flight commits, and is acknowledged; the one still queued is not.
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var token = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stubborn = new RecordingSink<int>("stubborn", time, async (_, _, ct) =>
        {
            token.TrySetResult(ct);
            await gate.Task;
        });
        var options = Options(time, stubborn);
        options.MaxBatch = 1;
        var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = new[] { new CountingAck(), new CountingAck() };
        await dispatcher.DispatchAsync(1, acks[0]);
        var inFlight = await token.Task.WaitAsync(TestLimits.Hang);
        await dispatcher.DispatchAsync(2, acks[1]);

        var shutdown = dispatcher.ShutdownAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(5), await time.NextTimerAsync());
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(SpinWait.SpinUntil(() => inFlight.IsCancellationRequested, TestLimits.Hang));
        Assert.False(shutdown.IsCompleted);

        gate.SetResult();

        Assert.False(await shutdown.WaitAsync(TestLimits.Hang));
        Assert.Equal([1], stubborn.Committed);
        Assert.Equal((1, 0), (acks[0].Count, acks[1].Count));
        Assert.Equal(new DeliverySinkMetrics("stubborn", 1, 0, 0, 0, 0, 1), dispatcher.GetSinkMetrics("stubborn"));
        Assert.Equal(1, dispatcher.AcknowledgedCount);
    }

    [Fact]
    public async Task A_callers_token_cancelled_after_its_dispatch_completed_neither_reaches_the_sink_nor_stops_the_item()
    {
        var time = new RecordingTimeProvider();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tokens = new List<CancellationToken>();
        var sink = new RecordingSink<int>("webhook", time, async (_, _, token) =>
        {
            lock (tokens)
            {
                tokens.Add(token);
            }

            await release.Task;
        });
        await using var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        using var cts = new CancellationTokenSource();
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack, cts.Token);
        await cts.CancelAsync();
        release.SetResult();
        await ack.First;

        Assert.Equal([1], sink.Committed);
        lock (tokens)
        {
            Assert.All(tokens, t => Assert.False(t.IsCancellationRequested));
        }
    }

    [Fact]
    public async Task A_dead_letter_sink_that_disposes_the_dispatcher_inside_its_write_does_not_wait_for_itself()
    {
        var time = new RecordingTimeProvider();
        DeliveryDispatcher<int>? dispatcher = null;
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("webhook", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("rejected")));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, async (_, _, _) =>
        {
            await dispatcher!.DisposeAsync();
            disposed.SetResult();
        });
        var options = Options(time, sink);
        options.DeadLetterSink = deadLetters;
        dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await disposed.Task.WaitAsync(TestLimits.Hang);

        // The dead letter still committed after the disposal started: the item is settled and acknowledged.
        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TestLimits.Hang));
        Assert.Equal(1, ack.Count);
        Assert.Single(deadLetters.Committed);
    }

    [Fact]
    public async Task Disposing_from_several_threads_at_once_completes_every_call()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("file");
        var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        await dispatcher.DispatchAsync(1);

        var disposals = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            if (i % 2 == 0)
            {
                await dispatcher.DisposeAsync();
            }
            else
            {
                dispatcher.Dispose();
            }
        })).ToArray();

        await Task.WhenAll(disposals).WaitAsync(TestLimits.Hang);
        Assert.True(dispatcher.ShutdownAsync(TimeSpan.Zero).IsCompleted);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => dispatcher.DispatchAsync(2).AsTask());
    }

    [Fact]
    public async Task Each_callers_dispatches_reach_every_sink_in_the_order_it_made_them_when_many_callers_dispatch_at_once()
    {
        const int Callers = 4;
        const int PerCaller = 2_000;
        var time = new RecordingTimeProvider();
        var block = new RecordingSink<int>("block");
        var batch = new RecordingBatchSink<int>("batch");
        var options = Options(time, block);
        options.AddSink(batch, new DeliverySinkOptions { QueueCapacity = 3, MaxBatch = 2 });
        options.QueueCapacity = 2;
        var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = new CountingAck[Callers * PerCaller];
        for (var i = 0; i < acks.Length; i++)
        {
            acks[i] = new CountingAck();
        }

        var callers = Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < PerCaller; i++)
            {
                var item = (c * PerCaller) + i;
                await dispatcher.DispatchAsync(item, acks[item]);
            }
        })).ToArray();
        await Task.WhenAll(callers).WaitAsync(TestLimits.Hang);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));

        foreach (var committed in new[] { block.Committed, batch.Committed })
        {
            Assert.Equal(acks.Length, committed.Count);
            for (var c = 0; c < Callers; c++)
            {
                var mine = committed.Where(item => item / PerCaller == c).ToArray();
                Assert.Equal(Enumerable.Range(c * PerCaller, PerCaller), mine);
            }
        }

        Assert.Equal(0, acks.Count(a => a.Count != 1));
        Assert.Equal(acks.Length, dispatcher.AcknowledgedCount);
    }

    [Fact]
    public async Task A_sink_that_fails_until_the_last_retry_is_committed_on_exactly_the_last_attempt()
    {
        // The boundary of MaxRetries: success on attempt 1 + MaxRetries is a delivery, not a dead letter.
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("webhook", time, (_, attempt, _) => attempt <= 3 ? ValueTask.FromException(new IOException()) : ValueTask.CompletedTask);
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, sink);
        options.MaxRetries = 3;
        options.BackoffBase = TimeSpan.Zero;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await ack.First;

        Assert.Equal(4, sink.Attempts);
        Assert.Equal([1], sink.Committed);
        Assert.Empty(deadLetters.Committed);
        Assert.Equal(new DeliverySinkMetrics("webhook", 1, 0, 3, 0, 0, 0), dispatcher.GetSinkMetrics("webhook"));
    }

    private sealed class ThrowingDeadLetterSink(int failures) : IDeliverySink<DeadLetter<int>>
    {
        private int _attempts;

        public string Name => "dead";

        public int Attempts => Volatile.Read(ref _attempts);

        public List<DeadLetter<int>> Letters { get; } = [];

        public ValueTask WriteAsync(DeadLetter<int> item, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _attempts) <= failures)
            {
                throw new IOException("store down");
            }

            lock (Letters)
            {
                Letters.Add(item);
            }

            return default;
        }
    }
}
