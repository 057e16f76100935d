using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Reactive.Streams.Storage.Sqlite;
using Reactive.Streams.Tests;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>
/// The configuration surface docs/hosting.md names in its prose (not only the keys of its JSON example), in the three
/// forms a worker service is configured in: appsettings-style keys, environment variables
/// (<c>ReactiveStreams__Canals__orders__MaxBatch</c>) and the command line (<c>--ReactiveStreams:Canals:orders:MaxBatch=5</c>).
/// </summary>
public sealed class ConfigurationFormsTests
{
    private sealed record Order(int Id);

    private sealed class NamedSink(string name) : IDeliverySink<Order>
    {
        public string Name => name;

        public ValueTask WriteAsync(Order item, CancellationToken cancellationToken) => default;
    }

    /// <summary>Every key the page names, with a value other than its default.</summary>
    private static readonly Dictionary<string, string> s_documentedKeys = new()
    {
        ["ConnectionStrings:Orders"] = "Data Source=from-connection-string.db",
        ["ReactiveStreams:Log:Provider"] = "Sqlite",
        ["ReactiveStreams:Log:ConnectionStringName"] = "Orders",
        ["ReactiveStreams:Log:Sqlite:Synchronous"] = "Extra",
        ["ReactiveStreams:Log:Sqlite:BusyTimeout"] = "00:00:03",
        ["ReactiveStreams:Log:Sqlite:PollInterval"] = "00:00:00.020",
        ["ReactiveStreams:Log:Sqlite:MaxPollInterval"] = "00:00:02",
        ["ReactiveStreams:Log:Sqlite:MaxReadCount"] = "500",
        ["ReactiveStreams:Log:Sqlite:LiveRetention:Floor"] = "4",
        ["ReactiveStreams:Log:Sqlite:LiveRetention:Ttl"] = "00:00:07",
        ["ReactiveStreams:Log:Postgres:MaxReadCount"] = "700",
        ["ReactiveStreams:Log:Postgres:ReconnectTimeout"] = "00:00:09",
        ["ReactiveStreams:Log:Postgres:LiveRetention:Ceiling"] = "300",
        ["ReactiveStreams:Canals:orders:Stream"] = "orders.in",
        ["ReactiveStreams:Canals:orders:CheckpointId"] = "orders-dispatch",
        ["ReactiveStreams:Canals:orders:Visibility"] = "ExcludeBestEffort",
        ["ReactiveStreams:Canals:orders:MaxBatch"] = "5",
        ["ReactiveStreams:Canals:orders:Deadline"] = "00:00:00.250",
        ["ReactiveStreams:Canals:orders:MaxLagCount"] = "77",
        ["ReactiveStreams:Canals:orders:MaxLagAge"] = "00:02:00",
        ["ReactiveStreams:Dispatchers:orders:QueueCapacity"] = "100",
        ["ReactiveStreams:Dispatchers:orders:OnFull"] = "Drop",
        ["ReactiveStreams:Dispatchers:orders:MaxBatch"] = "8",
        ["ReactiveStreams:Dispatchers:orders:BatchFlush"] = "00:00:00.050",
        ["ReactiveStreams:Dispatchers:orders:MaxRetries"] = "6",
        ["ReactiveStreams:Dispatchers:orders:BackoffBase"] = "00:00:00.300",
        ["ReactiveStreams:Dispatchers:orders:MaxBackoff"] = "00:00:20",
        ["ReactiveStreams:Dispatchers:orders:BackoffJitter"] = "true",
        ["ReactiveStreams:Dispatchers:orders:MaxQueueDepth"] = "90",
        ["ReactiveStreams:Dispatchers:orders:DrainTimeout"] = "00:00:04",
        ["ReactiveStreams:Dispatchers:orders:Sinks:webhook:QueueCapacity"] = "40",
        ["ReactiveStreams:Dispatchers:orders:Sinks:webhook:OnFull"] = "Block",
        ["ReactiveStreams:Dispatchers:orders:Sinks:webhook:MaxBatch"] = "3",
        ["ReactiveStreams:Dispatchers:orders:Sinks:webhook:BatchFlush"] = "00:00:00.010",
        ["ReactiveStreams:Dispatchers:orders:Sinks:webhook:MaxRetries"] = "20",
        ["ReactiveStreams:Dispatchers:orders:Sinks:webhook:BackoffBase"] = "00:00:01",
        ["ReactiveStreams:Dispatchers:orders:Sinks:webhook:MaxBackoff"] = "00:01:00",
        ["ReactiveStreams:Dispatchers:orders:Sinks:webhook:BackoffJitter"] = "false",
        ["ReactiveStreams:Dispatchers:orders:Sinks:webhook:BestEffort"] = "true",
    };

