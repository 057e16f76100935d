using System.Text.Json.Nodes;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// One scenario, many operations, compared step by step with <see cref="InMemoryStreamLog"/> on the same virtual clock:
/// every mode, single appends and batches, the clock standing still, moving on and going back, trimming to a small
/// bound, reads over every pair of bounds (ids that exist, ids between them, beyond the end, reversed), tails from
/// every cursor in both visibilities, summaries and their times. The same calls must give the same results on every
/// backend (ids, frame counts, summary versions and documents), as the docs say.
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    private static readonly string[] s_patches =
    [
        """{"a":1,"b":{"c":[1,2],"d":"x"}}""",
        """{"b":{"c":null,"e":{"f":true}},"g":"$null"}""",
        """{"b":{"e":{"f":null,"h":[null,"$null",{}]}},"a":null}""",
        """{"n":{"m":{"o":null}},"b":5}""",
        """{}""",
        """{"b":{"z":1},"s":"\u00e9\ud83d\ude00"}""",
    ];

    private static readonly string[] s_anyPatches =
    [
        """{"a":1,"b":{"c":[1,2]}}""", "\"$null\"", """{"a":{"x":null,"y":"$null"}}""", "[1,{\"a\":null}]", """{"b":2}""",
        "42", """{"c":{"d":{}}}""", "null", """{"e":[]}""", "\"text\"", """{"f":true,"c":{"d":{"g":1.5}}}""", "false",
    ];

    /// <summary>
    /// Variant 0: one instance, a fixed best-effort bound, object patches. Variant 1: appends alternating between two
    /// instances on the same storage, a bound that follows the rate average, and patches of every JSON kind.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_long_mixed_scenario_gives_what_the_in_memory_log_gives_at_every_step(int variant)
    {
        var retention = variant == 0
            ? new LiveRetentionOptions { Floor = 3, Ceiling = 3, Ttl = TimeSpan.FromSeconds(1), Alpha = 0.5 }
            : new LiveRetentionOptions { Floor = 2, Ceiling = 40, Ttl = TimeSpan.FromSeconds(1), Alpha = 0.3 };
        var anyPatch = variant == 1;
        var log = await CreateAsync(requireObjectPatch: !anyPatch, maxReadCount: 5, retention: retention);
        var other = variant == 1 ? await CreateAsync(requireObjectPatch: !anyPatch, maxReadCount: 5, retention: retention) : log;
        var reference = new InMemoryStreamLog(
            new StreamLogOptions { TimeProvider = Clock, MaxReadCount = 5, LiveRetention = retention, RequireObjectSummaryPatch = !anyPatch });
        Track(reference);
        var stream = NewStream("mixed");
        var random = new Random(7 + variant);
        var patch = 0;
        var patchTexts = anyPatch ? s_anyPatches : s_patches;

        for (var step = 0; step < 60; step++)
        {
            switch (random.Next(4))
            {
                case 0:
                    break; // same millisecond
                case 1:
                    Clock.Advance(TimeSpan.FromMilliseconds(random.Next(1, 400)));
                    break;
                case 2:
                    Clock.MoveWallClock(TimeSpan.FromMilliseconds(-random.Next(1, 3000)));
                    break;
                default:
                    Clock.Advance(TimeSpan.FromSeconds(random.Next(1, 5)));
                    break;
            }

            var mode = (AppendMode)random.Next(3);
            var writer = step % 2 == 0 ? log : other;
            var count = random.Next(4) == 0 ? random.Next(1, 5) : 0;
            var payloads = new List<ReadOnlyMemory<byte>>();
            for (var i = 0; i < Math.Max(count, 1); i++)
            {
                payloads.Add(Utf8(mode == AppendMode.DurableSummary ? patchTexts[patch++ % patchTexts.Length] : $"{mode}-{step}-{i}"));
            }

            if (count == 0)
            {
                var expected = await reference.AppendAsync(stream, payloads[0], mode);
                var actual = await writer.AppendAsync(stream, payloads[0], mode);
                Assert.True(expected == actual, $"step {step} ({mode}): expected {expected} but was {actual}");
            }
            else
            {
                var expected = await reference.AppendBatchAsync(stream, payloads, mode);
                var actual = await writer.AppendBatchAsync(stream, payloads, mode);
                Assert.True(expected == actual, $"step {step} ({mode} batch of {count}): expected {expected} but was {actual}");
            }
        }

        var all = await reference.ReadAsync(stream, StreamId.Min, StreamId.Max, 5);
        var ids = new List<StreamId>();
        var from = StreamId.Min;
        while (true)
        {
            var page = await reference.ReadAsync(stream, from, StreamId.Max, 5);
            var same = await log.ReadAsync(stream, from, StreamId.Max, 5);
            AssertSameFrames(page, same, $"page from {from}");
            if (page.Count == 0)
            {
                break;
            }

            ids.AddRange(page.Select(f => f.Id));
            from = page[^1].Id.Successor();
        }

        Assert.True(ids.Count > 10, $"the scenario kept only {ids.Count} frames");
        Assert.Contains(ids, id => id.Sequence > 0); // some appends shared a millisecond or followed a clock that went back
        for (var i = 1; i < ids.Count; i++)
        {
            Assert.True(ids[i - 1] < ids[i], $"ids {ids[i - 1]} and {ids[i]} do not increase");
        }

        // Bounds: every stored id, the ids just before and after each, the ends and beyond.
        var bounds = new SortedSet<StreamId> { StreamId.Min, StreamId.Max, new(ids[^1].Milliseconds + 1, 0) };
        foreach (var id in ids)
        {
            bounds.Add(id);
            bounds.Add(id.Successor());
            if (id.Sequence > 0)
            {
                bounds.Add(new StreamId(id.Milliseconds, id.Sequence - 1));
            }
            else if (id.Milliseconds > 0)
            {
                bounds.Add(new StreamId(id.Milliseconds - 1, long.MaxValue));
            }
        }

        var list = bounds.ToList();
        for (var i = 0; i < list.Count; i += 2)
        {
            for (var j = Math.Max(0, i - 3); j < list.Count; j += 3)
            {
                var limit = 1 + ((i + j) % 6);
                AssertSameFrames(
                    await reference.ReadAsync(stream, list[i], list[j], limit),
                    await log.ReadAsync(stream, list[i], list[j], limit),
                    $"read {list[i]}..{list[j]} limit {limit}");
            }

            foreach (var visibility in new[] { TailVisibility.All, TailVisibility.ExcludeBestEffort })
            {
                AssertSameFrames(
                    await reference.TailAsync(stream, list[i], TimeSpan.Zero, 2, visibility),
                    await log.TailAsync(stream, list[i], TimeSpan.Zero, 2, visibility),
                    $"tail after {list[i]} ({visibility})");
            }
        }

        var expectedSummary = await reference.ReadSummaryAsync(stream);
        var summary = await log.ReadSummaryAsync(stream);
        Assert.NotNull(expectedSummary);
        Assert.NotNull(summary);
        Assert.Equal(expectedSummary.Version, summary.Version);
        Assert.Equal(expectedSummary.FirstUpdated, summary.FirstUpdated);
        Assert.Equal(expectedSummary.LastUpdated, summary.LastUpdated);
        AssertJson(expectedSummary.Document.GetRawText(), summary.Document);
        Assert.Equal(all.Count, Math.Min(5, ids.Count));
    }

    [Fact]
    public async Task Appenders_in_every_mode_on_two_instances_lose_no_durable_frame_and_no_patch()
    {
        var retention = new LiveRetentionOptions { Floor = 4, Ceiling = 4 };
        var a = await CreateAsync(retention: retention);
        var b = await CreateAsync(retention: retention);
        var stream = NewStream("mixed");
        const int PerWriter = 12;
        var results = new System.Collections.Concurrent.ConcurrentBag<(AppendMode Mode, StreamId Id, string Text)>();

        async Task WriteAsync(IStreamLog log, AppendMode mode, int writer)
        {
            await Task.Yield();
            for (var i = 0; i < PerWriter; i++)
            {
                var text = mode == AppendMode.DurableSummary ? $$"""{"w{{writer}}":{{i}},"last":"w{{writer}}-{{i}}"}""" : $"{mode}-{writer}-{i}";
                if (i % 3 == 2)
                {
                    var batch = await log.AppendBatchAsync(stream, [Utf8(text), Utf8(mode == AppendMode.DurableSummary ? $$"""{"b{{writer}}":{{i}}}""" : text + "b")], mode);
                    results.Add((mode, batch.FirstId, text));
                    results.Add((mode, batch.LastId, mode == AppendMode.DurableSummary ? $$"""{"b{{writer}}":{{i}}}""" : text + "b"));
                }
                else
                {
                    var r = await log.AppendAsync(stream, text, mode);
                    results.Add((mode, r.Id, text));
                }
            }
        }

        await Task.WhenAll(
            WriteAsync(a, AppendMode.Durable, 0), WriteAsync(b, AppendMode.Durable, 1),
            WriteAsync(a, AppendMode.DurableSummary, 2), WriteAsync(b, AppendMode.DurableSummary, 3),
            WriteAsync(a, AppendMode.BestEffortLive, 4), WriteAsync(b, AppendMode.BestEffortLive, 5)).WaitAsync(Guard);

        Assert.Equal(results.Count, results.Select(r => r.Id).Distinct().Count());
        var frames = new List<StreamFrame>();
        var from = StreamId.Min;
        while (true)
        {
            var page = await a.ReadAsync(stream, from, StreamId.Max, 50);
            if (page.Count == 0)
            {
                break;
            }

            frames.AddRange(page);
            from = page[^1].Id.Successor();
        }

        var durable = results.Where(r => r.Mode != AppendMode.BestEffortLive).OrderBy(r => r.Id).ToList();
        Assert.Equal(durable.Select(r => (r.Id, r.Text)), frames.Where(f => f.Mode != AppendMode.BestEffortLive).Select(f => (f.Id, Text(f))));
        var live = frames.Where(f => f.Mode == AppendMode.BestEffortLive).ToList();
        Assert.Equal(4, live.Count);
        Assert.Equal(
            results.Where(r => r.Mode == AppendMode.BestEffortLive).OrderBy(r => r.Id).TakeLast(4).Select(r => (r.Id, r.Text)),
            live.Select(f => (f.Id, Text(f))));

        var summary = await b.ReadSummaryAsync(stream);
        var patches = results.Count(r => r.Mode == AppendMode.DurableSummary);
        Assert.Equal(patches, summary!.Version);
        Assert.Equal(PerWriter - 1, summary.Document.GetProperty("w2").GetInt32());
        Assert.Equal(PerWriter - 1, summary.Document.GetProperty("w3").GetInt32());
        Assert.Equal(PerWriter - 1, summary.Document.GetProperty("b2").GetInt32());
        // The last patch applied (the highest id) set "last".
        var lastPatch = JsonNode.Parse(durable.Last(r => r.Mode == AppendMode.DurableSummary).Text)!.AsObject();
        if (lastPatch.ContainsKey("last"))
        {
            Assert.Equal(lastPatch["last"]!.GetValue<string>(), summary.Document.GetProperty("last").GetString());
        }

        var next = await a.AppendAsync(stream, "end", AppendMode.Durable);
        Assert.Equal(durable.Count + 4 + 1, next.FrameCount);
        Assert.Equal(patches, next.SummaryVersion);
    }

    private static void AssertSameFrames(IReadOnlyList<StreamFrame> expected, IReadOnlyList<StreamFrame> actual, string what)
    {
        var e = expected.Select(f => $"{f.Id} {f.Mode} {Text(f)}").ToList();
        var a = actual.Select(f => $"{f.Id} {f.Mode} {Text(f)}").ToList();
        Assert.True(e.SequenceEqual(a), $"{what}: expected [{string.Join(", ", e)}] but was [{string.Join(", ", a)}]");
    }
}
