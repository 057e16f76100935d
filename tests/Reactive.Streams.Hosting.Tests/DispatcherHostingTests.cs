using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Reactive.Streams.Hosting.Tests;

public sealed class DispatcherHostingTests
{
    /// <summary>Records what it commits; fails permanently on "bad"; blocks (until cancelled) on what <see cref="BlockOn"/> says.</summary>
    internal sealed class RecordingSink(string name) : IDeliverySink<string>
    {
        public string Name => name;

        public ConcurrentQueue<string> Written { get; } = new();

        public Func<string, bool>? BlockOn { get; set; }

        /// <summary>When set, a blocked write waits for this instead of its cancellation, then commits.</summary>
        public TaskCompletionSource? Release { get; set; }

        public TaskCompletionSource Blocked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask WriteAsync(string item, CancellationToken cancellationToken)
        {
            if (item.EndsWith("bad", StringComparison.Ordinal))
            {
                throw new PermanentDeliveryException($"{name} refuses {item}");
            }

            if (BlockOn?.Invoke(item) == true)
            {
                Blocked.TrySetResult();
                if (Release is { } release)
                {
                    await release.Task.WaitAsync(TestHost.Hang, cancellationToken);
                }
                else
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
            }

            Written.Enqueue(item);
            Signal.Release();
        }

        public SemaphoreSlim Signal { get; } = new(0);

        /// <summary>Waits (on each write's signal, not on a timer) until <paramref name="count"/> items were written.</summary>
        public async Task WaitForAsync(int count)
        {
            while (Written.Count < count)
            {
                Assert.True(await Signal.WaitAsync(TestHost.Hang), $"{name} saw {Written.Count} of {count} items");
            }
        }
    }

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    private static async Task<StreamId> AppendAsync(IStreamLog log, params string[] items)
    {
        StreamId last = default;
        foreach (var item in items)
        {
            last = (await log.AppendAsync("orders", item, AppendMode.Durable)).Id;
        }

        return last;
    }

    [Fact]
    public async Task A_worker_dispatches_to_two_sinks_dead_letters_to_a_stream_and_checkpoints_what_every_sink_committed()
    {
        var file = new RecordingSink("file");
        var webhook = new RecordingSink("webhook");
        await using var test = new TestHost(new() { ["ReactiveStreams:Dispatchers:orders:MaxRetries"] = "0" });
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d
                .AddSink(_ => file)
                .AddSink(_ => webhook)
                .UseDeadLetterStream("orders.dead", item => Encoding.UTF8.GetBytes(item)))
            .AddCanalWorker("orders", "orders", Text);
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        var last = await AppendAsync(log, "o1", "o2-bad", "o3");
        await file.WaitForAsync(2);
        await webhook.WaitForAsync(2);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(["o1", "o3"], file.Written);
        Assert.Equal(["o1", "o3"], webhook.Written);
        var dead = await log.ReadAsync("orders.dead", StreamId.Min, StreamId.Max, 10);
        Assert.Equal(2, dead.Count); // one per sink that refused it
        using var letter = JsonDocument.Parse(dead[0].Payload);
        Assert.Equal("o2-bad", letter.RootElement.GetProperty("item").GetString());
        Assert.Contains(letter.RootElement.GetProperty("sink").GetString(), new[] { "file", "webhook" });
        Assert.Equal(typeof(PermanentDeliveryException).FullName, letter.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(last, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
    }

    [Fact]
    public async Task Stopping_the_host_leaves_undrained_frames_unacknowledged_and_the_next_run_delivers_them()
    {
        var file = new RecordingSink("file") { BlockOn = item => item == "o2" };
        await using var first = new TestHost(new()
        {
            ["ReactiveStreams:Dispatchers:orders:DrainTimeout"] = "00:00:00",
            ["ReactiveStreams:Dispatchers:orders:MaxBatch"] = "1",
        });
        first.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => file))
            .AddCanalWorker("orders", "orders", Text);
        var host = await first.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var firstId = await AppendAsync(log, "o1");
        await AppendAsync(log, "o2", "o3");
        await file.Blocked.Task.WaitAsync(TestHost.Hang);

