using System.Diagnostics;
using System.Text;

namespace Reactive.Streams.Storage.Tests;

/// <summary>docs/tracing.md for consumer groups, on every backend: the group's pull span, and the producer's context on
/// every frame a member gets, whether first claimed, taken back by a restarted member or reclaimed by another.</summary>
public abstract partial class ConsumerGroupConformanceTests
{
    [Fact]
    public async Task A_group_pull_span_names_its_group_and_every_delivery_of_a_frame_carries_the_producers_context()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        using (recorder.StartTrace("producer-1"))
        {
            await log.AppendAsync(stream, Encoding.UTF8.GetBytes("a"), AppendMode.Durable);
        }

        using (recorder.StartTrace("producer-2"))
        {
            await log.AppendBatchAsync(stream, [Encoding.UTF8.GetBytes("b"), Encoding.UTF8.GetBytes("c")], AppendMode.Durable);
        }

        var appends = recorder.Spans.Where(s => s.DisplayName == $"append {stream}").ToList();
        Assert.Equal(2, appends.Count);
        string[] expected = [appends[0].Id!, appends[1].Id!, appends[1].Id!];

        // First claim; the member then crashes (no acknowledgement reaches the log).
        var crashed = await OpenCanalAsync(log, stream, "a");
        await PullAndCheckAsync(crashed, "first claim");

        // Restarted under its name on another instance: it takes its own pending frames back at once.
        var restarted = await OpenCanalAsync(await CreateAsync(), stream, "a");
        await PullAndCheckAsync(restarted, "own pending taken back");

        // Gone for good: another member reclaims them once the claim timeout has passed.
        await PassAsync(ClaimTimeout + TimeSpan.FromSeconds(1));
        var other = await OpenCanalAsync(await CreateAsync(), stream, "b");
        await PullAndCheckAsync(other, "reclaimed by another member");

        async Task PullAndCheckAsync(ConsumerGroupCanal canal, string how)
        {
            CanalBatch<StreamFrame> batch;
            Activity consumer;
            using (consumer = recorder.StartTrace($"consumer ({how})"))
            {
                batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
            }

            Assert.Equal(3, batch.Count);
            Assert.Equal(expected, batch.Select(f => f.Headers.TryGetValue(FrameHeaders.TraceParent, out var p) ? p : $"none ({how})"));

            var pull = Assert.Single(recorder.Spans, s => s.DisplayName == $"pull {stream}" && s.ParentSpanId == consumer.SpanId);
            Assert.Equal(ActivityKind.Client, pull.Kind);
            Assert.Equal(StreamTracing.MessagingSystem, pull.GetTagItem("messaging.system"));
            Assert.Equal(stream, pull.GetTagItem("messaging.destination.name"));
            Assert.Equal("receive", pull.GetTagItem("messaging.operation.type"));
            Assert.Equal("pull", pull.GetTagItem("messaging.operation.name"));
            Assert.Equal("g", pull.GetTagItem("messaging.consumer.group.name"));
            Assert.Equal(3, pull.GetTagItem("messaging.batch.message_count"));
            Assert.Equal(ActivityStatusCode.Unset, pull.Status);

            // One link per distinct producer context: the single append's and the batch's.
            Assert.Equal(
                appends.Select(a => (a.TraceId, a.SpanId)),
                pull.Links.Select(l => (l.Context.TraceId, l.Context.SpanId)));
        }
    }
}
