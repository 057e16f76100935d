using Reactive.Streams.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// Four sinks (one Drop, three Block: one with random transient failures, one batch sink with random transient
/// failures, one failing permanently into a dead-letter sink) under a million events, with exact per-event counts.
/// Backoff is zero so no timer is involved; time is a FakeTimeProvider nobody advances.
/// </summary>
public class DeliveryStressTests
{
    private sealed class AckTally
    {
        private readonly int _target;
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        public AckTally(int target) => _target = target;

        public Task Reached => _reached.Task;

        public void Increment()
        {
            if (Interlocked.Increment(ref _count) == _target)
            {
                _reached.TrySetResult();
            }
        }
    }

    private sealed class Event(int id, AckTally? tally) : IAckToken
    {
        public int Id { get; } = id;

        public int Acks;

        public void Acknowledge()
        {
            Interlocked.Increment(ref Acks);
            tally?.Increment();
        }
    }

    /// <summary>Counts commits per event id; fails a random fraction of attempts before committing.</summary>
    private sealed class CountingSink(string name, int capacity, double failureRate, int seed, int spin = 0) : IDeliverySink<Event>
    {
        private readonly Random _random = new(seed);

        public int[] Commits { get; } = new int[capacity];

        public string Name { get; } = name;

        public ValueTask WriteAsync(Event item, CancellationToken cancellationToken)
        {
            // Called by one worker at a time, so the Random and the counters need no lock.
            if (spin > 0)
            {
                Thread.SpinWait(spin);
            }

            if (failureRate > 0 && _random.NextDouble() < failureRate)
            {
                return ValueTask.FromException(new IOException("transient"));
            }

            Commits[item.Id]++;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class CountingBatchSink(string name, int capacity, double failureRate, int seed) : IBatchDeliverySink<Event>
    {
        private readonly Random _random = new(seed);

        public int[] Commits { get; } = new int[capacity];

        public string Name { get; } = name;

        public ValueTask WriteAsync(Event item, CancellationToken cancellationToken) => throw new InvalidOperationException("A batch sink is written in batches.");

        public ValueTask WriteBatchAsync(IReadOnlyList<Event> items, CancellationToken cancellationToken)
        {
            if (_random.NextDouble() < failureRate)
            {
                return ValueTask.FromException(new IOException("transient batch failure"));
            }

            for (var i = 0; i < items.Count; i++)
            {
                Commits[items[i].Id]++;
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class PoisonSink(string name) : IDeliverySink<Event>
    {
        public string Name { get; } = name;

        public ValueTask WriteAsync(Event item, CancellationToken cancellationToken) =>
            ValueTask.FromException(new PermanentDeliveryException("poison"));
    }

    private sealed class DeadLetterCounter(int capacity) : IDeliverySink<DeadLetter<Event>>
    {
        public int[] Letters { get; } = new int[capacity];

        public int Malformed;

        public string Name => "dead-letters";

        public ValueTask WriteAsync(DeadLetter<Event> item, CancellationToken cancellationToken)
        {
            if (item.SinkName != "poison" || item.Attempts != 1 || item.Error is not PermanentDeliveryException)
            {
                Interlocked.Increment(ref Malformed);
            }

            Interlocked.Increment(ref Letters[item.Item.Id]);
            return ValueTask.CompletedTask;
        }
    }

    private sealed record Setup(
        DeliveryDispatcher<Event> Dispatcher,
        CountingSink Drop,
        CountingSink Flaky,
        CountingBatchSink Batch,
        DeadLetterCounter DeadLetters);

    private static Setup Create(int capacity)
    {
        var drop = new CountingSink("drop", capacity, failureRate: 0.01, seed: 1, spin: 20);
        var flaky = new CountingSink("flaky", capacity, failureRate: 0.01, seed: 2);
        var batch = new CountingBatchSink("batch", capacity, failureRate: 0.02, seed: 3);
        var deadLetters = new DeadLetterCounter(capacity);
        var options = new DeliveryOptions<Event>
        {
            TimeProvider = new FakeTimeProvider(),
            BackoffBase = TimeSpan.Zero,
            MaxBackoff = TimeSpan.Zero,

            // A transient failure rate of 1-2% never exhausts 30 retries (p < 1e-50).
            MaxRetries = 30,
            DeadLetterSink = deadLetters,
        };
        options.AddSink(drop, new DeliverySinkOptions { OnFull = OnFull.Drop, QueueCapacity = 16 })
            .AddSink(flaky)
            .AddSink(batch, new DeliverySinkOptions { MaxBatch = 128 })
            .AddSink(new PoisonSink("poison"));
        return new Setup(new DeliveryDispatcher<Event>(options), drop, flaky, batch, deadLetters);
    }

    [Fact]
    public async Task A_million_events_are_each_acked_once_and_committed_once_per_Block_sink()
    {
        const int N = 1_000_000;
        var (dispatcher, drop, flaky, batch, deadLetters) = Create(N);
        var events = new Event[N];
        for (var i = 0; i < N; i++)
        {
            events[i] = new Event(i, null);
        }

        foreach (var e in events)
        {
            await dispatcher.DispatchAsync(e, e);
        }

        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TimeSpan.FromMinutes(1)));

        var badAcks = events.Count(e => e.Acks != 1);
        Assert.Equal(0, badAcks);
        Assert.Equal(N, dispatcher.AcknowledgedCount);
        Assert.All(new[] { flaky.Commits, batch.Commits, deadLetters.Letters }, commits => Assert.Equal(0, commits.Count(c => c != 1)));
        Assert.Equal(0, deadLetters.Malformed);
        Assert.Equal(0, drop.Commits.Count(c => c > 1));

        var dropMetrics = dispatcher.GetSinkMetrics("drop");
        Assert.Equal(N, drop.Commits.Sum() + dropMetrics.Dropped);
        Assert.True(dropMetrics.Dropped > 0, "The slow Drop sink never dropped.");
        Assert.Equal(N, dispatcher.GetSinkMetrics("flaky").Delivered);
        Assert.True(dispatcher.GetSinkMetrics("flaky").Retries > 0);
        Assert.True(dispatcher.GetSinkMetrics("batch").Retries > 0);
        Assert.Equal(new DeliverySinkMetrics("poison", 0, 0, 0, N, 0, 0), dispatcher.GetSinkMetrics("poison"));
    }

    [Fact]
    public async Task Concurrent_dispatchers_ack_each_event_once_through_small_Block_and_Drop_queues()
    {
        // Four producers race into queues of one to four items, so every dispatch contends: Block dispatches park and
        // are woken, Drop dispatches overflow. Whatever the interleaving, each event is acknowledged exactly once, and
        // once each Block sink committed it (a Drop sink committed it, or counted it as dropped).
        const int Producers = 4;
        const int PerProducer = 25_000;
        const int N = Producers * PerProducer;
        var block = new CountingSink("block", N, failureRate: 0.01, seed: 4);
        var batch = new CountingBatchSink("batch", N, failureRate: 0.01, seed: 5);
        var drop = new CountingSink("drop", N, failureRate: 0.01, seed: 6, spin: 20);
        var bestEffort = new CountingSink("best-effort", N, failureRate: 0, seed: 7, spin: 50);
        var options = new DeliveryOptions<Event>
        {
            TimeProvider = new FakeTimeProvider(),
            BackoffBase = TimeSpan.Zero,
            MaxBackoff = TimeSpan.Zero,
            MaxRetries = 30,
            QueueCapacity = 1,
        };
        options.AddSink(block)
            .AddSink(batch, new DeliverySinkOptions { QueueCapacity = 4, MaxBatch = 4 })
            .AddSink(drop, new DeliverySinkOptions { OnFull = OnFull.Drop, QueueCapacity = 2 })
            .AddSink(bestEffort, new DeliverySinkOptions { OnFull = OnFull.Drop, QueueCapacity = 1, BestEffort = true });
        var dispatcher = new DeliveryDispatcher<Event>(options);
        var events = Enumerable.Range(0, N).Select(i => new Event(i, null)).ToArray();

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (var i = p; i < N; i += Producers)
            {
                await dispatcher.DispatchAsync(events[i], events[i]);
            }
        })).ToArray();
        await Task.WhenAll(producers).WaitAsync(TestLimits.Hang);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));

        Assert.Equal(0, events.Count(e => e.Acks != 1));
        Assert.Equal(N, dispatcher.AcknowledgedCount);
        Assert.Equal(0, block.Commits.Count(c => c != 1));
        Assert.Equal(0, batch.Commits.Count(c => c != 1));
        Assert.Equal(0, drop.Commits.Count(c => c > 1));
        Assert.Equal(0, bestEffort.Commits.Count(c => c > 1));
        Assert.Equal(N, drop.Commits.Sum() + dispatcher.GetSinkMetrics("drop").Dropped);
        Assert.Equal(N, bestEffort.Commits.Sum() + dispatcher.GetSinkMetrics("best-effort").Dropped);
        Assert.Equal(N, dispatcher.GetSinkMetrics("block").Delivered);
        Assert.Equal(N, dispatcher.GetSinkMetrics("batch").Delivered);
    }

    [Fact]
    public async Task Shutdown_in_the_middle_of_concurrent_dispatchers_acks_only_what_every_sink_committed()
    {
        const int Producers = 4;
        const int Cap = 1_000_000;
        var tally = new AckTally(50_000);
        var (dispatcher, drop, flaky, batch, deadLetters) = Create(Cap);
        var events = new Event?[Cap];
        var dispatchedOk = new bool[Cap];
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (var i = p; i < Cap; i += Producers)
            {
                var e = events[i] = new Event(i, tally);
                try
                {
                    await dispatcher.DispatchAsync(e, e);
                }
                catch (InvalidOperationException)
                {
                    return true;
                }

                dispatchedOk[i] = true;
            }

            return false;
        })).ToArray();

        await tally.Reached.WaitAsync(TestLimits.Hang);
        var drained = await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TestLimits.Hang);
        // A producer is rejected by the shutdown, or (on a machine slow to run this continuation) finished first.
        await Task.WhenAll(producers).WaitAsync(TestLimits.Hang);

        var acked = 0;
        var ackedButNotCommitted = 0;
        var committedButNotAcked = 0;
        var duplicates = 0;
        var okButUnacked = 0;
        for (var i = 0; i < Cap; i++)
        {
            if (events[i] is not { } e)
            {
                continue;
            }

            var everywhere = flaky.Commits[i] == 1 && batch.Commits[i] == 1 && deadLetters.Letters[i] == 1;
            duplicates += (e.Acks > 1 ? 1 : 0) + (flaky.Commits[i] > 1 ? 1 : 0) + (batch.Commits[i] > 1 ? 1 : 0) +
                          (deadLetters.Letters[i] > 1 ? 1 : 0) + (drop.Commits[i] > 1 ? 1 : 0);
            if (e.Acks == 1)
            {
                acked++;
                ackedButNotCommitted += everywhere ? 0 : 1;
            }
            else if (everywhere && drop.Commits[i] == 1)
            {
                committedButNotAcked++;
            }

            okButUnacked += dispatchedOk[i] && e.Acks == 0 ? 1 : 0;
        }

        Assert.Equal(0, duplicates);
        Assert.Equal(0, ackedButNotCommitted);
        Assert.Equal(0, committedButNotAcked);
        Assert.Equal(acked, dispatcher.AcknowledgedCount);
        Assert.True(acked >= 50_000, $"Only {acked} acknowledgements.");
        // A drained shutdown acknowledged every dispatch that returned. Not the converse: a dispatch the shutdown cut
        // half-way leaves its item in an earlier sink's queue, which is then not drained even if every dispatch that
        // returned was acknowledged.
        Assert.True(!drained || okButUnacked == 0, $"drained, yet {okButUnacked} dispatches that returned were not acknowledged");
    }

    [Fact]
    public async Task Shutdown_in_the_middle_acks_only_what_every_sink_committed()
    {
        const int Cap = 2_000_000;
        var tally = new AckTally(50_000);
        var (dispatcher, drop, flaky, batch, deadLetters) = Create(Cap);
        var events = new Event?[Cap];
        var dispatchedOk = new bool[Cap];
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < Cap; i++)
            {
                var e = events[i] = new Event(i, tally);
                try
                {
                    await dispatcher.DispatchAsync(e, e);
                }
                catch (InvalidOperationException)
                {
                    return i;
                }

                dispatchedOk[i] = true;
            }

            return Cap;
        });

        await tally.Reached.WaitAsync(TimeSpan.FromMinutes(1));
        var drained = await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TimeSpan.FromMinutes(1));
        var stoppedAt = await producer.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.True(stoppedAt < Cap, "The producer finished before the shutdown.");
        var acked = 0;
        var ackedButNotCommitted = 0;
        var committedButNotAcked = 0;
        var duplicates = 0;
        var okButUnacked = 0;
        for (var i = 0; i <= stoppedAt; i++)
        {
            var e = events[i]!;
            var everywhere = flaky.Commits[i] == 1 && batch.Commits[i] == 1 && deadLetters.Letters[i] == 1;
            duplicates += (e.Acks > 1 ? 1 : 0) + (flaky.Commits[i] > 1 ? 1 : 0) + (batch.Commits[i] > 1 ? 1 : 0) +
                          (deadLetters.Letters[i] > 1 ? 1 : 0) + (drop.Commits[i] > 1 ? 1 : 0);
            if (e.Acks == 1)
            {
                acked++;
                ackedButNotCommitted += everywhere ? 0 : 1;
            }
            else if (everywhere && drop.Commits[i] == 1)
            {
                committedButNotAcked++;
            }

            okButUnacked += dispatchedOk[i] && e.Acks == 0 ? 1 : 0;
        }

        Assert.Equal(0, duplicates);
        Assert.Equal(0, ackedButNotCommitted);
        Assert.Equal(0, committedButNotAcked);
        Assert.Equal(acked, dispatcher.AcknowledgedCount);
        Assert.InRange(acked, 50_000, stoppedAt);
        // A drained shutdown acknowledged every dispatch that returned. Not the converse: a dispatch the shutdown cut
        // half-way leaves its item in an earlier sink's queue, which is then not drained even if every dispatch that
        // returned was acknowledged.
        Assert.True(!drained || okButUnacked == 0, $"drained, yet {okButUnacked} dispatches that returned were not acknowledged");
        Assert.All(events.Skip(stoppedAt + 1).Take(1000), e => Assert.Null(e));
    }
}

