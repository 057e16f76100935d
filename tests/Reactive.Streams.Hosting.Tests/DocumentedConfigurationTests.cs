using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Reactive.Streams.Storage.Sqlite;
using Reactive.Streams.Tests;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>The appsettings example of docs/hosting.md, read as it is printed: every key it shows reaches its option.</summary>
public sealed class DocumentedConfigurationTests
{
    private sealed record Order(int Id);

    private sealed class NamedSink(string name) : IDeliverySink<Order>
    {
        public string Name => name;

        public ValueTask WriteAsync(Order item, CancellationToken cancellationToken) => default;
    }

    private sealed class AuditHandler : ICanalBatchHandler
    {
        public ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken) => default;
    }

    private static string DocumentedJson()
    {
        var page = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "docs", "hosting.md"));
        var start = page.IndexOf("```json", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/hosting.md has no json example");
        start = page.IndexOf('\n', start) + 1;
        var end = page.IndexOf("```", start, StringComparison.Ordinal);
        return page[start..end];
    }

    [Fact]
    public void Every_key_of_the_documented_example_binds_to_its_option()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(DocumentedJson()))).Build();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddReactiveStreams()
            .AddDispatcher<Order>("orders", d => d.AddSink(_ => new NamedSink("mail")).AddSink(_ => new NamedSink("webhook")))
            .AddCanalWorker("orders", dispatcher: "orders", frame => new Order(1))
            .AddCanalWorker<AuditHandler>("audit");
        using var provider = services.BuildServiceProvider();

        var log = provider.GetRequiredService<IOptions<StreamLogHostOptions>>().Value;
        Assert.Equal(StreamLogProvider.Sqlite, log.Provider);
        Assert.Equal("orders.db", log.Path);
        Assert.Equal(SqliteSynchronous.Full, log.Sqlite.Synchronous);
        Assert.Equal(TimeSpan.FromSeconds(10), log.Sqlite.BusyTimeout);

        var canals = provider.GetRequiredService<IOptionsMonitor<CanalWorkerHostOptions>>();
        var orders = canals.Get("orders");
        Assert.Equal("orders", orders.Stream);
        Assert.Equal("orders-dispatch", orders.CheckpointId);
        Assert.Equal(64, orders.MaxBatch);
        Assert.Equal(TimeSpan.FromMilliseconds(100), orders.Deadline);
        Assert.Equal(TailVisibility.ExcludeBestEffort, orders.Visibility);
        Assert.Equal(10000, orders.MaxLagCount);
        Assert.Equal(TimeSpan.FromMinutes(5), orders.MaxLagAge);
        Assert.Equal("orders", canals.Get("audit").Stream);

        var delivery = provider.GetRequiredService<IOptionsMonitor<DeliveryOptions<Order>>>().Get("orders");
        Assert.Equal(1024, delivery.QueueCapacity);
        Assert.Equal(OnFull.Block, delivery.OnFull);
        Assert.Equal(5, delivery.MaxRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(200), delivery.BackoffBase);
        var webhook = Assert.Single(delivery.Sinks, s => s.Sink.Name == "webhook").Options;
        Assert.NotNull(webhook);
        Assert.Equal(20, webhook.MaxRetries);
        Assert.True(webhook.BestEffort);
        Assert.Null(Assert.Single(delivery.Sinks, s => s.Sink.Name == "mail").Options);

        var hosting = provider.GetRequiredService<IOptionsMonitor<DispatcherHostOptions>>().Get("orders");
        Assert.Equal(900, hosting.MaxQueueDepth);
        Assert.Equal(TimeSpan.FromSeconds(10), hosting.DrainTimeout);
    }
}
