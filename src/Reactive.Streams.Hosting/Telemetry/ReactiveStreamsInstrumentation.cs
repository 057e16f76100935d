namespace Reactive.Streams.Hosting;

/// <summary>The names the library's telemetry is published under, for the OpenTelemetry SDK or any listener.</summary>
public static class ReactiveStreamsInstrumentation
{
    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> name: <c>Reactive.Streams</c>.</summary>
    public const string MeterName = StreamMeter.MeterName;

    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> name: <c>Reactive.Streams</c>.</summary>
    public const string ActivitySourceName = StreamTracing.ActivitySourceName;
}
