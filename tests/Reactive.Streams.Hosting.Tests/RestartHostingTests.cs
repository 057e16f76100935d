using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>
/// A host stopped (or failed) mid-stream, and a new host on the same SQLite file: no frame is lost, what was not
/// acknowledged is delivered again (at-least-once), and the checkpoint is where hosting.md says.
/// </summary>
public sealed class RestartHostingTests
{
    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    private static async Task<StreamId[]> AppendAsync(IStreamLog log, params string[] items)
    {
        var ids = new StreamId[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            ids[i] = (await log.AppendAsync("orders", items[i], AppendMode.Durable)).Id;
        }

        return ids;
    }

    [Fact]
    public async Task A_frame_one_sink_committed_and_another_did_not_is_delivered_again_to_both_by_the_next_run()
    {
        // "the checkpoint passes a frame only once every sink committed it": the checkpoint has no position per sink, so
        // the sink that had committed o2 sees it again (at-least-once), and nothing after o1 is skipped.
        var fast = new DispatcherHostingTests.RecordingSink("fast");
        var slow = new DispatcherHostingTests.RecordingSink("slow") { BlockOn = item => item == "o2" };
        await using var first = new TestHost(new()
        {
            ["ReactiveStreams:Dispatchers:orders:DrainTimeout"] = "00:00:00",
            ["ReactiveStreams:Dispatchers:orders:MaxBatch"] = "1",
        });
        first.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => fast).AddSink(_ => slow))
            .AddCanalWorker("orders", "orders", Text);
        var host = await first.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var ids = await AppendAsync(log, "o1", "o2", "o3");
        await fast.WaitForAsync(3);
        await slow.Blocked.Task.WaitAsync(TestHost.Hang);

        await host.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(["o1", "o2", "o3"], fast.Written);
        Assert.Equal(["o1"], slow.Written);
        Assert.Equal(ids[0], await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        host.Dispose();

        var fastAgain = new DispatcherHostingTests.RecordingSink("fast");
        var slowAgain = new DispatcherHostingTests.RecordingSink("slow");
        await using var second = new TestHost(new() { ["ReactiveStreams:Log:Path"] = first.DatabasePath });
        second.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => fastAgain).AddSink(_ => slowAgain))
            .AddCanalWorker("orders", "orders", Text);
        var restarted = await second.StartAsync();
        await fastAgain.WaitForAsync(2);
        await slowAgain.WaitForAsync(2);
        await restarted.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(["o2", "o3"], fastAgain.Written);
        Assert.Equal(["o2", "o3"], slowAgain.Written);
        Assert.Equal(ids[2], await restarted.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        restarted.Dispose();
    }

    [Fact]
    public async Task A_batch_whose_handler_failed_is_handled_by_the_next_run_and_the_checkpoint_stays_before_it()
    {
        var probe = new RecordingHandler.Probe();
        var id = Guid.NewGuid().ToString("N");
        RecordingHandler.Probes[id] = probe;
        probe.FailOn = frame => RecordingHandler.Probe.Text(frame).EndsWith("/b", StringComparison.Ordinal);
        await using var first = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxBatch"] = "1" });
        first.Builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        first.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        var host = await first.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var ids = await AppendAsync(log, $"{id}/a", $"{id}/b", $"{id}/c");
        await first.Logs.WaitForAsync(7003);

        await host.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(CanalWorkerStatus.Faulted, host.Services.GetRequiredKeyedService<CanalWorkerService>("orders").Status);
        Assert.Equal([$"{id}/a"], probe.Handled);
        Assert.Equal(ids[0], await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        host.Dispose();

        probe.FailOn = null;
        await using var second = new TestHost(new() { ["ReactiveStreams:Log:Path"] = first.DatabasePath });
        second.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        var restarted = await second.StartAsync();
        await probe.WaitForAsync(3);
        await restarted.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal([$"{id}/a", $"{id}/b", $"{id}/c"], probe.Handled);
        Assert.Equal(ids[2], await restarted.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        restarted.Dispose();
    }

    [Fact]
    public async Task A_dispatching_worker_whose_map_failed_loses_no_frame_and_the_next_run_delivers_from_its_checkpoint()
    {
        // A map that cannot deserialize a frame fails the worker; the frames after the failure's checkpoint come again.
        // What the sink had committed before may come again too (at-least-once), never something skipped.
        var sink = new DispatcherHostingTests.RecordingSink("file");
        await using var first = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxBatch"] = "1" });
        first.Builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        first.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => sink))
            .AddCanalWorker("orders", "orders", frame => Text(frame) == "o2" ? throw new FormatException("not an order") : Text(frame));
        var host = await first.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var ids = await AppendAsync(log, "o1", "o2", "o3");
        await first.Logs.WaitForAsync(7003);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        Assert.Equal(CanalWorkerStatus.Faulted, worker.Status);
        Assert.IsType<FormatException>(worker.Fault);
        var checkpoint = await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders");
        Assert.True(checkpoint is null || checkpoint == ids[0], $"checkpoint {checkpoint} is past the frame that failed");
        Assert.DoesNotContain("o2", sink.Written);
        Assert.DoesNotContain("o3", sink.Written);
        host.Dispose();

        var again = new DispatcherHostingTests.RecordingSink("file");
        await using var second = new TestHost(new() { ["ReactiveStreams:Log:Path"] = first.DatabasePath });
        second.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => again))
            .AddCanalWorker("orders", "orders", Text);
        var restarted = await second.StartAsync();
        await again.WaitForAsync(checkpoint is null ? 3 : 2);
        await restarted.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(checkpoint is null ? ["o1", "o2", "o3"] : ["o2", "o3"], again.Written);
        Assert.Equal(ids[2], await restarted.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        restarted.Dispose();
    }

    /// <summary>A scoped unit of work that saves at its disposal (as a DbContext-backed one would), failing while told to.</summary>
    private sealed class UnitOfWork(UnitOfWork.Store store) : IAsyncDisposable
    {
        private readonly List<string> _pending = [];

        public void Add(string item) => _pending.Add(item);

        public ValueTask DisposeAsync()
        {
            if (store.FailSaves)
            {
                store.Failed.TrySetResult();
                throw new InvalidOperationException("the unit of work could not save");
            }

            store.Save(_pending);
            return default;
        }

        public sealed class Store
        {
            private readonly Lock _gate = new();
            private readonly List<string> _saved = [];

            public volatile bool FailSaves;

            public TaskCompletionSource Failed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public SemaphoreSlim Signal { get; } = new(0);

            public IReadOnlyList<string> Saved
            {
                get
                {
                    lock (_gate)
                    {
                        return [.. _saved];
                    }
                }
            }

            public void Save(IEnumerable<string> items)
            {
                lock (_gate)
                {
                    _saved.AddRange(items);
                }

                Signal.Release();
            }
        }
    }

    private sealed class UnitOfWorkHandler(UnitOfWork work) : ICanalBatchHandler
    {
        public ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken)
        {
            foreach (var frame in batch)
            {
                work.Add(Text(frame));
            }

            return default;
        }
    }

    [Fact]
    public async Task A_batch_whose_scoped_unit_of_work_fails_to_save_at_disposal_is_not_committed_and_the_next_run_handles_it()
    {
        // The batch's scope is disposed before the batch is committed: a scoped service that saves at its disposal and
        // fails keeps the checkpoint before the batch (the handler's return alone does not commit it).
        var store = new UnitOfWork.Store { FailSaves = true };
        await using var first = new TestHost();
        first.Builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        first.Builder.Services.AddSingleton(store);
        first.Builder.Services.AddScoped<UnitOfWork>();
        first.Builder.Services.AddReactiveStreams().AddCanalWorker<UnitOfWorkHandler>("orders");
        var host = await first.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var ids = await AppendAsync(log, "o1", "o2");
        await store.Failed.Task.WaitAsync(TestHost.Hang);
        await first.Logs.WaitForAsync(7003);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        Assert.Equal(CanalWorkerStatus.Faulted, worker.Status);
        Assert.Contains("could not save", worker.Fault?.ToString(), StringComparison.Ordinal);
        Assert.Null(await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        Assert.Empty(store.Saved);
        host.Dispose();

        store.FailSaves = false;
        await using var second = new TestHost(new() { ["ReactiveStreams:Log:Path"] = first.DatabasePath });
        second.Builder.Services.AddSingleton(store);
        second.Builder.Services.AddScoped<UnitOfWork>();
        second.Builder.Services.AddReactiveStreams().AddCanalWorker<UnitOfWorkHandler>("orders");
        var restarted = await second.StartAsync();
        while (store.Saved.Count < 2)
        {
            Assert.True(await store.Signal.WaitAsync(TestHost.Hang), $"saved {store.Saved.Count} of 2");
        }

        await restarted.StopAsync().WaitAsync(TestHost.Hang);
        Assert.Equal(["o1", "o2"], store.Saved);
        Assert.Equal(ids[1], await restarted.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        restarted.Dispose();
    }

    [Fact]
    public async Task A_worker_that_fails_under_StopHost_stops_the_host_and_the_dispatching_worker_beside_it_checkpoints_what_it_delivered()
    {
        // The default BackgroundServiceExceptionBehavior stops the whole host when one worker fails: the other workers
        // stop as at any stop (the dispatcher drains, the checkpoint is written), and the next run starts after what
        // they delivered while the failed worker's batch comes again.
        var probe = new RecordingHandler.Probe();
        var id = Guid.NewGuid().ToString("N");
        RecordingHandler.Probes[id] = probe;
        probe.FailOn = _ => true;
        var sink = new DispatcherHostingTests.RecordingSink("file");
        await using var first = new TestHost();
        first.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => sink))
            .AddCanalWorker("orders", "orders", Text)
            .AddCanalWorker<RecordingHandler>("audit");
        var host = await first.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var ids = await AppendAsync(log, "o1", "o2", "o3");
        await sink.WaitForAsync(3);

        await log.AppendAsync("audit", $"{id}/x", AppendMode.Durable);
        await host.WaitForShutdownAsync().WaitAsync(TestHost.Hang);

        Assert.Equal(CanalWorkerStatus.Faulted, host.Services.GetRequiredKeyedService<CanalWorkerService>("audit").Status);
        Assert.Equal(CanalWorkerStatus.Stopped, host.Services.GetRequiredKeyedService<CanalWorkerService>("orders").Status);
        var checkpoints = host.Services.GetRequiredService<ICheckpointStore>();
        Assert.Equal(ids[2], await checkpoints.ReadCheckpointAsync("orders"));
        Assert.Null(await checkpoints.ReadCheckpointAsync("audit"));
        host.Dispose();

        probe.FailOn = null;
        var again = new DispatcherHostingTests.RecordingSink("file");
        await using var second = new TestHost(new() { ["ReactiveStreams:Log:Path"] = first.DatabasePath });
        second.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => again))
            .AddCanalWorker("orders", "orders", Text)
            .AddCanalWorker<RecordingHandler>("audit");
        var restarted = await second.StartAsync();
        await probe.WaitForAsync(1);
        var o4 = (await restarted.Services.GetRequiredService<IStreamLog>().AppendAsync("orders", "o4", AppendMode.Durable)).Id;
        await again.WaitForAsync(1);
        await restarted.StopAsync().WaitAsync(TestHost.Hang);

        Assert.Equal([$"{id}/x"], probe.Handled);
        Assert.Equal(["o4"], again.Written);
        Assert.Equal(o4, await restarted.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        restarted.Dispose();
    }
}
