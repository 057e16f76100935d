using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>
/// These tests build OpenTelemetry providers outside any container: such a provider listens to every meter named
/// Reactive.Streams in the process, each host's included, and merges their instruments into one stream per name, which
/// it stops exporting when one of those meters is disposed (a host of another test that stops). They run alone.
/// </summary>
[Collection(nameof(InstrumentationTests))]
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
    public void In_a_service_collection_no_host_runs_the_registration_adds_the_meter_by_name()
    {
        // No host runs the container's metrics rules here, so the meter is added by name, and the static meter exported.
        var exported = new List<Metric>();
        var services = new ServiceCollection();
        services.AddOpenTelemetry().WithMetrics(m => m.AddReactiveStreamsInstrumentation().AddInMemoryExporter(exported));
        using var provider = services.BuildServiceProvider();
        var meters = provider.GetRequiredService<MeterProvider>();
        var stream = BoundedStream.DropOldest<int>(capacity: 4, name: $"bare-{Guid.NewGuid():N}");
        stream.TryPush(1);

        Assert.True(meters.ForceFlush());

        Assert.Contains(exported, m => m.MeterName == StreamMeter.MeterName && m.Name == "reactive_streams.stream.items.pushed");
        GC.KeepAlive(stream);
    }

    [Fact]
    public void The_meter_provider_registration_works_in_a_deferred_configuration_callback()
    {
        // OpenTelemetry's deferred callback (ConfigureOpenTelemetryMeterProvider((sp, builder) => ...)) runs once the
        // container is built, where a builder no longer takes services: the registration must work there as AddMeter does.
        var exported = new List<Metric>();
        var services = new ServiceCollection();
        services.AddOpenTelemetry().WithMetrics(m => m.AddInMemoryExporter(exported));
        services.ConfigureOpenTelemetryMeterProvider((_, builder) => builder.AddReactiveStreamsInstrumentation());
        using var provider = services.BuildServiceProvider();
        var meters = provider.GetRequiredService<MeterProvider>();
        var stream = BoundedStream.DropOldest<int>(capacity: 4, name: $"deferred-{Guid.NewGuid():N}");
        stream.TryPush(1);

        Assert.True(meters.ForceFlush());

        Assert.Contains(exported, m => m.MeterName == StreamMeter.MeterName && m.Name == "reactive_streams.stream.items.pushed");
        GC.KeepAlive(stream);
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
    public void Ended_unnamed_streams_are_no_longer_exported_and_their_counts_are_exported_under_stream_star()
    {
        // The default meter, which other tests use beside this one. No other test of this assembly makes a
        // DegradeQuality stream, so stream-* under that policy holds only this test's streams, and the test's own
        // generated names pick out the rest. Counted from what was exported before, in case a stream-* point exists.
        var exported = new List<MetricSnapshot>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddReactiveStreamsInstrumentation().AddInMemoryExporter(exported).Build();
        meters.ForceFlush();
        var sharedBefore = (Pushed: Shared("reactive_streams.stream.items.pushed"), Degraded: Shared("reactive_streams.stream.items.degraded"));
        exported.Clear();

        var (names, ended) = PushIntoUnnamedStreamsThatAreThenDropped(meters, count: 10);
        Assert.Equal(10, names.Count);
        Assert.All(names, name => Assert.Equal(2, Point("reactive_streams.stream.items.pushed", name)));
        var sumBefore = Sum(names) + sharedBefore.Pushed;

        exported.Clear();
        for (var i = 0; i < 10 && ended.Any(weak => weak.IsAlive); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.All(ended, weak => Assert.False(weak.IsAlive, "A dropped stream was not collected."));
        meters.ForceFlush();

        // Their series left the meter, so the exporter no longer has them; their counts are in stream-*, and the sum over
        // the series is what it was.
        Assert.DoesNotContain(Points(), p => p.Stream is { } stream && names.Contains(stream));
        Assert.Equal(sharedBefore.Pushed + 10 * 2, Shared("reactive_streams.stream.items.pushed"));
        Assert.Equal(sharedBefore.Degraded + 10, Shared("reactive_streams.stream.items.degraded"));
        Assert.Equal(0, Shared("reactive_streams.stream.depth"));
        Assert.Equal(sumBefore, Sum(names) + Shared("reactive_streams.stream.items.pushed"));

        List<(string Instrument, string? Stream, string? Policy, long Value)> Points()
        {
            var points = new List<(string, string?, string?, long)>();
            foreach (var metric in exported)
            {
                foreach (var point in metric.MetricPoints)
                {
                    string? stream = null, policy = null;
                    foreach (var tag in point.Tags)
                    {
                        stream = tag.Key == StreamMeter.StreamNameAttribute ? tag.Value as string : stream;
                        policy = tag.Key == StreamMeter.StreamPolicyAttribute ? tag.Value as string : policy;
                    }

                    points.Add((metric.Name, stream, policy, point.GetSumLong()));
                }
            }

            return points;
        }

        long Point(string instrument, string name) => Assert.Single(Points(), p => p.Instrument == instrument && p.Stream == name).Value;

        long Shared(string instrument) =>
            Points().Where(p => p.Instrument == instrument && p.Stream == "stream-*" && p.Policy == "DegradeQuality").Select(p => p.Value).SingleOrDefault();

        long Sum(HashSet<string> streams) =>
            Points().Where(p => p.Instrument == "reactive_streams.stream.items.pushed" && p.Stream is { } stream && streams.Contains(stream)).Sum(p => p.Value);
    }

    /// <summary>
    /// Unnamed DegradeQuality streams of capacity 1, two pushes each (one degraded), exported once while they live.
    /// Returns their generated names and the streams, weakly.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (HashSet<string> Names, List<WeakReference> Ended) PushIntoUnnamedStreamsThatAreThenDropped(MeterProvider meters, int count)
    {
        var streams = new List<BoundedStream<int>>();
        for (var i = 0; i < count; i++)
        {
            var stream = BoundedStream.DegradeQuality<int>(capacity: 1, degrader: static x => x);
            stream.TryPush(1);
            stream.TryPush(2);
            streams.Add(stream);
        }

        meters.ForceFlush();
        return (streams.Select(s => s.Name).ToHashSet(), streams.Select(s => new WeakReference(s)).ToList());
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

/// <summary>Runs <see cref="InstrumentationTests"/> while no other test runs (see there).</summary>
[CollectionDefinition(nameof(InstrumentationTests), DisableParallelization = true)]
public sealed class InstrumentationTestsCollection;
