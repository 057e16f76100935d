using System.Text.Json;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// The log's options over its lifetime: a log reads its options once, when it is opened (docs/naming.md, "Options"), so
/// changing the options object afterwards, or the <see cref="LiveRetentionOptions"/> inside it, changes nothing; not
/// even to a value the log would have refused at opening.
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task Changing_the_options_after_opening_changes_nothing_the_log_does()
    {
        var retention = new LiveRetentionOptions { Alpha = 1, Ttl = TimeSpan.FromSeconds(1), Floor = 3, Ceiling = 3 };
        var options = new StreamLogOptions { TimeProvider = Clock, MaxReadCount = 5, RequireObjectSummaryPatch = true, LiveRetention = retention };
        var log = await OpenLogAsync(options);
        Track(log);
        var stream = NewStream();

        // Every setting changed, some to values the log refuses at opening (a cap of 0, a floor of 0 above the ceiling).
        options.MaxReadCount = 0;
        options.RequireObjectSummaryPatch = false;
        options.TimeProvider = TimeProvider.System;
        retention.Floor = 0;
        retention.Ceiling = -1;
        retention.Alpha = double.NaN;
        retention.Ttl = TimeSpan.Zero;
        options.LiveRetention = new LiveRetentionOptions { Floor = 100, Ceiling = 100 };

        await log.AppendBatchAsync(stream, Enumerable.Range(0, 8).Select(i => (ReadOnlyMemory<byte>)Utf8($"d{i}")).ToList(), AppendMode.Durable);
        for (var i = 0; i < 6; i++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(10));
            await log.AppendAsync(stream, $"l{i}", AppendMode.BestEffortLive);
        }

        // The cap is still 5, on reads and on tails.
        Assert.Equal(["d0", "d1", "d2", "d3", "d4"], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 100)).Select(Text));
        Assert.Equal(5, (await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 100)).Count);

        // Best-effort frames are still trimmed to the opening's ceiling of 3.
        var all = new List<StreamFrame>();
        for (var from = StreamId.Min; ; )
        {
            var page = await log.ReadAsync(stream, from, StreamId.Max, 100);
            if (page.Count == 0)
            {
                break;
            }

            all.AddRange(page);
            from = page[^1].Id.Successor();
        }

        Assert.Equal(["l3", "l4", "l5"], all.Where(f => f.Mode == AppendMode.BestEffortLive).Select(Text));

        // Summary patches must still be objects.
        var rejected = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(stream, "[1]", AppendMode.DurableSummary).AsTask());
        Assert.Equal("frame", rejected.ParamName);
        Assert.Null(await log.ReadSummaryAsync(stream));

        // Ids still come from the opening's clock.
        var before = Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var appended = await log.AppendAsync(stream, """{"a":1}""", AppendMode.DurableSummary);
        Assert.Equal(before, appended.Id.Milliseconds);
        Assert.Equal(JsonValueKind.Object, (await log.ReadSummaryAsync(stream))!.Document.ValueKind);
    }

    [Fact]
    public async Task Options_that_fail_validation_refuse_the_opening_naming_the_property()
    {
        async Task<ArgumentException> Refused(Action<StreamLogOptions> set)
        {
            var options = new StreamLogOptions { TimeProvider = Clock };
            set(options);
            var error = await Assert.ThrowsAnyAsync<ArgumentException>(async () => Track(await OpenLogAsync(options)));
            return error;
        }

        Assert.Equal("MaxReadCount", (await Refused(o => o.MaxReadCount = 0)).ParamName);
        Assert.Equal("MaxReadCount", (await Refused(o => o.MaxReadCount = -1)).ParamName);
        Assert.Equal("TimeProvider", (await Refused(o => o.TimeProvider = null!)).ParamName);
        Assert.Equal("LiveRetention", (await Refused(o => o.LiveRetention = null!)).ParamName);
        Assert.Equal("Alpha", (await Refused(o => o.LiveRetention.Alpha = 0)).ParamName);
        Assert.Equal("Alpha", (await Refused(o => o.LiveRetention.Alpha = 1.5)).ParamName);
        Assert.Equal("Alpha", (await Refused(o => o.LiveRetention.Alpha = double.NaN)).ParamName);
        Assert.Equal("Alpha", (await Refused(o => o.LiveRetention.Alpha = double.PositiveInfinity)).ParamName);
        Assert.Equal("Ttl", (await Refused(o => o.LiveRetention.Ttl = TimeSpan.Zero)).ParamName);
        Assert.Equal("Ttl", (await Refused(o => o.LiveRetention.Ttl = Timeout.InfiniteTimeSpan)).ParamName);
        Assert.Equal("Floor", (await Refused(o => o.LiveRetention.Floor = 0)).ParamName);
        Assert.Equal("Ceiling", (await Refused(o => o.LiveRetention.Ceiling = o.LiveRetention.Floor - 1)).ParamName);
    }

    [Fact]
    public async Task The_largest_option_values_work()
    {
        var options = new StreamLogOptions
        {
            TimeProvider = Clock,
            MaxReadCount = int.MaxValue,
            LiveRetention = new LiveRetentionOptions { Alpha = 1, Ttl = TimeSpan.MaxValue, Floor = 2, Ceiling = int.MaxValue },
        };
        var log = await OpenLogAsync(options);
        Track(log);
        var stream = NewStream();

        for (var i = 0; i < 4; i++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(100));
            await log.AppendAsync(stream, $"l{i}", AppendMode.BestEffortLive);
        }

        await log.AppendAsync(stream, "d", AppendMode.Durable);

        // A rate above 0 over an endless Ttl keeps every best-effort frame; the first one set the rate to 0 (K = Floor).
        Assert.Equal(["l0", "l1", "l2", "l3", "d"], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, int.MaxValue)).Select(Text));
        Assert.Equal(5, (await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, int.MaxValue)).Count);
    }
}
