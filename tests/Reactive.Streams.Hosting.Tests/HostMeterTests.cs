using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>What the hosting package creates publishes on a meter of the container's <see cref="IMeterFactory"/>.</summary>
public sealed class HostMeterTests
{
    private const string Delivered = "reactive_streams.delivery.items.delivered";

    private static async Task<IHost> StartWithDispatcherAsync(TestHost test, string dispatcher)
    {
        test.Builder.Services.AddReactiveStreams().AddDispatcher<string>(dispatcher, d => d.AddSink(_ => new DispatcherHostingTests.RecordingSink("file")));
        return await test.StartAsync();
    }

    /// <summary>Dispatches <paramref name="count"/> items and drains the dispatcher, so that its counters are final.</summary>
    private static async Task DeliverAsync(IHost host, string dispatcher, int count)
    {
        var target = host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>(dispatcher);
        for (var i = 0; i < count; i++)
        {
            await target.DispatchAsync($"item-{i}");
        }

        Assert.True(await target.ShutdownAsync(TestHost.Hang).WaitAsync(TestHost.Hang));
    }

    [Fact]
    public async Task Two_hosts_in_one_process_each_see_only_their_own_dispatcher_counts_on_their_meter_factory()
    {
        // The same dispatcher and sink names in both hosts: only the meter tells their series apart.
        await using var first = new TestHost();
        await using var second = new TestHost();
        var firstHost = await StartWithDispatcherAsync(first, "orders");
        var secondHost = await StartWithDispatcherAsync(second, "orders");
        var firstFactory = firstHost.Services.GetRequiredService<IMeterFactory>();
        var secondFactory = secondHost.Services.GetRequiredService<IMeterFactory>();
        Assert.NotSame(firstFactory, secondFactory);
        using var firstDelivered = new MetricCollector<long>(firstFactory, StreamMeter.MeterName, Delivered);
        using var secondDelivered = new MetricCollector<long>(secondFactory, StreamMeter.MeterName, Delivered);

        await DeliverAsync(firstHost, "orders", 2);
        await DeliverAsync(secondHost, "orders", 3);
        firstDelivered.RecordObservableInstruments();
        secondDelivered.RecordObservableInstruments();

        Assert.Equal(2, Single(firstDelivered));
        Assert.Equal(3, Single(secondDelivered));
        Assert.Equal(StreamMeter.MeterName, firstDelivered.Instrument!.Meter.Name);
        Assert.Same(firstFactory, firstDelivered.Instrument.Meter.Scope);

        static long Single(MetricCollector<long> collector)
        {
            var point = Assert.Single(collector.GetMeasurementSnapshot());
            Assert.Equal("orders", point.Tags[StreamMeter.DispatcherNameAttribute]);
            Assert.Equal("file", point.Tags[StreamMeter.SinkNameAttribute]);
            return point.Value;
        }
    }

