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
        var exported = new List<Activity>();
        using var source = new ActivitySource(ReactiveStreamsInstrumentation.ActivitySourceName);
        Assert.False(source.HasListeners());
        using (var tracing = Sdk.CreateTracerProviderBuilder().AddReactiveStreamsInstrumentation().AddInMemoryExporter(exported).Build())
        {
            Assert.True(source.HasListeners());
            using (source.StartActivity("pull"))
            {
            }

            tracing.ForceFlush();
        }

        Assert.Equal("pull", Assert.Single(exported, a => a.Source.Name == ReactiveStreamsInstrumentation.ActivitySourceName).DisplayName);
    }
}
