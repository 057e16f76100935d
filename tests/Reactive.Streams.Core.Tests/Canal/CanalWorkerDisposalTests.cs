using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// Disposing a worker's handle from inside its own handler: the loop cannot end while the handler that waits for it
/// runs, so the disposal stops the loop and returns, as a dispatcher's or a SubscribeAsync subscription's does.
/// </summary>
public class CanalWorkerDisposalTests
{
    [Fact]
    public async Task DisposeAsync_from_inside_the_handler_stops_the_loop_and_returns_without_waiting_for_itself()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var handle = new TaskCompletionSource<CanalWorkerHandle>(TaskCreationOptions.RunContinuationsAsynchronously);
        var returned = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new List<int>();
        var worker = CanalWorker.Start<int>(canal, async (batch, cancellationToken) =>
        {
            seen.AddRange(batch);
            var self = await handle.Task.ConfigureAwait(false);
            await self.DisposeAsync();
            returned.TrySetResult(cancellationToken.IsCancellationRequested);
        }, new CanalWorkerOptions { MaxBatch = 1 });
        handle.SetResult(worker);

        stream.TryPush(1);

        // The disposal returned inside the handler, with the handler's token cancelled (the loop is stopped)...
        Assert.True(await returned.Task.WaitAsync(TestLimits.Hang));

        // ...and the loop ends once the handler has returned: no later batch reaches it.
        await worker.JoinAsync().WaitAsync(TestLimits.Hang);
        stream.TryPush(2);
        Assert.Equal([1], seen);
        Assert.True(worker.IsCompleted);

        // Disposing again from outside, and stopping, change nothing.
        await worker.DisposeAsync();
        worker.Stop();
    }

    [Fact]
    public async Task Dispose_from_work_the_handler_started_returns_and_the_loop_ends_after_the_handler()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var handle = new TaskCompletionSource<CanalWorkerHandle>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = CanalWorker.Start<int>(canal, async (_, _) =>
        {
            var self = await handle.Task.ConfigureAwait(false);

            // Work the handler starts (its flow) disposes synchronously, while the handler itself waits for it.
            await Task.Run(() =>
            {
                self.Dispose();
                disposed.SetResult();
            });
            await release.Task.ConfigureAwait(false);
        }, new CanalWorkerOptions { MaxBatch = 1 });
        handle.SetResult(worker);

        stream.TryPush(1);
        await disposed.Task.WaitAsync(TestLimits.Hang);
        Assert.False(worker.JoinAsync().IsCompleted); // the handler is still running

        release.SetResult();
        await worker.JoinAsync().WaitAsync(TestLimits.Hang);
    }
}
