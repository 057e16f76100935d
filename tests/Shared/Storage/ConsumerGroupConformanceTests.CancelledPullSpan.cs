using System.Diagnostics;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// A group pull its caller cancelled is no failure to tracing: its span's status stays unset, and it names its group as
/// every group pull span does (docs/tracing.md).
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    [Fact]
    public async Task A_group_pull_cancelled_by_its_caller_ends_its_span_without_error()
    {
        using var recorder = new TraceRecorder();
        var log = await CreateAsync();
        var stream = NewStream();
        var canal = await OpenCanalAsync(log, stream, "a");
        using var parked = new CancellationTokenSource();

        using (recorder.StartTrace("consumer"))
        {
            // Parked on the log's tail wake-up until the caller gives up.
            var timers = Clock.TimersCreated;
            var pull = canal.PullBatchAsync(10, TimeSpan.FromMinutes(1), parked.Token).AsTask();
            await Clock.WaitForTimersAsync(timers + 1);
            await parked.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.WaitAsync(Guard));
        }

        var span = recorder.Single($"pull {stream}");
        // The group is known before the pull starts: a pull that ends without a batch still names it.
        Assert.Equal("g", span.GetTagItem("messaging.consumer.group.name"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        Assert.Null(span.GetTagItem("error.type"));
    }
}
