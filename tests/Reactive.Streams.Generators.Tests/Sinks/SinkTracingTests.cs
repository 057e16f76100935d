using System.Collections.Concurrent;
using System.Diagnostics;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>A one-variant union for the tracing sinks below.</summary>
[EventUnion]
public abstract partial record TracedEvent
{
    public sealed record Item(int Value) : TracedEvent;
}

/// <summary>Records the span current in its handler for each item.</summary>
public abstract class SpanRecordingSink
{
    public ConcurrentQueue<(int Value, Activity? Current)> Seen { get; } = new();

    public void OnItem(TracedEvent.Item item) => Seen.Enqueue((item.Value, Activity.Current));
}

[StreamSink(typeof(TracedEvent))]
[Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 4)]
public sealed partial class PausingTracedSink : SpanRecordingSink;

[StreamSink(typeof(TracedEvent))]
[Backpressure(BackpressurePolicy.DropOldest, Capacity = 4)]
public sealed partial class DropOldestTracedSink : SpanRecordingSink;

[StreamSink(typeof(TracedEvent))]
[Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = nameof(Degrade))]
public sealed partial class DegradingTracedSink : SpanRecordingSink
{
    private static TracedEvent Degrade(TracedEvent item) => item;
}

/// <summary>
/// docs/tracing.md, "Generated sinks": a <c>[StreamSink]</c> delivery sink's handler runs inside that sink's
/// <c>deliver</c> span; a DropOldest or DegradeQuality sink buffers the item and hands it to the handler later, outside
/// the span (which has ended by then: its write returned once the item was buffered).
/// </summary>
public sealed class SinkTracingTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromMinutes(2);
    private static readonly ActivitySource s_test = new("Reactive.Streams.Generators.Tests.Tracing");

    [Fact]
    public async Task A_PauseUpstream_sinks_handler_runs_inside_its_deliver_span()
    {
        var sink = new PausingTracedSink();
        var seen = await DeliverAsync(sink.CreateDeliverySink("pausing"), sink, 2);

        Assert.All(seen, s =>
        {
            Assert.NotNull(s.Current);
            Assert.EndsWith("/pausing", s.Current.DisplayName, StringComparison.Ordinal);
            Assert.StartsWith("deliver ", s.Current.DisplayName, StringComparison.Ordinal);
        });
        // Each item in its own deliver span.
        Assert.NotEqual(seen[0].Current!.SpanId, seen[1].Current!.SpanId);
    }

    [Fact]
    public async Task A_DropOldest_sinks_handler_runs_outside_every_deliver_span()
    {
        var sink = new DropOldestTracedSink();
        await using var delivery = sink.CreateDeliverySink("dropping");
        var seen = await DeliverAsync(delivery, sink, 2);

        Assert.All(seen, s => Assert.False(
            s.Current?.Source.Name == "Reactive.Streams",
            $"item {s.Value}'s handler ran in '{s.Current?.DisplayName}' (stopped: {s.Current?.IsStopped})"));
    }

    [Fact]
    public async Task A_DegradeQuality_sinks_handler_runs_outside_every_deliver_span()
    {
        var sink = new DegradingTracedSink();
        await using var delivery = sink.CreateDeliverySink("degrading");
        var seen = await DeliverAsync(delivery, sink, 2);

        Assert.All(seen, s => Assert.False(
            s.Current?.Source.Name == "Reactive.Streams",
            $"item {s.Value}'s handler ran in '{s.Current?.DisplayName}' (stopped: {s.Current?.IsStopped})"));
    }

    /// <summary>Dispatches <paramref name="count"/> items inside a trace of this test's own and waits for the handler to see them.</summary>
    private static async Task<List<(int Value, Activity? Current)>> DeliverAsync(IDeliverySink<TracedEvent> delivery, SpanRecordingSink sink, int count)
    {
        var traces = new ConcurrentDictionary<ActivityTraceId, bool>();
        // Read first: were the source created inside ShouldListenTo (a lazy static), this listener would miss it.
        var test = s_test;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Reactive.Streams" || source == test,
            // Only this test's traces, so tests running beside it get no span.
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Source == test || traces.ContainsKey(options.Parent.TraceId) || (options.Links?.Any(l => traces.ContainsKey(l.Context.TraceId)) ?? false)
                    ? ActivitySamplingResult.AllDataAndRecorded
                    : ActivitySamplingResult.None,
        };
        ActivitySource.AddActivityListener(listener);

        var options = new DeliveryOptions<TracedEvent> { Name = $"traced-{Guid.NewGuid():N}" };
        await using var dispatcher = new DeliveryDispatcher<TracedEvent>(options.AddSink(delivery));
        using (var root = test.StartActivity("producer")!)
        {
            traces[root.TraceId] = true;
            for (var i = 0; i < count; i++)
            {
                var ack = new AckCompletionSource();
                await dispatcher.DispatchAsync(new TracedEvent.Item(i), ack);
                await ack.Task.WaitAsync(s_guard);
            }
        }

        var watchdog = Stopwatch.StartNew();
        while (sink.Seen.Count < count)
        {
            Assert.True(watchdog.Elapsed < s_guard, "the handler never saw every item");
            await Task.Yield();
        }

        return [.. sink.Seen];
    }
}
