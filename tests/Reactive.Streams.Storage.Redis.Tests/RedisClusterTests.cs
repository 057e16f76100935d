using Reactive.Streams.Storage.Tests;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// The stream-log conformance suite on a one-node Redis cluster, where every script's keys must share one slot
/// (CROSSSLOT otherwise): a stream's keys share its hash tag whatever its name.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterStreamLogTests(RedisClusterFixture server) : PersistentStreamLogConformanceTests
{
    public override Task InitializeAsync()
    {
        server.EnsureRunning();
        return Task.CompletedTask;
    }

    protected override async ValueTask<IStreamLog> OpenLogAsync(StreamLogOptions options) =>
        await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions(options));
}

/// <summary>The consumer-group conformance suite on a one-node Redis cluster: a group's keys share its stream's slot.</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterConsumerGroupTests(RedisClusterFixture server) : ConsumerGroupConformanceTests
{
    public override Task InitializeAsync()
    {
        server.EnsureRunning();
        return Task.CompletedTask;
    }

    protected override async ValueTask<IConsumerGroupLog> OpenLogAsync(StreamLogOptions options) =>
        await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions(options));
}

/// <summary>The Redis log's own cluster cases: a cluster has only database 0, and every key of a stream shares one slot.</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterKeyTests(RedisClusterFixture server) : IAsyncLifetime
{
    public Task InitializeAsync()
    {
        server.EnsureRunning();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_database_other_than_0_fails_opening_on_a_cluster_naming_the_option()
    {
        var open = RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions { Database = 1 }).AsTask();

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => open.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal(nameof(RedisStreamLogOptions.Database), error.ParamName);
        Assert.Contains("cluster", error.Message, StringComparison.Ordinal);

        // Database 0, named or by default, is the cluster's.
        await using var log = await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions { Database = 0 });
        await log.AppendAsync("s" + Guid.NewGuid().ToString("N"), "in 0", AppendMode.Durable);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("{tagged}")]
    [InlineData("}leading")]
    [InlineData("a}b{c}d")]
    [InlineData("with space: and colon")]
    [InlineData("ünï😀")]
    [InlineData("%7D")]
    public async Task Every_key_of_a_stream_and_its_groups_is_in_one_slot(string stream)
    {
        var prefix = $"slot{Guid.NewGuid():N}:";
        await using var log = await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions { KeyPrefix = prefix });
        await log.AppendAsync(stream, "d", AppendMode.Durable);
        await log.AppendAsync(stream, "l", AppendMode.BestEffortLive);
        await log.AppendAsync(stream, """{"s":1}""", AppendMode.DurableSummary);
        await log.CreateGroupAsync(stream, "g}{", ConsumerGroupStart.Beginning);
        Assert.Equal(3, (await log.ClaimAsync(stream, "g}{", "c", 10, TimeSpan.FromMinutes(1))).Frames.Count);

        var node = log.Multiplexer.GetServer(log.Multiplexer.GetEndPoints()[0]);
        var keys = new List<RedisKey>();
        await foreach (var key in node.KeysAsync(pattern: prefix + "*"))
        {
            keys.Add(key);
        }

        // The durable and best-effort streams, the hash, and the group's sorted set and member hash.
        Assert.Equal(5, keys.Count);
        Assert.Single(keys.Select(k => log.Multiplexer.HashSlot(k)).Distinct());
    }
}
