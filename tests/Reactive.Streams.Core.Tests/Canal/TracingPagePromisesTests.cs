using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Storage.Tests;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// docs/tracing.md: a worker over an in-memory canal traces its handler as <c>process (anonymous)</c>. Such a span has no
/// parent or link a listener could pick this test's by (the worker's loop runs without its starter's context), so the
/// listener samples every one: in the allocation collection, which runs alone, so no other test gets a span from it.
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class AnonymousCanalTracingTests
{
    [Fact]
    public async Task A_worker_over_an_in_memory_canal_processes_each_batch_in_an_anonymous_destinations_span()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == StreamTracing.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Name == "process (anonymous)" ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
        };
        ActivitySource.AddActivityListener(listener);

        var stream = BoundedStream.PauseUpstream<int>(16);
        Assert.True(stream.TryPush(1).IsAccepted);
        Assert.True(stream.TryPush(2).IsAccepted);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var handled = new TaskCompletionSource<Activity?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = CanalWorker.Start<int>(canal, (batch, _) =>
        {
            // The handler runs inside its process span.
            handled.TrySetResult(Activity.Current);
            return default;
        }, new CanalWorkerOptions { MaxBatch = 10 });

        var process = await handled.Task.WaitAsync(TestLimits.Hang);
        await worker.StopAndJoinAsync().WaitAsync(TestLimits.Hang);

        Assert.NotNull(process);
        Assert.Equal("process (anonymous)", process.DisplayName);
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal("(anonymous)", process.GetTagItem("messaging.destination.name"));
        Assert.Equal(true, process.GetTagItem("messaging.destination.anonymous"));
        Assert.Equal("process", process.GetTagItem("messaging.operation.type"));
        Assert.Equal("process", process.GetTagItem("messaging.operation.name"));
        Assert.Equal(StreamTracing.MessagingSystem, process.GetTagItem("messaging.system"));
        Assert.Equal(2, process.GetTagItem("messaging.batch.message_count"));
        Assert.Null(process.GetTagItem("messaging.message.id"));
    }
}

/// <summary>docs/tracing.md: <c>TailAllAsync</c> records no span of its own.</summary>
public sealed class TailAllTracingTests
{
    [Fact]
    public async Task TailAllAsync_records_no_span_of_its_own()
    {
        using var recorder = new TraceRecorder();
        await using var log = new InMemoryStreamLog();
        var stream = $"tail-all-{Guid.NewGuid():N}";
        await log.AppendAsync(stream, "a", AppendMode.Durable);
        await log.AppendAsync(stream, "b", AppendMode.Durable);

        var seen = new List<string>();
        using (recorder.StartTrace())
        {
            using var stop = new CancellationTokenSource();
            await foreach (var frame in log.TailAllAsync(stream, StreamId.Min, cancellationToken: stop.Token))
            {
                seen.Add(System.Text.Encoding.UTF8.GetString(frame.Payload.Span));
                if (seen.Count == 2)
                {
                    break;
                }
            }
        }

        Assert.Equal(["a", "b"], seen);
        // docs/tracing.md: "TailAllAsync records no span of its own (it may wait forever)": neither a tail span nor a read.
        Assert.DoesNotContain(recorder.Spans, s => s.DisplayName == $"tail {stream}" || s.DisplayName == $"read {stream}");
    }
}
