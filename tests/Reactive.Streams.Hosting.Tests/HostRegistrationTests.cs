using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>
/// Several named parts in one container, as a Microsoft.Extensions user registers and resolves them: by name, from a
/// scope, under the host's scope validation, and disposed as a container is.
/// </summary>
public sealed class HostRegistrationTests
{
    private static RecordingHandler.Probe NewProbe(out string id)
    {
        id = Guid.NewGuid().ToString("N");
        return RecordingHandler.Probes[id] = new RecordingHandler.Probe();
    }

    private static Task AppendAsync(IStreamLog log, string stream, string id, string payload) =>
        log.AppendAsync(stream, Encoding.UTF8.GetBytes($"{id}/{payload}"), AppendMode.Durable).AsTask();

    [Theory]
    [InlineData(null, "orders", "orders")]       // 'audit' takes the checkpoint that 'orders' uses by default
    [InlineData("shared", "shared", "shared")]   // both configured to one checkpoint id, each on its own stream
    public async Task Two_workers_on_one_checkpoint_fail_the_start_naming_the_later_workers_CheckpointId_key(string? ordersCheckpoint, string auditCheckpoint, string shared)
    {
        // A checkpoint is one position, whatever the stream: two workers writing it move it past frames the other has not
        // handled (one stream), or make one resume at a position of the other's stream (two streams).
        var configuration = new Dictionary<string, string?> { ["ReactiveStreams:Canals:audit:CheckpointId"] = auditCheckpoint };
        if (ordersCheckpoint is not null)
        {
            configuration["ReactiveStreams:Canals:orders:CheckpointId"] = ordersCheckpoint;
        }

        await using var test = new TestHost(configuration);
        test.Builder.Services.AddReactiveStreams()
            .AddCanalWorker<RecordingHandler>("orders")
            .AddCanalWorker<RecordingHandler>("audit");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(test.StartAsync);

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("ReactiveStreams:Canals:audit:CheckpointId: ", failure, StringComparison.Ordinal);
        Assert.Contains($"'{shared}'", failure, StringComparison.Ordinal);
        Assert.Contains("'orders'", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workers_whose_checkpoint_ids_differ_only_by_case_are_two_checkpoints_and_start()
    {
        // The log compares checkpoint ids as it compares stream names, ordinally: these are two checkpoints.
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:audit:CheckpointId"] = "Orders" });
        test.Builder.Services.AddReactiveStreams()
            .AddCanalWorker<RecordingHandler>("orders")
            .AddCanalWorker<RecordingHandler>("audit");

        var host = await test.StartAsync();

        Assert.Equal("Orders", host.Services.GetRequiredKeyedService<CanalWorkerService>("audit").CheckpointId);
        Assert.Equal("orders", host.Services.GetRequiredKeyedService<CanalWorkerService>("orders").CheckpointId);
    }

    private sealed class NamedSink(string name) : IDeliverySink<string>
    {
        public string Name => name;

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken) => default;
    }

    [Fact]
    public async Task Two_dispatchers_of_one_item_type_each_bind_their_own_section_and_a_shared_sink_name_its_own_sinks_section()
    {
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Dispatchers:eu:QueueCapacity"] = "11",
            ["ReactiveStreams:Dispatchers:eu:Sinks:mail:MaxRetries"] = "7",
            ["ReactiveStreams:Dispatchers:us:MaxRetries"] = "2",
        });
        var shared = new DeliverySinkOptions { MaxBatch = 5 };
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("eu", d => d.AddSink(_ => new NamedSink("mail"), shared))
            .AddDispatcher<string>("us", d => d.AddSink(_ => new NamedSink("mail"), shared).Configure(o => o.BackoffJitter = true));
        var host = await test.StartAsync();
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<DeliveryOptions<string>>>();

        var eu = monitor.Get("eu");
        var us = monitor.Get("us");

        Assert.Equal(("eu", 11, DeliveryOptions<string>.DefaultMaxRetries, false), (eu.Name, eu.QueueCapacity, eu.MaxRetries, eu.BackoffJitter));
        Assert.Equal(("us", DeliveryOptions<string>.DefaultQueueCapacity, 2, true), (us.Name, us.QueueCapacity, us.MaxRetries, us.BackoffJitter));
        Assert.Equal((7, 5), (eu.Sinks[0].Options!.MaxRetries, eu.Sinks[0].Options!.MaxBatch));
        Assert.Same(shared, us.Sinks[0].Options);
        Assert.Null(shared.MaxRetries);

