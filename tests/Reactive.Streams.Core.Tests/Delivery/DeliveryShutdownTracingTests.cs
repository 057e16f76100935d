using System.Diagnostics;
using Reactive.Streams.Storage.Tests;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// Writes cut short by a shutdown that ran out of drain time: the dispatcher cancelled them, so their spans end with the
/// status unset and no <c>error.type</c> (docs/tracing.md: a cancellation is no failure).
/// </summary>
public sealed class DeliveryShutdownTracingTests
{
    [Fact]
    public async Task A_sink_write_cancelled_by_shutdown_ends_its_deliver_span_without_error()
    {
        using var recorder = new TraceRecorder();
        var sink = new WaitingSink<int>("waiting");
        var name = $"stopped-{Guid.NewGuid():N}";
        await using var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { Name = name }.AddSink(sink));
        using (recorder.StartTrace())
        {
            await dispatcher.DispatchAsync(1);
        }

        await sink.Started.Task.WaitAsync(TestLimits.Hang);
        Assert.False(await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TestLimits.Hang));

        var write = recorder.Single($"deliver {name}/waiting");
        Assert.Equal(ActivityStatusCode.Unset, write.Status);
        Assert.Null(write.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Unset, recorder.Single($"dispatch {name}").Status);
    }

    [Fact]
    public async Task A_dead_letter_cancelled_by_shutdown_ends_its_span_without_error()
    {
        using var recorder = new TraceRecorder();
        var sink = new FailingSink();
        var deadLetters = new WaitingSink<DeadLetter<int>>("dead");
        var name = $"stopped-dl-{Guid.NewGuid():N}";
        await using var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { Name = name, DeadLetterSink = deadLetters }.AddSink(sink));
        using (recorder.StartTrace())
        {
            await dispatcher.DispatchAsync(1);
        }

        await deadLetters.Started.Task.WaitAsync(TestLimits.Hang);
        Assert.False(await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TestLimits.Hang));

        // The sink's write failed for real (Error); the dead letter was cancelled, not failed.
        var write = recorder.Single($"deliver {name}/failing");
        Assert.Equal(ActivityStatusCode.Error, write.Status);
        var deadLetter = recorder.Single($"dead_letter {name}/failing");
        Assert.Equal(ActivityStatusCode.Unset, deadLetter.Status);
        Assert.Null(deadLetter.GetTagItem("error.type"));
        Assert.Equal(typeof(PermanentDeliveryException).FullName, deadLetter.GetTagItem("reactive_streams.delivery.failure.type"));
    }

    /// <summary>A sink whose writes wait until the dispatcher cancels them.</summary>
    private sealed class WaitingSink<T>(string name) : IDeliverySink<T>
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => name;

        public async ValueTask WriteAsync(T item, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    /// <summary>A sink whose every write fails permanently.</summary>
    private sealed class FailingSink : IDeliverySink<int>
    {
        public string Name => "failing";

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken) => throw new PermanentDeliveryException("poison");
    }
}
