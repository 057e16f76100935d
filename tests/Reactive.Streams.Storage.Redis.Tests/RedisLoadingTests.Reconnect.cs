using System.Text;
using Reactive.Streams.Storage.Tests;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// Calls made while the server cannot be reached (<see cref="RedisStreamLogOptions.ReconnectTimeout"/>). A command that
/// was never sent (it timed out in StackExchange.Redis's backlog, as commands do while there is no connection) is sent
/// again, appends included; one that a lost connection failed in flight is sent again only when it is idempotent. The
/// failures are injected by wrapping the log's database (<see cref="LoadingServer"/>), and the waits run on a
/// <see cref="TestClock"/>; the last test stops the real server. (Part of <see cref="RedisLoadingTests"/>, whose wrapper and
/// helpers they share.)
/// </summary>
public sealed partial class RedisLoadingTests
{
    private static Exception NotSent() =>
        new RedisTimeoutException("The message timed out in the backlog attempting to send because no connection became available", CommandStatus.WaitingInBacklog);

    private static Exception LostInFlight() =>
        new RedisConnectionException(ConnectionFailureType.SocketFailure, "SocketFailure (ReadSocketError/ConnectionReset) on 127.0.0.1:6379/Interactive");

    private static Exception TimedOutAfterSending() =>
        new RedisTimeoutException("Timeout awaiting response (outbound=0KiB, inbound=0KiB, 5000ms elapsed, timeout is 5000ms)", CommandStatus.Sent);

    // What StackExchange.Redis throws for a command while its connection cannot authenticate (a wrong password or user,
    // or a password rotated on the server): the command timed out in its backlog, and the last connection failure is the
    // authentication's.
    private static Exception AuthenticationFailed() =>
        new RedisConnectionException(
            ConnectionFailureType.UnableToConnect,
            "The message timed out in the backlog attempting to send because no connection became available (5000ms) - Last Connection Exception: AuthenticationFailure (None, last-recv: 547) on 127.0.0.1:6379/Interactive",
            new RedisConnectionException(
                ConnectionFailureType.AuthenticationFailure,
                "AuthenticationFailure (None, last-recv: 547) on 127.0.0.1:6379/Interactive",
                new InvalidOperationException("Error: WRONGPASS invalid username-password pair or user is disabled.")));

    public static TheoryData<string> EveryCall => ["read", "tail", "summary", "checkpoint read", "checkpoint write", "create group", "claim", "own pending", "ack", "pending", "group", "append"];

    [Theory]
    [MemberData(nameof(EveryCall))]
    public async Task A_call_refused_for_its_credentials_is_thrown_at_once_and_never_sent_again(string call)
    {
        var log = await OpenAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, Utf8("a"), AppendMode.Durable);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var timers = _clock.TimersCreated;
        _loading.Fail(int.MaxValue, AuthenticationFailed);

