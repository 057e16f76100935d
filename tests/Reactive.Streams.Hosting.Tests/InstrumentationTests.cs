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
    public void Streams_that_share_a_name_and_policy_export_one_point_whose_counts_survive_a_stream_that_ended()
    {
        // The default meter, which other tests use beside this one: a name of this test's own picks out its points.
        var name = $"otel-sum-{Guid.NewGuid():N}";
        var exported = new List<MetricSnapshot>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddReactiveStreamsInstrumentation().AddInMemoryExporter(exported).Build();
        var survivor = BoundedStream.DropOldest<int>(capacity: 4, name: name);
        survivor.TryPush(1);
        PushIntoAStreamThatIsThenDropped(name);

        meters.ForceFlush();
        Assert.Equal((1 + 3, 1 + 2), (Point("reactive_streams.stream.items.pushed"), Point("reactive_streams.stream.depth")));
        Assert.Equal(1, Point("reactive_streams.stream.items.dropped"));

        // The dropped stream is collected: its counts stay in the series (a counter never goes back), its depth leaves.
        exported.Clear();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        meters.ForceFlush();
        Assert.Equal((1 + 3, 1), (Point("reactive_streams.stream.items.pushed"), Point("reactive_streams.stream.depth")));
        Assert.Equal(1, Point("reactive_streams.stream.items.dropped"));
        GC.KeepAlive(survivor);

        // The one point of the instrument for this stream name, whatever the policy (one policy here).
        long Point(string instrument)
        {
            var points = new List<long>();
            foreach (var metric in exported.Where(m => m.Name == instrument))
            {
                foreach (var point in metric.MetricPoints)
                {
                    foreach (var tag in point.Tags)
                    {
                        if (tag.Key == StreamMeter.StreamNameAttribute && Equals(tag.Value, name))
                        {
                            points.Add(point.GetSumLong());
                        }
                    }
                }
            }

            return Assert.Single(points);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void PushIntoAStreamThatIsThenDropped(string name)
    {
        var stream = BoundedStream.DropOldest<int>(capacity: 2, name: name);
        stream.TryPush(1);
        stream.TryPush(2);
        stream.TryPush(3);
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
