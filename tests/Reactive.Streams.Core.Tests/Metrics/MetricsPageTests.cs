using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Reactive.Streams.Tests.Delivery;

namespace Reactive.Streams.Tests.Metrics;

/// <summary>docs/metrics.md against what the meter publishes, and the meter an <see cref="IMeterFactory"/> gives.</summary>
public sealed partial class MetricsPageTests
{
    [Fact]
    public async Task The_metrics_page_lists_exactly_what_the_meter_publishes()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var published = new Dictionary<string, (string Kind, string? Unit, string? Description, SortedSet<string> Attributes)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Meter.Name == StreamMeter.MeterName)
            {
                lock (published)
                {
                    published[instrument.Name] = (instrument.GetType().Name.Split('`')[0], instrument.Unit, instrument.Description, []);
                }

                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            lock (published)
            {
                foreach (var tag in tags)
                {
                    published[instrument.Name].Attributes.Add(tag.Key);
                }
            }
        }

        listener.SetMeasurementEventCallback<long>(Record);
        listener.SetMeasurementEventCallback<double>(Record);
        listener.Start();

        // One of each component on the factory's meter, so every instrument has a series and a measurement.
        var stream = BoundedStream.Create(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4) { MeterFactory = factory });
        stream.TryPush(1);
        var sink = new RecordingSink<int>("page");
        var ack = new CountingAck();
        await using (var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { MeterFactory = factory }.AddSink(sink)))
        {
            await dispatcher.DispatchAsync(1, ack);
            await ack.First;
        }

        listener.RecordObservableInstruments();
        GC.KeepAlive(stream);

        var documented = DocumentedInstruments();
        Assert.Equal(documented.Keys.Order(), published.Keys.Order());
        foreach (var (name, doc) in documented)
        {
            var actual = published[name];
            Assert.True(doc.Kind == actual.Kind, $"{name}: the page says {doc.Kind}, the meter publishes {actual.Kind}");
            Assert.True(doc.Unit == actual.Unit, $"{name}: the page says unit {doc.Unit}, the meter publishes {actual.Unit}");
            Assert.True(doc.Description == actual.Description, $"{name}: the page says \"{doc.Description}\", the meter \"{actual.Description}\"");
            Assert.True(doc.Attributes.SetEquals(actual.Attributes), $"{name}: the page says [{string.Join(", ", doc.Attributes)}], the meter publishes [{string.Join(", ", actual.Attributes)}]");
        }
    }

    [Fact]
    public void A_stream_with_a_meter_factory_publishes_on_that_factorys_meter_only()
    {
        using var first = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var second = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = first.GetRequiredService<IMeterFactory>();
        const string Pushed = "reactive_streams.stream.items.pushed";
        using var mine = new MetricCollector<long>(factory, StreamMeter.MeterName, Pushed);
        using var other = new MetricCollector<long>(second.GetRequiredService<IMeterFactory>(), StreamMeter.MeterName, Pushed);
        using var shared = new MetricCollector<long>(StreamMeter.Meter, Pushed);
        var name = $"factory-{Guid.NewGuid():N}";

        var stream = BoundedStream.Create(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 4) { Name = name, MeterFactory = factory });
        stream.TryPush(1);
        stream.TryPush(2);
        foreach (var collector in new[] { mine, other, shared })
        {
            collector.RecordObservableInstruments();
        }

        var measurement = Assert.Single(mine.GetMeasurementSnapshot());
        Assert.Equal(2, measurement.Value);
        Assert.Equal(name, measurement.Tags[StreamMeter.StreamNameAttribute]);
        Assert.Equal("Fail", measurement.Tags[StreamMeter.StreamPolicyAttribute]);
        Assert.Empty(other.GetMeasurementSnapshot());
        Assert.DoesNotContain(shared.GetMeasurementSnapshot(), m => Equals(m.Tags.GetValueOrDefault(StreamMeter.StreamNameAttribute), name));
        GC.KeepAlive(stream);
    }

    [Fact]
    public async Task The_ack_duration_is_recorded_in_seconds_on_the_dispatchers_meter()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var collector = new MetricCollector<double>(factory, StreamMeter.MeterName, "reactive_streams.delivery.ack.duration");
        var time = new RecordingTimeProvider();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("slow", time, async (_, _, _) => await release.Task);
        var ack = new CountingAck();
        await using var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { Name = "timed", TimeProvider = time, MeterFactory = factory }.AddSink(sink));

        await dispatcher.DispatchAsync(1, ack);
        time.Advance(TimeSpan.FromMilliseconds(1500));
        release.SetResult();
        await ack.First;

        var measurement = Assert.Single(collector.GetMeasurementSnapshot());
        Assert.Equal(1.5, measurement.Value, precision: 6);
        Assert.Equal("timed", measurement.Tags[StreamMeter.DispatcherNameAttribute]);
    }

    [Fact]
    public async Task The_ack_duration_of_an_item_dispatched_at_timestamp_zero_is_recorded()
    {
        // A TestScheduler's clock starts at 0, and so do the timestamps of its TimeProvider (docs/testing.md).
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var collector = new MetricCollector<double>(factory, StreamMeter.MeterName, "reactive_streams.delivery.ack.duration");
        var scheduler = new Reactive.Streams.Testing.TestScheduler();
        var time = Reactive.Streams.Testing.SchedulerTimeProviderExtensions.AsTimeProvider(scheduler);
        Assert.Equal(0, time.GetTimestamp());
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("slow", behaviour: async (_, _, _) => await release.Task);
        var ack = new CountingAck();
        await using var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { Name = "at-zero", TimeProvider = time, MeterFactory = factory }.AddSink(sink));

        await dispatcher.DispatchAsync(1, ack);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(2).Ticks);
        release.SetResult();
        await ack.First;

        var measurement = Assert.Single(collector.GetMeasurementSnapshot());
        Assert.Equal(2, measurement.Value, precision: 6);
    }

    private static Dictionary<string, (string Kind, string Unit, string Description, SortedSet<string> Attributes)> DocumentedInstruments()
    {
        var page = File.ReadAllLines(Path.Combine(RepositoryFiles.Root, "docs", "metrics.md"));
        var rows = new Dictionary<string, (string, string, string, SortedSet<string>)>();
        foreach (var line in page)
        {
            var match = Row().Match(line);
            if (match.Success)
            {
                var attributes = new SortedSet<string>(match.Groups["attributes"].Value.Split(',', StringSplitOptions.TrimEntries).Select(a => a.Trim('`')));
                rows.Add(match.Groups["name"].Value, (match.Groups["kind"].Value, match.Groups["unit"].Value, match.Groups["description"].Value, attributes));
            }
        }

        return rows;
    }

    [GeneratedRegex(@"^\| `(?<name>reactive_streams\.[a-z_.]+)` \| (?<kind>\w+) \| `(?<unit>[^`]+)` \| (?<attributes>[^|]+?) \| (?<description>[^|]+?) \|$")]
    private static partial Regex Row();
}
