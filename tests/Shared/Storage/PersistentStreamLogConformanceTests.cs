namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// What a backend that keeps its data outside the process (SQLite, PostgreSQL, Redis) shares beyond
/// <see cref="StreamLogConformanceTests"/>: disposing the log and opening it again over the same storage keeps
/// everything, and the reopened log carries on as if it had never closed.
/// </summary>
public abstract class PersistentStreamLogConformanceTests : StreamLogConformanceTests
{
    [Fact]
    public async Task Reopening_over_the_same_storage_keeps_frames_headers_summaries_checkpoints_and_the_live_rate()
    {
        var retention = new LiveRetentionOptions { Alpha = 0.5, Ttl = TimeSpan.FromSeconds(1), Floor = 2, Ceiling = 50 };
        var reference = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = Clock, LiveRetention = retention });
        Track(reference);
        var log = await CreateAsync(retention: retention);
        var stream = NewStream();
        var checkpoint = "reader-" + stream;
        var headers = new Dictionary<string, string> { ["tenant"] = "acme", ["empty"] = "" };

        async Task Both(Func<IStreamLog, ValueTask> append)
        {
            await append(log);
            await append(reference);
        }

        await Both(l => Ignore(l.AppendAsync(stream, Utf8("d0"), AppendMode.Durable, headers)));
        await Both(l => Ignore(l.AppendAsync(stream, """{"a":{"b":1},"n":1}""", AppendMode.DurableSummary)));
        for (var i = 0; i < 12; i++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(50));
            await Both(l => Ignore(l.AppendAsync(stream, $"l{i}", AppendMode.BestEffortLive)));
        }

        Clock.Advance(TimeSpan.FromSeconds(2));
        await Both(l => Ignore(l.AppendBatchAsync(stream, [Utf8("""{"a":{"c":2}}"""), Utf8("""{"n":null}""")], AppendMode.DurableSummary)));
        await Both(l => Ignore(l.AppendAsync(stream, ReadOnlyMemory<byte>.Empty, AppendMode.Durable)));
        var before = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 100);
        var summaryBefore = await log.ReadSummaryAsync(stream);
        var position = before[^2].Id;
        await ((ICheckpointStore)log).WriteCheckpointAsync(checkpoint, position);

        await log.DisposeAsync();
        // The clock goes back across the restart: ids must still increase.
        Clock.MoveWallClock(TimeSpan.FromMinutes(-3));
        var reopened = await CreateAsync(retention: retention);

        var after = await reopened.ReadAsync(stream, StreamId.Min, StreamId.Max, 100);
        Assert.Equal(before.Select(f => (f.Id, f.Mode, Text(f))), after.Select(f => (f.Id, f.Mode, Text(f))));
        Assert.Equal(headers.OrderBy(h => h.Key), after[0].Headers.OrderBy(h => h.Key));
        Assert.Same(FrameHeaders.Empty, after[^1].Headers);
        var summary = await reopened.ReadSummaryAsync(stream);
        Assert.Equal(summaryBefore!.Version, summary!.Version);
        Assert.Equal(summaryBefore.FirstUpdated, summary.FirstUpdated);
        Assert.Equal(summaryBefore.LastUpdated, summary.LastUpdated);
        AssertJson("""{"a":{"b":1,"c":2}}""", summary.Document);
        Assert.Equal(position, await ((ICheckpointStore)reopened).ReadCheckpointAsync(checkpoint));

        // Appends after the restart: ids go on from the last one, the summary from its last version, and best-effort
        // trimming from the stored rate, exactly as on a log that never closed.
        var next = await reopened.AppendAsync(stream, "d1", AppendMode.Durable);
        Assert.Equal(after[^1].Id.Successor(), next.Id);
        Assert.Equal(after.Count + 1, next.FrameCount);
        await reference.AppendAsync(stream, "d1", AppendMode.Durable);
        var patched = await reopened.AppendAsync(stream, """{"a":{"b":null}}""", AppendMode.DurableSummary);
        Assert.Equal(summary.Version + 1, patched.SummaryVersion);
        await reference.AppendAsync(stream, """{"a":{"b":null}}""", AppendMode.DurableSummary);
        for (var i = 12; i < 20; i++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(20));
            var actual = await reopened.AppendAsync(stream, $"l{i}", AppendMode.BestEffortLive);
            var expected = await reference.AppendAsync(stream, $"l{i}", AppendMode.BestEffortLive);
            Assert.Equal(expected.FrameCount, actual.FrameCount);
        }

        Assert.Equal(
            (await reference.ReadAsync(stream, StreamId.Min, StreamId.Max, 100)).Select(Text),
            (await reopened.ReadAsync(stream, StreamId.Min, StreamId.Max, 100)).Select(Text));
        var final = await reopened.ReadSummaryAsync(stream);
        Assert.Equal(summary.FirstUpdated, final!.FirstUpdated);
        AssertJson("""{"a":{"c":2}}""", final.Document);

        static async ValueTask Ignore<T>(ValueTask<T> append) => await append;
    }

    [Fact]
    public async Task Appends_that_returned_before_disposal_are_all_there_once_after_reopening()
    {
        var stream = NewStream();
        var jitter = new Random(9);
        var returned = new List<StreamId>();
        for (var round = 0; round < 6; round++)
        {
            var log = await CreateAsync();
            var spins = jitter.Next(0, 400_000);
            var appenders = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
            {
                var ids = new List<StreamId>();
                for (var i = 0; i < 40; i++)
                {
                    try
                    {
                        ids.Add(w == 2
                            ? (await log.AppendAsync(stream, $$"""{"w":{{i}}}""", AppendMode.DurableSummary)).Id
                            : (await log.AppendAsync(stream, $"{round}:{w}:{i}", AppendMode.Durable)).Id);
                    }
                    catch (ObjectDisposedException)
                    {
                        break;
                    }
                }

                return ids;
            })).ToArray();
            await Task.Run(async () =>
            {
                Thread.SpinWait(spins);
                await log.DisposeAsync();
            });
            returned.AddRange((await Task.WhenAll(appenders).WaitAsync(TimeSpan.FromMinutes(1))).SelectMany(ids => ids));
        }

        var reopened = await CreateAsync();
        var stored = await reopened.ReadAsync(stream, StreamId.Min, StreamId.Max, 10_000);
        Assert.True(stored.Zip(stored.Skip(1)).All(p => p.First.Id < p.Second.Id), "stored ids strictly increase");
        Assert.Empty(returned.Except(stored.Select(f => f.Id)));
        Assert.Equal(returned.Count, returned.Distinct().Count());
        var summary = await reopened.ReadSummaryAsync(stream);
        Assert.Equal(stored.Count(f => f.Mode == AppendMode.DurableSummary), summary?.Version ?? 0);
    }
}
