using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// The generated delivery sinks under a <see cref="DeliveryDispatcher{T}"/> as a user of the dispatcher expects them:
/// a handler's exception is the sink's failure (retried, then dead-lettered), the handler gets the dispatcher's token,
/// an unknown variant without a fallback handler is skipped and acknowledged, and each policy's queue mode holds.
/// </summary>
public sealed class SinkDeliveryAuditTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_handlers_exception_is_retried_as_configured_then_dead_lettered_and_the_next_items_still_reach_their_handlers()
    {
        var sink = new PausingLeaseSink();
        sink.Release.SetResult();
        await using var delivery = sink.CreateDeliverySink();
        var deadLetters = new SinkDeliveryTests.DeadLetters();
        var options = new DeliveryOptions<LeaseEvent> { BackoffBase = TimeSpan.Zero, MaxRetries = 2, DeadLetterSink = deadLetters }
            .AddSink(delivery, delivery.Options);
        var dispatcher = new DeliveryDispatcher<LeaseEvent>(options);
        var crash = new LeaseEvent.Revoked(new Cursor(1, 0), "x", s_at, "crash", null);
        var acks = new[] { new AckCompletionSource(), new AckCompletionSource() };

        await dispatcher.DispatchAsync(crash, acks[0]);
        await dispatcher.DispatchAsync(new LeaseEvent.Revoked(new Cursor(2, 0), "y", s_at, "admin", null), acks[1]);
        await Task.WhenAll(acks.Select(static a => a.Task)).WaitAsync(s_guard);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_guard));

        var letter = Assert.Single(deadLetters.Letters);
        Assert.Same(crash, letter.Item);
        Assert.Equal(3, letter.Attempts);
        Assert.Equal("handler failed for x", Assert.IsType<InvalidOperationException>(letter.Error).Message);
        Assert.Equal(new[] { "revoked:y" }, sink.Handled);
        Assert.Equal(new DeliverySinkMetrics(delivery.Name, 1, 0, 2, 1, 0, 0), dispatcher.GetSinkMetrics(delivery.Name));
    }

    [Fact]
    public async Task A_handler_that_takes_a_token_gets_the_dispatchers_token()
    {
        var sink = new PausingLeaseSink();
        sink.Release.SetResult();
        await using var delivery = sink.CreateDeliverySink();
        var dispatcher = new DeliveryDispatcher<LeaseEvent>(new DeliveryOptions<LeaseEvent>().AddSink(delivery, delivery.Options));
        var ack = new AckCompletionSource();

        await dispatcher.DispatchAsync(new LeaseEvent.Renewed(new Cursor(1, 0), "r", s_at, TimeSpan.FromSeconds(1)), ack);
        await ack.Task.WaitAsync(s_guard);

        Assert.True(sink.LastToken.CanBeCanceled);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_guard));
    }

    [Fact]
    public async Task An_unknown_variant_without_a_fallback_handler_is_skipped_committed_and_acked()
    {
        var sink = new PausingLeaseSink();
        sink.Release.SetResult();
        await using var delivery = sink.CreateDeliverySink();
        var deadLetters = new SinkDeliveryTests.DeadLetters();
        var dispatcher = new DeliveryDispatcher<LeaseEvent>(new DeliveryOptions<LeaseEvent> { DeadLetterSink = deadLetters }.AddSink(delivery, delivery.Options));
        var ack = new AckCompletionSource();
        var unknown = new LeaseEvent.Unknown("stolen", System.Text.Json.JsonDocument.Parse("""{"type":"stolen"}""").RootElement);

        await dispatcher.DispatchAsync(unknown, ack);
        await ack.Task.WaitAsync(s_guard);
        await sink.DispatchAsync(unknown);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_guard));

        Assert.Empty(sink.Handled);
        Assert.Empty(deadLetters.Letters);
        Assert.Equal(1, dispatcher.GetSinkMetrics(delivery.Name).Delivered);
    }

    [Fact]
    public async Task Every_variant_of_a_payloadless_union_and_its_Other_fallback_reach_their_handlers()
    {
        var sink = new OutcomeSink();
        await using var delivery = sink.CreateDeliverySink("outcomes");
        var dispatcher = new DeliveryDispatcher<Outcome>(new DeliveryOptions<Outcome>().AddSink(delivery, delivery.Options));
        var other = new Outcome.Other("timed_out");
        Outcome[] items = [new Outcome.Success(), new Outcome.Failure(), new Outcome.Cancelled(), other];
        var acks = items.Select(static _ => new AckCompletionSource()).ToArray();

        for (var i = 0; i < items.Length; i++)
        {
            await dispatcher.DispatchAsync(items[i], acks[i]);
        }

        await Task.WhenAll(acks.Select(static a => a.Task)).WaitAsync(s_guard);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_guard));

        Assert.Equal(new[] { "success", "failure", "cancelled", "other:timed_out" }, sink.Handled);
        Assert.Equal(("outcomes", 8, OnFull.Drop), (delivery.Name, delivery.Options.QueueCapacity, delivery.Options.OnFull));
    }

    [Fact]
    public async Task A_Fail_sink_drops_what_its_full_queue_cannot_take_and_acks_it_without_a_handler()
    {
        var sink = new FailingLeaseSink();
        await using var delivery = sink.CreateDeliverySink();
        var dispatcher = new DeliveryDispatcher<LeaseEvent>(new DeliveryOptions<LeaseEvent> { MaxBatch = 1 }.AddSink(delivery, delivery.Options));
        var acks = Enumerable.Range(0, 4).Select(static _ => new AckCompletionSource()).ToArray();

        await dispatcher.DispatchAsync(new LeaseEvent.Expired(new Cursor(1, 0), "held", s_at), acks[0]);
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        for (var i = 1; i < 4; i++)
        {
            var dispatch = dispatcher.DispatchAsync(new LeaseEvent.Acquired(new Cursor(2, i), "a" + i, null, s_at), acks[i]);
            Assert.True(dispatch.IsCompleted);
            await dispatch;
        }

        await acks[3].Task.WaitAsync(s_guard);
        Assert.False(acks[0].IsAcknowledged);
        sink.Release.SetResult();
        await Task.WhenAll(acks.Select(static a => a.Task)).WaitAsync(s_guard);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_guard));

        Assert.Equal(new[] { "expired:held", "acquired:a1", "acquired:a2" }, sink.Handled);
        Assert.Equal(1, dispatcher.GetSinkMetrics(delivery.Name).Dropped);
    }

    [Fact]
    public async Task A_DegradeQuality_sink_degrades_the_oldest_buffered_item_when_its_own_buffer_overflows()
    {
        var sink = new DegradingLeaseSink();
        var delivery = sink.CreateDeliverySink();
        var dispatcher = new DeliveryDispatcher<LeaseEvent>(new DeliveryOptions<LeaseEvent>().AddSink(delivery, delivery.Options));
        var acks = Enumerable.Range(0, 4).Select(static _ => new AckCompletionSource()).ToArray();

        await dispatcher.DispatchAsync(new LeaseEvent.Expired(new Cursor(1, 0), "held", s_at), acks[0]);
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        for (var i = 1; i < 4; i++)
        {
            await dispatcher.DispatchAsync(new LeaseEvent.Acquired(new Cursor(2, i), "a" + i, "lease", s_at), acks[i]);
        }

        await Task.WhenAll(acks.Select(static a => a.Task)).WaitAsync(s_guard);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_guard));
        sink.Release.SetResult();
        await delivery.DisposeAsync().AsTask().WaitAsync(s_guard);
        await delivery.DisposeAsync().AsTask().WaitAsync(s_guard);

        Assert.Equal(OnFull.Block, delivery.Options.OnFull);
        Assert.Equal(new[] { "expired:held", "acquired:a2", "acquired:a3~" }, sink.Handled);
        Assert.Equal(1, delivery.GetMetrics().DegradeQualityHits);
        Assert.True(delivery.Completion.IsCompletedSuccessfully);
    }
}
