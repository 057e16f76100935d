namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// What a caller keeps past the log's lifetime and what the endless tail does with a token already cancelled
/// (docs/stream-log.md, "Reading" and "Tailing"), and checkpoint ids held to the stream-name rules.
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task An_endless_tail_with_a_token_already_cancelled_ends_cancelled_even_with_frames_ready()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, "a", AppendMode.Durable);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        foreach (var visibility in new[] { TailVisibility.All, TailVisibility.ExcludeBestEffort })
        {
            var byArgument = log.TailAllAsync(stream, StreamId.Min, visibility, cancelled.Token).GetAsyncEnumerator();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => byArgument.MoveNextAsync().AsTask().WaitAsync(Guard));
            Assert.Equal(cancelled.Token, error.CancellationToken);
            await byArgument.DisposeAsync();

            async Task EnumerateWithAsync()
            {
                await foreach (var frame in log.TailAllAsync(stream, StreamId.Min, visibility).WithCancellation(cancelled.Token))
                {
                    Assert.Fail($"got {frame.Id} through a cancelled token");
                }
            }

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => EnumerateWithAsync().WaitAsync(Guard));
        }

        // The log goes on.
        await using var next = log.TailAllAsync(stream, StreamId.Min).GetAsyncEnumerator();
        Assert.True(await next.MoveNextAsync().AsTask().WaitAsync(Guard));
        Assert.Equal("a", Text(next.Current));
    }

    [Fact]
    public async Task Frames_and_summaries_read_before_disposal_stay_usable_after_it()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, Utf8("payload"), AppendMode.Durable, new Dictionary<string, string> { ["k"] = "v" });
        await log.AppendAsync(stream, """{"a":{"b":[1,"x"]}}""", AppendMode.DurableSummary);
        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        var summary = await log.ReadSummaryAsync(stream);

        await log.DisposeAsync();

        Assert.Equal("payload", Text(frames[0]));
        Assert.Equal("v", frames[0].Headers["k"]);
        Assert.Equal("x", summary!.Document.GetProperty("a").GetProperty("b")[1].GetString());
        AssertJson("""{"a":{"b":[1,"x"]}}""", summary.Document);
    }

    [Fact]
    public async Task A_log_disposed_synchronously_throws_object_disposed_and_disposes_again_quietly()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, "a", AppendMode.Durable);
        var disposable = Assert.IsAssignableFrom<IDisposable>(log);

        disposable.Dispose();
        disposable.Dispose();
        await log.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendAsync(stream, "b", AppendMode.Durable).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.ReadSummaryAsync(stream).AsTask());
    }

    // By index: xUnit's theory data would turn a lone surrogate into U+FFFD before the test saw it.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_checkpoint_id_with_a_control_character_or_an_unpaired_surrogate_is_rejected_and_nothing_is_written(int which)
    {
        var bad = new[] { "\u0001", "\n", "\ud800", "\udc00x" }[which];
        var store = (ICheckpointStore)await CreateAsync();
        var id = NewStream("checkpoint") + bad;
        var stripped = id.Replace(bad, "", StringComparison.Ordinal);

        var write = await Assert.ThrowsAsync<ArgumentException>(() => store.WriteCheckpointAsync(id, new StreamId(5, 5)).AsTask());
        var read = await Assert.ThrowsAsync<ArgumentException>(() => store.ReadCheckpointAsync(id).AsTask());
        var nullId = await Assert.ThrowsAsync<ArgumentNullException>(() => store.ReadCheckpointAsync(null!).AsTask());

        Assert.Equal("checkpointId", write.ParamName);
        Assert.Equal("checkpointId", read.ParamName);
        Assert.Equal("checkpointId", nullId.ParamName);
        Assert.Null(await store.ReadCheckpointAsync(stripped));
        Assert.Null(await store.ReadCheckpointAsync(stripped + "\ufffd"));
    }
}
