using System.Diagnostics;
using System.Text;
using Reactive.Streams.Storage.Tests;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// A real server stopped and started again under a log in use, on a server of the class's own (the collection's shared
/// server is never stopped here): killed (SIGKILL, as a crash) or shut down by <c>SHUTDOWN NOSAVE</c>, then started
/// on the same port. <see cref="RedisServerRestartTests"/> runs them on a server with an append-only file,
/// <see cref="RedisVolatileServerRestartTests"/> on one with no persistence, which comes back empty. The log's waits
/// run on a virtual clock, advanced by the test while the real server restarts.
/// </summary>
public abstract class RedisRestartTestsBase : IAsyncLifetime
{
    protected static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly RedisServerFixture _server;
    private readonly List<RedisStreamLog> _logs = [];

    protected RedisRestartTestsBase(RedisServerFixture server)
    {
        _server = server;
    }

    protected TestClock Clock { get; } = new();

    protected RedisServerFixture Server => _server;

    public static TheoryData<bool> Kinds => [true, false];

    public Task InitializeAsync()
    {
        _server.EnsureRunning();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var log in _logs)
        {
            await log.DisposeAsync();
        }

        await EnsureStartedAsync();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task After_a_restart_the_same_log_appends_again_with_increasing_ids(bool kill)
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var before = await log.AppendAsync(stream, """{"n":0}""", AppendMode.DurableSummary);

        // Time passes, as it does in a restart: a server that lost the stream's last id has only the clock to go by.
        Clock.Advance(TimeSpan.FromSeconds(1));
        await RestartAsync(kill);
        // The server lost its script cache: the script is sent again.
        var durable = await log.AppendAsync(stream, "durable", AppendMode.Durable);
        var summary = await log.AppendAsync(stream, """{"m":1}""", AppendMode.DurableSummary);
        var batch = await log.AppendBatchAsync(stream, [Utf8("b0"), Utf8("b1")], AppendMode.Durable);

