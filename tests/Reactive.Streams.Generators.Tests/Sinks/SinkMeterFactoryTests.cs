using System.Diagnostics.Metrics;
using System.Reactive.Concurrency;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.DependencyInjection;
using Reactive.Streams.Generators.Tests.Conformance;

namespace Reactive.Streams.Generators.Tests.Sinks;

// Sinks no other test uses, so that a series of their names on either meter holds only what these tests push.

[StreamSink(typeof(TableEvent))]
[Backpressure(BackpressurePolicy.DropOldest, Capacity = 2)]
public sealed partial class FactoryMeteredDropOldestSink : HoldingTableSink;

[StreamSink(typeof(TableEvent))]
[Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 2, Degrader = nameof(Degrade))]
public sealed partial class FactoryMeteredDegradeQualitySink : HoldingTableSink
{
    private static TableEvent Degrade(TableEvent item) => item is TableEvent.Item value ? value with { Value = -value.Value } : item;
}

[StreamSink(typeof(TableEvent))]
[Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 2)]
public sealed partial class FactoryMeteredPauseUpstreamSink : HoldingTableSink;

[StreamSink(typeof(TableEvent))]
[Backpressure(BackpressurePolicy.Fail, Capacity = 2)]
public sealed partial class FactoryMeteredFailSink : HoldingTableSink;

/// <summary>
/// The generated adapters take an <see cref="IMeterFactory"/> (issue 20), as <see cref="BoundedStreamOptions{T}.MeterFactory"/>
/// and <see cref="DeliveryOptions{T}.MeterFactory"/> do: the buffer of an observer, a Dataflow target or a lossy delivery
/// sink made with a DI container's factory counts on that factory's meter, and not on the static <see cref="StreamMeter.Meter"/>,
/// so two hosts (or two tests) do not mix their counts.
/// </summary>
public sealed class SinkMeterFactoryTests
{
    private const string Pushed = "reactive_streams.stream.items.pushed";
    private const string Dropped = "reactive_streams.stream.items.dropped";
    private const string Degraded = "reactive_streams.stream.items.degraded";
    private const string Overflows = "reactive_streams.stream.overflows";
    private const string Depth = "reactive_streams.stream.depth";

    [Fact]
    public void Options_carry_the_factory_and_leave_it_null_by_default()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();

