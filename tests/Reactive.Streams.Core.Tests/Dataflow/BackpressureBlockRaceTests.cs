using System.Collections.Concurrent;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Dataflow;

/// <summary>
/// Races on real threads through the Dataflow block: several producers (Post, SendAsync, some cancelled while
/// postponed), several linked targets (filtered, bounded by MaxMessages, non-greedy ones that reserve before they
/// consume, links made and disposed while the block propagates), direct receivers (TryReceive, TryReceiveAll) and
/// completion or a fault racing all of them. The assertions hold on every interleaving: no message comes out twice, every
/// message out was accepted, a completed block gave out or evicted every accepted message, filters and MaxMessages hold,
/// each receiver sees each producer's messages in order, and the counters add up with what came out.
/// </summary>
public class BackpressureBlockRaceTests
{
    private const int Iterations = 40;
    private const int Producers = 3;
    private const int PerProducer = 120;
    private const long DegradedBit = 1L << 62;

    /// <summary>
    /// Under Fail an offer from a source that is declined is not counted (the source keeps the message and may offer it
    /// again); only a refused offer without a source (Post) is an overflow. An offer from a source whose look-ahead found
    /// room, and whose push then found it taken by a concurrent Post, was counted as an overflow all the same, so its
    /// message could be counted twice (overflowed, then accepted when offered again). Each round races one such offer
    /// with one Post for the one free slot; whoever loses, only a refused Post is counted.
    /// </summary>
    [Fact]
    public void Fail_counts_only_refused_Posts_when_offers_from_a_source_race_them_for_the_last_slot()
    {
        const int Rounds = 20_000;
        var block = new BackpressureBlock<int>(BackpressurePolicy.Fail, 1);
        var source = new NeverConsumedSource();
        var refusedPosts = 0;
        using var barrier = new Barrier(2);
        var offering = new Thread(() =>
        {
            for (var i = 0; i < Rounds; i++)
            {
                Assert.True(barrier.SignalAndWait(TestLimits.Hang));
                ((ITargetBlock<int>)block).OfferMessage(new DataflowMessageHeader(i + 1), i, source, consumeToAccept: false);
                Assert.True(barrier.SignalAndWait(TestLimits.Hang));
            }
        });
        offering.Start();
        for (var i = 0; i < Rounds; i++)
        {
            Assert.True(barrier.SignalAndWait(TestLimits.Hang));
            if (!block.Post(-1))
            {
                refusedPosts++;
            }

            Assert.True(barrier.SignalAndWait(TestLimits.Hang));
            Assert.True(block.TryReceive(out _));
        }

        Assert.True(offering.Join(TestLimits.Hang));
        var metrics = block.GetMetrics();
        Assert.Equal(refusedPosts, metrics.FailOverflows);
        Assert.Equal(Rounds + refusedPosts, metrics.ItemsPushed);
        Assert.True(metrics.IsConserved, metrics.ToString());
    }

