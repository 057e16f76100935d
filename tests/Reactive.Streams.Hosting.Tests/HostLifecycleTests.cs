using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>The host's own lifecycle calls, as a user of the generic host makes them: twice, out of order, or not at all.</summary>
public sealed class HostLifecycleTests
{
    private static RecordingHandler.Probe NewProbe(out string id)
    {
        id = Guid.NewGuid().ToString("N");
        return RecordingHandler.Probes[id] = new RecordingHandler.Probe();
    }

    [Fact]
    public async Task Stopping_the_host_twice_stops_the_worker_once_and_drains_the_dispatcher_once()
    {
        await using var test = new TestHost();
        var sink = new DispatcherHostingTests.RecordingSink("mail");
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => sink))
            .AddCanalWorker("orders", dispatcher: "orders", frame => System.Text.Encoding.UTF8.GetString(frame.Payload.Span));
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        await log.AppendAsync("orders", "a"u8.ToArray(), AppendMode.Durable);
        await sink.WaitForAsync(1);

        await host.StopAsync().WaitAsync(TestHost.Hang);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        Assert.Single(test.Logs.Entries, e => e.Id.Id == 7002);
        Assert.Single(test.Logs.Entries, e => e.Id.Id == 7005);
        Assert.DoesNotContain(test.Logs.Entries, e => e.Id.Id == 7006);
        Assert.Equal((await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 1))[0].Id, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
    }

    [Fact]
    public async Task Disposing_a_running_host_without_stopping_it_ends_its_workers_as_stopped_and_the_next_run_gets_what_was_left()
    {
        // A host disposed without StopAsync (a `using var host` in a test or a tool) cancels its background services and
        // disposes the log, the dispatchers and the sinks under them: that is a stop, not a failure of the workers.
        var probe = NewProbe(out var id);
        var sink = new DispatcherHostingTests.RecordingSink("mail");
        await using var first = new TestHost();
        first.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => sink))
            .AddCanalWorker("orders", dispatcher: "orders", frame => System.Text.Encoding.UTF8.GetString(frame.Payload.Span))
            .AddCanalWorker<RecordingHandler>("audit");
        var host = await first.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        await log.AppendAsync("audit", System.Text.Encoding.UTF8.GetBytes($"{id}/a"), AppendMode.Durable);
        await log.AppendAsync("orders", "o1"u8.ToArray(), AppendMode.Durable);
        await probe.WaitForAsync(1);
        await sink.WaitForAsync(1);
        var workers = new[] { "orders", "audit" }.Select(name => host.Services.GetRequiredKeyedService<CanalWorkerService>(name)).ToList();

        await ((IAsyncDisposable)host).DisposeAsync().AsTask().WaitAsync(TestHost.Hang);

        foreach (var worker in workers)
        {
            await worker.ExecuteTask!.WaitAsync(TestHost.Hang); // ended without an exception for the host to report
            Assert.True(worker.Status == CanalWorkerStatus.Stopped, $"{worker.Name}: {worker.Status} {worker.Fault}");
            Assert.Null(worker.Fault);
        }

        Assert.DoesNotContain(first.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);

        // The next run on the same file gets what comes next (and, at least once, whatever the first did not checkpoint).
        await using var second = new TestHost(new() { ["ReactiveStreams:Log:Path"] = first.DatabasePath });
        second.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("audit");
        var restarted = await second.StartAsync();
        await restarted.Services.GetRequiredService<IStreamLog>().AppendAsync("audit", System.Text.Encoding.UTF8.GetBytes($"{id}/b"), AppendMode.Durable);
        await probe.WaitForAsync(2);
        Assert.Equal($"{id}/b", probe.Handled[^1]);
    }

    [Fact]
    public async Task A_host_built_in_the_development_environment_validates_its_scopes_and_starts()
    {
        var directory = Directory.CreateTempSubdirectory("rs-hosting-dev-").FullName;
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory, EnvironmentName = Environments.Development });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ReactiveStreams:Log:Path"] = Path.Combine(directory, "streams.db") });
            var sink = new DispatcherHostingTests.RecordingSink("mail");
            builder.Services.AddReactiveStreams()
                .AddDispatcher<string>("orders", d => d.AddSink(_ => sink).UseDeadLetterStream("orders.dead", s => System.Text.Encoding.UTF8.GetBytes(s)))
                .AddCanalWorker("orders", dispatcher: "orders", frame => System.Text.Encoding.UTF8.GetString(frame.Payload.Span))
                .AddCanalWorker<RecordingHandler>("audit");
            builder.Services.AddHealthChecks().AddReactiveStreams();
            using var host = builder.Build();
            await host.StartAsync().WaitAsync(TestHost.Hang);
            var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(TestHost.Hang);
            Assert.Equal(HealthStatus.Healthy, report.Status);
            await host.StopAsync().WaitAsync(TestHost.Hang);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
