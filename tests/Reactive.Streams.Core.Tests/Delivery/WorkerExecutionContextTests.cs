using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// Long-lived workers (a dispatcher's sink workers, a canal worker's loop) start with a clean execution context: they
/// inherit none of their creator's <see cref="AsyncLocal{T}"/> values (a logging scope, another owner's "inside"
/// marker), which would otherwise hold for the worker's whole life.
/// </summary>
public class WorkerExecutionContextTests
{
    private static readonly AsyncLocal<string?> s_scope = new();

    [Fact]
    public async Task A_canal_worker_started_inside_a_dispatchers_sink_write_is_not_taken_for_that_dispatchers_worker()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var doneAtCall = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stoppedWhenDisposed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource<CanalWorkerHandle>(TaskCreationOptions.RunContinuationsAsynchronously);
        DeliveryDispatcher<int>? dispatcher = null;
        var sink = new RecordingSink<int>("file", time, async (_, _, _) =>
        {
            // Started from the dispatcher's worker: the loop must not count as that worker.
            started.SetResult(CanalWorker.Start<int>(canal, async (_, _) =>
            {
                var disposing = dispatcher!.DisposeAsync().AsTask();
                doneAtCall.SetResult(disposing.IsCompleted);
                await disposing;
                stoppedWhenDisposed.SetResult(dispatcher.ShutdownAsync(TimeSpan.Zero).IsCompleted);
            }));
            await gate.Task; // the write is still in flight while the canal's handler disposes the dispatcher
        });
        dispatcher = new DeliveryDispatcher<int>(DeliveryDispatcherTests.Options(time, sink));
        await dispatcher.DispatchAsync(1);
        var worker = await started.Task.WaitAsync(TestLimits.Hang);

        stream.TryPush(1);

        // The handler is no worker of the dispatcher: its DisposeAsync waits for the write in flight.
        Assert.False(await doneAtCall.Task.WaitAsync(TestLimits.Hang), "DisposeAsync returned while a write was in flight.");
        gate.SetResult();
        Assert.True(await stoppedWhenDisposed.Task.WaitAsync(TestLimits.Hang));
        await worker.DisposeAsync();
    }

    [Fact]
    public async Task A_dispatcher_created_inside_a_canal_handler_has_workers_that_are_not_taken_for_that_handler()
    {
        var time = new RecordingTimeProvider();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var doneAtCall = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var endedWhenDisposed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = new TaskCompletionSource<CanalWorkerHandle>(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatched = new TaskCompletionSource<DeliveryDispatcher<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("file", time, async (_, _, _) =>
        {
            // A sink's write disposes the canal worker whose handler created this dispatcher: it is not that handler.
            var self = await handle.Task.ConfigureAwait(false);
            var disposing = self.DisposeAsync().AsTask();
            doneAtCall.SetResult(disposing.IsCompleted);
            await disposing;
            endedWhenDisposed.SetResult(self.IsCompleted);
        });
        var worker = CanalWorker.Start<int>(canal, async (_, _) =>
        {
            var dispatcher = new DeliveryDispatcher<int>(DeliveryDispatcherTests.Options(time, sink));
            await dispatcher.DispatchAsync(1);
            dispatched.SetResult(dispatcher);
            await release.Task.ConfigureAwait(false); // the handler is still running when the write disposes its loop
        }, new CanalWorkerOptions { MaxBatch = 1 });
        handle.SetResult(worker);

        stream.TryPush(1);

        Assert.False(await doneAtCall.Task.WaitAsync(TestLimits.Hang), "DisposeAsync returned while the loop's handler ran.");
        release.SetResult();
        Assert.True(await endedWhenDisposed.Task.WaitAsync(TestLimits.Hang));
        await (await dispatched.Task).DisposeAsync();
    }

    [Fact]
    public async Task Workers_do_not_inherit_the_creators_async_locals()
    {
        var time = new RecordingTimeProvider();
        var seenBySink = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var seenByHandler = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("file", time, (_, _, _) =>
        {
            seenBySink.TrySetResult(s_scope.Value);
            return default;
        });
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());

        // A scope (a logging scope, a request's context) around the creation holds for that creation only.
        s_scope.Value = "startup";
        var dispatcher = new DeliveryDispatcher<int>(DeliveryDispatcherTests.Options(time, sink));
        var worker = CanalWorker.Start<int>(canal, (_, _) =>
        {
            seenByHandler.TrySetResult(s_scope.Value);
            return default;
        });
        s_scope.Value = null;

        await dispatcher.DispatchAsync(1);
        stream.TryPush(1);
        Assert.Null(await seenBySink.Task.WaitAsync(TestLimits.Hang));
        Assert.Null(await seenByHandler.Task.WaitAsync(TestLimits.Hang));
        await worker.DisposeAsync();
        await dispatcher.DisposeAsync();
    }
}
