using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Delivery;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Metrics;

/// <summary>docs/metrics.md on the ack duration histogram: its bucket boundaries, and that its clock is read only while listened to.</summary>
public sealed class AckDurationPageTests
{
    [Fact]
    public async Task The_ack_duration_advises_OpenTelemetrys_duration_buckets_from_5_ms_to_10_s()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        Histogram<double>? histogram = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "reactive_streams.delivery.ack.duration")
            {
                histogram = (Histogram<double>)instrument;
            }
        };
        listener.Start();

        // The dispatcher creates the factory's meter and its instruments.
        await using (new DeliveryDispatcher<int>(new DeliveryOptions<int> { MeterFactory = factory }.AddSink(new RecordingSink<int>("advice"))))
        {
        }

        Assert.NotNull(histogram);
        Assert.Equal("s", histogram.Unit);
        // OpenTelemetry's advice for durations in seconds (the HTTP semantic conventions' buckets).
        Assert.Equal(
            [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
            histogram.Advice?.HistogramBucketBoundaries);
    }
}

/// <summary>
/// "The ack duration is recorded only while a listener is attached (its clock is read only then)". In the allocation
/// collection because it runs alone: another test's listener that enables every meter named Reactive.Streams would
/// attach one to this dispatcher's meter too.
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class AckDurationClockTests
{
    [Fact]
    public async Task Without_a_listener_the_dispatcher_never_reads_its_clock_for_the_ack_duration()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var time = new TimestampCountingTimeProvider();
        var ack = new CountingAck();
        await using (var dispatcher = new DeliveryDispatcher<int>(
            new DeliveryOptions<int> { TimeProvider = time, MeterFactory = factory }.AddSink(new RecordingSink<int>("unwatched"))))
        {
            var reads = time.TimestampReads;
            await dispatcher.DispatchAsync(1, ack);
            await ack.First.WaitAsync(TestLimits.Hang);
            Assert.Equal(reads, time.TimestampReads);
        }

        // With a listener on the histogram the clock is read, so the count above measured what it claims to.
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "reactive_streams.delivery.ack.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.Start();
        var watched = new CountingAck();
        await using (var dispatcher = new DeliveryDispatcher<int>(
            new DeliveryOptions<int> { TimeProvider = time, MeterFactory = factory }.AddSink(new RecordingSink<int>("watched"))))
        {
            var reads = time.TimestampReads;
            await dispatcher.DispatchAsync(1, watched);
            await watched.First.WaitAsync(TestLimits.Hang);
            Assert.True(time.TimestampReads > reads, "a listened-to ack duration read no clock");
        }
    }

    private sealed class TimestampCountingTimeProvider : FakeTimeProvider
    {
        private int _reads;

        public int TimestampReads => Volatile.Read(ref _reads);

        public override long GetTimestamp()
        {
            Interlocked.Increment(ref _reads);
            return base.GetTimestamp();
        }
    }
}
