using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Reactive.Streams.Hosting;

namespace OpenTelemetry.Metrics;

/// <summary>One-line metrics registration: <c>metrics.AddReactiveStreamsInstrumentation()</c>.</summary>
public static class ReactiveStreamsMeterProviderBuilderExtensions
{
    // The name OpenTelemetry's IMetricsListener has in a container (AddOpenTelemetry().WithMetrics registers it).
    private const string OpenTelemetryListenerName = "OpenTelemetry";

    /// <summary>
    /// Subscribes the meter provider to the library's meter (<see cref="ReactiveStreamsInstrumentation.MeterName"/>). In a
    /// generic host (<c>builder.Services.AddOpenTelemetry().WithMetrics(...)</c> on a host or web application builder),
    /// the provider takes the static
    /// <see cref="Reactive.Streams.StreamMeter.Meter"/> and the meters of that container's <c>IMeterFactory</c> (where the
    /// hosted dispatchers publish), not those of other hosts in the process: it enables the meter for OpenTelemetry's
    /// listener through the container's metrics rules (<see cref="MetricsOptions"/>), which the host runs. Outside a host
    /// (<c>Sdk.CreateMeterProviderBuilder()</c>, or a service collection no host populated) it adds the meter by name,
    /// which takes every meter of that name in the process; so it does in a deferred callback
    /// (<c>ConfigureOpenTelemetryMeterProvider((services, builder) =&gt; ...)</c>), which runs once the container is built.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder.</returns>
    public static MeterProviderBuilder AddReactiveStreamsInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var inContainer = false;
        try
        {
            builder.ConfigureServices(services =>
            {
                // A generic host's container (the host runs its metrics system) with OpenTelemetry's listener in it: the rule
                // scopes what the listener sees to this container. AddMeter would instead listen to every meter of the name
                // in the process, and OpenTelemetry merges same-named instruments of several meters into one stream, which it
                // stops exporting when any of those meters is disposed (another host that stops). A container without a host
                // has no one to run the rules: there, the meter is added by name.
                if (services.Any(d => d.ServiceType == typeof(IMetricsListener)) && services.Any(d => d.ServiceType == typeof(IHostEnvironment)))
                {
                    services.Configure<MetricsOptions>(options => options.EnableMetrics(ReactiveStreamsInstrumentation.MeterName, listenerName: OpenTelemetryListenerName));
                    inContainer = true;
                }
            });
        }
        catch (NotSupportedException)
        {
            // A deferred callback (ConfigureOpenTelemetryMeterProvider((services, builder) => ...)) runs once the
            // container is built, and OpenTelemetry documents that ConfigureServices then throws this: no rule can be
            // added to a closed container, so the meter is added by name, as outside a host.
            inContainer = false;
        }

        return inContainer ? builder : builder.AddMeter(ReactiveStreamsInstrumentation.MeterName);
    }
}
