using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// The generated observer of each policy fixture. The first item is an <c>Expired</c>, whose handler holds the pump
/// until released, so the buffer behind it fills deterministically: no timing, exact counts.
/// </summary>
public sealed class SinkObserverTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Each_variant_reaches_its_own_handler_in_order()
    {
        var sink = new WideLeaseSink();
        sink.Release.SetResult();
        await using var observer = sink.CreateObserver();

        observer.OnNext(Acquired("a"));
        observer.OnNext(new LeaseEvent.Renewed(new Cursor(2, 0), "b", s_at, TimeSpan.FromSeconds(1)));
        observer.OnNext(Expired("c"));
        observer.OnNext(new LeaseEvent.Revoked(new Cursor(4, 0), "d", s_at, "admin", null));
        observer.OnNext(new LeaseEvent.Unknown("stolen", System.Text.Json.JsonDocument.Parse("""{"type":"stolen"}""").RootElement));
        observer.OnCompleted();
        await observer.Completion.WaitAsync(s_guard);

        Assert.Equal(new[] { "acquired:a", "renewed:b", "expired:c", "revoked:d", "unknown:stolen" }, sink.Handled);
        Assert.True(sink.LastToken.CanBeCanceled);
    }

    [Fact]
    public async Task DropOldest_evicts_the_oldest_buffered_item_when_full()
    {
        var sink = new DropOldestLeaseSink();
        await using var observer = sink.CreateObserver();

        observer.OnNext(Expired("held"));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        observer.OnNext(Acquired("1"));
        observer.OnNext(Acquired("2"));
        observer.OnNext(Acquired("3"));
        sink.Release.SetResult();
        observer.OnCompleted();
        await observer.Completion.WaitAsync(s_guard);

        Assert.Equal(new[] { "expired:held", "acquired:2", "acquired:3" }, sink.Handled);
        var metrics = observer.GetMetrics();
        Assert.Equal((4L, 3L, 1L), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.DropOldestHits));
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public async Task DegradeQuality_replaces_the_oldest_with_the_degraded_new_item_using_the_declared_degrader()
    {
        var sink = new DegradingLeaseSink();
        await using var observer = sink.CreateObserver();

        observer.OnNext(Expired("held"));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        observer.OnNext(Acquired("1"));
        observer.OnNext(Acquired("2"));
        observer.OnNext(Acquired("3"));
        sink.Release.SetResult();
        observer.OnCompleted();
        await observer.Completion.WaitAsync(s_guard);

        Assert.Equal(new[] { "expired:held", "acquired:2", "acquired:3~" }, sink.Handled);
        Assert.Equal(1, observer.GetMetrics().DegradeQualityHits);
    }

    [Fact]
    public async Task PauseUpstream_blocks_OnNext_until_the_handler_makes_room()
    {
        var sink = new PausingLeaseSink();
        await using var observer = sink.CreateObserver();

        observer.OnNext(Expired("held"));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        observer.OnNext(Acquired("1"));
        observer.OnNext(Acquired("2"));
        var blocked = Task.Factory.StartNew(() => observer.OnNext(Acquired("3")), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(SpinWait.SpinUntil(() => observer.GetMetrics().PauseUpstreamBlocks == 1, s_guard));
        Assert.False(blocked.IsCompleted);

        sink.Release.SetResult();
        await blocked.WaitAsync(s_guard);
        observer.OnCompleted();
        await observer.Completion.WaitAsync(s_guard);

        Assert.Equal(new[] { "expired:held", "acquired:1", "acquired:2", "acquired:3" }, sink.Handled);
        Assert.Equal((4L, 4L), (observer.GetMetrics().ItemsPushed, observer.GetMetrics().ItemsDelivered));
    }

    [Fact]
    public async Task PauseUpstream_OnNext_blocked_at_disposal_is_released_and_its_item_counted_as_rejected()
    {
        var sink = new PausingLeaseSink();
        var observer = sink.CreateObserver();
        observer.OnNext(Expired("held"));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        observer.OnNext(Acquired("1"));
        observer.OnNext(Acquired("2"));
        var blocked = Task.Factory.StartNew(() => observer.OnNext(Acquired("3")), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(SpinWait.SpinUntil(() => observer.GetMetrics().PauseUpstreamBlocks == 1, s_guard));

        var disposal = observer.DisposeAsync();
        await blocked.WaitAsync(s_guard);
        sink.Release.SetResult();
        await disposal.AsTask().WaitAsync(s_guard);

        // As SubscribeAsync's subscription: disposal is not an error, and the running handler had returned.
        Assert.True(observer.Completion.IsCompletedSuccessfully);
        Assert.True(observer.IsStopped);
        Assert.Equal(new[] { "expired:held" }, sink.Handled);
        var metrics = observer.GetMetrics();
        Assert.Equal((4L, 1L, 1L), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.ItemsRejected));
    }

    [Fact]
    public async Task Fail_ends_the_observer_with_an_overflow_naming_policy_and_capacity_after_what_was_buffered()
    {
        var sink = new FailingLeaseSink();
        await using var observer = sink.CreateObserver();

        observer.OnNext(Expired("held"));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        observer.OnNext(Acquired("1"));
        observer.OnNext(Acquired("2"));

        // An observer's OnNext has no way to report a rejection but to end the stream, as Rx's operators do.
        observer.OnNext(Acquired("3"));
        Assert.True(observer.IsStopped);
        observer.OnNext(Acquired("after"));
        sink.Release.SetResult();
        var error = await Assert.ThrowsAsync<StreamOverflowException>(() => observer.Completion.WaitAsync(s_guard));

        Assert.Equal(("FailingLeaseSink", BackpressurePolicy.Fail, 2), (error.StreamName, error.Policy, error.Capacity));
        Assert.Equal(new[] { "expired:held", "acquired:1", "acquired:2" }, sink.Handled);
        var metrics = observer.GetMetrics();
        Assert.Equal((4L, 3L, 1L), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.FailOverflows));
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public async Task OnError_delivers_what_was_buffered_then_faults_Completion_with_the_error()
    {
        var sink = new FailingLeaseSink();
        await using var observer = sink.CreateObserver();
        var upstream = new InvalidOperationException("upstream broke");

        observer.OnNext(Expired("held"));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        observer.OnNext(Acquired("1"));
        observer.OnError(upstream);
        sink.Release.SetResult();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => observer.Completion.WaitAsync(s_guard));
        Assert.Same(upstream, error);
        Assert.Equal(new[] { "expired:held", "acquired:1" }, sink.Handled);
    }

    [Fact]
    public async Task A_handler_that_throws_faults_Completion_and_stops_the_observer()
    {
        var sink = new FailingLeaseSink();
        sink.Release.SetResult();
        await using var observer = sink.CreateObserver();

        observer.OnNext(new LeaseEvent.Revoked(new Cursor(1, 0), "x", s_at, "crash", null));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => observer.Completion.WaitAsync(s_guard));
        Assert.Equal("handler failed for x", error.Message);
        Assert.True(observer.IsStopped);
        observer.OnNext(Acquired("after"));
        Assert.Equal(1, observer.GetMetrics().ItemsPushed);
    }

    [Fact]
    public async Task A_payloadless_union_sink_handles_known_values_and_Other()
    {
        var sink = new OutcomeSink();
        await using var observer = sink.CreateObserver();

        foreach (var wire in new[] { "success", "failure", "cancelled", "timed_out" })
        {
            observer.OnNext(Outcome.FromWire(wire));
        }

        observer.OnCompleted();
        await observer.Completion.WaitAsync(s_guard);

        Assert.Equal(new[] { "success", "failure", "cancelled", "other:timed_out" }, sink.Handled);
    }

    [Fact]
    public void The_declared_policy_capacity_degrader_and_name_reach_the_stream_options()
    {
        var degrading = DegradingLeaseSink.CreateStreamOptions();
        var failing = FailingLeaseSink.CreateStreamOptions(pauseTimeout: TimeSpan.FromSeconds(1));

        Assert.Equal((BackpressurePolicy.DegradeQuality, 2, "DegradingLeaseSink"), (degrading.Policy, degrading.Capacity, degrading.Name));
        Assert.Equal("a~", ((LeaseEvent.Acquired)degrading.Degrader!(Acquired("a"))).ExecutionId);
        Assert.Null(failing.Degrader);
        Assert.Equal(TimeSpan.FromSeconds(1), failing.PauseTimeout);
    }

    [Fact]
    public async Task DispatchAsync_rejects_a_null_item_and_the_observer_fails_on_one()
    {
        var sink = new FailingLeaseSink();
        sink.Release.SetResult();
        await using var observer = sink.CreateObserver();
        await using var errored = sink.CreateObserver();

        Assert.Equal("item", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await sink.DispatchAsync(null!))).ParamName);
        observer.OnNext(null!);
        Assert.Equal("item", (await Assert.ThrowsAsync<ArgumentNullException>(() => observer.Completion.WaitAsync(s_guard))).ParamName);
        errored.OnError(null!);
        Assert.Equal("error", (await Assert.ThrowsAsync<ArgumentNullException>(() => errored.Completion.WaitAsync(s_guard))).ParamName);
    }

    [Fact]
    public async Task Disposing_twice_does_not_throw_and_OnNext_after_disposal_is_ignored()
    {
        var sink = new PausingLeaseSink();
        var observer = sink.CreateObserver();
        var delivery = new DropOldestLeaseSink().CreateDeliverySink();

        await observer.DisposeAsync().AsTask().WaitAsync(s_guard);
        await observer.DisposeAsync().AsTask().WaitAsync(s_guard);
        await delivery.DisposeAsync().AsTask().WaitAsync(s_guard);
        await delivery.DisposeAsync().AsTask().WaitAsync(s_guard);

        observer.OnNext(Acquired("late"));
        Assert.True(observer.IsStopped);
        Assert.Equal(0, observer.GetMetrics().ItemsPushed);
        Assert.True(observer.Completion.IsCompletedSuccessfully);
        Assert.True(delivery.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_sink_without_OnUnknown_skips_unknown_variants()
    {
        var sink = new FailingLeaseSink();

        await sink.DispatchAsync(new LeaseEvent.Unknown("stolen", System.Text.Json.JsonDocument.Parse("""{"type":"stolen"}""").RootElement));

        Assert.Empty(sink.Handled);
    }

    // Only the pump makes room, and the pump is waiting for the handler: blocking there would never end.
    [Fact]
    public async Task PauseUpstream_OnNext_from_inside_its_own_handler_fails_the_observer_instead_of_deadlocking()
    {
        var sink = new EchoingLeaseSink();
        await using var observer = sink.CreateObserver();
        sink.Self = observer;

        observer.OnNext(Acquired("a"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => observer.Completion.WaitAsync(s_guard));
        Assert.Contains("is full and OnNext was called on the thread that drains it", error.Message, StringComparison.Ordinal);
        Assert.Contains("EchoingLeaseSink", error.Message, StringComparison.Ordinal);

        // OnNext never throws: the echo that found the buffer full failed the observer, the next one was ignored.
        Assert.Null(sink.EchoError);
        Assert.Equal(3, sink.Echoed);
        Assert.True(observer.IsStopped);
    }

    [Fact]
    public async Task On_a_virtual_time_scheduler_the_handlers_run_only_as_its_clock_advances()
    {
        var sink = new WideLeaseSink();
        sink.Release.SetResult();
        var clock = new System.Reactive.Concurrency.HistoricalScheduler();
        await using var observer = sink.CreateObserver(scheduler: clock);

        observer.OnNext(Acquired("a"));
        observer.OnNext(Acquired("b"));
        Assert.Empty(sink.Handled);
        Assert.Equal(2, observer.Depth);

        clock.AdvanceBy(TimeSpan.FromTicks(1));
        Assert.Equal(new[] { "acquired:a", "acquired:b" }, sink.Handled);
        observer.OnCompleted();
        clock.AdvanceBy(TimeSpan.FromTicks(1));
        await observer.Completion.WaitAsync(s_guard);
    }

    private static LeaseEvent.Acquired Acquired(string id) => new(new Cursor(1, 0), id, "lease", s_at);

    private static LeaseEvent.Expired Expired(string id) => new(new Cursor(3, 0), id, s_at);
}
