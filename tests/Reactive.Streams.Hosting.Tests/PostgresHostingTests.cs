using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
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
        // A worker and checkpoint of its own: the server's database is shared by every test of the class.
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Log:Provider"] = "Postgres",
            ["ReactiveStreams:Log:ConnectionString"] = server.ConnectionString,
            ["ReactiveStreams:Log:Postgres:WatchLease"] = "00:00:30",
            [$"ReactiveStreams:Canals:pg{id}:Stream"] = $"orders-{id}",
        }, withLogPath: false);
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>($"pg{id}");
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        var appended = await log.AppendAsync($"orders-{id}", $"{id}/one", AppendMode.Durable);
        await probe.WaitForAsync(1);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(appended.Id, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync($"pg{id}"));
        var opened = await host.Services.GetRequiredService<HostedStreamLog>().Opened;
        Assert.IsType<PostgresStreamLog>(opened);
        Assert.False(File.Exists(test.DatabasePath));
    }

    [Fact]
    public async Task A_postgres_log_takes_its_server_from_the_connection_strings_entry_and_reads_with_Log_Postgres_options()
    {
        // hosting.md: with no Log:ConnectionString, "the ConnectionStrings entry named by ConnectionStringName (default
        // ReactiveStreams) is used", and Log:Postgres binds the backend's own options, MaxReadCount included.
        server.EnsureRunning();
        var stream = $"orders-{Guid.NewGuid():N}";
        await using var test = new TestHost(new()
        {
            ["ConnectionStrings:Streams"] = server.ConnectionString,
            ["ReactiveStreams:Log:Provider"] = "Postgres",
            ["ReactiveStreams:Log:ConnectionStringName"] = "Streams",
            ["ReactiveStreams:Log:Postgres:MaxReadCount"] = "2",
        }, withLogPath: false);
        test.Builder.Services.AddReactiveStreams();
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        for (var i = 0; i < 3; i++)
        {
            await log.AppendAsync(stream, $"o{i}", AppendMode.Durable);
        }

        Assert.IsType<PostgresStreamLog>(await host.Services.GetRequiredService<HostedStreamLog>().Opened);
        Assert.Equal(2, (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Count);
    }

    [Fact]
    public async Task The_log_opens_on_the_containers_NpgsqlDataSource_and_ignores_the_connection_strings_entry()
    {
        server.EnsureRunning();
        var id = Guid.NewGuid().ToString("N");
        var probe = RecordingHandler.Probes[id] = new RecordingHandler.Probe();
        await using var test = new TestHost(new()
        {
            // Not consulted once the log opens on a data source; were it used, opening would fail.
            ["ConnectionStrings:ReactiveStreams"] = "Host=127.0.0.1;Port=1;Username=nobody",
            [$"ReactiveStreams:Canals:pg{id}:Stream"] = $"orders-{id}",
        }, withLogPath: false);
        test.Builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(server.ConnectionString));
        test.Builder.Services.AddReactiveStreams().UseNpgsqlDataSource().AddCanalWorker<RecordingHandler>($"pg{id}");
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        var appended = await log.AppendAsync($"orders-{id}", $"{id}/one", AppendMode.Durable);
        await probe.WaitForAsync(1);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(appended.Id, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync($"pg{id}"));
        Assert.IsType<PostgresStreamLog>(await host.Services.GetRequiredService<HostedStreamLog>().Opened);
        Assert.Equal(StreamLogProvider.Postgres, host.Services.GetRequiredService<IOptions<StreamLogHostOptions>>().Value.Provider);
        Assert.False(File.Exists(test.DatabasePath));
    }

    [Fact]
    public async Task A_data_source_given_by_a_factory_is_used_and_outlives_the_host()
    {
        server.EnsureRunning();
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        var stream = $"orders-{Guid.NewGuid():N}";
        await using (var test = new TestHost(withLogPath: false))
        {
            test.Builder.Services.AddReactiveStreams().UseNpgsqlDataSource(_ => dataSource);
            var host = await test.StartAsync();
            await host.Services.GetRequiredService<IStreamLog>().AppendAsync(stream, "kept", AppendMode.Durable);
            await host.StopAsync().WaitAsync(TestHost.Hang);
            host.Dispose();
        }

        // The host and its log are gone; the caller's data source is still open and sees the frame.
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM rs_frames WHERE stream = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_data_source_beside_a_connection_string_fails_the_start_naming_the_key()
    {
        await using var test = new TestHost(new() { ["ReactiveStreams:Log:ConnectionString"] = "Host=127.0.0.1" }, withLogPath: false);
        test.Builder.Services.AddSingleton(_ => NpgsqlDataSource.Create("Host=127.0.0.1"));
        test.Builder.Services.AddReactiveStreams().UseNpgsqlDataSource();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(test.StartAsync);

        Assert.Equal(
            ["ReactiveStreams:Log:ConnectionString is set, but the log opens on the NpgsqlDataSource given to UseNpgsqlDataSource; remove one."],
            error.Failures);
    }

    [Fact]
    public async Task Without_a_registered_data_source_the_start_fails_naming_the_missing_service()
    {
        await using var test = new TestHost(withLogPath: false);
        test.Builder.Services.AddReactiveStreams().UseNpgsqlDataSource();

        var error = await Assert.ThrowsAnyAsync<Exception>(test.StartAsync);

        Assert.Contains(nameof(NpgsqlDataSource), error.Message, StringComparison.Ordinal);
        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7004);
    }
}
