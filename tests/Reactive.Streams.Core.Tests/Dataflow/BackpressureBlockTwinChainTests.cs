using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Tests.Support;
using static Reactive.Streams.Tests.Dataflow.BlockTwins;

namespace Reactive.Streams.Tests.Dataflow;

/// <summary>
/// The block against its twin, <see cref="BufferBlock{T}"/> with <c>BoundedCapacity</c>, in the places the other twin
/// suites do not go: chains ending in a bounded <see cref="BatchBlock{T}"/>, predicate links whose fallback is bounded, a
/// link that throws from <c>OfferMessage</c>, a read of everything while a link holds a postponed offer, a reservation by
/// one target while a link waits, receivers blocked in <c>Receive</c> at completion, <c>AsObservable</c> at a fault, and
/// a capacity-1 block fed by a linked source under each policy. Each case is written once and runs on both.
/// </summary>
public class BackpressureBlockTwinChainTests
{
    private static readonly TimeSpan Guard = TestLimits.Hang;

    public static TheoryData<Twin> All => [Twin.BufferBlock, Twin.PauseUpstream, Twin.DropOldest, Twin.DegradeQuality, Twin.Fail];

    /// <summary>The kinds that drain a linked source into a full block (Fail leaves a declined message in its source).</summary>
    public static TheoryData<Twin> Draining => [Twin.BufferBlock, Twin.PauseUpstream, Twin.DropOldest, Twin.DegradeQuality];

