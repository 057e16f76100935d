namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// A token already cancelled, as <c>ChannelReader.ReadAsync</c> and <c>Stream.ReadAsync</c> treat it: the call returns a
/// cancelled task (it does not throw at the call), whatever else the call would have done.
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task A_token_already_cancelled_gives_a_cancelled_task_from_every_call_and_never_throws_at_the_call()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var first = await log.AppendAsync(stream, "a", AppendMode.Durable);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var token = cancelled.Token;

        var calls = new (string Name, Func<Task> Call)[]
        {
            ("append", () => log.AppendAsync(stream, Utf8("d"), AppendMode.Durable, token).AsTask()),
            ("summary append", () => log.AppendAsync(stream, Utf8("""{"n":2}"""), AppendMode.DurableSummary, token).AsTask()),
            ("best-effort append", () => log.AppendAsync(stream, Utf8("l"), AppendMode.BestEffortLive, token).AsTask()),
            ("batch", () => log.AppendBatchAsync(stream, [Utf8("b1"), Utf8("b2")], AppendMode.Durable, token).AsTask()),
            ("read", () => log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10, token).AsTask()),
            ("read of an empty range", () => log.ReadAsync(stream, StreamId.Max, StreamId.Min, 10, token).AsTask()),
            ("read of a missing stream", () => log.ReadAsync(NewStream(), StreamId.Min, StreamId.Max, 10, token).AsTask()),
            ("tail that may not wait", () => log.TailAsync(stream, StreamId.Min, TimeSpan.Zero, 10, TailVisibility.All, token).AsTask()),
            ("tail with frames ready", () => log.TailAsync(stream, StreamId.Min, TimeSpan.FromMinutes(1), 10, TailVisibility.All, token).AsTask()),
            ("tail that would wait", () => log.TailAsync(stream, first.Id, TimeSpan.FromMinutes(1), 10, TailVisibility.All, token).AsTask()),
            ("summary read", () => log.ReadSummaryAsync(stream, token).AsTask()),
            ("checkpoint read", () => ((ICheckpointStore)log).ReadCheckpointAsync("c-" + stream, token).AsTask()),
            ("checkpoint write", () => ((ICheckpointStore)log).WriteCheckpointAsync("c-" + stream, first.Id, token).AsTask()),
        };

        await CancelledCalls.AssertEachIsCancelledAsync(calls, Guard);

        Assert.Equal([first.Id], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(f => f.Id));
        Assert.Null(await log.ReadSummaryAsync(stream));
    }
}
