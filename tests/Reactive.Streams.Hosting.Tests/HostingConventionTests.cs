using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>What a user of Microsoft.Extensions.Hosting expects of the registration, the start and the stop.</summary>
public sealed class HostingConventionTests
{
    private sealed class NullSink(string name) : IDeliverySink<int>
    {
        public string Name => name;

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken) => default;
    }

    [Fact]
    public async Task A_dispatcher_without_a_sink_fails_the_start_with_an_options_error_naming_its_section()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddDispatcher<int>("audit", _ => { });

        var error = await Assert.ThrowsAnyAsync<Exception>(test.StartAsync);

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("ReactiveStreams:Dispatchers:audit: dispatcher 'audit' has no sink", validation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("file", "file")]
    [InlineData("file", "File")]   // one configuration section, Sinks:file, for both
    public async Task Two_sinks_of_one_name_fail_the_start_with_an_options_error_naming_the_sink_section(string first, string second)
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink(first)).AddSink(_ => new NullSink(second)));

        var error = await Assert.ThrowsAnyAsync<Exception>(test.StartAsync);

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains($"ReactiveStreams:Dispatchers:audit:Sinks:{second}: ", validation.Message, StringComparison.Ordinal);
        Assert.Contains("unique", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sink_without_a_name_fails_the_start_with_an_options_error_naming_the_sinks_section()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink("file")).AddSink(_ => new NullSink("")));

        var error = await Assert.ThrowsAnyAsync<Exception>(test.StartAsync);

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("ReactiveStreams:Dispatchers:audit:Sinks: sink #1 (NullSink) has no name", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_checks_without_the_registration_say_that_AddReactiveStreams_is_missing()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddHealthChecks().AddReactiveStreams();
        await using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.GetRequiredService<HealthCheckService>().CheckHealthAsync());

        Assert.Contains("AddReactiveStreams", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stop_with_a_cancelled_token_returns_and_the_worker_ends_stopped()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink("file")))
            .AddCanalWorker("orders", "audit", _ => 1);
        var host = await test.StartAsync();
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");

        await host.StopAsync(new CancellationToken(canceled: true)).WaitAsync(TestHost.Hang);

        // BackgroundService runs ExecuteAsync through Task.Run with the stopping token, so a stop may come before the run
        // began: the worker is stopped either way, and nothing failed.
        Assert.NotNull(worker.ExecuteTask);
        await Task.WhenAny(worker.ExecuteTask!).WaitAsync(TestHost.Hang);
        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        Assert.Null(worker.Fault);
    }

    [Fact]
    public async Task Workers_the_app_stops_as_the_host_starts_them_end_stopped_with_a_run_the_host_does_not_take_for_a_failure()
    {
        // BackgroundService runs ExecuteAsync through Task.Run with the stopping token, so a worker the app stops before
        // that delegate ran has a cancelled ExecuteTask, and a host that is not stopping takes a cancelled ExecuteTask for
        // a failure: it logs "BackgroundService failed" and, under the default StopHost, stops the application. The service
        // the host starts right after the workers stops them all, so some stop comes before its worker's delegate ran.
        await using var test = new TestHost();
        var names = Enumerable.Range(0, 8).Select(i => $"early{i}").ToArray();
        var builder = test.Builder.Services.AddReactiveStreams();
        foreach (var name in names)
        {
            builder.AddCanalWorker<RecordingHandler>(name);
        }

        test.Builder.Services.AddSingleton<IHostedService>(services => new WorkerStopper([.. names.Select(n => services.GetRequiredKeyedService<CanalWorkerService>(n))]));
        var host = await test.StartAsync();

        foreach (var name in names)
        {
            var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>(name);
            await Task.WhenAny(worker.ExecuteTask!).WaitAsync(TestHost.Hang);
            Assert.True(worker.ExecuteTask!.IsCompletedSuccessfully, $"worker '{name}' ended {worker.ExecuteTask.Status}, which the host reports as a failure");
            Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
            Assert.Null(worker.Fault);
        }
    }

    /// <summary>Stops the given workers when the host starts it.</summary>
    private sealed class WorkerStopper(CanalWorkerService[] workers) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.WhenAll(workers.Select(w => w.StopAsync(CancellationToken.None)));

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public async Task A_worker_stopped_before_it_started_is_stopped()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        using var host = test.Builder.Build();
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");

        await worker.StopAsync(new CancellationToken(canceled: true));
        await host.StopAsync();

        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        Assert.False(File.Exists(test.DatabasePath), "a host that never started opened its log");
    }

    [Fact]
    public async Task Workers_and_dispatchers_log_under_the_categories_and_event_ids_the_docs_name()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink("file")))
            .AddCanalWorker("orders", "audit", _ => 1);
        var host = await test.StartAsync();
        await test.Logs.WaitForAsync(7001);

        await host.StopAsync().WaitAsync(TestHost.Hang);

        const string worker = "Reactive.Streams.Hosting.CanalWorkerService";
        const string dispatcher = "Reactive.Streams.DeliveryDispatcher";
        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7001 && e.Category == worker && e.Level == Microsoft.Extensions.Logging.LogLevel.Information);
        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7002 && e.Category == worker && e.Message.Contains("'orders'", StringComparison.Ordinal));
        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7005 && e.Category == dispatcher && e.Message.Contains("'audit'", StringComparison.Ordinal)
            && e.Message.Contains(DispatcherHostOptions.DefaultDrainTimeout.ToString(), StringComparison.Ordinal));
        Assert.Equal(TimeSpan.FromSeconds(15), DispatcherHostOptions.DefaultDrainTimeout);
        Assert.DoesNotContain(test.Logs.Entries, e => e.Id.Id == 7006);
    }

    /// <summary>Records which handler instance took each batch and which were disposed (a singleton of each test's host).</summary>
    private sealed class ScopeProbe
    {
        public System.Collections.Concurrent.ConcurrentQueue<ScopedHandler> Handled { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<ScopedHandler> Disposed { get; } = new();

        public SemaphoreSlim HandledSignal { get; } = new(0);

        public SemaphoreSlim DisposedSignal { get; } = new(0);
    }

    private sealed class ScopedHandler(ScopeProbe probe) : ICanalBatchHandler, IDisposable
    {
        public ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken)
        {
            probe.Handled.Enqueue(this);
            probe.HandledSignal.Release();
            return default;
        }

        public void Dispose()
        {
            probe.Disposed.Enqueue(this);
            probe.DisposedSignal.Release();
        }
    }

    [Fact]
    public async Task A_handler_worker_resolves_its_handler_from_a_new_scope_per_batch_and_disposes_it_with_the_scope()
    {
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxBatch"] = "1" });
        var probe = new ScopeProbe();
        test.Builder.Services.AddSingleton(probe);
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<ScopedHandler>("orders");
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        for (var i = 0; i < 3; i++)
        {
            await log.AppendAsync("orders", $"frame {i}", AppendMode.Durable);
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.True(await probe.HandledSignal.WaitAsync(TestHost.Hang));
            Assert.True(await probe.DisposedSignal.WaitAsync(TestHost.Hang));
        }

        Assert.Equal(3, probe.Handled.Distinct().Count());
        Assert.Equal(probe.Handled.ToHashSet(), probe.Disposed.ToHashSet());
    }

    [Fact]
    public async Task A_handler_the_app_registered_as_a_singleton_keeps_its_lifetime()
    {
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxBatch"] = "1" });
        var probe = new ScopeProbe();
        test.Builder.Services.AddSingleton(probe);
        test.Builder.Services.AddSingleton<ScopedHandler>();
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<ScopedHandler>("orders");
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        await log.AppendAsync("orders", "a", AppendMode.Durable);
        await log.AppendAsync("orders", "b", AppendMode.Durable);
        Assert.True(await probe.HandledSignal.WaitAsync(TestHost.Hang));
        Assert.True(await probe.HandledSignal.WaitAsync(TestHost.Hang));

        Assert.Single(probe.Handled.Distinct());
        Assert.Empty(probe.Disposed);
    }

    [Fact]
    public async Task A_host_that_starts_and_stops_its_services_concurrently_dispatches_and_checkpoints_every_frame()
    {
        await using var test = new TestHost();
        test.Builder.Services.Configure<HostOptions>(o =>
        {
            o.ServicesStartConcurrently = true;
            o.ServicesStopConcurrently = true;
        });
        var sink = new DispatcherHostingTests.RecordingSink("file");
        test.Builder.Services.AddReactiveStreams()
            .AddCanalWorker("orders", "orders", RecordingHandler.Probe.Text)
            .AddDispatcher<string>("orders", d => d.AddSink(_ => sink));
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        foreach (var item in new[] { "a", "b", "c" })
        {
            await log.AppendAsync("orders", item, AppendMode.Durable);
        }

        await sink.WaitForAsync(3);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(["a", "b", "c"], sink.Written);
        var last = (await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 10))[^1].Id;
        Assert.Equal(last, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        Assert.Equal(CanalWorkerStatus.Stopped, host.Services.GetRequiredKeyedService<CanalWorkerService>("orders").Status);
    }
}
