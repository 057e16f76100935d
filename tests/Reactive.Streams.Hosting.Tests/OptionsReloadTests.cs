using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>
/// The health checks' limits (a worker's <c>MaxLagCount</c> and <c>MaxLagAge</c>, a dispatcher's <c>MaxQueueDepth</c>)
/// follow configuration reloads while the host runs, validated as at start.
/// </summary>
public sealed class OptionsReloadTests
{
    private static async Task<HealthReportEntry> CheckAsync(IHost host, string check)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Name == check);
        return report.Entries[check];
    }

    private static void Reload(IHost host, string key, string value)
    {
        var configuration = (IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>();
        configuration[key] = value;
        configuration.Reload();
    }

    /// <summary>A running worker on "orders" whose handler blocks on every frame, with three frames waiting.</summary>
    private static async Task<IHost> StartLaggingWorkerAsync(TestHost test)
    {
        var id = Guid.NewGuid().ToString("N");
        var probe = RecordingHandler.Probes[id] = new RecordingHandler.Probe { BlockOn = _ => true };
        test.Builder.Configuration["ReactiveStreams:Canals:orders:MaxBatch"] = "1";
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        for (var i = 1; i <= 3; i++)
        {
            await log.AppendAsync("orders", $"{id}/{i}", AppendMode.Durable);
        }

        await probe.Blocked.Task.WaitAsync(TestHost.Hang);
        return host;
    }

    [Fact]
    public async Task A_lowered_max_lag_count_makes_the_lag_check_unhealthy_without_a_restart()
    {
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxLagCount"] = "5" });
        var host = await StartLaggingWorkerAsync(test);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host, ReactiveStreamsHealthChecks.CanalLagCheckName)).Status);

        Reload(host, "ReactiveStreams:Canals:orders:MaxLagCount", "2");
        var lag = await CheckAsync(host, ReactiveStreamsHealthChecks.CanalLagCheckName);

        Assert.Equal(HealthStatus.Unhealthy, lag.Status);
        Assert.Contains("canal worker 'orders' has more than 2 frame(s) waiting (MaxLagCount)", lag.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_raised_max_lag_count_makes_the_lag_check_healthy_again()
    {
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxLagCount"] = "2" });
        var host = await StartLaggingWorkerAsync(test);
        Assert.Equal(HealthStatus.Unhealthy, (await CheckAsync(host, ReactiveStreamsHealthChecks.CanalLagCheckName)).Status);

        Reload(host, "ReactiveStreams:Canals:orders:MaxLagCount", "5");

        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host, ReactiveStreamsHealthChecks.CanalLagCheckName)).Status);
    }

    [Fact]
    public async Task An_invalid_max_lag_count_on_reload_fails_the_lag_check_with_the_key()
    {
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxLagCount"] = "5" });
        var host = await StartLaggingWorkerAsync(test);

        // The options monitor rebuilds the options when the configuration reloads, and its validation throws to the
        // reload's caller, as for any validated options: what matters here is what the check reports afterwards.
        _ = Record.Exception(() => Reload(host, "ReactiveStreams:Canals:orders:MaxLagCount", "0"));
        var lag = await CheckAsync(host, ReactiveStreamsHealthChecks.CanalLagCheckName);

        Assert.Equal(HealthStatus.Unhealthy, lag.Status);
        Assert.Contains("canal worker 'orders': its reloaded configuration is invalid: ReactiveStreams:Canals:orders:MaxLagCount: must be at least 1 (was 0).", lag.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dispatcher_checks_max_queue_depth_follows_reloads_both_ways_and_an_invalid_one_fails_with_the_key()
    {
        var file = new DispatcherHostingTests.RecordingSink("file") { BlockOn = _ => true };
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Dispatchers:audit:MaxQueueDepth"] = "5",
            ["ReactiveStreams:Dispatchers:audit:MaxBatch"] = "1",
            ["ReactiveStreams:Dispatchers:audit:DrainTimeout"] = "00:00:00",
        });
        test.Builder.Services.AddReactiveStreams().AddDispatcher<string>("audit", d => d.AddSink(_ => file));
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();
        var dispatcher = host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("audit");
        for (var i = 1; i <= 4; i++)
        {
            await dispatcher.DispatchAsync($"a{i}");
        }

        await file.Blocked.Task.WaitAsync(TestHost.Hang); // a1 is being written: three wait in the queue
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host, ReactiveStreamsHealthChecks.DispatchersCheckName)).Status);

        Reload(host, "ReactiveStreams:Dispatchers:audit:MaxQueueDepth", "2");
        Assert.Equal(HealthStatus.Unhealthy, (await CheckAsync(host, ReactiveStreamsHealthChecks.DispatchersCheckName)).Status);

        Reload(host, "ReactiveStreams:Dispatchers:audit:MaxQueueDepth", "3");
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host, ReactiveStreamsHealthChecks.DispatchersCheckName)).Status);

        // The options monitor rebuilds the options when the configuration reloads, and its validation throws to the
        // reload's caller, as for any validated options: what matters here is what the check reports afterwards.
        _ = Record.Exception(() => Reload(host, "ReactiveStreams:Dispatchers:audit:MaxQueueDepth", "-1"));
        var entry = await CheckAsync(host, ReactiveStreamsHealthChecks.DispatchersCheckName);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("dispatcher 'audit': its reloaded configuration is invalid: ReactiveStreams:Dispatchers:audit:MaxQueueDepth: must be zero or more (was -1).", entry.Description, StringComparison.Ordinal);

        // The stop still drains, with the last valid DrainTimeout (zero: the blocked sink does not drain).
        var stop = await Record.ExceptionAsync(() => host.StopAsync().WaitAsync(TestHost.Hang));
        Assert.Null(stop);
        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7006);
    }

    [Fact]
    public async Task A_dispatching_worker_stops_cleanly_after_an_invalid_drain_timeout_reload_and_a_valid_reload_is_healthy_again()
    {
        var file = new DispatcherHostingTests.RecordingSink("file");
        await using var test = new TestHost(new() { ["ReactiveStreams:Dispatchers:orders:DrainTimeout"] = "00:01:00" });
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => file))
            .AddCanalWorker("orders", "orders", frame => System.Text.Encoding.UTF8.GetString(frame.Payload.Span));
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();
        var last = (await host.Services.GetRequiredService<IStreamLog>().AppendAsync("orders", "o1", AppendMode.Durable)).Id;
        await file.WaitForAsync(1);

        _ = Record.Exception(() => Reload(host, "ReactiveStreams:Dispatchers:orders:DrainTimeout", "-00:00:01"));
        var invalid = await CheckAsync(host, ReactiveStreamsHealthChecks.DispatchersCheckName);
        Reload(host, "ReactiveStreams:Dispatchers:orders:DrainTimeout", "00:00:30");
        var valid = await CheckAsync(host, ReactiveStreamsHealthChecks.DispatchersCheckName);
        _ = Record.Exception(() => Reload(host, "ReactiveStreams:Dispatchers:orders:DrainTimeout", "-00:00:01"));
        var stop = await Record.ExceptionAsync(() => host.StopAsync().WaitAsync(TestHost.Hang));

        Assert.Equal(HealthStatus.Unhealthy, invalid.Status);
        Assert.Contains("ReactiveStreams:Dispatchers:orders:DrainTimeout: must be zero or positive (was -00:00:01).", invalid.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, valid.Status);
        Assert.Null(stop);
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        Assert.Null(worker.Fault);
        Assert.Equal(last, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
    }

    [Fact]
    public async Task A_lowered_max_lag_age_makes_the_lag_check_unhealthy_without_a_restart_in_virtual_time()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxLagAge"] = "00:05:00" });
        test.Builder.Services.AddSingleton<TimeProvider>(clock);
        var host = await StartLaggingWorkerAsync(test);
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host, ReactiveStreamsHealthChecks.CanalLagCheckName)).Status);

        Reload(host, "ReactiveStreams:Canals:orders:MaxLagAge", "00:01:00");
        var lag = await CheckAsync(host, ReactiveStreamsHealthChecks.CanalLagCheckName);

        Assert.Equal(HealthStatus.Unhealthy, lag.Status);
        Assert.Contains("canal worker 'orders' has a frame waiting for 00:02:00 (MaxLagAge 00:01:00)", lag.Description, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMinutes(2), lag.Data["orders.age"]);
    }

    [Fact]
    public async Task An_invalid_reload_of_a_value_read_at_start_leaves_the_worker_running_and_the_lag_check_names_the_key()
    {
        // No lag limit is set: the check still reports the section it cannot read, as the docs say, and the worker,
        // whose canal is open with the values of its start, goes on.
        await using var test = new TestHost();
        var host = await StartLaggingWorkerAsync(test);

        _ = Record.Exception(() => Reload(host, "ReactiveStreams:Canals:orders:MaxBatch", "0"));
        var lag = await CheckAsync(host, ReactiveStreamsHealthChecks.CanalLagCheckName);
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");

        Assert.Equal(HealthStatus.Unhealthy, lag.Status);
        Assert.Contains("canal worker 'orders': its reloaded configuration is invalid: ReactiveStreams:Canals:orders:MaxBatch: MaxBatch ('0') must be greater than or equal to '1'", lag.Description, StringComparison.Ordinal);
        Assert.Equal(CanalWorkerStatus.Running, worker.Status);
        Assert.Equal("orders", worker.Stream);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host, ReactiveStreamsHealthChecks.CanalWorkersCheckName)).Status);
    }

    [Fact]
    public async Task An_invalid_reload_of_a_dispatchers_delivery_options_changes_nothing_it_does()
    {
        var file = new DispatcherHostingTests.RecordingSink("file");
        await using var test = new TestHost(new() { ["ReactiveStreams:Dispatchers:audit:QueueCapacity"] = "8" });
        test.Builder.Services.AddReactiveStreams().AddDispatcher<string>("audit", d => d.AddSink(_ => file));
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();
        var dispatcher = host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("audit");

        var reload = Record.Exception(() =>
        {
            var configuration = (IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>();
            configuration["ReactiveStreams:Dispatchers:audit:QueueCapacity"] = "0";
            configuration["ReactiveStreams:Dispatchers:audit:Sinks:file:MaxBatch"] = "0";
            configuration.Reload();
        });
        await dispatcher.DispatchAsync("a1");
        await file.WaitForAsync(1);
        var check = await CheckAsync(host, ReactiveStreamsHealthChecks.DispatchersCheckName);
        var stop = await Record.ExceptionAsync(() => host.StopAsync().WaitAsync(TestHost.Hang));

        // The monitor's validation throws to the reload's caller (the reload aggregates what its callbacks threw),
        // naming both keys of the one options object.
        var thrown = reload is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : [reload!];
        var validation = Assert.Single(thrown.OfType<Microsoft.Extensions.Options.OptionsValidationException>(), e => e.OptionsType == typeof(DeliveryOptions<string>));
        Assert.Contains(validation.Failures, f => f.StartsWith("ReactiveStreams:Dispatchers:audit:QueueCapacity:", StringComparison.Ordinal));
        Assert.Contains(validation.Failures, f => f.StartsWith("ReactiveStreams:Dispatchers:audit:Sinks:file:MaxBatch:", StringComparison.Ordinal));
        Assert.Same(dispatcher, host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("audit"));
        Assert.Equal(["a1"], file.Written);
        Assert.Equal(HealthStatus.Healthy, check.Status);
        Assert.Null(stop);
    }
}
