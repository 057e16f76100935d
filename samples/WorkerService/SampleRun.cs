using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Reactive.Streams;
using Reactive.Streams.Hosting;

namespace WorkerService;

/// <summary>
/// Lets the sample run for <see cref="SampleOptions.RunFor"/>, prints what happened and the health report, and stops
/// the host: a real worker service would run until it is told to stop.
/// </summary>
public sealed class SampleRun(
    IServiceProvider services,
    IStreamLog log,
    HealthCheckService health,
    IOptions<SampleOptions> options,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dispatcher = services.GetRequiredKeyedService<DeliveryDispatcher<Order>>("orders");
        try
        {
            await Task.Delay(options.Value.RunFor, stoppingToken);

            // On a slow machine, give the pipeline time to finish what the producer appended (at most a minute for each wait).
            var appended = await OrderProducer.Appended.Task.WaitAsync(TimeSpan.FromMinutes(1), stoppingToken);
            for (var i = 0; i < 1200 && dispatcher.AcknowledgedCount < appended; i++)
            {
                await Task.Delay(50, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var worker = services.GetRequiredKeyedService<CanalWorkerService>("orders");
        var deadLetters = await log.ReadAsync("orders.dead", StreamId.Min, StreamId.Max, 1000, stoppingToken);
        var report = await health.CheckHealthAsync(stoppingToken);

        Console.WriteLine($"orders acknowledged: {dispatcher.AcknowledgedCount}");
        Console.WriteLine($"reserved by the warehouse: {WarehouseSink.Reserved.Count}");
        Console.WriteLine($"dead letters in 'orders.dead': {deadLetters.Count}");
        Console.WriteLine($"canal worker 'orders': {worker.Status}, checkpoint {worker.CommittedPosition}");
        Console.WriteLine($"health: {report.Status}");
        foreach (var (name, entry) in report.Entries)
        {
            Console.WriteLine($"  {name}: {entry.Status} - {entry.Description}");
        }

        lifetime.StopApplication();
    }
}
