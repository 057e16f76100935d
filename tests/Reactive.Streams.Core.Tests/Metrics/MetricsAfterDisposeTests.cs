using System.Reactive.Subjects;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Metrics;

/// <summary>
/// A subscription disposed while the app still holds it (a field, a <c>CompositeDisposable</c>) has ended: its depth
/// leaves its series at once, its counts stay, and a series under a generated name leaves the meter (docs/metrics.md).
/// Each test reads its own <see cref="MeterSeriesTests.ScopedMeter"/>, so parallel classes cannot disturb it.
/// </summary>
public sealed class MetricsAfterDisposeTests
{
    private static long Value(MeterSeriesTests.ScopedMeter meter, string instrument, string stream) =>
        Assert.Single(meter.Collect(), m => m.Instrument == "reactive_streams.stream." + instrument && m.Stream == stream).Value;

    [Fact]
    public void A_disposed_operator_subscription_leaves_the_depth_of_its_series_and_keeps_its_counts_in_the_sum()
    {
        using var meter = new MeterSeriesTests.ScopedMeter();
        var scheduler = new TestScheduler(); // never advanced: every item stays buffered
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4) { Name = "held", MeterFactory = meter.Factory };
        var first = new Subject<int>();
        var second = new Subject<int>();
        var disposed = first.WithBackpressure(options, scheduler).Subscribe(_ => { });
        using var live = second.WithBackpressure(options, scheduler).Subscribe(_ => { });
        first.OnNext(1);
        first.OnNext(2);
        first.OnNext(3);
        second.OnNext(10);
        Assert.Equal(4, Value(meter, "depth", "held"));

        disposed.Dispose();
        first.OnNext(4); // after Dispose: ignored, counted nowhere

