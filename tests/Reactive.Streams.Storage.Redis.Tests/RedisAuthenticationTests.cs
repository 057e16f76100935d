using System.Text;
using Reactive.Streams.Storage.Tests;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// A server with a password (<c>requirepass</c>): the right one works for commands and for the subscription that wakes
/// tails; a wrong or missing one fails opening at once with StackExchange.Redis's authentication failure, and is never
/// waited out as a server that cannot be reached is (for <see cref="RedisStreamLogOptions.ReconnectTimeout"/>): no
/// retry can make a wrong password right.
/// </summary>
[Collection(RedisPasswordCollection.Name)]
public sealed class RedisAuthenticationTests(RedisPasswordServerFixture server, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly TestClock _clock = new();
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync()
    {
        server.EnsureRunning();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    private static string NewStream() => "auth-" + Guid.NewGuid().ToString("N");

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    [Fact]
    public async Task The_right_password_opens_the_log_and_its_tails_wake_on_appends()
    {
        var log = await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = _clock });
        _owned.Add(log);
        var writer = await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = _clock });
        _owned.Add(writer);
        var stream = NewStream();
        await log.AppendAsync(stream, "first", AppendMode.Durable);

        // The subscription's connection authenticates too: a parked tail is woken by the other log's announcement.
        var timers = _clock.TimersCreated;
        var tail = log.TailAsync(stream, (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10))[^1].Id, TimeSpan.FromDays(1), 10).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);
        await writer.AppendAsync(stream, "second", AppendMode.Durable);

        Assert.Equal(["second"], (await tail.WaitAsync(Guard)).Select(Text));
    }

    public static TheoryData<string, bool> WrongCredentials => new()
    {
        { ",password=wrong", true },
        { ",password=wrong", false },
        { string.Empty, true },
        { string.Empty, false },
        { ",user=nobody,password=" + RedisPasswordServerFixture.Password, true },
    };

    [Theory]
    [MemberData(nameof(WrongCredentials))]
    public async Task Opening_with_a_wrong_or_missing_password_fails_at_once_naming_authentication(string credentials, bool abortConnect)
    {
        var configuration = server.BareConfiguration() + credentials + ",connectRetry=0,abortConnect=" + (abortConnect ? "true" : "false");
        var timers = _clock.TimersCreated;

        var open = RedisStreamLog.OpenAsync(configuration, new RedisStreamLogOptions { TimeProvider = _clock }).AsTask();

        var error = await FailsWithoutWaitingAsync(open, timers);
        Assert.True(IsAuthenticationFailure(error), $"The error does not name authentication: {error}");
    }

    [Fact]
    public async Task Opening_on_a_multiplexer_whose_password_is_wrong_fails_at_once()
    {
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(server.BareConfiguration() + ",password=wrong,abortConnect=false");
        var timers = _clock.TimersCreated;

        var open = RedisStreamLog.OpenAsync(multiplexer, new RedisStreamLogOptions { TimeProvider = _clock }).AsTask();

        var error = await FailsWithoutWaitingAsync(open, timers);
        Assert.True(IsAuthenticationFailure(error), $"The error does not name authentication: {error}");
    }

    /// <summary>The call's error; fails the test if the call waited on the log's clock to send its command again.</summary>
    private async Task<Exception> FailsWithoutWaitingAsync(Task call, int timers)
    {
        var retrying = _clock.WaitForTimersAsync(timers + 1);
        var first = await Task.WhenAny(call, retrying).WaitAsync(Guard);
        if (first != call)
        {
            // Let the call end rather than leave it waiting on the virtual clock for ever.
            _clock.Advance(TimeSpan.FromHours(1));
            var late = await Record.ExceptionAsync(() => call.WaitAsync(Guard));
            Assert.Fail($"The call waited to send its command again instead of failing at once; it then ended with: {late}");
        }

        var error = await Assert.ThrowsAnyAsync<Exception>(() => call);
        output.WriteLine(error.ToString());
        return error;
    }

    private static bool IsAuthenticationFailure(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }
                || error.Message.Contains("auth", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
