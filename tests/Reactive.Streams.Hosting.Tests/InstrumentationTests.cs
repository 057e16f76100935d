using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Reactive.Streams.Hosting.Tests;

public sealed class InstrumentationTests
{
    [Fact]
    public void The_meter_provider_registration_exports_the_library_meter()
    {
        var exported = new List<Metric>();
        using (var meters = Sdk.CreateMeterProviderBuilder().AddReactiveStreamsInstrumentation().AddInMemoryExporter(exported).Build())
        {
            var name = $"otel-{Guid.NewGuid():N}";
            var stream = BoundedStream.DropOldest<int>(capacity: 4, name: name);
            stream.TryPush(1);
            meters.ForceFlush();
            GC.KeepAlive(stream);
        }

        Assert.Contains(exported, m => m.MeterName == ReactiveStreamsInstrumentation.MeterName);
        Assert.Equal(StreamMeter.MeterName, ReactiveStreamsInstrumentation.MeterName);
    }

    [Fact]
    public void The_tracer_provider_registration_listens_to_the_library_activity_source()
    {
        // Other tests in this assembly run beside this one and start activities on the library's source
        // (a tail, a pull) while the provider listens; a name of this test's own picks out its activity.
        var name = $"pull-{Guid.NewGuid():N}";
        var exported = new List<Activity>();
        using var source = new ActivitySource(ReactiveStreamsInstrumentation.ActivitySourceName);
        Assert.False(source.HasListeners());
        using (var tracing = Sdk.CreateTracerProviderBuilder().AddReactiveStreamsInstrumentation().AddInMemoryExporter(exported).Build())
        {
            Assert.True(source.HasListeners());
            using (source.StartActivity(name))
            {
            }

            tracing.ForceFlush();
        }

        var activity = Assert.Single(exported, a => a.DisplayName == name);
        Assert.Equal(ReactiveStreamsInstrumentation.ActivitySourceName, activity.Source.Name);
    }
}