    // ---- Chains ---------------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task TransformBlock_to_the_block_to_a_bounded_BatchBlock_makes_every_batch_in_order_and_completes(Twin twin)
    {
        // The batch block holds one batch at most (BoundedCapacity counts the batched items), so it postpones the
        // block's offers until its batch is received: the block must offer again when it makes room, in order.
        var transform = new TransformBlock<int, int>(x => x * 10);
        var block = Create(twin, 8);
        var batches = new BatchBlock<int>(3, new GroupingDataflowBlockOptions { BoundedCapacity = 3 });
        transform.LinkTo(block, new DataflowLinkOptions { PropagateCompletion = true });
        block.LinkTo(batches, new DataflowLinkOptions { PropagateCompletion = true });

        for (var i = 1; i <= 7; i++)
        {
            Assert.True(transform.Post(i));
        }

        transform.Complete();

        Assert.Equal(new[] { 10, 20, 30 }, await batches.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(new[] { 40, 50, 60 }, await batches.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(new[] { 70 }, await batches.ReceiveAsync().WaitAsync(Guard));
        await batches.Completion.WaitAsync(Guard);
        await block.Completion.WaitAsync(Guard);
        Assert.Equal(0, Count(block));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_message_the_predicate_link_declines_waits_for_the_bounded_fallback_and_the_next_goes_past_it(Twin twin)
    {
        var block = Create(twin, 8);
        var evens = new BufferBlock<int>();
        var rest = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1 });
        block.LinkTo(evens, x => x % 2 == 0);
        block.LinkTo(rest);

        for (var i = 1; i <= 6; i++)
        {
            Assert.True(block.Post(i));
        }

        // 3 waits in the block for the full fallback (and 4 behind it, as a source offers oldest first); each message the
        // fallback gives up lets the next odd one in, and the even one behind it past.
        Assert.Equal(1, await rest.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(3, await rest.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(5, await rest.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(2, await evens.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(4, await evens.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(6, await evens.ReceiveAsync().WaitAsync(Guard));
        block.Complete();
        await block.Completion.WaitAsync(Guard);
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_target_throwing_from_OfferMessage_faults_the_block_with_its_exception_and_propagates_the_fault(Twin twin)
    {
        var block = Create(twin, 4);
        var boom = new FormatException("target failed");
        var witness = new BufferBlock<int>();
        block.LinkTo(witness, new DataflowLinkOptions { PropagateCompletion = true }, _ => false);

        // Linked before the messages come: BufferBlock offers to a new link on the caller's thread (LinkTo would throw),
        // while the block and BufferBlock both offer a posted message from the thread pool, where the throw faults them.
        block.LinkTo(new ThrowingTarget(boom));
        block.Post(1);
        block.Post(2);

        await AssertFaultedWithAsync(block, boom, witness);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_SendAsync_postponed_when_a_target_throws_from_OfferMessage_completes_false(Twin twin)
    {
        var block = Create(twin, 1);
        var boom = new FormatException("target failed");
        var target = new ThrowingTarget(boom) { Armed = false };
        block.LinkTo(target);
        Assert.True(block.Post(1));
        Assert.True(await target.Postponed.WaitAsync(Guard));
        var send = block.SendAsync(2);

        if (twin is Twin.BufferBlock or Twin.PauseUpstream)
        {
            Assert.False(send.IsCompleted);
        }

        // Once armed, the target throws at the next offer: a reservation released by someone else makes both blocks offer
        // their oldest message again, from the thread pool.
        target.Armed = true;
        var other = new BufferBlock<int>();
        var oldest = new DataflowMessageHeader(twin is Twin.DropOldest or Twin.DegradeQuality ? 2 : 1);
        Assert.True(block.ReserveMessage(oldest, other));
        block.ReleaseReservation(oldest, other);

        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => block.Completion.WaitAsync(Guard)));
        var sent = await send.WaitAsync(Guard);
        Assert.Equal(twin is Twin.DropOldest or Twin.DegradeQuality, sent);
        Assert.Equal(0, Count(block));
        AssertConserved(block);
    }

    // ---- Reads and reservations beside a link ---------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task TryReceiveAll_takes_the_message_a_full_target_postponed_and_the_target_then_gets_the_next(Twin twin)
    {
        var block = Create(twin, 4);
        var target = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1 });
        Assert.True(target.Post(0));
        block.LinkTo(target);
        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        Assert.True(block.Post(3));

        Assert.True(Receivable(block).TryReceiveAll(out var all));
        Assert.Equal([1, 2, 3], all);

        // The target comes back for 1, which is gone, and takes 4, which came after.
        Assert.Equal(0, await target.ReceiveAsync().WaitAsync(Guard));
        Assert.True(block.Post(4));
        Assert.Equal(4, await target.ReceiveAsync().WaitAsync(Guard));
        Assert.False(target.TryReceive(out _));
        block.Complete();
        await block.Completion.WaitAsync(Guard);
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_message_reserved_by_one_target_goes_to_it_and_a_link_made_meanwhile_gets_the_rest_in_order(Twin twin)
    {
        var block = Create(twin, 4);
        var reserver = new BufferBlock<int>();
        var linked = new BufferBlock<int>();
        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        var header = new DataflowMessageHeader(1);
        Assert.True(block.ReserveMessage(header, reserver));

        block.LinkTo(linked);
        Assert.True(block.Post(3));
        var taken = block.ConsumeMessage(header, reserver, out var consumed);

        Assert.True(consumed);
        Assert.Equal(1, taken);
        Assert.Equal(2, await linked.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(3, await linked.ReceiveAsync().WaitAsync(Guard));
        block.Complete();
        await block.Completion.WaitAsync(Guard);
        Assert.False(linked.TryReceive(out _));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_ReceiveAsync_made_while_a_full_target_is_linked_gets_the_next_message(Twin twin)
    {
        var block = Create(twin, 4);
        var target = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1 });
        Assert.True(target.Post(0));
        block.LinkTo(target);
        var receive = block.ReceiveAsync();

        Assert.True(block.Post(1));

        // Dataflow links the receiver before the user's links (Append = false): it is offered the message first.
        Assert.Equal(1, await receive.WaitAsync(Guard));
        Assert.Equal(0, await target.ReceiveAsync().WaitAsync(Guard));
        Assert.True(block.Post(2));
        Assert.Equal(2, await target.ReceiveAsync().WaitAsync(Guard));
        AssertConserved(block);
    }

    // ---- Receivers at completion ----------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_blocking_Receive_pending_at_Complete_or_Fault_throws_InvalidOperationException(Twin twin)
    {
        var completed = Create(twin, 2);
        var faulted = Create(twin, 2);
        var receiving = new CountdownEvent(2);
        var atComplete = Task.Run(() =>
        {
            receiving.Signal();
            return completed.Receive(Guard);
        });
        var atFault = Task.Run(() =>
        {
            receiving.Signal();
            return faulted.Receive(Guard);
        });
        Assert.True(receiving.Wait(Guard));

        completed.Complete();
        faulted.Fault(new FormatException("upstream failed"));

        // Whether the receive had linked yet or not, a source that ends without data ends it the same way.
        await Assert.ThrowsAsync<InvalidOperationException>(() => atComplete.WaitAsync(Guard));
        await Assert.ThrowsAsync<InvalidOperationException>(() => atFault.WaitAsync(Guard));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Receivers_pending_on_a_block_that_completes_with_messages_get_them_in_order_then_hear_it_ended(Twin twin)
    {
        var block = Create(twin, 4);
        var first = block.ReceiveAsync();
        var second = block.ReceiveAsync();

        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        block.Complete();

        Assert.Equal([1, 2], (await Task.WhenAll(first, second).WaitAsync(Guard)).Order());
        await block.Completion.WaitAsync(Guard);
        Assert.False(await block.OutputAvailableAsync().WaitAsync(Guard));
        await Assert.ThrowsAsync<InvalidOperationException>(() => block.ReceiveAsync().WaitAsync(Guard));
        AssertConserved(block);
    }

    // ---- AsObservable ---------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task AsObservable_of_a_faulted_block_ends_its_observers_with_the_fault(Twin twin)
    {
        var block = Create(twin, 4);
        var boom = new FormatException("upstream failed");
        var observable = block.AsObservable();
        var seen = new List<int>();
        var ended = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = observable.Subscribe(
            x =>
            {
                lock (seen)
                {
                    seen.Add(x);
                }
            },
            error => ended.TrySetResult(error),
            () => ended.TrySetException(new InvalidOperationException("completed instead of faulting")));

        block.Fault(boom);

        var error = await ended.Task.WaitAsync(Guard);
        var expected = await Assert.ThrowsAsync<FormatException>(() => block.Completion.WaitAsync(Guard));
        Assert.Same(boom, expected);
        Assert.Same(boom, error is AggregateException aggregate ? Assert.Single(aggregate.Flatten().InnerExceptions) : error);
        Assert.Empty(seen);

        // A late subscriber hears the same end.
        var late = await Assert.ThrowsAnyAsync<Exception>(() => observable.ToTask().WaitAsync(Guard));
        Assert.Same(boom, late is AggregateException lateAggregate ? Assert.Single(lateAggregate.Flatten().InnerExceptions) : late);
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AsObservable_broadcasts_each_message_to_every_observer_and_one_that_leaves_stops_hearing(Twin twin)
    {
        var block = Create(twin, 4);
        var observable = block.AsObservable();
        var staying = observable.Take(3).ToList().ToTask();
        var leaving = observable.Take(1).ToList().ToTask();

        Assert.True(block.Post(1));
        Assert.Equal([1], await leaving.WaitAsync(Guard));
        Assert.True(block.Post(2));
        Assert.True(block.Post(3));

        Assert.Equal([1, 2, 3], await staying.WaitAsync(Guard));
        AssertConserved(block);
    }

    // ---- Capacity 1 under each policy -----------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Draining))]
    public async Task A_capacity_1_block_fed_by_a_completing_source_keeps_what_its_policy_promises(Twin twin)
    {
        var source = new BufferBlock<int>();
        var block = Create(twin, 1);
        for (var i = 1; i <= 5; i++)
        {
            Assert.True(source.Post(i));
        }

        source.Complete();
        source.LinkTo(block, new DataflowLinkOptions { PropagateCompletion = true });

        // PauseUpstream (BufferBlock's behaviour) postpones the source's offers: every message comes through, one at a
        // time. DropOldest and DegradeQuality take every offer at once, keeping only the newest (degraded when it
        // overflowed); then the source is empty, completes, and completes the block.
        var expected = twin switch
        {
            Twin.DropOldest => [5],
            Twin.DegradeQuality => [-5],
            _ => new[] { 1, 2, 3, 4, 5 },
        };
        if (twin is Twin.DropOldest or Twin.DegradeQuality)
        {
            await source.Completion.WaitAsync(Guard);
            Assert.Equal(1, Count(block));
        }

        var received = new List<int>();
        while (await block.OutputAvailableAsync().WaitAsync(Guard))
        {
            if (Receivable(block).TryReceive(out var item))
            {
                received.Add(item);
            }
        }

        Assert.Equal(expected, received);
        await block.Completion.WaitAsync(Guard);
        await source.Completion.WaitAsync(Guard);
        if (block is BackpressureBlock<int> policy)
        {
            var metrics = policy.GetMetrics();
            Assert.Equal(5, metrics.ItemsPushed);
            Assert.Equal(expected.Length, metrics.ItemsDelivered);
            Assert.True(metrics.IsConserved, metrics.ToString());
        }
    }

    [Fact]
    public async Task A_capacity_1_Fail_block_fed_by_a_source_takes_one_and_leaves_the_declined_rest_in_the_source()
    {
        // The documented difference: a source keeps the message Fail declines and offers it again only when its own oldest
        // message changes, so the rest stays in the source, uncounted by the block. The source offers 1 (taken) and then 2
        // on its own task; whether 2 meets the full block or the block after 1 was read is the scheduler's choice, so the
        // test waits until the block has declined 2. (A new link does not bring 2 back: a BufferBlock whose oldest message
        // everyone declined offers it to that new link's target alone.)
        var source = new BufferBlock<int>();
        var block = Create(Twin.Fail, 1);
        var offers = new OfferRecorder(block);
        for (var i = 1; i <= 3; i++)
        {
            Assert.True(source.Post(i));
        }

        source.LinkTo(offers, new DataflowLinkOptions { PropagateCompletion = true });
        await offers.Declined.Task.WaitAsync(Guard);

        Assert.Equal(1, await block.ReceiveAsync().WaitAsync(Guard));
        var metrics = ((BackpressureBlock<int>)block).GetMetrics();
        Assert.Equal(0, metrics.ItemsFailed);
        Assert.True(metrics.IsConserved, metrics.ToString());
        Assert.Equal(0, Count(block));
        Assert.Equal(2, source.Count); // 2 and 3 stay in the source, though the block has room again

        // The source's oldest changes (2 is taken from it): it offers the new oldest, 3, which the empty block takes.
        Assert.True(source.TryReceive(out var second));
        Assert.Equal(2, second);
        Assert.Equal(3, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal([2], offers.Declines);
    }

    /// <summary>Passes a source's offers on to the block and completes <see cref="Declined"/> when the block declines one.</summary>
    private sealed class OfferRecorder(IPropagatorBlock<int, int> block) : ITargetBlock<int>
    {
        private readonly List<int> _declines = [];

        public TaskCompletionSource Declined { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<int> Declines
        {
            get
            {
                lock (_declines)
                {
                    return [.. _declines];
                }
            }
        }

        public Task Completion => block.Completion;

        public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, int messageValue, ISourceBlock<int>? source, bool consumeToAccept)
        {
            var status = block.OfferMessage(messageHeader, messageValue, source, consumeToAccept);
            if (status == DataflowMessageStatus.Declined)
            {
                lock (_declines)
                {
                    _declines.Add(messageValue);
                }

                Declined.TrySetResult();
            }

            return status;
        }

        public void Complete() => block.Complete();

        public void Fault(Exception exception) => block.Fault(exception);
    }

    // ---- Links that end ------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_MaxMessages_2_link_whose_target_consumes_its_second_message_later_is_then_gone(Twin twin)
    {
        var block = Create(twin, 4);
        var bounded = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1 });
        block.LinkTo(bounded, new DataflowLinkOptions { MaxMessages = 2, PropagateCompletion = true });
        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        Assert.True(block.Post(3));

        // The target takes 1 at once, postpones 2 and comes back for it when 1 is read: outside the offer, on its own
        // task, the consume still counts against the link, which is then removed with its completion propagation.
        Assert.Equal(1, await bounded.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(2, await bounded.ReceiveAsync().WaitAsync(Guard));
        var rest = new BufferBlock<int>();
        block.LinkTo(rest, new DataflowLinkOptions { PropagateCompletion = true });
        Assert.Equal(3, await rest.ReceiveAsync().WaitAsync(Guard));
        block.Complete();
        await rest.Completion.WaitAsync(Guard);
        Assert.False(bounded.Completion.IsCompleted);
        Assert.False(bounded.TryReceive(out _));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_target_that_disposes_its_own_link_after_taking_two_messages_gets_exactly_those(Twin twin)
    {
        var block = Create(twin, 8);
        var taker = new TakeTwoTarget();
        var rest = new BufferBlock<int>();
        taker.Link = block.LinkTo(taker);
        block.LinkTo(rest);

        for (var i = 1; i <= 5; i++)
        {
            Assert.True(block.Post(i));
        }

        Assert.Equal(3, await rest.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(4, await rest.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(5, await rest.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal([1, 2], taker.Values);
        Assert.True(block.Post(6));
        Assert.Equal(6, await rest.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal([1, 2], taker.Values);
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_link_made_after_Complete_gets_the_buffered_messages_then_the_completion(Twin twin)
    {
        var block = Create(twin, 4);
        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        block.Complete();
        Assert.False(block.Post(3));

        var target = new BufferBlock<int>();
        block.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true }, x => x > 0);

        // The target (a BufferBlock too) completes only once it is drained in turn.
        await block.Completion.WaitAsync(Guard);
        Assert.Equal(1, await target.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(2, await target.ReceiveAsync().WaitAsync(Guard));
        await target.Completion.WaitAsync(Guard);
        AssertConserved(block);
    }

    // ---- AsObserver at capacity 1 ---------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task AsObserver_into_a_capacity_1_block_keeps_what_the_policy_promises_and_completes_after_the_last_send(Twin twin)
    {
        var block = Create(twin, 1);

        // Dataflow's observer blocks in OnNext until its SendAsync completes, so the producer runs on a thread of its own.
        var producing = Task.Run(() => Observable.Range(1, 4).Subscribe(block.AsObserver()));

        // PauseUpstream (BufferBlock's behaviour): each SendAsync waits its turn, and the completion waits for the last.
        // DropOldest and DegradeQuality keep the newest (degraded when it overflowed); Fail keeps the first and refuses the
        // rest (each a counted overflow).
        var expected = twin switch
        {
            Twin.DropOldest => [4],
            Twin.DegradeQuality => [-4],
            Twin.Fail => [1],
            _ => new[] { 1, 2, 3, 4 },
        };
        if (twin is not (Twin.BufferBlock or Twin.PauseUpstream))
        {
            // Nothing waits: the producer is done (and the block completed) before anything is read.
            await producing.WaitAsync(Guard);
        }

        var received = new List<int>();
        while (await block.OutputAvailableAsync().WaitAsync(Guard))
        {
            if (Receivable(block).TryReceive(out var item))
            {
                received.Add(item);
            }
        }

        Assert.Equal(expected, received);
        await block.Completion.WaitAsync(Guard);
        await producing.WaitAsync(Guard);
        if (block is BackpressureBlock<int> policy)
        {
            var metrics = policy.GetMetrics();
            Assert.Equal(twin == Twin.Fail ? 3 : 0, metrics.FailOverflows);
            Assert.True(metrics.IsConserved, metrics.ToString());
        }
    }

    /// <summary>A target that consumes what it is offered and disposes its own link, from inside the offer, after two.</summary>
    private sealed class TakeTwoTarget : ITargetBlock<int>
    {
        private readonly List<int> _values = [];

        public IDisposable? Link { get; set; }

        public List<int> Values
        {
            get
            {
                lock (_values)
                {
                    return [.. _values];
                }
            }
        }

        public Task Completion { get; } = new TaskCompletionSource().Task;

        public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, int messageValue, ISourceBlock<int>? source, bool consumeToAccept)
        {
            lock (_values)
            {
                if (_values.Count >= 2)
                {
                    // Offered after its link was disposed: shows as a third value.
                    _values.Add(messageValue);
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

                _values.Add(messageValue);
                if (_values.Count == 2)
                {
                    Link!.Dispose();
                }

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

    /// <summary>A target whose <c>OfferMessage</c> throws, as a target with a bug does; until armed it postpones every offer.</summary>
    private sealed class ThrowingTarget(Exception error) : ITargetBlock<int>
    {
        private readonly TaskCompletionSource<bool> _postponed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _armed = true;

        public bool Armed
        {
            get => _armed;
            set => _armed = value;
        }

        /// <summary>Completes once the target postponed an offer (unarmed).</summary>
        public Task<bool> Postponed => _postponed.Task;

        public Task Completion { get; } = new TaskCompletionSource().Task;

        public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, int messageValue, ISourceBlock<int>? source, bool consumeToAccept)
        {
            if (_armed)
            {
                throw error;
            }

            _postponed.TrySetResult(true);
            return DataflowMessageStatus.Postponed;
        }

        public void Complete()
        {
        }

        public void Fault(Exception exception)
        {
        }
    }
}
