using Reactive.Streams.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// Logging never changes delivery: Microsoft.Extensions.Logging's <c>Logger</c> rethrows a failing provider's exception
/// (as an <see cref="AggregateException"/>) after calling the others, so a user's broken provider reaches the
/// dispatcher. Every log call on a worker's, the dead-letter and the dispatcher's path must swallow it.
/// </summary>
public class DeliveryLoggingTests
{
    [Fact]
    public async Task A_throwing_logger_leaves_every_item_delivered_or_discarded_and_every_ack_fired()
    {
        var time = new RecordingTimeProvider();
        var logger = new ThrowingLogger();
        var sink = new RecordingSink<int>("queue", time, (item, _, _) =>
            item % 2 == 0 ? ValueTask.FromException(new PermanentDeliveryException($"even {item}")) : ValueTask.CompletedTask);
        var options = new DeliveryOptions<int> { TimeProvider = time, Logger = logger };
        options.AddSink(sink);
        var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 10).Select(_ => new CountingAck()).ToArray();

        for (var i = 0; i < acks.Length; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        // Item 10's acknowledgement callback throws, and so does the log call that reports it; item 11 comes after.
        await dispatcher.DispatchAsync(10, new ThrowingAck());
        var last = new CountingAck();
        await dispatcher.DispatchAsync(11, last);

        await Task.WhenAll(acks.Select(a => a.First).Append(last.First));
        Assert.All(acks, a => Assert.Equal(1, a.Count));
        Assert.Equal([1, 3, 5, 7, 9, 11], sink.Committed);
        Assert.Equal(new DeliverySinkMetrics("queue", 6, 0, 0, 0, 6, 0), dispatcher.GetSinkMetrics("queue"));
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        Assert.Equal(12, dispatcher.AcknowledgedCount);
        Assert.Equal(6 + 1, logger.Calls);
    }

    [Fact]
    public async Task A_throwing_logger_leaves_items_whose_dead_letter_failed_discarded_and_acked()
    {
        var time = new RecordingTimeProvider();
        var logger = new ThrowingLogger();
        var sink = new RecordingSink<int>("queue", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("never")));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (_, _, _) => ValueTask.FromException(new IOException("disk full")));
        var options = new DeliveryOptions<int> { TimeProvider = time, Logger = logger, MaxRetries = 0, DeadLetterSink = deadLetters };
        options.AddSink(sink);
        var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 5).Select(_ => new CountingAck()).ToArray();

        for (var i = 0; i < acks.Length; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        await Task.WhenAll(acks.Select(a => a.First));
        Assert.All(acks, a => Assert.Equal(1, a.Count));
        Assert.Equal(5, deadLetters.Attempts);
        Assert.Equal(new DeliverySinkMetrics("queue", 0, 0, 0, 0, 5, 0), dispatcher.GetSinkMetrics("queue"));
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        Assert.Equal(5, logger.Calls);
    }

    // Events 6001 and 6002 (docs/hosting.md): a discarded item is reported in the words of the counter it is counted in,
    // Discarded, not "dropped" (the word of OnFull.Drop's Dropped counter), with the failure attached.
    [Fact]
    public async Task A_discarded_item_is_logged_as_6001_or_6002_in_the_words_of_the_Discarded_counter()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var failing = new RecordingSink<int>("queue", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("never")));
        var noLetters = new DeliveryDispatcher<int>(new DeliveryOptions<int> { TimeProvider = time, Logger = logger, MaxRetries = 0 }.AddSink(failing));
        var first = new CountingAck();
        await noLetters.DispatchAsync(1, first);
        await first.First;
        Assert.True(await noLetters.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));

        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("disk full")));
        var failingLetters = new DeliveryDispatcher<int>(new DeliveryOptions<int> { TimeProvider = time, Logger = logger, MaxRetries = 0, DeadLetterSink = deadLetters }
            .AddSink(new RecordingSink<int>("queue", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("never")))));
        var second = new CountingAck();
        await failingLetters.DispatchAsync(2, second);
        await second.First;
        Assert.True(await failingLetters.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));

        (LogLevel Level, EventId Id, string Message, Exception? Error)[] entries;
        lock (logger.Entries)
        {
            entries = [.. logger.Entries.Where(e => e.Id.Id is 6001 or 6002)];
        }

        Assert.Collection(
            entries,
            e =>
            {
                Assert.Equal((LogLevel.Error, 6001), (e.Level, e.Id.Id));
                Assert.Contains("counted as Discarded", e.Message, StringComparison.Ordinal);
                Assert.IsType<PermanentDeliveryException>(e.Error);
            },
            e =>
            {
                Assert.Equal((LogLevel.Critical, 6002), (e.Level, e.Id.Id));
                Assert.Contains("counted as Discarded", e.Message, StringComparison.Ordinal);
                Assert.Equal("disk full", e.Error?.Message);
            });
        Assert.All(entries, e => Assert.DoesNotContain("dropped", e.Message, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_throwing_logger_does_not_fail_a_dispatch_that_fires_the_ack_itself()
    {
        var time = new RecordingTimeProvider();
        var logger = new ThrowingLogger();
        var shipper = new RecordingSink<int>("shipper");
        var options = new DeliveryOptions<int> { TimeProvider = time, Logger = logger };
        options.AddSink(shipper, new DeliverySinkOptions { BestEffort = true });
        var dispatcher = new DeliveryDispatcher<int>(options);

        // No sink holds the acknowledgement, so the dispatch fires it, and the throwing callback is logged there.
        var dispatch = dispatcher.DispatchAsync(1, new ThrowingAck());

        Assert.True(dispatch.IsCompletedSuccessfully);
        Assert.Equal(1, logger.Calls);
        await shipper.WhenCommitted(1);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
    }

    [Fact]
    public async Task A_throwing_logger_does_not_fault_a_shutdown_that_gave_up_draining()
    {
        var time = new RecordingTimeProvider();
        var logger = new ThrowingLogger();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stuck = new RecordingSink<int>("stuck", time, async (_, _, ct) =>
        {
            // A cancellation callback that throws is logged by the shutdown, and that log call throws too.
            using var registration = ct.Register(static () => throw new InvalidProgramException("callback bug"));
            started.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        });
        var options = new DeliveryOptions<int> { TimeProvider = time, Logger = logger };
        options.AddSink(stuck);
        var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        await started.Task.WaitAsync(TestLimits.Hang);

        var shutdown = dispatcher.ShutdownAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(5), await time.NextTimerAsync());
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.False(await shutdown.WaitAsync(TestLimits.Hang));
        Assert.Equal(0, ack.Count);
        Assert.Equal(2, logger.Calls);
    }

    /// <summary>What <c>Microsoft.Extensions.Logging.Logger</c> does when a provider throws: it rethrows, aggregated.</summary>
    private sealed class ThrowingLogger : ILogger
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Interlocked.Increment(ref _calls);
            throw new AggregateException("An error occurred while writing to logger(s).", new InvalidOperationException("log provider down"));
        }
    }

    private sealed class ThrowingAck : IAckToken
    {
        public void Acknowledge() => throw new InvalidProgramException("ack handler bug");
    }
}
