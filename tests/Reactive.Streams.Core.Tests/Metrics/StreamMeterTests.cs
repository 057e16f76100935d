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
                if (tag.Key == "reactive_streams.stream.name")
                {
                    streamName = tag.Value as string;
                }
                else if (tag.Key == "reactive_streams.stream.policy")
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
        Assert.Equal(snapshot.ItemsPushed, seen["reactive_streams.stream.items.pushed"].Value);
        Assert.Equal(snapshot.ItemsDelivered, seen["reactive_streams.stream.items.delivered"].Value);
        Assert.Equal(snapshot.DropOldestHits, seen["reactive_streams.stream.items.dropped"].Value);
        Assert.Equal(snapshot.DegradeQualityHits, seen["reactive_streams.stream.items.degraded"].Value);
        Assert.Equal(snapshot.PauseUpstreamBlocks, seen["reactive_streams.stream.pushes.paused"].Value);
        Assert.Equal(snapshot.FailOverflows, seen["reactive_streams.stream.overflows"].Value);
        Assert.Equal(snapshot.ItemsRejected, seen["reactive_streams.stream.items.rejected"].Value);
        Assert.Equal(snapshot.Depth, seen["reactive_streams.stream.depth"].Value);
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
                if (tag.Key == "reactive_streams.stream.name" && tag.Value is string s)
                {
                    totals[(s, instrument.Name)] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(1, totals[(streams[0].Name, "reactive_streams.stream.items.dropped")]);
        Assert.Equal(1, totals[(streams[1].Name, "reactive_streams.stream.items.degraded")]);
        Assert.Equal(1, totals[(streams[2].Name, "reactive_streams.stream.overflows")]);
        Assert.All(streams, s => Assert.Equal(2, totals[(s.Name, "reactive_streams.stream.items.pushed")]));
    }

    /// <summary>Collects one round of the stream instruments: every measurement with its instrument and tags.</summary>
    private static List<(string Instrument, string? Stream, string? Policy, long Value)> Collect()
    {
        var seen = new List<(string, string?, string?, long)>();
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
            string? stream = null;
            string? policy = null;
            foreach (var tag in tags)
            {
                stream = tag.Key == "reactive_streams.stream.name" ? tag.Value as string : stream;
                policy = tag.Key == "reactive_streams.stream.policy" ? tag.Value as string : policy;
            }

            lock (seen)
            {
                seen.Add((instrument.Name, stream, policy, value));
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }

    [Fact]
    public void Streams_that_share_a_name_and_policy_are_one_series_whose_value_is_their_sum()
    {
        var name = $"shared-{Guid.NewGuid():N}";
        var first = BoundedStream.DropOldest<int>(2, name);
        var second = BoundedStream.DropOldest<int>(2, name);
        var other = BoundedStream.Fail<int>(2, name);
        for (var i = 0; i < 3; i++)
        {
            first.TryPush(i);
        }

        for (var i = 0; i < 5; i++)
        {
            second.TryPush(i);
        }

        other.TryPush(1);

        var seen = Collect().Where(m => m.Stream == name).ToList();

        // One measurement per instrument and tag set: a listener that keeps the last value per series loses nothing.
        Assert.Equal(8 * 2, seen.Count);
        Assert.Equal(seen.Count, seen.Select(m => (m.Instrument, m.Policy)).Distinct().Count());
        Assert.Equal(8, Value("reactive_streams.stream.items.pushed", "DropOldest"));
        Assert.Equal(1 + 3, Value("reactive_streams.stream.items.dropped", "DropOldest"));
        Assert.Equal(4, Value("reactive_streams.stream.depth", "DropOldest"));
        Assert.Equal(1, Value("reactive_streams.stream.items.pushed", "Fail"));
        GC.KeepAlive(first);
        GC.KeepAlive(second);
        GC.KeepAlive(other);

        long Value(string instrument, string policy) => seen.Single(m => m.Instrument == instrument && m.Policy == policy).Value;
    }

    [Fact]
    public void A_stream_that_ended_keeps_its_counts_in_the_series_and_leaves_its_depth()
    {
        var name = $"ended-{Guid.NewGuid():N}";
        var survivor = BoundedStream.DropOldest<int>(4, name);
        survivor.TryPush(1);
        PushIntoAStreamThatIsThenDropped(name);

        // The dropped stream is collected; its registration folds its last counts into the series.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        var seen = Collect().Where(m => m.Stream == name).ToDictionary(m => m.Instrument, m => m.Value);
        Assert.Equal(1 + 3, seen["reactive_streams.stream.items.pushed"]);
        Assert.Equal(2, seen["reactive_streams.stream.items.dropped"]);
        Assert.Equal(1, seen["reactive_streams.stream.items.delivered"]);
        Assert.Equal(1, seen["reactive_streams.stream.depth"]);
        GC.KeepAlive(survivor);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void PushIntoAStreamThatIsThenDropped(string name)
    {
        var stream = BoundedStream.DropOldest<int>(1, name);
        stream.TryPush(1);
        stream.TryPush(2);
        stream.TryPush(3);
        Assert.True(stream.TryRead(out _));
        stream.Complete();
    }

    [Fact]
    public void Every_surface_is_a_metered_stream_with_its_own_snapshot()
    {
        var scheduler = new Reactive.Streams.Testing.TestScheduler();
        var subject = new System.Reactive.Subjects.Subject<int>();
        using var operatorSubscription = System.ObservableExtensions.Subscribe(subject.DropOldest(2, scheduler));
        using var asyncSubscription = subject.SubscribeAsync(static (_, _) => ValueTask.CompletedTask, BackpressurePolicy.Fail, 4, scheduler: scheduler);
        IMeteredStream[] surfaces =
        [
            BoundedStream.DropOldest<int>(2),
            (IMeteredStream)BackpressureChannel.Create<int>(BackpressurePolicy.DropOldest, 2),
            new BackpressureBlock<int>(BackpressurePolicy.DropOldest, 2),
            (IMeteredStream)operatorSubscription,
            asyncSubscription,
        ];

        subject.OnNext(1);
        subject.OnNext(2);
        subject.OnNext(3);

        var rx = (IMeteredStream)operatorSubscription;
        Assert.Equal((BackpressurePolicy.DropOldest, 2), (rx.Policy, rx.Capacity));
        Assert.Equal(new StreamMetricsSnapshot(3, 0, 1, 0, 0, 0, 0, 2), rx.GetMetrics());
        Assert.Equal(new StreamMetricsSnapshot(3, 0, 0, 0, 0, 0, 0, 3), asyncSubscription.GetMetrics());
        Assert.All(surfaces, s => Assert.False(string.IsNullOrEmpty(s.Name)));
        Assert.All(surfaces[..3], s => Assert.Equal(new StreamMetricsSnapshot(), s.GetMetrics()));
    }
}