/// <summary>
/// The ack join's allocation count, measured with the thread's allocation counter. It runs alone (no other test class in
/// parallel): under the load of the other stress tests, dispatches wake parked workers more often, and the thread-pool
/// work items they queue pushed a round over the bound about once in five full runs.
/// </summary>
[Collection(AllocationCollection.Name)]
public class DeliveryAllocationTests
{
    /// <summary>Commits at once while its gate is open; while it is closed, a write waits for it to open.</summary>
    private sealed class GatedSink(string name, Func<Task> gate, Action entered) : IDeliverySink<int>
    {
        public string Name { get; } = name;

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            var open = gate();
            if (open.IsCompleted)
            {
                return ValueTask.CompletedTask;
            }

            entered();
            return new ValueTask(open);
        }
    }

    private sealed class SharedAck : IAckToken
    {
        public int Count;

        public void Acknowledge() => Interlocked.Increment(ref Count);
    }

    [Fact]
    public Task The_ack_join_costs_at_most_one_allocation_per_event() => AssertAtMostOneAllocationPerEventAsync(0);

    /// <summary>
    /// docs/tracing.md, "Cost when nobody listens": with a listener on the library's source that samples nothing, the
    /// dispatcher adds no allocation of its own per item (no span, no traced envelope, its span name computed once);
    /// what remains is <see cref="System.Diagnostics.ActivitySource.StartActivity(string, System.Diagnostics.ActivityKind)"/>'s own cost of asking the
    /// listener, measured here on the same listener (the page once said "no allocation", which the runtime does not allow).
    /// </summary>
    [Fact]
    public async Task A_listener_that_samples_nothing_adds_no_allocation_of_the_dispatchers_own_per_event()
    {
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == StreamTracing.ActivitySourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.None,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);

        // The runtime's cost of one unsampled StartActivity call (the least of three rounds).
        const int Calls = 10_000;
        var askingCost = long.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Calls; i++)
            {
                Assert.Null(StreamTracing.Source.StartActivity("dispatch probe", System.Diagnostics.ActivityKind.Producer, default(System.Diagnostics.ActivityContext)));
            }

            askingCost = Math.Min(askingCost, (GC.GetAllocatedBytesForCurrentThread() - before) / Calls);
        }

        await AssertAtMostOneAllocationPerEventAsync(askingCost);
    }

    /// <param name="allowance">Bytes per event allowed beyond the envelope (the runtime's own, measured by the caller).</param>
    private static async Task AssertAtMostOneAllocationPerEventAsync(long allowance)
    {
        const int N = 100_000;
        const int Sinks = 4;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        var entered = 0;
        var options = new DeliveryOptions<int> { QueueCapacity = 4 * N, DeadLetterSink = new RecordingSink<DeadLetter<int>>("dead") };
        for (var s = 0; s < Sinks; s++)
        {
            options.AddSink(new GatedSink($"sink-{s}", () => Volatile.Read(ref gate).Task, () => Interlocked.Increment(ref entered)));
        }

        var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new SharedAck();

        // Warm up: the JIT, and the queues' ring arrays, which grow on demand. They must already be as large as the
        // measurement below needs (its items wait in the queues), so the warm-up fills them that far with the workers
        // held in their sinks, then lets the workers catch up.
        const int Rounds = 3;
        const int WarmUp = Rounds * N + 1;
        Volatile.Write(ref gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        for (var i = 0; i < WarmUp; i++)
        {
            await dispatcher.DispatchAsync(i, ack);
        }

        Volatile.Read(ref gate).SetResult();
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref ack.Count) == WarmUp, TestLimits.Hang), "the warm-up was never acknowledged");

        // Hold every worker inside its sink (busy, not parked), so that no dispatch below wakes a worker: a wake queues
        // a thread-pool work item on this thread, and how often that happened depended on the machine's load.
        Volatile.Write(ref entered, 0);
        Volatile.Write(ref gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await dispatcher.DispatchAsync(-1, ack);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref entered) == Sinks, TestLimits.Hang), "the workers never entered their sinks");

        // Every dispatch completes synchronously (the queues never fill), so the loop stays on this thread and the
        // thread's allocation counter sees exactly what dispatching costs. (The workers allocate nothing per item in
        // Release; a Debug build compiles async state machines as classes, so they are left out of this count.)
        // The least of three rounds: a second object per event would show in every round.
        var perEvent = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < N; i++)
            {
                var dispatch = dispatcher.DispatchAsync(i, ack);
                Assert.True(dispatch.IsCompletedSuccessfully);
            }

            perEvent = Math.Min(perEvent, (double)(GC.GetAllocatedBytesForCurrentThread() - before) / N);
        }

        Volatile.Read(ref gate).SetResult();

        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Equal(WarmUp + 1 + (Rounds * N), ack.Count);

        // One envelope is 40 bytes on 64-bit; a second object per event would make it 80 or more. With the workers held
        // busy no dispatch wakes one, so nothing else is allocated here; the bound still says "fewer than two objects
        // per event", and the benchmark (DeliveryFanOutBenchmarks) reports the exact figure.
        Assert.InRange(perEvent, 1, 79 + allowance);
    }
}
