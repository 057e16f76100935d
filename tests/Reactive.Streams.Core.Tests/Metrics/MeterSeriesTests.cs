using System.Diagnostics.Metrics;
using System.Reactive.Subjects;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.DependencyInjection;
using Reactive.Streams.Tests.Delivery;

namespace Reactive.Streams.Tests.Metrics;

/// <summary>
/// The meter's series as a listener sees them, each test on a meter of its own (an <see cref="IMeterFactory"/> of its
/// own container), so tests running beside it cannot add to its series.
/// </summary>
public sealed class MeterSeriesTests
{
    private sealed record Left;

    private sealed record Right;

    [Fact]
    public void Unnamed_streams_of_different_item_types_get_different_names_and_so_different_series()
    {
        // Two item types no other test uses: before the fix each type counted its own stream-N from 1.
        using var meter = new ScopedMeter();
        var left = BoundedStream.Create(new BoundedStreamOptions<Left>(BackpressurePolicy.DropOldest, 2) { MeterFactory = meter.Factory });
        var right = BoundedStream.Create(new BoundedStreamOptions<Right>(BackpressurePolicy.DropOldest, 2) { MeterFactory = meter.Factory });
        left.TryPush(new Left());
        right.TryPush(new Right());
        right.TryPush(new Right());

        Assert.NotEqual(left.Name, right.Name);
        var pushed = meter.Collect().Where(m => m.Instrument == "reactive_streams.stream.items.pushed").ToDictionary(m => m.Stream!, m => m.Value);
        Assert.Equal(1, pushed[left.Name]);
        Assert.Equal(2, pushed[right.Name]);
        GC.KeepAlive(left);
        GC.KeepAlive(right);
    }

    [Fact]
    public void Unnamed_dispatchers_of_different_item_types_get_different_names()
    {
        // Item types no other test dispatches: before the fix each type counted its own delivery-N from 1.
        var left = new DeliveryOptions<Left>();
        var right = new DeliveryOptions<Right>();

        Assert.NotEqual(left.Name, right.Name);
    }

    public static TheoryData<string> Surfaces => ["stream", "channel", "block", "operator", "subscribe-async"];

    /// <summary>
    /// One DropOldest buffer of capacity 2 on <paramref name="surface"/>, named <paramref name="name"/>, on the
    /// meter's factory, and a push into it. Rx surfaces get a scheduler of their own that nothing advances, so what is
    /// pushed stays buffered.
    /// </summary>
    private static (IMeteredStream Stream, Action<int> Push, Action End) Create(string surface, string name, ScopedMeter meter)
    {
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { Name = name, MeterFactory = meter.Factory };
        switch (surface)
        {
            case "stream":
                var stream = BoundedStream.Create(options);
                return (stream, i => stream.TryPush(i), () => stream.Complete());
            case "channel":
                var channel = BackpressureChannel.Create(options);
                return ((IMeteredStream)channel, i => Assert.True(channel.Writer.TryWrite(i)), () => channel.Writer.Complete());
            case "block":
                var block = new BackpressureBlock<int>(options);
                return (block, i => Assert.True(block.Post(i)), block.Complete);
            case "operator":
                var subject = new Subject<int>();
                var subscription = System.ObservableExtensions.Subscribe(subject.WithBackpressure(options, new Reactive.Streams.Testing.TestScheduler()));
                return ((IMeteredStream)subscription, subject.OnNext, subscription.Dispose);
            default:
                var source = new Subject<int>();
                var consumer = source.SubscribeAsync(static (_, _) => ValueTask.CompletedTask, options, new Reactive.Streams.Testing.TestScheduler());
                return (consumer, source.OnNext, consumer.Dispose);
        }
    }

