using System.Reflection;
using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Tests.Fixtures;
using Reactive.Streams.Generators.Tests.Infrastructure;

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
    public async Task Added_without_options_the_sink_keeps_its_declared_queue_whatever_the_dispatcher_says()
    {
        // The dispatcher-wide queue would drop into 64 slots; the sink declares PauseUpstream, capacity 2 (IDeliverySink.Options).
        var sink = new PausingLeaseSink();
        await using var delivery = sink.CreateDeliverySink("leases");
        var dispatcher = new DeliveryDispatcher<LeaseEvent>(new DeliveryOptions<LeaseEvent> { OnFull = OnFull.Drop, QueueCapacity = 64 }.AddSink(delivery));

        await dispatcher.DispatchAsync(Expired("held"));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        await dispatcher.DispatchAsync(Acquired("1"));
        await dispatcher.DispatchAsync(Acquired("2"));
        var blocked = dispatcher.DispatchAsync(Acquired("3")).AsTask();

        Assert.False(blocked.IsCompleted);
        sink.Release.SetResult();
        await blocked.WaitAsync(s_guard);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_guard));

        Assert.Same(delivery.Options, ((IDeliverySink<LeaseEvent>)delivery).Options);
        Assert.Equal(0, dispatcher.GetSinkMetrics("leases").Dropped);
        Assert.Equal(new[] { "expired:held", "acquired:1", "acquired:2", "acquired:3" }, sink.Handled);
    }

    [Fact]
    public async Task A_lossy_delivery_sink_is_an_IMeteredStream_of_its_own_buffer_and_a_blocking_one_has_no_buffer_to_meter()
    {
        await using var lossy = new DegradingLeaseSink().CreateDeliverySink("degrading");
        await using var blocking = new PausingLeaseSink().CreateDeliverySink();

        var metered = Assert.IsAssignableFrom<IMeteredStream>(lossy);
        Assert.Equal((BackpressurePolicy.DegradeQuality, 2), (metered.Policy, metered.Capacity));
        Assert.Equal("degrading", lossy.Name);
        Assert.False(string.IsNullOrEmpty(metered.Name));
        Assert.Equal(lossy.GetMetrics(), metered.GetMetrics());
        Assert.False(((object)blocking) is IMeteredStream);
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

    [Theory]
    [InlineData("PauseUpstream")]
    [InlineData("Fail")]
    [InlineData("DropOldest")]
    public async Task An_item_no_handler_takes_is_a_permanent_failure_dead_lettered_after_one_attempt(string policy)
    {
        var (handlers, delivery, options, disposable) = CreateDeliverySink(policy);
        handlers.Release.SetResult();
        var deadLetters = new DeadLetters();
        var dispatcherOptions = new DeliveryOptions<LeaseEvent>
        {
            BackoffBase = TimeSpan.Zero,
            IsTransient = static _ => true,   // whatever the classifier says, an item no handler takes cannot be delivered
            DeadLetterSink = deadLetters,
        }.AddSink(delivery, options);
        var dispatcher = new DeliveryDispatcher<LeaseEvent>(dispatcherOptions);
        var stray = s_stray.Value;
        var strayAck = new AckCompletionSource();
        var nullAck = new AckCompletionSource();
        var afterAck = new AckCompletionSource();

        // One at a time: the Fail sink's queue holds two items and drops a third.
        await dispatcher.DispatchAsync(stray, strayAck);
        await strayAck.Task.WaitAsync(s_guard);
        await dispatcher.DispatchAsync(null!, nullAck);
        await nullAck.Task.WaitAsync(s_guard);
        await dispatcher.DispatchAsync(Acquired("after"), afterAck);
        await afterAck.Task.WaitAsync(s_guard);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_guard));
        await disposable.DisposeAsync().AsTask().WaitAsync(s_guard);

        Assert.Equal(2, deadLetters.Letters.Count);
        var letter = deadLetters.Letters[0];
        Assert.Same(stray, letter.Item);
        Assert.Equal(1, letter.Attempts);
        var error = Assert.IsType<PermanentDeliveryException>(letter.Error);
        Assert.Contains($"'{stray.GetType()}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(LeaseEvent).FullName!, error.Message, StringComparison.Ordinal);
        var nullLetter = deadLetters.Letters[1];
        Assert.Null(nullLetter.Item);
        Assert.Equal(1, nullLetter.Attempts);
        Assert.Contains("null", Assert.IsType<PermanentDeliveryException>(nullLetter.Error).Message, StringComparison.Ordinal);
        Assert.Equal(new DeliverySinkMetrics(delivery.Name, 1, 0, 0, 2, 0, 0), dispatcher.GetSinkMetrics(delivery.Name));
        Assert.Equal(new[] { "acquired:after" }, handlers.Handled);
    }

    [Fact]
    public async Task A_shutdown_that_gives_up_cancels_the_running_handler_and_leaves_its_item_unacked()
    {
        var time = new TimerSignallingTimeProvider();
        var sink = new CancellableLeaseSink();
        await using var delivery = sink.CreateDeliverySink();
        var dispatcher = new DeliveryDispatcher<LeaseEvent>(new DeliveryOptions<LeaseEvent> { TimeProvider = time }.AddSink(delivery, delivery.Options));
        var ack = new AckCompletionSource();

        await dispatcher.DispatchAsync(Expired("held"), ack);
        await sink.Started.Task.WaitAsync(s_guard);
        var shutdown = dispatcher.ShutdownAsync(TimeSpan.FromSeconds(5));
        await time.TimerCreated.Task.WaitAsync(s_guard);
        time.Advance(TimeSpan.FromSeconds(5));

        await sink.Cancelled.Task.WaitAsync(s_guard);
        Assert.False(await shutdown.WaitAsync(s_guard));
        Assert.False(ack.IsAcknowledged);
    }

    [Fact]
    public void A_delivery_sink_needs_a_name()
    {
        Assert.Throws<ArgumentException>(() => new FailingLeaseSink().CreateDeliverySink(string.Empty));
    }

    /// <summary>
    /// A record that derives from the union outside its declaration: not a variant (RXS1002 refuses it in a project the
    /// generator runs on, so it is compiled here, in an assembly of its own, as another library could declare it).
    /// </summary>
    private static readonly Lazy<LeaseEvent> s_stray = new(static () =>
    {
        var compilation = TestCompilation.Create("""
            namespace Stray;
            /// <summary>Not a variant of the union it derives from.</summary>
            public sealed record Transferred(Reactive.Streams.Generators.Tests.Fixtures.Cursor Cursor, string ExecutionId, System.DateTimeOffset At)
                : Reactive.Streams.Generators.Tests.Fixtures.LeaseEvent;
            """)
            .WithAssemblyName("StrayLeaseEvents")
            .AddReferences(MetadataReference.CreateFromFile(typeof(LeaseEvent).Assembly.Location));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        var type = Assembly.Load(image.ToArray()).GetType("Stray.Transferred", throwOnError: true)!;
        return (LeaseEvent)Activator.CreateInstance(type, new Cursor(9, 0), "stray", s_at)!;
    });

    private static (RecordingLeaseSink Handlers, IDeliverySink<LeaseEvent> Sink, DeliverySinkOptions Options, IAsyncDisposable Disposable) CreateDeliverySink(string policy)
    {
        switch (policy)
        {
            case "PauseUpstream":
                var pausing = new PausingLeaseSink();
                var pausingSink = pausing.CreateDeliverySink();
                return (pausing, pausingSink, pausingSink.Options, pausingSink);
            case "Fail":
                var failing = new FailingLeaseSink();
                var failingSink = failing.CreateDeliverySink();
                return (failing, failingSink, failingSink.Options, failingSink);
            default:
                var dropping = new DropOldestLeaseSink();
                var droppingSink = dropping.CreateDeliverySink();
                return (dropping, droppingSink, droppingSink.Options, droppingSink);
        }
    }

    private static LeaseEvent.Acquired Acquired(string id) => new(new Cursor(1, 0), id, "lease", s_at);

    private static LeaseEvent.Expired Expired(string id) => new(new Cursor(3, 0), id, s_at);

    /// <summary>A fake clock that says when the first timer (the drain timeout) was created, so the test advances after it.</summary>
    private sealed class TimerSignallingTimeProvider : Microsoft.Extensions.Time.Testing.FakeTimeProvider
    {
        public TaskCompletionSource TimerCreated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            TimerCreated.TrySetResult();
            return timer;
        }
    }

    /// <summary>A dead-letter sink that keeps what it was given.</summary>
    internal sealed class DeadLetters : IDeliverySink<DeadLetter<LeaseEvent>>
    {
        private readonly List<DeadLetter<LeaseEvent>> _letters = [];

        public string Name => "dead-letters";

        public IReadOnlyList<DeadLetter<LeaseEvent>> Letters
        {
            get
            {
                lock (_letters)
                {
                    return [.. _letters];
                }
            }
        }

        public ValueTask WriteAsync(DeadLetter<LeaseEvent> item, CancellationToken cancellationToken)
        {
            lock (_letters)
            {
                _letters.Add(item);
            }

            return default;
        }
    }
}
