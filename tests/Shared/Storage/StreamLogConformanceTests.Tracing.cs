using System.Diagnostics;

namespace Reactive.Streams.Storage.Tests;

/// <summary>Tracing across the log on every backend: spans, attributes, and a trace that continues from producer to sink.</summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task Append_read_and_tail_spans_follow_the_messaging_conventions()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        AppendResult single;
        using (recorder.StartTrace())
        {
            single = await log.AppendAsync(stream, "a", AppendMode.Durable);
            await log.AppendBatchAsync(stream, [Utf8("b"), Utf8("c")], AppendMode.Durable, [null, new Dictionary<string, string> { ["k"] = "v" }]);
            await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
            await log.TailAsync(stream, single.Id, TimeSpan.Zero, 10);
        }

        var appends = recorder.Spans.Where(s => s.DisplayName == $"append {stream}").ToList();
        Assert.Equal(2, appends.Count);
        Assert.All(appends, s => Assert.Equal(ActivityKind.Producer, s.Kind));
        AssertMessaging(appends[0], stream, "send", "append");
        Assert.Equal(single.Id.ToString(), appends[0].GetTagItem("messaging.message.id"));
        Assert.Equal(2, appends[1].GetTagItem("messaging.batch.message_count"));

        var read = recorder.Single($"read {stream}");
        Assert.Equal(ActivityKind.Client, read.Kind);
        AssertMessaging(read, stream, "receive", "read");
        Assert.Equal(3, read.GetTagItem("messaging.batch.message_count"));
        var tail = recorder.Single($"tail {stream}");
        AssertMessaging(tail, stream, "receive", "tail");
        Assert.Equal(2, tail.GetTagItem("messaging.batch.message_count"));

        // Each frame carries the context of the span that appended it, next to the caller's own headers.
        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        Assert.Equal(appends[0].Id, frames[0].Headers[FrameHeaders.TraceParent]);
        Assert.Equal(appends[1].Id, frames[1].Headers[FrameHeaders.TraceParent]);
        Assert.Equal(appends[1].Id, frames[2].Headers[FrameHeaders.TraceParent]);
        Assert.Equal("v", frames[2].Headers["k"]);
    }

    [Fact]
    public async Task A_listener_that_samples_nothing_gets_no_span_and_the_frame_no_header()
    {
        var stream = NewStream();
        var started = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == StreamTracing.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            // Only this test's stream: spans other tests' recorders sample are announced to every listener.
            ActivityStarted = a => Interlocked.Add(ref started, a.DisplayName.EndsWith(stream, StringComparison.Ordinal) ? 1 : 0),
        };
        ActivitySource.AddActivityListener(listener);
        var log = await CreateAsync();

        await log.AppendAsync(stream, "a", AppendMode.Durable);
        await log.AppendBatchAsync(stream, [Utf8("b")], AppendMode.Durable);

        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        Assert.Equal(2, frames.Count);
        Assert.All(frames, f => Assert.Same(FrameHeaders.Empty, f.Headers));
        Assert.Equal(0, Volatile.Read(ref started));
    }

    [Fact]
    public async Task A_failed_append_span_records_the_error_type()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        await log.DisposeAsync();

        using (recorder.StartTrace())
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendAsync(stream, "x", AppendMode.Durable).AsTask());
        }

        // Disposal is checked before the span starts: a rejected call records no span at all.
        Assert.DoesNotContain(recorder.Spans, s => s.DisplayName == $"append {stream}");
    }

    [Fact]
    public async Task Frames_whose_headers_leave_no_room_for_the_context_are_appended_with_their_own_headers()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        var full = Enumerable.Range(0, FrameHeaders.MaxCount).ToDictionary(i => $"k{i}", _ => "v");
        var oneLeft = Enumerable.Range(0, FrameHeaders.MaxCount - 1).ToDictionary(i => $"k{i}", _ => "v");

        // Valid without a listener, so valid with one: the context goes in only where it fits.
        using (recorder.StartTrace())
        {
            await log.AppendAsync(stream, "a", AppendMode.Durable, full);
            await log.AppendBatchAsync(stream, [Utf8("b"), Utf8("c")], AppendMode.Durable, [full, oneLeft]);
        }

        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        Assert.Equal(3, frames.Count);
        Assert.Equal(full, frames[0].Headers);
        Assert.Equal(full, frames[1].Headers);
        Assert.Equal(FrameHeaders.MaxCount, frames[2].Headers.Count);
        var appends = recorder.Spans.Where(s => s.DisplayName == $"append {stream}").ToList();
        Assert.Equal(2, appends.Count);
        Assert.All(appends, s => Assert.Equal(ActivityStatusCode.Unset, s.Status));
        Assert.Equal(appends[1].Id, frames[2].Headers[FrameHeaders.TraceParent]);
    }

    [Fact]
    public async Task A_forwarded_frames_old_trace_context_is_replaced_whole_by_the_appends_own()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();

        // A consumer forwards frames of another trace with their headers (traceparent and tracestate of that trace).
        var forwarded = new Dictionary<string, string>(s_trace) { ["k"] = "v" };
        using (recorder.StartTrace())
        {
            await log.AppendAsync(stream, "a", AppendMode.Durable, forwarded);
            await log.AppendBatchAsync(stream, [Utf8("b")], AppendMode.Durable, [forwarded]);
        }

        // The append span has no tracestate: the stored context is the span's alone, not its traceparent with the old
        // trace's tracestate (vendor data of another trace, which a consumer would restore as this trace's).
        var appends = recorder.Spans.Where(s => s.DisplayName == $"append {stream}").ToList();
        Assert.Equal(2, appends.Count);
        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        Assert.Equal(2, frames.Count);
        for (var i = 0; i < frames.Count; i++)
        {
            Assert.Null(appends[i].TraceStateString);
            Assert.Equal(appends[i].Id, frames[i].Headers[FrameHeaders.TraceParent]);
            Assert.False(frames[i].Headers.ContainsKey(FrameHeaders.TraceState), $"frame {i} kept the old trace's tracestate");
            Assert.Equal("v", frames[i].Headers["k"]);
        }
    }

    [Fact]
    public async Task A_pull_on_a_disposed_cursor_canal_records_no_span()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        var canal = await CursorCanal.OpenAsync(log, stream);
        await canal.DisposeAsync();

        using (recorder.StartTrace())
        {
            await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(10, TimeSpan.Zero).AsTask());
        }

        // docs/tracing.md: a call rejected before the operation starts (a disposed log, here a disposed canal) records no
        // span; a worker whose canal closed would otherwise end every run with a failed pull span.
        Assert.DoesNotContain(recorder.Spans, s => s.DisplayName == $"pull {stream}");
    }

    [Fact]
    public async Task A_trace_started_by_a_producer_continues_through_the_canal_and_the_dispatcher_to_the_sink()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        ActivityTraceId trace;
        using (var producer = recorder.StartTrace())
        {
            trace = producer.TraceId;
            await log.AppendAsync(stream, "a", AppendMode.Durable);
        }

        var sink = new ContextRecordingSink();
        var dispatcher = new DeliveryDispatcher<StreamFrame>(new DeliveryOptions<StreamFrame> { Name = $"d-{stream}" }.AddSink(sink));
        await using var canal = await CursorCanal.OpenAsync(log, stream, new CursorCanalOptions { TimeProvider = Clock });
        var worker = CanalWorker.Start(canal, async (batch, token) =>
        {
            foreach (var frame in batch)
            {
                await dispatcher.DispatchAsync(frame, cancellationToken: token);
            }
        });
        var written = await sink.Written.Task.WaitAsync(Guard);
        await worker.StopAndJoinAsync();
        await dispatcher.ShutdownAsync(TimeSpan.FromSeconds(10)).WaitAsync(Guard);

        // The sink ran inside the producer's trace, under its write span.
        Assert.Equal(trace, written.TraceId);
        var append = recorder.Single($"append {stream}");
        var process = recorder.Single($"process {stream}");
        var dispatch = recorder.Single($"dispatch d-{stream}");
        var deliver = recorder.Single($"deliver d-{stream}/{sink.Name}");
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        AssertMessaging(process, stream, "process", "process");
        Assert.Equal(append.SpanId, process.ParentSpanId);
        Assert.Equal(ActivityKind.Producer, dispatch.Kind);
        AssertMessaging(dispatch, $"d-{stream}", "send", "dispatch");
        Assert.Equal(append.SpanId, dispatch.ParentSpanId);
        Assert.Contains(dispatch.Links, l => l.Context.SpanId == process.SpanId);
        Assert.Equal(ActivityKind.Consumer, deliver.Kind);
        AssertMessaging(deliver, $"d-{stream}/{sink.Name}", "process", "deliver");
        Assert.Equal(dispatch.SpanId, deliver.ParentSpanId);
        Assert.Equal(deliver.SpanId, written.SpanId);
        Assert.All(new[] { append, process, dispatch, deliver }, s => Assert.Equal(trace, s.TraceId));
    }

    private static void AssertMessaging(Activity span, string destination, string operationType, string operationName)
    {
        Assert.Equal(StreamTracing.MessagingSystem, span.GetTagItem("messaging.system"));
        Assert.Equal(destination, span.GetTagItem("messaging.destination.name"));
        Assert.Equal(operationType, span.GetTagItem("messaging.operation.type"));
        Assert.Equal(operationName, span.GetTagItem("messaging.operation.name"));
    }

    /// <summary>A sink that records the span current while it writes.</summary>
    private sealed class ContextRecordingSink : IDeliverySink<StreamFrame>
    {
        public TaskCompletionSource<ActivityContext> Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "recorder";

        public ValueTask WriteAsync(StreamFrame item, CancellationToken cancellationToken)
        {
            Written.TrySetResult(Activity.Current?.Context ?? default);
            return ValueTask.CompletedTask;
        }
    }
}
