using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Dataflow;

/// <summary>The policy block as Dataflow users expect it: offers per policy, links, completion, receiving, reservations.</summary>
public class BackpressureBlockTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task BufferBlock_to_PauseUpstream_block_to_bounded_ActionBlock_carries_every_item_in_order_and_propagates_completion()
    {
        const int Count = 10_000;
        var source = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 16 });
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 4));
        var received = new List<int>(Count);
        var sink = new ActionBlock<int>(received.Add, new ExecutionDataflowBlockOptions { BoundedCapacity = 2 });
        source.LinkTo(block, new DataflowLinkOptions { PropagateCompletion = true });
        block.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });

        for (var i = 0; i < Count; i++)
        {
            Assert.True(await source.SendAsync(i));
        }

        source.Complete();
        await sink.Completion.WaitAsync(Limit);

        Assert.Equal(Enumerable.Range(0, Count), received);
        Assert.True(block.Completion.IsCompletedSuccessfully);
        var metrics = block.GetMetrics();
        Assert.Equal(Count, metrics.ItemsPushed);
        Assert.Equal(Count, metrics.ItemsDelivered);
        Assert.True(metrics.PauseUpstreamBlocks > 0, "a fast source against a bounded sink must have been postponed");
        Assert.Equal(0, metrics.ItemsFailed + metrics.ItemsEvicted + metrics.Depth);
    }

    [Fact]
    public async Task PauseUpstream_postpones_SendAsync_until_a_receive_makes_room_then_consumes_the_postponed_message()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));

        Assert.True(await block.SendAsync(1));
        var second = block.SendAsync(2);
        var third = block.SendAsync(3);
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);
        Assert.Equal(2, block.GetMetrics().PauseUpstreamBlocks);

        // SendAsync's task completes inside the block's ConsumeMessage call, just before the block buffers the message
        // (as with BufferBlock), so the test waits for the message to be in before receiving it.
        Assert.True(block.TryReceive(out var first));
        Assert.Equal(1, first);
        Assert.True(await second.WaitAsync(Limit));
        Assert.True(SpinWait.SpinUntil(() => block.GetMetrics().Depth == 1, Limit));
        Assert.False(third.IsCompleted);
        Assert.True(block.TryReceive(out var next));
        Assert.Equal(2, next);
        Assert.True(await third.WaitAsync(Limit));
        Assert.True(SpinWait.SpinUntil(() => block.GetMetrics().Depth == 1, Limit));
        Assert.True(block.TryReceive(out var last));
        Assert.Equal(3, last);
        Assert.Equal(new StreamMetricsSnapshot(3, 3, 0, 0, 2, 0, 0, 0), block.GetMetrics());
    }

    [Fact]
    public void PauseUpstream_declines_Post_on_a_full_block_without_counting_it()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));

        Assert.True(block.Post(1));
        Assert.False(block.Post(2));

        Assert.Equal(new StreamMetricsSnapshot(1, 0, 0, 0, 0, 0, 0, 1), block.GetMetrics());
    }

    [Fact]
    public async Task Fail_declines_Post_and_SendAsync_on_a_full_block_and_counts_them()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 2));

        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        Assert.False(block.Post(3));
        Assert.Equal(new StreamMetricsSnapshot(3, 0, 0, 0, 0, 1, 0, 2), block.GetMetrics());

        // SendAsync's first offer, without a source, is refused for good and counted; it does not offer again.
        Assert.False(await block.SendAsync(4));
        Assert.Equal(2, block.GetMetrics().FailOverflows);

        Assert.True(block.TryReceiveAll(out var items));
        Assert.Equal([1, 2], items);
        Assert.True(block.GetMetrics().IsConserved);
    }

    /// <summary>
    /// SendAsync offers first without a source, then, if declined, again with one. Under Fail the first refusal is the
    /// counted overflow ("a refusal nobody comes back from"), so it must be final: a read that made room between the two
    /// offers let the second one in, and the item was counted as an overflow and as delivered, with SendAsync true.
    /// </summary>
    [Fact]
    public async Task Fail_SendAsync_refused_on_its_first_offer_is_not_accepted_by_its_second_when_room_appears_between()
    {
        var block = new BackpressureBlock<int>(BackpressurePolicy.Fail, 1);
        Assert.True(block.Post(1));
        var target = new ReadAfterSourcelessOffer(block);

        var sent = await target.SendAsync(2).WaitAsync(Limit);

        Assert.False(sent);
        Assert.Equal([1], target.Read);
        Assert.Equal(0, block.Count);
        var metrics = block.GetMetrics();
        Assert.True(metrics.IsConserved, metrics.ToString());
        Assert.Equal(new StreamMetricsSnapshot(2, 1, 0, 0, 0, 1, 0, 0), metrics);
    }

    /// <summary>
    /// Counters are per component (docs/metrics.md, "Counts are per component"): when block A evicts the message that
    /// block B had postponed, A counts the eviction and B the offer that never entered as a rejected push (B cannot tell
    /// it from a SendAsync cancelled while it waited), so one loss shows in both, and each block's counters add up.
    /// </summary>
    [Fact]
    public void An_upstream_eviction_of_a_postponed_message_is_counted_by_both_blocks_each_for_itself()
    {
        var upstream = new BackpressureBlock<int>(BackpressurePolicy.DropOldest, 1);
        var downstream = new BackpressureBlock<int>(BackpressurePolicy.PauseUpstream, 1);
        Assert.True(downstream.Post(0));
        Assert.True(upstream.Post(1));

        // What upstream's offering loop does with its oldest message, made here so that the order is the test's.
        Assert.Equal(DataflowMessageStatus.Postponed, downstream.OfferMessage(new DataflowMessageHeader(1), 1, upstream, consumeToAccept: true));
        Assert.True(upstream.Post(2));
        Assert.True(downstream.TryReceive(out var first));

        Assert.Equal(0, first);
        Assert.Equal(0, downstream.Count);
        Assert.Equal(new StreamMetricsSnapshot(2, 0, 1, 0, 0, 0, 0, 1), upstream.GetMetrics());
        Assert.Equal(new StreamMetricsSnapshot(2, 1, 0, 0, 1, 0, 1, 0), downstream.GetMetrics());
    }

    [Fact]
    public void Fail_counts_an_overflow_when_a_consumed_message_finds_its_room_taken_by_a_concurrent_offer()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 1));
        var source = new StealingSource(block);

        // Admitted to the one free slot; while the message is consumed, a Post takes that slot.
        Assert.Equal(DataflowMessageStatus.Accepted, ((ITargetBlock<int>)block).OfferMessage(new DataflowMessageHeader(1), 3, source, consumeToAccept: true));

        Assert.True(block.TryReceiveAll(out var items));
        Assert.Equal([99], items);
        Assert.Equal(new StreamMetricsSnapshot(2, 1, 0, 0, 0, 1, 0, 0), block.GetMetrics());
    }

    /// <summary>
    /// A message the block consumed from its source (the offer was Accepted: a SendAsync with a token completes true)
    /// whose room a concurrent offer took waits in the engine's queue of writers and enters at the next read (the
    /// remarks). The PauseUpstream timeout bounds how long an offer stays postponed; this one is no offer any more, but
    /// its wait ran with the timeout, and a slow reader made the block drop a message it had accepted (counted as
    /// rejected).
    /// </summary>
    [Fact]
    public async Task A_consumed_message_waiting_for_its_room_is_not_dropped_by_the_pause_timeout()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1)
        {
            PauseTimeout = TimeSpan.FromSeconds(1),
            TimeProvider = clock,
        });
        var source = new StealingSource(block);

        // Admitted to the one free slot; while the message is consumed, a Post takes that slot.
        Assert.Equal(DataflowMessageStatus.Accepted, ((ITargetBlock<int>)block).OfferMessage(new DataflowMessageHeader(1), 3, source, consumeToAccept: true));
        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.True(block.TryReceive(out var first));
        Assert.Equal(99, first);
        Assert.Equal(1, block.Count);
        Assert.True(block.TryReceive(out var second));
        Assert.Equal(3, second);
        block.Complete();
        await block.Completion.WaitAsync(Limit);
        Assert.Equal(new StreamMetricsSnapshot(2, 2, 0, 0, 1, 0, 0, 0), block.GetMetrics());
    }

    [Fact]
    public void DropOldest_accepts_every_offer_and_evicts_the_oldest()
    {
        var dropped = new List<int>();
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { OnDropped = dropped.Add });

        for (var i = 1; i <= 5; i++)
        {
            Assert.True(block.Post(i));
        }

        Assert.True(block.TryReceiveAll(out var items));
        Assert.Equal([4, 5], items);
        Assert.Equal([1, 2, 3], dropped);
        Assert.Equal(new StreamMetricsSnapshot(5, 2, 3, 0, 0, 0, 0, 0), block.GetMetrics());
    }

    [Fact]
    public void DegradeQuality_accepts_and_buffers_the_degraded_item_on_overflow()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2) { Degrader = x => -x });

        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        Assert.True(block.Post(3));

        Assert.True(block.TryReceiveAll(out var items));
        Assert.Equal([2, -3], items);
        Assert.Equal(1, block.GetMetrics().DegradeQualityHits);
    }

    [Fact]
    public async Task A_throwing_degrader_faults_the_block_and_the_item_is_counted()
    {
        var boom = new FormatException("degrader failed");
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 1) { Name = "lossy", Degrader = _ => throw boom });

        Assert.True(block.Post(1));
        Assert.False(block.Post(2));
        Assert.False(block.Post(3));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => block.Completion.WaitAsync(Limit));
        Assert.Same(boom, error.InnerException);
        Assert.Contains("'lossy'", error.Message, StringComparison.Ordinal);

        // Post(3) reached a completed block: a closed rejection, counted as a push to a completed stream is.
        // The buffered message was dropped by the fault, and counted as rejected: the depth is 0.
        var metrics = block.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(3, 0, 0, 0, 0, 0, 3, 0), metrics);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public async Task Complete_declines_new_offers_and_completes_once_the_buffered_messages_are_consumed()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 4));
        Assert.True(block.Post(1));

        block.Complete();
        Assert.False(block.Post(2));
        Assert.Equal(
            DataflowMessageStatus.DecliningPermanently,
            ((ITargetBlock<int>)block).OfferMessage(new DataflowMessageHeader(1), 3, null, consumeToAccept: false));
        Assert.False(block.Completion.IsCompleted);

        Assert.True(block.TryReceive(out var item));
        Assert.Equal(1, item);
        await block.Completion.WaitAsync(Limit);
    }

    [Fact]
    public async Task Complete_propagates_to_linked_targets_after_they_received_everything()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 8));
        var target = new BufferBlock<int>();
        block.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });

        for (var i = 0; i < 5; i++)
        {
            Assert.True(await block.SendAsync(i));
        }

        block.Complete();
        await block.Completion.WaitAsync(Limit);
        Assert.True(target.TryReceiveAll(out var items));

        Assert.Equal([0, 1, 2, 3, 4], items);
        await target.Completion.WaitAsync(Limit);
    }

    [Fact]
    public async Task Fault_completes_the_block_at_once_and_propagates_the_fault()
    {
        var boom = new FormatException("upstream failed");
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 8));
        var target = new BufferBlock<int>();
        block.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });
        block.Post(1);

        ((IDataflowBlock)block).Fault(boom);

        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => block.Completion.WaitAsync(Limit)));
        // As from any Dataflow source, the fault reaches the target as the block's completion exception (an aggregate).
        var propagated = await Assert.ThrowsAsync<AggregateException>(() => target.Completion.WaitAsync(Limit));
        Assert.Same(boom, Assert.Single(propagated.InnerExceptions));
        Assert.False(block.Post(2));
        Assert.False(block.TryReceive(out _));
    }

    [Fact]
    public async Task Linking_to_a_completed_block_propagates_its_completion_at_once()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 1));
        block.Complete();
        await block.Completion.WaitAsync(Limit);
        var target = new BufferBlock<int>();

        block.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });

        await target.Completion.WaitAsync(Limit);
    }

    [Fact]
    public void TryReceive_honours_the_filter_and_the_order()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 4));
        block.Post(1);
        block.Post(2);

        Assert.False(block.TryReceive(x => x > 1, out _));
        Assert.True(block.TryReceive(x => x == 1, out var first));
        Assert.Equal(1, first);
        Assert.True(block.TryReceive(out var second));
        Assert.Equal(2, second);
        Assert.False(block.TryReceive(out _));
        Assert.False(block.TryReceiveAll(out var none));
        Assert.Null(none);
    }

    [Fact]
    public async Task A_link_with_MaxMessages_is_removed_after_that_many_messages()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 16));
        var first = new BufferBlock<int>();
        var second = new BufferBlock<int>();
        block.LinkTo(first, new DataflowLinkOptions { MaxMessages = 2 });
        block.LinkTo(second);

        for (var i = 0; i < 5; i++)
        {
            await block.SendAsync(i);
        }

        Assert.True(SpinWait.SpinUntil(() => first.Count + second.Count == 5, Limit));
        first.TryReceiveAll(out var a);
        second.TryReceiveAll(out var b);
        Assert.Equal([0, 1], a);
        Assert.Equal([2, 3, 4], b);
    }

    [Fact]
    public async Task Unlinking_stops_offers_to_that_target()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 16));
        var target = new BufferBlock<int>();
        var link = block.LinkTo(target);
        block.Post(1);
        Assert.Equal(1, await target.ReceiveAsync().WaitAsync(Limit));

        link.Dispose();
        block.Post(2);

        Assert.Equal(1, block.Count);
        Assert.Equal(0, target.Count);
    }

    [Fact]
    public void A_reserved_message_is_held_for_its_target_until_consumed_or_released()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 4));
        var target = new BufferBlock<int>();
        var other = new BufferBlock<int>();
        block.Post(7);
        var header = new DataflowMessageHeader(1);

        Assert.True(block.ReserveMessage(header, target));
        Assert.False(block.ReserveMessage(header, other));
        Assert.False(block.TryReceive(out _));
        Assert.Throws<InvalidOperationException>(() => block.ReleaseReservation(header, other));
        block.ReleaseReservation(header, target);
        Assert.True(block.ReserveMessage(header, target));

        Assert.Equal(7, block.ConsumeMessage(header, target, out var consumed));
        Assert.True(consumed);
        block.ConsumeMessage(header, target, out var again);
        Assert.False(again);
    }

    [Fact]
    public void A_message_evicted_after_it_was_offered_is_no_longer_consumable()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 1));
        var target = new BufferBlock<int>();
        block.Post(1);
        block.Post(2); // evicts message 1

        block.ConsumeMessage(new DataflowMessageHeader(1), target, out var stale);
        var fresh = block.ConsumeMessage(new DataflowMessageHeader(2), target, out var consumed);

        Assert.False(stale);
        Assert.True(consumed);
        Assert.Equal(2, fresh);
    }

    /// <summary>
    /// A reservation does not hold its message against DropOldest (the remarks): once the message is evicted the
    /// reservation is over, and the target that made it may still release it, as a target that cannot consume all it
    /// reserved does (a non-greedy JoinBlock releases its other reservations). The release threw "holds no reservation"
    /// once anything had looked at the reservation after the eviction (a receive, the offering loop), which faults such
    /// a target with an error that is not its own.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_reservation_whose_message_was_evicted_can_be_released_by_its_target(bool lookedAtAfterEviction)
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2));
        var target = new BufferBlock<int>();
        var other = new BufferBlock<int>();
        block.Post(1);
        block.Post(2);
        var header = new DataflowMessageHeader(1);
        Assert.True(block.ReserveMessage(header, target));

        Assert.True(block.Post(3)); // evicts message 1
        if (lookedAtAfterEviction)
        {
            Assert.True(block.TryReceive(out var oldest));
            Assert.Equal(2, oldest);
        }

        Assert.Throws<InvalidOperationException>(() => block.ReleaseReservation(header, other));
        block.ReleaseReservation(header, target);
        Assert.Throws<InvalidOperationException>(() => block.ReleaseReservation(header, target));
        var head = lookedAtAfterEviction ? 3 : 2;
        Assert.True(block.ReserveMessage(new DataflowMessageHeader(head), other));
        Assert.Equal(head, block.ConsumeMessage(new DataflowMessageHeader(head), other, out var consumed));
        Assert.True(consumed);
        Assert.True(block.GetMetrics().IsConserved);
    }

    [Fact]
    public void Bad_arguments_are_rejected_at_the_call()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 1));
        ITargetBlock<int> target = block;

        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => new BackpressureBlock<int>(null!)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 0)).ParamName);
        Assert.Equal("messageHeader", Assert.Throws<ArgumentException>(() => target.OfferMessage(default, 1, null, false)).ParamName);
        Assert.Equal("consumeToAccept", Assert.Throws<ArgumentException>(() => target.OfferMessage(new DataflowMessageHeader(1), 1, null, true)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentNullException>(() => block.LinkTo(null!, new DataflowLinkOptions())).ParamName);
        Assert.Equal("linkOptions", Assert.Throws<ArgumentNullException>(() => block.LinkTo(new BufferBlock<int>(), null!)).ParamName);
        Assert.Equal("exception", Assert.Throws<ArgumentNullException>(() => block.Fault(null!)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => new BackpressureBlock<int>(BackpressurePolicy.DropOldest, 0)).ParamName);
        Assert.Equal("policy", Assert.Throws<ArgumentOutOfRangeException>(() => new BackpressureBlock<int>((BackpressurePolicy)42, 1)).ParamName);
    }

    [Fact]
    public void The_policy_constructor_builds_the_same_block_as_the_options()
    {
        var block = new BackpressureBlock<int>(BackpressurePolicy.DegradeQuality, 2, static x => -x);
        block.Post(1);
        block.Post(2);
        block.Post(3);

        Assert.Equal((BackpressurePolicy.DegradeQuality, 2), (block.Policy, block.Capacity));
        Assert.True(block.TryReceiveAll(out var items));
        Assert.Equal([2, -3], items);
        Assert.Equal(1, block.GetMetrics().DegradeQualityHits);
    }

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public async Task A_message_posted_after_a_postponed_message_was_consumed_during_its_offer_is_offered(BackpressurePolicy policy)
    {
        // The target postpones the first message and consumes it, from another thread, before its OfferMessage returns:
        // the read happens while the block's offering loop is still running, and the loop records the postponement
        // after the message is gone. Two policy blocks in a chain did this by chance and stalled until the next read.
        var block = new BackpressureBlock<int>(policy, 4, static x => -x);
        var target = new PostponeAndConsumeAtOnceTarget();
        block.LinkTo(target);

        Assert.True(block.Post(1));
        Assert.Equal(1, await target.FirstConsumed.WaitAsync(Limit));
        Assert.True(block.Post(2));

        Assert.Equal(2, await target.SecondOffered.WaitAsync(Limit));
        Assert.Equal(1, block.Count);
    }

    /// <summary>
    /// A postponed offer that times out is declined once when its source offers it again. A source that no longer held
    /// the message when the timeout released it (it went to another target, or a SendAsync was cancelled) never offers
    /// it again, and the block declined the next, different message it offered instead, which had never waited, and
    /// held on to the source for ever.
    /// </summary>
    [Fact]
    public void A_source_that_withdrew_its_timed_out_offer_has_its_next_message_taken()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1)
        {
            PauseTimeout = TimeSpan.FromSeconds(1),
            TimeProvider = clock,
        });
        Assert.True(block.Post(1));
        var source = new WithdrawingSource();
        Assert.Equal(DataflowMessageStatus.Postponed, block.OfferMessage(new DataflowMessageHeader(1), 2, source, consumeToAccept: false));

        source.Holds = false;
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(block.TryReceive(out var first));
        Assert.Equal(1, first);
        source.Holds = true;

        Assert.Equal(DataflowMessageStatus.Accepted, block.OfferMessage(new DataflowMessageHeader(2), 3, source, consumeToAccept: false));
        Assert.True(block.TryReceive(out var next));
        Assert.Equal(3, next);
        Assert.Equal(new StreamMetricsSnapshot(3, 2, 0, 0, 1, 0, 1, 0), block.GetMetrics());
    }

    /// <summary>
    /// A source that throws from <c>ReserveMessage</c> when its postponed offer times out faults the block, as a source
    /// that throws from any other call does. The exception escaped from the timer's callback: on the system clock an
    /// unhandled exception on a timer thread, which ends the process.
    /// </summary>
    [Fact]
    public async Task A_source_throwing_when_its_offer_times_out_faults_the_block()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1)
        {
            PauseTimeout = TimeSpan.FromSeconds(1),
            TimeProvider = clock,
        });
        Assert.True(block.Post(1));
        var boom = new FormatException("reserve failed");
        var source = new WithdrawingSource { ReserveError = boom };
        Assert.Equal(DataflowMessageStatus.Postponed, block.OfferMessage(new DataflowMessageHeader(1), 2, source, consumeToAccept: false));

        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => block.Completion.WaitAsync(TimeSpan.FromMinutes(1))));
        Assert.False(block.TryReceive(out _));
        Assert.True(block.GetMetrics().IsConserved);
    }

    /// <summary>
    /// A postponed offer's PauseUpstream timer fires, and while its callback is on its way (before it looks at the
    /// block), the offer is consumed and the same source's next offer is postponed. That callback belongs to the consumed
    /// offer: the next one must wait its own full timeout. The callback was keyed by the source only, so it took the new
    /// offer's timer and timed the new offer out at once (counted as rejected, declined after zero wait).
    /// </summary>
    [Fact]
    public async Task A_pause_timeout_whose_callback_runs_late_does_not_time_out_the_sources_next_postponed_offer()
    {
        var clock = new GatedTimeProvider();
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1)
        {
            PauseTimeout = TimeSpan.FromSeconds(1),
            TimeProvider = clock,
        });
        Assert.True(block.Post(0));
        var source = new HoldingSource();
        Assert.Equal(DataflowMessageStatus.Postponed, block.OfferMessage(new DataflowMessageHeader(1), 1, source, consumeToAccept: false));

        // The first timer fires; its callback is held before it reaches the block.
        var advancing = Task.Run(() => clock.Advance(TimeSpan.FromSeconds(1)));
        await clock.FirstCallbackEntered.WaitAsync(TestLimits.Hang);

        // Meanwhile room appears, the postponed offer is consumed, and the source's next message is postponed.
        Assert.True(block.TryReceive(out var first));
        Assert.Equal(0, first);
        Assert.Equal(1, block.Count);
        Assert.Equal(DataflowMessageStatus.Postponed, block.OfferMessage(new DataflowMessageHeader(2), 2, source, consumeToAccept: false));

        clock.ReleaseFirstCallback();
        await advancing.WaitAsync(TestLimits.Hang);

        Assert.Equal(0, source.Releases);
        Assert.Equal(0, block.GetMetrics().ItemsRejected);
        Assert.True(block.TryReceive(out var second));
        Assert.Equal(1, second);
        Assert.Equal(1, block.Count);
        Assert.True(block.TryReceive(out var third));
        Assert.Equal(2, third);
        Assert.Equal(new StreamMetricsSnapshot(3, 3, 0, 0, 2, 0, 0, 0), block.GetMetrics());
    }

    /// <summary>
    /// A source offers a new message while its earlier one is still postponed (its earlier message went elsewhere): the
    /// new offer replaces the old one, and waits the full PauseUpstream timeout from its own postponement. It inherited
    /// the old offer's timer, so it timed out after waiting only what was left of the old one's. The same message
    /// offered again keeps its wait.
    /// </summary>
    [Fact]
    public void A_sources_new_message_replacing_its_postponed_one_waits_its_own_full_timeout()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1)
        {
            PauseTimeout = TimeSpan.FromSeconds(1),
            TimeProvider = clock,
        });
        Assert.True(block.Post(0));
        var source = new HoldingSource();
        Assert.Equal(DataflowMessageStatus.Postponed, block.OfferMessage(new DataflowMessageHeader(1), 1, source, consumeToAccept: false));
        clock.Advance(TimeSpan.FromMilliseconds(900));

        // The same message again: still the same wait, 100 ms from its end.
        Assert.Equal(DataflowMessageStatus.Postponed, block.OfferMessage(new DataflowMessageHeader(1), 1, source, consumeToAccept: false));
        clock.Advance(TimeSpan.FromMilliseconds(50));

        // A new message: a new wait of a full second.
        Assert.Equal(DataflowMessageStatus.Postponed, block.OfferMessage(new DataflowMessageHeader(2), 2, source, consumeToAccept: false));
        clock.Advance(TimeSpan.FromMilliseconds(900));
        Assert.Equal(0, source.Releases);
        Assert.Equal(0, block.GetMetrics().ItemsRejected);

        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, source.Releases);
        Assert.Equal(1, block.GetMetrics().ItemsRejected);
        Assert.True(block.TryReceive(out var first));
        Assert.Equal(0, first);
        Assert.Equal(0, block.Count);
        Assert.True(block.GetMetrics().IsConserved);
    }

    /// <summary>A FakeTimeProvider whose first timer's callback, when it fires, waits for the test before it runs.</summary>
    private sealed class GatedTimeProvider : TimeProvider
    {
        private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = new();
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim _gate = new();
        private int _timers;

        public Task FirstCallbackEntered => _entered.Task;

        public void Advance(TimeSpan delta) => _clock.Advance(delta);

        public void ReleaseFirstCallback() => _gate.Set();

        public override DateTimeOffset GetUtcNow() => _clock.GetUtcNow();

        public override long GetTimestamp() => _clock.GetTimestamp();

        public override long TimestampFrequency => _clock.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (Interlocked.Increment(ref _timers) > 1)
            {
                return _clock.CreateTimer(callback, state, dueTime, period);
            }

            return _clock.CreateTimer(
                s =>
                {
                    _entered.TrySetResult();
                    Assert.True(_gate.Wait(TestLimits.Hang));
                    callback(s);
                },
                state,
                dueTime,
                period);
        }
    }

    /// <summary>A source that holds every message it offered until it is consumed; counts the releases.</summary>
    private sealed class HoldingSource : ISourceBlock<int>
    {
        private int _releases;

        public int Releases => Volatile.Read(ref _releases);

        public Task Completion { get; } = new TaskCompletionSource().Task;

        public int ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target, out bool messageConsumed)
        {
            messageConsumed = true;
            return (int)messageHeader.Id;
        }

        public bool ReserveMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target) => true;

        public void ReleaseReservation(DataflowMessageHeader messageHeader, ITargetBlock<int> target) => Interlocked.Increment(ref _releases);

        public IDisposable LinkTo(ITargetBlock<int> target, DataflowLinkOptions linkOptions) => throw new NotSupportedException();

        public void Complete()
        {
        }

        public void Fault(Exception exception)
        {
        }
    }

    /// <summary>A source whose one offered message can be reserved and consumed only while it still holds it.</summary>
    private sealed class WithdrawingSource : ISourceBlock<int>
    {
        public bool Holds { get; set; } = true;

        public Task Completion { get; } = new TaskCompletionSource().Task;

        public int ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target, out bool messageConsumed)
        {
            messageConsumed = false;
            return 0;
        }

        public Exception? ReserveError { get; set; }

        public bool ReserveMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target) => ReserveError is null ? Holds : throw ReserveError;

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

    /// <summary>
    /// A SendAsync cancelled while its offer is postponed is counted as one rejected push, as a cancelled PushAsync is,
    /// whatever comes first: room (the block finds the message withdrawn), Complete or Fault (the block releases the
    /// postponed offer and finds it withdrawn). It was counted only when room came first, so the counters depended on
    /// the race.
    /// </summary>
    [Theory]
    [InlineData("room")]
    [InlineData("complete")]
    [InlineData("fault")]
    public async Task A_SendAsync_cancelled_while_postponed_is_counted_once_as_rejected_whatever_comes_next(string next)
    {
        var block = new BackpressureBlock<int>(BackpressurePolicy.PauseUpstream, 2);
        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        using var cancellation = new CancellationTokenSource();
        var send = block.SendAsync(3, cancellation.Token);
        Assert.False(send.IsCompleted);

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(Limit));
        switch (next)
        {
            case "room":
                Assert.True(block.TryReceive(out var first));
                Assert.Equal(1, first);
                break;
            case "complete":
                block.Complete();
                break;
            default:
                block.Fault(new FormatException("upstream failed"));
                break;
        }

        var metrics = block.GetMetrics();
        Assert.True(metrics.IsConserved, metrics.ToString());
        Assert.Equal(3, metrics.ItemsPushed);
        Assert.Equal(next == "fault" ? 3 : 1, metrics.ItemsRejected);
    }

    /// <summary>
    /// A target that postpones the first message offered and consumes it on another thread before it answers; it
    /// reports the value of the next message offered to it and declines it.
    /// </summary>
    private sealed class PostponeAndConsumeAtOnceTarget : ITargetBlock<int>
    {
        private readonly TaskCompletionSource<int> _firstConsumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<int> _secondOffered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _offers;

        public Task<int> FirstConsumed => _firstConsumed.Task;

        public Task<int> SecondOffered => _secondOffered.Task;

        public Task Completion { get; } = new TaskCompletionSource().Task;

        public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, int messageValue, ISourceBlock<int>? source, bool consumeToAccept)
        {
            if (Interlocked.Increment(ref _offers) > 1)
            {
                _secondOffered.TrySetResult(messageValue);
                return DataflowMessageStatus.Declined;
            }

            var consuming = Task.Run(() =>
            {
                var value = source!.ConsumeMessage(messageHeader, this, out var consumed);
                Assert.True(consumed);
                return value;
            });
            consuming.Wait(Limit);
            _firstConsumed.TrySetResult(consuming.Result);
            return DataflowMessageStatus.Postponed;
        }

        public void Complete()
        {
        }

        public void Fault(Exception exception)
        {
        }
    }

    /// <summary>
    /// The block seen by a producer that races a reader: every offer without a source goes to the block, then a reader
    /// takes the block's oldest message before the offer's answer reaches the producer.
    /// </summary>
    private sealed class ReadAfterSourcelessOffer(BackpressureBlock<int> block) : ITargetBlock<int>
    {
        public List<int> Read { get; } = [];

        public Task Completion => block.Completion;

        public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, int messageValue, ISourceBlock<int>? source, bool consumeToAccept)
        {
            var status = ((ITargetBlock<int>)block).OfferMessage(messageHeader, messageValue, source, consumeToAccept);
            if (source is null && block.TryReceive(out var item))
            {
                Read.Add(item);
            }

            return status;
        }

        public void Complete() => block.Complete();

        public void Fault(Exception exception) => ((IDataflowBlock)block).Fault(exception);
    }

    /// <summary>A source whose ConsumeMessage first posts 99 to the block, then hands over its message, 3.</summary>
    private sealed class StealingSource(ITargetBlock<int> block) : ISourceBlock<int>
    {
        public Task Completion => Task.CompletedTask;

        public int ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target, out bool messageConsumed)
        {
            Assert.True(block.Post(99));
            messageConsumed = true;
            return 3;
        }

        public bool ReserveMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target) => false;

        public void ReleaseReservation(DataflowMessageHeader messageHeader, ITargetBlock<int> target) => throw new NotSupportedException();

        public IDisposable LinkTo(ITargetBlock<int> target, DataflowLinkOptions linkOptions) => throw new NotSupportedException();

        public void Complete()
        {
        }

        public void Fault(Exception exception)
        {
        }
    }
}
