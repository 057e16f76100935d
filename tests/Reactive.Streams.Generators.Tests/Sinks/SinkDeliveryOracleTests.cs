using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// A generated PauseUpstream or Fail delivery sink is the hand-written delivery sink a user would write over the same
/// handlers (a switch that calls them, with the same <see cref="DeliverySinkOptions"/>): side by side under one
/// dispatcher, a held handler, a full queue, a handler that throws through its retries, an unknown variant and the
/// dead-letter sink give both the same handled items, the same dead letters and the same counters.
/// </summary>
public sealed class SinkDeliveryOracleTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("PauseUpstream")]
    [InlineData("Fail")]
    public async Task A_generated_delivery_sink_behaves_as_the_hand_written_one_with_the_same_options(string policy)
    {
        RecordingLeaseSink generated = policy == "Fail" ? new FailingLeaseSink() : new PausingLeaseSink();
        RecordingLeaseSink handlers = policy == "Fail" ? new FailingLeaseSink() : new PausingLeaseSink();
        var delivery = policy == "Fail"
            ? (IDeliverySink<LeaseEvent>)((FailingLeaseSink)generated).CreateDeliverySink("generated")
            : ((PausingLeaseSink)generated).CreateDeliverySink("generated");
        var declared = policy == "Fail" ? ((FailingLeaseSink.DeliverySink)delivery).Options : ((PausingLeaseSink.DeliverySink)delivery).Options;
        var deadLetters = new SinkDeliveryTests.DeadLetters();
        var options = new DeliveryOptions<LeaseEvent> { BackoffBase = TimeSpan.Zero, MaxRetries = 2, DeadLetterSink = deadLetters }
            .AddSink(delivery, declared)
            .AddSink(new HandWrittenSink(handlers), new DeliverySinkOptions { QueueCapacity = declared.QueueCapacity, OnFull = declared.OnFull });
        var dispatcher = new DeliveryDispatcher<LeaseEvent>(options);
        var acks = new List<AckCompletionSource>();

        // Both workers hold the first item; the queues (capacity 2) take two more; a third waits (PauseUpstream) or is
        // dropped and counted as committed (Fail).
        await DispatchAsync(Expired("held"));
        await Task.WhenAll(generated.HeldStarted.Task, handlers.HeldStarted.Task).WaitAsync(s_guard);
        await DispatchAsync(Acquired("1"));
        await DispatchAsync(Acquired("2"));
        var third = DispatchAsync(Acquired("3"));
        Assert.Equal(policy == "Fail", third.IsCompleted);
        Assert.False(acks[0].IsAcknowledged);
        generated.Release.SetResult();
        handlers.Release.SetResult();
        await third.WaitAsync(s_guard);
        await Task.WhenAll(acks.Select(static a => a.Task)).WaitAsync(s_guard);

        // A handler that throws on every attempt, then items after it, an unknown variant no handler takes, and a token. Each
        // is acknowledged before the next is dispatched, so that no Fail queue overflows while the retries run.
        LeaseEvent[] rest =
        [
            new LeaseEvent.Revoked(new Cursor(5, 0), "x", s_at, "crash", null),
            new LeaseEvent.Renewed(new Cursor(6, 0), "r", s_at, TimeSpan.FromSeconds(1)),
            new LeaseEvent.Unknown("stolen", System.Text.Json.JsonDocument.Parse("""{"type":"stolen"}""").RootElement),
            new LeaseEvent.Revoked(new Cursor(8, 0), "y", s_at, "admin", null),
        ];
        foreach (var item in rest)
        {
            await DispatchAsync(item);
            await acks[^1].Task.WaitAsync(s_guard);
        }

        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_guard));

        Assert.Equal(handlers.Handled, generated.Handled);
        Assert.Equal(
            policy == "Fail"
                ? new[] { "expired:held", "acquired:1", "acquired:2", "renewed:r", "revoked:y" }
                : new[] { "expired:held", "acquired:1", "acquired:2", "acquired:3", "renewed:r", "revoked:y" },
            generated.Handled);
        Assert.Equal(handlers.LastToken.CanBeCanceled, generated.LastToken.CanBeCanceled);
        var letters = deadLetters.Letters.ToLookup(static l => l.SinkName);
        Assert.Equal(
            letters["hand-written"].Select(static l => (l.Item, l.Attempts, l.Error.GetType(), l.Error.Message)),
            letters["generated"].Select(static l => (l.Item, l.Attempts, l.Error.GetType(), l.Error.Message)));
        Assert.Equal(3, Assert.Single(letters["generated"]).Attempts);
        Assert.Equal(dispatcher.GetSinkMetrics("hand-written") with { SinkName = "generated" }, dispatcher.GetSinkMetrics("generated"));
        Assert.All(acks, static a => Assert.True(a.IsAcknowledged));

        Task DispatchAsync(LeaseEvent item)
        {
            var ack = new AckCompletionSource();
            acks.Add(ack);
            return dispatcher.DispatchAsync(item, ack).AsTask();
        }
    }

    private static LeaseEvent.Acquired Acquired(string id) => new(new Cursor(1, 0), id, null, s_at);

    private static LeaseEvent.Expired Expired(string id) => new(new Cursor(3, 0), id, s_at);

    /// <summary>What a user writes by hand over the same handlers: a switch, the token passed where a handler takes one.</summary>
    private sealed class HandWrittenSink(RecordingLeaseSink handlers) : IDeliverySink<LeaseEvent>
    {
        public string Name => "hand-written";

        public ValueTask WriteAsync(LeaseEvent item, CancellationToken cancellationToken)
        {
            switch (item)
            {
                case LeaseEvent.Acquired acquired:
                    handlers.OnAcquired(acquired);
                    return default;
                case LeaseEvent.Renewed renewed:
                    return handlers.OnRenewed(renewed, cancellationToken);
                case LeaseEvent.Expired expired:
                    return handlers.OnExpired(expired);
                case LeaseEvent.Revoked revoked:
                    handlers.OnRevoked(revoked, cancellationToken);
                    return default;
                default:
                    // No OnUnknown: an unknown variant is skipped, as docs/unions.md says of the generated sink.
                    return default;
            }
        }
    }
}