    public static TheoryData<string> Forms => ["keys", "environment", "command line"];

    [Theory]
    [MemberData(nameof(Forms))]
    public void Every_key_the_page_names_binds_in_each_form_a_worker_service_is_configured_in(string form)
    {
        var configuration = new ConfigurationBuilder();
        var prefix = $"RXS_{Guid.NewGuid():N}_";
        switch (form)
        {
            case "keys":
                configuration.AddInMemoryCollection(s_documentedKeys.Select(p => KeyValuePair.Create(p.Key, (string?)p.Value)));
                break;
            case "environment":
                // As the host reads them: '__' is the section separator. A prefix of this test's own keeps the process's
                // environment (shared with the tests that run beside this one) out of it.
                foreach (var (key, value) in s_documentedKeys)
                {
                    Environment.SetEnvironmentVariable(prefix + key.Replace(":", "__", StringComparison.Ordinal), value);
                }

                configuration.AddEnvironmentVariables(prefix);
                break;
            default:
                configuration.AddCommandLine([.. s_documentedKeys.Select(p => $"--{p.Key}={p.Value}")]);
                break;
        }

        try
        {
            var services = new ServiceCollection();
            services.AddSingleton<IConfiguration>(configuration.Build());
            services.AddReactiveStreams()
                .AddDispatcher<Order>("orders", d => d.AddSink(_ => new NamedSink("mail")).AddSink(_ => new NamedSink("webhook")))
                .AddCanalWorker("orders", dispatcher: "orders", _ => new Order(1));
            using var provider = services.BuildServiceProvider();

            var log = provider.GetRequiredService<IOptions<StreamLogHostOptions>>().Value;
            Assert.Equal(StreamLogProvider.Sqlite, log.Provider);
            Assert.Equal("Orders", log.ConnectionStringName);
            Assert.Equal("Data Source=from-connection-string.db", log.ConnectionString);
            Assert.Equal(SqliteSynchronous.Extra, log.Sqlite.Synchronous);
            Assert.Equal(TimeSpan.FromSeconds(3), log.Sqlite.BusyTimeout);
            Assert.Equal(TimeSpan.FromMilliseconds(20), log.Sqlite.PollInterval);
            Assert.Equal(TimeSpan.FromSeconds(2), log.Sqlite.MaxPollInterval);
            Assert.Equal(500, log.Sqlite.MaxReadCount);
            Assert.Equal(4, log.Sqlite.LiveRetention.Floor);
            Assert.Equal(TimeSpan.FromSeconds(7), log.Sqlite.LiveRetention.Ttl);
            Assert.Equal(700, log.Postgres.MaxReadCount);
            Assert.Equal(TimeSpan.FromSeconds(9), log.Postgres.ReconnectTimeout);
            Assert.Equal(300, log.Postgres.LiveRetention.Ceiling);

            var canal = provider.GetRequiredService<IOptionsMonitor<CanalWorkerHostOptions>>().Get("orders");
            Assert.Equal("orders.in", canal.Stream);
            Assert.Equal("orders-dispatch", canal.CheckpointId);
            Assert.Equal(TailVisibility.ExcludeBestEffort, canal.Visibility);
            Assert.Equal(5, canal.MaxBatch);
            Assert.Equal(TimeSpan.FromMilliseconds(250), canal.Deadline);
            Assert.Equal(77, canal.MaxLagCount);
            Assert.Equal(TimeSpan.FromMinutes(2), canal.MaxLagAge);
            var worker = provider.GetRequiredKeyedService<CanalWorkerService>("orders");
            Assert.Equal("orders.in", worker.Stream);
            Assert.Equal("orders-dispatch", worker.CheckpointId);

            var delivery = provider.GetRequiredService<IOptionsMonitor<DeliveryOptions<Order>>>().Get("orders");
            Assert.Equal(100, delivery.QueueCapacity);
            Assert.Equal(OnFull.Drop, delivery.OnFull);
            Assert.Equal(8, delivery.MaxBatch);
            Assert.Equal(TimeSpan.FromMilliseconds(50), delivery.BatchFlush);
            Assert.Equal(6, delivery.MaxRetries);
            Assert.Equal(TimeSpan.FromMilliseconds(300), delivery.BackoffBase);
            Assert.Equal(TimeSpan.FromSeconds(20), delivery.MaxBackoff);
            Assert.True(delivery.BackoffJitter);
            Assert.Equal("orders", delivery.Name);
            Assert.Equal(["mail", "webhook"], delivery.Sinks.Select(s => s.Sink.Name));
            Assert.Null(delivery.Sinks[0].Options);
            var webhook = delivery.Sinks[1].Options;
            Assert.NotNull(webhook);
            Assert.Equal(40, webhook.QueueCapacity);
            Assert.Equal(OnFull.Block, webhook.OnFull);
            Assert.Equal(3, webhook.MaxBatch);
            Assert.Equal(TimeSpan.FromMilliseconds(10), webhook.BatchFlush);
            Assert.Equal(20, webhook.MaxRetries);
            Assert.Equal(TimeSpan.FromSeconds(1), webhook.BackoffBase);
            Assert.Equal(TimeSpan.FromMinutes(1), webhook.MaxBackoff);
            Assert.False(webhook.BackoffJitter);
            Assert.True(webhook.BestEffort);

            var hosting = provider.GetRequiredService<IOptionsMonitor<DispatcherHostOptions>>().Get("orders");
            Assert.Equal(90, hosting.MaxQueueDepth);
            Assert.Equal(TimeSpan.FromSeconds(4), hosting.DrainTimeout);

            // Bound, the whole surface is also valid: the start would pass its validation.
            Assert.Null(Record.Exception(() => provider.GetRequiredService<IOptionsMonitor<StreamLogHostOptions>>().Get(Options.DefaultName)));
        }
        finally
        {
            if (form == "environment")
            {
                foreach (var key in s_documentedKeys.Keys)
                {
                    Environment.SetEnvironmentVariable(prefix + key.Replace(":", "__", StringComparison.Ordinal), null);
                }
            }
        }
    }

