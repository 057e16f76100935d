using System.Diagnostics.Metrics;

namespace Reactive.Streams;

/// <summary>A sink worker whose counters the meter observes.</summary>
internal interface IDeliveryMetricsSource : IMeteredSource
{
    DeliverySinkMetrics ReadRacy();

    void IMeteredSource.AddCountersTo(Span<long> totals)
    {
        var m = ReadRacy();
        totals[0] += m.QueueDepth;
        totals[1] += m.Delivered;
        totals[2] += m.Dropped;
        totals[3] += m.Retries;
        totals[4] += m.DeadLettered;
        totals[5] += m.Discarded;
    }
}

/// <summary>
/// The delivery instruments on the shared <c>Reactive.Streams</c> meter (<see cref="StreamMeter.Meter"/>). Per-sink
/// counters are observable instruments over plain fields the workers keep anyway (nothing on the hot path), tagged
/// with <c>delivery.dispatcher</c> and <c>delivery.sink</c> (sinks that share both names are one series, see
/// <see cref="MeterSeries"/>); ack latency is a histogram recorded only while a listener
/// is attached.
/// </summary>
internal static class DeliveryMeter
{
    private const string Kind = "delivery";

    static DeliveryMeter()
    {
        var meter = StreamMeter.Meter;
        meter.CreateObservableUpDownCounter("delivery.queue_depth", () => MeterSeries.Observe(Kind, 0), "{item}", "Items waiting in a sink's queue.");
        meter.CreateObservableCounter("delivery.delivered", () => MeterSeries.Observe(Kind, 1), "{item}", "Items a sink committed.");
        meter.CreateObservableCounter("delivery.dropped", () => MeterSeries.Observe(Kind, 2), "{item}", "Items dropped because a Drop sink's queue was full.");
        meter.CreateObservableCounter("delivery.retries", () => MeterSeries.Observe(Kind, 3), "{attempt}", "Retries after transient failures.");
        meter.CreateObservableCounter("delivery.dead_lettered", () => MeterSeries.Observe(Kind, 4), "{item}", "Items handed to the dead-letter sink after a terminal failure.");
        meter.CreateObservableCounter("delivery.discarded", () => MeterSeries.Observe(Kind, 5), "{item}", "Items that failed terminally and could not be dead-lettered (logged and dropped).");
        AckLatency = meter.CreateHistogram<double>("delivery.ack_latency", "ms", "Time from dispatch to acknowledgement.");
    }

    public static Histogram<double> AckLatency { get; }

    /// <summary>Adds a sink worker to the series of its dispatcher and sink names; the worker keeps the registration.</summary>
    public static object Register(IDeliveryMetricsSource source, string dispatcher, string sink) =>
        MeterSeries.Register(Kind, width: 6, gauges: 1, source, new("delivery.dispatcher", dispatcher), new("delivery.sink", sink));
}