        // The live subscription's one item is all the series holds; the disposed one's pushes stay counted.
        Assert.Equal(1, Value(meter, "depth", "held"));
        Assert.Equal(4, Value(meter, "items.pushed", "held"));
        second.OnNext(11);
        Assert.Equal(2, Value(meter, "depth", "held"));
        Assert.Equal(5, Value(meter, "items.pushed", "held"));
        GC.KeepAlive(disposed);
    }

    [Fact]
    public void A_disposed_SubscribeAsync_subscription_leaves_the_depth_of_its_series()
    {
        using var meter = new MeterSeriesTests.ScopedMeter();
        var scheduler = new TestScheduler();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 8) { Name = "handled", MeterFactory = meter.Factory };
        var first = new Subject<int>();
        var second = new Subject<int>();
        var disposed = first.SubscribeAsync(static (_, _) => ValueTask.CompletedTask, options, scheduler);
        using var live = second.SubscribeAsync(static (_, _) => ValueTask.CompletedTask, options, scheduler);
        first.OnNext(1);
        first.OnNext(2);
        second.OnNext(3);

        disposed.Dispose();

        Assert.Equal(1, Value(meter, "depth", "handled"));
        Assert.Equal(3, Value(meter, "items.pushed", "handled"));
        GC.KeepAlive(disposed);
    }

    [Fact]
    public void A_disposed_unnamed_subscription_still_held_leaves_the_meter_and_its_counts_move_to_the_shared_series()
    {
        using var meter = new MeterSeriesTests.ScopedMeter();
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var subscriptions = new List<IDisposable>();
        for (var i = 0; i < 50; i++)
        {
            // A new operator each time: each has its own generated name, as short-lived unnamed pipelines would.
            subscriptions.Add(subject.WithBackpressure(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { MeterFactory = meter.Factory }, scheduler).Subscribe(_ => { }));
        }

        subject.OnNext(1);
        subject.OnNext(2);
        subject.OnNext(3);
        Assert.Equal(50, meter.Collect().Count(m => m.Instrument == "reactive_streams.stream.depth"));

        foreach (var subscription in subscriptions)
        {
            subscription.Dispose();
        }

        // Still referenced, but ended: no series of theirs is left but the shared one, which has every count.
        var seen = meter.Collect().Where(m => m.Instrument.StartsWith("reactive_streams.stream.", StringComparison.Ordinal)).ToList();
        Assert.All(seen, m => Assert.Equal("stream-*", m.Stream));
        Assert.Equal(50 * 3, Value(meter, "items.pushed", "stream-*"));
        Assert.Equal(50 * 1, Value(meter, "items.dropped", "stream-*"));
        Assert.Equal(0, Value(meter, "depth", "stream-*"));
        GC.KeepAlive(subscriptions);
    }

    [Fact]
    public async Task A_dispatcher_shut_down_with_items_left_leaves_the_queue_depth_of_its_series_and_keeps_its_counts()
    {
        using var meter = new MeterSeriesTests.ScopedMeter();
        var stopped = new BlockingSink();
        var live = new BlockingSink();
        var stoppedDispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { Name = "held-d", MeterFactory = meter.Factory }.AddSink(stopped));
        await using var liveDispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { Name = "held-d", MeterFactory = meter.Factory }.AddSink(live));
        // Each sink's worker takes the first item and waits in its write; what is dispatched then waits in the queue.
        await stoppedDispatcher.DispatchAsync(0);
        await liveDispatcher.DispatchAsync(10);
        await stopped.Started.Task.WaitAsync(TestLimits.Hang);
        await live.Started.Task.WaitAsync(TestLimits.Hang);
        await stoppedDispatcher.DispatchAsync(1);
        await stoppedDispatcher.DispatchAsync(2);
        await liveDispatcher.DispatchAsync(11);
        Assert.Equal(2 + 1, QueueDepth(meter));
        Assert.Equal(2 + 1, Value(meter, "depth", "held-d/blocking"));

        // No drain time: the write in progress is cancelled, the two queued items are left (unacknowledged).
        Assert.False(await stoppedDispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TestLimits.Hang));

        // The dispatcher has ended (it is still referenced): only the live one's queued item is waiting now.
        Assert.Equal(1, QueueDepth(meter));
        Assert.Equal(1, Value(meter, "depth", "held-d/blocking"));
        Assert.Equal(5, Value(meter, "items.pushed", "held-d/blocking"));
        GC.KeepAlive(stoppedDispatcher);
    }

    [Fact]
    public async Task Disposed_unnamed_dispatchers_still_held_leave_the_meter_and_their_counts_move_to_delivery_star()
    {
        using var meter = new MeterSeriesTests.ScopedMeter();
        var dispatchers = new List<DeliveryDispatcher<int>>();
        for (var i = 0; i < 20; i++)
        {
            var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { MeterFactory = meter.Factory }.AddSink(new CountingSink()));
            dispatchers.Add(dispatcher);
            await dispatcher.DispatchAsync(i);
            await dispatcher.DispatchAsync(i);
        }

        foreach (var dispatcher in dispatchers)
        {
            // Drained first (a sink that never waits), so every item is delivered before the dispatcher ends.
            Assert.True(await dispatcher.ShutdownAsync(TestLimits.Hang).WaitAsync(TestLimits.Hang));
            await dispatcher.DisposeAsync();
        }

        // Ended, though held: one shared series per sink name for the delivery counters, and one per policy for the
        // sink queues' streams, with every count.
        var seen = meter.Collect();
        var delivery = seen.Where(m => m.Instrument.StartsWith("reactive_streams.delivery.", StringComparison.Ordinal) && m.Dispatcher is not null).ToList();
        Assert.All(delivery, m => Assert.Equal(("delivery-*", "counting"), (m.Dispatcher, m.Sink)));
        Assert.Equal(20 * 2, Assert.Single(delivery, m => m.Instrument == "reactive_streams.delivery.items.delivered").Value);
        Assert.Equal(0, Assert.Single(delivery, m => m.Instrument == "reactive_streams.delivery.queue.depth").Value);
        var queues = seen.Where(m => m.Instrument.StartsWith("reactive_streams.stream.", StringComparison.Ordinal)).ToList();
        Assert.All(queues, m => Assert.Equal("delivery-*/counting", m.Stream));
        Assert.Equal(20 * 2, Assert.Single(queues, m => m.Instrument == "reactive_streams.stream.items.pushed").Value);
        GC.KeepAlive(dispatchers);
    }

    [Fact]
    public async Task A_dispatcher_made_from_unnamed_options_again_while_the_ended_one_is_held_starts_its_series_from_zero()
    {
        // Unnamed options name their dispatchers once (delivery-N): a second dispatcher made from them after the first
        // ended, while the first is still held, must not take the first's counts back out of delivery-*.
        using var meter = new MeterSeriesTests.ScopedMeter();
        var options = new DeliveryOptions<int> { MeterFactory = meter.Factory }.AddSink(new CountingSink());
        var first = new DeliveryDispatcher<int>(options);
        await first.DispatchAsync(1);
        await first.DispatchAsync(2);
        Assert.True(await first.ShutdownAsync(TestLimits.Hang).WaitAsync(TestLimits.Hang));
        await first.DisposeAsync();
        Assert.Equal([("delivery-*", 2L)], Delivered(meter.Collect()));

        await using var second = new DeliveryDispatcher<int>(options);
        var ack = new Reactive.Streams.Tests.Delivery.CountingAck();
        await second.DispatchAsync(3, ack);
        await ack.First;

        // The second lives: its own series, from zero, beside the first's counts in delivery-*.
        Assert.Equal([("delivery-*", 2L), (options.Name, 1L)], Delivered(meter.Collect()).OrderBy(m => m.Dispatcher == options.Name).ToList());

        // Shut down, it has ended too: every count in delivery-*, once.
        Assert.True(await second.ShutdownAsync(TestLimits.Hang).WaitAsync(TestLimits.Hang));
        Assert.Equal([("delivery-*", 3L)], Delivered(meter.Collect()));
        GC.KeepAlive(first);

        static List<(string? Dispatcher, long Value)> Delivered(List<(string Instrument, string? Stream, string? Policy, string? Dispatcher, string? Sink, long Value)> seen) =>
            seen.Where(m => m.Instrument == "reactive_streams.delivery.items.delivered").Select(m => (m.Dispatcher, m.Value)).ToList();
    }

    /// <summary>A sink that completes every write at once.</summary>
    private sealed class CountingSink : IDeliverySink<int>
    {
        public string Name => "counting";

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_disposed_lossy_subscription_over_an_observable_leaves_the_depth_of_its_series()
    {
        var name = $"lossy-{Guid.NewGuid():N}"; // on the static meter: a name no other test uses
        var subject = new Subject<int>();
        var canal = LossySubscription.Create(subject, capacity: 4, new FakeTimeProvider(), name);
        subject.OnNext(1);
        subject.OnNext(2);
        Assert.Equal((2, 2), (StaticValue(name, "depth"), StaticValue(name, "items.pushed")));

        await canal.DisposeAsync();

        // It owned its buffer, and unsubscribed: what the buffer held is no longer waiting for anyone.
        Assert.Equal((0, 2), (StaticValue(name, "depth"), StaticValue(name, "items.pushed")));
        GC.KeepAlive(canal);
    }

    [Fact]
    public async Task A_disposed_lossy_subscription_over_a_stream_leaves_the_streams_depth_alone()
    {
        var name = $"lossy-stream-{Guid.NewGuid():N}";
        var stream = BoundedStream.DropOldest<int>(4, name);
        var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        stream.TryPush(1);

        await canal.DisposeAsync();

        // The stream is the app's, still open: its depth stays.
        Assert.Equal(1, StaticValue(name, "depth"));
        Assert.Equal(PushStatus.Enqueued, stream.TryPush(2).Status);
        Assert.Equal(2, StaticValue(name, "depth"));
    }

    private static long StaticValue(string stream, string instrument)
    {
        long? value = null;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter == StreamMeter.Meter && i.Name == "reactive_streams.stream." + instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, v, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == StreamMeter.StreamNameAttribute && (string?)tag.Value == stream)
                {
                    Assert.Null(value);
                    value = v;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return Assert.NotNull(value);
    }

    private static long QueueDepth(MeterSeriesTests.ScopedMeter meter) =>
        Assert.Single(meter.Collect(), m => m.Instrument == "reactive_streams.delivery.queue.depth" && m.Dispatcher == "held-d" && m.Sink == "blocking").Value;

    /// <summary>A sink whose writes wait until they are cancelled.</summary>
    private sealed class BlockingSink : IDeliverySink<int>
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "blocking";

        public async ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }
}
