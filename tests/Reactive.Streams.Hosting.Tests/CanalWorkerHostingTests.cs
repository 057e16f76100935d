using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Reactive.Streams.Hosting.Tests;

public sealed class CanalWorkerHostingTests
{
    private static RecordingHandler.Probe NewProbe(out string id)
    {
        id = Guid.NewGuid().ToString("N");
        return RecordingHandler.Probes[id] = new RecordingHandler.Probe();
    }

    private static async Task AppendAsync(IStreamLog log, string stream, string probe, params string[] payloads)
    {
        foreach (var payload in payloads)
        {
            await log.AppendAsync(stream, $"{probe}/{payload}", AppendMode.Durable);
        }
    }

    [Fact]
    public async Task A_worker_starts_with_the_host_handles_the_stream_and_commits_its_checkpoint()
    {
        var probe = NewProbe(out var id);
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:billing:Stream"] = "orders" });
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("billing");
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        await AppendAsync(log, "orders", id, "a", "b", "c");
        await probe.WaitForAsync(3);

        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("billing");
        Assert.Equal(CanalWorkerStatus.Running, worker.Status);
        Assert.Equal([$"{id}/a", $"{id}/b", $"{id}/c"], probe.Handled);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        var last = (await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 10))[^1].Id;
        Assert.Equal(last, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("billing"));
        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7001 && e.Message.Contains("'billing'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stop_mid_batch_leaves_the_batch_unacknowledged_and_the_next_run_gets_it_again()
    {
        var probe = NewProbe(out var id);
        probe.BlockOn = frame => RecordingHandler.Probe.Text(frame).EndsWith("/b", StringComparison.Ordinal);
        await using var first = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxBatch"] = "1" });
        first.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        var host = await first.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        await AppendAsync(log, "orders", id, "a", "b", "c");
        await probe.Blocked.Task.WaitAsync(TestHost.Hang);

        await host.StopAsync().WaitAsync(TestHost.Hang);
        var frames = await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 10);
        Assert.Equal([$"{id}/a"], probe.Handled);
        Assert.Equal(frames[0].Id, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        host.Dispose();

        // The next run, on the same file, starts after "a": "b" and "c" were never acknowledged.
        probe.BlockOn = null;
        var second = new TestHost(new() { ["ReactiveStreams:Log:Path"] = first.DatabasePath });
        second.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        var restarted = await second.StartAsync();
        await probe.WaitForAsync(3);
        Assert.Equal([$"{id}/a", $"{id}/b", $"{id}/c"], probe.Handled);
        await restarted.StopAsync().WaitAsync(TestHost.Hang);
        restarted.Dispose();
    }

    [Fact]
    public async Task A_host_stopped_with_a_token_already_cancelled_still_stops_its_worker_cleanly_and_keeps_the_checkpoint()
    {
        // A stop whose token is already cancelled (a shutdown timeout of zero) does not wait for the worker, but the
        // worker still stops: its handler's token fires, the unhandled batch is not committed, and it ends as Stopped.
        var probe = NewProbe(out var id);
        probe.BlockOn = frame => RecordingHandler.Probe.Text(frame).EndsWith("/b", StringComparison.Ordinal);
        await using var first = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxBatch"] = "1" });
        first.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        var host = await first.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        await AppendAsync(log, "orders", id, "a", "b", "c");
        await probe.Blocked.Task.WaitAsync(TestHost.Hang);

        await host.StopAsync(new CancellationToken(true)).WaitAsync(TestHost.Hang);
        await worker.ExecuteTask!.WaitAsync(TestHost.Hang);

        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        Assert.Null(worker.Fault);
        var frames = await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 10);
        Assert.Equal([$"{id}/a"], probe.Handled);
        Assert.Equal(frames[0].Id, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        DoesNotContain(first, 7003);
        host.Dispose();

        // The next run, on the same file, starts after "a".
        probe.BlockOn = null;
        var second = new TestHost(new() { ["ReactiveStreams:Log:Path"] = first.DatabasePath });
        second.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        var restarted = await second.StartAsync();
        await probe.WaitForAsync(3);
        Assert.Equal([$"{id}/a", $"{id}/b", $"{id}/c"], probe.Handled);
        await restarted.StopAsync().WaitAsync(TestHost.Hang);
        restarted.Dispose();
    }

    private static void DoesNotContain(TestHost test, int id) =>
        Assert.DoesNotContain(test.Logs.Entries, e => e.Id.Id == id);

    [Fact]
    public async Task A_handler_failure_is_logged_and_makes_the_worker_check_unhealthy_when_the_host_ignores_it()
    {
        var probe = NewProbe(out var id);
        probe.FailOn = frame => RecordingHandler.Probe.Text(frame).EndsWith("/poison", StringComparison.Ordinal);
        await using var test = new TestHost();
        test.Builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var live = await health.CheckHealthAsync(c => c.Tags.Contains(ReactiveStreamsHealthChecks.LiveTag));
        Assert.Equal(HealthStatus.Healthy, live.Status);

        await AppendAsync(host.Services.GetRequiredService<IStreamLog>(), "orders", id, "poison");
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.ExecuteTask!.WaitAsync(TestHost.Hang));

        Assert.Equal(CanalWorkerStatus.Faulted, worker.Status);
        Assert.Same(worker.Fault, failure.InnerException);

        Assert.Equal("handler failed on " + id + "/poison", worker.Fault!.Message);
        live = await health.CheckHealthAsync(c => c.Tags.Contains(ReactiveStreamsHealthChecks.LiveTag));
        Assert.Equal(HealthStatus.Unhealthy, live.Status);
        Assert.Contains("canal worker 'orders' failed", live.Entries[ReactiveStreamsHealthChecks.CanalWorkersCheckName].Description, StringComparison.Ordinal);
        Assert.Contains(test.Logs.Entries, e => e.Level == LogLevel.Error && e.Id.Id == 7003 && e.Error == worker.Fault);
        Assert.Equal(StreamId.Min, worker.CommittedPosition);
    }

