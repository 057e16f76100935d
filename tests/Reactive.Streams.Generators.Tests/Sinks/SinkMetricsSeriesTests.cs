using System.Diagnostics.Metrics;
using System.Reactive.Concurrency;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Generators.Tests.Conformance;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>A sink no other test uses, so that its series on the static meter holds only what these tests push.</summary>
[StreamSink(typeof(TableEvent))]
[Backpressure(BackpressurePolicy.DropOldest, Capacity = 2)]
public sealed partial class MeteredTwiceTableSink : HoldingTableSink;

/// <summary>
/// A generated sink instantiated twice (issue 17): its adapters share the sink's name and policy, so they are one
/// series on the <c>Reactive.Streams</c> meter, read here as OpenTelemetry or dotnet-counters would, through a
/// <see cref="MeterListener"/>: the series is their sum, and an adapter that ends and is collected leaves its counts in it.
/// </summary>
public sealed class SinkMetricsSeriesTests
{
    private const string Name = nameof(MeteredTwiceTableSink);

    [Fact]
    public void Observers_of_a_sink_instantiated_twice_are_one_series_whose_counts_survive_an_ended_observer()
    {
        // A virtual clock nothing advances: the observers' pumps never start, so what is pushed stays buffered.
        var scheduler = new HistoricalScheduler();
        var survivor = new MeteredTwiceTableSink().CreateObserver(scheduler: scheduler);
        survivor.OnNext(new TableEvent.Item(1));

        var ended = PushThreeIntoAnotherSinkAndDispose(scheduler);
        Assert.Equal(new StreamMetricsSnapshot(1, 0, 0, 0, 0, 0, 0, 1), survivor.GetMetrics());

        // One series, not one per observer: 1 + 3 pushed, the second observer's one eviction.
        var seen = Collect();
        Assert.Equal(8, seen.Count);
        Assert.Equal(4, seen["reactive_streams.stream.items.pushed"]);
        Assert.Equal(1, seen["reactive_streams.stream.items.dropped"]);

        // Collected, the ended observer's counts stay; its depth is gone.
        for (var i = 0; i < 10 && ended.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(ended.IsAlive, "The disposed observer was not collected.");
        seen = Collect();
        Assert.Equal(4, seen["reactive_streams.stream.items.pushed"]);
        Assert.Equal(1, seen["reactive_streams.stream.items.dropped"]);
        Assert.Equal(1, seen["reactive_streams.stream.depth"]);
        Assert.Equal(survivor.GetMetrics().Depth, seen["reactive_streams.stream.depth"]);

        // The sink's Dataflow target is one more adapter of the same name and policy: its pushes join the series.
        var target = new MeteredTwiceTableSink().CreateTarget();
        Assert.True(target.Post(new TableEvent.Item(5)));
        Assert.Equal(5, Collect()["reactive_streams.stream.items.pushed"]);
        GC.KeepAlive(survivor);
        GC.KeepAlive(target);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference PushThreeIntoAnotherSinkAndDispose(IScheduler scheduler)
    {
        var observer = new MeteredTwiceTableSink().CreateObserver(scheduler: scheduler);
        observer.OnNext(new TableEvent.Item(2));
        observer.OnNext(new TableEvent.Item(3));
        observer.OnNext(new TableEvent.Item(4));
        Assert.Equal(new StreamMetricsSnapshot(3, 0, 1, 0, 0, 0, 0, 2), observer.GetMetrics());
        observer.Dispose();
        return new WeakReference(observer);
    }

    /// <summary>One collection of the stream instruments of the sink's series on the static meter, by instrument.</summary>
    private static Dictionary<string, long> Collect()
    {
        var seen = new List<(string Instrument, string? Policy, long Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == StreamMeter.Meter && instrument.Name.StartsWith("reactive_streams.stream.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? name = null, policy = null;
            foreach (var tag in tags)
            {
                if (tag.Key == StreamMeter.StreamNameAttribute)
                {
                    name = tag.Value as string;
                }
                else if (tag.Key == StreamMeter.StreamPolicyAttribute)
                {
                    policy = tag.Value as string;
                }
            }

            if (name == Name)
            {
                lock (seen)
                {
                    seen.Add((instrument.Name, policy, value));
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        // A duplicate attribute set (one series per adapter) would fail here: one measurement per instrument.
        Assert.All(seen.GroupBy(m => m.Instrument), group => Assert.Single(group));
        Assert.All(seen, m => Assert.Equal("DropOldest", m.Policy));
        return seen.ToDictionary(m => m.Instrument, m => m.Value);
    }
}