        StreamId[] ids = [before.Id, durable.Id, summary.Id, batch.FirstId, batch.LastId];
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Length, ids.Distinct().Count());
        var frames = (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text).ToArray();
        if (Persistent)
        {
            Assert.Equal(["""{"n":0}""", "durable", """{"m":1}""", "b0", "b1"], frames);
            Assert.Equal(2, summary.SummaryVersion);
            AssertJson("""{"n":0,"m":1}""", (await log.ReadSummaryAsync(stream))!.Document);
        }
        else
        {
            Assert.Equal(["durable", """{"m":1}""", "b0", "b1"], frames);
            Assert.Equal(1, summary.SummaryVersion);
            AssertJson("""{"m":1}""", (await log.ReadSummaryAsync(stream))!.Document);
        }
    }

    [Fact]
    public async Task An_append_made_while_the_server_is_down_is_written_once_when_it_comes_back()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, "before", AppendMode.Durable);

        _server.Stop();
        await AdvanceUntilAsync(() => !log.Multiplexer.IsConnected);
        var append = log.AppendAsync(stream, "during", AppendMode.Durable).AsTask();
        await _server.StartAgainAsync();
        var result = await AdvanceUntilAsync(append);

        Assert.Equal(Persistent ? 2 : 1, result.FrameCount);
        Assert.Equal(Persistent ? ["before", "during"] : ["during"], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
    }

    [Fact]
    public async Task An_append_while_the_server_stays_down_fails_once_ReconnectTimeout_has_passed_and_writes_nothing()
    {
        var log = await OpenAsync(configuration: Server.Configuration() + ",asyncTimeout=500", reconnectTimeout: TimeSpan.FromSeconds(1));
        var stream = NewStream();
        await log.AppendAsync(stream, "before", AppendMode.Durable);

        _server.Stop();
        var append = log.AppendAsync(stream, "never", AppendMode.Durable).AsTask();
        var error = await Assert.ThrowsAnyAsync<RedisException>(() => AdvanceUntilAsync(append));
        Assert.IsNotType<RedisServerException>(error);

        await _server.StartAgainAsync();
        // The multiplexer reconnects in real time: with a one-second timeout on the virtual clock, wait for it first.
        await WaitUntilConnectedAsync(log);
        var after = await AdvanceUntilAsync(log.AppendAsync(stream, "after", AppendMode.Durable).AsTask());
        Assert.Equal(Persistent ? ["before", "after"] : ["after"], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
        Assert.Equal(Persistent ? 2 : 1, after.FrameCount);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_tail_across_a_restart_gets_every_frame_once_in_order(bool kill)
    {
        var log = await OpenAsync();
        var writer = await OpenAsync(clock: TimeProvider.System);
        var stream = NewStream();
        using var recorder = new TailRecorder(log, stream);
        for (var i = 0; i < 3; i++)
        {
            await writer.AppendAsync(stream, $"before {i}", AppendMode.Durable);
        }

        await AdvanceUntilAsync(() => recorder.Received.Count == 3 || recorder.Tail.IsCompleted);
        await RestartAsync(kill);
        for (var i = 0; i < 3; i++)
        {
            await AdvanceUntilAsync(writer.AppendAsync(stream, $"after {i}", AppendMode.Durable).AsTask());
        }

        await AdvanceUntilAsync(() => recorder.Received.Count == 6 || recorder.Tail.IsCompleted);
        Assert.Equal(["before 0", "before 1", "before 2", "after 0", "after 1", "after 2"], await recorder.StopAsync(Guard));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_restart_is_logged_as_the_subscription_s_connection_lost_then_regained_with_the_documented_event_ids(bool kill)
    {
        // docs/stream-log.md: the Logger is told when the subscription's connection is lost (event 8101, Warning) and
        // regained (8102, Information).
        var logger = new RecordingLogger();
        var log = await RedisStreamLog.OpenAsync(_server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = Clock, Logger = logger });
        _logs.Add(log);
        var writer = await OpenAsync(clock: TimeProvider.System);
        var stream = NewStream();
        using var recorder = new TailRecorder(log, stream);
        await AdvanceUntilAsync(writer.AppendAsync(stream, "before", AppendMode.Durable).AsTask());
        await AdvanceUntilAsync(() => recorder.Received.Count == 1 || recorder.Tail.IsCompleted);

        await RestartAsync(kill);
        await AdvanceUntilAsync(writer.AppendAsync(stream, "after", AppendMode.Durable).AsTask());
        await AdvanceUntilAsync(() => logger.Has(8102) || recorder.Tail.IsCompleted);

        Assert.Contains(logger.Entries, e => e.Id.Id == 8101 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains(logger.Entries, e => e.Id.Id == 8102 && e.Level == Microsoft.Extensions.Logging.LogLevel.Information);
        Assert.DoesNotContain(logger.Entries, e => e.Id.Id == 0);
    }

    [Fact]
    public async Task Cancelling_a_tail_parked_while_the_server_is_down_ends_it_at_once()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        using var cancel = new CancellationTokenSource();
        var tail = log.TailAsync(stream, StreamId.Min, Timeout.InfiniteTimeSpan, 10, cancellationToken: cancel.Token).AsTask();
        await AdvanceUntilAsync(() => log.ParkedStreams == 1);

        _server.Stop();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tail.WaitAsync(Guard));

        // A tail that starts during the outage and is cancelled there ends at once too.
        using var second = new CancellationTokenSource();
        var during = log.TailAsync(stream, StreamId.Min, Timeout.InfiniteTimeSpan, 10, cancellationToken: second.Token).AsTask();
        await second.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => during.WaitAsync(Guard));
    }

    [Fact]
    public async Task A_worker_over_a_cursor_canal_carries_on_across_a_restart_and_handles_every_frame()
    {
        var log = await OpenAsync();
        var writer = await OpenAsync(clock: TimeProvider.System);
        var stream = NewStream();
        var canal = await CursorCanal.OpenAsync(log, stream, new CursorCanalOptions { CheckpointId = stream, TimeProvider = Clock });
        var handled = new FrameTexts();
        var worker = CanalWorker.Start(canal, (batch, _) =>
        {
            handled.Add(batch);
            return default;
        });

        await writer.AppendAsync(stream, "a", AppendMode.Durable);
        await AdvanceUntilAsync(() => handled.Count >= 1 || worker.JoinAsync().IsCompleted);
        await RestartAsync(kill: true);
        await AdvanceUntilAsync(writer.AppendAsync(stream, "b", AppendMode.Durable).AsTask());
        await AdvanceUntilAsync(writer.AppendAsync(stream, "c", AppendMode.Durable).AsTask());
        await AdvanceUntilAsync(() => handled.Count >= 3 || worker.JoinAsync().IsCompleted);

        Assert.False(worker.JoinAsync().IsCompleted, worker.JoinAsync().Exception?.ToString());
        await worker.StopAndJoinAsync().WaitAsync(Guard);
        await canal.DisposeAsync();
        Assert.Equal(["a", "b", "c"], handled.ToArray());

        var last = (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10))[^1].Id;
        Assert.Equal(last, await log.ReadCheckpointAsync(stream));
    }

    /// <summary>Whether the server keeps its data across a restart.</summary>
    protected abstract bool Persistent { get; }

    protected static string NewStream() => "restart-" + Guid.NewGuid().ToString("N");

    protected static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    protected static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    protected static void AssertJson(string expected, System.Text.Json.JsonElement actual) =>
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(expected), System.Text.Json.Nodes.JsonNode.Parse(actual.GetRawText())), actual.GetRawText());

    protected async Task RestartAsync(bool kill)
    {
        if (kill)
        {
            _server.Stop();
        }
        else
        {
            await _server.ShutdownNoSaveAsync();
        }

        await _server.StartAgainAsync();
    }

    /// <summary>Advances the virtual clock in small steps until <paramref name="done"/>, while the real server restarts.</summary>
    protected async Task AdvanceUntilAsync(Func<bool> done)
    {
        var guard = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(guard.Elapsed < Guard, "The condition did not hold within a minute of real time.");
            Clock.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(10);
        }
    }

    protected static async Task WaitUntilConnectedAsync(RedisStreamLog log)
    {
        var guard = Stopwatch.StartNew();
        while (!log.Multiplexer.IsConnected)
        {
            Assert.True(guard.Elapsed < Guard, "The multiplexer did not reconnect within a minute.");
            await Task.Delay(10);
        }
    }

    private sealed class RecordingLogger : Microsoft.Extensions.Logging.ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<(Microsoft.Extensions.Logging.LogLevel Level, Microsoft.Extensions.Logging.EventId Id)> Entries { get; } = new();

        public bool Has(int id) => Entries.Any(e => e.Id.Id == id);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, eventId));
    }

    protected async Task<T> AdvanceUntilAsync<T>(Task<T> task)
    {
        await AdvanceUntilAsync(() => task.IsCompleted);
        return await task;
    }

    protected async Task<RedisStreamLog> OpenAsync(TimeProvider? clock = null, string? configuration = null, TimeSpan? reconnectTimeout = null)
    {
        var options = new RedisStreamLogOptions { TimeProvider = clock ?? Clock };
        if (reconnectTimeout is { } timeout)
        {
            options.ReconnectTimeout = timeout;
        }

        var log = await RedisStreamLog.OpenAsync(configuration ?? _server.ConfigurationString, options);
        _logs.Add(log);
        return log;
    }

    private async Task EnsureStartedAsync()
    {
        try
        {
            await using var probe = await ConnectionMultiplexer.ConnectAsync(_server.ConfigurationString + ",connectRetry=0,abortConnect=true");
            await probe.GetDatabase().PingAsync();
        }
        catch (RedisConnectionException)
        {
            await _server.StartAgainAsync();
        }
    }
}

