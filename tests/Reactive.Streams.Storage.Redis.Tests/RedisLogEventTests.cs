using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using Microsoft.Extensions.Logging;
using Reactive.Streams.Storage.Tests;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// docs/stream-log.md's Debug events of the Redis log that no restart reaches on demand: 8103, the ping after the
/// subscription reconnected failed (parked tails re-check anyway), and 8104, disposal could not unsubscribe (the
/// disposal completes anyway). The log's multiplexer is wrapped so that the test raises StackExchange.Redis's
/// <c>ConnectionRestored</c> event itself and fails the subscriber's <c>PING</c> or <c>UNSUBSCRIBE</c>; every other
/// command reaches the real server.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisLogEventTests(RedisServerFixture server) : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly TestClock _clock = new();
    private readonly RecordingLogger _logger = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private EventfulMultiplexer _events = null!;
    private IConnectionMultiplexer _multiplexer = null!;
    private ConnectionMultiplexer _real = null!;

    public async Task InitializeAsync()
    {
        server.EnsureRunning();
        _real = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        _owned.Add(_real);
        (_multiplexer, _events) = EventfulMultiplexer.Wrap(_real);
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    private async Task<RedisStreamLog> OpenAsync()
    {
        var log = await RedisStreamLog.OpenAsync(_multiplexer, new RedisStreamLogOptions { TimeProvider = _clock, Logger = _logger });
        _owned.Add(log);
        return log;
    }

    private static string NewStream() => "events-" + Guid.NewGuid().ToString("N");

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    /// <summary>Writes an entry as the log's script would, but announces it to nobody (as while the subscription was away).</summary>
    private async Task AddUnannouncedAsync(string stream, string payload, long milliseconds)
    {
        await using var raw = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        var db = raw.GetDatabase();
        var id = $"{milliseconds}-0";
        await db.StreamAddAsync($"rs:{{{stream}}}:d", [new NameValueEntry("m", "0"), new NameValueEntry("p", payload)], messageId: id);
        await db.HashSetAsync($"rs:{{{stream}}}:m", [new HashEntry("lm", milliseconds), new HashEntry("ls", 0), new HashEntry("dc", 1)]);
    }

    // How StackExchange.Redis fails a command whose connection is lost, and one that got no answer in time (a
    // RedisTimeoutException is a TimeoutException, not a RedisException).
    public static TheoryData<string> Failures => ["lost", "timed out"];

    private static Exception Failure(string kind, string command) => kind == "lost"
        ? new RedisConnectionException(ConnectionFailureType.SocketClosed, $"SocketClosed on 127.0.0.1:6379/Subscription, last: {command}")
        : new RedisTimeoutException($"Timeout awaiting response, command={command}, timeout: 5000", CommandStatus.Sent);

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_failed_ping_after_the_subscription_reconnected_is_event_8103_and_parked_tails_recheck_anyway(string kind)
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var timers = _clock.TimersCreated;
        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromDays(1), 10).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);
        var ping = _events.HoldPing();

        // The subscription's connection comes back: the tail re-checks at once, finds nothing and parks again.
        _events.RaiseRestored(ConnectionType.Subscription);
        await _clock.WaitForTimersAsync(timers + 2);
        Assert.False(tail.IsCompleted);
        Assert.Equal(1, log.SubscriptionReconnects);
        Assert.Contains(_logger.Entries, e => e.Id == 8102 && e.Level == LogLevel.Information);

        // An entry announced to nobody between that re-check and the new SUBSCRIBE; then the ping fails.
        await AddUnannouncedAsync(stream, "between the re-checks", _clock.GetUtcNow().ToUnixTimeMilliseconds());
        var refusal = Failure(kind, "PING");
        ping.SetException(refusal);

        Assert.Equal(["between the re-checks"], (await tail.WaitAsync(Guard)).Select(Text));
        var failed = Assert.Single(_logger.Entries, e => e.Id == 8103);
        Assert.Equal(LogLevel.Debug, failed.Level);
        Assert.Same(refusal, failed.Error);
    }

    [Fact]
    public async Task A_restored_interactive_connection_on_RESP2_is_not_the_subscription_and_logs_nothing()
    {
        var log = await OpenAsync();
        _events.HoldPing();

        _events.RaiseRestored(ConnectionType.Interactive);

        Assert.Equal(0, log.SubscriptionReconnects);
        Assert.DoesNotContain(_logger.Entries, e => e.Id is 8102 or 8103);
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_disposal_that_cannot_unsubscribe_is_event_8104_and_completes(string kind)
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var timers = _clock.TimersCreated;
        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromDays(1), 10).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);
        var refusal = Failure(kind, "UNSUBSCRIBE");
        _events.FailUnsubscribe(refusal);

        await log.DisposeAsync().AsTask().WaitAsync(Guard);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => tail.WaitAsync(Guard));
        var failed = Assert.Single(_logger.Entries, e => e.Id == 8104);
        Assert.Equal(LogLevel.Debug, failed.Level);
        Assert.Same(refusal, failed.Error);
        // The disposed log's subscription is still in place on the shared multiplexer: an announcement reaches it and
        // changes nothing, and the multiplexer (its owner's) stays usable.
        await using (var writer = await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = _clock }))
        {
            await writer.AppendAsync(stream, "after disposal", AppendMode.Durable);
        }

        Assert.True(_multiplexer.IsConnected);
        Assert.Equal(1, await _multiplexer.GetDatabase().StreamLengthAsync($"rs:{{{stream}}}:d"));
    }

    [Fact]
    public async Task A_log_disposed_while_its_shared_multiplexer_is_disconnected_leaves_no_handler_on_it()
    {
        // On a multiplexer the caller owns, a handler left subscribed would be subscribed again at the next reconnection
        // and keep the disposed log reachable for as long as the multiplexer lives.
        var log = await OpenAsync();
        var channel = RedisChannel.Literal("rs:append");
        var timers = _clock.TimersCreated;
        var tail = log.TailAsync(NewStream(), StreamId.Min, TimeSpan.FromDays(1), 10).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);
        Assert.NotNull(_real.GetSubscriber().SubscribedEndpoint(channel));
        _events.Connected = false;

        await log.DisposeAsync().AsTask().WaitAsync(Guard);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => tail.WaitAsync(Guard));
        Assert.Null(_real.GetSubscriber().SubscribedEndpoint(channel));
        Assert.Empty(_logger.Entries);
    }

    [Fact]
    public async Task A_log_whose_shared_multiplexer_its_owner_disposed_first_disposes_quietly()
    {
        var log = await OpenAsync();
        var timers = _clock.TimersCreated;
        var tail = log.TailAsync(NewStream(), StreamId.Min, TimeSpan.FromDays(1), 10).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);

        await _real.DisposeAsync();
        await log.DisposeAsync().AsTask().WaitAsync(Guard);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => tail.WaitAsync(Guard));
        Assert.All(_logger.Entries, e => Assert.Equal(8104, e.Id));
    }

    [Fact]
    public async Task A_disposal_that_unsubscribes_logs_nothing()
    {
        var log = await OpenAsync();
        var timers = _clock.TimersCreated;
        var tail = log.TailAsync(NewStream(), StreamId.Min, TimeSpan.FromDays(1), 10).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);

        await log.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => tail.WaitAsync(Guard));
        Assert.Empty(_logger.Entries);
    }

    private sealed class RecordingLogger : ILogger
    {
        public ConcurrentQueue<(LogLevel Level, int Id, Exception? Error)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, eventId.Id, exception));
    }
}

