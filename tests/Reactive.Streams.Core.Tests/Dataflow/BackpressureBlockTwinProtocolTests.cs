using System.Collections.Concurrent;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Threading.Tasks.Dataflow;
using static Reactive.Streams.Tests.Dataflow.BlockTwins;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Dataflow;

/// <summary>
/// More protocol cases of the block against its twin, <see cref="BufferBlock{T}"/> with <c>BoundedCapacity</c>, written
/// once and run on both (see <see cref="BackpressureBlockTwinTests"/> for the first set): sources that lose or give up a
/// postponed message, source calls with the wrong header or target, links (throwing predicates, MaxMessages = 1,
/// prepending, disposal during an offer, competing targets), the receive helpers, composition with Dataflow's own
/// blocks, and many producers into one linked consumer.
/// </summary>
public class BackpressureBlockTwinProtocolTests
{
    private static readonly TimeSpan Guard = TestLimits.Hang;

    public static TheoryData<Twin> All => [Twin.BufferBlock, Twin.PauseUpstream, Twin.DropOldest, Twin.DegradeQuality, Twin.Fail];

    /// <summary>The kinds whose full buffer postpones offers (the twin's behaviour).</summary>
    public static TheoryData<Twin> Postponing => [Twin.BufferBlock, Twin.PauseUpstream];

    /// <summary>The kinds a linked source drains into whatever the timing (Fail may leave a declined message in its source).</summary>
    public static TheoryData<Twin> Draining => [Twin.BufferBlock, Twin.PauseUpstream, Twin.DropOldest, Twin.DegradeQuality];

    /// <summary>What a full buffer of capacity 2 answers an offer with a source and <c>consumeToAccept</c> whose message is gone.</summary>
    private static DataflowMessageStatus GoneOffer(Twin twin) => twin switch
    {
        Twin.BufferBlock or Twin.PauseUpstream => DataflowMessageStatus.Postponed,
        Twin.DropOldest or Twin.DegradeQuality => DataflowMessageStatus.NotAvailable,
        _ => DataflowMessageStatus.Declined,
    };

