using System.Diagnostics;

namespace Reactive.Streams.Storage.Tests;

/// <summary>A canal's pull of frames from several producers: a child of the consumer's span, linked to each producer.</summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task A_pull_span_is_a_child_of_the_consumers_span_and_links_once_to_each_producers_context()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        using (recorder.StartTrace("first"))
        {
            // One append span for both frames: one context, so one link.
            await log.AppendBatchAsync(stream, [Utf8("a"), Utf8("b")], AppendMode.Durable);
        }

        using (recorder.StartTrace("second"))
        {
            await log.AppendAsync(stream, "c", AppendMode.Durable);
        }

        var appends = recorder.Spans.Where(s => s.DisplayName == $"append {stream}").ToList();
        Assert.Equal(2, appends.Count);
        await using var canal = await CursorCanal.OpenAsync(log, stream, new CursorCanalOptions { TimeProvider = Clock });
        CanalBatch<StreamFrame> batch;
        ActivityContext consumer;
        using (var span = recorder.StartTrace("consumer"))
        {
            consumer = span.Context;
            batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        }

        // docs/tracing.md: a pull is the consumer's own operation (its parent is the caller's span), and it links to
        // each distinct context its frames carry; it takes no producer as its parent.
        Assert.Equal(3, batch.Count);
        var pull = recorder.Single($"pull {stream}");
        Assert.Equal(ActivityKind.Client, pull.Kind);
        Assert.Equal(consumer.TraceId, pull.TraceId);
        Assert.Equal(consumer.SpanId, pull.ParentSpanId);
        Assert.Equal(
            appends.Select(a => a.Context.SpanId.ToHexString()).Order(),
            pull.Links.Select(l => l.Context.SpanId.ToHexString()).Order());
        Assert.All(pull.Links, l => Assert.True(l.Context.IsRemote));
        Assert.Equal(3, pull.GetTagItem("messaging.batch.message_count"));
        Assert.Null(pull.GetTagItem("messaging.message.id"));
    }
}
