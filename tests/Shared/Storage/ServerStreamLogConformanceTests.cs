namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// What a backend on a server (PostgreSQL, Redis) shares beyond <see cref="StreamLogConformanceTests"/>: it survives
/// a restart of its server. A backend's test class derives from this and says how to restart the server.
/// </summary>
public abstract class ServerStreamLogConformanceTests : PersistentStreamLogConformanceTests
{
    /// <summary>Restarts the server this test's logs talk to, ending their connections; returns once it serves again.</summary>
    protected abstract Task RestartServerAsync();

    [Fact]
    public async Task After_a_server_restart_writes_through_a_log_that_never_tailed_go_through_once_and_nothing_acknowledged_is_lost()
    {
        // Never tailed: nothing noticed the restart, so the first write of each kind meets a connection the server ended.
        var log = await CreateAsync();
        var checkpoints = Assert.IsAssignableFrom<ICheckpointStore>(log);
        var stream = NewStream();
        await log.AppendAsync(stream, """{"n":0}""", AppendMode.DurableSummary);
        await log.AppendBatchAsync(stream, [Utf8("b0"), Utf8("b1")], AppendMode.Durable);
        await checkpoints.WriteCheckpointAsync("reader", new StreamId(1, 0));
        await log.AppendAsync(stream, "warm", AppendMode.Durable);

        await RestartServerAsync();

        var durable = await log.AppendAsync(stream, "after restart", AppendMode.Durable);
        var summary = await log.AppendAsync(stream, """{"n":1}""", AppendMode.DurableSummary);
        var batch = await log.AppendBatchAsync(stream, [Utf8("b2"), Utf8("b3")], AppendMode.Durable);
        await checkpoints.WriteCheckpointAsync("reader", new StreamId(2, 0));

        // Each write landed exactly once: nothing was retried after it might have committed.
        Assert.Equal(5, durable.FrameCount);
        Assert.Equal(2, summary.SummaryVersion);
        Assert.Equal(8, batch.FrameCount);
        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 100);
        Assert.Equal(["""{"n":0}""", "b0", "b1", "warm", "after restart", """{"n":1}""", "b2", "b3"], frames.Select(Text));
        Assert.Equal(new StreamId(2, 0), await checkpoints.ReadCheckpointAsync("reader"));
        AssertJson("""{"n":1}""", (await log.ReadSummaryAsync(stream))!.Document);
    }
}