    /// <summary>
    /// A fault racing a message on its way in (taken from its source with consumeToAccept) faults the block. The fault
    /// marked the block as completing before it completed the engine with its error; a message that finished entering
    /// in between saw a completion requested and nothing left entering, and completed the engine without an error
    /// first, so the fault was lost and the block (and every target it propagates to) completed successfully.
    /// </summary>
    [Fact]
    public void A_fault_racing_a_message_on_its_way_in_faults_the_block()
    {
        // Failed within the first 4,000 rounds in every run on the old code on a quiet machine.
        const int Rounds = 5_000;
        var source = new AlwaysConsumedSource();
        BackpressureBlock<int>? block = null;
        using var barrier = new Barrier(2);
        var offering = new Thread(() =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                Assert.True(barrier.SignalAndWait(TestLimits.Hang));
                var target = (ITargetBlock<int>)Volatile.Read(ref block)!;
                for (var id = 1L; ; id++)
                {
                    if (target.OfferMessage(new DataflowMessageHeader(id), 0, source, consumeToAccept: true) ==
                        DataflowMessageStatus.DecliningPermanently)
                    {
                        break;
                    }
                }

                Assert.True(barrier.SignalAndWait(TestLimits.Hang));
            }
        });
        offering.Start();
        var boom = new InvalidOperationException("boom");
        var failures = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            Volatile.Write(ref block, new BackpressureBlock<int>(BackpressurePolicy.DropOldest, 4));
            Assert.True(barrier.SignalAndWait(TestLimits.Hang));
            block.Fault(boom);
            Assert.True(barrier.SignalAndWait(TestLimits.Hang));
            if (!block.Completion.IsFaulted)
            {
                // Noted, not thrown: the offering thread still waits at the barrier for the remaining rounds.
                failures.Add($"round {round}: {block.Completion.Status}");
            }
        }

        Assert.True(offering.Join(TestLimits.Hang));
        Assert.Empty(failures);
    }

    /// <summary>
    /// A link with MaxMessages = 1 and a second link, both to targets that postpone every offer and consume it later on
    /// the thread pool, so the first target consumes its message while the block is offering the next one. The block
    /// counted a link's messages after the read, by target: an offer the link made just before its one message went could
    /// still be consumed, and the link took two (about once in several thousand rounds). <see cref="BufferBlock{T}"/>,
    /// the twin, runs the same rounds.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData(BackpressurePolicy.PauseUpstream)]
    [InlineData(BackpressurePolicy.DropOldest)]
    public void A_MaxMessages_link_takes_no_more_than_its_count_when_its_target_consumes_during_an_offer(BackpressurePolicy? policy)
    {
        const int Rounds = 10_000;
        const int Messages = 4;
        var failures = new List<string>();
        for (var round = 0; round < Rounds && failures.Count == 0; round++)
        {
            IPropagatorBlock<int, int> block = policy is { } p
                ? new BackpressureBlock<int>(p, 16)
                : new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 16 });
            var limited = new LaterConsumingTarget();
            var other = new LaterConsumingTarget();
            block.LinkTo(limited, new DataflowLinkOptions { MaxMessages = 1 });
            block.LinkTo(other);
            for (var i = 0; i < Messages; i++)
            {
                Assert.True(block.Post(i));
            }

            // Each message goes to exactly one of the two (the loser of a consume race is offered the next message), so
            // the wait ends when all four are out; the hang limit only turns a lost message into a failure.
            Assert.True(SpinWait.SpinUntil(() => limited.Count + other.Count == Messages, TestLimits.Hang), $"round {round}: {limited.Count} + {other.Count} of {Messages} came out");
            if (limited.Count > 1)
            {
                failures.Add($"round {round}: the MaxMessages = 1 link took {limited.Count}");
            }
        }

        Assert.Empty(failures);
    }

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public async Task Linked_targets_and_receivers_racing_completion_lose_and_duplicate_nothing(BackpressurePolicy policy)
    {
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            await new Run(policy, iteration, fault: false).Execute().WaitAsync(TestLimits.Hang);
        }
    }

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public async Task Linked_targets_and_receivers_racing_a_fault_duplicate_nothing(BackpressurePolicy policy)
    {
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            await new Run(policy, iteration, fault: true).Execute().WaitAsync(TestLimits.Hang);
        }
    }

    /// <summary>
    /// A chain of two policy blocks (the second PauseUpstream, so nothing is lost between them) to a bounded sink, with
    /// PropagateCompletion, while producers send and the first block completes or faults at a random moment: completion
    /// or the fault reaches the sink, and after a completion every message the first block accepted reached the sink or
    /// was evicted by it.
    /// </summary>
    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public async Task Completion_and_faults_propagate_through_a_chain_racing_its_producers(BackpressurePolicy policy)
    {
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var fault = iteration % 2 == 1;
            var evicted = new ConcurrentQueue<long>();
            var first = new BackpressureBlock<long>(new BoundedStreamOptions<long>(policy, 2)
            {
                Degrader = static x => x | DegradedBit,
                OnDropped = evicted.Enqueue,
            });
            var second = new BackpressureBlock<long>(BackpressurePolicy.PauseUpstream, 1);
            var received = new ConcurrentQueue<long>();
            var sink = new ActionBlock<long>(received.Enqueue, new ExecutionDataflowBlockOptions { BoundedCapacity = 1 });
            first.LinkTo(second, new DataflowLinkOptions { PropagateCompletion = true });
            second.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });
            var accepted = new ConcurrentQueue<long>();
            var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
            {
                for (long i = 0; i < PerProducer; i++)
                {
                    var item = ((long)p << 32) | i;
                    if (await first.SendAsync(item))
                    {
                        accepted.Enqueue(item);
                    }
                }
            })).ToArray();

            await Task.WhenAny(producers);
            var boom = new InvalidOperationException("boom");
            if (fault)
            {
                first.Fault(boom);
            }
            else
            {
                first.Complete();
            }

            await Task.WhenAll(producers).WaitAsync(TestLimits.Hang);
            await sink.Completion.ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(TestLimits.Hang);
            await second.Completion.ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(TestLimits.Hang);

            var received_ = received.Select(x => x & ~DegradedBit).ToList();
            Assert.Equal(received_.Count, received_.Distinct().Count());
            Assert.All(received_, x => Assert.Contains(x, accepted));
            if (fault)
            {
                Assert.True(sink.Completion.IsFaulted, $"iteration {iteration}: {sink.Completion.Status}");
                Assert.Contains(boom, sink.Completion.Exception!.Flatten().InnerExceptions);
            }
            else
            {
                Assert.True(sink.Completion.IsCompletedSuccessfully, $"iteration {iteration}: {sink.Completion.Status}");
                Assert.Equal(accepted.Count, received_.Count + evicted.Count);
                var firstMetrics = first.GetMetrics();
                var secondMetrics = second.GetMetrics();
                Assert.True(firstMetrics.IsConserved && secondMetrics.IsConserved, $"{firstMetrics} {secondMetrics}");
                // The second block counts as rejected a postponed offer whose message its source no longer had (evicted
                // there, or taken by a receive) when it came to consume it, as it counts a withdrawn SendAsync.
                Assert.Equal(firstMetrics.ItemsDelivered, secondMetrics.ItemsPushed - secondMetrics.ItemsRejected);
                Assert.Equal(0, secondMetrics.FailOverflows + secondMetrics.ItemsEvicted);
                Assert.Equal(secondMetrics.ItemsDelivered, received_.Count);
            }
        }
    }

    /// <summary>
    /// A link made with PropagateCompletion while the block faults is faulted, never completed: the block's Completion
    /// says how it ended by the time a link made after it ended propagates from it. A link made in the moment between
    /// the block's ending and its Completion being set was completed instead of faulted.
    /// </summary>
    [Fact]
    public async Task A_link_made_while_the_block_faults_is_faulted()
    {
        for (var iteration = 0; iteration < 5 * Iterations; iteration++)
        {
            var block = new BackpressureBlock<int>(BackpressurePolicy.PauseUpstream, 1);
            var boom = new InvalidOperationException("boom");
            var targets = new List<BufferBlock<int>>();
            var go = new Barrier(2);
            var linking = Task.Run(() =>
            {
                go.SignalAndWait();
                while (!block.Completion.IsCompleted)
                {
                    var target = new BufferBlock<int>();
                    block.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });
                    targets.Add(target);
                }

                var last = new BufferBlock<int>();
                block.LinkTo(last, new DataflowLinkOptions { PropagateCompletion = true });
                targets.Add(last);
            });
            go.SignalAndWait();
            block.Fault(boom);
            await linking.WaitAsync(TestLimits.Hang);

            foreach (var target in targets)
            {
                await target.Completion.ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(TestLimits.Hang);
                Assert.True(target.Completion.IsFaulted, $"iteration {iteration}: a link made while the block faulted was {target.Completion.Status}");
            }
        }
    }

    private sealed class Run(BackpressurePolicy policy, int seed, bool fault)
    {
        private const int EvenMax = 40;

        private readonly ConcurrentQueue<long> _dropped = new();
        private readonly ConcurrentQueue<long> _accepted = new();
        private readonly ConcurrentDictionary<string, ConcurrentQueue<long>> _received = new();
        private long _declined;
        private long _cancelled;

        public async Task Execute()
        {
            var block = new BackpressureBlock<long>(new BoundedStreamOptions<long>(policy, 1 + (seed % 3))
            {
                Degrader = static x => x | DegradedBit,
                OnDropped = _dropped.Enqueue,
            });

            // A filtered, MaxMessages-bounded non-greedy target (it reserves, then consumes), a filtered bounded buffer, and
            // a catch-all bounded action, so the block always drains.
            // Non-greedy only where nothing is evicted: a reserved message may be evicted under DropOldest and DegradeQuality,
            // and a non-greedy block faults when it cannot consume what it reserved.
            var evicts = policy is BackpressurePolicy.DropOldest or BackpressurePolicy.DegradeQuality;
            var even = new BatchBlock<long>(1, new GroupingDataflowBlockOptions { Greedy = evicts, BoundedCapacity = evicts ? 1 : -1 });
            var thirds = new BufferBlock<long>(new DataflowBlockOptions { BoundedCapacity = 1 });
            var all = new ActionBlock<long>(Record("all"), new ExecutionDataflowBlockOptions { BoundedCapacity = 1 });
            block.LinkTo(even, new DataflowLinkOptions { MaxMessages = EvenMax }, x => (x & 1) == 0);
            block.LinkTo(thirds, new DataflowLinkOptions(), x => x % 3 == 0);
            block.LinkTo(all, new DataflowLinkOptions());
            var evenSink = new ActionBlock<long[]>(batch => Array.ForEach(batch, Record("even")));
            even.LinkTo(evenSink, new DataflowLinkOptions { PropagateCompletion = true });
            var thirdsSink = new ActionBlock<long>(Record("thirds"));
            thirds.LinkTo(thirdsSink, new DataflowLinkOptions { PropagateCompletion = true });

            var producing = Enumerable.Range(0, Producers).Select(p => Task.Run(() => Produce(block, p))).ToArray();
            var stop = new CancellationTokenSource();
            var receivers = new[]
            {
                Task.Run(() => Receive(block, "receive", stop.Token)),
                Task.Run(() => ReceiveAll(block, stop.Token)),
                Task.Run(() => LinkAndUnlink(block, stop.Token)),
                Task.Run(() => ReceiveAsync(block, stop.Token)),
            };

            if (fault)
            {
                await Task.WhenAny(producing);
                block.Fault(new InvalidOperationException("boom"));
            }

            await Task.WhenAll(producing);
            block.Complete();
            await block.Completion.ContinueWith(static _ => { }, TaskScheduler.Default);
            stop.Cancel();
            await Task.WhenAll(receivers);
            even.Complete();
            thirds.Complete();
            all.Complete();
            await Task.WhenAll(evenSink.Completion, thirdsSink.Completion, all.Completion);

            Check(block);
        }

        private Action<long> Record(string receiver)
        {
            var queue = _received.GetOrAdd(receiver, static _ => new());
            return queue.Enqueue;
        }

        private async Task Produce(BackpressureBlock<long> block, int producer)
        {
            var random = new Random(seed * 31 + producer);
            for (long i = 0; i < PerProducer; i++)
            {
                var item = ((long)producer << 32) | i;
                bool accepted;
                if (random.Next(2) == 0)
                {
                    accepted = block.Post(item);
                }
                else
                {
                    using var cts = new CancellationTokenSource();
                    var sending = block.SendAsync(item, cts.Token);
                    if (random.Next(3) == 0)
                    {
                        cts.Cancel();
                    }

                    try
                    {
                        accepted = await sending;
                    }
                    catch (OperationCanceledException)
                    {
                        Interlocked.Increment(ref _cancelled);
                        continue;
                    }
                }

                if (accepted)
                {
                    _accepted.Enqueue(item);
                }
                else
                {
                    Interlocked.Increment(ref _declined);
                }
            }
        }

        private void Receive(BackpressureBlock<long> block, string name, CancellationToken stop)
        {
            var record = Record(name);
            var spin = new SpinWait();
            while (!stop.IsCancellationRequested)
            {
                if (block.TryReceive(out var item))
                {
                    record(item);
                }
                else
                {
                    spin.SpinOnce();
                }
            }
        }

        // ReceiveAsync, some cancelled at once: a receive cancelled as a message reaches it either takes it or leaves it.
        private async Task ReceiveAsync(BackpressureBlock<long> block, CancellationToken stop)
        {
            var record = Record("receive-async");
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                using var cts = new CancellationTokenSource();
                var receiving = block.ReceiveAsync(cts.Token);
                if (random.Next(3) == 0)
                {
                    cts.Cancel();
                }

                try
                {
                    record(await receiving);
                }
                catch (OperationCanceledException)
                {
                }
                catch (InvalidOperationException)
                {
                    // The block completed (or faulted) with nothing left for this receive, and said so first.
                    Assert.True(block.Completion.IsCompleted, $"seed {seed}: ReceiveAsync failed before the block completed");
                    return;
                }
            }
        }

        private void ReceiveAll(BackpressureBlock<long> block, CancellationToken stop)
        {
            var record = Record("receive-all");
            var spin = new SpinWait();
            while (!stop.IsCancellationRequested)
            {
                if (block.TryReceiveAll(out var items))
                {
                    foreach (var item in items)
                    {
                        record(item);
                    }
                }
                else
                {
                    spin.SpinOnce();
                }
            }
        }

        // A link made and disposed while the block propagates: each takes at most one message.
        private async Task LinkAndUnlink(BackpressureBlock<long> block, CancellationToken stop)
        {
            var record = Record("transient");
            while (!stop.IsCancellationRequested)
            {
                var target = new ClosingTarget();
                using (block.LinkTo(target, new DataflowLinkOptions { MaxMessages = 1 }))
                {
                    await Task.Yield();
                }

                var taken = target.Close();
                Assert.True(taken.Count <= 1, $"seed {seed}: a MaxMessages = 1 link took {taken.Count} messages");
                taken.ForEach(record);
            }
        }

        private void Check(BackpressureBlock<long> block)
        {
            var acceptedSet = _accepted.ToHashSet();
            var outcomes = new Dictionary<long, string>();
            foreach (var (receiver, items) in _received)
            {
                var last = new long[Producers];
                Array.Fill(last, -1);
                foreach (var raw in items)
                {
                    var item = raw & ~DegradedBit;
                    Assert.True(acceptedSet.Contains(item), $"seed {seed}: {receiver} got {item:X}, which was not accepted");
                    Assert.True(outcomes.TryAdd(item, receiver), $"seed {seed}: {item:X} came out to {receiver} after {outcomes.GetValueOrDefault(item)}");
                    var producer = (int)(item >> 32);
                    Assert.True((item & 0xFFFFFFFF) > last[producer], $"seed {seed}: {receiver} got producer {producer}'s {item & 0xFFFFFFFF} after {last[producer]}");
                    last[producer] = item & 0xFFFFFFFF;
                }
            }

            foreach (var raw in _dropped)
            {
                var item = raw & ~DegradedBit;
                Assert.True(acceptedSet.Contains(item), $"seed {seed}: {item:X} was evicted but not accepted");
                Assert.True(outcomes.TryAdd(item, "evicted"), $"seed {seed}: {item:X} was evicted after it came out to {outcomes.GetValueOrDefault(item)}");
            }

            var even = _received.GetValueOrDefault("even") ?? [];
            Assert.True(even.Count <= EvenMax, $"seed {seed}: the MaxMessages = {EvenMax} link took {even.Count}");
            Assert.All(even, x => Assert.Equal(0, x & 1));
            Assert.All(_received.GetValueOrDefault("thirds") ?? [], x => Assert.Equal(0, x % 3));

            var metrics = block.GetMetrics();
            Assert.True(metrics.IsConserved, $"seed {seed}: {metrics}");
            Assert.Equal(0, metrics.Depth);
            Assert.Equal(_received.Values.Sum(q => q.Count), metrics.ItemsDelivered);
            Assert.Equal(_dropped.Count, metrics.ItemsEvicted);
            if (!fault)
            {
                Assert.True(block.Completion.IsCompletedSuccessfully, $"seed {seed}: {block.Completion.Status}");

                // Every accepted message came out or was evicted.
                Assert.True(outcomes.Count == acceptedSet.Count, $"seed {seed}: {acceptedSet.Count} accepted, {outcomes.Count} came out or were evicted ({metrics})");
                Assert.Equal(_accepted.Count, metrics.ItemsDelivered + metrics.ItemsEvicted);

                // Nothing was offered after Complete, so what failed is what the producers saw fail: a Fail block's
                // declines (each an overflow), a PauseUpstream block's cancelled sends (each a rejected push); a full
                // PauseUpstream block declines Post without counting it. A SendAsync whose first offer (without a source,
                // as Post's) overflowed and whose second (with its source) found room counts an overflow and is accepted,
                // so a Fail block may count more overflows than declines (the block cannot tell that offer from a Post).
                var declined = Interlocked.Read(ref _declined);
                var cancelled = Interlocked.Read(ref _cancelled);
                Assert.True(policy == BackpressurePolicy.Fail ? metrics.FailOverflows >= declined : metrics.FailOverflows == 0, $"seed {seed}: {declined} declined, {metrics}");
                Assert.Equal(policy == BackpressurePolicy.PauseUpstream ? cancelled : 0, metrics.ItemsRejected);
                Assert.Equal(_accepted.Count, metrics.ItemsPushed - metrics.ItemsFailed);
            }
            else
            {
                Assert.True(block.Completion.IsFaulted, $"seed {seed}: {block.Completion.Status}");
                Assert.True(_accepted.Count >= metrics.ItemsDelivered + metrics.ItemsEvicted, $"seed {seed}: {_accepted.Count} accepted, {metrics}");
            }
        }
    }

    /// <summary>
    /// A target that consumes every message offered until it is closed, and none after: a message in flight when the link
    /// is disposed is either taken before <see cref="Close"/> returns or declined.
    /// </summary>
    /// <summary>A target that postpones every offer and consumes it on the thread pool, counting what it got.</summary>
    private sealed class LaterConsumingTarget : ITargetBlock<int>
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task Completion { get; } = new TaskCompletionSource().Task;

        public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, int messageValue, ISourceBlock<int>? source, bool consumeToAccept)
        {
            ArgumentNullException.ThrowIfNull(source);
            ThreadPool.UnsafeQueueUserWorkItem(
                state =>
                {
                    state.source.ConsumeMessage(state.messageHeader, state.target, out var consumed);
                    if (consumed)
                    {
                        Interlocked.Increment(ref state.target._count);
                    }
                },
                (source, messageHeader, target: this),
                preferLocal: false);
            return DataflowMessageStatus.Postponed;
        }

        public void Complete()
        {
        }

        public void Fault(Exception exception)
        {
        }
    }

    private sealed class ClosingTarget : ITargetBlock<long>
    {
        private readonly Lock _lock = new();
        private readonly List<long> _taken = [];
        private bool _closed;

        public Task Completion { get; } = new TaskCompletionSource().Task;

        public List<long> Close()
        {
            lock (_lock)
            {
                _closed = true;
                return [.. _taken];
            }
        }

        public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, long messageValue, ISourceBlock<long>? source, bool consumeToAccept)
        {
            lock (_lock)
            {
                if (_closed)
                {
                    return DataflowMessageStatus.DecliningPermanently;
                }

                if (consumeToAccept)
                {
                    messageValue = source!.ConsumeMessage(messageHeader, this, out var consumed);
                    if (!consumed)
                    {
                        return DataflowMessageStatus.NotAvailable;
                    }
                }

                _taken.Add(messageValue);
                return DataflowMessageStatus.Accepted;
            }
        }

        public void Complete()
        {
        }

        public void Fault(Exception exception)
        {
        }
    }

    /// <summary>A source that gives up every message it offers when it is consumed.</summary>
    private sealed class AlwaysConsumedSource : ISourceBlock<int>
    {
        public Task Completion { get; } = new TaskCompletionSource().Task;

        public int ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target, out bool messageConsumed)
        {
            messageConsumed = true;
            return (int)messageHeader.Id;
        }

        public bool ReserveMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target) => true;

        public void ReleaseReservation(DataflowMessageHeader messageHeader, ITargetBlock<int> target)
        {
        }

        public IDisposable LinkTo(ITargetBlock<int> target, DataflowLinkOptions linkOptions) => throw new NotSupportedException();

        public void Complete()
        {
        }

        public void Fault(Exception exception)
        {
        }
    }

    /// <summary>A source whose messages are offered without consumeToAccept, so nothing is ever consumed from it.</summary>
    private sealed class NeverConsumedSource : ISourceBlock<int>
    {
        public Task Completion { get; } = new TaskCompletionSource().Task;

        public int ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target, out bool messageConsumed)
        {
            messageConsumed = false;
            return 0;
        }

        public bool ReserveMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target) => false;

        public void ReleaseReservation(DataflowMessageHeader messageHeader, ITargetBlock<int> target)
        {
        }

        public IDisposable LinkTo(ITargetBlock<int> target, DataflowLinkOptions linkOptions) => throw new NotSupportedException();

        public void Complete()
        {
        }

        public void Fault(Exception exception)
        {
        }
    }
}
