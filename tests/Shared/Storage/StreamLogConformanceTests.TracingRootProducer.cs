using System.Collections.Concurrent;
using System.Diagnostics;

namespace Reactive.Streams.Storage.Tests;

/// <summary>A producer that had no span of its own: the append's span starts the trace, and the consumer continues it.</summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task An_append_with_no_current_span_starts_a_trace_that_the_canal_worker_continues()
    {
        var stream = NewStream();
        var suffix = " " + stream;
        var stopped = new ConcurrentQueue<Activity>();

        // Only this test's stream: its spans are named "{operation} {stream}", so parallel tests are neither sampled nor seen.
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == StreamTracing.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Name.EndsWith(suffix, StringComparison.Ordinal) ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = a =>
            {
                if (a.DisplayName.EndsWith(suffix, StringComparison.Ordinal))
                {
                    stopped.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var log = await CreateAsync();

        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            await log.AppendAsync(stream, "a", AppendMode.Durable);
        }
        finally
        {
            Activity.Current = previous;
        }

        var append = Assert.Single(stopped, s => s.DisplayName == $"append {stream}");
        Assert.Equal(default, append.ParentSpanId);

        // The stored frame carries the append's own context, restored as it was on every backend.
        var frame = Assert.Single(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
        Assert.Equal(append.Id, frame.Headers[FrameHeaders.TraceParent]);
        Assert.False(frame.Headers.ContainsKey(FrameHeaders.TraceState));

        var handled = new TaskCompletionSource<ActivityContext>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var canal = await CursorCanal.OpenAsync(log, stream, new CursorCanalOptions { TimeProvider = Clock });
        var worker = CanalWorker.Start(canal, (batch, _) =>
        {
            handled.TrySetResult(Activity.Current?.Context ?? default);
            return ValueTask.CompletedTask;
        });
        var inHandler = await handled.Task.WaitAsync(Guard);
        await worker.StopAndJoinAsync();

        var process = Assert.Single(stopped, s => s.DisplayName == $"process {stream}");
        Assert.Equal(append.TraceId, process.TraceId);
        Assert.Equal(append.SpanId, process.ParentSpanId);
        Assert.Equal(process.SpanId, inHandler.SpanId);
        Assert.Equal(ActivityStatusCode.Unset, process.Status);
    }
}
