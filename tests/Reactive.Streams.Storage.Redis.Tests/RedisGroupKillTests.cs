using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>The group kill test on Redis: three member processes, each with its own multiplexer, in a database of their own.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisGroupKillTests(RedisServerFixture server) : GroupKillTests, IAsyncLifetime
{
    protected override string MemberArgument => server.Configuration(database: 3);

    protected override async Task<IConsumerGroupLog> OpenLogAsync() => await RedisStreamLog.OpenAsync(MemberArgument);

    public Task InitializeAsync()
    {
        server.EnsureRunning();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
