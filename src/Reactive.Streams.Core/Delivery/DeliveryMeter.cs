using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Reactive.Streams;

/// <summary>A sink worker whose counters the meter observes.</summary>
internal interface IDeliveryMetricsSource
{
    DeliverySinkMetrics ReadRacy();
}

/// <summary>
/// The delivery instruments on the shared <c>Reactive.Streams</c> meter (<see cref="StreamMeter.Meter"/>). Per-sink
/// counters are observable instruments over plain fields the workers keep anyway (nothing on the hot path), tagged
/// with <c>delivery.dispatcher</c> and <c>delivery.sink</c>; ack latency is a histogram recorded only while a listener
/// is attached.
/// </summary>
internal static class DeliveryMeter
{
    private static readonly ConditionalWeakTable<IDeliveryMetricsSource, KeyValuePair<string, object?>[]> s_sources = new();

    static DeliveryMeter()
    {
        var meter = StreamMeter.Meter;
        meter.CreateObservableUpDownCounter("delivery.queue_depth", () => Observe(static m => m.QueueDepth), "{item}", "Items waiting in a sink's queue.");
        meter.CreateObservableCounter("delivery.delivered", () => Observe(static m => m.Delivered), "{item}", "Items a sink committed.");
        meter.CreateObservableCounter("delivery.dropped", () => Observe(static m => m.Dropped), "{item}", "Items dropped because a Drop sink's queue was full.");
        meter.CreateObservableCounter("delivery.retries", () => Observe(static m => m.Retries), "{attempt}", "Retries after transient failures.");
        meter.CreateObservableCounter("delivery.dead_lettered", () => Observe(static m => m.DeadLettered), "{item}", "Items handed to the dead-letter sink after a terminal failure.");
        meter.CreateObservableCounter("delivery.discarded", () => Observe(static m => m.Discarded), "{item}", "Items that failed terminally and could not be dead-lettered (logged and dropped).");
        AckLatency = meter.CreateHistogram<double>("delivery.ack_latency", "ms", "Time from dispatch to acknowledgement.");
    }

    public static Histogram<double> AckLatency { get; }

    public static void Register(IDeliveryMetricsSource source, string dispatcher, string sink)
    {
        KeyValuePair<string, object?>[] tags = [new("delivery.dispatcher", dispatcher), new("delivery.sink", sink)];
        s_sources.AddOrUpdate(source, tags);
    }

    private static IEnumerable<Measurement<long>> Observe(Func<DeliverySinkMetrics, long> select)
    {
        foreach (var (source, tags) in s_sources)
        {
            yield return new Measurement<long>(select(source.ReadRacy()), tags);
        }
    }
}
