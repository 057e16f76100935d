using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

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
/// The library's meter. Every instrument (docs/metrics.md) is published on a <see cref="Meter"/> named
/// <see cref="MeterName"/>: the static <see cref="Meter"/> by default, or the meter an <see cref="IMeterFactory"/> creates
/// when a component's options set one (<see cref="BoundedStreamOptions{T}.MeterFactory"/>,
/// <see cref="DeliveryOptions{T}.MeterFactory"/>), so DI apps and tests get their own. Stream counters are observable
/// instruments tagged with <see cref="StreamNameAttribute"/> and <see cref="StreamPolicyAttribute"/>: streams that share
/// a name and a policy on one meter are one series, each instrument reports their sum, and the counts of a stream that
/// has ended stay in it (its depth leaves it). The series of a generated name (<c>stream-N</c>, <c>delivery-N</c>) is
/// removed once its last component has ended and been collected, its counts moving to the shared series named
/// <c>stream-*</c> (or <c>delivery-*</c>), so unnamed components do not grow the meter. Observable instruments cost
/// nothing on the hot path: the buffer already increments plain fields, and the meter reads them only when a listener
/// collects.
/// </summary>
public static class StreamMeter
{
    /// <summary>The name of the meter every Reactive.Streams instrument is published on: <c>Reactive.Streams</c>.</summary>
    public const string MeterName = "Reactive.Streams";

    /// <summary>The attribute naming a stream: <c>reactive_streams.stream.name</c> (its <see cref="BoundedStreamOptions{T}.Name"/>).</summary>
    public const string StreamNameAttribute = "reactive_streams.stream.name";

    /// <summary>The attribute holding a stream's policy: <c>reactive_streams.stream.policy</c> (a <see cref="BackpressurePolicy"/> name).</summary>
    public const string StreamPolicyAttribute = "reactive_streams.stream.policy";

    /// <summary>The attribute naming a delivery dispatcher: <c>reactive_streams.dispatcher.name</c>.</summary>
    public const string DispatcherNameAttribute = "reactive_streams.dispatcher.name";

    /// <summary>The attribute naming a delivery sink: <c>reactive_streams.sink.name</c>.</summary>
    public const string SinkNameAttribute = "reactive_streams.sink.name";

    /// <summary>The meter of components created without an <see cref="IMeterFactory"/>.</summary>
    public static Meter Meter => LibraryMeter.Default.Meter;
}

/// <summary>
/// The instruments on one <c>Reactive.Streams</c> meter and the series they observe. One per meter: the static default,
/// and one for each meter an <see cref="IMeterFactory"/> hands out (a factory returns the same meter for the same name
/// and version, so every component of one DI container shares one of these).
/// </summary>
internal sealed class LibraryMeter
{
    public const string StreamKind = "stream";
    public const string DeliveryKind = "delivery";

    private static readonly ConditionalWeakTable<Meter, LibraryMeter> s_byMeter = [];
    private static readonly string? s_version = typeof(StreamMeter).Assembly.GetName().Version?.ToString();

    // OpenTelemetry's default boundaries for durations in seconds (as http.server.request.duration advises).
    private static readonly double[] s_secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    private LibraryMeter(Meter meter)
    {
        Meter = meter;
        Series = new();
        const string S = "reactive_streams.stream.";
        meter.CreateObservableCounter(S + "items.pushed", () => Series.Observe(StreamKind, 0), "{item}", "Pushes decided by the stream's policy.");
        meter.CreateObservableCounter(S + "items.delivered", () => Series.Observe(StreamKind, 1), "{item}", "Items read out of the stream.");
        meter.CreateObservableCounter(S + "items.dropped", () => Series.Observe(StreamKind, 2), "{item}", "Items evicted by DropOldest.");
        meter.CreateObservableCounter(S + "items.degraded", () => Series.Observe(StreamKind, 3), "{item}", "Items evicted and replaced by a degraded item (DegradeQuality).");
        meter.CreateObservableCounter(S + "pushes.paused", () => Series.Observe(StreamKind, 4), "{push}", "Pushes that found the buffer full under PauseUpstream: each wait for room, and each push a zero `PauseTimeout` refused at once (also counted in `items.rejected`).");
        meter.CreateObservableCounter(S + "overflows", () => Series.Observe(StreamKind, 5), "{item}", "Pushes rejected by Fail because the stream was full.");
        meter.CreateObservableCounter(S + "items.rejected", () => Series.Observe(StreamKind, 6), "{item}", "Pushes rejected as closed, cancelled, timed out or not degradable.");
        meter.CreateObservableUpDownCounter(S + "depth", () => Series.Observe(StreamKind, 7), "{item}", "Items buffered in the stream now.");

        const string D = "reactive_streams.delivery.";
        meter.CreateObservableUpDownCounter(D + "queue.depth", () => Series.Observe(DeliveryKind, 0), "{item}", "Items waiting in a sink's queue now.");
        meter.CreateObservableCounter(D + "items.delivered", () => Series.Observe(DeliveryKind, 1), "{item}", "Items a sink committed.");
        meter.CreateObservableCounter(D + "items.dropped", () => Series.Observe(DeliveryKind, 2), "{item}", "Items dropped because a Drop sink's queue was full.");
        meter.CreateObservableCounter(D + "retries", () => Series.Observe(DeliveryKind, 3), "{attempt}", "Retries of writes to a sink after transient failures (not of its dead letters).");
        meter.CreateObservableCounter(D + "items.dead_lettered", () => Series.Observe(DeliveryKind, 4), "{item}", "Items handed to the dead-letter sink after a terminal failure.");
        meter.CreateObservableCounter(D + "items.discarded", () => Series.Observe(DeliveryKind, 5), "{item}", "Items that failed terminally and could not be dead-lettered (logged and dropped).");
        AckDuration = meter.CreateHistogram(
            D + "ack.duration", "s", "Time from dispatch to acknowledgement (every sink that holds the item committed it).",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = s_secondsBuckets });
    }

    /// <summary>The instruments of <see cref="StreamMeter.Meter"/>.</summary>
    public static LibraryMeter Default { get; } = For(new Meter(StreamMeter.MeterName, s_version));

    public Meter Meter { get; }

    public MeterSeries.Registry Series { get; }

    public Histogram<double> AckDuration { get; }

    /// <summary>The instruments of the meter <paramref name="factory"/> creates, or <see cref="Default"/> for null.</summary>
    public static LibraryMeter For(IMeterFactory? factory) =>
        factory is null ? Default : For(factory.Create(new MeterOptions(StreamMeter.MeterName) { Version = s_version }));

    private static LibraryMeter For(Meter meter) => s_byMeter.GetValue(meter, static m => new LibraryMeter(m));

    /// <summary>
    /// Adds <paramref name="source"/> to the series of its name and policy; the source keeps the returned registration
    /// for as long as it lives (see <see cref="MeterSeries"/>). <paramref name="endedName"/> is the name of the shared
    /// series the series folds into once its last stream ends, when the library generated the name
    /// (<see cref="BoundedStreamOptions{T}.EndedSeriesName"/>); null keeps the series.
    /// </summary>
    public object RegisterStream(IStreamMetricsSource source, string? endedName) => Series.Register(
        StreamKind, width: 8, gauges: 1UL << 7, source,
        new(StreamMeter.StreamNameAttribute, source.Name), new(StreamMeter.StreamPolicyAttribute, source.Policy.ToString()), endedName);
}
