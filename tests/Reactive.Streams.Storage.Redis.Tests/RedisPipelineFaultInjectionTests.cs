using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// The fault-injection pipeline test on Redis. The backend fault: the throwaway server is killed (SIGKILL) and
/// restarted on its append-only file at a random moment of some runs.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisPipelineFaultInjectionTests(RedisServerFixture server) : PipelineFaultInjectionTests
{
    private int _restarts;

    protected override async Task<IStreamLog> OpenLogAsync()
    {
        server.EnsureRunning();
        return await RedisStreamLog.OpenAsync(server.Configuration(database: 2));
    }

    protected override bool HasBackendFaults => true;

    protected override Func<Task, Task>? BackendFault(int run, Random random)
    {
        if (run % 3 != 1 || _restarts >= 3)
        {
            return null;
        }

        _restarts++;
        return _ => server.RestartAsync();
    }
}
