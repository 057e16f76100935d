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
}
