using Npgsql;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>
/// A call made while the server cannot be reached (<see cref="PostgresStreamLogOptions.ReconnectTimeout"/>): the log
/// tries again at once, then after <see cref="PostgresStreamLogOptions.ReconnectDelay"/> doubling to
/// <see cref="PostgresStreamLogOptions.MaxReconnectDelay"/> on its clock, until the server is back or the timeout has
/// passed. The server "goes down" behind a proxy that ends every connection and refuses new ones; the waits run on a
/// virtual clock, so each test knows exactly which attempt it is at.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresReconnectTests : IAsyncLifetime
{
    private readonly PostgresServerFixture _server;
    private readonly TestClock _clock = new();
    private CuttingProxy _proxy = null!;
    private PostgresStreamLog? _log;

    public PostgresReconnectTests(PostgresServerFixture server)
    {
        _server = server;
    }

    public Task InitializeAsync()
    {
        _server.EnsureRunning();
        _proxy = new CuttingProxy(_server.Port);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_log is not null)
        {
            await _log.DisposeAsync();
        }

        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task A_checkpoint_written_while_the_server_is_down_is_stored_once_it_is_back()
    {
        var log = await OpenAsync();
        var id = NewName();
        await log.WriteCheckpointAsync(id, new StreamId(1, 0)); // a pooled connection, which the outage ends

        _proxy.GoDown();
        var timers = _clock.TimersCreated;
        var write = log.WriteCheckpointAsync(id, new StreamId(2, 0)).AsTask();

        // The second attempt went at once and failed too; the third waits for the first delay.
        await _clock.WaitForTimersAsync(timers + 1);
        Assert.False(write.IsCompleted);
        _proxy.ComeBack();
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        await write.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(new StreamId(2, 0), await ReadCheckpointDirectAsync(id));
        Assert.True(_proxy.Refused >= 1, $"{_proxy.Refused} connections refused");
    }

    [Fact]
    public async Task A_logger_that_throws_does_not_end_a_calls_wait_for_the_server()
    {
        // The wait's warning goes to a logger whose provider fails: logging must not change what the log does.
        var log = await OpenAsync(logger: new ThrowingLogger());
        var id = NewName();
        await log.WriteCheckpointAsync(id, new StreamId(1, 0));

        _proxy.GoDown();
        var timers = _clock.TimersCreated;
        var write = log.WriteCheckpointAsync(id, new StreamId(2, 0)).AsTask();

        await Task.WhenAny(write, _clock.WaitForTimersAsync(timers + 1)).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.False(write.IsCompleted, $"the write ended instead of waiting: {write.Exception?.InnerException?.Message}");
        _proxy.ComeBack();
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        await write.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(new StreamId(2, 0), await ReadCheckpointDirectAsync(id));
    }

    [Fact]
    public async Task A_calls_wait_for_the_server_is_logged_as_a_warning_with_event_id_8001()
    {
        var logger = new RecordingLogger();
        var log = await OpenAsync(logger: logger);
        var id = NewName();
        await log.WriteCheckpointAsync(id, new StreamId(1, 0));

        _proxy.GoDown();
        var timers = _clock.TimersCreated;
        var write = log.WriteCheckpointAsync(id, new StreamId(2, 0)).AsTask();
        await Task.WhenAny(write, _clock.WaitForTimersAsync(timers + 1)).WaitAsync(TimeSpan.FromMinutes(2));
        _proxy.ComeBack();
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        await write.WaitAsync(TimeSpan.FromMinutes(1));

        var entry = Assert.Single(logger.Entries, e => e.Id.Id == 8001);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, entry.Level);
        Assert.Equal("CallRetrying", entry.Id.Name);
        Assert.NotNull(entry.Error);
        Assert.DoesNotContain(logger.Entries, e => e.Id.Id == 0);
    }

    private sealed class RecordingLogger : Microsoft.Extensions.Logging.ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<(Microsoft.Extensions.Logging.LogLevel Level, Microsoft.Extensions.Logging.EventId Id, Exception? Error)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(
            Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, eventId, exception));
    }

    private sealed class ThrowingLogger : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(
            Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            throw new InvalidOperationException("logging provider down");
    }

    [Fact]
    public async Task A_checkpoint_commit_during_a_real_server_restart_waits_for_the_server()
    {
        var log = await PostgresStreamLog.OpenAsync(_server.ConnectionString, new PostgresStreamLogOptions { TimeProvider = _clock });
        _log = log;
        var id = NewName();
        await log.WriteCheckpointAsync(id, new StreamId(1, 0));

        await _server.StopAsync();
        try
        {
            var timers = _clock.TimersCreated;
            // The pooled connection's 57P01, then "connection refused" at once, then the first wait.
            var write = log.WriteCheckpointAsync(id, new StreamId(2, 0)).AsTask();
            await _clock.WaitForTimersAsync(timers + 1);
            Assert.False(write.IsCompleted);
            await _server.StartAgainAsync();
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            await write.WaitAsync(TimeSpan.FromMinutes(1));
        }
        finally
        {
            await EnsureStartedAsync();
        }

        Assert.Equal(new StreamId(2, 0), await ReadCheckpointDirectAsync(id));
    }

    [Fact]
    public async Task The_waits_double_from_ReconnectDelay_to_MaxReconnectDelay_and_stop_at_ReconnectTimeout()
    {
        var log = await OpenAsync(reconnectTimeout: TimeSpan.FromSeconds(2), maxDelay: TimeSpan.FromMilliseconds(500), pooling: false);
        var id = NewName();
        _proxy.GoDown();
        var timers = _clock.TimersCreated;
        var read = log.ReadCheckpointAsync(id).AsTask();

        // 100, 200, 400, 500, 500 ms: 1.7 s in all, then the rest of the 2 s, then the error.
        TimeSpan[] waits = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(300)];
        foreach (var wait in waits)
        {
            await _clock.WaitForTimersAsync(++timers);
            // A moment less than the wait does not start the next attempt.
            var refused = _proxy.Refused;
            _clock.Advance(wait - TimeSpan.FromMilliseconds(1));
            Assert.Equal(refused, _proxy.Refused);
            Assert.False(read.IsCompleted);
            _clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => read.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.IsNotType<PostgresException>(error);
        Assert.Equal(timers, _clock.TimersCreated); // no wait after the time was up
    }

    [Fact]
    public async Task An_append_whose_connection_cannot_be_opened_waits_for_the_server_and_is_written_once()
    {
        // Without pooling, so the append's first attempt opens a connection (a dead pooled one may have sent it).
        var log = await OpenAsync(pooling: false);
        var stream = NewName();
        await log.AppendAsync(stream, "first", AppendMode.Durable);

        _proxy.GoDown();
        var timers = _clock.TimersCreated;
        var append = log.AppendAsync(stream, "second", AppendMode.Durable).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        await _clock.WaitForTimersAsync(timers + 2);
        _proxy.ComeBack();
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        var result = await append.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(2, result.FrameCount);
        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        Assert.Equal(["first", "second"], frames.Select(f => System.Text.Encoding.UTF8.GetString(f.Payload.Span)));
    }

    [Fact]
    public async Task Group_claims_and_acknowledgements_wait_for_the_server()
    {
        var log = await OpenAsync(pooling: false);
        var stream = NewName();
        await log.AppendAsync(stream, "a", AppendMode.Durable);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);

        _proxy.GoDown();
        var timers = _clock.TimersCreated;
        var claim = log.ClaimAsync(stream, "g", "c1", 10, TimeSpan.FromMinutes(1)).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);
        _proxy.ComeBack();
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        var claimed = Assert.Single((await claim.WaitAsync(TimeSpan.FromMinutes(1))).Frames);
        Assert.Equal(1, claimed.DeliveryCount);

        _proxy.GoDown();
        timers = _clock.TimersCreated;
        var ack = log.AcknowledgeAsync(stream, "g", [claimed.Frame.Id]).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);
        _proxy.ComeBack();
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, await ack.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Empty(await log.ReadPendingAsync(stream, "g", consumer: null, 10));
    }

    [Fact]
    public async Task Cancelling_a_call_ends_its_wait_and_writes_nothing()
    {
        var log = await OpenAsync();
        var id = NewName();
        _proxy.GoDown();
        using var cancel = new CancellationTokenSource();
        var timers = _clock.TimersCreated;
        var write = log.WriteCheckpointAsync(id, new StreamId(5, 0), cancel.Token).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.WaitAsync(TimeSpan.FromMinutes(1)));
        _proxy.ComeBack();
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(await ReadCheckpointDirectAsync(id));
    }

    [Fact]
    public async Task Disposing_the_log_ends_a_calls_wait_with_ObjectDisposedException()
    {
        var log = await OpenAsync(pooling: false);
        var stream = NewName();
        _proxy.GoDown();
        var timers = _clock.TimersCreated;
        var append = log.AppendAsync(stream, "never", AppendMode.Durable).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);

        await log.DisposeAsync();
        // Named as a call after the disposal names the log (ObjectDisposedException.ThrowIf: the type's full name).
        var error = await Assert.ThrowsAsync<ObjectDisposedException>(() => append.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal(typeof(PostgresStreamLog).FullName, error.ObjectName);
        _proxy.ComeBack();
        await using var reader = await PostgresStreamLog.OpenAsync(_server.ConnectionString);
        Assert.Empty(await reader.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
    }

    [Fact]
    public async Task A_zero_ReconnectTimeout_fails_a_call_with_its_first_error()
    {
        var log = await OpenAsync(reconnectTimeout: TimeSpan.Zero, pooling: false);
        _proxy.GoDown();
        var timers = _clock.TimersCreated;

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => log.ReadCheckpointAsync(NewName()).AsTask().WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal(timers, _clock.TimersCreated); // no wait
        Assert.True(_proxy.Refused >= 1);
    }

    [Fact]
    public async Task An_append_that_may_have_committed_is_not_sent_again_even_with_time_left()
    {
        var log = await OpenAsync();
        var stream = NewName();
        await log.AppendAsync(stream, "first", AppendMode.Durable);

        _proxy.ArmCut();
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => log.AppendAsync(stream, "second", AppendMode.Durable).AsTask());

        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        Assert.Equal(2, frames.Count); // committed once, reported as failed, never sent twice
    }

    [Fact]
    public async Task A_tail_whose_first_LISTEN_cannot_connect_waits_for_the_server_as_other_calls_do()
    {
        var log = await OpenAsync();
        var stream = NewName();
        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)); // a pooled connection for the tail's first read

        // The server is going down: the tail's first read still gets through, its listener's connection does not.
        _proxy.RefuseNewConnections();
        var timers = _clock.TimersCreated;
        var tail = log.TailAsync(stream, StreamId.Min, Timeout.InfiniteTimeSpan, 10).AsTask();
        await _clock.WaitForTimersAsync(timers + 1); // the listener's first reconnect delay
        Assert.False(tail.IsCompleted, tail.Exception?.ToString());

        _proxy.ComeBack();
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        await WaitUntilAsync(() => log.ParkedStreams == 1 || tail.IsCompleted);
        Assert.False(tail.IsCompleted, tail.Exception?.ToString());
        await log.AppendAsync(stream, "after", AppendMode.Durable);
        var frame = Assert.Single(await tail.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal("after", System.Text.Encoding.UTF8.GetString(frame.Payload.Span));
        Assert.Equal(0, log.ListenerReconnects); // the first LISTEN, late, is no reconnection
    }

    [Fact]
    public async Task A_tail_whose_first_LISTEN_cannot_connect_for_ReconnectTimeout_fails_with_its_error()
    {
        var log = await OpenAsync(reconnectTimeout: TimeSpan.FromSeconds(1));
        var stream = NewName();
        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));

        _proxy.RefuseNewConnections();
        var timers = _clock.TimersCreated;
        var tail = log.TailAsync(stream, StreamId.Min, Timeout.InfiniteTimeSpan, 10).AsTask();
        // The listener waits 100, 200, 400, 800 ms: its attempt after 1.5 s is past the timeout, and its error fails the tail.
        foreach (var wait in new[] { 100, 200, 400, 800 })
        {
            await _clock.WaitForTimersAsync(++timers);
            Assert.False(tail.IsCompleted, tail.Exception?.ToString());
            _clock.Advance(TimeSpan.FromMilliseconds(wait));
        }

        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => tail.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.IsNotType<PostgresException>(error);

        // The listener goes on trying: once the server is back, a new tail waits and wakes as usual.
        _proxy.ComeBack();
        var next = log.TailAsync(stream, StreamId.Min, Timeout.InfiniteTimeSpan, 10).AsTask();
        await WaitUntilAsync(() =>
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            return log.ParkedStreams == 1 || next.IsCompleted;
        });
        Assert.False(next.IsCompleted, next.Exception?.ToString());
        await log.AppendAsync(stream, "after", AppendMode.Durable);
        Assert.Single(await next.WaitAsync(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void A_negative_ReconnectTimeout_is_refused_naming_the_option()
    {
        var options = new PostgresStreamLogOptions { ReconnectTimeout = TimeSpan.FromMilliseconds(-1) };
        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(PostgresStreamLogOptions.ReconnectTimeout), error.ParamName);
    }

    private async Task EnsureStartedAsync()
    {
        try
        {
            await using var probe = new NpgsqlConnection(_server.ConnectionString);
            await probe.OpenAsync();
        }
        catch (NpgsqlException)
        {
            await _server.StartAgainAsync();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> done)
    {
        var guard = System.Diagnostics.Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(guard.Elapsed < TimeSpan.FromMinutes(1), "The condition did not hold within a minute.");
            await Task.Delay(10);
        }
    }

    private static string NewName() => "reconnect-" + Guid.NewGuid().ToString("N");

    private async Task<PostgresStreamLog> OpenAsync(
        TimeSpan? reconnectTimeout = null, TimeSpan? maxDelay = null, bool pooling = true, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var throughProxy = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Port = _proxy.Port, Pooling = pooling }.ConnectionString;
        var options = new PostgresStreamLogOptions { TimeProvider = _clock };
        if (logger is not null)
        {
            options.Logger = logger;
        }

        if (reconnectTimeout is { } timeout)
        {
            options.ReconnectTimeout = timeout;
        }

        if (maxDelay is { } max)
        {
            options.MaxReconnectDelay = max;
        }

        _log = await PostgresStreamLog.OpenAsync(throughProxy, options);
        return _log;
    }

    private async Task<StreamId?> ReadCheckpointDirectAsync(string id)
    {
        await using var direct = await PostgresStreamLog.OpenAsync(_server.ConnectionString);
        return await direct.ReadCheckpointAsync(id);
    }
}
