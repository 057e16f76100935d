using System.Diagnostics.Metrics;

namespace Reactive.Streams;

/// <summary>A buffer whose counters the meter observes.</summary>
internal interface IStreamMetricsSource : IMeteredSource
{
    string Name { get; }

    BackpressurePolicy Policy { get; }

    /// <summary>Reads the counters without the buffer's lock: each value is current, the set may be torn.</summary>
    StreamMetricsSnapshot ReadRacy();

    void IMeteredSource.AddCountersTo(Span<long> totals)
    {
        var s = ReadRacy();
        totals[0] += s.ItemsPushed;
        totals[1] += s.ItemsDelivered;
        totals[2] += s.DropOldestHits;
        totals[3] += s.DegradeQualityHits;
        totals[4] += s.PauseUpstreamBlocks;
        totals[5] += s.FailOverflows;
        totals[6] += s.ItemsRejected;
        totals[7] += s.Depth;
    }
}

/// <summary>
/// Publishes stream counters on the <c>Reactive.Streams</c> <see cref="Meter"/> as observable instruments tagged with
/// <c>stream.name</c> and <c>stream.policy</c>. Streams that share a name and a policy are one series: each instrument
/// reports their sum, and the counts of a stream that has ended stay in it (its depth leaves it). Observable instruments cost nothing on the
/// hot path: the buffer already increments plain fields under its lock, and the meter reads them only when a listener
/// (dotnet-counters, OpenTelemetry, a MeterListener) collects.
/// </summary>
public static class StreamMeter
{
    /// <summary>The name of the meter every Reactive.Streams instrument is published on.</summary>
    public const string MeterName = "Reactive.Streams";

    private const string Kind = "stream";

    /// <summary>The meter shared by every component of the library (streams, delivery, storage).</summary>
    public static Meter Meter { get; } = new(MeterName, typeof(StreamMeter).Assembly.GetName().Version?.ToString());

    static StreamMeter()
    {
        Meter.CreateObservableCounter("items_pushed", () => Observe(0), "{item}", "Pushes decided by the stream's policy.");
        Meter.CreateObservableCounter("items_delivered", () => Observe(1), "{item}", "Items read out of the stream.");
        Meter.CreateObservableCounter("drop_oldest_hits", () => Observe(2), "{item}", "Items evicted by DropOldest.");
        Meter.CreateObservableCounter("degrade_quality_hits", () => Observe(3), "{item}", "Items evicted and replaced by a degraded item.");
        Meter.CreateObservableCounter("pause_upstream_blocks", () => Observe(4), "{push}", "Pushes that waited under PauseUpstream.");
        Meter.CreateObservableCounter("fail_overflows", () => Observe(5), "{item}", "Pushes rejected by Fail.");
        Meter.CreateObservableCounter("items_rejected", () => Observe(6), "{item}", "Pushes rejected as closed, cancelled, timed out or not degradable.");
        Meter.CreateObservableUpDownCounter("depth", () => Observe(7), "{item}", "Items buffered.");
    }

    /// <summary>
    /// Adds <paramref name="source"/> to the series of its name and policy; the source keeps the returned registration
    /// for as long as it lives (see <see cref="MeterSeries"/>).
    /// </summary>
    internal static object Register(IStreamMetricsSource source) => MeterSeries.Register(
        Kind, width: 8, gauges: 1UL << 7, source, new("stream.name", source.Name), new("stream.policy", source.Policy.ToString()));

    private static IEnumerable<Measurement<long>> Observe(int index) => MeterSeries.Observe(Kind, index);
}
