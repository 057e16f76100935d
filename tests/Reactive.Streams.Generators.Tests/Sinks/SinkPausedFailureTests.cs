using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// A PauseUpstream sink whose handler fails (after an await) while a producer waits for room: the producer is let go
/// instead of waiting forever, and the failure is the one <c>Completion</c> reports. The Dataflow target is held to a
/// bounded <see cref="ActionBlock{TInput}"/>, whose postponed <c>SendAsync</c> is declined when its delegate throws.
/// </summary>
public sealed class SinkPausedFailureTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_handler_failing_while_SendAsync_waits_for_room_declines_it_and_faults_the_target_as_an_ActionBlock_does()
    {
        var sink = new PausingLeaseSink();
        var target = sink.CreateTarget();
        var twinStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var twinRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var twin = new ActionBlock<LeaseEvent>(
            async item =>
            {
                if (item is LeaseEvent.Expired)
                {
                    twinStarted.TrySetResult();
                    await twinRelease.Task;
                }
            },
            new ExecutionDataflowBlockOptions { BoundedCapacity = 3 });

        Assert.True(await target.SendAsync(Expired("held")).WaitAsync(s_guard));
        Assert.True(await twin.SendAsync(Expired("held")).WaitAsync(s_guard));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        await twinStarted.Task.WaitAsync(s_guard);
        foreach (var block in new ITargetBlock<LeaseEvent>[] { target, twin })
        {
            Assert.True(await block.SendAsync(Acquired("1")).WaitAsync(s_guard));
            Assert.True(await block.SendAsync(Acquired("2")).WaitAsync(s_guard));
        }

        var waiting = target.SendAsync(Acquired("3"));
        var twinWaiting = twin.SendAsync(Acquired("3"));
        Assert.False(waiting.IsCompleted);
        Assert.False(twinWaiting.IsCompleted);
        var failure = new InvalidOperationException("handler failed while full");
        sink.Release.SetException(failure);
        twinRelease.SetException(failure);

        Assert.False(await twinWaiting.WaitAsync(s_guard));
        Assert.False(await waiting.WaitAsync(s_guard));
        await Assert.ThrowsAsync<InvalidOperationException>(() => twin.Completion.WaitAsync(s_guard));
        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => target.Completion.WaitAsync(s_guard)));
        Assert.Equal(new[] { "expired:held" }, sink.Handled);
    }

    [Fact]
    public async Task A_handler_failing_while_OnNext_waits_for_room_releases_OnNext_and_faults_the_observer()
    {
        var sink = new PausingLeaseSink();
        var observer = sink.CreateObserver();

        observer.OnNext(Expired("held"));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        observer.OnNext(Acquired("1"));
        observer.OnNext(Acquired("2"));
        var blocked = Task.Run(() => observer.OnNext(Acquired("3")));
        var failure = new InvalidOperationException("handler failed while full");
        sink.Release.SetException(failure);

        // OnNext never throws: it returns once the observer has stopped, its item ignored.
        await blocked.WaitAsync(s_guard);
        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => observer.Completion.WaitAsync(s_guard)));
        Assert.True(observer.IsStopped);
        Assert.Equal(new[] { "expired:held" }, sink.Handled);
        await observer.DisposeAsync().AsTask().WaitAsync(s_guard);
    }

    private static LeaseEvent.Acquired Acquired(string id) => new(new Cursor(1, 0), id, "lease", s_at);

    private static LeaseEvent.Expired Expired(string id) => new(new Cursor(3, 0), id, s_at);
}
