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
/// The delivery instruments (<c>reactive_streams.delivery.*</c>, created by <see cref="LibraryMeter"/>). Per-sink
/// counters are observable instruments over plain fields the workers keep anyway (nothing on the hot path), tagged
/// with <see cref="StreamMeter.DispatcherNameAttribute"/> and <see cref="StreamMeter.SinkNameAttribute"/> (sinks that
/// share both names on one meter are one series, see <see cref="MeterSeries"/>); the ack duration is a histogram
/// recorded only while a listener is attached.
/// </summary>
internal static class DeliveryMeter
{
    /// <summary>
    /// Adds a sink worker to the series of its dispatcher and sink names; the worker keeps the registration. When the
    /// library generated the dispatcher's name, <paramref name="endedDispatcher"/> is the dispatcher name of the shared
    /// series the series folds into once its last worker ends (<c>delivery-*</c>); null keeps the series.
    /// </summary>
    public static object Register(LibraryMeter meter, IDeliveryMetricsSource source, string dispatcher, string sink, string? endedDispatcher) =>
        meter.Series.Register(
            LibraryMeter.DeliveryKind, width: 6, gauges: 1, source,
            new(StreamMeter.DispatcherNameAttribute, dispatcher), new(StreamMeter.SinkNameAttribute, sink), endedDispatcher);
}
