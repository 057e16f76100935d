using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// Cancellation and disposal at each await point of a call, with its command held in flight
/// (<see cref="LoadingServer.Hold"/>) and sent to the real server only when the test releases it. docs/stream-log.md: a
/// cancelled call stops waiting and throws <see cref="OperationCanceledException"/>, and its command may still run; a
/// call whose command is in flight when the log is disposed throws <see cref="ObjectDisposedException"/>. A summary
/// append reads the summary first (<c>HMGET</c>) and only then sends its script: stopped there, it writes nothing.
/// (Part of <see cref="RedisLoadingTests"/>, whose wrapper and helpers they share.)
/// </summary>
public sealed partial class RedisLoadingTests
{
    private const string ReadSummary = nameof(IDatabase.HashGetAsync);
    private const string Script = nameof(IDatabase.ScriptEvaluateAsync);

    [Fact]
    public async Task A_summary_append_cancelled_while_it_reads_the_summary_writes_nothing_and_the_next_one_works()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var held = _loading.Hold(ReadSummary);
        using var cancel = new CancellationTokenSource();

        var append = log.AppendAsync(stream, Utf8("""{"a":1}"""), AppendMode.DurableSummary, cancel.Token).AsTask();
        await held.Reached.Task.WaitAsync(Guard);
        await cancel.CancelAsync();

        // The call ends at once, while its read is still in flight; the read then runs, and no script follows it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => append.WaitAsync(Guard));
        held.Release();
        await held.Ran.Task.WaitAsync(Guard);
        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
        Assert.Null(await log.ReadSummaryAsync(stream));

        var next = await log.AppendAsync(stream, Utf8("""{"b":2}"""), AppendMode.DurableSummary);
        Assert.Equal((1L, 1L), (next.FrameCount, next.SummaryVersion));
    }

    [Theory]
    [InlineData(AppendMode.Durable)]
    [InlineData(AppendMode.DurableSummary)]
    [InlineData(AppendMode.BestEffortLive)]
    public async Task An_append_cancelled_while_its_script_is_in_flight_throws_at_once_and_the_script_runs_once(AppendMode mode)
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var held = _loading.Hold(Script);
        using var cancel = new CancellationTokenSource();

        var append = log.AppendBatchAsync(stream, [Utf8("""{"a":1}"""), Utf8("""{"b":2}""")], mode, cancel.Token).AsTask();
        await held.Reached.Task.WaitAsync(Guard);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => append.WaitAsync(Guard));
        held.Release();
        await held.Ran.Task.WaitAsync(Guard);

        // The command the cancelled call had sent ran whole, once: the log goes on after it.
        Assert.Equal(2, (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Count);
        var next = await log.AppendAsync(stream, Utf8("""{"c":3}"""), mode);
        Assert.Equal(3, next.FrameCount);
        Assert.Equal(mode == AppendMode.DurableSummary ? 3 : 0, next.SummaryVersion);
    }

    [Fact]
    public async Task A_claim_cancelled_while_in_flight_leaves_what_it_took_pending_with_its_consumer_who_takes_it_back()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        await log.AppendBatchAsync(stream, [Utf8("a"), Utf8("b")], AppendMode.Durable);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var held = _loading.Hold(Script);
        using var cancel = new CancellationTokenSource();

        var claim = log.ClaimAsync(stream, "g", "c1", 10, TimeSpan.FromMinutes(1), cancel.Token).AsTask();
        await held.Reached.Task.WaitAsync(Guard);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => claim.WaitAsync(Guard));
        held.Release();
        await held.Ran.Task.WaitAsync(Guard);

        // The claim ran: its frames are c1's, not handed out again before their timeout, and c1's history gives them back.
        Assert.Equal(["c1", "c1"], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Consumer));
        Assert.Empty((await log.ClaimAsync(stream, "g", "c2", 10, TimeSpan.FromMinutes(1))).Frames);
        var own = await log.ClaimOwnPendingAsync(stream, "g", "c1", StreamId.Min, 10);
        Assert.Equal(["a", "b"], own.Frames.Select(f => Text(f.Frame)));
        Assert.Equal(2, await log.AcknowledgeAsync(stream, "g", own.Frames.Select(f => f.Frame.Id).ToArray()));
    }

    [Fact]
    public async Task A_summary_append_reading_the_summary_when_the_log_is_disposed_throws_object_disposed_and_writes_nothing()
    {
        // The log is on a multiplexer it does not own, which stays open after the disposal.
        var log = await OpenAsync();
        var stream = NewStream();
        var held = _loading.Hold(ReadSummary);

        var append = log.AppendAsync(stream, Utf8("""{"a":1}"""), AppendMode.DurableSummary).AsTask();
        await held.Reached.Task.WaitAsync(Guard);
        await log.DisposeAsync();
        held.Release();
        await held.Ran.Task.WaitAsync(Guard);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => append.WaitAsync(Guard));
        await using var other = await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = _clock });
        Assert.Empty(await other.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
        Assert.Null(await other.ReadSummaryAsync(stream));
    }

    [Theory]
    [InlineData("append")]
    [InlineData("read")]
    [InlineData("claim")]
    [InlineData("ack")]
    public async Task A_call_whose_command_is_in_flight_when_the_log_is_disposed_throws_object_disposed_at_once(string call)
    {
        var log = await OpenAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, Utf8("a"), AppendMode.Durable);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var held = _loading.Hold(Script);

        Task attempt = call switch
        {
            "append" => log.AppendAsync(stream, Utf8("b"), AppendMode.Durable).AsTask(),
            "read" => log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10).AsTask(),
            "claim" => log.ClaimAsync(stream, "g", "c1", 10, TimeSpan.FromMinutes(1)).AsTask(),
            _ => log.AcknowledgeAsync(stream, "g", [new StreamId(1, 0)]).AsTask(),
        };
        await held.Reached.Task.WaitAsync(Guard);
        await log.DisposeAsync();

        // As on a multiplexer the log owns (which its disposal closes under the command): the caller meets a disposed
        // log at once, not a result that comes after the disposal returned. The command may still run. The exception
        // names the log as a call after the disposal does (ObjectDisposedException.ThrowIf: the type's full name).
        var error = await Assert.ThrowsAsync<ObjectDisposedException>(() => attempt.WaitAsync(Guard));
        Assert.Equal(typeof(RedisStreamLog).FullName, error.ObjectName);
        held.Release();
        await held.Ran.Task.WaitAsync(Guard);
    }
}
