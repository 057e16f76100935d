using System.Diagnostics.Metrics;

namespace Reactive.Streams.Tests.Metrics;

/// <summary>Listeners that come late, several at once, or go; a meter disposed under running streams.</summary>
public sealed class MeterLifetimeTests
{
    private static long Read(MeterSeriesTests.ScopedMeter meter, string instrument, string stream) =>
        Assert.Single(meter.Collect(), m => m.Instrument == instrument && m.Stream == stream).Value;

    [Fact]
    public void Late_and_concurrent_listeners_each_see_the_current_counts_and_depth()
    {
        using var meter = new MeterSeriesTests.ScopedMeter();
        var stream = BoundedStream.Create(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { Name = "late", MeterFactory = meter.Factory });
        _ = stream.TryPush(1);
        _ = stream.TryPush(2);
        _ = stream.TryPush(3);

        // Two listeners attached now, after the pushes: observable instruments report the state, not what was seen.
        var pushed = new long[2];
        var depth = new long[2];
        var listeners = new MeterListener[2];
        for (var i = 0; i < listeners.Length; i++)
        {
            var slot = i;
            var listener = listeners[i] = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meter.Factory && instrument.Name is "reactive_streams.stream.items.pushed" or "reactive_streams.stream.depth")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == StreamMeter.StreamNameAttribute && (string?)tag.Value == "late")
                    {
                        if (instrument.Name.EndsWith("pushed", StringComparison.Ordinal))
                        {
                            pushed[slot] = value;
                        }
                        else
                        {
                            depth[slot] = value;
                        }
                    }
                }
            });
            listener.Start();
        }

        listeners[0].RecordObservableInstruments();
        listeners[1].RecordObservableInstruments();
        Assert.Equal([3, 3], pushed);
        Assert.Equal([2, 2], depth);

        // One listener goes; the other keeps observing.
        listeners[0].Dispose();
        Assert.True(stream.TryRead(out _));
        _ = stream.TryPush(4);
        listeners[1].RecordObservableInstruments();
        Assert.Equal(4, pushed[1]);
        Assert.Equal(2, depth[1]);
        Assert.Equal(3, pushed[0]);
        listeners[1].Dispose();

        Assert.Equal(4, Read(meter, "reactive_streams.stream.items.pushed", "late"));
        Assert.Equal(1, Read(meter, "reactive_streams.stream.items.delivered", "late"));
        Assert.Equal(1, Read(meter, "reactive_streams.stream.items.dropped", "late"));
        Assert.Equal(2, Read(meter, "reactive_streams.stream.depth", "late"));
    }

    [Fact]
    public void A_stream_whose_meter_was_disposed_keeps_working_and_keeps_its_own_counts()
    {
        var meter = new MeterSeriesTests.ScopedMeter();
        var stream = BoundedStream.Create(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 2) { Name = "orphan", MeterFactory = meter.Factory });
        _ = stream.TryPush(1);
        meter.Dispose(); // the container (and its meters) goes, as when a host stops

        Assert.Equal(PushStatus.Enqueued, stream.TryPush(2).Status);
        Assert.Equal(PushStatus.Overflow, stream.TryPush(3).Status);
        Assert.True(stream.TryRead(out var first));
        Assert.Equal(1, first);
        var metrics = stream.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(ItemsPushed: 3, ItemsDelivered: 1, 0, 0, 0, FailOverflows: 1, 0, Depth: 1), metrics);
        Assert.True(metrics.IsConserved, metrics.ToString());
    }
}
