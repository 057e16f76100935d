using Reactive.Streams.Hosting;

namespace OpenTelemetry.Trace;

/// <summary>One-line tracing registration: <c>tracing.AddReactiveStreamsInstrumentation()</c>.</summary>
public static class ReactiveStreamsTracerProviderBuilderExtensions
{
    /// <summary>Subscribes the tracer provider to the library's activity source (<see cref="ReactiveStreamsInstrumentation.ActivitySourceName"/>).</summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The builder.</returns>
    public static TracerProviderBuilder AddReactiveStreamsInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(ReactiveStreamsInstrumentation.ActivitySourceName);
    }
}
