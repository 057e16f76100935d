using System.Diagnostics;

namespace Reactive.Streams.Storage.Tests;

/// <summary>The producer's tracestate and baggage travel in the frame's headers and are restored on the consumer side.</summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task The_producers_tracestate_and_baggage_reach_the_handler_and_the_sink_of_a_single_frame()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        using (var producer = recorder.StartTrace())
        {
            producer.TraceStateString = "vendor=abc";
            producer.AddBaggage("tenant", "t-42");
            await log.AppendAsync(stream, "a", AppendMode.Durable);
        }

        // Stored with the frame, by the current propagator (W3C): traceparent, tracestate and baggage.
        var stored = Assert.Single(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
        Assert.Equal("vendor=abc", stored.Headers[FrameHeaders.TraceState]);
        Assert.Equal("t-42", DistributedContextPropagator.Current.ExtractBaggage(
            stored.Headers,
            static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
            {
                values = null;
                value = ((IReadOnlyDictionary<string, string>)carrier!).GetValueOrDefault(name);
            })?.Single(b => b.Key == "tenant").Value);

        var sink = new BaggageRecordingSink();
        var dispatcher = new DeliveryDispatcher<StreamFrame>(new DeliveryOptions<StreamFrame> { Name = $"d-{stream}" }.AddSink(sink));
        var handled = new TaskCompletionSource<(string? TraceState, string? Tenant)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var canal = await CursorCanal.OpenAsync(log, stream, new CursorCanalOptions { TimeProvider = Clock });
        var worker = CanalWorker.Start(canal, async (batch, token) =>
        {
            handled.TrySetResult((Activity.Current?.TraceStateString, Activity.Current?.GetBaggageItem("tenant")));
            foreach (var frame in batch)
            {
                await dispatcher.DispatchAsync(frame, cancellationToken: token);
            }
        });
        var inHandler = await handled.Task.WaitAsync(Guard);
        var inSink = await sink.Written.Task.WaitAsync(Guard);
        await worker.StopAndJoinAsync();
        await dispatcher.ShutdownAsync(TimeSpan.FromSeconds(10)).WaitAsync(Guard);

        // The handler runs in the process span, a child of the producer's context: its tracestate and its baggage.
        Assert.Equal(("vendor=abc", "t-42"), inHandler);
        Assert.Equal(("vendor=abc", "t-42"), inSink);
        Assert.Equal("t-42", recorder.Single($"process {stream}").GetBaggageItem("tenant"));
    }

    [Fact]
    public async Task A_forwarded_frames_old_baggage_is_not_stored_beside_the_appends_new_context()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();

        // Forwarded with another trace's headers, baggage included; the appending span has no baggage of its own.
        var forwarded = new Dictionary<string, string>(s_trace) { ["baggage"] = "tenant=old", ["k"] = "v" };
        using (recorder.StartTrace())
        {
            await log.AppendAsync(stream, "a", AppendMode.Durable, forwarded);
        }

        // The old trace's baggage would be restored by the consumer as this trace's (docs/tracing.md: the context
        // replaces the caller's whole).
        var frame = Assert.Single(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
        Assert.Equal(recorder.Single($"append {stream}").Id, frame.Headers[FrameHeaders.TraceParent]);
        Assert.False(frame.Headers.ContainsKey("baggage"), "the forwarded frame kept the old trace's baggage");
        Assert.Equal("v", frame.Headers["k"]);
    }

    /// <summary>A sink that records the tracestate and baggage current while it writes.</summary>
    private sealed class BaggageRecordingSink : IDeliverySink<StreamFrame>
    {
        public TaskCompletionSource<(string? TraceState, string? Tenant)> Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "baggage";

        public ValueTask WriteAsync(StreamFrame item, CancellationToken cancellationToken)
        {
            Written.TrySetResult((Activity.Current?.TraceStateString, Activity.Current?.GetBaggageItem("tenant")));
            return ValueTask.CompletedTask;
        }
    }
}
