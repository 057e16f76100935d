using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Hosting.Tests;

public sealed class HealthCheckTests
{
    private static RecordingHandler.Probe NewProbe(out string id)
    {
        id = Guid.NewGuid().ToString("N");
        return RecordingHandler.Probes[id] = new RecordingHandler.Probe();
    }

    private static Task<HealthReport> ReadyAsync(IHost host) =>
        host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains(ReactiveStreamsHealthChecks.ReadyTag));

    [Fact]
    public async Task The_checks_are_registered_with_ready_and_live_tags()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams();
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();

        var registrations = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HealthCheckServiceOptions>>().Value.Registrations.ToDictionary(r => r.Name);
        Assert.Equal([ReactiveStreamsHealthChecks.ReadyTag], registrations[ReactiveStreamsHealthChecks.LogCheckName].Tags);
        Assert.Equal([ReactiveStreamsHealthChecks.LiveTag, ReactiveStreamsHealthChecks.ReadyTag], registrations[ReactiveStreamsHealthChecks.CanalWorkersCheckName].Tags.Order());
        Assert.Equal([ReactiveStreamsHealthChecks.ReadyTag], registrations[ReactiveStreamsHealthChecks.CanalLagCheckName].Tags);
        Assert.Equal([ReactiveStreamsHealthChecks.ReadyTag], registrations[ReactiveStreamsHealthChecks.DispatchersCheckName].Tags);
        var report = await ReadyAsync(host);
        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal("The stream log is reachable.", report.Entries[ReactiveStreamsHealthChecks.LogCheckName].Description);
    }

    [Fact]
    public async Task Adding_the_checks_again_registers_each_once_with_the_last_calls_settings()
    {
        // A second AddReactiveStreams (or an Add...Check after it) used to register the fixed names twice, and the health
        // check service refused the duplicates when it was first resolved: at the first probe, long after the start.
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams();
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        test.Builder.Services.AddHealthChecks().AddStreamLogCheck().AddReactiveStreams(HealthStatus.Degraded, TimeSpan.FromSeconds(7));
        var host = await test.StartAsync();

        var registrations = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HealthCheckServiceOptions>>().Value.Registrations;
        Assert.Equal(
            [ReactiveStreamsHealthChecks.CanalLagCheckName, ReactiveStreamsHealthChecks.CanalWorkersCheckName, ReactiveStreamsHealthChecks.DispatchersCheckName, ReactiveStreamsHealthChecks.LogCheckName],
            registrations.Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.All(registrations, r => Assert.Equal(HealthStatus.Degraded, r.FailureStatus));
        Assert.All(registrations, r => Assert.Equal(TimeSpan.FromSeconds(7), r.Timeout));
        var report = await ReadyAsync(host);
        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(4, report.Entries.Count);
    }

    [Fact]
    public void A_check_of_the_app_under_one_of_the_libraries_names_is_still_refused_as_a_duplicate()
    {
        // Only the library's own registrations are replaced: an app's check under the same name is a real conflict.
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHealthChecks()
            .AddCheck(ReactiveStreamsHealthChecks.LogCheckName, () => HealthCheckResult.Healthy())
            .AddReactiveStreams();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<HealthCheckService>());
        Assert.Contains(ReactiveStreamsHealthChecks.LogCheckName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_checks_take_the_timeout_given_and_none_by_default()
    {
        var services = new ServiceCollection();
        services.AddHealthChecks().AddReactiveStreams(timeout: TimeSpan.FromSeconds(3));
        var withTimeout = services.BuildServiceProvider().GetRequiredService<Microsoft.Extensions.Options.IOptions<HealthCheckServiceOptions>>().Value.Registrations;
        var defaults = new ServiceCollection();
        defaults.AddHealthChecks().AddReactiveStreams();
        var without = defaults.BuildServiceProvider().GetRequiredService<Microsoft.Extensions.Options.IOptions<HealthCheckServiceOptions>>().Value.Registrations;

        Assert.Equal(4, withTimeout.Count);
        Assert.All(withTimeout, r => Assert.Equal(TimeSpan.FromSeconds(3), r.Timeout));
        Assert.All(without, r => Assert.Equal(Timeout.InfiniteTimeSpan, r.Timeout));
    }

    [Fact]
    public async Task The_log_check_is_unhealthy_when_the_log_cannot_open()
    {
        await using var test = new TestHost(withLogPath: false);
        test.Builder.Configuration["ReactiveStreams:Log:Path"] = Path.GetDirectoryName(test.DatabasePath); // a directory
        test.Builder.Services.AddReactiveStreams();
        test.Builder.Services.AddHealthChecks().AddStreamLogCheck();
        using var host = test.Builder.Build(); // not started: the start would fail on the log

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries[ReactiveStreamsHealthChecks.LogCheckName];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.StartsWith("The stream log is not reachable:", entry.Description, StringComparison.Ordinal);
        Assert.NotNull(entry.Exception);
    }

    [Fact]
    public async Task A_check_that_runs_out_of_its_timeout_reports_the_failure_status_given()
    {
        // A server that accepts the connection and never answers: the log and lag checks wait on the log's open until
        // their timeout ends, and report the failure status given (here Degraded), as any timed-out check does.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Log:Provider"] = "Postgres",
            ["ReactiveStreams:Log:ConnectionString"] = $"Host=127.0.0.1;Port={port};Username=u;Password=p;Database=d;Timeout=1024;Pooling=false",
            ["ReactiveStreams:Canals:orders:MaxLagCount"] = "5",
        }, withLogPath: false);
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        test.Builder.Services.AddHealthChecks().AddReactiveStreams(HealthStatus.Degraded, TimeSpan.FromMilliseconds(200));
        var host = test.Builder.Build(); // not started: the start would wait on the server

        try
        {
            var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(TestHost.Hang);

            Assert.Equal(HealthStatus.Degraded, report.Status);
            Assert.Equal(HealthStatus.Degraded, report.Entries[ReactiveStreamsHealthChecks.LogCheckName].Status);
            Assert.Equal(HealthStatus.Degraded, report.Entries[ReactiveStreamsHealthChecks.CanalLagCheckName].Status);
            Assert.IsAssignableFrom<OperationCanceledException>(report.Entries[ReactiveStreamsHealthChecks.LogCheckName].Exception);
            Assert.Equal(HealthStatus.Healthy, report.Entries[ReactiveStreamsHealthChecks.CanalWorkersCheckName].Status);
        }
        finally
        {
            await ((IAsyncDisposable)host).DisposeAsync();
        }
    }

    [Fact]
    public async Task A_stopped_worker_and_a_shut_dispatcher_report_the_failure_status_given()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => new DispatcherHostingTests.RecordingSink("file")))
            .AddCanalWorker("orders", "orders", RecordingHandler.Probe.Text);
        test.Builder.Services.AddHealthChecks().AddReactiveStreams(HealthStatus.Degraded);
        var host = await test.StartAsync();
        await host.StopAsync().WaitAsync(TestHost.Hang);

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var workers = report.Entries[ReactiveStreamsHealthChecks.CanalWorkersCheckName];
        Assert.Equal(HealthStatus.Degraded, workers.Status);
        Assert.Equal(nameof(CanalWorkerStatus.Stopped), workers.Data["orders"]);
        var dispatchers = report.Entries[ReactiveStreamsHealthChecks.DispatchersCheckName];
        Assert.Equal(HealthStatus.Degraded, dispatchers.Status);
        Assert.Contains("dispatcher 'orders' is shut down", dispatchers.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, report.Entries[ReactiveStreamsHealthChecks.LogCheckName].Status);
    }

    [Fact]
    public async Task The_lag_check_is_unhealthy_beyond_max_lag_count_and_the_worker_stays_live()
    {
        var probe = NewProbe(out var id);
        probe.BlockOn = _ => true;
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Canals:orders:MaxLagCount"] = "2",
            ["ReactiveStreams:Canals:orders:MaxBatch"] = "1",
        });
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        await log.AppendAsync("orders", $"{id}/1", AppendMode.Durable);
        await log.AppendAsync("orders", $"{id}/2", AppendMode.Durable);
        await probe.Blocked.Task.WaitAsync(TestHost.Hang);
        Assert.Equal(HealthStatus.Healthy, (await ReadyAsync(host)).Status);

        await log.AppendAsync("orders", $"{id}/3", AppendMode.Durable);
        var report = await ReadyAsync(host);

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        var lag = report.Entries[ReactiveStreamsHealthChecks.CanalLagCheckName];
        Assert.Contains("canal worker 'orders' has more than 2 frame(s) waiting (MaxLagCount)", lag.Description, StringComparison.Ordinal);
        Assert.Equal(3, lag.Data["orders.pending"]);
        var live = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains(ReactiveStreamsHealthChecks.LiveTag));
        Assert.Equal(HealthStatus.Healthy, live.Status);
    }

    [Fact]
    public async Task A_worker_whose_lag_cannot_be_read_does_not_hide_the_lag_of_the_workers_after_it()
    {
        var probe = NewProbe(out var id);
        probe.BlockOn = _ => true;
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Canals:broken:MaxLagCount"] = "5",
            ["ReactiveStreams:Canals:orders:MaxLagCount"] = "1",
            ["ReactiveStreams:Canals:orders:MaxBatch"] = "1",
        });
        test.Builder.Services.AddReactiveStreams()
            .AddCanalWorker<RecordingHandler>("broken")
            .AddCanalWorker<RecordingHandler>("orders");
        // Every read of the stream 'broken' fails, as a read of a stream whose rows are damaged would.
        test.Builder.Services.AddSingleton<IStreamLog>(provider => FailingStreamLog.Wrap(provider.GetRequiredService<HostedStreamLog>(), "broken"));
        // The worker 'broken' faults at its first read; by default that stops the host, and with it the worker
        // 'orders' whose lag this test reads (whether before or after 'orders' took its frames was a race).
        test.Builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        await log.AppendAsync("orders", $"{id}/1", AppendMode.Durable);
        await log.AppendAsync("orders", $"{id}/2", AppendMode.Durable);
        await probe.Blocked.Task.WaitAsync(TestHost.Hang);

        var lag = (await ReadyAsync(host)).Entries[ReactiveStreamsHealthChecks.CanalLagCheckName];

        Assert.Equal(HealthStatus.Unhealthy, lag.Status);
        Assert.Contains("canal worker 'broken': its lag cannot be read: damaged", lag.Description, StringComparison.Ordinal);
        Assert.Contains("canal worker 'orders' has more than 1 frame(s) waiting (MaxLagCount)", lag.Description, StringComparison.Ordinal);
        Assert.Equal(2, lag.Data["orders.pending"]);
        Assert.Equal("damaged", lag.Exception?.Message);
    }

    [Fact]
    public async Task The_lag_check_counts_past_the_logs_read_cap_when_max_lag_count_is_above_it()
    {
        // The log returns at most MaxReadCount frames per read (10 000 by default, here 2): a MaxLagCount at or above
        // that cap (the page's own example is 10 000) must still be able to trip.
        var probe = NewProbe(out var id);
        probe.BlockOn = _ => true;
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Log:Sqlite:MaxReadCount"] = "2",
            ["ReactiveStreams:Canals:orders:MaxLagCount"] = "3",
            ["ReactiveStreams:Canals:orders:MaxBatch"] = "1",
        });
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        for (var i = 1; i <= 3; i++)
        {
            await log.AppendAsync("orders", $"{id}/{i}", AppendMode.Durable);
        }

        await probe.Blocked.Task.WaitAsync(TestHost.Hang);
        var healthy = (await ReadyAsync(host)).Entries[ReactiveStreamsHealthChecks.CanalLagCheckName];
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal(3, healthy.Data["orders.pending"]);

        await log.AppendAsync("orders", $"{id}/4", AppendMode.Durable);
        await log.AppendAsync("orders", $"{id}/5", AppendMode.Durable);
        var lag = (await ReadyAsync(host)).Entries[ReactiveStreamsHealthChecks.CanalLagCheckName];

        Assert.Equal(HealthStatus.Unhealthy, lag.Status);
        Assert.Contains("canal worker 'orders' has more than 3 frame(s) waiting (MaxLagCount)", lag.Description, StringComparison.Ordinal);
        Assert.Equal(4, lag.Data["orders.pending"]); // read up to MaxLagCount + 1, whatever the backlog
    }

    [Fact]
    public async Task The_largest_max_lag_count_is_checked_like_any_other()
    {
        var probe = NewProbe(out var id);
        probe.BlockOn = _ => true;
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Canals:orders:MaxLagCount"] = int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ReactiveStreams:Canals:orders:MaxBatch"] = "1",
        });
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();
        await host.Services.GetRequiredService<IStreamLog>().AppendAsync("orders", $"{id}/1", AppendMode.Durable);
        await probe.Blocked.Task.WaitAsync(TestHost.Hang);

        var lag = (await ReadyAsync(host)).Entries[ReactiveStreamsHealthChecks.CanalLagCheckName];

        Assert.Equal(HealthStatus.Healthy, lag.Status);
        Assert.Equal(1, lag.Data["orders.pending"]);
    }

    [Fact]
    public async Task The_lag_check_is_unhealthy_when_the_oldest_waiting_frame_is_older_than_max_lag_age_in_virtual_time()
    {
        var probe = NewProbe(out var id);
        probe.BlockOn = _ => true;
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxLagAge"] = "00:01:00" });
        test.Builder.Services.AddSingleton<TimeProvider>(clock);
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();

        await host.Services.GetRequiredService<IStreamLog>().AppendAsync("orders", $"{id}/1", AppendMode.Durable);
        await probe.Blocked.Task.WaitAsync(TestHost.Hang);
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(HealthStatus.Healthy, (await ReadyAsync(host)).Status);

        clock.Advance(TimeSpan.FromSeconds(2));
        var report = await ReadyAsync(host);

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        var lag = report.Entries[ReactiveStreamsHealthChecks.CanalLagCheckName];
        Assert.Contains("canal worker 'orders' has a frame waiting for 00:01:01", lag.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Before_its_canal_opens_a_worker_lags_from_its_stored_checkpoint_not_from_the_start_of_the_stream()
    {
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxLagCount"] = "1" });
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        using var host = test.Builder.Build(); // not started: the worker has not opened its canal
        var log = host.Services.GetRequiredService<IStreamLog>();
        StreamId last = default;
        for (var i = 1; i <= 3; i++)
        {
            last = (await log.AppendAsync("orders", $"done/{i}", AppendMode.Durable)).Id;
        }

        await host.Services.GetRequiredService<ICheckpointStore>().WriteCheckpointAsync("orders", last);
        await log.AppendAsync("orders", "waiting/4", AppendMode.Durable);
        Assert.Equal(CanalWorkerStatus.Starting, host.Services.GetRequiredKeyedService<CanalWorkerService>("orders").Status);

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Name == ReactiveStreamsHealthChecks.CanalLagCheckName);

        var lag = report.Entries[ReactiveStreamsHealthChecks.CanalLagCheckName];
        Assert.Equal(HealthStatus.Healthy, lag.Status);
        Assert.Equal(1, lag.Data["orders.pending"]);
    }

    [Fact]
    public async Task A_worker_that_stopped_is_reported_by_the_worker_check()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        test.Builder.Services.AddHealthChecks().AddCanalWorkerChecks();
        var host = await test.StartAsync();
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");

        await worker.StopAsync(CancellationToken.None).WaitAsync(TestHost.Hang);
        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, report.Entries[ReactiveStreamsHealthChecks.CanalWorkersCheckName].Status);
        Assert.Contains("canal worker 'orders' has stopped", report.Entries[ReactiveStreamsHealthChecks.CanalWorkersCheckName].Description, StringComparison.Ordinal);
    }
}

/// <summary>A log whose every call on one stream fails; the rest go to the real log.</summary>
public class FailingStreamLog : System.Reflection.DispatchProxy
{
    private object _inner = null!;
    private string _stream = null!;

    /// <summary>The stream log and checkpoint store in one, for the proxy.</summary>
    public interface ILogAndCheckpoints : IStreamLog, ICheckpointStore;

    public static IStreamLog Wrap(object inner, string stream)
    {
        var proxy = Create<ILogAndCheckpoints, FailingStreamLog>();
        var self = (FailingStreamLog)(object)proxy;
        self._inner = inner;
        self._stream = stream;
        return proxy;
    }

    protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod!.DeclaringType == typeof(IStreamLog) && args is [string stream, ..] && stream == _stream)
        {
            throw new InvalidOperationException("damaged");
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (System.Reflection.TargetInvocationException error) when (error.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error.InnerException);
            throw;
        }
    }
}

