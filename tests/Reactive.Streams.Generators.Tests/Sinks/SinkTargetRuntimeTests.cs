using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// The generated Dataflow target on the real <see cref="BackpressureBlock{T}"/>. The project compiles this file only
/// when the block is in Core (see the csproj), since the target is generated only then.
/// </summary>
public sealed class SinkTargetRuntimeTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Each_variant_posted_to_the_target_reaches_its_handler_in_order()
    {
        var sink = new WideLeaseSink();
        sink.Release.SetResult();
        var target = sink.CreateTarget();

        Assert.True(await target.SendAsync(Acquired("a")));
        Assert.True(await target.SendAsync(new LeaseEvent.Renewed(new Cursor(2, 0), "b", s_at, TimeSpan.FromSeconds(1))));
        Assert.True(await target.SendAsync(Expired("c")));
        Assert.True(await target.SendAsync(new LeaseEvent.Revoked(new Cursor(4, 0), "d", s_at, "admin", null)));
        target.Complete();
        await target.Completion.WaitAsync(s_guard);

        Assert.Equal(new[] { "acquired:a", "renewed:b", "expired:c", "revoked:d" }, sink.Handled);
    }

    [Fact]
    public async Task The_target_is_an_IMeteredStream_of_its_buffer_with_the_declared_policy_and_capacity()
    {
        var sink = new DropOldestLeaseSink();
        sink.Release.SetResult();
        var target = sink.CreateTarget();

        IMeteredStream metered = target;
        Assert.Equal((BackpressurePolicy.DropOldest, 2), (metered.Policy, metered.Capacity));
        Assert.False(string.IsNullOrEmpty(metered.Name));
        Assert.True(await target.SendAsync(Acquired("a")));
        target.Complete();
        await target.Completion.WaitAsync(s_guard);
        Assert.Equal(1, metered.GetMetrics().ItemsPushed);
    }

    [Fact]
    public async Task DropOldest_target_evicts_the_oldest_buffered_item_when_full()
    {
        var sink = new DropOldestLeaseSink();
        var target = sink.CreateTarget();

        Assert.True(target.Post(Expired("held")));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        Assert.True(target.Post(Acquired("1")));
        Assert.True(target.Post(Acquired("2")));
        Assert.True(target.Post(Acquired("3")));
        sink.Release.SetResult();
        target.Complete();
        await target.Completion.WaitAsync(s_guard);

        Assert.Equal(new[] { "expired:held", "acquired:2", "acquired:3" }, sink.Handled);
        Assert.Equal(1, target.GetMetrics().DropOldestHits);
    }

    [Fact]
    public async Task Fail_target_declines_an_offer_when_full()
    {
        var sink = new FailingLeaseSink();
        var target = sink.CreateTarget();

        Assert.True(target.Post(Expired("held")));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        Assert.True(target.Post(Acquired("1")));
        Assert.True(target.Post(Acquired("2")));
        Assert.False(target.Post(Acquired("3")));
        sink.Release.SetResult();
        target.Complete();
        await target.Completion.WaitAsync(s_guard);

        Assert.Equal(new[] { "expired:held", "acquired:1", "acquired:2" }, sink.Handled);
    }

    [Fact]
    public async Task PauseUpstream_target_holds_SendAsync_until_the_handler_makes_room()
    {
        var sink = new PausingLeaseSink();
        var target = sink.CreateTarget();

        Assert.True(await target.SendAsync(Expired("held")));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        Assert.True(await target.SendAsync(Acquired("1")));
        Assert.True(await target.SendAsync(Acquired("2")));
        var waiting = target.SendAsync(Acquired("3"));
        Assert.False(waiting.IsCompleted);
        sink.Release.SetResult();
        Assert.True(await waiting.WaitAsync(s_guard));
        target.Complete();
        await target.Completion.WaitAsync(s_guard);

        Assert.Equal(new[] { "expired:held", "acquired:1", "acquired:2", "acquired:3" }, sink.Handled);
    }

    [Fact]
    public async Task A_handler_that_throws_faults_the_target_and_stops_intake()
    {
        var sink = new FailingLeaseSink();
        var target = sink.CreateTarget();

        Assert.True(target.Post(new LeaseEvent.Revoked(new Cursor(1, 0), "x", s_at, "crash", null)));

        // The handler's own exception, not the guard's TimeoutException: a hang must fail here.
        var error = await Assert.ThrowsAnyAsync<Exception>(() => target.Completion.WaitAsync(s_guard));
        Assert.Contains(error is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : [error], e => e is InvalidOperationException && e.Message.Contains("handler failed", StringComparison.Ordinal));
        Assert.True(SpinWait.SpinUntil(() => !target.Post(Acquired("after")), s_guard));
    }

    [Fact]
    public async Task Fault_faults_Completion_with_the_exception_given_as_ActionBlock_does()
    {
        var target = new WideLeaseSink().CreateTarget();
        var twin = new ActionBlock<LeaseEvent>(static _ => { }, new ExecutionDataflowBlockOptions { BoundedCapacity = 64 });
        var fault = new InvalidOperationException("stop");

        target.Fault(fault);
        ((IDataflowBlock)twin).Fault(fault);

        Assert.Same(fault, await Assert.ThrowsAsync<InvalidOperationException>(() => twin.Completion.WaitAsync(s_guard)));
        Assert.Same(fault, await Assert.ThrowsAsync<InvalidOperationException>(() => target.Completion.WaitAsync(s_guard)));
        Assert.Same(fault, Assert.Single(target.Completion.Exception!.InnerExceptions));
        Assert.False(target.Post(Acquired("after")));
    }

    [Fact]
    public async Task A_fault_propagated_from_a_linked_source_reaches_Completion_as_it_reaches_an_ActionBlock()
    {
        var fault = new InvalidOperationException("upstream");
        var target = new WideLeaseSink().CreateTarget();
        var twin = new ActionBlock<LeaseEvent>(static _ => { }, new ExecutionDataflowBlockOptions { BoundedCapacity = 64 });
        var source = new BufferBlock<LeaseEvent>();
        var twinSource = new BufferBlock<LeaseEvent>();
        source.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });
        twinSource.LinkTo(twin, new DataflowLinkOptions { PropagateCompletion = true });

        ((IDataflowBlock)source).Fault(fault);
        ((IDataflowBlock)twinSource).Fault(fault);

        var expected = await Assert.ThrowsAnyAsync<Exception>(() => twin.Completion.WaitAsync(s_guard));
        var actual = await Assert.ThrowsAnyAsync<Exception>(() => target.Completion.WaitAsync(s_guard));
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Same(fault, Assert.Single(((AggregateException)actual).InnerExceptions));
    }

    // docs/unions.md: "Like an ActionBlock's delegate, the handlers get no cancellation token from it."
    [Fact]
    public async Task A_handler_that_takes_a_token_gets_one_that_cannot_be_cancelled_as_an_ActionBlock_s_delegate_has_none()
    {
        var sink = new WideLeaseSink();
        var target = sink.CreateTarget();

        Assert.True(await target.SendAsync(new LeaseEvent.Renewed(new Cursor(2, 0), "b", s_at, TimeSpan.FromSeconds(1))));
        target.Complete();
        await target.Completion.WaitAsync(s_guard);

        Assert.Equal(new[] { "renewed:b" }, sink.Handled);
        Assert.False(sink.LastToken.CanBeCanceled);
    }

    // A null is no variant: DispatchAsync refuses it, and the target, whose handler block calls DispatchAsync, faults with
    // that refusal as an ActionBlock calling DispatchAsync does; what was handled before it stays handled.
    [Fact]
    public async Task A_null_posted_to_the_target_faults_it_as_it_faults_an_ActionBlock_that_calls_DispatchAsync()
    {
        var sink = new WideLeaseSink();
        var twinSink = new WideLeaseSink();
        var target = sink.CreateTarget();
        var twin = new ActionBlock<LeaseEvent>(e => twinSink.DispatchAsync(e).AsTask(), new ExecutionDataflowBlockOptions { BoundedCapacity = 64 });

        foreach (var block in new ITargetBlock<LeaseEvent>[] { target, twin })
        {
            Assert.True(await block.SendAsync(Acquired("a")));
            Assert.True(await block.SendAsync(null!));
        }

        var expected = await Assert.ThrowsAnyAsync<ArgumentNullException>(() => twin.Completion.WaitAsync(s_guard));
        var actual = await Assert.ThrowsAnyAsync<ArgumentNullException>(() => target.Completion.WaitAsync(s_guard));
        Assert.Equal(expected.ParamName, actual.ParamName);
        Assert.Equal(twin.Completion.Status, target.Completion.Status);
        Assert.Equal(new[] { "acquired:a" }, sink.Handled);
        Assert.Equal(twinSink.Handled, sink.Handled);
        Assert.False(target.Post(Acquired("after")));
        Assert.False(twin.Post(Acquired("after")));
    }

    private static LeaseEvent.Acquired Acquired(string id) => new(new Cursor(1, 0), id, "lease", s_at);

    private static LeaseEvent.Expired Expired(string id) => new(new Cursor(3, 0), id, s_at);
}
