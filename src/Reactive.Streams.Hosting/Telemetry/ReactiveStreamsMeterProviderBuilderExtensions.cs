using Reactive.Streams.Hosting;

namespace OpenTelemetry.Metrics;

/// <summary>One-line metrics registration: <c>metrics.AddReactiveStreamsInstrumentation()</c>.</summary>
public static class ReactiveStreamsMeterProviderBuilderExtensions
{
    /// <summary>Subscribes the meter provider to the library's meter (<see cref="ReactiveStreamsInstrumentation.MeterName"/>).</summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder.</returns>
    public static MeterProviderBuilder AddReactiveStreamsInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(ReactiveStreamsInstrumentation.MeterName);
    }
}
