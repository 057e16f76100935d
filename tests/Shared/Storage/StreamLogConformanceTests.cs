using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// The behaviour every <see cref="IStreamLog"/> backend shares. A backend's test class derives from this and says
/// how to open a log on fresh storage and a second instance (another connection) on the same storage.
/// Time is virtual (<see cref="TestClock"/>); the only real-time bounds are failure guards against hangs.
/// </summary>
public abstract partial class StreamLogConformanceTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly List<IStreamLog> _opened = [];

    protected TestClock Clock { get; } = new();

    /// <summary>Opens a log on this test's storage (the same storage on every call within one test).</summary>
    protected abstract ValueTask<IStreamLog> OpenLogAsync(StreamLogOptions options);

    /// <summary>How many frames each of 8 concurrent appenders writes.</summary>
    protected virtual int AppendsPerWriter => 50;

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var log in _opened)
        {
            await log.DisposeAsync();
        }
    }

    protected async Task<IStreamLog> CreateAsync(
        bool requireObjectPatch = true, int maxReadCount = StreamLogOptions.DefaultMaxReadCount, LiveRetentionOptions? retention = null)
    {
        var log = await OpenLogAsync(new StreamLogOptions
        {
            TimeProvider = Clock,
            MaxReadCount = maxReadCount,
            RequireObjectSummaryPatch = requireObjectPatch,
            LiveRetention = retention ?? new LiveRetentionOptions(),
        });
        _opened.Add(log);
        return log;
    }

    /// <summary>Disposes <paramref name="log"/> when the test ends.</summary>
    protected void Track(IStreamLog log) => _opened.Add(log);

    protected static string NewStream(string prefix = "s") => $"{prefix}-{Guid.NewGuid():N}";

    protected static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    protected static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    // ---- ids ----

    [Fact]
    public async Task Append_returns_the_id_the_frame_count_and_the_summary_version()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var now = Clock.GetUtcNow().ToUnixTimeMilliseconds();

        var first = await log.AppendAsync(stream, "a", AppendMode.Durable);
        Clock.Advance(TimeSpan.FromMilliseconds(5));
        var second = await log.AppendAsync(stream, "b", AppendMode.Durable);

        Assert.Equal(new AppendResult(new StreamId(now, 0), 1, 0), first);
        Assert.Equal(new AppendResult(new StreamId(now + 5, 0), 2, 0), second);
    }

    [Fact]
    public async Task Appends_sharing_a_millisecond_get_increasing_sequences()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var now = Clock.GetUtcNow().ToUnixTimeMilliseconds();

        var ids = new List<StreamId>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await log.AppendAsync(stream, $"{i}", AppendMode.Durable)).Id);
        }

        Assert.Equal(Enumerable.Range(0, 5).Select(i => new StreamId(now, i)), ids);
    }

    [Fact]
    public async Task Ids_keep_increasing_when_the_clock_goes_backwards()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var before = (await log.AppendAsync(stream, "before", AppendMode.Durable)).Id;

        Clock.MoveWallClock(TimeSpan.FromSeconds(-10));
        var after1 = (await log.AppendAsync(stream, "after1", AppendMode.Durable)).Id;
        var after2 = (await log.AppendAsync(stream, "after2", AppendMode.BestEffortLive)).Id;
        var batch = await log.AppendBatchAsync(stream, [Utf8("b1"), Utf8("b2")], AppendMode.Durable);
        Clock.MoveWallClock(TimeSpan.FromSeconds(20));
        var later = (await log.AppendAsync(stream, "later", AppendMode.Durable)).Id;

        Assert.Equal(new StreamId(before.Milliseconds, 1), after1);
        Assert.Equal(new StreamId(before.Milliseconds, 2), after2);
        Assert.Equal(new StreamId(before.Milliseconds, 3), batch.FirstId);
        Assert.Equal(new StreamId(before.Milliseconds, 4), batch.LastId);
        Assert.Equal(new StreamId(before.Milliseconds + 10_000, 0), later);
        var read = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 100);
        Assert.Equal(["before", "after1", "after2", "b1", "b2", "later"], read.Select(Text));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-86_400_000)]
    public async Task A_clock_at_or_before_the_unix_epoch_still_gives_ids_a_tail_from_the_start_sees(long millisecondsFromEpoch)
    {
        var log = await CreateAsync();
        var stream = NewStream();
        Clock.MoveWallClock(DateTimeOffset.UnixEpoch.AddMilliseconds(millisecondsFromEpoch) - Clock.GetUtcNow());

        var first = await log.AppendAsync(stream, "before 1970", AppendMode.Durable);
        var summary = await log.AppendAsync(stream, """{"a":1}""", AppendMode.DurableSummary);
        var batch = await log.AppendBatchAsync(stream, [Utf8("b1"), Utf8("b2")], AppendMode.BestEffortLive);
        var tail = await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 10);

        // The clock reads as 1 ms: StreamId.Min (0-0) is never an appended frame's id, and no id is negative.
        Assert.Equal(new StreamId(1, 0), first.Id);
        Assert.Equal(new StreamId(1, 1), summary.Id);
        Assert.Equal(new StreamId(1, 3), batch.LastId);
        Assert.Equal(["before 1970", """{"a":1}""", "b1", "b2"], tail.Select(Text));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddMilliseconds(1), (await log.ReadSummaryAsync(stream))!.FirstUpdated);
    }

    [Fact]
    public async Task Eight_concurrent_appenders_get_unique_strictly_increasing_ids()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var perWriter = AppendsPerWriter;

        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var ids = new List<StreamId>();
            for (var i = 0; i < perWriter; i++)
            {
                if (i % 7 == 0)
                {
                    Clock.Advance(TimeSpan.FromMilliseconds(1));
                }

                ids.Add((await log.AppendAsync(stream, $"{w}:{i}", AppendMode.Durable)).Id);
            }

            return ids;
        })).ToArray();
        var perWriterIds = await Task.WhenAll(writers).WaitAsync(Guard);

        var read = await AssertIdsUniqueAndStoredInOrderAsync(log, stream, [], perWriterIds);
        // Every writer's frames are present, each once, in that writer's order.
        for (var w = 0; w < 8; w++)
        {
            var mine = read.Select(Text).Where(t => t.StartsWith($"{w}:", StringComparison.Ordinal)).ToList();
            Assert.Equal(Enumerable.Range(0, perWriter).Select(i => $"{w}:{i}"), mine);
        }
    }

    // Each writer's ids increase, no id repeats, the stream holds exactly these frames in id order, and the next
    // append counts them all.
    private static async Task<IReadOnlyList<StreamFrame>> AssertIdsUniqueAndStoredInOrderAsync(
        IStreamLog log, string stream, IReadOnlyList<StreamId> before, IReadOnlyList<List<StreamId>> perWriterIds)
    {
        foreach (var ids in perWriterIds)
        {
            Assert.True(ids.Zip(ids.Skip(1)).All(p => p.First < p.Second), "each writer's ids increase");
        }

        var all = before.Concat(perWriterIds.SelectMany(ids => ids)).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        var read = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10_000);
        Assert.Equal(all.Count, read.Count);
        Assert.True(read.Zip(read.Skip(1)).All(p => p.First.Id < p.Second.Id), "stored ids strictly increase");
        Assert.Equal(all.Order(), read.Select(f => f.Id));
        Assert.Equal(all.Count + 1, (await log.AppendAsync(stream, "last", AppendMode.Durable)).FrameCount);
        return read;
    }

    [Fact]
    public async Task Concurrent_appenders_keep_ids_increasing_while_the_clock_jumps_back_and_forth()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var perWriter = AppendsPerWriter;
        var first = (await log.AppendAsync(stream, "first", AppendMode.Durable)).Id;

        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var ids = new List<StreamId>();
            for (var i = 0; i < perWriter; i++)
            {
                // Every writer moves the shared wall clock: back a few seconds, forward a little, back again.
                Clock.MoveWallClock(TimeSpan.FromMilliseconds(i % 3 == 0 ? -3_000 : 7));
                if (i % 10 == 9)
                {
                    var batch = await log.AppendBatchAsync(stream, [Utf8($"{w}:{i}:a"), Utf8($"{w}:{i}:b")], AppendMode.Durable);
                    ids.Add(batch.FirstId);
                    ids.Add(batch.LastId);
                }
                else
                {
                    ids.Add((await log.AppendAsync(stream, $"{w}:{i}", AppendMode.Durable)).Id);
                }
            }

            return ids;
        })).ToArray();
        var perWriterIds = await Task.WhenAll(writers).WaitAsync(Guard);

        var read = await AssertIdsUniqueAndStoredInOrderAsync(log, stream, [first], perWriterIds);
        Assert.Equal(1 + 8 * (perWriter + perWriter / 10), read.Count);
        Assert.Equal(first, read[0].Id);
    }

    [Fact]
    public async Task Concurrent_first_appends_to_new_streams_all_land_once()
    {
        // Races the creation of a stream's bookkeeping: eight writers append the first frames of twenty new streams at once.
        var log = await CreateAsync();
        var streams = Enumerable.Range(0, 20).Select(_ => NewStream()).ToArray();
        using var start = new ManualResetEventSlim();
        var appends = streams.SelectMany(stream => Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            start.Wait();
            return (stream, result: await log.AppendAsync(stream, $"{w}", AppendMode.Durable));
        }))).ToArray();
        start.Set();
        var results = await Task.WhenAll(appends).WaitAsync(Guard);

        foreach (var stream in streams)
        {
            var mine = results.Where(r => r.stream == stream).Select(r => r.result).ToList();
            Assert.Equal(Enumerable.Range(1, 8).Select(n => (long)n), mine.Select(r => r.FrameCount).Order());
            var read = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 100);
            Assert.Equal(mine.Select(r => r.Id).Order(), read.Select(f => f.Id));
            Assert.Equal(Enumerable.Range(0, 8).Select(w => $"{w}"), read.Select(Text).Order());
        }
    }

    // ---- reads ----

    [Fact]
    public async Task Read_returns_the_inclusive_range_in_order()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = new List<StreamId>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add((await log.AppendAsync(stream, $"f{i}", AppendMode.Durable)).Id);
            Clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        var middle = await log.ReadAsync(stream, ids[1], ids[4], 100);
        var all = await log.ReadAsync(stream, "-", "+", 100);
        var bare = await log.ReadAsync(stream, ids[2].Milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "+", 100);
        var reversed = await log.ReadAsync(stream, ids[4], ids[1], 100);

        Assert.Equal(["f1", "f2", "f3", "f4"], middle.Select(Text));
        Assert.Equal(ids, all.Select(f => f.Id));
        Assert.Equal(["f2", "f3", "f4", "f5"], bare.Select(Text));
        Assert.Empty(reversed);
        Assert.All(all, f => Assert.Equal(AppendMode.Durable, f.Mode));
    }

    [Fact]
    public async Task Read_returns_at_most_limit_frames_and_never_more_than_the_hard_cap()
    {
        var log = await CreateAsync(maxReadCount: 4);
        var stream = NewStream();
        await log.AppendBatchAsync(stream, Enumerable.Range(0, 10).Select(i => (ReadOnlyMemory<byte>)Utf8($"f{i}")).ToList(), AppendMode.Durable);

        var two = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 2);
        var capped = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, int.MaxValue);
        var tailCapped = await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 1_000);

        Assert.Equal(["f0", "f1"], two.Select(Text));
        Assert.Equal(["f0", "f1", "f2", "f3"], capped.Select(Text));
        Assert.Equal(4, tailCapped.Count);
    }

    [Fact]
    public async Task Reading_a_stream_that_does_not_exist_returns_nothing()
    {
        var log = await CreateAsync();

        Assert.Empty(await log.ReadAsync(NewStream(), StreamId.Min, StreamId.Max, 10));
        Assert.Null(await log.ReadSummaryAsync(NewStream()));
        Assert.Empty(await log.TailAsync(NewStream(), StreamId.Min, TimeSpan.Zero, 10));
    }

    [Fact]
    public async Task Batched_append_writes_consecutive_ids_in_one_millisecond()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, "first", AppendMode.Durable);
        Clock.Advance(TimeSpan.FromMilliseconds(3));
        var now = Clock.GetUtcNow().ToUnixTimeMilliseconds();

        var batch = await log.AppendBatchAsync(stream, Enumerable.Range(0, 250).Select(i => (ReadOnlyMemory<byte>)Utf8($"b{i}")).ToList(), AppendMode.Durable);

        Assert.Equal(new AppendBatchResult(new StreamId(now, 0), new StreamId(now, 249), 251, 0), batch);
        var read = await log.ReadAsync(stream, batch.FirstId, batch.LastId, 1_000);
        Assert.Equal(Enumerable.Range(0, 250).Select(i => $"b{i}"), read.Select(Text));
        Assert.Equal(Enumerable.Range(0, 250).Select(i => new StreamId(now, i)), read.Select(f => f.Id));
        var next = await log.AppendAsync(stream, "after", AppendMode.Durable);
        Assert.Equal(new AppendResult(new StreamId(now, 250), 252, 0), next);
    }

    // ---- summaries ----

    [Fact]
    public async Task Summary_patches_merge_objects_recursively_delete_on_null_and_replace_arrays_and_scalars()
    {
        var log = await CreateAsync();
        var stream = NewStream();

        await log.AppendAsync(stream, """{"a":{"b":1,"c":{"d":2}},"list":[1,2,3],"n":5,"gone":true}""", AppendMode.DurableSummary);
        await log.AppendAsync(stream, """{"a":{"c":{"e":3},"x":"y"},"list":[9],"n":"five","gone":null,"absent":null}""", AppendMode.DurableSummary);

        var summary = await log.ReadSummaryAsync(stream);
        AssertJson("""{"a":{"b":1,"c":{"d":2,"e":3},"x":"y"},"list":[9],"n":"five"}""", summary!.Document);
    }

    [Fact]
    public async Task Summary_patch_replaces_an_object_member_with_a_scalar_and_a_scalar_with_an_object()
    {
        var log = await CreateAsync();
        var stream = NewStream();

        await log.AppendAsync(stream, """{"o":{"k":1},"s":1}""", AppendMode.DurableSummary);
        await log.AppendAsync(stream, """{"o":7,"s":{"k":{"deep":null,"kept":[]}}}""", AppendMode.DurableSummary);

        AssertJson("""{"o":7,"s":{"k":{"kept":[]}}}""", (await log.ReadSummaryAsync(stream))!.Document);
    }

    [Fact]
    public async Task The_null_sentinel_sets_a_member_to_json_null()
    {
        var log = await CreateAsync();
        var stream = NewStream();

        await log.AppendAsync(stream, """{"a":1,"b":{"c":2}}""", AppendMode.DurableSummary);
        await log.AppendAsync(stream, $$"""{"a":"{{JsonMergePatch.NullSentinel}}","b":{"c":"{{JsonMergePatch.NullSentinel}}","d":"{{JsonMergePatch.NullSentinel}}"},"arr":["{{JsonMergePatch.NullSentinel}}"]}""", AppendMode.DurableSummary);

        AssertJson($$"""{"a":null,"b":{"c":null,"d":null},"arr":["{{JsonMergePatch.NullSentinel}}"]}""", (await log.ReadSummaryAsync(stream))!.Document);
    }

    [Fact]
    public async Task A_non_object_patch_replaces_the_whole_document_when_allowed()
    {
        var log = await CreateAsync(requireObjectPatch: false);
        var stream = NewStream();

        await log.AppendAsync(stream, """{"a":1}""", AppendMode.DurableSummary);
        await log.AppendAsync(stream, "[1,2]", AppendMode.DurableSummary);
        AssertJson("[1,2]", (await log.ReadSummaryAsync(stream))!.Document);

        await log.AppendAsync(stream, """{"b":{"c":1}}""", AppendMode.DurableSummary);
        AssertJson("""{"b":{"c":1}}""", (await log.ReadSummaryAsync(stream))!.Document);

        var result = await log.AppendAsync(stream, "\"text\"", AppendMode.DurableSummary);
        var summary = await log.ReadSummaryAsync(stream);
        AssertJson("\"text\"", summary!.Document);
        Assert.Equal(4, summary.Version);
        Assert.Equal(4, result.SummaryVersion);
    }

    [Fact]
    public async Task A_whole_null_patch_or_the_null_sentinel_as_the_whole_patch_makes_the_document_null()
    {
        var log = await CreateAsync(requireObjectPatch: false);
        var stream = NewStream();

        await log.AppendAsync(stream, """{"a":1}""", AppendMode.DurableSummary);
        await log.AppendAsync(stream, "null", AppendMode.DurableSummary);
        var afterNull = await log.ReadSummaryAsync(stream);
        await log.AppendAsync(stream, """{"b":{"c":1}}""", AppendMode.DurableSummary);
        var afterObject = await log.ReadSummaryAsync(stream);
        var sentinel = await log.AppendAsync(stream, $"\"{JsonMergePatch.NullSentinel}\"", AppendMode.DurableSummary);
        var afterSentinel = await log.ReadSummaryAsync(stream);

        Assert.Equal(JsonValueKind.Null, afterNull!.Document.ValueKind);
        Assert.Equal(2, afterNull.Version);
        // An object patch on a null document starts from an empty object.
        AssertJson("""{"b":{"c":1}}""", afterObject!.Document);
        Assert.Equal(JsonValueKind.Null, afterSentinel!.Document.ValueKind);
        Assert.Equal(4, afterSentinel.Version);
        Assert.Equal(4, sentinel.SummaryVersion);
    }

    [Fact]
    public async Task A_non_object_patch_inside_a_batch_replaces_the_document_at_its_place_in_order()
    {
        var log = await CreateAsync(requireObjectPatch: false);
        var stream = NewStream();
        await log.AppendAsync(stream, """{"keep":false}""", AppendMode.DurableSummary);

        var result = await log.AppendBatchAsync(
            stream, [Utf8("""{"a":1}"""), Utf8("[1,{\"x\":null}]"), Utf8("""{"b":2}"""), Utf8("7"), Utf8("""{"c":{"d":null}}""")], AppendMode.DurableSummary);

        Assert.Equal(6, result.SummaryVersion);
        Assert.Equal(6, result.FrameCount);
        var summary = await log.ReadSummaryAsync(stream);
        // [1,{"x":null}] replaced {"keep":false,"a":1}; {"b":2} then started from an empty object; 7 replaced that;
        // the last patch started from an empty object again, and its null member deletes nothing.
        AssertJson("""{"c":{}}""", summary!.Document);
        Assert.Equal(6, summary.Version);
    }

    [Fact]
    public async Task Summary_version_counts_patches_and_records_first_and_last_update_times()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var t0 = Clock.GetUtcNow();

        var durable = await log.AppendAsync(stream, "not json at all", AppendMode.Durable);
        var v1 = await log.AppendAsync(stream, """{"a":1}""", AppendMode.DurableSummary);
        Clock.Advance(TimeSpan.FromSeconds(2));
        var v2 = await log.AppendAsync(stream, """{"a":2}""", AppendMode.DurableSummary);
        Clock.Advance(TimeSpan.FromSeconds(3));
        var afterDurable = await log.AppendAsync(stream, "x", AppendMode.Durable);

        Assert.Equal(0, durable.SummaryVersion);
        Assert.Equal(1, v1.SummaryVersion);
        Assert.Equal(2, v2.SummaryVersion);
        Assert.Equal(2, afterDurable.SummaryVersion);
        Assert.Equal(4, afterDurable.FrameCount);
        var summary = await log.ReadSummaryAsync(stream);
        Assert.NotNull(summary);
        Assert.Equal(2, summary.Version);
        Assert.Equal(t0, summary.FirstUpdated);
        Assert.Equal(t0 + TimeSpan.FromSeconds(2), summary.LastUpdated);
        AssertJson("""{"a":2}""", summary.Document);
        // The patches are frames too.
        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        Assert.Equal([AppendMode.Durable, AppendMode.DurableSummary, AppendMode.DurableSummary, AppendMode.Durable], frames.Select(f => f.Mode));
    }

    [Fact]
    public async Task Batched_summary_patches_apply_in_order_and_bump_the_version_per_patch()
    {
        var log = await CreateAsync();
        var stream = NewStream();

        var result = await log.AppendBatchAsync(stream, [Utf8("""{"a":1,"b":1}"""), Utf8("""{"a":null}"""), Utf8("""{"c":{"d":1}}""")], AppendMode.DurableSummary);

        Assert.Equal(3, result.SummaryVersion);
        var summary = await log.ReadSummaryAsync(stream);
        Assert.Equal(3, summary!.Version);
        AssertJson("""{"b":1,"c":{"d":1}}""", summary.Document);
    }

    // ---- best-effort live ----

    [Fact]
    public async Task Best_effort_frames_are_trimmed_to_the_length_the_rate_average_implies()
    {
        var retention = new LiveRetentionOptions { Alpha = 0.5, Ttl = TimeSpan.FromSeconds(1), Floor = 3, Ceiling = 12 };
        var log = await CreateAsync(retention: retention);
        var stream = NewStream();

        // An independent model of the rule: rate = a/interval + (1-a)·rate (0 at first), K = clamp(2·ceil(rate·ttl), floor, ceiling).
        double? rate = null;
        var retained = 0;
        var expectedCounts = new List<long>();
        var actualCounts = new List<long>();
        var intervalsMs = Enumerable.Repeat(500, 4).Concat(Enumerable.Repeat(100, 20)).Concat(Enumerable.Repeat(2000, 10)).ToArray();
        for (var i = 0; i < intervalsMs.Length; i++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(intervalsMs[i]));
            rate = rate is null ? 0 : (0.5 * (1000.0 / intervalsMs[i])) + (0.5 * rate.Value);
            var k = (int)Math.Clamp(2 * Math.Ceiling(rate.Value * 1.0), 3, 12);
            retained = Math.Min(retained + 1, k);
            expectedCounts.Add(retained);
            actualCounts.Add((await log.AppendAsync(stream, $"live{i}", AppendMode.BestEffortLive)).FrameCount);
        }

        Assert.Equal(expectedCounts, actualCounts);
        Assert.Contains(12, expectedCounts); // the ceiling was reached at 10 per second
        Assert.Equal(3, expectedCounts[^1]); // and the floor after the rate fell to 1 per 2 seconds
        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 100);
        Assert.Equal(Enumerable.Range(intervalsMs.Length - 3, 3).Select(i => $"live{i}"), frames.Select(Text));
    }

    [Fact]
    public async Task After_the_clock_goes_back_the_rate_is_measured_from_the_previous_best_effort_append()
    {
        var retention = new LiveRetentionOptions { Alpha = 0.5, Ttl = TimeSpan.FromMilliseconds(100), Floor = 1, Ceiling = 50 };
        var log = await CreateAsync(retention: retention);
        var stream = NewStream();

        // 10 per second, then the wall clock jumps back 4.9 s, then 10 per second again. The jump reads as one 1 ms
        // burst; every later interval runs from the append before it (100 ms), not from the latest time seen.
        double? rate = null;
        long? previousMs = null;
        var retained = 0;
        var expected = new List<long>();
        var actual = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            if (i == 5)
            {
                Clock.MoveWallClock(TimeSpan.FromMilliseconds(-4900));
            }
            else if (i > 0)
            {
                Clock.Advance(TimeSpan.FromMilliseconds(100));
            }

            var nowMs = Clock.GetUtcNow().ToUnixTimeMilliseconds();
            rate = rate is null ? 0 : (0.5 * (1000.0 / Math.Max(nowMs - previousMs!.Value, 1))) + (0.5 * rate.Value);
            previousMs = nowMs;
            retained = Math.Min(retained + 1, (int)Math.Clamp(2 * Math.Ceiling(rate.Value * 0.1), 1, 50));
            expected.Add(retained);
            actual.Add((await log.AppendAsync(stream, $"live{i}", AppendMode.BestEffortLive)).FrameCount);
        }

        Assert.Equal(expected, actual);
        Assert.True(expected[^1] < retention.Ceiling, "the model itself never recovered from the burst");
    }

    [Fact]
    public async Task Best_effort_trimming_never_removes_durable_frames()
    {
        var retention = new LiveRetentionOptions { Alpha = 1, Ttl = TimeSpan.FromSeconds(1), Floor = 2, Ceiling = 2 };
        var log = await CreateAsync(retention: retention);
        var stream = NewStream();

        await log.AppendAsync(stream, "d0", AppendMode.Durable);
        for (var i = 0; i < 5; i++)
        {
            await log.AppendAsync(stream, $"l{i}", AppendMode.BestEffortLive);
        }

        await log.AppendAsync(stream, "d1", AppendMode.Durable);
        var last = await log.AppendAsync(stream, "l5", AppendMode.BestEffortLive);

        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 100);
        Assert.Equal(["d0", "l4", "d1", "l5"], frames.Select(Text));
        Assert.Equal(4, last.FrameCount);
    }

    [Fact]
    public async Task A_durable_batch_counts_frames_after_trimming_and_reports_the_summary_version()
    {
        var retention = new LiveRetentionOptions { Alpha = 1, Ttl = TimeSpan.FromSeconds(1), Floor = 2, Ceiling = 2 };
        var log = await CreateAsync(retention: retention);
        var stream = NewStream();
        await log.AppendAsync(stream, """{"a":1}""", AppendMode.DurableSummary);
        for (var i = 0; i < 5; i++)
        {
            await log.AppendAsync(stream, $"l{i}", AppendMode.BestEffortLive);
        }

        var batch = await log.AppendBatchAsync(stream, [Utf8("d0"), Utf8("d1")], AppendMode.Durable);
        // Another instance, which has cached nothing about the stream, counts the same way.
        var other = await CreateAsync(retention: retention);
        var more = await other.AppendBatchAsync(stream, [Utf8("d2"), Utf8("d3"), Utf8("d4")], AppendMode.Durable);

        Assert.Equal(5, batch.FrameCount);
        Assert.Equal(1, batch.SummaryVersion);
        Assert.Equal(8, more.FrameCount);
        Assert.Equal(1, more.SummaryVersion);
        Assert.True(batch.LastId < more.FirstId);
        Assert.Equal(["""{"a":1}""", "l3", "l4", "d0", "d1", "d2", "d3", "d4"], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 100)).Select(Text));
    }

    [Fact]
    public async Task A_best_effort_batch_keeps_the_newest_frames_the_rule_allows()
    {
        var retention = new LiveRetentionOptions { Alpha = 1, Ttl = TimeSpan.FromMilliseconds(1), Floor = 4, Ceiling = 6 };
        var log = await CreateAsync(retention: retention);
        var stream = NewStream();
        await log.AppendAsync(stream, "durable", AppendMode.Durable);

        var batch = await log.AppendBatchAsync(stream, Enumerable.Range(0, 10).Select(i => (ReadOnlyMemory<byte>)Utf8($"l{i}")).ToList(), AppendMode.BestEffortLive);

        // One millisecond per frame within a batch at alpha 1: 1000/s, so K = clamp(2·ceil(1000·0.001), 4, 6) = 4.
        Assert.Equal(5, batch.FrameCount);
        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 100);
        Assert.Equal(["durable", "l6", "l7", "l8", "l9"], frames.Select(Text));
    }

    // ---- tails ----

    [Fact]
    public async Task Tail_returns_frames_after_the_cursor_without_waiting()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var a = await log.AppendAsync(stream, "a", AppendMode.Durable);
        await log.AppendAsync(stream, "b", AppendMode.Durable);
        await log.AppendAsync(stream, "c", AppendMode.Durable);

        var frames = await log.TailAsync(stream, a.Id, TimeSpan.FromHours(1), 10).AsTask().WaitAsync(Guard);

        Assert.Equal(["b", "c"], frames.Select(Text));
        Assert.Equal(0, Clock.TimersCreated);
    }

    [Fact]
    public async Task Tail_returns_empty_after_block_when_nothing_arrives()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var last = await log.AppendAsync(stream, "old", AppendMode.Durable);
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync(stream, last.Id, TimeSpan.FromSeconds(5), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        Clock.Advance(TimeSpan.FromSeconds(4));
        await Task.Yield();
        Assert.False(tail.IsCompleted);
        Clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Empty(await tail.WaitAsync(Guard));
    }

    [Fact]
    public async Task Tail_returns_empty_when_the_clock_overshoots_block_by_exactly_one_millisecond()
    {
        // block − elapsed is then −1 ms, the value of Timeout.InfiniteTimeSpan: it must not read as "wait forever".
        var log = await CreateAsync();
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync(NewStream(), StreamId.Min, TimeSpan.FromSeconds(5), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        Clock.Advance(TimeSpan.FromMilliseconds(5_001));

        Assert.Empty(await tail.WaitAsync(Guard));
    }

    [Fact]
    public async Task Tail_accepts_a_block_longer_than_the_longest_timer()
    {
        // Any positive block is allowed (docs/stream-log.md); one timer reaches only about 49.7 days ahead.
        var log = await CreateAsync();
        var stream = NewStream();
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromDays(60), 10).AsTask();
        await Task.WhenAny(tail, Clock.WaitForTimersAsync(timers + 1)).WaitAsync(Guard);
        Assert.False(tail.IsCompleted, tail.Exception?.ToString());
        await log.AppendAsync(stream, "late", AppendMode.Durable);

        Assert.Equal(["late"], (await tail.WaitAsync(Guard)).Select(Text));
    }

    [Fact]
    public async Task Tail_with_a_block_longer_than_the_longest_timer_times_out_at_block()
    {
        var log = await CreateAsync();
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync(NewStream(), StreamId.Min, TimeSpan.FromDays(60), 10).AsTask();
        await Task.WhenAny(tail, Clock.WaitForTimersAsync(timers + 1)).WaitAsync(Guard);
        var longestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
        for (var day = 0; day < 59; day++)
        {
            Clock.Advance(TimeSpan.FromDays(1));
            if (TimeSpan.FromDays(day) < longestTimer && TimeSpan.FromDays(day + 1) >= longestTimer)
            {
                // The first step's timer fired: the tail re-checks (a query, on a server backend) and parks again for
                // what is left of its block, measured from the clock. Advancing while it is between the measure and its
                // new timer would set that timer past the block's end (the test stops advancing there): the tail waits
                // for it. (A polling backend creates timers all along, so this returns at once there.)
                await Task.WhenAny(tail, Clock.WaitForTimersAsync(timers + 2)).WaitAsync(Guard);
            }

            await Task.Yield();
            Assert.False(tail.IsCompleted, $"day {day + 1}: {tail.Exception}");
        }

        // A backend that polls may have timers queued behind the last advance; the last day ends the block on every one.
        Clock.Advance(TimeSpan.FromDays(1));
        Assert.Empty(await tail.WaitAsync(Guard));
    }

    [Fact]
    public async Task Tail_wakes_on_an_append_through_another_log_instance()
    {
        var log = await CreateAsync();
        var peer = await CreateAsync();
        var stream = NewStream();
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromMinutes(10), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        Assert.False(tail.IsCompleted);
        await peer.AppendAsync(stream, "hello", AppendMode.Durable);

        var frames = await tail.WaitAsync(Guard);
        Assert.Equal(["hello"], frames.Select(Text));
    }

    [Fact]
    public async Task Tail_keeps_waiting_after_a_wake_that_brings_nothing_visible()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromSeconds(10), 10, TailVisibility.ExcludeBestEffort).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        await log.AppendAsync(stream, "live", AppendMode.BestEffortLive);
        // The wake re-checks, finds only a best-effort frame and parks again on a new timer.
        await Clock.WaitForTimersAsync(timers + 2);
        Assert.False(tail.IsCompleted);
        await log.AppendAsync(stream, "durable", AppendMode.Durable);

        Assert.Equal(["durable"], (await tail.WaitAsync(Guard)).Select(Text));
    }

    [Fact]
    public async Task Tail_after_a_wake_with_nothing_visible_still_times_out_at_block()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromSeconds(10), 10, TailVisibility.ExcludeBestEffort).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        Clock.Advance(TimeSpan.FromSeconds(6));
        await log.AppendAsync(stream, "live", AppendMode.BestEffortLive);
        await Clock.WaitForTimersAsync(timers + 2);
        Clock.Advance(TimeSpan.FromSeconds(3));
        await Task.Yield();
        Assert.False(tail.IsCompleted);
        Clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Empty(await tail.WaitAsync(Guard));
    }

    [Fact]
    public async Task Tail_excluding_best_effort_skips_best_effort_frames()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, "d1", AppendMode.Durable);
        await log.AppendAsync(stream, "l1", AppendMode.BestEffortLive);
        await log.AppendAsync(stream, """{"s":1}""", AppendMode.DurableSummary);
        await log.AppendAsync(stream, "l2", AppendMode.BestEffortLive);

        var durableOnly = await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 10, TailVisibility.ExcludeBestEffort);
        var all = await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 10, TailVisibility.All);

        Assert.Equal(["d1", """{"s":1}"""], durableOnly.Select(Text));
        Assert.Equal(["d1", "l1", """{"s":1}""", "l2"], all.Select(Text));
    }

    [Fact]
    public async Task Many_parked_tails_all_wake_and_appends_still_go_through()
    {
        var log = await CreateAsync();
        var peer = await CreateAsync();
        var streams = Enumerable.Range(0, 12).Select(_ => NewStream()).ToArray();
        var timers = Clock.TimersCreated;

        var tails = streams.Select(s => log.TailAsync(s, StreamId.Min, TimeSpan.FromMinutes(10), 10).AsTask()).ToArray();
        await Clock.WaitForTimersAsync(timers + streams.Length);
        foreach (var s in streams)
        {
            await peer.AppendAsync(s, s, AppendMode.Durable);
        }

        var results = await Task.WhenAll(tails).WaitAsync(Guard);
        Assert.Equal(streams, results.Select(r => Text(Assert.Single(r))));
    }

    [Fact]
    public async Task An_append_racing_a_tail_about_to_park_always_wakes_it()
    {
        // The append lands anywhere in the tail's read, watch and park steps; whichever step it races, the tail must
        // return it without its block running out (the virtual clock never moves here, so a lost wake-up hangs).
        var log = await CreateAsync();
        var peer = await CreateAsync();
        var jitter = new Random(7);
        for (var i = 0; i < 40; i++)
        {
            var stream = NewStream();
            var spins = jitter.Next(0, 20_000);
            var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromMinutes(10), 10).AsTask();
            var append = Task.Run(async () =>
            {
                Thread.SpinWait(spins);
                await peer.AppendAsync(stream, $"race {i}", AppendMode.Durable);
            });

            await append.WaitAsync(Guard);
            Assert.Equal([$"race {i}"], (await tail.WaitAsync(Guard)).Select(Text));
        }
    }

    [Fact]
    public async Task TailAll_yields_every_frame_once_in_order_as_it_arrives()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, "0", AppendMode.Durable);
        using var cts = new CancellationTokenSource();
        var seen = new List<string>();

        var reader = Task.Run(async () =>
        {
            await foreach (var frame in log.TailAllAsync(stream, StreamId.Min, TailVisibility.ExcludeBestEffort, cts.Token))
            {
                seen.Add(Text(frame));
                if (seen.Count == 5)
                {
                    return;
                }
            }
        });
        for (var i = 1; i < 6; i++)
        {
            await log.AppendAsync(stream, $"{i}", AppendMode.Durable);
            await log.AppendAsync(stream, $"live{i}", AppendMode.BestEffortLive);
        }

        await reader.WaitAsync(Guard);
        Assert.Equal(["0", "1", "2", "3", "4"], seen);
    }

    [Fact]
    public async Task TailAll_ends_with_cancellation()
    {
        var log = await CreateAsync();
        using var cts = new CancellationTokenSource();
        var enumerate = Task.Run(async () =>
        {
            await foreach (var unused in log.TailAllAsync(NewStream(), StreamId.Min, TailVisibility.All, cts.Token))
            {
            }
        });

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => enumerate.WaitAsync(Guard));
    }

    // ---- bad input ----

    [Fact]
    public async Task A_malformed_cursor_is_a_format_error_naming_the_parameter_and_the_text()
    {
        var log = await CreateAsync();
        var stream = NewStream();

        var read = await Assert.ThrowsAsync<FormatException>(() => log.ReadAsync(stream, "12-x", "+", 10).AsTask());
        var tail = await Assert.ThrowsAsync<FormatException>(() => log.TailAsync(stream, "-5", TimeSpan.Zero, 10).AsTask());

        Assert.Contains("'from'", read.Message, StringComparison.Ordinal);
        Assert.Contains("'12-x'", read.Message, StringComparison.Ordinal);
        Assert.Contains("'after'", tail.Message, StringComparison.Ordinal);
        Assert.Contains("'-5'", tail.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_limit_below_one_is_rejected()
    {
        var log = await CreateAsync();

        var read = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.ReadAsync("s", StreamId.Min, StreamId.Max, 0).AsTask());
        var tail = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.TailAsync("s", StreamId.Min, TimeSpan.Zero, -1).AsTask());

        Assert.Equal("limit", read.ParamName);
        Assert.Equal("limit", tail.ParamName);
    }

    [Fact]
    public async Task A_negative_block_an_unknown_mode_or_visibility_is_rejected_and_nothing_is_written()
    {
        var log = await CreateAsync();
        var stream = NewStream();

        var block = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.TailAsync(stream, StreamId.Min, TimeSpan.FromSeconds(-1), 10).AsTask());
        var mode = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.AppendAsync(stream, "x", (AppendMode)7).AsTask());
        var visibility = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 10, (TailVisibility)9).AsTask());

        Assert.Equal("block", block.ParamName);
        Assert.Equal("mode", mode.ParamName);
        Assert.Equal("visibility", visibility.ParamName);
        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("tab\there", "tabhere")]
    [InlineData("nul\0", "nul")]
    public async Task An_invalid_stream_name_is_rejected_and_nothing_is_written(string name, string stripped)
    {
        var log = await CreateAsync();
        // A unique prefix, so the names a lenient backend might have written instead can be checked to be empty.
        var prefix = name.Length == 0 ? string.Empty : NewStream() + "-";

        var single = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(prefix + name, "x", AppendMode.Durable).AsTask());
        var summary = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(prefix + name, """{"a":1}""", AppendMode.DurableSummary).AsTask());
        var batch = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendBatchAsync(prefix + name, [Utf8("x")], AppendMode.BestEffortLive).AsTask());

        Assert.All(new[] { single, summary, batch }, e => Assert.Equal("stream", e.ParamName));
        if (prefix.Length > 0)
        {
            foreach (var lenient in new[] { prefix + stripped, prefix + name.Replace('\t', ' ').Replace('\0', ' ').TrimEnd(), prefix.TrimEnd('-') })
            {
                Assert.Empty(await log.ReadAsync(lenient, StreamId.Min, StreamId.Max, 10));
                Assert.Null(await log.ReadSummaryAsync(lenient));
            }
        }
    }

    [Fact]
    public async Task A_stream_name_with_an_unpaired_surrogate_is_rejected()
    {
        // Built here, not in [InlineData]: test-case serialization would turn the lone surrogate into U+FFFD.
        var log = await CreateAsync();
        var high = "lone" + (char)0xD800;
        var low = (char)0xDC00 + "first";

        var e1 = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(high, "x", AppendMode.Durable).AsTask());
        var e2 = await Assert.ThrowsAsync<ArgumentException>(() => log.ReadAsync(low, StreamId.Min, StreamId.Max, 1).AsTask());

        Assert.Equal("stream", e1.ParamName);
        Assert.Contains("unpaired surrogate U+D800", e1.Message, StringComparison.Ordinal);
        Assert.Contains("unpaired surrogate U+DC00", e2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_over_long_stream_name_is_rejected_and_the_longest_allowed_works()
    {
        var log = await CreateAsync();
        var longest = new string('x', StreamLog.MaxStreamNameLength - 32) + Guid.NewGuid().ToString("N");

        var e = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(longest + "y", "x", AppendMode.Durable).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(longest + "y", """{"a":1}""", AppendMode.DurableSummary).AsTask());
        // Nothing was written under the name cut to the longest allowed either.
        Assert.Empty(await log.ReadAsync(longest, StreamId.Min, StreamId.Max, 10));
        Assert.Null(await log.ReadSummaryAsync(longest));
        var ok = await log.AppendAsync(longest, "x", AppendMode.Durable);

        Assert.Equal("stream", e.ParamName);
        Assert.Contains($"{StreamLog.MaxStreamNameLength + 1} characters", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, ok.FrameCount);
        await Assert.ThrowsAsync<ArgumentException>(() => log.ReadAsync(longest + "y", StreamId.Min, StreamId.Max, 10).AsTask());
    }

    [Fact]
    public async Task A_summary_payload_that_is_not_json_writes_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, """{"a":1}""", AppendMode.DurableSummary);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(stream, """{"a":""", AppendMode.DurableSummary).AsTask());
        var batch = await Assert.ThrowsAsync<ArgumentException>(() =>
            log.AppendBatchAsync(stream, [Utf8("""{"b":1}"""), Utf8("nope")], AppendMode.DurableSummary).AsTask());

        Assert.Equal("frame", e.ParamName);
        Assert.Contains("not JSON", e.Message, StringComparison.Ordinal);
        Assert.Equal("frames[1]", batch.ParamName);
        await AssertUnchanged(log, stream, frames: 1, version: 1, """{"a":1}""");
    }

    [Fact]
    public async Task A_summary_payload_that_is_not_an_object_is_rejected_where_objects_are_required()
    {
        var log = await CreateAsync(requireObjectPatch: true);
        var stream = NewStream();
        await log.AppendAsync(stream, """{"a":1}""", AppendMode.DurableSummary);

        foreach (var payload in new[] { "[1]", "3", "null", "\"s\"" })
        {
            var e = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(stream, payload, AppendMode.DurableSummary).AsTask());
            Assert.Equal("frame", e.ParamName);
            Assert.Contains("requires an object", e.Message, StringComparison.Ordinal);
        }

        await AssertUnchanged(log, stream, frames: 1, version: 1, """{"a":1}""");
    }

    // One rule on every backend: JSON that PostgreSQL's jsonb cannot store exactly as given is refused before writing.
    private static readonly Dictionary<string, (byte[] Payload, string Problem)> UnstorablePatches = new()
    {
        ["invalid UTF-8 in a value"] = ([.. Utf8("""{"a":" """.TrimEnd()), 0xC3, 0x28, .. Utf8("\"}")], "not valid UTF-8"),
        ["an encoded surrogate"] = ([.. Utf8("""{"a":" """.TrimEnd()), 0xED, 0xA0, 0x80, .. Utf8("\"}")], "not valid UTF-8"),
        ["a truncated sequence at the end"] = ([.. Utf8("""{"a":" """.TrimEnd()), 0xE2, 0x82], "not valid UTF-8"),
        ["a lone high surrogate"] = (Utf8("""{"a":"\uD800"}"""), "unpaired surrogate \\uD800"),
        ["a lone low surrogate"] = (Utf8("""{"a":"x\udc00"}"""), "unpaired surrogate \\uDC00"),
        ["a high surrogate before a non-surrogate"] = (Utf8("""{"a":"\uD800\u0041"}"""), "unpaired surrogate"),
        ["a lone surrogate in a member name"] = (Utf8("""{"\uDBFF":1}"""), "unpaired surrogate"),
        ["NUL in a value"] = (Utf8("""{"a":"x\u0000y"}"""), "\\u0000"),
        ["NUL in a member name"] = (Utf8("""{"\u0000":1}"""), "\\u0000"),
        ["a duplicate member name"] = (Utf8("""{"a":1,"a":2}"""), "repeats the member name \"a\""),
        ["a duplicate in a nested object"] = (Utf8("""{"o":{"b":1,"b":2}}"""), "repeats the member name \"b\""),
        ["a duplicate spelled with an escape"] = (Utf8("""{"a":1,"\u0061":2}"""), "repeats the member name \"a\""),
        ["a number too large for numeric"] = (Utf8("""{"a":{"b":[1e131072]}}"""), "outside what PostgreSQL's jsonb can store"),
        ["a number too precise for numeric"] = (Utf8("""{"a":-1.5e-16383}"""), "outside what PostgreSQL's jsonb can store"),
        ["a zero with too large a scale"] = (Utf8("""{"a":0.0e-16383}"""), "outside what PostgreSQL's jsonb can store"),
        ["an exponent too large for numeric"] = (Utf8("""{"a":0e999999999999}"""), "outside what PostgreSQL's jsonb can store"),
    };

    public static TheoryData<string> UnstorablePatchNames => [.. UnstorablePatches.Keys];

    [Theory]
    [MemberData(nameof(UnstorablePatchNames))]
    public async Task A_summary_patch_jsonb_cannot_store_exactly_is_rejected_naming_the_frame_and_nothing_is_written(string name)
    {
        var (payload, problem) = UnstorablePatches[name];
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, """{"a":1}""", AppendMode.DurableSummary);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(stream, payload, AppendMode.DurableSummary).AsTask());

        Assert.Equal("frame", e.ParamName);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        await AssertUnchanged(log, stream, frames: 1, version: 1, """{"a":1}""");
    }

    [Theory]
    [MemberData(nameof(UnstorablePatchNames))]
    public async Task A_batch_with_an_unstorable_patch_at_any_index_writes_nothing(string name)
    {
        var (payload, problem) = UnstorablePatches[name];
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, """{"a":1}""", AppendMode.DurableSummary);

        for (var index = 0; index < 3; index++)
        {
            var frames = new List<ReadOnlyMemory<byte>> { Utf8("""{"b":1}"""), Utf8("""{"c":2}"""), Utf8("""{"d":3}""") };
            frames[index] = payload;

            var e = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendBatchAsync(stream, frames, AppendMode.DurableSummary).AsTask());

            Assert.Equal($"frames[{index}]", e.ParamName);
            Assert.Contains($"at index {index} of the batch", e.Message, StringComparison.Ordinal);
            Assert.Contains(problem, e.Message, StringComparison.Ordinal);
            await AssertUnchanged(log, stream, frames: 1 + index, version: 1, """{"a":1}""");
        }
    }

    [Fact]
    public async Task Summary_text_every_backend_stores_exactly_is_accepted()
    {
        var log = await CreateAsync();
        var stream = NewStream();

        // A surrogate pair, an escaped backslash before "u0000" (text, not NUL), the same name in different objects,
        // zero with any exponent, and numbers at the edges of numeric's range.
        await log.AppendAsync(stream, """{"emoji":"\uD83D\uDE00","text":"\\u0000","a":{"a":1},"é":"ü"}""", AppendMode.DurableSummary);
        await log.AppendAsync(stream, """{"edges":[0e200000,-0e-16383,1e131071,0.001e131074,1.000e-16380]}""", AppendMode.DurableSummary);
        await log.AppendAsync(stream, """{"edges":null}""", AppendMode.DurableSummary);
        await log.AppendBatchAsync(stream, [Utf8("""{"n":1}"""), Utf8("""{"n":2,"m":{"n":3}}""")], AppendMode.DurableSummary);

        var summary = await log.ReadSummaryAsync(stream);
        Assert.Equal(5, summary!.Version);
        Assert.Equal("\U0001F600", summary.Document.GetProperty("emoji").GetString());
        Assert.Equal("\\u0000", summary.Document.GetProperty("text").GetString());
        AssertJson("""{"emoji":"\uD83D\uDE00","text":"\\u0000","a":{"a":1},"é":"ü","n":2,"m":{"n":3}}""", summary.Document);
    }

    [Fact]
    public async Task An_empty_batch_is_rejected()
    {
        var log = await CreateAsync();

        var e = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendBatchAsync(NewStream(), [], AppendMode.Durable).AsTask());

        Assert.Equal("frames", e.ParamName);
    }

    [Fact]
    public async Task Hostile_stream_names_reach_only_their_own_frames()
    {
        var log = await CreateAsync();
        var suffix = Guid.NewGuid().ToString("N");
        string[] names =
        [
            $"plain{suffix}", $"PLAIN{suffix}", $"plain{suffix}%", $"plain{suffix}_", $"%{suffix}", $"_{suffix}",
            $"plain{suffix}' OR '1'='1", $"plain{suffix}\"; DROP TABLE rs_frames; --", $"plain{suffix}\\", $"plain{suffix} ",
            $"ünï{suffix}😀", $"plain{suffix}*", $"\u00e9{suffix}", $"e\u0301{suffix}",
            // Braces and separators, which key-value backends build keys and cluster hash tags from.
            "}" + suffix, "}" + suffix + "}", "}}" + suffix, "}{" + suffix, "{" + suffix + "}", suffix + "{",
            "plain" + suffix + "}:d", "}" + suffix + ":l", "plain" + suffix + ":m", "%7D" + suffix,
        ];

        foreach (var name in names)
        {
            await log.AppendAsync(name, name, AppendMode.Durable);
            await log.AppendAsync(name, "live " + name, AppendMode.BestEffortLive);
            await log.AppendAsync(name, $$"""{"name":{{JsonSerializer.Serialize(name)}}}""", AppendMode.DurableSummary);
        }

        foreach (var name in names)
        {
            var frames = await log.ReadAsync(name, StreamId.Min, StreamId.Max, 100);
            Assert.Equal(3, frames.Count);
            Assert.Equal(name, Text(frames[0]));
            Assert.Equal("live " + name, Text(frames[1]));
            var tail = await log.TailAsync(name, StreamId.Min, TimeSpan.Zero, 100);
            Assert.Equal(3, tail.Count);
            var summary = await log.ReadSummaryAsync(name);
            Assert.Equal(name, summary!.Document.GetProperty("name").GetString());
            Assert.Equal(1, summary.Version);
        }
    }

    // ---- checkpoints ----

    [Fact]
    public async Task Checkpoints_are_null_until_written_then_hold_the_last_position_written()
    {
        var log = await CreateAsync();
        var store = Assert.IsAssignableFrom<ICheckpointStore>(log);
        var id = NewStream("checkpoint");

        Assert.Null(await store.ReadCheckpointAsync(id));
        await store.WriteCheckpointAsync(id, new StreamId(10, 2));
        Assert.Equal(new StreamId(10, 2), await store.ReadCheckpointAsync(id));
        await store.WriteCheckpointAsync(id, new StreamId(12, 0));
        await store.WriteCheckpointAsync(id, new StreamId(11, 5));
        Assert.Equal(new StreamId(11, 5), await store.ReadCheckpointAsync(id));
    }

    [Fact]
    public async Task Checkpoints_are_shared_by_instances_and_kept_apart_by_name()
    {
        var log = (ICheckpointStore)await CreateAsync();
        var peer = (ICheckpointStore)await CreateAsync();
        var id = NewStream("checkpoint");

        await log.WriteCheckpointAsync(id, new StreamId(7, 7));
        await log.WriteCheckpointAsync(id + "%", new StreamId(8, 8));

        Assert.Equal(new StreamId(7, 7), await peer.ReadCheckpointAsync(id));
        Assert.Equal(new StreamId(8, 8), await peer.ReadCheckpointAsync(id + "%"));
        Assert.Null(await peer.ReadCheckpointAsync(id + "_"));
        Assert.Null(await peer.ReadCheckpointAsync(id.ToUpperInvariant()));
    }

    [Fact]
    public async Task An_invalid_checkpoint_id_is_rejected()
    {
        var store = (ICheckpointStore)await CreateAsync();

        var empty = await Assert.ThrowsAsync<ArgumentException>(() => store.WriteCheckpointAsync("", StreamId.Min).AsTask());
        var tooLong = await Assert.ThrowsAsync<ArgumentException>(() => store.ReadCheckpointAsync(new string('c', StreamLog.MaxStreamNameLength + 1)).AsTask());

        Assert.Equal("checkpointId", empty.ParamName);
        Assert.Equal("checkpointId", tooLong.ParamName);
    }

    private static async Task AssertUnchanged(IStreamLog log, string stream, int frames, long version, string document)
    {
        Assert.Equal(frames, (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 100)).Count);
        var summary = await log.ReadSummaryAsync(stream);
        Assert.Equal(version, summary!.Version);
        AssertJson(document, summary.Document);
        var probe = await log.AppendAsync(stream, "probe", AppendMode.Durable);
        Assert.Equal(frames + 1, probe.FrameCount);
        Assert.Equal(version, probe.SummaryVersion);
    }

    protected static void AssertJson(string expected, JsonElement actual) =>
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual.GetRawText())),
            $"expected {expected} but was {actual.GetRawText()}");
}
