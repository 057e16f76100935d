using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// Code a worker's handler resumes synchronously, on the loop's own thread: the continuation of a plain
/// <see cref="TaskCompletionSource"/> the handler completes runs in its awaiter's execution context, not the loop's, yet
/// the loop is below it on the thread's stack. A synchronous <see cref="CanalWorkerHandle.Dispose"/> there must not wait
/// for the loop it blocks; an awaited <see cref="CanalWorkerHandle.DisposeAsync"/> there still waits for the loop to end.
/// </summary>
public class CanalWorkerInlineContinuationTests
{
    [Fact]
    public async Task A_synchronous_Dispose_resumed_inline_by_the_handler_stops_the_loop_without_deadlocking_it()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var handled = new TaskCompletionSource(); // plain, as a user's would be: its continuations run inline
        CanalWorkerHandle? worker = null;
        var disposedInline = AfterAsync(handled.Task, () => worker!.Dispose());
        var seen = new List<int>();
        worker = CanalWorker.Start<int>(canal, (batch, _) =>
        {
            seen.AddRange(batch);
            handled.TrySetResult(); // resumes the awaiting code inline, inside this handler call
            return default;
        }, new CanalWorkerOptions { MaxBatch = 1 });

        stream.TryPush(1);
        await disposedInline.WaitAsync(TestLimits.Hang);

        // The loop ends once the handler has returned: no later batch reaches it, and disposing again waits for nothing.
        await worker.JoinAsync().WaitAsync(TestLimits.Hang);
        stream.TryPush(2);
        Assert.Equal([1], seen);
        await worker.DisposeAsync();
    }

    [Fact]
    public async Task A_synchronous_Dispose_resumed_inline_by_a_handler_that_then_throws_surfaces_the_error_and_keeps_the_batch()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var handled = new TaskCompletionSource();
        CanalWorkerHandle? worker = null;
        var disposedInline = AfterAsync(handled.Task, () => worker!.Dispose());
        worker = CanalWorker.Start<int>(canal, (_, _) =>
        {
            handled.TrySetResult();
            throw new InvalidOperationException("after the disposal");
        }, new CanalWorkerOptions { MaxBatch = 1 });

        stream.TryPush(1);
        await disposedInline.WaitAsync(TestLimits.Hang);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.JoinAsync().WaitAsync(TestLimits.Hang));
        Assert.Equal("after the disposal", failure.Message);

        // The batch the handler failed on was given back to the canal, as for any failed batch.
        var again = await canal.PullBatchAsync(1, TimeSpan.Zero, CanalLinger.None, CancellationToken.None).AsTask().WaitAsync(TestLimits.Hang);
        Assert.Equal([1], again);
    }

    [Fact]
    public async Task DisposeAsync_awaited_in_code_the_handler_resumes_inline_still_waits_for_the_loop_to_end()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var handled = new TaskCompletionSource();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        CanalWorkerHandle? worker = null;

        // An await does not hold the loop's thread, so this disposal can wait for the loop, and must: code after it
        // (disposing the canal) relies on the handler having returned.
        var endedWhenDisposed = DisposeAsyncOnceAsync();
        worker = CanalWorker.Start<int>(canal, async (_, _) =>
        {
            handled.TrySetResult();
            await release.Task.ConfigureAwait(false); // still running when the disposal starts waiting
        }, new CanalWorkerOptions { MaxBatch = 1 });

        stream.TryPush(1);
        await handled.Task.WaitAsync(TestLimits.Hang);
        Assert.False(endedWhenDisposed.IsCompleted);
        release.SetResult();
        Assert.True(await endedWhenDisposed.WaitAsync(TestLimits.Hang), "DisposeAsync completed before the loop ended.");

        async Task<bool> DisposeAsyncOnceAsync()
        {
            await handled.Task.ConfigureAwait(false);
            await worker!.DisposeAsync();
            return worker.IsCompleted;
        }
    }

    /// <summary>
    /// Awaits <paramref name="signal"/> (registered now, before the caller goes on) and runs <paramref name="then"/> on
    /// whatever thread completes it: inline, since the signal's source runs continuations synchronously.
    /// </summary>
    private static async Task AfterAsync(Task signal, Action then)
    {
        await signal.ConfigureAwait(false);
        then();
    }
}
