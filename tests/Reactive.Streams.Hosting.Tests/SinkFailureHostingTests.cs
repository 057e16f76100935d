using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>A dispatcher's sink that throws where a sink can: in its constructor, at its first write, at its disposal.</summary>
public sealed class SinkFailureHostingTests
{
    private sealed class Disposed
    {
        public ConcurrentQueue<string> Names { get; } = new();
    }

    private sealed class ThrowingConstructorSink : IDeliverySink<string>
    {
        public ThrowingConstructorSink() => throw new InvalidOperationException("the webhook has no URL");

        public string Name => "webhook";

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken) => default;
    }

    private sealed class DisposableSink(string name, Disposed disposed, bool throws) : IDeliverySink<string>, IAsyncDisposable, IDisposable
    {
        public string Name => name;

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken) => default;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }

        public void Dispose()
        {
            disposed.Names.Enqueue(name);
            if (throws)
            {
                throw new InvalidOperationException($"{name} could not flush");
            }
        }
    }

    [Fact]
    public async Task A_sink_whose_constructor_throws_fails_the_start_with_its_error_and_no_worker_runs()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink<ThrowingConstructorSink>())
            .AddCanalWorker("orders", "orders", frame => System.Text.Encoding.UTF8.GetString(frame.Payload.Span));
        var host = test.Builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync().WaitAsync(TestHost.Hang));

        Assert.Contains("the webhook has no URL", error.ToString(), StringComparison.Ordinal);
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        Assert.Null(worker.ExecuteTask);
        await host.StopAsync().WaitAsync(TestHost.Hang);
        host.Dispose();
        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
    }

    [Fact]
    public async Task A_sink_whose_first_write_throws_a_transient_error_is_retried_and_the_frame_is_checkpointed_once_delivered()
    {
        var sink = new FlakySink();
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Dispatchers:orders:MaxRetries"] = "3",
            ["ReactiveStreams:Dispatchers:orders:BackoffBase"] = "00:00:00",
        });
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => sink))
            .AddCanalWorker("orders", "orders", frame => System.Text.Encoding.UTF8.GetString(frame.Payload.Span));
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        var appended = await log.AppendAsync("orders", "o1", AppendMode.Durable);
        await sink.Delivered.Task.WaitAsync(TestHost.Hang);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(2, sink.Attempts);
        Assert.Equal(appended.Id, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        Assert.Empty(await log.ReadAsync("orders.dead", StreamId.Min, StreamId.Max, 10));
    }

    private sealed class FlakySink : IDeliverySink<string>
    {
        private int _attempts;

        public string Name => "flaky";

        public int Attempts => Volatile.Read(ref _attempts);

        public TaskCompletionSource Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _attempts) == 1)
            {
                throw new TimeoutException("the first write timed out");
            }

            Delivered.TrySetResult();
            return default;
        }
    }

    [Fact]
    public async Task A_sink_whose_disposal_throws_does_not_keep_the_other_sinks_from_being_disposed()
    {
        // The container disposes each dispatcher's sinks as one service: one sink that throws in its disposal (a flush
        // that fails) must not leave the sinks disposed after it undisposed (their files or connections open), and the
        // error still reaches the caller of the host's disposal.
        foreach (var asynchronously in new[] { true, false })
        {
            var disposed = new Disposed();
            var test = new TestHost();
            test.Builder.Services.AddReactiveStreams().AddDispatcher<string>("orders", d => d
                .AddSink(_ => new DisposableSink("first", disposed, throws: false))
                .AddSink(_ => new DisposableSink("broken", disposed, throws: true))
                .AddSink(_ => new DisposableSink("last", disposed, throws: false)));
            var host = await test.StartAsync();
            await host.StopAsync().WaitAsync(TestHost.Hang);

            var error = asynchronously
                ? await Record.ExceptionAsync(() => ((IAsyncDisposable)host).DisposeAsync().AsTask().WaitAsync(TestHost.Hang))
                : Record.Exception(host.Dispose);

            Assert.Contains("broken could not flush", error?.ToString(), StringComparison.Ordinal);
            Assert.Equal(["broken", "first", "last"], disposed.Names.Order());
            await test.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_container_disposed_synchronously_disposes_every_sink_when_one_throws_and_reports_each_error()
    {
        // A bare container (no host), disposed with Dispose(): the same, on the synchronous path; two failing sinks are
        // both reported, in the AggregateException of their errors.
        var directory = Directory.CreateTempSubdirectory("rs-hosting-sinks-").FullName;
        try
        {
            var disposed = new Disposed();
            var services = new ServiceCollection();
            services.AddReactiveStreams()
                .ConfigureLog(log => log.Path = Path.Combine(directory, "streams.db"))
                .AddDispatcher<string>("orders", d => d
                    .AddSink(_ => new DisposableSink("first", disposed, throws: false))
                    .AddSink(_ => new DisposableSink("broken", disposed, throws: true))
                    .AddSink(_ => new DisposableSink("middle", disposed, throws: false))
                    .AddSink(_ => new DisposableSink("also-broken", disposed, throws: true))
                    .AddSink(_ => new DisposableSink("last", disposed, throws: false)));
            var provider = services.BuildServiceProvider();
            var dispatcher = provider.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders");
            await dispatcher.ShutdownAsync(TimeSpan.FromMinutes(1)).WaitAsync(TestHost.Hang);

            var error = Assert.IsType<AggregateException>(Record.Exception(provider.Dispose));

            Assert.Equal(["also-broken could not flush", "broken could not flush"], error.InnerExceptions.Select(e => e.Message));
            Assert.Equal(["also-broken", "broken", "first", "last", "middle"], disposed.Names.Order());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed class ScopedThing;

    private sealed class SingletonHandler(ScopedThing thing) : ICanalBatchHandler
    {
        public ScopedThing Thing => thing;

        public ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken) => default;
    }

    [Fact]
    public async Task A_handler_registered_as_a_singleton_that_takes_a_scoped_service_is_refused_by_the_development_hosts_validation()
    {
        // A handler is resolved from a new scope per batch, but one the app registered as a singleton keeps its lifetime:
        // a scoped service it takes would be captive. The Development host's scope validation says so at build, naming it.
        var directory = Directory.CreateTempSubdirectory("rs-hosting-captive-").FullName;
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory, EnvironmentName = Environments.Development });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ReactiveStreams:Log:Path"] = Path.Combine(directory, "streams.db") });
            builder.Services.AddScoped<ScopedThing>();
            builder.Services.AddSingleton<SingletonHandler>();
            builder.Services.AddReactiveStreams().AddCanalWorker<SingletonHandler>("orders");

            var error = Assert.ThrowsAny<Exception>(() => builder.Build());

            Assert.Contains(nameof(ScopedThing), error.ToString(), StringComparison.Ordinal);
            Assert.Contains(nameof(SingletonHandler), error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