    [Fact]
    public async Task The_opened_log_honours_the_backend_options_bound_from_Log_Sqlite()
    {
        // "Log:Sqlite and Log:Postgres bind the backends' own options (... including MaxReadCount and LiveRetention)":
        // bound is not enough, the log the host opens must read with them.
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Log:Sqlite:MaxReadCount"] = "2",
            ["ReactiveStreams:Log:Sqlite:LiveRetention:Floor"] = "1",
            ["ReactiveStreams:Log:Sqlite:LiveRetention:Ceiling"] = "1",
        });
        test.Builder.Services.AddReactiveStreams();
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        for (var i = 0; i < 5; i++)
        {
            await log.AppendAsync("orders", $"o{i}", AppendMode.Durable);
            await log.AppendAsync("live", $"l{i}", AppendMode.BestEffortLive);
        }

        Assert.Equal(2, (await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 10)).Count);
        var live = await log.ReadAsync("live", StreamId.Min, StreamId.Max, 10);
        Assert.Equal("l4", System.Text.Encoding.UTF8.GetString(Assert.Single(live).Payload.Span));
    }

    [Fact]
    public async Task The_worker_service_sample_takes_its_settings_from_environment_variables()
    {
        // A deployed worker service is configured through its environment: the sample, run with no arguments, reads
        // ReactiveStreams__Log__Path and ReactiveStreams__Canals__orders__CheckpointId as it reads appsettings.json.
        var sample = RepositoryFiles.Sample("WorkerService");
        var directory = Directory.CreateTempSubdirectory("rs-worker-sample-env-").FullName;
        var path = Path.Combine(directory, "kept.db");
        var environment = new Dictionary<string, string>
        {
            ["ReactiveStreams__Log__Path"] = path,
            ["ReactiveStreams__Canals__orders__CheckpointId"] = "from-the-environment",
            ["Sample__RunFor"] = "00:00:01",
        };
        try
        {
            var (exitCode, text, error) = await RepositoryFiles.RunAsync(sample, directory, environment, TestHost.Hang);

            Assert.True(exitCode == 0, $"exit code {exitCode}\n{text}\n{error}");
            Assert.Contains("orders acknowledged: 20", text, StringComparison.Ordinal);
            Assert.True(File.Exists(path), $"the sample did not keep its log at {path}");
            await using var log = await SqliteStreamLog.OpenAsync(path);
            var frames = await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 100);
            Assert.Equal(20, frames.Count);
            Assert.Equal(frames[^1].Id, await log.ReadCheckpointAsync("from-the-environment"));
            Assert.Null(await log.ReadCheckpointAsync("orders-dispatch"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