        Assert.Null(FactoryMeteredFailSink.CreateStreamOptions().MeterFactory);
        Assert.Null(FactoryMeteredFailSink.CreateStreamOptions(null, null).MeterFactory);
        var options = FactoryMeteredFailSink.CreateStreamOptions(meterFactory: factory);
        Assert.Same(factory, options.MeterFactory);
        Assert.Equal(nameof(FactoryMeteredFailSink), options.Name);
        Assert.Equal(BackpressurePolicy.Fail, options.Policy);
    }

    [Fact]
    public void Observers_of_every_policy_count_on_the_factory_meter_only()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();

        // A virtual clock nothing advances: the pumps never start, so what is pushed stays buffered and the counts are exact.
        var scheduler = new HistoricalScheduler();
        var dropOldest = new FactoryMeteredDropOldestSink().CreateObserver(scheduler: scheduler, meterFactory: factory);
        var degrade = new FactoryMeteredDegradeQualitySink().CreateObserver(null, null, scheduler, factory);
        var pause = new FactoryMeteredPauseUpstreamSink().CreateObserver(scheduler: scheduler, meterFactory: factory);
        var fail = new FactoryMeteredFailSink().CreateObserver(scheduler: scheduler, meterFactory: factory);
        for (var i = 1; i <= 3; i++)
        {
            dropOldest.OnNext(new TableEvent.Item(i));
            degrade.OnNext(new TableEvent.Item(i));
            fail.OnNext(new TableEvent.Item(i));
        }

        pause.OnNext(new TableEvent.Item(1));
        pause.OnNext(new TableEvent.Item(2));

        var seen = Collect(factory);
        Assert.Equal(3, seen[(nameof(FactoryMeteredDropOldestSink), Pushed)]);
        Assert.Equal(1, seen[(nameof(FactoryMeteredDropOldestSink), Dropped)]);
        Assert.Equal(2, seen[(nameof(FactoryMeteredDropOldestSink), Depth)]);
        Assert.Equal(3, seen[(nameof(FactoryMeteredDegradeQualitySink), Pushed)]);
        Assert.Equal(1, seen[(nameof(FactoryMeteredDegradeQualitySink), Degraded)]);
        Assert.Equal(2, seen[(nameof(FactoryMeteredDegradeQualitySink), Depth)]);
        Assert.Equal(2, seen[(nameof(FactoryMeteredPauseUpstreamSink), Pushed)]);
        Assert.Equal(2, seen[(nameof(FactoryMeteredPauseUpstreamSink), Depth)]);
        Assert.Equal(1, seen[(nameof(FactoryMeteredFailSink), Overflows)]);

        // What the factory's meter publishes is what each observer reports.
        Assert.Equal(dropOldest.GetMetrics().ItemsPushed, seen[(nameof(FactoryMeteredDropOldestSink), Pushed)]);
        Assert.Equal(fail.GetMetrics().FailOverflows, seen[(nameof(FactoryMeteredFailSink), Overflows)]);

        Assert.Empty(Collect(null));
        GC.KeepAlive(dropOldest);
        GC.KeepAlive(degrade);
        GC.KeepAlive(pause);
        GC.KeepAlive(fail);
    }

    [Fact]
    public async Task A_target_counts_on_the_factory_meter_only()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var sink = new FactoryMeteredPauseUpstreamSink();
        var target = sink.CreateTarget(meterFactory: factory);

        Assert.True(target.Post(new TableEvent.Item(1)));
        Assert.True(await target.SendAsync(new TableEvent.Item(2)));
        target.Complete();
        await target.Completion.WaitAsync(TimeSpan.FromMinutes(1));

        var seen = Collect(factory);
        Assert.Equal(2, seen[(nameof(FactoryMeteredPauseUpstreamSink), Pushed)]);
        Assert.Equal([1, 2], sink.Handled);
        Assert.Empty(Collect(null));
        GC.KeepAlive(target);
    }

    [Fact]
    public async Task A_lossy_delivery_sink_counts_its_own_buffer_on_the_factory_meter_only()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var sink = new FactoryMeteredDropOldestSink();
        await using var delivery = sink.CreateDeliverySink(meterFactory: factory);

        // The handler of 0 holds the pump, so what follows it stays in the buffer: 1 is evicted by 2 and 3.
        await delivery.WriteAsync(new TableEvent.Item(0), CancellationToken.None);
        await sink.Holding.Task.WaitAsync(TimeSpan.FromMinutes(1));
        for (var i = 1; i <= 3; i++)
        {
            await delivery.WriteAsync(new TableEvent.Item(i), CancellationToken.None);
        }

        var seen = Collect(factory);
        Assert.Equal(4, seen[(nameof(FactoryMeteredDropOldestSink), Pushed)]);
        Assert.Equal(1, seen[(nameof(FactoryMeteredDropOldestSink), Dropped)]);
        Assert.Equal(2, seen[(nameof(FactoryMeteredDropOldestSink), Depth)]);
        Assert.Empty(Collect(null));

        sink.Release.TrySetResult();
        await delivery.DisposeAsync();
        Assert.Equal([0, 2, 3], sink.Handled);
    }

    [Fact]
    public async Task A_lossy_delivery_sink_given_a_name_and_a_factory_by_position_keeps_the_buffer_name()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        await using var delivery = new FactoryMeteredDegradeQualitySink().CreateDeliverySink("renamed", null, factory);
        await delivery.WriteAsync(new TableEvent.Item(1), CancellationToken.None);

        // The dispatcher's name is the sink's; the buffer's series keeps the sink class's name, as without a factory.
        Assert.Equal("renamed", delivery.Name);
        Assert.Equal(1, Collect(factory)[(nameof(FactoryMeteredDegradeQualitySink), Pushed)]);
        Assert.Empty(Collect(null));
    }

    [Fact]
    public void Two_hosts_observers_of_one_sink_class_count_apart()
    {
        using var first = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var second = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var firstFactory = first.GetRequiredService<IMeterFactory>();
        var secondFactory = second.GetRequiredService<IMeterFactory>();
        var scheduler = new HistoricalScheduler();
        var one = new FactoryMeteredFailSink().CreateObserver(scheduler: scheduler, meterFactory: firstFactory);
        var other = new FactoryMeteredFailSink().CreateObserver(scheduler: scheduler, meterFactory: secondFactory);
        one.OnNext(new TableEvent.Item(1));
        for (var i = 1; i <= 2; i++)
        {
            other.OnNext(new TableEvent.Item(i));
        }

        // Same sink name, same policy: one series per meter, each holding only its own host's pushes.
        Assert.Equal(1, Collect(firstFactory)[(nameof(FactoryMeteredFailSink), Pushed)]);
        Assert.Equal(1, Collect(firstFactory)[(nameof(FactoryMeteredFailSink), Depth)]);
        Assert.Equal(2, Collect(secondFactory)[(nameof(FactoryMeteredFailSink), Pushed)]);
        Assert.Equal(2, Collect(secondFactory)[(nameof(FactoryMeteredFailSink), Depth)]);
        Assert.Empty(Collect(null));
        GC.KeepAlive(one);
        GC.KeepAlive(other);
    }

    [Fact]
    public async Task A_blocking_delivery_sink_takes_a_factory_and_owns_no_meter_series()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var sink = new FactoryMeteredPauseUpstreamSink();
        await using var delivery = sink.CreateDeliverySink(meterFactory: factory);

        // Its queue is the dispatcher's (counted on DeliveryOptions.MeterFactory's meter); the write runs the handler.
        Assert.IsNotAssignableFrom<IMeteredStream>(delivery);
        Assert.Equal(2, delivery.Options.QueueCapacity);
        Assert.Equal(OnFull.Block, delivery.Options.OnFull);
        await delivery.WriteAsync(new TableEvent.Item(7), CancellationToken.None);
        Assert.Equal([7], sink.Handled);
        Assert.DoesNotContain(Collect(factory).Keys, k => k.Stream == nameof(FactoryMeteredPauseUpstreamSink));
    }

    /// <summary>
    /// One collection of the stream instruments of these tests' sinks, by sink and instrument, on the meter
    /// <paramref name="factory"/> created, or on the static meter when null.
    /// </summary>
    private static Dictionary<(string Stream, string Instrument), long> Collect(IMeterFactory? factory)
    {
        var seen = new List<(string Stream, string Instrument, long Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            var meter = instrument.Meter;
            var ours = factory is null ? meter == StreamMeter.Meter : meter.Scope == factory && meter.Name == StreamMeter.MeterName;
            if (ours && instrument.Name.StartsWith("reactive_streams.stream.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == StreamMeter.StreamNameAttribute && tag.Value is string name && name.StartsWith("FactoryMetered", StringComparison.Ordinal))
                {
                    lock (seen)
                    {
                        seen.Add((name, instrument.Name, value));
                    }
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.All(seen.GroupBy(m => (m.Stream, m.Instrument)), group => Assert.Single(group));
        return seen.ToDictionary(m => (m.Stream, m.Instrument), m => m.Value);
    }
}
