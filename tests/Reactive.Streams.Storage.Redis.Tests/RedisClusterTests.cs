using Reactive.Streams.Storage.Tests;

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
