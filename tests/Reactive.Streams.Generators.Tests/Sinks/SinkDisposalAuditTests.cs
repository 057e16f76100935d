using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// The generated observer and target at their edges: disposal from inside a handler, disposal while a handler waits on
/// its token, and a handler that throws <see cref="OperationCanceledException"/>, against what the docs and the Dataflow
/// twin (<see cref="ActionBlock{TInput}"/>) say.
/// </summary>
public sealed class SinkDisposalAuditTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task An_observer_disposed_from_inside_its_own_handler_returns_and_completes_once_the_handler_has()
    {
        var sink = new SelfDisposingPausingLeaseSink();
        var observer = sink.CreateObserver();
        sink.Self = observer;

        observer.OnNext(new LeaseEvent.Expired(new Cursor(1, 0), "self", s_at));
        sink.Gate.SetResult();

        // A disposal that waited for the handler it runs in would never return: this fails with the guard's TimeoutException.
        await sink.DisposedFromHandler.Task.WaitAsync(s_guard);
        await observer.Completion.WaitAsync(s_guard);
        Assert.True(observer.IsStopped);
        Assert.Equal(new[] { "expired:self", "disposed-in:self" }, sink.Handled);
    }

    [Fact]
    public async Task Disposing_the_observer_cancels_the_running_handlers_token_and_Completion_completes_successfully()
    {
        var sink = new CancellableLeaseSink();
        var observer = sink.CreateObserver();

        observer.OnNext(new LeaseEvent.Expired(new Cursor(1, 0), "waiting", s_at));
        await sink.Started.Task.WaitAsync(s_guard);
        await observer.DisposeAsync().AsTask().WaitAsync(s_guard);

        await sink.Cancelled.Task.WaitAsync(s_guard);
        await observer.Completion.WaitAsync(s_guard);
        Assert.True(observer.Completion.IsCompletedSuccessfully);
    }

    // ActionBlock swallows an OperationCanceledException from its delegate (cooperative cancellation) and goes on with
    // the next message; the generated target is documented to behave as an ActionBlock does.
    [Fact]
    public async Task A_handler_that_throws_OperationCanceledException_is_treated_as_by_an_ActionBlock()
    {
        var sink = new GivingUpLeaseSink();
        var target = sink.CreateTarget();
        var twinHandled = new List<string>();
        var twin = new ActionBlock<LeaseEvent>(
            async item =>
            {
                if (item is LeaseEvent.Revoked)
                {
                    await Task.Yield();
                    throw new OperationCanceledException("gave up");
                }

                twinHandled.Add("acquired:" + ((LeaseEvent.Acquired)item).ExecutionId);
            },
            new ExecutionDataflowBlockOptions { BoundedCapacity = 8 });

        foreach (var block in new ITargetBlock<LeaseEvent>[] { target, twin })
        {
            Assert.True(await block.SendAsync(new LeaseEvent.Revoked(new Cursor(1, 0), "x", s_at, "admin", null)).WaitAsync(s_guard));
            Assert.True(await block.SendAsync(new LeaseEvent.Acquired(new Cursor(2, 0), "y", null, s_at)).WaitAsync(s_guard));
            block.Complete();
        }

        await twin.Completion.WaitAsync(s_guard);
        await Task.WhenAny(target.Completion).WaitAsync(s_guard);
        Assert.Equal(twin.Completion.Status, target.Completion.Status);
        Assert.Equal(twinHandled, sink.Handled);
    }
}
