using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// A metrics listener whose measurement callback throws (a custom exporter's bug): the ack duration is the one
/// instrument the dispatcher records on its own threads, and .NET runs the callback inside that call. As logging, it
/// must not change delivery: every acknowledgement still fires and the worker goes on.
/// </summary>
public class DeliveryMeterListenerFaultTests
{
    [Fact]
    public async Task A_listener_that_throws_on_the_ack_duration_neither_stops_the_worker_nor_swallows_the_acknowledgements()
    {
        var name = $"listener-fault-{Guid.NewGuid():N}";
        using var listener = ThrowingListenerFor(name);
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var slow = new RecordingSink<int>("slow", time, async (_, _, _) => await Task.Yield());
        var options = new DeliveryOptions<int> { Name = name, TimeProvider = time, Logger = logger, MaxBatch = 1 }.AddSink(slow);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 3).Select(_ => new CountingAck()).ToArray();

        // Each acknowledgement is fired by the worker, after its asynchronous write.
        for (var i = 0; i < 3; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        await Task.WhenAll(acks.Select(a => a.First));

        Assert.All(acks, a => Assert.Equal(1, a.Count));
        Assert.Equal(3, dispatcher.AcknowledgedCount);
        Assert.Equal([0, 1, 2], slow.Committed);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        Assert.DoesNotContain(logger.Entries, e => e.Id.Id == 6005);
        Assert.Equal(3, logger.Entries.Count(e => e.Id.Id == 6008 && e.Level == LogLevel.Warning && e.Error?.Message == "exporter bug"));
    }

    [Fact]
    public async Task A_listener_that_throws_on_the_ack_duration_does_not_fail_a_dispatch_that_fires_the_ack_itself()
    {
        var name = $"listener-fault-{Guid.NewGuid():N}";
        using var listener = ThrowingListenerFor(name);
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var preview = new RecordingSink<int>("preview");
        var options = new DeliveryOptions<int> { Name = name, TimeProvider = time, Logger = logger }
            .AddSink(preview, new DeliverySinkOptions { BestEffort = true });
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        // No sink holds the acknowledgement: the dispatch fires it on the calling thread.
        var dispatch = dispatcher.DispatchAsync(1, ack);

        Assert.True(dispatch.IsCompletedSuccessfully);
        Assert.Equal(1, ack.Count);
        Assert.Equal(1, dispatcher.AcknowledgedCount);
        await preview.WhenCommitted(1);
        Assert.Single(logger.Entries, e => e.Id.Id == 6008);
    }

    /// <summary>Listens to the ack duration and throws for the measurements of the dispatcher named <paramref name="name"/> only.</summary>
    private static MeterListener ThrowingListenerFor(string name)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == StreamMeter.MeterName && instrument.Name == "reactive_streams.delivery.ack.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reactive_streams.dispatcher.name" && (string?)tag.Value == name)
                {
                    throw new InvalidOperationException("exporter bug");
                }
            }
        });
        listener.Start();
        return listener;
    }
}
