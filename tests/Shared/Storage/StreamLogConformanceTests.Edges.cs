using System.Text.Json.Nodes;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// Edges every backend must treat alike: payloads given as slices of larger arrays and payloads of megabytes, summary
/// merges compared with <see cref="JsonMergePatch"/> itself (PostgreSQL merges on the server), and the best-effort rate
/// carried from one log instance to another through storage.
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task Payloads_given_as_slices_and_payloads_of_megabytes_come_back_byte_for_byte()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var bytes = new byte[] { 1, 2, 3, 4, 5 };
        var big = new byte[4 * 1024 * 1024 + 3];
        new Random(1).NextBytes(big);
        await log.AppendAsync(stream, bytes.AsMemory(1, 3), AppendMode.Durable);
        await log.AppendAsync(stream, bytes.AsMemory(2, 2), AppendMode.BestEffortLive);
        await log.AppendBatchAsync(stream, [bytes.AsMemory(0, 1), bytes.AsMemory(4, 1), big], AppendMode.Durable);

        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);

        Assert.Equal([new byte[] { 2, 3, 4 }, new byte[] { 3, 4 }, [1], [5], big], frames.Select(f => f.Payload.ToArray()));
    }

    [Fact]
    public async Task Summary_merges_on_every_backend_equal_JsonMergePatch_on_arrays_nulls_empty_objects_and_numbers()
    {
        // RFC 7396: arrays (and the nulls and sentinels inside them) replace whole, an object patch on a scalar starts
        // from an empty object, a null member deletes (also inside a new object), an empty patch changes nothing.
        var log = await CreateAsync(requireObjectPatch: false);
        var stream = NewStream();
        string[] patches =
        [
            """{"a":[{"x":null},"$null",null],"b":5,"c":{"keep":1},"n":1.50,"big":123456789012345678901234567890}""",
            """{"b":{},"c":{"d":{"e":null,"f":1}},"new":{"g":null,"h":{"i":"$null"}}}""",
            """{"c":{"keep":null,"d":{"f":[]}},"b":{"x":{}}}""",
            """{}""",
            """{"u":"é\u00e9\\\"","e":""}""",
        ];
        JsonNode? expected = null;
        foreach (var p in patches)
        {
            await log.AppendAsync(stream, p, AppendMode.DurableSummary);
            expected = JsonMergePatch.Apply(expected, JsonNode.Parse(p));
        }

        var summary = await log.ReadSummaryAsync(stream);

        AssertJson(expected!.ToJsonString(), summary!.Document);
        Assert.Equal(patches.Length, summary.Version);
    }

    [Fact]
    public async Task Best_effort_appends_alternating_between_two_instances_trim_as_one_instance_would()
    {
        // The rate average and the retained count live in storage, so a second instance (another process) carries them on.
        var retention = new LiveRetentionOptions { Floor = 2, Ceiling = 1000, Ttl = TimeSpan.FromSeconds(1), Alpha = 0.5 };
        var a = await CreateAsync(retention: retention);
        var b = await CreateAsync(retention: retention);
        var reference = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = Clock, LiveRetention = retention });
        Track(reference);
        var stream = NewStream();
        var counts = new List<(long Expected, long Actual)>();
        for (var i = 0; i < 30; i++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(i < 15 ? 10 : 300));
            var r = await (i % 2 == 0 ? a : b).AppendAsync(stream, $"l{i}", AppendMode.BestEffortLive);
            var expected = await reference.AppendAsync(stream, $"l{i}", AppendMode.BestEffortLive);
            counts.Add((expected.FrameCount, r.FrameCount));
        }

        Assert.True(counts[^1].Expected < 15, "the slower appends must have trimmed frames");
        Assert.All(counts, c => Assert.Equal(c.Expected, c.Actual));
        Assert.Equal((await reference.ReadAsync(stream, StreamId.Min, StreamId.Max, 100)).Select(Text), (await b.ReadAsync(stream, StreamId.Min, StreamId.Max, 100)).Select(Text));
    }

    [Fact]
    public async Task Reads_and_tails_from_a_cursor_whose_frame_was_trimmed_return_what_follows_it()
    {
        var log = await CreateAsync(retention: new LiveRetentionOptions { Floor = 2, Ceiling = 2 });
        var stream = NewStream();
        await log.AppendAsync(stream, "d", AppendMode.Durable);
        var live = new List<AppendResult>();
        for (var i = 0; i < 5; i++)
        {
            live.Add(await log.AppendAsync(stream, $"l{i}", AppendMode.BestEffortLive));
        }

        // l0, l1 and l2 were trimmed: the cursors naming them point between frames that still exist.
        Assert.Equal(3, live[^1].FrameCount);
        Assert.Equal(["d", "l3", "l4"], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
        Assert.Equal(["l3", "l4"], (await log.TailAsync(stream, live[0].Id, TimeSpan.Zero, 10)).Select(Text));
        Assert.Equal(["l3", "l4"], (await log.TailAsync(stream, live[2].Id, TimeSpan.Zero, 10)).Select(Text));
        Assert.Equal(["l3"], (await log.TailAsync(stream, live[1].Id, TimeSpan.Zero, 1)).Select(Text));
        Assert.Empty(await log.TailAsync(stream, live[0].Id, TimeSpan.Zero, 10, TailVisibility.ExcludeBestEffort));
        Assert.Equal(["l3", "l4"], (await log.ReadAsync(stream, live[1].Id, StreamId.Max, 10)).Select(Text));
        Assert.Empty(await log.ReadAsync(stream, live[0].Id, live[2].Id, 10));

        // At the end, past it, and from the very start with a limit.
        Assert.Equal(["l4"], (await log.ReadAsync(stream, live[4].Id, StreamId.Max, 10)).Select(Text));
        Assert.Empty(await log.ReadAsync(stream, live[4].Id.Successor(), StreamId.Max, 10));
        Assert.Empty(await log.ReadAsync(stream, StreamId.Max, StreamId.Max, 10));
        Assert.Equal(["d", "l3"], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 2)).Select(Text));

        // An endless tail from a trimmed cursor starts at the first frame after it.
        using var stop = new CancellationTokenSource(Guard);
        var tailed = new List<string>();
        await foreach (var frame in log.TailAllAsync(stream, live[1].Id, TailVisibility.All, stop.Token))
        {
            tailed.Add(Text(frame));
            if (tailed.Count == 2)
            {
                break;
            }
        }

        Assert.Equal(["l3", "l4"], tailed);
    }
}
