namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// Every member of <see cref="IStreamLog"/>, <see cref="ICheckpointStore"/> and the text extensions, given one bad
/// argument at a time, throws the exception docs/stream-log.md ("Errors") lists, naming the parameter, on every backend;
/// after all of them the log's content (frames, summary, checkpoint) is what it was and the next call works. Checkpoint
/// ids with the characters key-value and SQL backends treat specially each keep their own position.
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task Each_bad_argument_of_each_call_is_named_and_leaves_the_log_as_it_was()
    {
        var log = await CreateAsync();
        var store = (ICheckpointStore)log;
        var stream = NewStream();
        var seeded = await log.AppendAsync(stream, """{"a":1}""", AppendMode.DurableSummary);
        await store.WriteCheckpointAsync(stream, seeded.Id);
        var tooLong = new string('n', StreamLog.MaxStreamNameLength + 1);
        var ok = (ReadOnlyMemory<byte>)Utf8("x");

        var cases = new (string Call, Type Exception, string? Parameter, Func<Task> Run)[]
        {
            ("append, null stream", typeof(ArgumentNullException), "stream", () => log.AppendAsync(null!, ok, AppendMode.Durable).AsTask()),
            ("append, name too long", typeof(ArgumentException), "stream", () => log.AppendAsync(tooLong, ok, AppendMode.Durable).AsTask()),
            ("append, NUL in name", typeof(ArgumentException), "stream", () => log.AppendAsync(stream + "\0", ok, AppendMode.Durable).AsTask()),
            ("append, undefined mode", typeof(ArgumentOutOfRangeException), "mode", () => log.AppendAsync(stream, ok, (AppendMode)(-1)).AsTask()),
            ("append text, null text", typeof(ArgumentNullException), "text", () => log.AppendAsync(stream, (string)null!, AppendMode.Durable).AsTask()),
            ("append text, lone surrogate", typeof(ArgumentException), "text", () => log.AppendAsync(stream, "a\uDC00", AppendMode.Durable).AsTask()),
            ("batch, null stream", typeof(ArgumentNullException), "stream", () => log.AppendBatchAsync(null!, [ok], AppendMode.Durable).AsTask()),
            ("batch, null frames", typeof(ArgumentNullException), "frames", () => log.AppendBatchAsync(stream, null!, AppendMode.Durable).AsTask()),
            ("batch, no frames", typeof(ArgumentException), "frames", () => log.AppendBatchAsync(stream, [], AppendMode.DurableSummary).AsTask()),
            ("batch, undefined mode", typeof(ArgumentOutOfRangeException), "mode", () => log.AppendBatchAsync(stream, [ok], (AppendMode)3).AsTask()),
            ("batch, bad patch in the middle", typeof(ArgumentException), "frames[1]",
                () => log.AppendBatchAsync(stream, [Utf8("""{"b":1}"""), Utf8("{"), Utf8("""{"c":1}""")], AppendMode.DurableSummary).AsTask()),
            ("batch, bad headers in the middle", typeof(ArgumentException), "headers[1]",
                () => log.AppendBatchAsync(stream, [ok, ok, ok], AppendMode.Durable, [null, new Dictionary<string, string> { ["a\tb"] = "v" }, null]).AsTask()),
            ("read, null stream", typeof(ArgumentNullException), "stream", () => log.ReadAsync(null!, StreamId.Min, StreamId.Max, 1).AsTask()),
            ("read, zero limit", typeof(ArgumentOutOfRangeException), "limit", () => log.ReadAsync(stream, StreamId.Min, StreamId.Max, 0).AsTask()),
            ("read, most negative limit", typeof(ArgumentOutOfRangeException), "limit", () => log.ReadAsync(stream, StreamId.Max, StreamId.Min, int.MinValue).AsTask()),
            ("read text, null from", typeof(ArgumentNullException), "from", () => log.ReadAsync(stream, null!, "+", 1).AsTask()),
            ("read text, null to", typeof(ArgumentNullException), "to", () => log.ReadAsync(stream, "-", null!, 1).AsTask()),
            ("tail, null stream", typeof(ArgumentNullException), "stream", () => log.TailAsync(null!, StreamId.Min, TimeSpan.Zero, 1).AsTask()),
            ("tail, negative block", typeof(ArgumentOutOfRangeException), "block", () => log.TailAsync(stream, StreamId.Min, TimeSpan.FromTicks(-1), 1).AsTask()),
            ("tail, most negative block", typeof(ArgumentOutOfRangeException), "block", () => log.TailAsync(stream, StreamId.Min, TimeSpan.MinValue, 1).AsTask()),
            ("tail, zero limit", typeof(ArgumentOutOfRangeException), "limit", () => log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 0).AsTask()),
            ("tail, undefined visibility", typeof(ArgumentOutOfRangeException), "visibility", () => log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 1, (TailVisibility)2).AsTask()),
            ("tail text, null cursor", typeof(ArgumentNullException), "after", () => log.TailAsync(stream, (string)null!, TimeSpan.Zero, 1).AsTask()),
            ("tail all, null stream", typeof(ArgumentNullException), "stream", () => Task.FromResult(log.TailAllAsync(null!, StreamId.Min))),
            ("tail all, undefined visibility", typeof(ArgumentOutOfRangeException), "visibility", () => Task.FromResult(log.TailAllAsync(stream, StreamId.Min, (TailVisibility)(-1)))),
            ("summary, null stream", typeof(ArgumentNullException), "stream", () => log.ReadSummaryAsync(null!).AsTask()),
            ("summary, empty stream", typeof(ArgumentException), "stream", () => log.ReadSummaryAsync("").AsTask()),
            ("read checkpoint, null id", typeof(ArgumentNullException), "checkpointId", () => store.ReadCheckpointAsync(null!).AsTask()),
            ("read checkpoint, control character", typeof(ArgumentException), "checkpointId", () => store.ReadCheckpointAsync(stream + "\u007F").AsTask()),
            ("write checkpoint, null id", typeof(ArgumentNullException), "checkpointId", () => store.WriteCheckpointAsync(null!, StreamId.Max).AsTask()),
            ("write checkpoint, id too long", typeof(ArgumentException), "checkpointId", () => store.WriteCheckpointAsync(tooLong, StreamId.Max).AsTask()),
            ("write checkpoint, lone surrogate", typeof(ArgumentException), "checkpointId", () => store.WriteCheckpointAsync(stream + "\uD800", StreamId.Max).AsTask()),
        };

        foreach (var (call, exception, parameter, run) in cases)
        {
            var error = await Record.ExceptionAsync(run);
            if (error?.GetType() != exception || ((ArgumentException)error).ParamName != parameter || !error.Message.Contains($"'{parameter}'", StringComparison.Ordinal))
            {
                Assert.Fail($"{call}: expected {exception.Name} naming '{parameter}', got {error?.GetType().Name ?? "no exception"}: {error?.Message}");
            }
        }

        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        Assert.Equal([seeded.Id], frames.Select(f => f.Id));
        var summary = await log.ReadSummaryAsync(stream);
        Assert.Equal(1, summary!.Version);
        AssertJson("""{"a":1}""", summary.Document);
        Assert.Equal(seeded.Id, await store.ReadCheckpointAsync(stream));
        Assert.Null(await store.ReadCheckpointAsync(stream + "\uFFFD"));
        var next = await log.AppendBatchAsync(stream, [Utf8("""{"b":2}""")], AppendMode.DurableSummary);
        Assert.Equal((seeded.Id.Successor(), 2L, 2L), (next.FirstId, next.FrameCount, next.SummaryVersion));
    }

    [Fact]
    public async Task Checkpoint_ids_with_characters_backends_treat_specially_each_keep_their_own_position()
    {
        var log = await CreateAsync();
        var store = (ICheckpointStore)log;
        var peer = (ICheckpointStore)await CreateAsync();
        var suffix = Guid.NewGuid().ToString("N");
        string[] ids =
        [
            suffix, suffix.ToUpperInvariant(), suffix + " ", " " + suffix, suffix + "\u3000", suffix + "%", suffix + "_", suffix + "*",
            suffix + "'; DELETE FROM rs_checkpoints; --", suffix + "\\", "{" + suffix + "}", "}" + suffix, suffix + "}", "checkpoint:" + suffix,
            suffix + ":d", "{" + suffix + "}:m", "\u00e9" + suffix, "e\u0301" + suffix, suffix + "😀",
            new string('é', StreamLog.MaxStreamNameLength - 32) + suffix,
        ];

        for (var i = 0; i < ids.Length; i++)
        {
            await store.WriteCheckpointAsync(ids[i], new StreamId(i + 1, i));
        }

        // A stream named like a checkpoint is another thing: appending to it moves no checkpoint, and a checkpoint
        // creates no stream.
        await log.AppendAsync(ids[0], "frame", AppendMode.Durable);
        Assert.Empty(await log.ReadAsync(ids[1], StreamId.Min, StreamId.Max, 10));
        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(new StreamId(i + 1, i), await peer.ReadCheckpointAsync(ids[i]));
        }

        // Moving back is allowed (a replay), and the last write wins.
        await store.WriteCheckpointAsync(ids[0], StreamId.Min);
        Assert.Equal(StreamId.Min, await peer.ReadCheckpointAsync(ids[0]));
        Assert.Equal(new StreamId(2, 1), await peer.ReadCheckpointAsync(ids[1]));
    }
}
