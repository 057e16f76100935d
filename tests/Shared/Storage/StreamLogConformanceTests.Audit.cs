using System.Collections.Concurrent;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// Range bounds, tail positions and limits, summaries started by their first patch, malformed summary payloads,
/// concurrent summary appenders, checkpoint extremes, and cancellation or disposal racing calls at any step: the
/// same result on every backend (docs/stream-log.md).
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    // ---- range reads ----

    [Fact]
    public async Task Read_bounds_are_inclusive_at_both_ends_and_ranges_between_or_beyond_the_ids_are_exact()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = new List<StreamId>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await log.AppendAsync(stream, $"f{i}", AppendMode.Durable)).Id);
            Clock.Advance(TimeSpan.FromMilliseconds(10));
        }

        async Task<string[]> Read(StreamId from, StreamId to, int limit = 100) =>
            [.. (await log.ReadAsync(stream, from, to, limit)).Select(Text)];

        Assert.Equal(["f2"], await Read(ids[2], ids[2]));
        Assert.Equal(["f1", "f2"], await Read(ids[0].Successor(), ids[2]));
        Assert.Equal(["f1"], await Read(ids[0].Successor(), new StreamId(ids[2].Milliseconds - 1, 0)));
        Assert.Equal(["f3", "f4"], await Read(new StreamId(ids[2].Milliseconds + 1, 0), StreamId.Max));
        Assert.Empty(await Read(ids[4].Successor(), StreamId.Max));
        Assert.Empty(await Read(new StreamId(ids[4].Milliseconds + 1_000_000, 0), StreamId.Max));
        Assert.Empty(await Read(StreamId.Min, new StreamId(ids[0].Milliseconds - 1, long.MaxValue)));
        Assert.Empty(await Read(StreamId.Max, StreamId.Max));
        Assert.Empty(await Read(new StreamId(ids[1].Milliseconds + 1, 0), new StreamId(ids[2].Milliseconds - 1, long.MaxValue)));
        Assert.Equal(["f0"], await Read(StreamId.Min, StreamId.Max, limit: 1));
        Assert.Equal(["f3"], await Read(ids[3], StreamId.Max, limit: 1));
        Assert.Empty(await Read(ids[3], ids[2]));
        Assert.Empty(await log.ReadAsync(stream, "+", "-", 10));
        Assert.Empty(await log.ReadAsync(NewStream(), ids[0], ids[4], 10));
    }

    [Fact]
    public async Task A_tail_returns_only_frames_after_its_cursor_even_one_beyond_the_end()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var a = await log.AppendAsync(stream, "a", AppendMode.Durable);
        var b = await log.AppendAsync(stream, "b", AppendMode.Durable);

        Assert.Empty(await log.TailAsync(stream, b.Id, TimeSpan.Zero, 10));
        Assert.Empty(await log.TailAsync(stream, StreamId.Max, TimeSpan.Zero, 10));
        Assert.Equal(["b"], (await log.TailAsync(stream, a.Id, TimeSpan.Zero, 10)).Select(Text));

        // A cursor ahead of the log's clock: the next append's id is not after it, so the tail does not return it.
        var ahead = new StreamId(b.Id.Milliseconds + 60_000, 0);
        var timers = Clock.TimersCreated;
        var tail = log.TailAsync(stream, ahead, TimeSpan.FromSeconds(30), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        await log.AppendAsync(stream, "c", AppendMode.Durable);
        await Task.Yield();
        Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(await tail.WaitAsync(Guard));
        Assert.Equal(["b", "c"], (await log.TailAsync(stream, a.Id, TimeSpan.Zero, 10)).Select(Text));
    }

    [Fact]
    public async Task A_tail_limit_counts_only_the_frames_it_may_return()
    {
        var log = await CreateAsync(retention: new LiveRetentionOptions { Floor = 100, Ceiling = 100 });
        var stream = NewStream();
        for (var i = 0; i < 4; i++)
        {
            await log.AppendAsync(stream, $"l{i}", AppendMode.BestEffortLive);
        }

        await log.AppendBatchAsync(stream, [Utf8("d0"), Utf8("d1"), Utf8("d2")], AppendMode.Durable);

        Assert.Equal(["d0", "d1"], (await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 2, TailVisibility.ExcludeBestEffort)).Select(Text));
        Assert.Equal(["l0", "l1"], (await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 2, TailVisibility.All)).Select(Text));
    }

    [Fact]
    public async Task A_parked_tail_woken_by_a_batch_returns_at_most_its_limit_oldest_first()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var timers = Clock.TimersCreated;
        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromMinutes(5), 3).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);

        await log.AppendBatchAsync(stream, Enumerable.Range(0, 10).Select(i => (ReadOnlyMemory<byte>)Utf8($"b{i}")).ToList(), AppendMode.Durable);

        Assert.Equal(["b0", "b1", "b2"], (await tail.WaitAsync(Guard)).Select(Text));
    }

    [Fact]
    public async Task TailAll_ends_with_a_token_given_through_WithCancellation()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, "a", AppendMode.Durable);
        using var cts = new CancellationTokenSource();
        var seen = new List<string>();

        var reader = Task.Run(async () =>
        {
            await foreach (var frame in log.TailAllAsync(stream, StreamId.Min).WithCancellation(cts.Token))
            {
                seen.Add(Text(frame));
                if (seen.Count == 1)
                {
                    await cts.CancelAsync();
                }
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.WaitAsync(Guard));
        Assert.Equal(["a"], seen);
    }

    // ---- summaries ----

    [Fact]
    public async Task The_first_patch_of_a_stream_starts_from_no_document()
    {
        var log = await CreateAsync();
        var stream = NewStream();

        var first = await log.AppendAsync(stream, """{"gone":null,"o":{"x":null,"y":"$null","z":{}},"list":[null]}""", AppendMode.DurableSummary);

        Assert.Equal(1, first.SummaryVersion);
        var summary = await log.ReadSummaryAsync(stream);
        AssertJson("""{"o":{"y":null,"z":{}},"list":[null]}""", summary!.Document);
        Assert.Equal(1, summary.Version);
        Assert.Equal(Clock.GetUtcNow(), summary.FirstUpdated);
        Assert.Equal(summary.FirstUpdated, summary.LastUpdated);
    }

    [Theory]
    [InlineData("null", "null")]
    [InlineData("\"$null\"", "null")]
    [InlineData("[1,{\"a\":null}]", "[1,{\"a\":null}]")]
    [InlineData("\"text\"", "\"text\"")]
    [InlineData("false", "false")]
    [InlineData("{}", "{}")]
    public async Task A_first_patch_that_is_not_an_object_is_the_document_when_allowed(string patch, string expected)
    {
        var log = await CreateAsync(requireObjectPatch: false);
        var stream = NewStream();

        var result = await log.AppendAsync(stream, patch, AppendMode.DurableSummary);

        Assert.Equal(1, result.SummaryVersion);
        var summary = await log.ReadSummaryAsync(stream);
        AssertJson(expected, summary!.Document);
        Assert.Equal(1, summary.Version);
    }

    public static TheoryData<string> MalformedSummaryPayloads =>
    [
        "",
        "   ",
        "{} {}",
        "{\"a\":1,}",
        "{/* note */\"a\":1}",
        "{'a':1}",
        "{\"a\":NaN}",
        "\uFEFF{\"a\":1}",
        "{\"a\":1",
        "{\"a\":01}",
    ];

    [Theory]
    [MemberData(nameof(MalformedSummaryPayloads))]
    public async Task A_summary_payload_that_is_not_strict_JSON_is_rejected_naming_the_frame_and_nothing_is_written(string payload)
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, """{"a":1}""", AppendMode.DurableSummary);

        var single = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(stream, Utf8(payload), AppendMode.DurableSummary).AsTask());
        var batch = await Assert.ThrowsAsync<ArgumentException>(() =>
            log.AppendBatchAsync(stream, [Utf8("""{"b":1}"""), Utf8(payload)], AppendMode.DurableSummary).AsTask());

        Assert.Equal("frame", single.ParamName);
        Assert.Equal("frames[1]", batch.ParamName);
        await AssertUnchanged(log, stream, frames: 1, version: 1, """{"a":1}""");
    }

    [Fact]
    public async Task Concurrent_summary_appenders_on_two_instances_lose_no_patch_and_get_every_version_once()
    {
        var log = await CreateAsync();
        var peer = await CreateAsync();
        var stream = NewStream();
        const int Writers = 6;
        const int PerWriter = 15;

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var versions = new List<long>();
            for (var i = 0; i < PerWriter; i++)
            {
                var target = w % 2 == 0 ? log : peer;
                if (i % 5 == 4)
                {
                    var batch = await target.AppendBatchAsync(stream, [Utf8($$"""{"w{{w}}":{{i}}}"""), Utf8($$$"""{"n{{{w}}}":{"i":{{{i}}}}}""")], AppendMode.DurableSummary);
                    versions.Add(batch.SummaryVersion - 1);
                    versions.Add(batch.SummaryVersion);
                }
                else
                {
                    versions.Add((await target.AppendAsync(stream, $$"""{"w{{w}}":{{i}}}""", AppendMode.DurableSummary)).SummaryVersion);
                }

                await target.AppendAsync(stream, $"d{w}:{i}", AppendMode.Durable);
            }

            return versions;
        })).ToArray();
        var all = (await Task.WhenAll(writers).WaitAsync(Guard)).SelectMany(v => v).ToList();

        var patches = Writers * (PerWriter + (PerWriter / 5));
        Assert.Equal(Enumerable.Range(1, patches).Select(v => (long)v), all.Order());
        var summary = await log.ReadSummaryAsync(stream);
        Assert.Equal(patches, summary!.Version);
        for (var w = 0; w < Writers; w++)
        {
            Assert.Equal(PerWriter - 1, summary.Document.GetProperty($"w{w}").GetInt32());
            Assert.Equal(PerWriter - 1, summary.Document.GetProperty($"n{w}").GetProperty("i").GetInt32());
        }

        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10_000);
        Assert.Equal(patches + (Writers * PerWriter), frames.Count);
        Assert.True(frames.Zip(frames.Skip(1)).All(p => p.First.Id < p.Second.Id), "stored ids strictly increase");
    }

    // ---- names and checkpoints ----

    [Fact]
    public async Task The_longest_names_count_UTF16_characters_whatever_their_UTF8_length()
    {
        var log = await CreateAsync();
        var checkpoints = (ICheckpointStore)log;
        var suffix = Guid.NewGuid().ToString("N");
        var euros = new string('€', StreamLog.MaxStreamNameLength - suffix.Length) + suffix;
        var emoji = string.Concat(Enumerable.Repeat("😀", (StreamLog.MaxStreamNameLength - suffix.Length) / 2)) + suffix;

        foreach (var name in new[] { euros, emoji })
        {
            Assert.True(name.Length <= StreamLog.MaxStreamNameLength);
            await log.AppendAsync(name, name, AppendMode.Durable);
            await log.AppendAsync(name, """{"k":1}""", AppendMode.DurableSummary);
            await log.AppendAsync(name, "live", AppendMode.BestEffortLive);
            await checkpoints.WriteCheckpointAsync(name, new StreamId(5, 6));

            Assert.Equal([name, """{"k":1}""", "live"], (await log.ReadAsync(name, StreamId.Min, StreamId.Max, 10)).Select(Text));
            Assert.Equal(1, (await log.ReadSummaryAsync(name))!.Version);
            Assert.Equal(new StreamId(5, 6), await checkpoints.ReadCheckpointAsync(name));
        }

        var tooLong = new string('€', StreamLog.MaxStreamNameLength + 1);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => checkpoints.WriteCheckpointAsync(tooLong, StreamId.Min).AsTask());
        Assert.Equal("checkpointId", e.ParamName);
    }

    [Fact]
    public async Task Checkpoints_hold_the_smallest_and_largest_ids()
    {
        var log = await CreateAsync();
        var checkpoints = (ICheckpointStore)log;
        var id = "edge-" + Guid.NewGuid().ToString("N");

        await checkpoints.WriteCheckpointAsync(id, StreamId.Max);
        Assert.Equal(StreamId.Max, await checkpoints.ReadCheckpointAsync(id));
        await checkpoints.WriteCheckpointAsync(id, StreamId.Min);
        Assert.Equal(StreamId.Min, await checkpoints.ReadCheckpointAsync(id));
        await checkpoints.WriteCheckpointAsync(id, new StreamId(long.MaxValue, 0));
        Assert.Equal(new StreamId(long.MaxValue, 0), await checkpoints.ReadCheckpointAsync(id));
    }

    // ---- batches ----

    [Fact]
    public async Task A_batch_of_thousands_of_frames_with_headers_is_written_whole_in_every_mode()
    {
        var log = await CreateAsync(retention: new LiveRetentionOptions { Floor = 10_000, Ceiling = 10_000 });
        const int Count = 3_000;
        foreach (var mode in new[] { AppendMode.Durable, AppendMode.BestEffortLive, AppendMode.DurableSummary })
        {
            var stream = NewStream();
            var frames = Enumerable.Range(0, Count).Select(i => (ReadOnlyMemory<byte>)Utf8($$"""{"i":{{i}}}""")).ToList();
            var headers = Enumerable.Range(0, Count).Select(i => i % 3 == 0 ? null : (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { ["n"] = $"{i}" }).ToList();

            var result = await log.AppendBatchAsync(stream, frames, mode, headers);

            Assert.Equal(Count, result.FrameCount);
            Assert.Equal(mode == AppendMode.DurableSummary ? Count : 0, result.SummaryVersion);
            var read = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, Count);
            Assert.Equal(Count, read.Count);
            Assert.Equal(result.FirstId, read[0].Id);
            Assert.Equal(result.LastId, read[^1].Id);
            Assert.All(read.Select((f, i) => (f, i)), x =>
            {
                Assert.Equal($$"""{"i":{{x.i}}}""", Text(x.f));
                Assert.Equal(mode, x.f.Mode);
                Assert.Equal(x.i % 3 == 0 ? null : $"{x.i}", x.f.Headers.TryGetValue("n", out var n) ? n : null);
            });
            if (mode == AppendMode.DurableSummary)
            {
                AssertJson($$"""{"i":{{Count - 1}}}""", (await log.ReadSummaryAsync(stream))!.Document);
            }
        }
    }

    // ---- cancellation and disposal racing the calls ----

    [Fact]
    public async Task A_tail_cancelled_at_any_step_throws_cancellation_and_the_log_goes_on()
    {
        var log = await CreateAsync();
        var jitter = new Random(11);
        for (var round = 0; round < 30; round++)
        {
            var stream = NewStream();
            using var cancel = new CancellationTokenSource();
            var spins = jitter.Next(0, 30_000);
            var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromMinutes(10), 10, TailVisibility.All, cancel.Token).AsTask();
            await Task.Run(async () =>
            {
                Thread.SpinWait(spins);
                await cancel.CancelAsync();
            });

            var e = await Record.ExceptionAsync(() => tail.WaitAsync(Guard));
            Assert.True(e is OperationCanceledException, $"round {round}: {e}");
            await log.AppendAsync(stream, "after", AppendMode.Durable);
            Assert.Equal(["after"], (await log.TailAsync(stream, StreamId.Min, TimeSpan.FromMinutes(1), 10).AsTask().WaitAsync(Guard)).Select(Text));
        }
    }

    [Fact]
    public async Task Disposing_a_log_at_any_step_of_its_tails_ends_each_with_object_disposed()
    {
        var jitter = new Random(5);
        for (var round = 0; round < 12; round++)
        {
            var log = await CreateAsync();
            var stream = NewStream();
            var spins = jitter.Next(0, 30_000);
            var tails = Enumerable.Range(0, 3)
                .Select(i => Task.Run(() => log.TailAsync(stream, StreamId.Min, i == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMinutes(10), 10).AsTask()))
                .ToArray();
            await Task.Run(async () =>
            {
                Thread.SpinWait(spins);
                await log.DisposeAsync();
            });

            foreach (var tail in tails)
            {
                var e = await Record.ExceptionAsync(() => tail.WaitAsync(Guard));
                Assert.True(e is ObjectDisposedException, $"round {round}: {e}");
            }
        }
    }

    [Fact]
    public async Task Disposing_a_log_while_appends_run_fails_each_unfinished_one_with_object_disposed()
    {
        var jitter = new Random(3);
        for (var round = 0; round < 10; round++)
        {
            var log = await CreateAsync();
            var stream = NewStream();
            await log.AppendAsync(stream, """{"n":0}""", AppendMode.DurableSummary);
            var spins = jitter.Next(0, 200_000);
            var errors = new ConcurrentBag<Exception>();
            var appenders = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 50; i++)
                {
                    try
                    {
                        _ = (w % 4) switch
                        {
                            0 => (await log.AppendAsync(stream, $"d{i}", AppendMode.Durable)).Id,
                            1 => (await log.AppendAsync(stream, $$"""{"n":{{i}}}""", AppendMode.DurableSummary)).Id,
                            2 => (await log.AppendAsync(stream, $"l{i}", AppendMode.BestEffortLive)).Id,
                            _ => (await log.AppendBatchAsync(stream, [Utf8($"b{i}"), Utf8($"c{i}")], AppendMode.Durable)).LastId,
                        };
                    }
                    catch (Exception e)
                    {
                        errors.Add(e);
                        return;
                    }
                }
            })).ToArray();
            await Task.Run(async () =>
            {
                Thread.SpinWait(spins);
                await log.DisposeAsync();
            });
            await Task.WhenAll(appenders).WaitAsync(Guard);

            Assert.All(errors, e => Assert.True(e is ObjectDisposedException, $"round {round}: {e}"));
        }
    }

    [Fact]
    public async Task Disposing_concurrently_from_several_callers_completes_each_once_the_log_is_disposed()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var timers = Clock.TimersCreated;
        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromMinutes(10), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        using var start = new ManualResetEventSlim();

        var disposals = new[]
        {
            Task.Run(async () => { start.Wait(); await log.DisposeAsync(); }),
            Task.Run(async () => { start.Wait(); await log.DisposeAsync(); }),
            Task.Run(() => { start.Wait(); ((IDisposable)log).Dispose(); }),
        };
        start.Set();
        await Task.WhenAll(disposals).WaitAsync(Guard);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => tail.WaitAsync(Guard));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendAsync(stream, "x", AppendMode.Durable).AsTask());
        await log.DisposeAsync();
        ((IDisposable)log).Dispose();
    }

    [Fact]
    public async Task A_call_with_a_cancelled_token_on_a_disposed_log_throws_object_disposed_or_cancellation_and_nothing_else()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.DisposeAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        foreach (var call in new Func<Task>[]
        {
            () => log.AppendAsync(stream, Utf8("x"), AppendMode.Durable, cancelled.Token).AsTask(),
            () => log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10, cancelled.Token).AsTask(),
            () => log.TailAsync(stream, StreamId.Min, TimeSpan.FromMinutes(1), 10, TailVisibility.All, cancelled.Token).AsTask(),
            () => log.ReadSummaryAsync(stream, cancelled.Token).AsTask(),
        })
        {
            var e = await Record.ExceptionAsync(call);
            Assert.True(e is ObjectDisposedException or OperationCanceledException, e?.ToString() ?? "no exception");
        }
    }

    [Fact]
    public async Task A_patch_nested_to_the_JSON_readers_depth_is_stored_and_one_deeper_is_rejected_naming_the_frame()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        static string Nested(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{}" + new string('}', depth - 1);

        await log.AppendAsync(stream, Nested(64), AppendMode.DurableSummary);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(stream, Nested(65), AppendMode.DurableSummary).AsTask());

        Assert.Equal("frame", e.ParamName);
        var summary = await log.ReadSummaryAsync(stream);
        Assert.Equal(1, summary!.Version);
        AssertJson(Nested(64), summary.Document);
        Assert.Equal(1, (await log.AppendAsync(stream, "probe", AppendMode.Durable)).FrameCount - 1);
    }
}
