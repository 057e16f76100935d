using System.Diagnostics;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// docs/tracing.md's dispatch rules: the <c>dispatch</c> span's tags, a frame's own trace context as its parent with the
/// caller linked, and the <c>deliver</c> span as the child of the dispatch and current while the sink runs.
/// </summary>
public sealed class DispatchTraceContextTests
{
    [Fact]
    public async Task A_frame_with_a_context_parents_its_dispatch_and_the_caller_is_linked()
    {
        using var recorder = new TraceRecorder();
        await using var log = new InMemoryStreamLog();
        var stream = $"traced-{Guid.NewGuid():N}";
        using (recorder.StartTrace("producer"))
        {
            await log.AppendAsync(stream, new byte[] { 1 }, AppendMode.Durable);
        }

        var frame = Assert.Single(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
        var append = recorder.Single($"append {stream}");

        Activity? currentInSink = null;
        var sink = new RecordingSink<StreamFrame>("s", behaviour: (_, _, _) =>
        {
            currentInSink = Activity.Current;
            return ValueTask.CompletedTask;
        });
        var name = $"d-{Guid.NewGuid():N}";
        await using var dispatcher = new DeliveryDispatcher<StreamFrame>(new DeliveryOptions<StreamFrame> { Name = name }.AddSink(sink));
        ActivityContext caller;
        using (var consumer = recorder.StartTrace("consumer"))
        {
            caller = consumer.Context;
            await dispatcher.DispatchAsync(frame);
            Assert.Same(consumer, Activity.Current);
        }

        await sink.WhenCommitted(1);
        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.FromMinutes(1)));

        var dispatch = recorder.Single($"dispatch {name}");
        Assert.Equal(ActivityKind.Producer, dispatch.Kind);
        Assert.Equal(append.TraceId, dispatch.TraceId);
        Assert.Equal(append.SpanId, dispatch.ParentSpanId);
        Assert.Equal([caller], dispatch.Links.Select(l => l.Context));
        Assert.Equal(StreamTracing.MessagingSystem, dispatch.GetTagItem("messaging.system"));
        Assert.Equal(name, dispatch.GetTagItem("messaging.destination.name"));
        Assert.Equal("send", dispatch.GetTagItem("messaging.operation.type"));
        Assert.Equal("dispatch", dispatch.GetTagItem("messaging.operation.name"));
        Assert.Equal(frame.Id.ToString(), dispatch.GetTagItem("messaging.message.id"));

        var deliver = recorder.Single($"deliver {name}/s");
        Assert.Equal(ActivityKind.Consumer, deliver.Kind);
        Assert.Equal(dispatch.SpanId, deliver.ParentSpanId);
        Assert.Equal("process", deliver.GetTagItem("messaging.operation.type"));
        Assert.Equal("deliver", deliver.GetTagItem("messaging.operation.name"));
        Assert.Equal($"{name}/s", deliver.GetTagItem("messaging.destination.name"));
        Assert.Equal("s", deliver.GetTagItem("reactive_streams.sink.name"));
        Assert.Same(deliver, currentInSink);
    }
}
