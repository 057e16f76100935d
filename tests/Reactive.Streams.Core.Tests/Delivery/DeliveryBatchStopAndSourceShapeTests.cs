using System.Threading.Tasks.Sources;
using Microsoft.Extensions.Logging;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// A batch sink stopped at each stage of a batch (its write, its dead letters), a batch's dead letters failing one by
/// one, backoff at its bounds in virtual time, a sink whose writes are one reused <see cref="IValueTaskSource"/>, and a
/// dead-letter sink that is a batch sink.
/// </summary>
public class DeliveryBatchStopAndSourceShapeTests
{
    [Fact]
    public async Task A_batch_in_flight_when_the_dispatcher_is_disposed_stays_unacked_whole_and_is_reported_with_the_queue()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var tokens = new List<CancellationToken>();
        var sink = new RecordingBatchSink<int>("bulk", async (_, attempt) =>
        {
            if (attempt == 1)
            {
                CancellationToken token;
                lock (tokens)
                {
                    token = tokens[^1];
                }

                await Task.Delay(Timeout.InfiniteTimeSpan, token);
            }
        });
        var options = new DeliveryOptions<int> { Name = "orders", TimeProvider = time, Logger = logger, MaxBatch = 3 };
        options.AddSink(new TokenCapturingBatchSink<int>(sink, tokens));
        var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 5).Select(_ => new CountingAck()).ToArray();

        // Item 0 is taken alone and its write hangs on the sink's token; 1-4 wait in the queue.
        await dispatcher.DispatchAsync(0, acks[0]);
        await WaitUntil(() => sink.BatchAttempts == 1);
        for (var i = 1; i < 5; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);

        Assert.False(await dispatcher.ShutdownAsync(TimeSpan.Zero));
        Assert.True(tokens[0].IsCancellationRequested);
        Assert.All(acks, a => Assert.Equal(0, a.Count));
        Assert.Empty(sink.Batches);
        Assert.Equal(1, sink.BatchAttempts);
        Assert.Equal(new DeliverySinkMetrics("bulk", 0, 0, 0, 0, 0, 4), dispatcher.GetSinkMetrics("bulk"));
        var drain = Assert.Single(logger.Entries, e => e.Id.Id == 6004);
        Assert.Contains("5 queued item(s)", drain.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task A_batch_stopped_between_its_dead_letters_acks_exactly_the_items_whose_dead_letters_were_written()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondLetter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingBatchSink<int>("bulk", async (_, attempt) =>
        {
            if (attempt == 1)
            {
                await gate.Task;
                return;
            }

            throw new PermanentDeliveryException("schema rejected");
        });
        var dead = new RecordingSink<DeadLetter<int>>("dead", time, async (letter, _, ct) =>
        {
            if (letter.Item == 1)
            {
                secondLetter.TrySetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
        });
        var options = new DeliveryOptions<int> { Name = "orders", TimeProvider = time, Logger = logger, MaxBatch = 3, DeadLetterSink = dead };
        options.AddSink(sink);
        var dispatcher = new DeliveryDispatcher<int>(options);
        var first = new CountingAck();
        var acks = Enumerable.Range(0, 3).Select(_ => new CountingAck()).ToArray();

        // Item 100 goes alone and commits once the gate opens; 0-2 then make one batch, which fails permanently, and the
        // dead letter of its second item hangs until the disposal cancels it.
        await dispatcher.DispatchAsync(100, first);
        await WaitUntil(() => sink.BatchAttempts == 1);
        for (var i = 0; i < 3; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        gate.SetResult();
        await secondLetter.Task.WaitAsync(TestLimits.Hang);
        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);

        Assert.False(await dispatcher.ShutdownAsync(TimeSpan.Zero));
        Assert.Equal(1, first.Count);
        Assert.Equal([0], dead.Committed.Select(l => l.Item));
        Assert.Equal([1, 0, 0], acks.Select(a => a.Count));
        Assert.Equal(2, dispatcher.AcknowledgedCount);
        Assert.Equal(new DeliverySinkMetrics("bulk", 1, 0, 0, 1, 0, 0), dispatcher.GetSinkMetrics("bulk"));
        var drain = Assert.Single(logger.Entries, e => e.Id.Id == 6004);
        Assert.Contains("2 queued item(s)", drain.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task A_failed_batch_whose_dead_letters_fail_for_some_items_dead_letters_the_rest_discards_those_and_acks_all()
    {
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingBatchSink<int>("bulk", async (_, attempt) =>
        {
            if (attempt == 1)
            {
                await gate.Task;
                return;
            }

            throw new PermanentDeliveryException("schema rejected");
        });
        var dead = new RecordingSink<DeadLetter<int>>("dead", time, (letter, _, _) =>
            letter.Item % 2 == 0 ? ValueTask.FromException(new PermanentDeliveryException("letter too large")) : ValueTask.CompletedTask);
        var options = new DeliveryOptions<int> { Name = "orders", TimeProvider = time, Logger = logger, MaxBatch = 8, DeadLetterSink = dead };
        options.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 6).Select(_ => new CountingAck()).ToArray();

        // Item 0 goes alone and commits once the gate opens; 1-5 make the second batch, which fails permanently.
        await dispatcher.DispatchAsync(0, acks[0]);
        await WaitUntil(() => sink.BatchAttempts == 1);
        for (var i = 1; i < 6; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        gate.SetResult();
        await Task.WhenAll(acks.Select(a => a.First));

        Assert.All(acks, a => Assert.Equal(1, a.Count));
        Assert.Equal(6, dispatcher.AcknowledgedCount);
        Assert.Equal([1, 3, 5], dead.Committed.Select(l => l.Item));
        Assert.All(dead.Committed, l => Assert.Equal(("bulk", 1, "schema rejected"), (l.SinkName, l.Attempts, l.Error.Message)));
        Assert.Equal(new DeliverySinkMetrics("bulk", 1, 0, 0, 3, 2, 0), dispatcher.GetSinkMetrics("bulk"));
        var lost = logger.Entries.Where(e => e.Id.Id == 6002).ToArray();
        Assert.Equal(2, lost.Length);
        Assert.All(lost, e => Assert.Equal(("letter too large", LogLevel.Critical), (e.Error?.Message, e.Level)));
        Assert.Empty(time.AllTimers);
    }

    [Fact]
    public async Task A_backoff_ceiling_equal_to_its_base_waits_the_base_before_every_retry()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("flaky", time, (_, attempt, _) => attempt <= 4 ? ValueTask.FromException(new IOException("down")) : ValueTask.CompletedTask);
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxRetries = 4, BackoffBase = TimeSpan.FromSeconds(3), MaxBackoff = TimeSpan.FromSeconds(3) };
        await using var dispatcher = new DeliveryDispatcher<int>(options.AddSink(sink));
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(7, ack);
        for (var retry = 1; retry <= 4; retry++)
        {
            Assert.Equal(TimeSpan.FromSeconds(3), await time.NextTimerAsync());
            time.Advance(TimeSpan.FromSeconds(3));
        }

        await ack.First;
        Assert.Equal(5, sink.Attempts);
        Assert.Equal(new DeliverySinkMetrics("flaky", 1, 0, 4, 0, 0, 0), dispatcher.GetSinkMetrics("flaky"));
    }

    [Fact]
    public async Task A_zero_backoff_ceiling_retries_at_once_without_a_timer_and_dead_letters_after_the_last_retry()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("down", time, (_, _, _) => ValueTask.FromException(new IOException("down")));
        var dead = new RecordingSink<DeadLetter<int>>("dead");
        var options = new DeliveryOptions<int>
        {
            TimeProvider = time,
            MaxRetries = 5,
            BackoffBase = TimeSpan.Zero,
            MaxBackoff = TimeSpan.Zero,
            BackoffJitter = true,
            DeadLetterSink = dead,
        };
        await using var dispatcher = new DeliveryDispatcher<int>(options.AddSink(sink));
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(7, ack);
        await ack.First;

        Assert.Equal(6, sink.Attempts);
        Assert.All(sink.AttemptTimes, t => Assert.Equal(sink.AttemptTimes[0], t));
        Assert.Empty(time.AllTimers);
        Assert.Equal((7, 6), (Assert.Single(dead.Committed).Item, dead.Committed[0].Attempts));
        Assert.Equal(new DeliverySinkMetrics("down", 0, 0, 5, 1, 0, 0), dispatcher.GetSinkMetrics("down"));
    }

    [Fact]
    public async Task A_sink_whose_writes_are_one_reused_value_task_source_is_read_once_per_attempt()
    {
        // Faults asynchronously, then synchronously, then commits: each ValueTask is consumed exactly once, or the source
        // (as a pooled socket or pipe would) reports a stale token and the counts below change.
        var time = new RecordingTimeProvider();
        var sink = new PooledSourceSink(item => item switch
        {
            (_, 1) => PooledSourceSink.Step.FaultLater,
            (_, 2) => PooledSourceSink.Step.FaultNow,
            _ => PooledSourceSink.Step.Succeed,
        });
        var dead = new RecordingSink<DeadLetter<int>>("dead");
        var options = new DeliveryOptions<int> { TimeProvider = time, BackoffBase = TimeSpan.Zero, DeadLetterSink = dead, MaxBatch = 1 };
        await using var dispatcher = new DeliveryDispatcher<int>(options.AddSink(sink));
        var acks = Enumerable.Range(0, 3).Select(_ => new CountingAck()).ToArray();

        for (var i = 0; i < 3; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        await Task.WhenAll(acks.Select(a => a.First));

        Assert.Empty(dead.Committed);
        Assert.Equal([0, 1, 2], sink.Committed);
        Assert.Equal(0, sink.StaleReads);
        Assert.Equal(new DeliverySinkMetrics("pooled", 3, 0, 6, 0, 0, 0), dispatcher.GetSinkMetrics("pooled"));
    }

    [Fact]
    public async Task A_dead_letter_sink_that_is_a_batch_sink_is_written_one_letter_at_a_time_through_WriteAsync()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingBatchSink<int>("bulk", (_, _) => ValueTask.FromException(new PermanentDeliveryException()));
        var dead = new RecordingBatchSink<DeadLetter<int>>("dead", (_, _) => ValueTask.FromException(new InvalidOperationException("not for batches")));
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxBatch = 8, DeadLetterSink = dead };
        await using var dispatcher = new DeliveryDispatcher<int>(options.AddSink(sink));
        var acks = Enumerable.Range(0, 3).Select(_ => new CountingAck()).ToArray();

        for (var i = 0; i < 3; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        await Task.WhenAll(acks.Select(a => a.First));

        Assert.Equal(0, dead.BatchAttempts);
        Assert.Equal([0, 1, 2], dead.Committed.Select(l => l.Item).Order());
        var m = dispatcher.GetSinkMetrics("bulk");
        Assert.Equal((3L, 0L), (m.DeadLettered, m.Discarded));
    }

    [Theory]
    [InlineData("throw")]
    [InlineData("faulted ValueTask")]
    [InlineData("faulted Task")]
    [InlineData("fails after yielding")]
    [InlineData("own token cancelled")]
    public async Task A_batch_sinks_failure_of_any_shape_is_one_attempt_and_the_retry_commits_the_whole_batch_once(string shape)
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new ShapedBatchSink(shape, gate.Task);
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxBatch = 8, BackoffBase = TimeSpan.FromSeconds(1) };
        await using var dispatcher = new DeliveryDispatcher<int>(options.AddSink(sink));
        var acks = Enumerable.Range(0, 4).Select(_ => new CountingAck()).ToArray();

        // Item 0 goes alone and waits at the gate; 1-3 then make one batch, whose first attempt fails in the given shape.
        await dispatcher.DispatchAsync(0, acks[0]);
        await WaitUntil(() => sink.Calls == 1);
        for (var i = 1; i < 4; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        gate.SetResult();
        Assert.Equal(TimeSpan.FromSeconds(1), await time.NextTimerAsync());
        Assert.Equal(1, acks[0].Count);
        Assert.All(acks.Skip(1), a => Assert.Equal(0, a.Count));
        time.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(acks.Select(a => a.First));

        Assert.Equal(3, sink.Calls);
        Assert.Equal([[0], [1, 2, 3]], sink.Committed);
        Assert.All(acks, a => Assert.Equal(1, a.Count));
        Assert.Equal(new DeliverySinkMetrics("shaped", 4, 0, 1, 0, 0, 0), dispatcher.GetSinkMetrics("shaped"));
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

    /// <summary>A batch sink whose second call fails in the given shape; every other call commits (the first after a gate).</summary>
    private sealed class ShapedBatchSink(string shape, Task gate) : IBatchDeliverySink<int>
    {
        private int _calls;

        public string Name => "shaped";

        public int Calls => Volatile.Read(ref _calls);

        public List<int[]> Committed { get; } = [];

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken) => throw new InvalidOperationException("A batch sink is written in batches.");

        public ValueTask WriteBatchAsync(IReadOnlyList<int> items, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            if (call == 1)
            {
                return CommitAfter(gate, items.ToArray());
            }

            if (call > 2)
            {
                Committed.Add([.. items]);
                return default;
            }

            return shape switch
            {
                "throw" => throw new IOException("refused"),
                "faulted ValueTask" => ValueTask.FromException(new IOException("refused")),
                "faulted Task" => new ValueTask(Task.FromException(new IOException("refused"))),
                "fails after yielding" => FailAfterYield(),
                "own token cancelled" => new ValueTask(Task.FromCanceled(new CancellationToken(canceled: true))),
                _ => throw new ArgumentOutOfRangeException(nameof(shape)),
            };
        }

        private async ValueTask CommitAfter(Task wait, int[] items)
        {
            await wait;
            Committed.Add(items);
        }

        private static async ValueTask FailAfterYield()
        {
            await Task.Yield();
            throw new IOException("refused");
        }
    }

    /// <summary>Wraps a batch sink and records the token of each batch write before it runs.</summary>
    private sealed class TokenCapturingBatchSink<T>(RecordingBatchSink<T> inner, List<CancellationToken> tokens) : IBatchDeliverySink<T>
        where T : notnull
    {
        public string Name => inner.Name;

        public ValueTask WriteAsync(T item, CancellationToken cancellationToken) => throw new InvalidOperationException("A batch sink is written in batches.");

        public ValueTask WriteBatchAsync(IReadOnlyList<T> items, CancellationToken cancellationToken)
        {
            lock (tokens)
            {
                tokens.Add(cancellationToken);
            }

            return inner.WriteBatchAsync(items, cancellationToken);
        }
    }

    /// <summary>
    /// A sink whose every write returns a ValueTask over one reused <see cref="ManualResetValueTaskSourceCore{TResult}"/>,
    /// as pooled I/O does; a read of a token it has moved past is counted (and fails) rather than returning garbage.
    /// </summary>
    private sealed class PooledSourceSink(Func<(int Item, int Attempt), PooledSourceSink.Step> plan) : IDeliverySink<int>, IValueTaskSource
    {
        private readonly Dictionary<int, int> _attempts = [];
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
        private int _staleReads;
        private int _item;

        public enum Step
        {
            Succeed,
            FaultNow,
            FaultLater,
        }

        public string Name => "pooled";

        public List<int> Committed { get; } = [];

        public int StaleReads => Volatile.Read(ref _staleReads);

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            _core.Reset();
            _item = item;
            var attempt = _attempts[item] = _attempts.GetValueOrDefault(item) + 1;
            var token = _core.Version;
            switch (plan((item, attempt)))
            {
                case Step.FaultNow:
                    _core.SetException(new IOException("refused"));
                    break;
                case Step.FaultLater:
                    _ = Task.Run(() => _core.SetException(new IOException("reset")));
                    break;
                default:
                    _core.SetResult(true);
                    break;
            }

            return new ValueTask(this, token);
        }

        public void GetResult(short token)
        {
            if (token != _core.Version)
            {
                Interlocked.Increment(ref _staleReads);
            }

            _core.GetResult(token);
            Committed.Add(_item);
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
