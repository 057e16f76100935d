using System.Reactive.Subjects;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// The in-memory canal's pulls at their edges (batch bounds, linger, closing mid-pull, cancellation, disposal) as a
/// user of <c>ChannelReader</c> expects them, in virtual time.
/// </summary>
public class LossyCanalAuditTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_source_that_fails_with_an_OperationCanceledException_closes_a_parked_pull_with_it_as_the_cause()
    {
        // An upstream HTTP call that timed out ends the source with a TaskCanceledException: that is the source's error,
        // not a cancellation of the pull, whose token nobody cancelled.
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var parked = canal.PullBatchAsync(10, Second).AsTask();

        stream.Complete(new TaskCanceledException("upstream timed out"));

        var closed = await Assert.ThrowsAsync<CanalClosedException>(() => parked.WaitAsync(TestLimits.Hang));
        Assert.Equal("upstream timed out", Assert.IsType<TaskCanceledException>(closed.InnerException).Message);
        var next = await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(10, Second).AsTask());
        Assert.IsType<TaskCanceledException>(next.InnerException);
    }

    [Fact]
    public async Task A_source_that_fails_with_an_OperationCanceledException_mid_linger_hands_over_the_taken_items_first()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var pull = canal.PullBatchAsync(10, Second, new CanalLinger(5, Timeout.InfiniteTimeSpan)).AsTask();
        stream.TryPush(1);
        await WaitUntilAsync(() => stream.Depth == 0);

        stream.Complete(new OperationCanceledException("upstream gave up"));

        Assert.Equal(new[] { 1 }, (await pull.WaitAsync(TestLimits.Hang)).ToArray());
        var closed = await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(10, Second).AsTask());
        Assert.IsType<OperationCanceledException>(closed.InnerException);
    }

    [Fact]
    public async Task A_worker_whose_source_fails_with_an_OperationCanceledException_faults_with_the_closing()
    {
        var subject = new Subject<int>();
        await using var canal = LossySubscription.Create(subject, capacity: 16, new FakeTimeProvider());
        var worker = CanalWorker.Start<int>(canal, (_, _) => default, new CanalWorkerOptions { Deadline = TimeSpan.FromHours(1) });

        subject.OnError(new TaskCanceledException("upstream timed out"));

        var closed = await Assert.ThrowsAsync<CanalClosedException>(() => worker.JoinAsync().WaitAsync(TestLimits.Hang));
        Assert.IsType<TaskCanceledException>(closed.InnerException);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < TestLimits.Hang, "the condition never held");
            await Task.Yield();
        }
    }
}