        // Each name resolves its own dispatcher, sinks and hosting settings; the unkeyed default name resolves none.
        var euDispatcher = host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("eu");
        Assert.NotSame(euDispatcher, host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("us"));
        Assert.NotSame(eu.Sinks[0].Sink, us.Sinks[0].Sink);
        Assert.Null(host.Services.GetService<DeliveryDispatcher<string>>());
        Assert.Null(host.Services.GetKeyedService<DeliveryDispatcher<string>>("EU-west"));
    }

    [Fact]
    public async Task Services_resolved_from_a_scope_are_the_roots_singletons_and_disposing_the_scope_stops_nothing()
    {
        var probe = NewProbe(out var id);
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => new NamedSink("mail")))
            .AddCanalWorker<RecordingHandler>("audit");
        var host = await test.StartAsync();
        var root = host.Services;

        await using (var scope = root.CreateAsyncScope())
        {
            var scoped = scope.ServiceProvider;
            var log = scoped.GetRequiredService<IStreamLog>();
            Assert.Same(root.GetRequiredService<IStreamLog>(), log);
            Assert.Same(log, scoped.GetRequiredService<ICheckpointStore>());
            Assert.Same(log, scoped.GetRequiredService<IConsumerGroupLog>());
            Assert.Same(root.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders"), scoped.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders"));
            Assert.Same(root.GetRequiredKeyedService<CanalWorkerService>("audit"), scoped.GetRequiredKeyedService<CanalWorkerService>("audit"));
            Assert.Same(root.GetRequiredKeyedService<CanalWorkerService>("audit"), scoped.GetRequiredService<CanalWorkerService>());
        }

        await AppendAsync(root.GetRequiredService<IStreamLog>(), "audit", id, "after-the-scope");
        await probe.WaitForAsync(1);
        Assert.Equal(CanalWorkerStatus.Running, root.GetRequiredKeyedService<CanalWorkerService>("audit").Status);
        Assert.False(root.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders").IsShutdown);
    }

    private sealed class ScopedThing;

    private sealed class ScopedDependentSink(ScopedThing thing) : IDeliverySink<string>
    {
        public string Name => thing.GetType().Name;

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken) => default;
    }

    [Fact]
    public async Task A_sink_that_asks_for_a_scoped_service_is_refused_at_start_under_the_development_hosts_scope_validation()
    {
        // hosting.md: a sink lives as long as its dispatcher, a singleton, and takes singleton services only.
        await using var test = new TestHost();
        test.Builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true }));
        test.Builder.Services.AddScoped<ScopedThing>();
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink<ScopedDependentSink>());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(test.StartAsync);

        Assert.Contains(nameof(ScopedThing), error.Message, StringComparison.Ordinal);
    }

    private sealed class CountingAsyncSink(string name) : IDeliverySink<string>, IAsyncDisposable
    {
        public int Disposals;

        public string Name => name;

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken) => default;

        public ValueTask DisposeAsync()
        {
            Interlocked.Increment(ref Disposals);
            return default;
        }
    }

    [Fact]
    public async Task A_container_disposed_twice_asynchronously_then_synchronously_disposes_everything_once()
    {
        var directory = Directory.CreateTempSubdirectory("rs-hosting-dispose-").FullName;
        try
        {
            // No IMeterFactory in a bare container: the dispatcher publishes on the static meter, which the hosts of other
            // tests export too, so its name is its own.
            var name = $"orders-{Guid.NewGuid():N}";
            var services = new ServiceCollection();
            var sink = new CountingAsyncSink("mail");
            services.AddReactiveStreams()
                .ConfigureLog(o => o.Path = Path.Combine(directory, "streams.db"))
                .AddDispatcher<string>(name, d => d.AddSink(_ => sink));
            var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
            var log = provider.GetRequiredService<IStreamLog>();
            await log.AppendAsync("orders", "a"u8.ToArray(), AppendMode.Durable);
            var dispatcher = provider.GetRequiredKeyedService<DeliveryDispatcher<string>>(name);

            await provider.DisposeAsync();
            await provider.DisposeAsync();
            provider.Dispose();

            Assert.Equal(1, sink.Disposals);
            Assert.True(dispatcher.IsShutdown);
            await Assert.ThrowsAsync<ObjectDisposedException>(() => log.ReadAsync("orders", StreamId.Min, StreamId.Max, 1).AsTask());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(BackgroundServiceExceptionBehavior.Ignore)]
    [InlineData(BackgroundServiceExceptionBehavior.StopHost)]
    public async Task A_worker_whose_canal_cannot_open_faults_with_the_canals_own_error_and_the_host_does_what_its_options_say(BackgroundServiceExceptionBehavior behavior)
    {
        // A stored checkpoint past the stream's last frame (the stream was recreated) is refused when the canal opens.
        var probe = NewProbe(out var id);
        await using var test = new TestHost();
        await using (var seeded = await Reactive.Streams.Storage.Sqlite.SqliteStreamLog.OpenAsync(test.DatabasePath))
        {
            var far = await seeded.AppendAsync("elsewhere", "x"u8.ToArray(), AppendMode.Durable);
            await seeded.WriteCheckpointAsync("orders", far.Id);
        }

        test.Builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = behavior);
        test.Builder.Services.AddReactiveStreams()
            .AddCanalWorker<RecordingHandler>("orders")
            .AddCanalWorker<RecordingHandler>("audit");
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        test.Builder.Services.AddSingleton<IHostedService>(services => new LifetimeProbe(services.GetRequiredService<IHostApplicationLifetime>(), stopping));
        var host = await test.StartAsync();
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.ExecuteTask!.WaitAsync(TestHost.Hang));

        Assert.Equal(CanalWorkerStatus.Faulted, worker.Status);
        Assert.Same(worker.Fault, error); // the canal's own error, as it is
        Assert.Contains(test.Logs.Entries, e => e.Level == LogLevel.Error && e.Id.Id == 7003 && e.Error == error);
        if (behavior == BackgroundServiceExceptionBehavior.StopHost)
        {
            await stopping.Task.WaitAsync(TestHost.Hang);
            return;
        }

        // Ignored: the host and the other worker go on.
        await AppendAsync(host.Services.GetRequiredService<IStreamLog>(), "audit", id, "still-running");
        await probe.WaitForAsync(1);
        Assert.False(stopping.Task.IsCompleted);
        Assert.Equal(CanalWorkerStatus.Running, host.Services.GetRequiredKeyedService<CanalWorkerService>("audit").Status);
    }

    private sealed class LifetimeProbe(IHostApplicationLifetime lifetime, TaskCompletionSource stopping) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public async Task A_start_cancelled_before_it_began_starts_nothing_and_the_stop_and_dispose_that_follow_return()
    {
        await using var test = new TestHost();
        var sink = new CountingAsyncSink("mail");
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => sink))
            .AddCanalWorker("orders", dispatcher: "orders", frame => Encoding.UTF8.GetString(frame.Payload.Span))
            .AddCanalWorker<RecordingHandler>("audit");
        var host = test.Builder.Build();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.StartAsync(new CancellationToken(canceled: true)).WaitAsync(TestHost.Hang));
        await host.StopAsync().WaitAsync(TestHost.Hang);
        var workers = new[] { "orders", "audit" }.Select(name => host.Services.GetRequiredKeyedService<CanalWorkerService>(name)).ToList();
        Assert.All(workers, worker => Assert.Null(worker.ExecuteTask));

        await ((IAsyncDisposable)host).DisposeAsync().AsTask().WaitAsync(TestHost.Hang);

        // Disposed without having run, a worker is not "starting" (which the worker check reports healthy) any more.
        Assert.All(workers, worker => Assert.Equal(CanalWorkerStatus.Stopped, worker.Status));
        Assert.DoesNotContain(test.Logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Equal(0, sink.Disposals); // never created: nothing to dispose
    }

    [Fact]
    public async Task A_worker_also_added_with_AddHostedService_runs_one_loop_on_its_checkpoint()
    {
        // AddCanalWorker registers the worker as a hosted service; an app that adds it again, the usual way for a hosted
        // service, has the host start one instance twice. BackgroundService would then run a second ExecuteAsync on the
        // same checkpoint, whose token no stop cancels. As AddHostedService<T> registers a type once, the second start of
        // one worker starts nothing.
        var probe = NewProbe(out var id);
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("audit");
        test.Builder.Services.AddHostedService(services => services.GetRequiredKeyedService<CanalWorkerService>("audit"));
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        await AppendAsync(log, "audit", id, "a");
        await probe.WaitForAsync(1);
        await AppendAsync(log, "audit", id, "b");
        await probe.WaitForAsync(2);

        await host.StopAsync().WaitAsync(TestHost.Hang);

        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("audit");
        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        Assert.Single(test.Logs.Entries, e => e.Id.Id == 7001); // one canal opened
        Assert.Single(test.Logs.Entries, e => e.Id.Id == 7002); // and closed by the stop
        Assert.Equal([$"{id}/a", $"{id}/b"], probe.Handled);
    }

    [Fact]
    public async Task A_Configure_that_renames_a_dispatcher_fails_the_start_naming_its_Name_key()
    {
        // The registered name is the dispatcher's key, section, logger scope and metric tag: renamed in code, two
        // dispatchers ('eu' and 'us' both named 'orders') would count and log as one, and neither under its key.
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("eu", d => d.AddSink(_ => new NamedSink("mail")).Configure(o => o.Name = "orders"))
            .AddDispatcher<string>("us", d => d.AddSink(_ => new NamedSink("mail")).Configure(o => o.Name = "us"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(test.StartAsync);

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("ReactiveStreams:Dispatchers:eu:Name: ", failure, StringComparison.Ordinal);
        Assert.Contains("'orders'", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_worker_resolves_its_own_named_options_and_ConfigureAll_reaches_every_worker()
    {
        var (eu, us) = (NewProbe(out var euId), NewProbe(out var usId));
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Canals:eu:Stream"] = "orders.eu",
            ["ReactiveStreams:Canals:eu:MaxBatch"] = "3",
            ["ReactiveStreams:Canals:us:Visibility"] = "ExcludeBestEffort",
            ["ReactiveStreams:Canals:us:MaxLagCount"] = "9",
        });
        test.Builder.Services.AddReactiveStreams()
            .AddCanalWorker<RecordingHandler>("eu")
            .AddCanalWorker<RecordingHandler>("us");
        test.Builder.Services.ConfigureAll<CanalWorkerHostOptions>(o => o.MaxLagAge = TimeSpan.FromMinutes(7));
        var host = await test.StartAsync();
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<CanalWorkerHostOptions>>();

        var (euOptions, usOptions) = (monitor.Get("eu"), monitor.Get("us"));

        Assert.Equal(("orders.eu", 3, TailVisibility.All, (int?)null), (euOptions.Stream, euOptions.MaxBatch, euOptions.Visibility, euOptions.MaxLagCount));
        Assert.Equal(((string?)null, new CanalWorkerHostOptions().MaxBatch, TailVisibility.ExcludeBestEffort, (int?)9), (usOptions.Stream, usOptions.MaxBatch, usOptions.Visibility, usOptions.MaxLagCount));
        Assert.Equal(TimeSpan.FromMinutes(7), euOptions.MaxLagAge);
        Assert.Equal(TimeSpan.FromMinutes(7), usOptions.MaxLagAge);
        var euWorker = host.Services.GetRequiredKeyedService<CanalWorkerService>("eu");
        var usWorker = host.Services.GetRequiredKeyedService<CanalWorkerService>("us");
        Assert.Equal(("orders.eu", "eu"), (euWorker.Stream, euWorker.CheckpointId));
        Assert.Equal(("us", "us"), (usWorker.Stream, usWorker.CheckpointId));

        // Each reads its own stream: a frame for one is never handed to the other.
        var log = host.Services.GetRequiredService<IStreamLog>();
        await AppendAsync(log, "orders.eu", euId, "1");
        await AppendAsync(log, "us", usId, "1");
        await eu.WaitForAsync(1);
        await us.WaitForAsync(1);
        Assert.Equal([$"{euId}/1"], eu.Handled);
        Assert.Equal([$"{usId}/1"], us.Handled);
    }

    /// <summary>An app service that dispatches a last item when the host stops it (a producer flushing what it holds).</summary>
    private sealed class FlushingProducer(IServiceProvider services) : IHostedService
    {
        public Exception? StopError { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken) =>
            services.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders").DispatchAsync("first", cancellationToken: cancellationToken).AsTask();

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            try
            {
                await services.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders").DispatchAsync("last", cancellationToken: cancellationToken);
            }
            catch (InvalidOperationException error)
            {
                StopError = error;
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_app_service_registered_after_AddReactiveStreams_stops_before_the_dispatchers_drain_and_one_registered_before_after(bool registeredAfter)
    {
        // The host stops its services in the reverse order of registration (what is registered first, others may depend
        // on), and the dispatchers drain in the stop of a service AddReactiveStreams registers.
        await using var test = new TestHost();
        var sink = new DispatcherHostingTests.RecordingSink("mail");
        if (!registeredAfter)
        {
            test.Builder.Services.AddSingleton<FlushingProducer>().AddHostedService(services => services.GetRequiredService<FlushingProducer>());
        }

        test.Builder.Services.AddReactiveStreams().AddDispatcher<string>("orders", d => d.AddSink(_ => sink));
        if (registeredAfter)
        {
            test.Builder.Services.AddSingleton<FlushingProducer>().AddHostedService(services => services.GetRequiredService<FlushingProducer>());
        }

        var host = await test.StartAsync();
        await sink.WaitForAsync(1);

        await host.StopAsync().WaitAsync(TestHost.Hang);

        var producer = host.Services.GetRequiredService<FlushingProducer>();
        if (registeredAfter)
        {
            Assert.Null(producer.StopError);
            Assert.Equal(["first", "last"], sink.Written);
        }
        else
        {
            Assert.NotNull(producer.StopError); // the dispatcher had drained and shut down
            Assert.Equal(["first"], sink.Written);
        }
    }

    [Fact]
    public async Task A_host_disposed_synchronously_after_its_stop_disposes_a_sink_that_is_only_async_disposable()
    {
        // `using var host = builder.Build()`: the host disposes its container asynchronously, so a sink that implements only
        // IAsyncDisposable is disposed, once, which a container disposed with Dispose() refuses.
        await using var test = new TestHost();
        var sink = new CountingAsyncSink("mail");
        test.Builder.Services.AddReactiveStreams().AddDispatcher<string>("orders", d => d.AddSink(_ => sink));
        var host = await test.StartAsync();
        await host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders").DispatchAsync("a");

        await host.StopAsync().WaitAsync(TestHost.Hang);
        host.Dispose();
        host.Dispose();

        Assert.Equal(1, sink.Disposals);
        Assert.DoesNotContain(test.Logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task A_reload_that_does_not_bind_one_workers_section_is_reported_for_that_worker_alone()
    {
        // The checkpoint check of 'us' reads the section of 'eu' too: the binder's error there belongs to 'eu' alone, and
        // the lag check of 'us' (which reads its reloaded limits) goes on.
        var probe = NewProbe(out var id);
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams()
            .AddCanalWorker<RecordingHandler>("eu")
            .AddCanalWorker<RecordingHandler>("us");
        var host = await test.StartAsync();
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<CanalWorkerHostOptions>>();
        var configuration = (Microsoft.Extensions.Configuration.IConfigurationRoot)host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();

        configuration["ReactiveStreams:Canals:eu:MaxBatch"] = "many";
        configuration["ReactiveStreams:Canals:us:MaxLagCount"] = "5";
        try
        {
            configuration.Reload(); // the monitor rebuilds 'eu' at once, and throws its binder error to the reload
        }
        catch (AggregateException error) when (error.Flatten().InnerExceptions.All(e => e.Message.Contains("Canals:eu:MaxBatch", StringComparison.Ordinal)))
        {
        }

        Assert.Throws<InvalidOperationException>(() => monitor.Get("eu"));
        Assert.Equal(5, monitor.Get("us").MaxLagCount);
        await AppendAsync(host.Services.GetRequiredService<IStreamLog>(), "us", id, "1");
        await probe.WaitForAsync(1);
    }

    /// <summary>An app service that takes the dispatcher as hosting.md shows, by <c>[FromKeyedServices(name)]</c>, and dispatches at its start.</summary>
    private sealed class OrderIntake([FromKeyedServices("orders")] DeliveryDispatcher<string> dispatcher) : BackgroundService
    {
        public TaskCompletionSource Dispatched { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            foreach (var item in new[] { "o1", "o2", "o3" })
            {
                await dispatcher.DispatchAsync(item, cancellationToken: stoppingToken);
            }

            Dispatched.TrySetResult();
        }
    }

    [Fact]
    public async Task An_app_service_takes_the_dispatcher_by_FromKeyedServices_and_what_it_dispatched_is_drained_at_the_stop()
    {
        // Registered after AddReactiveStreams, the app's service stops before the dispatcher drains: every item it
        // dispatched reaches the sink, including those still queued when the stop began.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new DispatcherHostingTests.RecordingSink("file") { BlockOn = item => item == "o1", Release = release };
        await using var test = new TestHost(new() { ["ReactiveStreams:Dispatchers:orders:DrainTimeout"] = "00:01:00" });
        test.Builder.Services.AddReactiveStreams().AddDispatcher<string>("orders", d => d.AddSink(_ => sink));
        test.Builder.Services.AddSingleton<OrderIntake>();
        test.Builder.Services.AddHostedService(services => services.GetRequiredService<OrderIntake>());
        var host = await test.StartAsync();
        await host.Services.GetRequiredService<OrderIntake>().Dispatched.Task.WaitAsync(TestHost.Hang);
        await sink.Blocked.Task.WaitAsync(TestHost.Hang);

        var stop = host.StopAsync();
        release.SetResult();
        await stop.WaitAsync(TestHost.Hang);

        Assert.Equal(["o1", "o2", "o3"], sink.Written);
        Assert.Same(host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders"), host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders"));
        Assert.True(host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders").IsShutdown);
    }
}