/// <summary>
/// Wraps a multiplexer: its <c>ConnectionRestored</c> and <c>ConnectionFailed</c> handlers are kept here (the test raises
/// them), and its subscriber's <c>PingAsync</c> and <c>UnsubscribeAsync</c> can be held or failed. Everything else is
/// forwarded.
/// </summary>
public class EventfulMultiplexer : DispatchProxy
{
    private readonly List<EventHandler<ConnectionFailedEventArgs>> _restored = [];
    private IConnectionMultiplexer _target = null!;

    internal TaskCompletionSource<TimeSpan>? Ping { get; private set; }

    internal Exception? UnsubscribeError { get; private set; }

    /// <summary>What <c>IsConnected</c> answers; null forwards it.</summary>
    public bool? Connected { get; set; }

    public static (IConnectionMultiplexer Multiplexer, EventfulMultiplexer Events) Wrap(IConnectionMultiplexer target)
    {
        var multiplexer = Create<IConnectionMultiplexer, EventfulMultiplexer>();
        var events = (EventfulMultiplexer)(object)multiplexer;
        events._target = target;
        return (multiplexer, events);
    }

    /// <summary>Makes the subscriber's next pings wait for the returned source.</summary>
    public TaskCompletionSource<TimeSpan> HoldPing() => Ping = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Makes the subscriber's <c>UnsubscribeAsync</c> fail with <paramref name="error"/>.</summary>
    public void FailUnsubscribe(Exception error) => UnsubscribeError = error;

    /// <summary>Raises <c>ConnectionRestored</c> as StackExchange.Redis does for a connection of <paramref name="type"/>.</summary>
    public void RaiseRestored(ConnectionType type)
    {
        var args = new ConnectionFailedEventArgs(this, _target.GetEndPoints()[0], type, ConnectionFailureType.None, null!, "test");
        EventHandler<ConnectionFailedEventArgs>[] handlers;
        lock (_restored)
        {
            handlers = [.. _restored];
        }

        foreach (var handler in handlers)
        {
            handler(this, args);
        }
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        switch (targetMethod!.Name)
        {
            case "add_ConnectionRestored":
                lock (_restored)
                {
                    _restored.Add((EventHandler<ConnectionFailedEventArgs>)args![0]!);
                }

                return null;
            case "remove_ConnectionRestored":
                lock (_restored)
                {
                    _restored.Remove((EventHandler<ConnectionFailedEventArgs>)args![0]!);
                }

                return null;
            case "add_ConnectionFailed" or "remove_ConnectionFailed":
                return null;
            case "get_IsConnected" when Connected is { } connected:
                return connected;
            case nameof(IConnectionMultiplexer.GetSubscriber):
                return EventfulSubscriber.Wrap((ISubscriber)LoadingServer.Forward(_target, targetMethod, args)!, this);
            default:
                return LoadingServer.Forward(_target, targetMethod, args);
        }
    }
}

/// <summary>The subscriber side of <see cref="EventfulMultiplexer"/>.</summary>
public class EventfulSubscriber : DispatchProxy
{
    private ISubscriber _target = null!;
    private EventfulMultiplexer _owner = null!;

    public static ISubscriber Wrap(ISubscriber target, EventfulMultiplexer owner)
    {
        var subscriber = Create<ISubscriber, EventfulSubscriber>();
        var wrapper = (EventfulSubscriber)(object)subscriber;
        wrapper._target = target;
        wrapper._owner = owner;
        return subscriber;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod!.Name == nameof(ISubscriber.PingAsync) && _owner.Ping is { } ping)
        {
            return ping.Task;
        }

        if (targetMethod.Name == nameof(ISubscriber.UnsubscribeAsync) && _owner.UnsubscribeError is { } error)
        {
            return Task.FromException(error);
        }

        return LoadingServer.Forward(_target, targetMethod, args);
    }
}