    [Fact]
    public async Task Each_hosts_open_telemetry_registration_exports_its_own_dispatcher_counts()
    {
        // OpenTelemetry registered in a host takes the Reactive.Streams meter of that host's container (and the static one),
        // not another host's: two hosts with a dispatcher of the same name export their own counts.
        await using var first = new TestHost();
        await using var second = new TestHost();
        var firstExported = new List<MetricSnapshot>();
        var secondExported = new List<MetricSnapshot>();
        first.Builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddReactiveStreamsInstrumentation().AddInMemoryExporter(firstExported));
        second.Builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddReactiveStreamsInstrumentation().AddInMemoryExporter(secondExported));
        // One name for both hosts' dispatchers, and no other test's: the providers also export the static meter, where
        // dispatchers of tests running beside this one (an "orders" of their own) would be counted too.
        var dispatcher = $"orders-{Guid.NewGuid():N}";
        var firstHost = await StartWithDispatcherAsync(first, dispatcher);
        var secondHost = await StartWithDispatcherAsync(second, dispatcher);

        await DeliverAsync(firstHost, dispatcher, 2);
        await DeliverAsync(secondHost, dispatcher, 3);
        Assert.True(firstHost.Services.GetRequiredService<MeterProvider>().ForceFlush());
        Assert.True(secondHost.Services.GetRequiredService<MeterProvider>().ForceFlush());

        Assert.Equal(2, Exported(firstExported, Delivered, StreamMeter.DispatcherNameAttribute, dispatcher));
        Assert.Equal(3, Exported(secondExported, Delivered, StreamMeter.DispatcherNameAttribute, dispatcher));

        // The second host goes away: the first one's provider goes on exporting its own meter (and the static one).
        var name = $"static-{Guid.NewGuid():N}";
        var stream = BoundedStream.DropOldest<int>(capacity: 4, name: name);
        stream.TryPush(1);
        await second.DisposeAsync();
        firstExported.Clear();
        Assert.True(firstHost.Services.GetRequiredService<MeterProvider>().ForceFlush());
        Assert.Equal(2, Exported(firstExported, Delivered, StreamMeter.DispatcherNameAttribute, dispatcher));
        Assert.Equal(1, Exported(firstExported, "reactive_streams.stream.items.pushed", StreamMeter.StreamNameAttribute, name));
        GC.KeepAlive(stream);

        static long Exported(List<MetricSnapshot> exported, string instrument, string key, string value)
        {
            var points = new List<long>();
            foreach (var point in exported.Where(m => m.Name == instrument).SelectMany(m => m.MetricPoints))
            {
                foreach (var tag in point.Tags)
                {
                    if (tag.Key == key && Equals(tag.Value, value))
                    {
                        points.Add(point.GetSumLong());
                    }
                }
            }

            return Assert.Single(points);
        }
    }

    [Theory]
    [InlineData("empty application builder")]
    [InlineData("HostBuilder")]
    public async Task The_open_telemetry_registration_exports_the_hosts_dispatcher_counts_in_every_kind_of_host(string kind)
    {
        // The registration scopes the listener through the container's metrics rules: every kind of generic host runs them.
        // The provider also exports the process-wide static meter, on which other tests' dispatchers may count: the
        // dispatcher's name is this test's own.
        var dispatcher = $"orders{Guid.NewGuid():N}";
        var directory = Directory.CreateTempSubdirectory("rs-hosting-").FullName;
        var exported = new List<MetricSnapshot>();
        var settings = new Dictionary<string, string?> { ["ReactiveStreams:Log:Path"] = Path.Combine(directory, "streams.db") };
        void Configure(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
        {
            services.AddOpenTelemetry().WithMetrics(m => m.AddReactiveStreamsInstrumentation().AddInMemoryExporter(exported));
            services.AddReactiveStreams().AddDispatcher<string>(dispatcher, d => d.AddSink(_ => new DispatcherHostingTests.RecordingSink("file")));
        }

        IHost host;
        if (kind == "HostBuilder")
        {
            host = new HostBuilder().ConfigureAppConfiguration(c => c.AddInMemoryCollection(settings)).ConfigureServices(Configure).Build();
        }
        else
        {
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory });
            builder.Configuration.AddInMemoryCollection(settings);
            Configure(builder.Services);
            host = builder.Build();
        }

        try
        {
            await host.StartAsync().WaitAsync(TestHost.Hang);
            await DeliverAsync(host, dispatcher, 2);
            Assert.True(host.Services.GetRequiredService<MeterProvider>().ForceFlush());

            var point = Assert.Single(
                exported.Where(m => m.Name == Delivered).SelectMany(m => m.MetricPoints),
                p => NamesDispatcher(p, dispatcher));
            Assert.Equal(2, point.GetSumLong());
            await host.StopAsync().WaitAsync(TestHost.Hang);
        }
        finally
        {
            await ((IAsyncDisposable)host).DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task The_open_telemetry_export_of_a_hosted_dispatcher_has_the_units_kinds_attributes_and_buckets_of_the_metrics_page()
    {
        // docs/metrics.md's delivery rows, as the SDK exports them from a host: the name is this test's own, since the
        // provider also exports the static meter other tests count on.
        var dispatcher = $"page{Guid.NewGuid():N}";
        var exported = new List<MetricSnapshot>();
        await using var test = new TestHost();
        test.Builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddReactiveStreamsInstrumentation().AddInMemoryExporter(exported));
        var host = await StartWithDispatcherAsync(test, dispatcher);

        await DeliverAsync(host, dispatcher, 3);
        Assert.True(host.Services.GetRequiredService<MeterProvider>().ForceFlush());

        MetricSnapshot Exported(string name) => Assert.Single(exported, m => m.Name == name && m.MetricPoints.Any(p => NamesDispatcher(p, dispatcher)));
        MetricPoint Point(MetricSnapshot metric) => Assert.Single(metric.MetricPoints, p => NamesDispatcher(p, dispatcher));

        var delivered = Exported(Delivered);
        Assert.Equal(("{item}", MetricType.LongSum), (delivered.Unit, delivered.MetricType));
        Assert.Equal(3, Point(delivered).GetSumLong());
        Assert.Equal([StreamMeter.DispatcherNameAttribute, StreamMeter.SinkNameAttribute], TagKeys(Point(delivered)));
        Assert.Contains(TagPairs(Point(delivered)), t => t == (StreamMeter.SinkNameAttribute, "file"));

        var depth = Exported("reactive_streams.delivery.queue.depth");
        Assert.Equal(("{item}", MetricType.LongSumNonMonotonic), (depth.Unit, depth.MetricType));
        Assert.Equal(0, Point(depth).GetSumLong());

        var retries = Exported("reactive_streams.delivery.retries");
        Assert.Equal(("{attempt}", MetricType.LongSum), (retries.Unit, retries.MetricType));

        var ack = Exported("reactive_streams.delivery.ack.duration");
        Assert.Equal(("s", MetricType.Histogram), (ack.Unit, ack.MetricType));
        var histogram = Point(ack);
        Assert.Equal([StreamMeter.DispatcherNameAttribute], TagKeys(histogram));
        Assert.Equal(3, histogram.GetHistogramCount());
        var bounds = new List<double>();
        foreach (var bucket in histogram.GetHistogramBuckets())
        {
            bounds.Add(bucket.ExplicitBound);
        }

        // OpenTelemetry's advised boundaries for durations in seconds, 5 ms to 10 s, then the overflow bucket.
        Assert.Equal([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, double.PositiveInfinity], bounds);

        static string[] TagKeys(MetricPoint point) => [.. TagPairs(point).Select(t => t.Key).Order(StringComparer.Ordinal)];
    }

    private static List<(string Key, string? Value)> TagPairs(MetricPoint point)
    {
        var tags = new List<(string Key, string? Value)>();
        foreach (var tag in point.Tags)
        {
            tags.Add((tag.Key, tag.Value?.ToString()));
        }

        return tags;
    }

    private static bool NamesDispatcher(MetricPoint point, string dispatcher)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == StreamMeter.DispatcherNameAttribute && Equals(tag.Value, dispatcher))
            {
                return true;
            }
        }

        return false;
    }
}
