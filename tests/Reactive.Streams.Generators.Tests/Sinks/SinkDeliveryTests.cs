using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>The generated delivery sink, plugged into the library's <see cref="DeliveryDispatcher{T}"/>.</summary>
public sealed class SinkDeliveryTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Every_variant_reaches_its_handler_and_is_acknowledged_only_after_it()
    {
        var sink = new WideLeaseSink();
        sink.Release.SetResult();
        await using var delivery = sink.CreateDeliverySink();
        var dispatcher = new DeliveryDispatcher<LeaseEvent>(new DeliveryOptions<LeaseEvent>().AddSink(delivery, delivery.Options));
        LeaseEvent[] items =
        [
            Acquired("a"),
            new LeaseEvent.Renewed(new Cursor(2, 0), "b", s_at, TimeSpan.FromSeconds(1)),
            Expired("c"),
            new LeaseEvent.Revoked(new Cursor(4, 0), "d", s_at, "admin", null),
            new LeaseEvent.Unknown("stolen", System.Text.Json.JsonDocument.Parse("""{"type":"stolen"}""").RootElement),
        ];
        var acks = items.Select(static _ => new AckCompletionSource()).ToArray();

        for (var i = 0; i < items.Length; i++)
        {
            await dispatcher.DispatchAsync(items[i], acks[i]);
        }

        await Task.WhenAll(acks.Select(static a => a.Task)).WaitAsync(s_guard);
        await dispatcher.ShutdownAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(new[] { "acquired:a", "renewed:b", "expired:c", "revoked:d", "unknown:stolen" }, sink.Handled);
        Assert.Equal(("WideLeaseSink", 64, OnFull.Drop), (delivery.Name, delivery.Options.QueueCapacity, delivery.Options.OnFull));
    }

    [Fact]
    public async Task PauseUpstream_maps_to_a_blocking_dispatcher_queue_of_the_declared_capacity_and_acks_after_the_handler()
    {
        var sink = new PausingLeaseSink();
        await using var delivery = sink.CreateDeliverySink("leases");
        var dispatcher = new DeliveryDispatcher<LeaseEvent>(new DeliveryOptions<LeaseEvent>().AddSink(delivery, delivery.Options));
        var held = new AckCompletionSource();

        await dispatcher.DispatchAsync(Expired("held"), held);
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        await dispatcher.DispatchAsync(Acquired("1"));
        await dispatcher.DispatchAsync(Acquired("2"));
        var blocked = dispatcher.DispatchAsync(Acquired("3")).AsTask();

        Assert.False(held.IsAcknowledged);
        Assert.False(blocked.IsCompleted);
        sink.Release.SetResult();
        await blocked.WaitAsync(s_guard);
        await held.Task.WaitAsync(s_guard);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_guard));

        Assert.Equal(("leases", 2, OnFull.Block), (delivery.Name, delivery.Options.QueueCapacity, delivery.Options.OnFull));
        Assert.Equal(new[] { "expired:held", "acquired:1", "acquired:2", "acquired:3" }, sink.Handled);
    }

    [Fact]
    public async Task DropOldest_keeps_its_own_buffer_commits_on_enqueue_and_evicts_the_oldest()
    {
        var sink = new DropOldestLeaseSink();
        var delivery = sink.CreateDeliverySink();
        var dispatcher = new DeliveryDispatcher<LeaseEvent>(new DeliveryOptions<LeaseEvent>().AddSink(delivery, delivery.Options));
        var acks = Enumerable.Range(0, 4).Select(static _ => new AckCompletionSource()).ToArray();

        await dispatcher.DispatchAsync(Expired("held"), acks[0]);
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        await dispatcher.DispatchAsync(Acquired("1"), acks[1]);
        await dispatcher.DispatchAsync(Acquired("2"), acks[2]);
        await dispatcher.DispatchAsync(Acquired("3"), acks[3]);
        await Task.WhenAll(acks.Select(static a => a.Task)).WaitAsync(s_guard);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_guard));
        sink.Release.SetResult();
        await delivery.DisposeAsync().AsTask().WaitAsync(s_guard);

        Assert.Equal(OnFull.Block, delivery.Options.OnFull);
        Assert.Equal(new[] { "expired:held", "acquired:2", "acquired:3" }, sink.Handled);
        Assert.Equal(1, delivery.GetMetrics().DropOldestHits);
        Assert.True(delivery.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_lossy_delivery_sink_whose_buffer_stopped_fails_the_write_so_the_dispatcher_retries_or_dead_letters()
    {
        var sink = new DropOldestLeaseSink();
        sink.Release.SetResult();
        var failed = sink.CreateDeliverySink();
        var disposed = sink.CreateDeliverySink("disposed");

        await failed.WriteAsync(new LeaseEvent.Revoked(new Cursor(1, 0), "x", s_at, "crash", null), CancellationToken.None);
        var handlerError = await Assert.ThrowsAsync<InvalidOperationException>(() => failed.Completion.WaitAsync(s_guard));
        var write = await Assert.ThrowsAsync<InvalidOperationException>(async () => await failed.WriteAsync(Acquired("after"), CancellationToken.None));
        Assert.Same(handlerError, write);

        await disposed.DisposeAsync().AsTask().WaitAsync(s_guard);
        await Assert.ThrowsAsync<StreamClosedException>(async () => await disposed.WriteAsync(Acquired("late"), CancellationToken.None));
        await failed.DisposeAsync().AsTask().WaitAsync(s_guard);
    }

    [Fact]
    public void A_delivery_sink_needs_a_name()
    {
        Assert.Throws<ArgumentException>(() => new FailingLeaseSink().CreateDeliverySink(string.Empty));
    }

    private static LeaseEvent.Acquired Acquired(string id) => new(new Cursor(1, 0), id, "lease", s_at);

    private static LeaseEvent.Expired Expired(string id) => new(new Cursor(3, 0), id, s_at);
}