        await host.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(["o1"], file.Written);
        Assert.Equal(firstId, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        Assert.Contains(first.Logs.Entries, e => e.Id.Id == 7006 && e.Level == LogLevel.Warning);
        host.Dispose();

        var again = new RecordingSink("file");
        var second = new TestHost(new() { ["ReactiveStreams:Log:Path"] = first.DatabasePath });
        second.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => again))
            .AddCanalWorker("orders", "orders", Text);
        var restarted = await second.StartAsync();
        await again.WaitForAsync(2);
        await restarted.StopAsync().WaitAsync(TestHost.Hang);
        restarted.Dispose();
        Assert.Equal(["o2", "o3"], again.Written);
    }

    [Fact]
    public async Task A_dispatcher_that_does_not_drain_is_reported_once_however_often_it_is_shut_down()
    {
        // The worker feeding the dispatcher drains it after its last dispatch, the lifetime service drains it again
        // once the worker has stopped, and a host may be stopped twice: one shutdown, so one 7005 and one 7006.
        var file = new RecordingSink("file") { BlockOn = item => item == "o2" };
        await using var test = new TestHost(new() { ["ReactiveStreams:Dispatchers:orders:DrainTimeout"] = "00:00:00" });
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => file))
            .AddCanalWorker("orders", "orders", Text);
        var host = await test.StartAsync();
        await AppendAsync(host.Services.GetRequiredService<IStreamLog>(), "o1", "o2");
        await file.Blocked.Task.WaitAsync(TestHost.Hang);

        await Task.WhenAll(host.StopAsync(), host.StopAsync()).WaitAsync(TestHost.Hang);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Single(test.Logs.Entries, e => e.Id.Id == 7005);
        Assert.Single(test.Logs.Entries, e => e.Id.Id == 7006);
    }

    [Fact]
    public async Task Stopping_the_host_drains_the_dispatcher_before_the_checkpoint_is_written()
    {
        var file = new RecordingSink("file") { BlockOn = item => item == "o2", Release = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var test = new TestHost(new() { ["ReactiveStreams:Dispatchers:orders:DrainTimeout"] = "00:05:00" });
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => file))
            .AddCanalWorker("orders", "orders", Text);
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var last = await AppendAsync(log, "o1", "o2");
        await file.Blocked.Task.WaitAsync(TestHost.Hang);

        var stopping = host.StopAsync();
        await test.Logs.WaitForAsync(7005);   // the worker stopped pulling and the dispatcher is draining
        Assert.False(stopping.IsCompleted);
        file.Release.TrySetResult();          // the sink commits o2 within the drain timeout
        await stopping.WaitAsync(TestHost.Hang);

        Assert.Equal(["o1", "o2"], file.Written);
        Assert.Equal(last, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        Assert.DoesNotContain(test.Logs.Entries, e => e.Id.Id == 7006);
    }

    [Fact]
    public async Task The_dispatcher_check_is_unhealthy_when_a_queue_is_deeper_than_its_limit()
    {
        var file = new RecordingSink("file") { BlockOn = item => item == "1" };
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Dispatchers:audit:MaxQueueDepth"] = "1",
            ["ReactiveStreams:Dispatchers:audit:MaxBatch"] = "1",
            ["ReactiveStreams:Dispatchers:audit:DrainTimeout"] = "00:00:00",
        });
        test.Builder.Services.AddReactiveStreams().AddDispatcher<string>("audit", d => d.AddSink(_ => file));
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var dispatcher = host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("audit");

        await dispatcher.DispatchAsync("1");
        await file.Blocked.Task.WaitAsync(TestHost.Hang);
        await dispatcher.DispatchAsync("2");
        var ready = await health.CheckHealthAsync(c => c.Tags.Contains(ReactiveStreamsHealthChecks.ReadyTag));
        Assert.Equal(HealthStatus.Healthy, ready.Status);

        await dispatcher.DispatchAsync("3");
        ready = await health.CheckHealthAsync(c => c.Tags.Contains(ReactiveStreamsHealthChecks.ReadyTag));
        Assert.Equal(HealthStatus.Unhealthy, ready.Status);
        var entry = ready.Entries[ReactiveStreamsHealthChecks.DispatchersCheckName];
        Assert.Contains("sink 'file' has 2 queued item(s), more than 1", entry.Description, StringComparison.Ordinal);
        Assert.Equal(2, entry.Data["audit/file.depth"]);
        var live = await health.CheckHealthAsync(c => c.Tags.Contains(ReactiveStreamsHealthChecks.LiveTag));
        Assert.Equal(HealthStatus.Healthy, live.Status);
    }

    [Fact]
    public async Task A_dispatcher_takes_its_logger_and_clock_from_the_container_and_binds_its_options()
    {
        var file = new RecordingSink("file");
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Dispatchers:audit:QueueCapacity"] = "7",
            ["ReactiveStreams:Dispatchers:audit:Sinks:file:OnFull"] = "Drop",
        });
        test.Builder.Services.AddReactiveStreams().AddDispatcher<string>("audit", d => d.AddSink(_ => file).Configure(o => o.MaxRetries = 9));
        var host = await test.StartAsync();

        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<DeliveryOptions<string>>>().Get("audit");
        Assert.Equal("audit", options.Name);
        Assert.Equal(7, options.QueueCapacity);
        Assert.Equal(9, options.MaxRetries);
        Assert.Equal(OnFull.Drop, options.Sinks[0].Options!.OnFull);
        Assert.Same(host.Services.GetService<TimeProvider>() ?? TimeProvider.System, options.TimeProvider);
        Assert.NotNull(options.Logger);
        Assert.Equal(["file"], host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("audit").SinkNames);
    }

    [Fact]
    public async Task The_sinks_are_created_once_even_when_the_configuration_reloads()
    {
        var created = 0;
        await using var test = new TestHost(new() { ["ReactiveStreams:Dispatchers:audit:Sinks:file:MaxRetries"] = "4" });
        test.Builder.Services.AddReactiveStreams().AddDispatcher<string>("audit", d => d
            .AddSink(_ =>
            {
                Interlocked.Increment(ref created);
                return new RecordingSink("file");
            })
            .UseDeadLetterSink(_ =>
            {
                Interlocked.Increment(ref created);
                return new DeadLetters();
            }));
        var host = await test.StartAsync();
        Assert.Equal(2, created);

        // The options monitor rebuilds the dispatcher's options when the configuration reloads.
        ((Microsoft.Extensions.Configuration.IConfigurationRoot)host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()).Reload();
        var rebuilt = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<DeliveryOptions<string>>>().Get("audit");

        Assert.Equal(2, created);
        Assert.Equal(4, rebuilt.Sinks[0].Options!.MaxRetries);
    }

    /// <summary>What the disposable sinks below saw when they were disposed.</summary>
    internal sealed class Disposals
    {
        public ConcurrentQueue<(string Sink, bool DispatcherShutDown)> Entries { get; } = new();

        public DeliveryDispatcher<string>? Dispatcher { get; set; }

        public void Disposed(string sink) => Entries.Enqueue((sink, Dispatcher?.IsShutdown == true));
    }

    internal sealed class CreatedSink(Disposals disposals) : IDeliverySink<string>, IAsyncDisposable
    {
        public string Name => "created";

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken) => default;

        public ValueTask DisposeAsync()
        {
            disposals.Disposed(Name);
            return default;
        }
    }

    internal sealed class RegisteredSink(Disposals disposals) : IDeliverySink<string>, IDisposable
    {
        public string Name => "registered";

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken) => default;

        public void Dispose() => disposals.Disposed(Name);
    }

    internal sealed class FactorySink(Disposals disposals) : IDeliverySink<string>, IDisposable
    {
        public string Name => "factory";

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken) => default;

        public void Dispose() => disposals.Disposed(Name);
    }

    internal sealed class DisposableDeadLetters(Disposals disposals) : IDeliverySink<DeadLetter<string>>, IAsyncDisposable
    {
        public string Name => "dead";

        public ValueTask WriteAsync(DeadLetter<string> item, CancellationToken cancellationToken) => default;

        public ValueTask DisposeAsync()
        {
            disposals.Disposed(Name);
            return default;
        }
    }

    [Fact]
    public async Task The_sinks_the_builder_creates_are_disposed_with_the_host_once_the_dispatcher_has_stopped()
    {
        // As the container disposes what it creates (a type, or what a factory registration returns): a sink created
        // for AddSink<TSink>, or returned by a sink factory, is disposed with the container; a registered one, by the
        // container alone (once).
        var disposals = new Disposals();
        await using var test = new TestHost();
        test.Builder.Services.AddSingleton(disposals);
        test.Builder.Services.AddSingleton<RegisteredSink>();
        test.Builder.Services.AddReactiveStreams().AddDispatcher<string>("audit", d => d
            .AddSink<CreatedSink>()
            .AddSink<RegisteredSink>()
            .AddSink(services => new FactorySink(services.GetRequiredService<Disposals>()))
            .UseDeadLetterSink<DisposableDeadLetters>());
        var host = await test.StartAsync();
        var dispatcher = host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("audit");
        disposals.Dispatcher = dispatcher;
        await dispatcher.DispatchAsync("o1");
        await host.StopAsync().WaitAsync(TestHost.Hang);
        Assert.Empty(disposals.Entries);

        await ((IAsyncDisposable)host).DisposeAsync().AsTask().WaitAsync(TestHost.Hang);

        Assert.Equal(["created", "dead", "factory", "registered"], disposals.Entries.Select(e => e.Sink).Order());
        Assert.All(disposals.Entries, e => Assert.True(e.DispatcherShutDown, $"{e.Sink} was disposed before its dispatcher stopped"));
    }

    [Fact]
    public async Task A_sink_options_object_shared_in_code_is_not_changed_by_one_sinks_section()
    {
        var shared = new DeliverySinkOptions { MaxRetries = 3 };
        await using var test = new TestHost(new() { ["ReactiveStreams:Dispatchers:audit:Sinks:webhook:MaxRetries"] = "20" });
        test.Builder.Services.AddReactiveStreams().AddDispatcher<string>("audit", d => d
            .AddSink(_ => new RecordingSink("file"), shared)
            .AddSink(_ => new RecordingSink("webhook"), shared));
        var host = await test.StartAsync();

        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<DeliveryOptions<string>>>().Get("audit");
        Assert.Equal([3, 20], options.Sinks.Select(s => s.Options!.MaxRetries!.Value));
        Assert.Equal(3, shared.MaxRetries);
    }

    [Fact]
    public async Task A_stop_whose_token_fires_before_the_drain_ends_returns_without_an_error()
    {
        var file = new RecordingSink("file") { BlockOn = item => item == "o2", Release = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var test = new TestHost(new() { ["ReactiveStreams:Dispatchers:orders:DrainTimeout"] = "00:05:00" });
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => file))
            .AddCanalWorker("orders", "orders", Text);
        var host = await test.StartAsync();
        await AppendAsync(host.Services.GetRequiredService<IStreamLog>(), "o1", "o2");
        await file.Blocked.Task.WaitAsync(TestHost.Hang);

        // The host's shutdown timeout has run out (as a stop token that is already cancelled): like a BackgroundService,
        // the dispatchers stop being waited for, and the host's stop does not fail with an OperationCanceledException.
        using var timedOut = new CancellationTokenSource();
        await timedOut.CancelAsync();
        var error = await Record.ExceptionAsync(() => host.StopAsync(timedOut.Token).WaitAsync(TestHost.Hang));
        file.Release.TrySetResult();

        Assert.Null(error);
        Assert.DoesNotContain(test.Logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task Disposing_the_host_after_a_stop_that_timed_out_ends_the_drain_instead_of_waiting_for_it()
    {
        // The drain's clock never moves: only the disposal can end the five-minute drain.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var file = new RecordingSink("file") { BlockOn = item => item == "o1" };
        await using var test = new TestHost(new() { ["ReactiveStreams:Dispatchers:orders:DrainTimeout"] = "00:05:00" });
        test.Builder.Services.AddSingleton<TimeProvider>(clock);
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => file))
            .AddCanalWorker("orders", "orders", Text);
        var host = await test.StartAsync();
        await AppendAsync(host.Services.GetRequiredService<IStreamLog>(), "o1");
        await file.Blocked.Task.WaitAsync(TestHost.Hang);
        using var timedOut = new CancellationTokenSource();
        await timedOut.CancelAsync();
        await host.StopAsync(timedOut.Token).WaitAsync(TestHost.Hang);

        // The host is disposed under the drain (docs/hosting.md): the container's disposal of the dispatcher ends it.
        await ((IAsyncDisposable)host).DisposeAsync().AsTask().WaitAsync(TestHost.Hang);

        Assert.Empty(file.Written); // the blocked write saw its token cancelled
    }

    [Fact]
    public async Task A_host_that_stops_its_services_concurrently_stops_a_dispatching_worker_cleanly()
    {
        // Concurrent stop lets the dispatchers' drain race the worker's stop: each run is one interleaving, and the
        // worker must stop cleanly in every one (before, the drain shut the dispatcher under the worker's dispatch).
        for (var run = 0; run < 5; run++)
        {
            var file = new RecordingSink("file") { BlockOn = item => item == "o1" };
            await using var test = new TestHost(new()
            {
                ["ReactiveStreams:Dispatchers:orders:QueueCapacity"] = "1",
                ["ReactiveStreams:Dispatchers:orders:MaxBatch"] = "1",
                ["ReactiveStreams:Dispatchers:orders:DrainTimeout"] = "00:00:00",
            });
            test.Builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ServicesStopConcurrently = true);
            test.Builder.Services.AddReactiveStreams()
                .AddDispatcher<string>("orders", d => d.AddSink(_ => file))
                .AddCanalWorker("orders", "orders", Text);
            var host = await test.StartAsync();
            await AppendAsync(host.Services.GetRequiredService<IStreamLog>(), "o1", "o2", "o3", "o4");
            await file.Blocked.Task.WaitAsync(TestHost.Hang); // o1 is being written, o2 queued, o3's dispatch waits for room

            await host.StopAsync().WaitAsync(TestHost.Hang);

            var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
            Assert.True(worker.Status == CanalWorkerStatus.Stopped, $"run {run}: {worker.Status} {worker.Fault}");
            Assert.DoesNotContain(test.Logs.Entries, e => e.Level >= LogLevel.Error);
        }
    }

    [Fact]
    public async Task A_stop_whose_token_fires_at_once_leaves_the_dispatcher_to_the_worker_that_feeds_it()
    {
        // The host's shutdown timeout is spent before the stop begins: nothing waits for the worker, but the dispatcher
        // must still not be shut under the worker's dispatch (that failed the worker), only after the worker stopped.
        for (var run = 0; run < 5; run++)
        {
            var file = new RecordingSink("file") { BlockOn = item => item == "o1", Release = new(TaskCreationOptions.RunContinuationsAsynchronously) };
            await using var test = new TestHost(new()
            {
                ["ReactiveStreams:Dispatchers:orders:QueueCapacity"] = "1",
                ["ReactiveStreams:Dispatchers:orders:MaxBatch"] = "1",
                ["ReactiveStreams:Dispatchers:orders:DrainTimeout"] = "00:00:00",
            });
            test.Builder.Services.AddReactiveStreams()
                .AddDispatcher<string>("orders", d => d.AddSink(_ => file))
                .AddCanalWorker("orders", "orders", Text);
            var host = await test.StartAsync();
            await AppendAsync(host.Services.GetRequiredService<IStreamLog>(), "o1", "o2", "o3", "o4");
            await file.Blocked.Task.WaitAsync(TestHost.Hang); // o1 is being written, o2 queued, o3's dispatch waits for room
            var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");

            using var timedOut = new CancellationTokenSource();
            await timedOut.CancelAsync();
            await host.StopAsync(timedOut.Token).WaitAsync(TestHost.Hang);
            file.Release.TrySetResult();
            await worker.ExecuteTask!.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TestHost.Hang);

            Assert.True(worker.Status == CanalWorkerStatus.Stopped, $"run {run}: {worker.Status} {worker.Fault}");
            Assert.DoesNotContain(test.Logs.Entries, e => e.Level >= LogLevel.Error);
        }
    }

    private sealed class DeadLetters : IDeliverySink<DeadLetter<string>>
    {
        public string Name => "dead";

        public ValueTask WriteAsync(DeadLetter<string> item, CancellationToken cancellationToken) => default;
    }
}
