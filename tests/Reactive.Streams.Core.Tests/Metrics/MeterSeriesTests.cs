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

        // A completed stream, channel or block can still be read, so its depth stays until it is collected; a disposed
        // subscription has ended, so its depth leaves at once (MetricsAfterDisposeTests).
        var ended = CreatePushAndEnd(surface, name, meter);
        var endedDepth = surface is "operator" or "subscribe-async" ? 0 : 2;
        AssertSeries(meter, name, new StreamMetricsSnapshot(ItemsPushed: 1 + 3, 0, DropOldestHits: 1, 0, 0, 0, 0, Depth: 1 + endedDepth));

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

    private const int UnnamedStreams = 20;

    private static readonly string[] s_streamCounters =
    [
        "reactive_streams.stream.items.pushed", "reactive_streams.stream.items.delivered", "reactive_streams.stream.items.dropped",
        "reactive_streams.stream.items.degraded", "reactive_streams.stream.pushes.paused", "reactive_streams.stream.overflows",
        "reactive_streams.stream.items.rejected",
        "reactive_streams.delivery.items.delivered", "reactive_streams.delivery.items.dropped", "reactive_streams.delivery.retries",
        "reactive_streams.delivery.items.dead_lettered", "reactive_streams.delivery.items.discarded",
    ];

    [Fact]
    public void Ended_unnamed_components_leave_the_meter_and_their_counts_stay_in_one_shared_series()
    {
        using var meter = new ScopedMeter();

        // Named like a generated name, and kept all the same: whether a name was generated is not read from its shape.
        const string Named = "stream-0";
        var (ended, before) = CreateUnnamedComponentsAndEnd(meter, Named);

        // While they lived, each unnamed stream was a series of its own (the operator's two subscriptions share one).
        Assert.Equal(UnnamedStreams + 1 + 1 + 1, StreamSeries(before).Count);
        CollectAll(ended);
        Assert.All(ended, weak => Assert.False(weak.IsAlive, "An ended component was not collected."));

        // Now only the shared series and the named one are left: the ended unnamed ones are gone.
        var after = meter.Collect();
        Assert.Equal(
            [("delivery-*/sink", "PauseUpstream"), ("stream-*", "DropOldest"), (Named, "DropOldest")],
            StreamSeries(after).Order().ToList());
        Assert.Equal([("delivery-*", "sink")], after.Where(m => m.Dispatcher is not null).Select(m => (m.Dispatcher!, m.Sink!)).Distinct().ToList());

        // stream-*: the 20 streams (3 pushed, 1 dropped, 1 read each) and the operator's two subscriptions (3 pushed, 1 dropped each).
        Assert.Equal(UnnamedStreams * 3 + 2 * 3, Value(after, "reactive_streams.stream.items.pushed", "stream-*"));
        Assert.Equal(UnnamedStreams + 2, Value(after, "reactive_streams.stream.items.dropped", "stream-*"));
        Assert.Equal(UnnamedStreams, Value(after, "reactive_streams.stream.items.delivered", "stream-*"));
        Assert.Equal(0, Value(after, "reactive_streams.stream.depth", "stream-*"));
        Assert.Equal(2, Value(after, "reactive_streams.stream.items.pushed", "delivery-*/sink"));
        Assert.Equal(2, Value(after, "reactive_streams.stream.items.delivered", "delivery-*/sink"));
        Assert.Equal(2, Assert.Single(after, m => m.Instrument == "reactive_streams.delivery.items.delivered").Value);

        // The named stream kept its own series and its counts.
        Assert.Equal(1, Value(after, "reactive_streams.stream.items.pushed", Named));
        Assert.Equal(0, Value(after, "reactive_streams.stream.depth", Named));

        // No counter went down: each one's sum over all series is what it was while the components lived.
        foreach (var counter in s_streamCounters)
        {
            Assert.Equal((counter, Sum(before, counter)), (counter, Sum(after, counter)));
        }

        Assert.Equal(UnnamedStreams * 3 + 2 * 3 + 2 + 1, Sum(after, "reactive_streams.stream.items.pushed"));
    }

    [Fact]
    public void An_unnamed_operator_subscribed_again_after_its_series_left_starts_it_anew_and_no_count_is_lost()
    {
        using var meter = new ScopedMeter();
        var subject = new Subject<int>();
        var scheduler = new Reactive.Streams.Testing.TestScheduler();

        // The operator holds its options and so its generated name: a new subscription registers to that name again.
        var buffered = subject.WithBackpressure(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { MeterFactory = meter.Factory }, scheduler);
        var ended = SubscribePushAndDispose(buffered, subject, pushes: 3);

        // The scheduler outlives the subscription here: run what it still holds of it (its disposed drain).
        scheduler.Start();
        CollectAll([ended]);
        Assert.False(ended.IsAlive, "The disposed subscription was not collected.");

        using var again = System.ObservableExtensions.Subscribe(buffered);
        subject.OnNext(1);

        var seen = meter.Collect();
        var name = ((IMeteredStream)again).Name;
        Assert.Equal([("stream-*", "DropOldest"), (name, "DropOldest")], StreamSeries(seen).OrderBy(s => s.Stream == name).ToList());
        Assert.Equal(3, Value(seen, "reactive_streams.stream.items.pushed", "stream-*"));
        Assert.Equal(1, Value(seen, "reactive_streams.stream.items.pushed", name));
        Assert.Equal(1, Value(seen, "reactive_streams.stream.depth", name));
    }

    [Fact]
    public void An_unnamed_operator_resubscribed_while_its_ended_subscription_is_still_held_starts_its_series_anew_and_no_series_goes_down()
    {
        // What Retry and Repeat do: subscribe the same operator again right after the last subscription ended, while that
        // one is still referenced (not yet collected). Its counts are reported in stream-* as soon as it ends; the new
        // subscription must not take them back into stream-N, or stream-* goes down (to no value) and stream-N counts
        // them a second time for an exporter that keeps the last value it saw of each series.
        using var meter = new ScopedMeter();
        var scheduler = new Reactive.Streams.Testing.TestScheduler();
        var (name, ended) = SubscribeTwiceInTurn(meter, scheduler);

        // Once both are collected, the folds keep every count in stream-*, once.
        scheduler.Start();
        CollectAll(ended);
        Assert.All(ended, weak => Assert.False(weak.IsAlive, "An ended subscription was not collected."));
        var collected = meter.Collect();
        Assert.Equal([("stream-*", "DropOldest")], StreamSeries(collected));
        Assert.Equal(4, Value(collected, "reactive_streams.stream.items.pushed", "stream-*"));
        Assert.Equal(1, Value(collected, "reactive_streams.stream.items.dropped", "stream-*"));
        Assert.DoesNotContain(collected, m => m.Stream == name);
    }

    /// <summary>
    /// An unnamed DropOldest operator of capacity 2 on <paramref name="scheduler"/> (not run): a subscription takes 1, 2,
    /// 3 and is disposed; a second subscription, made while the first is still held, takes 4 and is disposed. Asserts
    /// the series after each step; returns the operator's generated name and both subscriptions, weakly.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (string Name, List<WeakReference> Ended) SubscribeTwiceInTurn(ScopedMeter meter, Reactive.Streams.Testing.TestScheduler scheduler)
    {
        var subject = new Subject<int>();
        var buffered = subject.WithBackpressure(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { MeterFactory = meter.Factory }, scheduler);

        var first = System.ObservableExtensions.Subscribe(buffered);
        var name = ((IMeteredStream)first).Name;
        subject.OnNext(1);
        subject.OnNext(2);
        subject.OnNext(3);
        first.Dispose();

        var afterFirst = meter.Collect();
        Assert.Equal([("stream-*", "DropOldest")], StreamSeries(afterFirst));
        Assert.Equal(3, Value(afterFirst, "reactive_streams.stream.items.pushed", "stream-*"));

        var second = System.ObservableExtensions.Subscribe(buffered);
        Assert.Equal(name, ((IMeteredStream)second).Name);
        subject.OnNext(4);

        var whileSecond = meter.Collect();
        Assert.Equal([("stream-*", "DropOldest"), (name, "DropOldest")], StreamSeries(whileSecond).OrderBy(s => s.Stream == name).ToList());
        Assert.Equal(3, Value(whileSecond, "reactive_streams.stream.items.pushed", "stream-*"));
        Assert.Equal(1, Value(whileSecond, "reactive_streams.stream.items.pushed", name));
        Assert.Equal(1, Value(whileSecond, "reactive_streams.stream.items.dropped", "stream-*"));
        Assert.Equal(0, Value(whileSecond, "reactive_streams.stream.items.dropped", name));
        Assert.Equal(0, Value(whileSecond, "reactive_streams.stream.depth", "stream-*"));
        Assert.Equal(1, Value(whileSecond, "reactive_streams.stream.depth", name));

        second.Dispose();
        var afterSecond = meter.Collect();
        Assert.Equal([("stream-*", "DropOldest")], StreamSeries(afterSecond));
        Assert.Equal(4, Value(afterSecond, "reactive_streams.stream.items.pushed", "stream-*"));
        GC.KeepAlive(first);
        return (name, [new WeakReference(first), new WeakReference(second)]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference SubscribePushAndDispose(IObservable<int> buffered, Subject<int> subject, int pushes)
    {
        var subscription = System.ObservableExtensions.Subscribe(buffered);
        for (var i = 0; i < pushes; i++)
        {
            subject.OnNext(i);
        }

        subscription.Dispose();
        return new WeakReference(subscription);
    }

    /// <summary>
    /// On <paramref name="meter"/>: <see cref="UnnamedStreams"/> unnamed DropOldest streams of capacity 2 (3 pushed, 1
    /// read each), an unnamed operator subscribed twice (3 pushed into each, nothing delivered: its scheduler never
    /// runs), an unnamed dispatcher that delivers 2 items to its sink <c>sink</c>, and a stream named
    /// <paramref name="named"/> (1 pushed, 1 read); all ended. Returns them weakly, and a collection taken while they lived.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (List<WeakReference> Ended, List<(string Instrument, string? Stream, string? Policy, string? Dispatcher, string? Sink, long Value)> Before)
        CreateUnnamedComponentsAndEnd(ScopedMeter meter, string named)
    {
        var ended = new List<WeakReference>();
        var alive = new List<object>();
        for (var i = 0; i < UnnamedStreams; i++)
        {
            var stream = BoundedStream.Create(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { MeterFactory = meter.Factory });
            stream.TryPush(1);
            stream.TryPush(2);
            stream.TryPush(3);
            Assert.True(stream.TryRead(out _));
            stream.Complete();
            alive.Add(stream);
        }

        var subject = new Subject<int>();
        var buffered = subject.WithBackpressure(
            new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { MeterFactory = meter.Factory }, new Reactive.Streams.Testing.TestScheduler());
        var first = System.ObservableExtensions.Subscribe(buffered);
        var second = System.ObservableExtensions.Subscribe(buffered);
        subject.OnNext(1);
        subject.OnNext(2);
        subject.OnNext(3);
        first.Dispose();
        second.Dispose();
        alive.Add(first);
        alive.Add(second);

        var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { MeterFactory = meter.Factory }.AddSink(new RecordingSink<int>("sink")));
        var acks = new[] { new CountingAck(), new CountingAck() };
        for (var i = 0; i < acks.Length; i++)
        {
            dispatcher.DispatchAsync(i, acks[i]).AsTask().GetAwaiter().GetResult();
        }

        foreach (var ack in acks)
        {
            ack.First.GetAwaiter().GetResult();
        }

        dispatcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        alive.Add(dispatcher);

        var kept = BoundedStream.Create(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { Name = named, MeterFactory = meter.Factory });
        kept.TryPush(1);
        Assert.True(kept.TryRead(out _));
        kept.Complete();
        alive.Add(kept);

        var before = meter.Collect();
        ended.AddRange(alive.Select(o => new WeakReference(o)));
        return (ended, before);
    }

    /// <summary>Collects garbage until every target of <paramref name="ended"/> is gone (or a few rounds have passed).</summary>
    private static void CollectAll(IReadOnlyList<WeakReference> ended)
    {
        for (var i = 0; i < 10 && ended.Any(weak => weak.IsAlive); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        // The last round's finalizers have run; collect what they released.
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    private static List<(string Stream, string Policy)> StreamSeries(IEnumerable<(string Instrument, string? Stream, string? Policy, string? Dispatcher, string? Sink, long Value)> seen) =>
        seen.Where(m => m.Stream is not null).Select(m => (m.Stream!, m.Policy!)).Distinct().ToList();

    private static long Value(IEnumerable<(string Instrument, string? Stream, string? Policy, string? Dispatcher, string? Sink, long Value)> seen, string instrument, string stream) =>
        Assert.Single(seen, m => m.Instrument == instrument && m.Stream == stream).Value;

    private static long Sum(IEnumerable<(string Instrument, string? Stream, string? Policy, string? Dispatcher, string? Sink, long Value)> seen, string instrument) =>
        seen.Where(m => m.Instrument == instrument).Sum(m => m.Value);

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
