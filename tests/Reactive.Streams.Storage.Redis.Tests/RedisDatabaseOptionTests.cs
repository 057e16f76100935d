using System.Text;
using Reactive.Streams.Storage.Tests;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// docs/stream-log.md: <see cref="RedisStreamLogOptions.Database"/> selects the database (default -1, the connection's
/// default). Two logs with the same key prefix on two databases of one server do not see each other's frames,
/// checkpoints or groups; a database the server does not have fails opening, naming it.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisDatabaseOptionTests(RedisServerFixture server) : IAsyncLifetime
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

    private async Task<RedisStreamLog> OpenAsync(string configuration, int database, string prefix)
    {
        var log = await RedisStreamLog.OpenAsync(configuration, new RedisStreamLogOptions { TimeProvider = _clock, Database = database, KeyPrefix = prefix });
        _owned.Add(log);
        return log;
    }

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    [Fact]
    public async Task The_Database_option_overrides_the_connections_default_and_keeps_two_databases_apart()
    {
        var prefix = $"db{Guid.NewGuid():N}:";
        const string Stream = "s";
        var onThree = await OpenAsync(server.Configuration(database: 0), database: 3, prefix);
        var onDefault = await OpenAsync(server.Configuration(database: 0), database: -1, prefix);
        var threeByDefault = await OpenAsync(server.Configuration(database: 3), database: -1, prefix);

        await onThree.AppendAsync(Stream, "in three", AppendMode.Durable);
        await onThree.WriteCheckpointAsync("c", new StreamId(3, 0));
        Assert.True(await onThree.CreateGroupAsync(Stream, "g", ConsumerGroupStart.Beginning));

        // The connection's default database (0) holds none of it; the connection that defaults to 3 sees all of it.
        Assert.Empty(await onDefault.ReadAsync(Stream, StreamId.Min, StreamId.Max, 10));
        Assert.Null(await onDefault.ReadCheckpointAsync("c"));
        Assert.Null(await onDefault.ReadGroupAsync(Stream, "g"));
        Assert.Equal(["in three"], (await threeByDefault.ReadAsync(Stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
        Assert.Equal(new StreamId(3, 0), await threeByDefault.ReadCheckpointAsync("c"));
        Assert.Equal(["in three"], (await threeByDefault.ClaimAsync(Stream, "g", "c1", 10, TimeSpan.FromMinutes(1))).Frames.Select(f => Text(f.Frame)));

        await using var raw = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        Assert.Equal(1, await raw.GetDatabase(3).StreamLengthAsync($"{prefix}{{{Stream}}}:d"));
        Assert.False(await raw.GetDatabase(0).KeyExistsAsync($"{prefix}{{{Stream}}}:d"));
    }

    [Fact]
    public async Task An_append_in_one_database_does_not_wake_a_tail_of_the_same_prefix_in_another()
    {
        // Redis's pub/sub channels are server-wide, not per database: the announcement of database 3 reaches the tail of
        // database 0, which re-checks, finds nothing in its own database and keeps waiting until its timeout.
        var prefix = $"db{Guid.NewGuid():N}:";
        var onThree = await OpenAsync(server.ConfigurationString, database: 3, prefix);
        var onZero = await OpenAsync(server.ConfigurationString, database: 0, prefix);
        var timers = _clock.TimersCreated;
        var tail = onZero.TailAsync("s", StreamId.Min, TimeSpan.FromSeconds(30), 10).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);

        await onThree.AppendAsync("s", "elsewhere", AppendMode.Durable);
        await _clock.WaitForTimersAsync(timers + 2);
        Assert.False(tail.IsCompleted);

        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(await tail.WaitAsync(Guard));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_database_the_server_does_not_have_fails_opening_at_once_naming_the_option(bool onMultiplexer)
    {
        // The fixture's server has 16 databases (0-15).
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        var options = new RedisStreamLogOptions { TimeProvider = _clock, Database = 16 };
        var timers = _clock.TimersCreated;
        var open = (onMultiplexer ? RedisStreamLog.OpenAsync(multiplexer, options) : RedisStreamLog.OpenAsync(server.ConfigurationString, options)).AsTask();

        var first = await Task.WhenAny(open, _clock.WaitForTimersAsync(timers + 1)).WaitAsync(Guard);
        Assert.True(first == open, "Opening waited to send its command again instead of failing.");
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => open);
        Assert.Equal(nameof(RedisStreamLogOptions.Database), error.ParamName);
        Assert.Contains("0 to 15", error.Message, StringComparison.Ordinal);
        Assert.True(multiplexer.IsConnected);

        // The last database is fine.
        options.Database = 15;
        await using var log = await RedisStreamLog.OpenAsync(multiplexer, options);
        await log.AppendAsync("s" + Guid.NewGuid().ToString("N"), "in 15", AppendMode.Durable);
    }
}
