using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>Shutdown reaching a worker at each of its waits: a batch flush, a write's backoff, a dead letter's backoff or write.</summary>
public class DeliveryShutdownPathTests
{
    [Fact]
    public async Task Shutdown_writes_a_partial_batch_at_once_instead_of_waiting_out_BatchFlush()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingBatchSink<int>("batch");
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxBatch = 8, BatchFlush = TimeSpan.FromHours(1) };
        options.AddSink(sink);
        var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        Assert.Equal(TimeSpan.FromHours(1), await time.NextTimerAsync());

        // The clock never moves: completing the queue ends the flush wait.
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        Assert.Equal(1, ack.Count);
        Assert.Equal([1], Assert.Single(sink.Batches));
    }

    [Fact]
    public async Task Shutdown_that_gives_up_during_a_writes_backoff_leaves_the_item_unacked_and_uncounted()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("flaky", time, (_, _, _) => ValueTask.FromException(new IOException("down")));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = new DeliveryOptions<int> { TimeProvider = time, BackoffBase = TimeSpan.FromSeconds(20), DeadLetterSink = deadLetters };
        options.AddSink(sink);
        var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        Assert.Equal(TimeSpan.FromSeconds(20), await time.NextTimerAsync());
        var shutdown = dispatcher.ShutdownAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(5), await time.NextTimerAsync());
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.False(await shutdown.WaitAsync(TestLimits.Hang));
        Assert.Equal(1, sink.Attempts);
        Assert.Equal(0, ack.Count);
        Assert.Empty(deadLetters.Committed);
        Assert.Equal(new DeliverySinkMetrics("flaky", 0, 0, 1, 0, 0, 0), dispatcher.GetSinkMetrics("flaky"));
    }

    [Fact]
    public async Task Shutdown_that_gives_up_during_a_dead_letters_backoff_leaves_the_item_unacked_and_not_discarded()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var sink = new RecordingSink<int>("poisoned", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("poison")));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (_, _, _) => ValueTask.FromException(new IOException("store down")));
        var options = new DeliveryOptions<int> { TimeProvider = time, BackoffBase = TimeSpan.FromSeconds(20), DeadLetterSink = deadLetters, Logger = logger };
        options.AddSink(sink);
        var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        Assert.Equal(TimeSpan.FromSeconds(20), await time.NextTimerAsync());
        var shutdown = dispatcher.ShutdownAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(5), await time.NextTimerAsync());
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.False(await shutdown.WaitAsync(TestLimits.Hang));
        Assert.Equal(1, deadLetters.Attempts);
        Assert.Equal(0, ack.Count);
        Assert.Equal(new DeliverySinkMetrics("poisoned", 0, 0, 0, 0, 0, 0), dispatcher.GetSinkMetrics("poisoned"));
        Assert.DoesNotContain(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Critical);
    }

    [Fact]
    public async Task Dispose_during_a_dead_letters_write_ends_it_and_leaves_the_item_unacked_and_not_discarded()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("poison", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException()));
        var dead = new RecordingSink<DeadLetter<int>>("dead", time, async (_, _, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        });
        var options = new DeliveryOptions<int> { TimeProvider = time, DeadLetterSink = dead, Logger = logger }.AddSink(sink);
        var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        await started.Task.WaitAsync(TestLimits.Hang);
        var shutdown = dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan);

        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);

        Assert.False(await shutdown);
        Assert.Equal(0, ack.Count);
        Assert.Equal(new DeliverySinkMetrics("poison", 0, 0, 0, 0, 0, 0), dispatcher.GetSinkMetrics("poison"));
        Assert.DoesNotContain(logger.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public async Task An_infinite_drain_waits_out_a_writes_backoff_and_acks_the_retried_item()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("flaky", time, (_, attempt, _) => attempt == 1 ? ValueTask.FromException(new IOException()) : ValueTask.CompletedTask);
        var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { TimeProvider = time }.AddSink(sink));
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        var due = await time.NextTimerAsync();
        var shutdown = dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan);
        Assert.False(shutdown.IsCompleted);

        time.Advance(due);

        Assert.True(await shutdown.WaitAsync(TestLimits.Hang));
        Assert.Equal(1, ack.Count);
    }
}
