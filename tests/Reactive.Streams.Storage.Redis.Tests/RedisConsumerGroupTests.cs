using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// The consumer-group conformance suite on Redis's native consumer groups. Claim timeouts and idle times are on the
/// log's clock (kept beside Redis's pending list), so the suite's virtual time applies as on the other backends.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisConsumerGroupTests(RedisServerFixture server) : ConsumerGroupConformanceTests
{
    public override Task InitializeAsync()
    {
        server.EnsureRunning();
        return Task.CompletedTask;
    }

    protected override async ValueTask<IConsumerGroupLog> OpenLogAsync(StreamLogOptions options) =>
        await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions(options));
}
