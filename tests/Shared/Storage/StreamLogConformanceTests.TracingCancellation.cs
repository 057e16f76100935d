using System.Diagnostics;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// Spans of operations their caller cancelled: the OpenTelemetry conventions count a cancellation as no error, so the
/// span ends with its status unset and no <c>error.type</c> (docs/tracing.md).
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task A_tail_cancelled_by_its_caller_ends_its_span_without_error()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, "a", AppendMode.Durable);
        var last = (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10))[^1].Id;
        using var cancel = new CancellationTokenSource();

        using (recorder.StartTrace())
        {
            // Nothing after the last frame: the tail waits (a minute at most) until its caller gives up.
            var tail = log.TailAsync(stream, last, TimeSpan.FromMinutes(1), 10, cancellationToken: cancel.Token).AsTask();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tail);
        }

        var span = recorder.Single($"tail {stream}");
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        Assert.Null(span.GetTagItem("error.type"));
    }

    [Fact]
    public async Task A_read_with_a_cancelled_token_ends_its_span_without_error()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, "a", AppendMode.Durable);
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        using (recorder.StartTrace())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10, cancel.Token).AsTask());
        }

        foreach (var span in recorder.Spans.Where(s => s.DisplayName == $"read {stream}"))
        {
            Assert.Equal(ActivityStatusCode.Unset, span.Status);
            Assert.Null(span.GetTagItem("error.type"));
        }
    }

    [Fact]
    public async Task A_canal_pull_cancelled_by_its_caller_ends_its_span_without_error()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        await using var canal = await CursorCanal.OpenAsync(log, stream);
        using var cancel = new CancellationTokenSource();

        using (recorder.StartTrace())
        {
            // An empty stream: the pull waits up to its deadline (a minute) until its caller gives up.
            var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1), cancel.Token).AsTask();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull);
        }

        var span = recorder.Single($"pull {stream}");
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        Assert.Null(span.GetTagItem("error.type"));
    }
}
