using System.Collections;

namespace Reactive.Streams.Storage.Tests;

/// <summary>Frame headers: stored by every backend, returned by reads and tails, validated before anything is written.</summary>
public abstract partial class StreamLogConformanceTests
{
    private static readonly Dictionary<string, string> s_trace = new()
    {
        [FrameHeaders.TraceParent] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        [FrameHeaders.TraceState] = "congo=t61rcWkgMzE",
    };

    [Theory]
    [InlineData(AppendMode.Durable)]
    [InlineData(AppendMode.DurableSummary)]
    [InlineData(AppendMode.BestEffortLive)]
    public async Task Headers_round_trip_through_read_tail_and_tail_all(AppendMode mode)
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var payload = mode == AppendMode.DurableSummary ? """{"a":1}""" : "x";

        await log.AppendAsync(stream, payload, mode, s_trace);

        var read = Assert.Single(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
        var tail = Assert.Single(await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 10));
        await using var all = log.TailAllAsync(stream, StreamId.Min).GetAsyncEnumerator();
        Assert.True(await all.MoveNextAsync().AsTask().WaitAsync(Guard));
        foreach (var frame in new[] { read, tail, all.Current })
        {
            Assert.Equal(s_trace.OrderBy(h => h.Key), frame.Headers.OrderBy(h => h.Key));
            Assert.Equal(payload, Text(frame));
            Assert.Equal(mode, frame.Mode);
        }
    }

    [Fact]
    public async Task A_frame_without_headers_has_the_shared_empty_headers()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, "plain", AppendMode.Durable);
        await log.AppendAsync(stream, "empty", AppendMode.Durable, new Dictionary<string, string>());
        await log.AppendAsync(stream, "null", AppendMode.Durable, headers: null);
        await log.AppendBatchAsync(stream, [Utf8("b1"), Utf8("b2")], AppendMode.Durable);

        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);

        Assert.Equal(5, frames.Count);
        Assert.All(frames, f => Assert.Same(FrameHeaders.Empty, f.Headers));
    }

    [Theory]
    [InlineData(AppendMode.Durable)]
    [InlineData(AppendMode.DurableSummary)]
    [InlineData(AppendMode.BestEffortLive)]
    public async Task A_batch_stores_each_frames_own_headers_across_multi_row_inserts(AppendMode mode)
    {
        var log = await CreateAsync(retention: new LiveRetentionOptions { Floor = 200, Ceiling = 200 });
        var stream = NewStream();
        // 120 frames: more than one multi-row statement on the SQL backends; every third frame has no headers.
        var frames = Enumerable.Range(0, 120)
            .Select(i => Utf8(mode == AppendMode.DurableSummary ? $$"""{"n":{{i}}}""" : $"f{i}"))
            .Select(b => (ReadOnlyMemory<byte>)b).ToList();
        var headers = Enumerable.Range(0, 120)
            .Select(i => i % 3 == 0 ? null : (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { ["n"] = $"{i}", ["k"] = "v" })
            .ToList();

        await log.AppendBatchAsync(stream, frames, mode, headers);

        var read = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 200);
        var tailed = await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 200);
        foreach (var got in new[] { read, tailed })
        {
            Assert.Equal(120, got.Count);
            for (var i = 0; i < 120; i++)
            {
                if (i % 3 == 0)
                {
                    Assert.Same(FrameHeaders.Empty, got[i].Headers);
                }
                else
                {
                    Assert.Equal(new Dictionary<string, string> { ["n"] = $"{i}", ["k"] = "v" }, got[i].Headers.OrderBy(h => h.Key).ToDictionary());
                }
            }
        }
    }

    [Fact]
    public async Task Header_text_round_trips_exactly()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var headers = new Dictionary<string, string>
        {
            ["quote\"and\\backslash"] = "line\nbreak\ttab and nul \0 end",
            ["ünïcödé-键"] = "😀 emoji, <html> & 'quotes'",
            ["Case"] = "upper",
            ["case"] = "lower",
            ["empty"] = "",
        };

        await log.AppendAsync(stream, "x", AppendMode.Durable, headers);

        var frame = Assert.Single(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
        Assert.Equal(headers.OrderBy(h => h.Key, StringComparer.Ordinal), frame.Headers.OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Equal("upper", frame.Headers["Case"]);
        Assert.False(frame.Headers.ContainsKey("CASE"));
    }

    [Fact]
    public async Task The_log_stores_the_headers_as_they_were_at_the_append()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var headers = new Dictionary<string, string> { ["k"] = "before" };

        await log.AppendAsync(stream, "x", AppendMode.Durable, headers);
        headers["k"] = "after";
        headers["added"] = "later";

        var frame = Assert.Single(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
        Assert.Equal([new KeyValuePair<string, string>("k", "before")], frame.Headers);
    }

    public static TheoryData<string, string> BadHeaders => new()
    {
        { "null key", "null or empty" },
        { "empty key", "null or empty" },
        { "control key", "control character" },
        { "long key", "characters long" },
        { "null value", "is null" },
        { "surrogate value", "unpaired surrogate" },
        { "too many", $"at most {FrameHeaders.MaxCount} headers" },
        { "too long", $"more than {FrameHeaders.MaxLength} characters" },
        { "duplicate key", "'k' appears more than once" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public async Task Bad_headers_are_rejected_naming_the_parameter_and_nothing_is_written(string bad, string message)
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var headers = BadHeader(bad);

        var single = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(stream, Utf8("x"), AppendMode.Durable, headers).AsTask());
        var summary = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(stream, Utf8("""{"a":1}"""), AppendMode.DurableSummary, headers).AsTask());
        var batch = await Assert.ThrowsAsync<ArgumentException>(
            () => log.AppendBatchAsync(stream, [Utf8("ok"), Utf8("bad")], AppendMode.BestEffortLive, [s_trace, headers]).AsTask());

        Assert.Equal("headers", single.ParamName);
        Assert.Equal("headers", summary.ParamName);
        Assert.Equal("headers[1]", batch.ParamName);
        Assert.All(new[] { single, summary, batch }, e => Assert.Contains(message, e.Message, StringComparison.Ordinal));
        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
        Assert.Null(await log.ReadSummaryAsync(stream));
    }

    [Fact]
    public async Task A_batch_whose_header_count_differs_from_its_frame_count_is_rejected()
    {
        var log = await CreateAsync();
        var stream = NewStream();

        var e = await Assert.ThrowsAsync<ArgumentException>(
            () => log.AppendBatchAsync(stream, [Utf8("a"), Utf8("b")], AppendMode.Durable, [s_trace]).AsTask());

        Assert.Equal("headers", e.ParamName);
        Assert.Contains("2 frames but 1 header entries", e.Message, StringComparison.Ordinal);
        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
    }

    [Fact]
    public async Task Headers_at_the_limits_are_accepted()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var many = Enumerable.Range(0, FrameHeaders.MaxCount).ToDictionary(i => $"k{i:D2}", i => "v");
        var longest = new Dictionary<string, string>
        {
            [new string('k', FrameHeaders.MaxKeyLength)] = new string('v', FrameHeaders.MaxLength - FrameHeaders.MaxKeyLength),
        };

        await log.AppendAsync(stream, "many", AppendMode.Durable, many);
        await log.AppendAsync(stream, "longest", AppendMode.Durable, longest);

        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        Assert.Equal(FrameHeaders.MaxCount, frames[0].Headers.Count);
        Assert.Equal(longest, frames[1].Headers.ToDictionary());
    }

    private static IReadOnlyDictionary<string, string> BadHeader(string bad) => bad switch
    {
        "null key" => new Pairs([new(null!, "v")]),
        "empty key" => new Dictionary<string, string> { [""] = "v" },
        "control key" => new Dictionary<string, string> { ["a\nb"] = "v" },
        "long key" => new Dictionary<string, string> { [new string('k', FrameHeaders.MaxKeyLength + 1)] = "v" },
        "null value" => new Dictionary<string, string> { ["k"] = null! },
        "surrogate value" => new Dictionary<string, string> { ["k"] = "a\uD800b" },
        "too many" => Enumerable.Range(0, FrameHeaders.MaxCount + 1).ToDictionary(i => $"k{i}", i => "v"),
        "too long" => new Dictionary<string, string> { ["k"] = new string('v', FrameHeaders.MaxLength) },
        // Only a custom dictionary can repeat a key; kept, the in-memory log failed half-way and the others kept one value.
        "duplicate key" => new Pairs([new("other", "v"), new("k", "first"), new("k", "second")]),
        _ => throw new ArgumentOutOfRangeException(nameof(bad), bad, null),
    };

    /// <summary>A read-only dictionary that can hold what <see cref="Dictionary{TKey, TValue}"/> refuses: a null key, a repeated key.</summary>
    private sealed class Pairs(List<KeyValuePair<string, string>> pairs) : IReadOnlyDictionary<string, string>
    {
        public string this[string key] => pairs.First(p => p.Key == key).Value;

        public IEnumerable<string> Keys => pairs.Select(p => p.Key);

        public IEnumerable<string> Values => pairs.Select(p => p.Value);

        public int Count => pairs.Count;

        public bool ContainsKey(string key) => pairs.Any(p => p.Key == key);

        public bool TryGetValue(string key, out string value)
        {
            var found = pairs.FindIndex(p => p.Key == key);
            value = found < 0 ? null! : pairs[found].Value;
            return found >= 0;
        }

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => pairs.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
