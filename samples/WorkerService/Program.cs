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
var temporary = new Lazy<string>(() => Directory.CreateTempSubdirectory("reactive-streams-worker-sample-").FullName);

builder.Services.AddReactiveStreams()
    .ConfigureLog(log =>
    {
        // No file configured (appsettings.json names none): a new one in a temporary directory, deleted when the sample
        // ends, so that each run starts from an empty log and prints the same counts. Pass
        // --ReactiveStreams:Log:Path=<file> to keep the log, and a run after it resumes from the worker's checkpoint.
        // The ConnectionStrings entry configures the log too, but it is read after this callback (which may rename it):
        // look at it here, or a log configured there would go to the temporary file and be deleted with it.
        if (string.IsNullOrEmpty(log.Path) && string.IsNullOrEmpty(log.ConnectionString)
            && string.IsNullOrEmpty(builder.Configuration.GetConnectionString(log.ConnectionStringName)))
        {
            log.Path = Path.Combine(temporary.Value, "orders.db");
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

try
{
    await builder.Build().RunAsync(); // disposes the host, and with it the log
}
finally
{
    // Also when the start failed (a bad setting): the log's options, which created the directory, were built by then.
    if (temporary.IsValueCreated)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(temporary.Value, recursive: true);
    }
}
