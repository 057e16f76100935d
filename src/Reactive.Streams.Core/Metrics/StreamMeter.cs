using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Reactive.Streams;

/// <summary>A buffer whose counters the meter observes.</summary>
internal interface IStreamMetricsSource
{
    string Name { get; }

    BackpressurePolicy Policy { get; }

    /// <summary>Reads the counters without the buffer's lock: each value is current, the set may be torn.</summary>
    StreamMetricsSnapshot ReadRacy();
}

/// <summary>
/// Publishes every live stream's counters on the <c>Reactive.Streams</c> <see cref="Meter"/> as observable
/// instruments tagged with <c>stream.name</c> and <c>stream.policy</c>. Observable instruments cost nothing on the
/// hot path: the buffer already increments plain fields under its lock, and the meter reads them only when a listener
/// (dotnet-counters, OpenTelemetry, a MeterListener) collects.
/// </summary>
public static class StreamMeter
{
    /// <summary>The name of the meter every Reactive.Streams instrument is published on.</summary>
    public const string MeterName = "Reactive.Streams";

    private static readonly ConditionalWeakTable<IStreamMetricsSource, KeyValuePair<string, object?>[]> s_sources = new();

    /// <summary>The meter shared by every component of the library (streams, delivery, storage).</summary>
    public static Meter Meter { get; } = new(MeterName, typeof(StreamMeter).Assembly.GetName().Version?.ToString());

    static StreamMeter()
    {
        Meter.CreateObservableCounter("items_pushed", () => Observe(static s => s.ItemsPushed), "{item}", "Pushes decided by the stream's policy.");
        Meter.CreateObservableCounter("items_delivered", () => Observe(static s => s.ItemsDelivered), "{item}", "Items read out of the stream.");
        Meter.CreateObservableCounter("drop_oldest_hits", () => Observe(static s => s.DropOldestHits), "{item}", "Items evicted by DropOldest.");
        Meter.CreateObservableCounter("degrade_quality_hits", () => Observe(static s => s.DegradeQualityHits), "{item}", "Items evicted and replaced by a degraded item.");
        Meter.CreateObservableCounter("pause_upstream_blocks", () => Observe(static s => s.PauseUpstreamBlocks), "{push}", "Pushes that waited under PauseUpstream.");
        Meter.CreateObservableCounter("fail_overflows", () => Observe(static s => s.FailOverflows), "{item}", "Pushes rejected by Fail.");
        Meter.CreateObservableCounter("items_rejected", () => Observe(static s => s.ItemsRejected), "{item}", "Pushes rejected as closed, cancelled, timed out or not degradable.");
        Meter.CreateObservableUpDownCounter("depth", () => Observe(static s => s.Depth), "{item}", "Items buffered.");
    }

    internal static void Register(IStreamMetricsSource source)
    {
        KeyValuePair<string, object?>[] tags =
        [
            new("stream.name", source.Name),
            new("stream.policy", source.Policy.ToString()),
        ];
        s_sources.AddOrUpdate(source, tags);
    }

    private static IEnumerable<Measurement<long>> Observe(Func<StreamMetricsSnapshot, long> select)
    {
        foreach (var (source, tags) in s_sources)
        {
            yield return new Measurement<long>(select(source.ReadRacy()), tags);
        }
    }
}
