namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// Cancellation and disposal (docs/stream-log.md, "Tailing" and "Errors"): a cancelled call throws
/// <see cref="OperationCanceledException"/> and a call cancelled before it starts writes nothing; disposal ends parked
/// tails with <see cref="ObjectDisposedException"/>, and every call after it throws that.
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task Calls_with_a_token_already_cancelled_throw_cancellation_and_write_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var first = await log.AppendAsync(stream, """{"n":1}""", AppendMode.DurableSummary);
        var checkpoint = "reader-" + stream; // checkpoints are not per stream, and some backends' tests share a server
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var token = cancelled.Token;

        // Each call throws naming the caller's token, as the runtime's async APIs do.
        async Task CancelledAsync(Func<Task> call)
        {
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(call);
            Assert.Equal(token, error.CancellationToken);
        }

        await CancelledAsync(() => log.AppendAsync(stream, Utf8("d"), AppendMode.Durable, token).AsTask());
        await CancelledAsync(() => log.AppendAsync(stream, Utf8("""{"n":2}"""), AppendMode.DurableSummary, token).AsTask());
        await CancelledAsync(() => log.AppendAsync(stream, Utf8("l"), AppendMode.BestEffortLive, token).AsTask());
        await CancelledAsync(() => log.AppendBatchAsync(stream, [Utf8("b1"), Utf8("b2")], AppendMode.Durable, token).AsTask());
        await CancelledAsync(
            () => log.AppendBatchAsync(stream, [Utf8("""{"n":3}""")], AppendMode.DurableSummary, [new Dictionary<string, string> { ["k"] = "v" }], token).AsTask());
        await CancelledAsync(() => ((ICheckpointStore)log).WriteCheckpointAsync(checkpoint, first.Id, token).AsTask());
        await CancelledAsync(() => log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10, token).AsTask());
        await CancelledAsync(() => log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 10, TailVisibility.All, token).AsTask());
        await CancelledAsync(() => log.TailAsync(stream, first.Id, TimeSpan.FromMinutes(1), 10, TailVisibility.All, token).AsTask());
        await CancelledAsync(() => log.ReadSummaryAsync(stream, token).AsTask());
        await CancelledAsync(() => ((ICheckpointStore)log).ReadCheckpointAsync(checkpoint, token).AsTask());

        // Nothing was written: one frame, the first patch only, no checkpoint; the next append follows the first.
        Assert.Equal([first.Id], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(f => f.Id));
        var summary = await log.ReadSummaryAsync(stream);
        Assert.Equal(1, summary!.Version);
        AssertJson("""{"n":1}""", summary.Document);
        Assert.Null(await ((ICheckpointStore)log).ReadCheckpointAsync(checkpoint));
        var next = await log.AppendAsync(stream, "after", AppendMode.Durable);
        Assert.Equal(2, next.FrameCount);
        Assert.Equal(1, next.SummaryVersion);
    }

    [Fact]
    public async Task A_parked_tail_cancelled_throws_cancellation_and_the_log_goes_on()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var timers = Clock.TimersCreated;
        using var cancel = new CancellationTokenSource();

        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromMinutes(10), 10, TailVisibility.All, cancel.Token).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        Assert.False(tail.IsCompleted);
        await cancel.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tail.WaitAsync(Guard));
        Assert.Equal(cancel.Token, error.CancellationToken); // the caller's token, not the one the log links to its disposal
        await log.AppendAsync(stream, "a", AppendMode.Durable);
        Assert.Equal(["a"], (await log.TailAsync(stream, StreamId.Min, TimeSpan.FromMinutes(10), 10).AsTask().WaitAsync(Guard)).Select(Text));
    }

    [Fact]
    public async Task Disposing_the_log_ends_parked_tails_with_object_disposed_and_every_later_call_throws_it()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var first = await log.AppendAsync(stream, "a", AppendMode.Durable);
        var timers = Clock.TimersCreated;
        var tail = log.TailAsync(stream, first.Id, TimeSpan.FromMinutes(10), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);

        // An endless tail parks with no timer where the backend does not poll; parked or about to, disposal ends it.
        var forever = log.TailAllAsync(stream, first.Id).GetAsyncEnumerator();
        var next = forever.MoveNextAsync().AsTask();
        Assert.False(tail.IsCompleted);
        Assert.False(next.IsCompleted);

        await log.DisposeAsync().AsTask().WaitAsync(Guard);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => tail.WaitAsync(Guard));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => next.WaitAsync(Guard));
        await forever.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendAsync(stream, "b", AppendMode.Durable).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendBatchAsync(stream, [Utf8("b")], AppendMode.Durable).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 10).AsTask());
        Assert.Throws<ObjectDisposedException>(() => log.TailAllAsync(stream, StreamId.Min));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.ReadSummaryAsync(stream).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ((ICheckpointStore)log).ReadCheckpointAsync("reader").AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ((ICheckpointStore)log).WriteCheckpointAsync("reader", first.Id).AsTask());
        await log.DisposeAsync(); // idempotent
    }
}

/// <summary>Payloads of every length, empty included, come back as they were appended.</summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task An_empty_payload_is_stored_and_read_back_empty_in_every_mode_and_in_batches()
    {
        var log = await CreateAsync();
        var stream = NewStream();

        await log.AppendAsync(stream, ReadOnlyMemory<byte>.Empty, AppendMode.Durable);
        await log.AppendAsync(stream, Array.Empty<byte>(), AppendMode.BestEffortLive);
        await log.AppendBatchAsync(stream, [ReadOnlyMemory<byte>.Empty, Utf8("x"), new byte[3].AsMemory(1, 0)], AppendMode.Durable);
        await log.AppendAsync(stream, new byte[8].AsMemory(2, 0), AppendMode.Durable, new Dictionary<string, string> { ["k"] = "" });

        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        Assert.Equal([0, 0, 0, 1, 0, 0], frames.Select(f => f.Payload.Length));
        Assert.Equal("", frames[^1].Headers["k"]);
        Assert.Equal(frames.Select(f => f.Id), (await log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 10)).Select(f => f.Id));
    }

    [Fact]
    public async Task An_endless_tail_cancelled_mid_batch_ends_at_its_next_step_and_yields_nothing_more_of_the_batch()
    {
        // Three frames are read in one batch; the consumer cancels after the first. A slow consumer that cancels at
        // shutdown must not be handed the rest of a batch of up to MaxReadCount frames first (as ToAsyncEnumerable ends
        // at its next MoveNextAsync with items buffered). Through the argument and through WithCancellation.
        var log = await CreateAsync();
        var stream = NewStream();
        await log.AppendBatchAsync(stream, [Utf8("a"), Utf8("b"), Utf8("c")], AppendMode.Durable);
        foreach (var byArgument in new[] { true, false })
        {
            using var cancel = new CancellationTokenSource();
            var seen = new List<string>();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                var tail = byArgument
                    ? log.TailAllAsync(stream, StreamId.Min, TailVisibility.All, cancel.Token).GetAsyncEnumerator()
                    : log.TailAllAsync(stream, StreamId.Min).GetAsyncEnumerator(cancel.Token);
                await using (tail)
                {
                    while (await tail.MoveNextAsync())
                    {
                        seen.Add(Text(tail.Current));
                        await cancel.CancelAsync();
                    }
                }
            }).WaitAsync(Guard);

            Assert.Equal(["a"], seen);
            Assert.Equal(cancel.Token, error.CancellationToken);
        }
    }
}
