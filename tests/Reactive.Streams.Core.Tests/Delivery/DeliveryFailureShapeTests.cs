using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// The shapes a sink's failure takes, as a Polly user would mix them in one retry sequence: an exception thrown out of
/// a non-async <c>WriteAsync</c>, a faulted task, a task cancelled by the sink's own token, an async method that fails
/// after yielding. Each is one failed attempt, counted and backed off the same.
/// </summary>
public class DeliveryFailureShapeTests
{
    [Theory]
    [InlineData(4)] // the fifth attempt commits
    [InlineData(3)] // out of retries after the fourth
    public async Task Every_failure_shape_is_one_attempt_backed_off_alike_and_the_retry_count_is_exact(int maxRetries)
    {
        var time = new RecordingTimeProvider();
        var start = time.GetUtcNow();
        var sink = new ShapeShiftingSink(time);
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = DeliveryDispatcherTests.Options(time, sink);
        options.MaxRetries = maxRetries;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(7, ack);
        for (var retry = 1; retry <= maxRetries; retry++)
        {
            var due = await time.NextTimerAsync();
            Assert.Equal(TimeSpan.FromMilliseconds(100 * (1 << (retry - 1))), due);
            Assert.Equal(0, ack.Count);
            time.Advance(due);
        }

        await ack.First;
        Assert.Equal(1, ack.Count);
        Assert.Equal(1 + maxRetries, sink.Attempts.Count);
        long[] times = [0, 100, 300, 700, 1500];
        Assert.Equal(times.Take(1 + maxRetries), sink.Attempts.Select(t => (long)(t - start).TotalMilliseconds));
        var metrics = dispatcher.GetSinkMetrics("shapes");
        Assert.Equal(maxRetries, metrics.Retries);
        if (maxRetries == 4)
        {
            Assert.Equal(1, metrics.Delivered);
            Assert.Empty(deadLetters.Committed);
        }
        else
        {
            Assert.Equal(0, metrics.Delivered);
            Assert.Equal(1, metrics.DeadLettered);
            var letter = Assert.Single(deadLetters.Committed);
            Assert.Equal((7, "shapes", 4), (letter.Item, letter.SinkName, letter.Attempts));
            Assert.Equal("failed after yielding", Assert.IsType<IOException>(letter.Error).Message);
            Assert.Equal(start + TimeSpan.FromMilliseconds(700), letter.FailedAt);
        }
    }

    [Fact]
    public async Task A_subclass_of_PermanentDeliveryException_is_permanent_even_when_the_classifier_calls_everything_transient()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("schema", time, (_, _, _) => throw new SchemaRejected());
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = DeliveryDispatcherTests.Options(time, sink);
        options.MaxRetries = 5;
        options.IsTransient = static _ => true;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(3, ack);
        await ack.First;

        Assert.Equal(1, sink.Attempts);
        var letter = Assert.Single(deadLetters.Committed);
        Assert.Equal(1, letter.Attempts);
        Assert.IsType<SchemaRejected>(letter.Error);
        Assert.Equal(0, dispatcher.GetSinkMetrics("schema").Retries);
        Assert.Empty(time.AllTimers);
    }

    private sealed class SchemaRejected() : PermanentDeliveryException("schema v1 is not accepted");

    /// <summary>Fails a different way on each of its first four attempts and commits on the fifth.</summary>
    private sealed class ShapeShiftingSink(TimeProvider time) : IDeliverySink<int>
    {
        public List<DateTimeOffset> Attempts { get; } = [];

        public string Name => "shapes";

        // Not an async method: attempt 1 throws out of the call itself.
        public ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            Attempts.Add(time.GetUtcNow());
            return Attempts.Count switch
            {
                1 => throw new InvalidOperationException("thrown synchronously"),
                2 => ValueTask.FromException(new TimeoutException("faulted task")),
                3 => ValueTask.FromCanceled(new CancellationToken(canceled: true)),
                4 => FailAfterYieldingAsync(),
                _ => default,
            };
        }

        private static async ValueTask FailAfterYieldingAsync()
        {
            await Task.Yield();
            throw new IOException("failed after yielding");
        }
    }
}
