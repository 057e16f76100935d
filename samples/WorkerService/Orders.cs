using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Reactive.Streams;

namespace WorkerService;

/// <summary>An order, stored in the log as JSON.</summary>
public sealed record Order(int Id, string Sku, int Quantity);

/// <summary>The sample's settings (section <c>Sample</c>).</summary>
public sealed class SampleOptions
{
    /// <summary>How many orders the producer appends.</summary>
    public int Orders { get; set; } = 20;

    /// <summary>How long the sample runs before it stops the host.</summary>
    public TimeSpan RunFor { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>Writes each order to the console (through the logger).</summary>
public sealed class ConsoleSink(ILogger<ConsoleSink> logger) : IDeliverySink<Order>
{
    public string Name => "console";

    public ValueTask WriteAsync(Order item, CancellationToken cancellationToken)
    {
        logger.LogInformation("console: order {Id} ({Quantity} x {Sku})", item.Id, item.Quantity, item.Sku);
        return default;
    }
}

/// <summary>Reserves stock; refuses (permanently) an order for a SKU it does not carry, which is then dead-lettered.</summary>
public sealed class WarehouseSink : IDeliverySink<Order>
{
    public static readonly ConcurrentDictionary<int, Order> Reserved = new();

    public string Name => "warehouse";

    public ValueTask WriteAsync(Order item, CancellationToken cancellationToken)
    {
        if (item.Sku == "discontinued")
        {
            throw new PermanentDeliveryException($"SKU '{item.Sku}' is not stocked (order {item.Id}).");
        }

        Reserved[item.Id] = item;
        return default;
    }
}

/// <summary>Appends the orders to the log, as a web request handler or an import job would.</summary>
public sealed class OrderProducer(IStreamLog log, Microsoft.Extensions.Options.IOptions<SampleOptions> options, ILogger<OrderProducer> logger) : Microsoft.Extensions.Hosting.BackgroundService
{
    public static readonly TaskCompletionSource<int> Appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var count = options.Value.Orders;
        for (var i = 1; i <= count; i++)
        {
            var order = new Order(i, i % 7 == 0 ? "discontinued" : $"sku-{i % 3}", 1 + (i % 4));
            await log.AppendAsync("orders", JsonSerializer.SerializeToUtf8Bytes(order), AppendMode.Durable, stoppingToken);
        }

        logger.LogInformation("producer: appended {Count} orders to stream 'orders'", count);
        Appended.TrySetResult(count);
    }
}