    // ---- Sources that give up their message ------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_consumeToAccept_offer_whose_source_refuses_ConsumeMessage_leaves_a_full_block_as_it_was(Twin twin)
    {
        var block = Full(twin);
        var source = new GoneSource();

        Assert.Equal(GoneOffer(twin), block.OfferMessage(new DataflowMessageHeader(1), 3, source, consumeToAccept: true));

        // Nothing was evicted for a message that never came; a postponed one is tried (and found gone) once room appears.
        Assert.Equal(1, await block.ReceiveAsync().WaitAsync(Guard));
        if (GoneOffer(twin) == DataflowMessageStatus.Postponed)
        {
            await source.ConsumeTried.WaitAsync(Guard);
        }

        Assert.True(await block.SendAsync(4).WaitAsync(Guard));
        block.Complete();
        Assert.Equal([2, 4], ReceiveAll(block));
        await block.Completion.WaitAsync(Guard);
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(Postponing))]
    public async Task A_postponed_message_its_source_gave_to_someone_else_is_skipped_when_room_appears(Twin twin)
    {
        var block = Full(twin);
        var upstream = new BufferBlock<int>();
        var link = upstream.LinkTo(block);
        Assert.True(upstream.Post(3));
        var later = block.SendAsync(4);

        // The block postponed 3; its source is unlinked and the message received elsewhere before the block has room.
        link.Dispose();
        Assert.True(upstream.TryReceive(out var elsewhere));
        Assert.Equal(3, elsewhere);
        Assert.True(Receivable(block).TryReceive(out var first));

        Assert.Equal(1, first);
        Assert.True(await later.WaitAsync(Guard));
        Assert.Equal(2, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(4, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(0, Count(block));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(Postponing))]
    public async Task A_source_completed_while_the_block_postpones_its_message_completes_once_the_block_takes_it(Twin twin)
    {
        var block = Full(twin);
        var upstream = new BufferBlock<int>();
        upstream.LinkTo(block, new DataflowLinkOptions { PropagateCompletion = true });
        Assert.True(upstream.Post(3));

        upstream.Complete();

        Assert.False(upstream.Completion.IsCompleted);
        Assert.Equal(1, await block.ReceiveAsync().WaitAsync(Guard));
        await upstream.Completion.WaitAsync(Guard);
        Assert.Equal(2, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(3, await block.ReceiveAsync().WaitAsync(Guard));
        await block.Completion.WaitAsync(Guard);
        AssertConserved(block);
    }

    // ---- Source calls with the wrong header or target --------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public void A_reservation_survives_calls_with_the_wrong_header_and_ends_only_with_the_right_one(Twin twin)
    {
        var block = Create(twin, 4);
        var target = new BufferBlock<int>();
        var other = new BufferBlock<int>();
        block.Post(1);
        block.Post(2);
        var head = new DataflowMessageHeader(1);
        var next = new DataflowMessageHeader(2);

        Assert.True(block.ReserveMessage(head, target));
        Assert.False(block.ReserveMessage(head, target));
        block.ConsumeMessage(next, target, out var wrongHeader);
        Assert.False(wrongHeader);
        Assert.Throws<InvalidOperationException>(() => block.ReleaseReservation(next, target));
        Assert.Throws<InvalidOperationException>(() => block.ReleaseReservation(head, other));

        // Still held for the target: nobody else takes the message.
        Assert.False(block.ReserveMessage(head, other));
        Assert.False(Receivable(block).TryReceive(out _));
        block.ReleaseReservation(head, target);
        Assert.Throws<InvalidOperationException>(() => block.ReleaseReservation(head, target));
        Assert.Equal(1, block.ConsumeMessage(head, other, out var consumed));

        Assert.True(consumed);
        Assert.False(block.ReserveMessage(head, target));
        Assert.True(block.ReserveMessage(next, target));
        Assert.Equal(2, block.ConsumeMessage(next, target, out var second));
        Assert.True(second);
        Assert.Throws<InvalidOperationException>(() => block.ReleaseReservation(next, target));
        Assert.Equal(0, Count(block));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Source_calls_on_an_empty_block_take_and_hold_nothing(Twin twin)
    {
        var block = Create(twin, 2);
        var target = new BufferBlock<int>();
        var header = new DataflowMessageHeader(1);

        Assert.False(block.ReserveMessage(header, target));
        block.ConsumeMessage(header, target, out var consumed);
        Assert.False(consumed);
        Assert.Throws<InvalidOperationException>(() => block.ReleaseReservation(header, target));

        block.Post(5);
        Assert.Equal(5, block.ConsumeMessage(header, target, out consumed));
        Assert.True(consumed);
    }

    // ---- Links -----------------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_link_predicate_that_throws_faults_the_block_with_its_exception_and_propagates_it(Twin twin)
    {
        var block = Create(twin, 4);
        var boom = new FormatException("predicate failed");
        var propagated = new BufferBlock<int>();
        block.LinkTo(propagated, new DataflowLinkOptions { PropagateCompletion = true }, _ => throw boom);

        Assert.True(block.Post(1));

        await AssertFaultedWithAsync(block, boom, propagated);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_TryReceive_filter_that_throws_throws_to_the_caller_and_the_message_stays(Twin twin)
    {
        var block = Create(twin, 2);
        var boom = new FormatException("filter failed");
        block.Post(1);

        Assert.Same(boom, Assert.Throws<FormatException>(() => Receivable(block).TryReceive(_ => throw boom, out _)));

        Assert.False(block.Completion.IsCompleted);
        Assert.Equal(1, await block.ReceiveAsync().WaitAsync(Guard));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_MaxMessages_1_link_takes_one_message_and_is_then_gone_with_its_completion_propagation(Twin twin)
    {
        var block = Create(twin, 8);
        var once = new BufferBlock<int>();
        var rest = new BufferBlock<int>();
        block.LinkTo(once, new DataflowLinkOptions { MaxMessages = 1, PropagateCompletion = true });
        block.LinkTo(rest, new DataflowLinkOptions { PropagateCompletion = true });

        block.Post(1);
        block.Post(2);
        block.Post(3);
        block.Complete();

        await block.Completion.WaitAsync(Guard);
        Assert.True(rest.TryReceiveAll(out var others));
        Assert.Equal([2, 3], others);
        await rest.Completion.WaitAsync(Guard);
        Assert.Equal(1, await once.ReceiveAsync().WaitAsync(Guard));

        // The removed link no longer propagates completion.
        Assert.False(once.Completion.IsCompleted);
        Assert.Equal(0, once.Count);
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_MaxMessages_1_link_made_again_takes_one_more(Twin twin)
    {
        var block = Create(twin, 8);
        var target = new BufferBlock<int>();
        block.LinkTo(target, new DataflowLinkOptions { MaxMessages = 1 });
        block.Post(1);
        block.Post(2);
        Assert.Equal(1, await target.ReceiveAsync().WaitAsync(Guard));

        block.LinkTo(target, new DataflowLinkOptions { MaxMessages = 1 });

        Assert.Equal(2, await target.ReceiveAsync().WaitAsync(Guard));
        block.Post(3);
        Assert.True(Receivable(block).TryReceive(out var left));
        Assert.Equal(3, left);
        Assert.Equal(0, target.Count);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_disposed_PropagateCompletion_link_does_not_propagate(Twin twin)
    {
        var block = Create(twin, 2);
        var gone = new BufferBlock<int>();
        var kept = new BufferBlock<int>();
        var link = block.LinkTo(gone, new DataflowLinkOptions { PropagateCompletion = true });
        block.LinkTo(kept, new DataflowLinkOptions { PropagateCompletion = true });

        link.Dispose();
        link.Dispose();
        block.Complete();

        await kept.Completion.WaitAsync(Guard);
        Assert.False(gone.Completion.IsCompleted);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Links_prepended_one_after_another_are_offered_last_prepended_first(Twin twin)
    {
        var block = Create(twin, 8);
        var appended = new RecordingTarget(DataflowMessageStatus.Declined);
        var firstPrepended = new RecordingTarget(DataflowMessageStatus.Declined);
        var lastPrepended = new RecordingTarget(DataflowMessageStatus.Declined);
        var taker = new BufferBlock<int>();
        block.LinkTo(appended);
        block.LinkTo(firstPrepended, new DataflowLinkOptions { Append = false });
        block.LinkTo(lastPrepended, new DataflowLinkOptions { Append = false });
        block.LinkTo(taker);

        block.Post(1);

        Assert.Equal(1, await taker.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal([1], lastPrepended.Offers);
        Assert.Equal([1], firstPrepended.Offers);
        Assert.Equal([1], appended.Offers);
        Assert.True(lastPrepended.FirstOffer < firstPrepended.FirstOffer && firstPrepended.FirstOffer < appended.FirstOffer);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_target_disposing_its_link_while_postponing_an_offer_can_still_consume_that_message(Twin twin)
    {
        var block = Create(twin, 8);
        var postponing = new RecordingTarget(DataflowMessageStatus.Postponed);
        var next = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1 });
        postponing.Link = block.LinkTo(postponing);
        block.Post(1);
        await postponing.Offered.WaitAsync(Guard);

        var (header, source) = postponing.LastOffer;
        Assert.Same(block, source);
        Assert.Equal(1, block.ConsumeMessage(header, postponing, out var consumed));
        Assert.True(consumed);

        // The link is gone: the next message goes to the target linked now, and never to the unlinked one.
        block.Post(2);
        block.LinkTo(next);
        Assert.Equal(2, await next.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal([1], postponing.Offers);
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Once_Dispose_of_a_link_returns_its_target_is_offered_nothing_more(Twin twin)
    {
        // The twin offers under the lock that Dispose takes, so an offer under way finishes before Dispose returns and
        // none starts after it. A greedy target consumes inside the offer, so its count is final once Dispose returns.
        for (var round = 0; round < 60; round++)
        {
            var block = Create(twin, 10_000);
            var unlinked = new BufferBlock<int>();
            var link = block.LinkTo(unlinked);
            using var stop = new CancellationTokenSource();
            var producer = Task.Run(() =>
            {
                for (var i = 0; i < 20_000 && !stop.IsCancellationRequested; i++)
                {
                    block.Post(i);
                }
            });
            Assert.True(await unlinked.OutputAvailableAsync().WaitAsync(Guard));

            link.Dispose();
            var countAtDispose = unlinked.Count;

            // A target linked after the disposal receiving anything shows that the offers made from before it are over.
            var next = new BufferBlock<int>();
            block.LinkTo(next);
            block.Post(-1);
            await next.OutputAvailableAsync().WaitAsync(Guard);
            await stop.CancelAsync();
            await producer.WaitAsync(Guard);
            Assert.Equal(countAtDispose, unlinked.Count);
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Two_full_targets_competing_for_postponed_messages_take_each_message_once(Twin twin)
    {
        var block = Create(twin, 8);
        var left = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1 });
        var right = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1 });
        Assert.True(left.Post(100));
        Assert.True(right.Post(200));
        block.LinkTo(left);
        block.LinkTo(right);
        for (var i = 1; i <= 4; i++)
        {
            Assert.True(block.Post(i));
        }

        // Room in both at once: each consumes what it postponed, and no message reaches both.
        var received = new List<int>();
        while (received.Count < 6)
        {
            await Task.WhenAny(left.OutputAvailableAsync(), right.OutputAvailableAsync()).WaitAsync(Guard);
            while (left.TryReceive(out var l))
            {
                received.Add(l);
            }

            while (right.TryReceive(out var r))
            {
                received.Add(r);
            }
        }

        Assert.Equal([1, 2, 3, 4, 100, 200], received.Order());
        Assert.Equal(0, Count(block));
        AssertConserved(block);
    }

    // ---- Receiving helpers -----------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task ReceiveAsync_with_a_zero_timeout_takes_a_message_there_is_and_times_out_on_none(Twin twin)
    {
        var block = Create(twin, 2);

        await Assert.ThrowsAsync<TimeoutException>(() => block.ReceiveAsync(TimeSpan.Zero).WaitAsync(Guard));
        block.Post(4);
        Assert.Equal(4, await block.ReceiveAsync(TimeSpan.Zero).WaitAsync(Guard));
        await Assert.ThrowsAsync<TimeoutException>(() => block.ReceiveAsync(TimeSpan.Zero).WaitAsync(Guard));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = block.ReceiveAsync(TimeSpan.FromMilliseconds(-2)); });
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ReceiveAllAsync_cancelled_while_waiting_throws_and_takes_nothing(Twin twin)
    {
        var block = Create(twin, 2);
        block.Post(1);
        using var cancellation = new CancellationTokenSource();
        var received = new List<int>();

        var reading = Task.Run(async () =>
        {
            await foreach (var item in Receivable(block).ReceiveAllAsync(cancellation.Token))
            {
                received.Add(item);
                await cancellation.CancelAsync();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(Guard));
        Assert.Equal([1], received);
        block.Post(2);
        Assert.Equal(2, await block.ReceiveAsync().WaitAsync(Guard));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ReceiveAllAsync_of_a_faulted_block_ends_without_an_error(Twin twin)
    {
        var block = Create(twin, 2);
        block.Post(1);
        block.Fault(new FormatException("upstream failed"));
        await Assert.ThrowsAsync<FormatException>(() => block.Completion.WaitAsync(Guard));
        var received = new List<int>();

        await foreach (var item in Receivable(block).ReceiveAllAsync().WithCancellation(new CancellationTokenSource(Guard).Token))
        {
            received.Add(item);
        }

        Assert.Empty(received);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task OutputAvailableAsync_is_true_while_a_completed_block_holds_messages_and_false_once_drained(Twin twin)
    {
        var block = Create(twin, 2);
        block.Post(1);
        block.Complete();

        Assert.True(await block.OutputAvailableAsync().WaitAsync(Guard));
        Assert.True(await block.OutputAvailableAsync().WaitAsync(Guard));
        Assert.Equal(1, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.False(await block.OutputAvailableAsync().WaitAsync(Guard));
        await block.Completion.WaitAsync(Guard);
    }

    [Theory]
    [MemberData(nameof(Postponing))]
    public async Task TryReceiveAll_takes_what_is_buffered_and_the_postponed_senders_enter_after(Twin twin)
    {
        var block = Full(twin);
        var third = block.SendAsync(3);
        var fourth = block.SendAsync(4);

        Assert.True(Receivable(block).TryReceiveAll(out var items));

        Assert.Equal([1, 2], items);
        Assert.True(await third.WaitAsync(Guard));
        Assert.True(await fourth.WaitAsync(Guard));
        Assert.Equal(3, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(4, await block.ReceiveAsync().WaitAsync(Guard));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AsObservable_delivers_the_messages_then_completes(Twin twin)
    {
        var block = Create(twin, 4);
        var observed = block.AsObservable().ToList().ToTask();
        block.Post(1);
        block.Post(2);

        block.Complete();

        Assert.Equal([1, 2], await observed.WaitAsync(Guard));
        await block.Completion.WaitAsync(Guard);
        AssertConserved(block);
    }

    // ---- Completion and faults -------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task The_first_fault_wins_and_Complete_after_a_fault_changes_nothing(Twin twin)
    {
        var block = Create(twin, 2);
        var first = new FormatException("first");
        block.Post(1);

        block.Fault(first);
        block.Fault(new InvalidOperationException("second"));
        block.Complete();

        Assert.Same(first, await Assert.ThrowsAsync<FormatException>(() => block.Completion.WaitAsync(Guard)));
        Assert.Same(first, Assert.Single(block.Completion.Exception!.InnerExceptions));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_reservation_released_after_Complete_leaves_the_message_to_receive_before_completion(Twin twin)
    {
        var block = Create(twin, 2);
        var target = new BufferBlock<int>();
        block.Post(1);
        Assert.True(block.ReserveMessage(new DataflowMessageHeader(1), target));

        block.Complete();
        block.ReleaseReservation(new DataflowMessageHeader(1), target);

        Assert.False(block.Completion.IsCompleted);
        Assert.Equal(1, await block.ReceiveAsync().WaitAsync(Guard));
        await block.Completion.WaitAsync(Guard);
        AssertConserved(block);
    }

    // ---- Composition -----------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task Encapsulated_behind_a_TransformBlock_the_block_carries_messages_completion_and_faults(Twin twin)
    {
        var transform = new TransformBlock<int, int>(x => x * 10);
        var block = Create(twin, 8);
        transform.LinkTo(block, new DataflowLinkOptions { PropagateCompletion = true });
        var outer = DataflowBlock.Encapsulate(transform, block);
        var faultingTransform = new TransformBlock<int, int>(x => x);
        var faultingBlock = Create(twin, 8);
        faultingTransform.LinkTo(faultingBlock, new DataflowLinkOptions { PropagateCompletion = true });
        var faulting = DataflowBlock.Encapsulate(faultingTransform, faultingBlock);
        var boom = new FormatException("upstream failed");

        Assert.True(await outer.SendAsync(1).WaitAsync(Guard));
        Assert.True(outer.Post(2));
        Assert.Equal(10, await outer.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(20, await outer.ReceiveAsync().WaitAsync(Guard));
        outer.Complete();
        faulting.Fault(boom);

        await outer.Completion.WaitAsync(Guard);
        var error = await Assert.ThrowsAsync<AggregateException>(() => faulting.Completion.WaitAsync(Guard));
        Assert.Same(boom, Assert.Single(error.Flatten().InnerExceptions));
    }

    [Theory]
    [MemberData(nameof(Draining))]
    public async Task TransformBlock_to_the_block_to_an_ActionBlock_of_capacity_1_loses_nothing_the_policy_keeps(Twin twin)
    {
        const int Total = 1_000;
        var transform = new TransformBlock<int, int>(x => x, new ExecutionDataflowBlockOptions { BoundedCapacity = 4 });
        var block = Create(twin, 4);
        var received = new List<int>(Total);
        var sink = new ActionBlock<int>(received.Add, new ExecutionDataflowBlockOptions { BoundedCapacity = 1 });
        transform.LinkTo(block, new DataflowLinkOptions { PropagateCompletion = true });
        block.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });

        for (var i = 1; i <= Total; i++)
        {
            Assert.True(await transform.SendAsync(i).WaitAsync(Guard));
        }

        transform.Complete();
        await sink.Completion.WaitAsync(Guard);
        await block.Completion.WaitAsync(Guard);

        var values = received.Select(Math.Abs).ToList();
        Assert.Equal(values.Order(), values);
        Assert.Equal(values.Count, values.Distinct().Count());
        if (block is BackpressureBlock<int> policy)
        {
            var metrics = policy.GetMetrics();
            Assert.Equal(Total, metrics.ItemsPushed);
            Assert.Equal(received.Count, metrics.ItemsDelivered);
            Assert.Equal(metrics.ItemsPushed, metrics.ItemsDelivered + metrics.ItemsEvicted + metrics.Depth);
            Assert.Equal(0, metrics.Depth);
            Assert.Equal(0, metrics.ItemsFailed);
            Assert.True(metrics.IsConserved, metrics.ToString());
        }

        if (twin is Twin.BufferBlock or Twin.PauseUpstream)
        {
            Assert.Equal(Enumerable.Range(1, Total), received);
        }
        else
        {
            // The last message is never evicted: nothing came after it.
            Assert.Equal(Total, values[^1]);
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Many_SendAsync_producers_into_one_linked_consumer_deliver_each_message_at_most_once(Twin twin)
    {
        const int Producers = 4;
        const int PerProducer = 250;
        for (var round = 0; round < 3; round++)
        {
            var block = Create(twin, 3);
            var received = new ConcurrentQueue<int>();
            var sink = new ActionBlock<int>(received.Enqueue, new ExecutionDataflowBlockOptions { BoundedCapacity = 1 });
            block.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });
            var accepted = new ConcurrentBag<int>();

            var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
            {
                for (var i = 0; i < PerProducer; i++)
                {
                    var item = (p * PerProducer) + i + 1;
                    if (await block.SendAsync(item).ConfigureAwait(false))
                    {
                        accepted.Add(item);
                    }
                }
            })).ToArray();
            await Task.WhenAll(producers).WaitAsync(Guard);
            block.Complete();
            await sink.Completion.WaitAsync(Guard);
            await block.Completion.WaitAsync(Guard);

            var values = received.Select(Math.Abs).ToList();
            Assert.Equal(values.Count, values.Distinct().Count());
            Assert.Subset(accepted.ToHashSet(), values.ToHashSet());
            foreach (var perProducer in values.GroupBy(v => (v - 1) / PerProducer))
            {
                Assert.Equal(perProducer.Order(), perProducer);
            }

            if (twin is Twin.BufferBlock or Twin.PauseUpstream)
            {
                Assert.Equal(Producers * PerProducer, values.Count);
            }
            else if (twin == Twin.Fail)
            {
                Assert.Equal(accepted.Order(), values.Order());
            }

            if (block is BackpressureBlock<int> policy)
            {
                var metrics = policy.GetMetrics();
                Assert.True(metrics.IsConserved, metrics.ToString());
                Assert.Equal(values.Count, metrics.ItemsDelivered);
                Assert.Equal(Producers * PerProducer, metrics.ItemsPushed);
            }
        }
    }

    /// <summary>A source whose message is gone: every consume fails; <see cref="ConsumeTried"/> completes at the first try.</summary>
    private sealed class GoneSource : ISourceBlock<int>
    {
        private readonly TaskCompletionSource _consumeTried = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task ConsumeTried => _consumeTried.Task;

        public Task Completion { get; } = new TaskCompletionSource().Task;

        public int ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target, out bool messageConsumed)
        {
            messageConsumed = false;
            _consumeTried.TrySetResult();
            return 0;
        }

        public bool ReserveMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target) => false;

        public void ReleaseReservation(DataflowMessageHeader messageHeader, ITargetBlock<int> target) =>
            throw new InvalidOperationException("Nothing is reserved.");

        public IDisposable LinkTo(ITargetBlock<int> target, DataflowLinkOptions linkOptions) => throw new NotSupportedException();

        public void Complete()
        {
        }

        public void Fault(Exception exception)
        {
        }
    }

    /// <summary>
    /// A target that answers every offer with one status and records the offers; when it postpones, it disposes its own
    /// <see cref="Link"/> during the first offer.
    /// </summary>
    private sealed class RecordingTarget(DataflowMessageStatus answer) : ITargetBlock<int>
    {
        private static long s_sequence;
        private readonly TaskCompletionSource _offered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<int> _offers = [];

        public IDisposable? Link { get; set; }

        public Task Offered => _offered.Task;

        public long FirstOffer { get; private set; }

        public (DataflowMessageHeader Header, ISourceBlock<int>? Source) LastOffer { get; private set; }

        public List<int> Offers
        {
            get
            {
                lock (_offers)
                {
                    return [.. _offers];
                }
            }
        }

        public Task Completion { get; } = new TaskCompletionSource().Task;

        public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, int messageValue, ISourceBlock<int>? source, bool consumeToAccept)
        {
            lock (_offers)
            {
                if (_offers.Count == 0)
                {
                    FirstOffer = Interlocked.Increment(ref s_sequence);
                }

                _offers.Add(messageValue);
                LastOffer = (messageHeader, source);
            }

            if (answer == DataflowMessageStatus.Postponed)
            {
                Link?.Dispose();
            }

            _offered.TrySetResult();
            return answer;
        }

        public void Complete()
        {
        }

        public void Fault(Exception exception)
        {
        }
    }
}