/// <summary>Restarts of a server with an append-only file: its data comes back.</summary>
public sealed class RedisServerRestartTests(RedisServerFixture server) : RedisRestartTestsBase(server), IClassFixture<RedisServerFixture>
{
    protected override bool Persistent => true;

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task After_a_restart_a_members_pending_frames_are_still_pending_and_are_reclaimed_and_acknowledged(bool kill)
    {
        var log = await OpenAsync();
        var stream = NewStream();
        for (var i = 0; i < 4; i++)
        {
            await log.AppendAsync(stream, $"f{i}", AppendMode.Durable);
        }

        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var held = (await log.ClaimAsync(stream, "g", "a", 2, TimeSpan.FromMinutes(1))).Frames.Select(f => f.Frame.Id).ToArray();
        Clock.Advance(TimeSpan.FromSeconds(30));

        await RestartAsync(kill);
        var next = Assert.Single((await AdvanceUntilAsync(log.ClaimAsync(stream, "g", "b", 1, TimeSpan.FromMinutes(1)).AsTask())).Frames);
        Assert.Equal("f2", Text(next.Frame));
        Assert.Equal(held, (await log.ReadPendingAsync(stream, "g", "a", 10)).Select(p => p.Id));

        Clock.Advance(TimeSpan.FromSeconds(30));
        var reclaimed = await log.ClaimAsync(stream, "g", "c", 10, TimeSpan.FromMinutes(1));
        Assert.Equal(["f0", "f1", "f3"], reclaimed.Frames.Select(f => Text(f.Frame)));
        Assert.Equal([2L, 2L, 1L], reclaimed.Frames.Select(f => f.DeliveryCount));

        await RestartAsync(kill);
        Assert.Equal(3, await AdvanceUntilAsync(log.AcknowledgeAsync(stream, "g", reclaimed.Frames.Select(f => f.Frame.Id).ToArray()).AsTask()));
        Assert.Equal([next.Frame.Id], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
    }
}

/// <summary>Restarts of a server with no persistence: it comes back empty.</summary>
public sealed class RedisVolatileServerRestartTests(RedisVolatileServerFixture server) : RedisRestartTestsBase(server), IClassFixture<RedisVolatileServerFixture>
{
    protected override bool Persistent => false;

    [Fact]
    public async Task After_a_restart_that_lost_the_group_a_claim_says_the_group_is_gone()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, "f0", AppendMode.Durable);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        Assert.Single((await log.ClaimAsync(stream, "g", "a", 10, TimeSpan.FromMinutes(1))).Frames);

        await RestartAsync(kill: true);
        var error = await Assert.ThrowsAsync<ConsumerGroupNotFoundException>(() => AdvanceUntilAsync(log.ClaimAsync(stream, "g", "a", 10, TimeSpan.FromMinutes(1)).AsTask()));
        Assert.Contains("g", error.Message, StringComparison.Ordinal);
        Assert.Null(await log.ReadGroupAsync(stream, "g"));
        Assert.True(await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning));
        Assert.Empty((await log.ClaimAsync(stream, "g", "a", 10, TimeSpan.FromMinutes(1))).Frames);
    }
}