    [Theory]
    [MemberData(nameof(Surfaces))]
    public void Buffers_that_share_a_name_and_policy_are_one_series_and_one_that_ended_keeps_its_counts_in_it(string surface)
    {
        using var meter = new ScopedMeter();
        var name = $"{surface}-{Guid.NewGuid():N}";
        var (survivor, push, _) = Create(surface, name, meter);
        push(1);

        // Alone, the series is the survivor's snapshot.
        AssertSeries(meter, name, survivor.GetMetrics());

        var ended = CreatePushAndEnd(surface, name, meter);
        AssertSeries(meter, name, new StreamMetricsSnapshot(ItemsPushed: 1 + 3, 0, DropOldestHits: 1, 0, 0, 0, 0, Depth: 1 + 2));

        // Once the ended buffer is collected, its counts stay (the counters never go back) and its depth leaves.
        Collect(ended);

        Assert.False(ended.IsAlive, "The ended buffer was not collected.");
        AssertSeries(meter, name, new StreamMetricsSnapshot(ItemsPushed: 1 + 3, 0, DropOldestHits: 1, 0, 0, 0, 0, Depth: 1));
        GC.KeepAlive(survivor);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference CreatePushAndEnd(string surface, string name, ScopedMeter meter)
    {
        var (stream, push, end) = Create(surface, name, meter);
        push(1);
        push(2);
        push(3);
        end();
        return new WeakReference(stream);
    }

    /// <summary>Collects garbage until <paramref name="ended"/>'s target is gone (or a few rounds have passed).</summary>
    private static void Collect(WeakReference ended)
    {
        for (var i = 0; i < 10 && ended.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    /// <summary>Asserts one measurement per stream instrument for the series of <paramref name="name"/>, equal to <paramref name="expected"/>.</summary>
    private static void AssertSeries(ScopedMeter meter, string name, StreamMetricsSnapshot expected)
    {
        var seen = meter.Collect().Where(m => m.Stream == name).ToList();
        Assert.All(seen, m => Assert.Equal("DropOldest", m.Policy));
        var values = seen.ToDictionary(m => m.Instrument, m => m.Value);
        Assert.Equal(8, seen.Count);
        var actual = new StreamMetricsSnapshot(
            values["reactive_streams.stream.items.pushed"],
            values["reactive_streams.stream.items.delivered"],
            values["reactive_streams.stream.items.dropped"],
            values["reactive_streams.stream.items.degraded"],
            values["reactive_streams.stream.pushes.paused"],
            values["reactive_streams.stream.overflows"],
            values["reactive_streams.stream.items.rejected"],
            (int)values["reactive_streams.stream.depth"]);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Sinks_that_share_a_dispatcher_and_sink_name_are_one_series_that_keeps_a_disposed_dispatchers_counts()
    {
        using var meter = new ScopedMeter();
        var name = $"dispatcher-{Guid.NewGuid():N}";
        var sink = new RecordingSink<int>("sink");
        await using var survivor = new DeliveryDispatcher<int>(new DeliveryOptions<int> { Name = name, MeterFactory = meter.Factory }.AddSink(sink));
        var ack = new CountingAck();
        await survivor.DispatchAsync(1, ack);
        await ack.First;

        var ended = DeliverTwoAndDispose(name, meter);
        Assert.Equal(1 + 2, Delivered());
        Collect(ended);

        Assert.False(ended.IsAlive, "The disposed dispatcher was not collected.");
        Assert.Equal(1 + 2, Delivered());
        Assert.Equal(1, survivor.GetSinkMetrics("sink").Delivered);

        long Delivered() => Assert.Single(meter.Collect(), m => m.Instrument == "reactive_streams.delivery.items.delivered" && m.Dispatcher == name && m.Sink == "sink").Value;
    }

    // Synchronous, so that no async state machine of the test's can hold the dispatcher: it must be collectable on return.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference DeliverTwoAndDispose(string name, ScopedMeter meter)
    {
        var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { Name = name, MeterFactory = meter.Factory }.AddSink(new RecordingSink<int>("sink")));
        var first = new CountingAck();
        var second = new CountingAck();
        dispatcher.DispatchAsync(1, first).AsTask().GetAwaiter().GetResult();
        dispatcher.DispatchAsync(2, second).AsTask().GetAwaiter().GetResult();
        first.First.GetAwaiter().GetResult();
        second.First.GetAwaiter().GetResult();
        dispatcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return new WeakReference(dispatcher);
    }

    /// <summary>A container's <see cref="IMeterFactory"/> and a collection of the stream instruments on its meter.</summary>
    internal sealed class ScopedMeter : IDisposable
    {
        private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

        public IMeterFactory Factory => _services.GetRequiredService<IMeterFactory>();

        public void Dispose() => _services.Dispose();

        /// <summary>One collection of every instrument on this factory's meter: each measurement with its tags.</summary>
        public List<(string Instrument, string? Stream, string? Policy, string? Dispatcher, string? Sink, long Value)> Collect()
        {
            var seen = new List<(string, string?, string?, string?, string?, long)>();
            var factory = Factory;
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Meter.Name == StreamMeter.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string? stream = null, policy = null, dispatcher = null, sink = null;
                foreach (var tag in tags)
                {
                    switch (tag.Key)
                    {
                        case StreamMeter.StreamNameAttribute: stream = tag.Value as string; break;
                        case StreamMeter.StreamPolicyAttribute: policy = tag.Value as string; break;
                        case StreamMeter.DispatcherNameAttribute: dispatcher = tag.Value as string; break;
                        case StreamMeter.SinkNameAttribute: sink = tag.Value as string; break;
                    }
                }

                lock (seen)
                {
                    seen.Add((instrument.Name, stream, policy, dispatcher, sink, value));
                }
            });
            listener.Start();
            listener.RecordObservableInstruments();
            return seen;
        }
    }
}
