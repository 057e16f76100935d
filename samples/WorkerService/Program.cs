using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Reactive.Streams;
using WorkerService;

// A worker service on the generic host: a producer appends orders to the SQLite log, a hosted canal worker replays the
// stream from its checkpoint and dispatches every order to two sinks, a refused order goes to the "orders.dead" stream,
// health checks watch the log, the worker's lag and the dispatcher's queues, and the Reactive.Streams meter goes to the
// OpenTelemetry console exporter. It runs for a few seconds (Sample:RunFor) and exits.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.Services.AddReactiveStreams()
    .ConfigureLog(log =>
    {
        // No file configured (appsettings.json names none): one in the temp directory.
        if (string.IsNullOrEmpty(log.Path) && string.IsNullOrEmpty(log.ConnectionString))
        {
            log.Path = Path.Combine(Path.GetTempPath(), "reactive-streams-worker-sample.db");
        }
    })
    .AddDispatcher<Order>("orders", dispatcher => dispatcher
        .AddSink<ConsoleSink>()
        .AddSink<WarehouseSink>()
        .UseDeadLetterStream("orders.dead", order => JsonSerializer.SerializeToUtf8Bytes(order)))
    .AddCanalWorker("orders", dispatcher: "orders", frame => JsonSerializer.Deserialize<Order>(frame.Payload.Span)!);

builder.Services.AddHealthChecks().AddReactiveStreams();

builder.Services.AddOpenTelemetry()
    .WithMetrics(metrics => metrics.AddReactiveStreamsInstrumentation().AddConsoleExporter())
    .WithTracing(tracing => tracing.AddReactiveStreamsInstrumentation().AddConsoleExporter());

builder.Services.Configure<SampleOptions>(builder.Configuration.GetSection("Sample"));
builder.Services.AddHostedService<OrderProducer>();
builder.Services.AddHostedService<SampleRun>();

await builder.Build().RunAsync();
