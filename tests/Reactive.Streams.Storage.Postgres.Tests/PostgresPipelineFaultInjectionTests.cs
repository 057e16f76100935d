using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>
/// The fault-injection pipeline test on PostgreSQL. The backend fault: the throwaway server restarts (fast shutdown,
/// every connection terminated) at a random moment of some runs.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresPipelineFaultInjectionTests(PostgresServerFixture server) : PipelineFaultInjectionTests
{
    private int _restarts;

    protected override async Task<IStreamLog> OpenLogAsync()
    {
        server.EnsureRunning();
        return await PostgresStreamLog.OpenAsync(server.ConnectionString);
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