    [Fact]
    public async Task A_handler_failure_stops_the_host_under_the_default_exception_behavior()
    {
        var probe = NewProbe(out var id);
        probe.FailOn = _ => true;
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        var host = await test.StartAsync();
        var stopping = new TaskCompletionSource();
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stopping.TrySetResult());

        await AppendAsync(host.Services.GetRequiredService<IStreamLog>(), "orders", id, "x");

        await stopping.Task.WaitAsync(TestHost.Hang);
        Assert.Equal(CanalWorkerStatus.Faulted, host.Services.GetRequiredKeyedService<CanalWorkerService>("orders").Status);
    }

    /// <summary>Closes the registered log while it handles a batch: the commit that follows fails, and so does the canal's final checkpoint write.</summary>
    private sealed class LogClosingHandler(HostedStreamLog log) : ICanalBatchHandler
    {
        public async ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken) => await log.DisposeAsync();
    }

    [Fact]
    public async Task A_failed_commit_whose_final_checkpoint_write_fails_too_still_faults_the_worker_and_is_logged()
    {
        await using var test = new TestHost();
        test.Builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<LogClosingHandler>("orders");
        var host = await test.StartAsync();
        await host.Services.GetRequiredService<IStreamLog>().AppendAsync("orders", "x", AppendMode.Durable);
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.ExecuteTask!.WaitAsync(TestHost.Hang));

        Assert.Equal(CanalWorkerStatus.Faulted, worker.Status);
        Assert.IsType<ObjectDisposedException>(worker.Fault);
        Assert.Same(worker.Fault, failure.InnerException);
        Assert.Contains(test.Logs.Entries, e => e.Level == LogLevel.Error && e.Id.Id == 7003 && e.Error == worker.Fault);
    }
}
