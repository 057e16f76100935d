using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>The kill test on Redis, in a database of its own on the throwaway server.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisPipelineKillTests(RedisServerFixture server) : PipelineKillTests, IAsyncLifetime
{
    protected override string ConsumerArgument => server.Configuration(database: 1);

    protected override async Task<IStreamLog> OpenLogAsync() => await RedisStreamLog.OpenAsync(ConsumerArgument);

    public Task InitializeAsync()
    {
        server.EnsureRunning();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
