using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// A sink may declare its own queue settings (<see cref="IDeliverySink{T}.Options"/>, as a generated sink declares its
/// <c>[Backpressure]</c> policy): the dispatcher takes each value the options given with <c>AddSink</c> leave null from
/// there, then from its own options. Before, a sink added without options got the dispatcher's queue whatever it declared.
/// </summary>
public sealed class DeliverySinkDeclaredOptionsTests
{
    [Fact]
    public async Task A_sink_added_without_options_gets_the_queue_it_declares()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new DeclaringSink("declared", new DeliverySinkOptions { QueueCapacity = 1, OnFull = OnFull.Drop }, gate.Task);
        // The dispatcher's own queue would block (and hold 8): the sink's declaration must win.
        var options = new DeliveryOptions<int> { OnFull = OnFull.Block, QueueCapacity = 8, MaxBatch = 1 };
        options.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);

        await dispatcher.DispatchAsync(0);
        await WaitUntil(() => sink.Started == 1);
        await dispatcher.DispatchAsync(1);
        var third = dispatcher.DispatchAsync(2);

        Assert.True(third.IsCompletedSuccessfully);
        Assert.Equal(1, dispatcher.GetSinkMetrics("declared").Dropped);
        gate.SetResult();
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        Assert.Equal([0, 1], sink.Written);
    }

    [Fact]
    public async Task Options_given_with_the_sink_override_what_it_declares_value_by_value()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new DeclaringSink("declared", new DeliverySinkOptions { QueueCapacity = 1, OnFull = OnFull.Drop }, gate.Task);
        var options = new DeliveryOptions<int> { QueueCapacity = 8, MaxBatch = 1 };
        // OnFull given: it wins; QueueCapacity left null: the declared 1, not the dispatcher's 8.
        options.AddSink(sink, new DeliverySinkOptions { OnFull = OnFull.Block });
        await using var dispatcher = new DeliveryDispatcher<int>(options);

        await dispatcher.DispatchAsync(0);
        await WaitUntil(() => sink.Started == 1);
        await dispatcher.DispatchAsync(1);
        var blocked = dispatcher.DispatchAsync(2);

        Assert.False(blocked.IsCompleted);
        Assert.Equal(0, dispatcher.GetSinkMetrics("declared").Dropped);
        gate.SetResult();
        await blocked.AsTask().WaitAsync(TestLimits.Hang);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        Assert.Equal([0, 1, 2], sink.Written);
    }

    [Fact]
    public void A_bad_declared_value_is_refused_naming_the_sink()
    {
        var sink = new DeclaringSink("declared", new DeliverySinkOptions { QueueCapacity = 0 }, Task.CompletedTask);
        var options = new DeliveryOptions<int>().AddSink(sink);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DeliveryDispatcher<int>(options));

        Assert.Equal("QueueCapacity", error.ParamName);
        Assert.Contains("sink 'declared'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sink_that_declares_nothing_has_no_options()
    {
        IDeliverySink<int> sink = new RecordingSink<int>("plain");

        Assert.Null(sink.Options);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = Environment.TickCount64 + (long)TestLimits.Hang.TotalMilliseconds;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "The condition never became true.");
            await Task.Yield();
        }
    }

    private sealed class DeclaringSink(string name, DeliverySinkOptions declared, Task gate) : IDeliverySink<int>
    {
        private readonly Lock _lock = new();
        private readonly List<int> _written = [];
        private int _started;

        public string Name { get; } = name;

        public DeliverySinkOptions Options { get; } = declared;

        public int Started => Volatile.Read(ref _started);

        public List<int> Written
        {
            get
            {
                lock (_lock)
                {
                    return [.. _written];
                }
            }
        }

        public async ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            await gate.WaitAsync(cancellationToken);
            lock (_lock)
            {
                _written.Add(item);
            }
        }
    }
}
