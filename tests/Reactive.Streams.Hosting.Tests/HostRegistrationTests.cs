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
}
