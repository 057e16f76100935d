using Microsoft.Extensions.Logging;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// A drain that gives up while only a best-effort sink still holds items: every item is acknowledged (behind a canal, the
/// checkpoint passes them and nothing is redelivered), so the shutdown reports it so and the log does not call those
/// items unacknowledged; it says instead that the best-effort sink never got them.
/// </summary>
public class DeliveryBestEffortShutdownTests
{
    [Fact]
    public async Task A_drain_left_unfinished_only_by_a_best_effort_sink_reports_every_item_acknowledged_and_logs_what_that_sink_missed()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var audit = new RecordingSink<int>("audit");
        var preview = new RecordingSink<int>("preview", time, async (_, _, ct) => await Task.Delay(Timeout.Infinite, ct));
        var options = new DeliveryOptions<int> { Name = "orders", TimeProvider = time, Logger = logger, MaxBatch = 1 }
            .AddSink(audit)
            .AddSink(preview, new DeliverySinkOptions { BestEffort = true });
        var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 3).Select(_ => new CountingAck()).ToArray();
        for (var i = 0; i < acks.Length; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        await Task.WhenAll(acks.Select(a => a.First));

        var shutdown = dispatcher.ShutdownAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(1), await time.NextTimerAsync());
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(await shutdown.WaitAsync(TestLimits.Hang), "Every fully dispatched item was acknowledged.");
        Assert.All(acks, a => Assert.Equal(1, a.Count));
        Assert.Equal([0, 1, 2], audit.Committed);
        Assert.Empty(preview.Committed);
        List<(LogLevel Level, EventId Id, string Message, Exception? Error)> entries;
        lock (logger.Entries)
        {
            entries = [.. logger.Entries];
        }

        Assert.DoesNotContain(entries, e => e.Id.Id == 6004);
        var missed = Assert.Single(entries, e => e.Id.Id == 6007);
        Assert.Equal(LogLevel.Warning, missed.Level);
        Assert.Contains("'orders'", missed.Message, StringComparison.Ordinal);
        Assert.Contains(" 3 ", missed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_drain_left_unfinished_by_both_kinds_of_sink_counts_as_unacknowledged_only_what_the_holding_sink_left()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var audit = new RecordingSink<int>("audit", time, async (_, _, ct) => await Task.Delay(Timeout.Infinite, ct));
        var preview = new RecordingSink<int>("preview", time, async (_, _, ct) => await Task.Delay(Timeout.Infinite, ct));
        var options = new DeliveryOptions<int> { Name = "orders", TimeProvider = time, Logger = logger, MaxBatch = 1 }
            .AddSink(audit)
            .AddSink(preview, new DeliverySinkOptions { BestEffort = true });
        var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 2).Select(_ => new CountingAck()).ToArray();
        for (var i = 0; i < acks.Length; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        var shutdown = dispatcher.ShutdownAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(1), await time.NextTimerAsync());
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(await shutdown.WaitAsync(TestLimits.Hang));
        Assert.All(acks, a => Assert.Equal(0, a.Count));
        List<(LogLevel Level, EventId Id, string Message, Exception? Error)> entries;
        lock (logger.Entries)
        {
            entries = [.. logger.Entries];
        }

        Assert.Contains(" 2 ", Assert.Single(entries, e => e.Id.Id == 6004).Message, StringComparison.Ordinal);
        Assert.Contains(" 2 ", Assert.Single(entries, e => e.Id.Id == 6007).Message, StringComparison.Ordinal);
    }
}
