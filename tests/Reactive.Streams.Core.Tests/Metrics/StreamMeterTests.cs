using System.Diagnostics.Metrics;

namespace Reactive.Streams.Tests.Metrics;

public class StreamMeterTests
{
    [Fact]
    public async Task MeterListener_sees_the_same_counts_as_the_snapshot()
    {
        var name = $"meter-test-{Guid.NewGuid():N}";
        var stream = BoundedStream.Create(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 2) { Name = name });
        await stream.PushAsync(1);
        await stream.PushAsync(2);
        var blocked = stream.PushAsync(3).AsTask();
        Assert.True(stream.TryRead(out _));
        await blocked;
        Assert.Equal(PushStatus.Full, stream.TryPush(4).Status);
        stream.Complete();
        Assert.Equal(PushStatus.Closed, stream.TryPush(5).Status);

        var seen = new Dictionary<string, (long Value, string? Policy)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StreamMeter.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? streamName = null;
            string? policy = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "stream.name")
                {
                    streamName = tag.Value as string;
                }
                else if (tag.Key == "stream.policy")
                {
                    policy = tag.Value as string;
                }
            }

            if (streamName == name)
            {
                seen[instrument.Name] = (value, policy);
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        var snapshot = stream.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(4, 1, 0, 0, 1, 0, 1, 2), snapshot);
        Assert.Equal(snapshot.ItemsPushed, seen["items_pushed"].Value);
        Assert.Equal(snapshot.ItemsDelivered, seen["items_delivered"].Value);
        Assert.Equal(snapshot.DropOldestHits, seen["drop_oldest_hits"].Value);
        Assert.Equal(snapshot.DegradeQualityHits, seen["degrade_quality_hits"].Value);
        Assert.Equal(snapshot.PauseUpstreamBlocks, seen["pause_upstream_blocks"].Value);
        Assert.Equal(snapshot.FailOverflows, seen["fail_overflows"].Value);
        Assert.Equal(snapshot.ItemsRejected, seen["items_rejected"].Value);
        Assert.Equal(snapshot.Depth, seen["depth"].Value);
        Assert.All(seen.Values, v => Assert.Equal("PauseUpstream", v.Policy));
        GC.KeepAlive(stream);
    }

    [Fact]
    public void Every_policy_counter_is_published_for_each_policy()
    {
        var streams = new[]
        {
            BoundedStream.DropOldest<int>(1, $"drop-{Guid.NewGuid():N}"),
            BoundedStream.DegradeQuality<int>(1, static x => -x, $"degrade-{Guid.NewGuid():N}"),
            BoundedStream.Fail<int>(1, $"fail-{Guid.NewGuid():N}"),
        };
        foreach (var stream in streams)
        {
            stream.TryPush(1);
            stream.TryPush(2);
        }

        var totals = new Dictionary<(string Stream, string Instrument), long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StreamMeter.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "stream.name" && tag.Value is string s)
                {
                    totals[(s, instrument.Name)] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(1, totals[(streams[0].Name, "drop_oldest_hits")]);
        Assert.Equal(1, totals[(streams[1].Name, "degrade_quality_hits")]);
        Assert.Equal(1, totals[(streams[2].Name, "fail_overflows")]);
        Assert.All(streams, s => Assert.Equal(2, totals[(s.Name, "items_pushed")]));
    }
}
