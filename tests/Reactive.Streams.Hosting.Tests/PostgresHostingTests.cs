using Microsoft.Extensions.DependencyInjection;
using Reactive.Streams.Storage.Postgres;
using Reactive.Streams.Storage.Postgres.Tests;

namespace Reactive.Streams.Hosting.Tests;

public sealed class PostgresHostingTests(PostgresServerFixture server) : IClassFixture<PostgresServerFixture>
{
    [Fact]
    public async Task The_log_is_postgres_when_the_configuration_says_so_and_a_worker_runs_on_it()
    {
        server.EnsureRunning();
        var id = Guid.NewGuid().ToString("N");
        var probe = RecordingHandler.Probes[id] = new RecordingHandler.Probe();
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Log:Provider"] = "Postgres",
            ["ReactiveStreams:Log:ConnectionString"] = server.ConnectionString,
            ["ReactiveStreams:Log:Postgres:WatchLease"] = "00:00:30",
            ["ReactiveStreams:Canals:pg:Stream"] = $"orders-{id}",
        }, withLogPath: false);
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("pg");
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        var appended = await log.AppendAsync($"orders-{id}", $"{id}/one", AppendMode.Durable);
        await probe.WaitForAsync(1);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(appended.Id, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("pg"));
        var opened = await host.Services.GetRequiredService<HostedStreamLog>().Opened;
        Assert.IsType<PostgresStreamLog>(opened);
        Assert.False(File.Exists(test.DatabasePath));
    }
}