        Task attempt = call switch
        {
            "read" => log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10).AsTask(),
            "tail" => log.TailAsync(stream, StreamId.Min, TimeSpan.FromDays(1), 10).AsTask(),
            "summary" => log.ReadSummaryAsync(stream).AsTask(),
            "checkpoint read" => log.ReadCheckpointAsync("auth").AsTask(),
            "checkpoint write" => log.WriteCheckpointAsync("auth", new StreamId(1, 0)).AsTask(),
            "create group" => log.CreateGroupAsync(stream, "h", ConsumerGroupStart.Beginning).AsTask(),
            "claim" => log.ClaimAsync(stream, "g", "c", 10, TimeSpan.FromMinutes(1)).AsTask(),
            "own pending" => log.ClaimOwnPendingAsync(stream, "g", "c", StreamId.Min, 10).AsTask(),
            "ack" => log.AcknowledgeAsync(stream, "g", [new StreamId(1, 0)]).AsTask(),
            "pending" => log.ReadPendingAsync(stream, "g", null, 10).AsTask(),
            "group" => log.ReadGroupAsync(stream, "g").AsTask(),
            _ => log.AppendAsync(stream, Utf8("refused"), AppendMode.Durable).AsTask(),
        };

        // Waiting cannot make a wrong password right: the error is thrown as it came, with no wait and no second attempt.
        var first = await Task.WhenAny(attempt, _clock.WaitForTimersAsync(timers + 1)).WaitAsync(Guard);
        _loading.Fail(0, AuthenticationFailed);
        if (first != attempt)
        {
            _clock.Advance(TimeSpan.FromHours(1));
        }

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => attempt.WaitAsync(Guard));
        Assert.Equal(ConnectionFailureType.AuthenticationFailure, Assert.IsType<RedisConnectionException>(error.InnerException).FailureType);
        Assert.Equal(1, _loading.Refused);
        Assert.Equal(timers, _clock.TimersCreated);
        Assert.Equal(["a"], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
    }

    [Fact]
    public async Task An_append_that_was_never_sent_is_sent_again_after_the_waits_and_written_once()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, Utf8("first"), AppendMode.Durable);
        var timers = _clock.TimersCreated;
        _loading.Fail(3, NotSent);

        var append = log.AppendAsync(stream, Utf8("second"), AppendMode.Durable).AsTask();
        foreach (var wait in new[] { 50, 100, 200 })
        {
            await WaitingAsync(append, ++timers);
            _clock.Advance(TimeSpan.FromMilliseconds(wait));
        }

        Assert.Equal(2, (await append.WaitAsync(Guard)).FrameCount);
        Assert.Equal(["first", "second"], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_append_that_may_have_run_is_thrown_at_once_and_never_sent_again(bool timedOutAfterSending)
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var timers = _clock.TimersCreated;
        _loading.Fail(1, timedOutAfterSending ? TimedOutAfterSending : LostInFlight);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => log.AppendAsync(stream, Utf8("x"), AppendMode.Durable).AsTask());

        Assert.IsType(timedOutAfterSending ? typeof(RedisTimeoutException) : typeof(RedisConnectionException), error);
        Assert.Equal(timers, _clock.TimersCreated);
        Assert.Equal(1, _loading.Refused);
        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
    }

    [Fact]
    public async Task A_checkpoint_write_lost_in_flight_again_and_again_is_sent_at_once_then_after_the_waits()
    {
        var log = await OpenAsync();
        var id = "reconnect-" + Guid.NewGuid().ToString("N");
        var timers = _clock.TimersCreated;
        _loading.Fail(5, LostInFlight);

        var write = log.WriteCheckpointAsync(id, new StreamId(7, 1)).AsTask();
        // The second attempt went at once; the third, fourth and fifth after 50, 100, 200 ms.
        foreach (var wait in new[] { 50, 100, 200 })
        {
            await WaitingAsync(write, ++timers);
            _clock.Advance(TimeSpan.FromMilliseconds(wait - 1));
            Assert.False(write.IsCompleted);
            _clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        await WaitingAsync(write, ++timers);
        _clock.Advance(TimeSpan.FromMilliseconds(400));
        await write.WaitAsync(Guard);
        Assert.Equal(5, _loading.Refused);
        Assert.Equal(new StreamId(7, 1), await log.ReadCheckpointAsync(id));
    }

    [Fact]
    public async Task Reads_and_acknowledgements_timed_out_after_sending_are_sent_again()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, Utf8("a"), AppendMode.Durable);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var claimed = Assert.Single((await log.ClaimAsync(stream, "g", "c1", 10, TimeSpan.FromMinutes(1))).Frames);

        var timers = _clock.TimersCreated;
        _loading.Fail(1, TimedOutAfterSending);
        var read = log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10).AsTask();
        await WaitingAsync(read, ++timers);
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(["a"], (await read.WaitAsync(Guard)).Select(Text));

        _loading.Fail(1, TimedOutAfterSending);
        var ack = log.AcknowledgeAsync(stream, "g", [claimed.Frame.Id]).AsTask();
        await WaitingAsync(ack, ++timers);
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(1, await ack.WaitAsync(Guard));
    }

    [Fact]
    public async Task The_time_is_bounded_by_ReconnectTimeout_and_the_last_error_is_thrown_with_nothing_written()
    {
        var log = await OpenAsync(reconnectTimeout: TimeSpan.FromMilliseconds(120));
        var stream = NewStream();
        var timers = _clock.TimersCreated;
        _loading.Fail(int.MaxValue, NotSent);

        var append = log.AppendAsync(stream, Utf8("never"), AppendMode.Durable).AsTask();
        await WaitingAsync(append, ++timers);
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        await WaitingAsync(append, ++timers); // the rest: 70 ms, not 100
        _clock.Advance(TimeSpan.FromMilliseconds(70));

        var error = await Assert.ThrowsAsync<RedisTimeoutException>(() => append.WaitAsync(Guard));
        Assert.Equal(CommandStatus.WaitingInBacklog, error.Commandstatus);
        Assert.Equal(timers, _clock.TimersCreated);
        _loading.Fail(0, NotSent);
        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
    }

    [Fact]
    public async Task Disposing_the_log_ends_a_wait_with_ObjectDisposedException()
    {
        var log = await OpenAsync();
        var timers = _clock.TimersCreated;
        _loading.Fail(int.MaxValue, NotSent);
        var append = log.AppendAsync(NewStream(), Utf8("never"), AppendMode.Durable).AsTask();
        await WaitingAsync(append, timers + 1);

        await log.DisposeAsync();

        // Named as a call after the disposal names the log (ObjectDisposedException.ThrowIf: the type's full name).
        var error = await Assert.ThrowsAsync<ObjectDisposedException>(() => append.WaitAsync(Guard));
        Assert.Equal(typeof(RedisStreamLog).FullName, error.ObjectName);
        _loading.Fail(0, NotSent);
    }

    [Fact]
    public async Task Cancelling_a_call_ends_its_wait()
    {
        var log = await OpenAsync();
        using var cancel = new CancellationTokenSource();
        var timers = _clock.TimersCreated;
        _loading.Fail(int.MaxValue, LostInFlight);
        var read = log.ReadCheckpointAsync("reconnect-cancel", cancel.Token).AsTask();
        await WaitingAsync(read, timers + 1);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Guard));
        _loading.Fail(0, NotSent);
    }

    [Fact]
    public async Task A_checkpoint_written_while_the_real_server_is_down_is_stored_once_it_is_back()
    {
        // The log's own multiplexer, with a short async timeout so a command waits little in the backlog.
        var configuration = Server.ConfigurationString.Replace("asyncTimeout=10000", "asyncTimeout=300", StringComparison.Ordinal);
        var log = await RedisStreamLog.OpenAsync(configuration, new RedisStreamLogOptions { TimeProvider = _clock });
        _owned.Add(log);
        var id = "reconnect-" + Guid.NewGuid().ToString("N");
        await log.WriteCheckpointAsync(id, new StreamId(1, 0));

        Server.Stop();
        Task write;
        var timers = _clock.TimersCreated;
        try
        {
            write = log.WriteCheckpointAsync(id, new StreamId(2, 0)).AsTask();
            await WaitingAsync(write, ++timers);
        }
        finally
        {
            await Server.StartAgainAsync();
        }

        // Each wait on the virtual clock lets the command go again; it fails until the multiplexer has reconnected.
        var guard = System.Diagnostics.Stopwatch.StartNew();
        while (!write.IsCompleted && guard.Elapsed < Guard)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(write, Task.Delay(50));
        }

        await write.WaitAsync(Guard);
        Assert.Equal(new StreamId(2, 0), await log.ReadCheckpointAsync(id));
    }
}
