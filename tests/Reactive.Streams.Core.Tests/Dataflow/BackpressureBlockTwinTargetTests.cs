using System.Reactive.Linq;
using System.Threading.Tasks.Dataflow;
using static Reactive.Streams.Tests.Dataflow.BlockTwins;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Dataflow;

/// <summary>
/// The block against its twin, <see cref="BufferBlock{T}"/> with <c>BoundedCapacity</c>, with targets as users write them
/// by hand (one that records what it is offered and answers Accepted without consuming, one that answers NotAvailable
/// without having tried), the same target linked twice, and the receive helpers that give up (a timeout, a token).
/// Each case is written once and runs on both.
/// </summary>
public class BackpressureBlockTwinTargetTests
{
    private static readonly TimeSpan Guard = TestLimits.Hang;

    public static TheoryData<Twin> All => [Twin.BufferBlock, Twin.PauseUpstream, Twin.DropOldest, Twin.DegradeQuality, Twin.Fail];

    /// <summary>The kinds whose full buffer postpones offers (the twin's behaviour).</summary>
    public static TheoryData<Twin> Postponing => [Twin.BufferBlock, Twin.PauseUpstream];

    // ---- Hand-written targets -------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_target_that_accepts_without_consuming_gets_each_message_once_in_order(Twin twin)
    {
        var block = Create(twin, 4);
        var target = new AcceptingTarget(expected: 4);
        Assert.True(block.Post(1));
        Assert.True(block.Post(2));

        block.LinkTo(target);
        Assert.True(block.Post(3));
        Assert.True(block.Post(4));

        await target.Done.WaitAsync(Guard);
        Assert.Equal([1, 2, 3, 4], target.Values);
        block.Complete();
        await block.Completion.WaitAsync(Guard);
        Assert.Equal(0, Count(block));
        AssertConserved(block);
        if (block is BackpressureBlock<int> policy)
        {
            Assert.Equal(4, policy.GetMetrics().ItemsDelivered);
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_MaxMessages_1_link_to_a_target_that_accepts_without_consuming_takes_one_message_and_is_removed(Twin twin)
    {
        var block = Create(twin, 4);
        var target = new AcceptingTarget(expected: 1);
        block.LinkTo(target, new DataflowLinkOptions { MaxMessages = 1 });

        Assert.True(block.Post(1));
        Assert.True(block.Post(2));

        await target.Done.WaitAsync(Guard);
        Assert.Equal(2, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal([1], target.Values);
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_target_answering_NotAvailable_without_consuming_is_passed_over_for_the_next_link(Twin twin)
    {
        var block = Create(twin, 4);
        var confused = new NotAvailableTarget();
        var next = new BufferBlock<int>();
        block.LinkTo(confused);
        block.LinkTo(next);

        Assert.True(block.Post(1));

        Assert.Equal(1, await next.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(1, confused.Offers);
        Assert.Equal(0, Count(block));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task The_same_target_linked_twice_with_MaxMessages_1_takes_two_messages(Twin twin)
    {
        var block = Create(twin, 4);
        var target = new BufferBlock<int>();
        block.LinkTo(target, new DataflowLinkOptions { MaxMessages = 1 });
        block.LinkTo(target, new DataflowLinkOptions { MaxMessages = 1 });

        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        Assert.True(block.Post(3));

        Assert.Equal(1, await target.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(2, await target.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(3, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.False(target.TryReceive(out _));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(Postponing))]
    public async Task A_postponed_message_whose_source_faulted_is_skipped_and_later_offers_enter(Twin twin)
    {
        var block = Full(twin);
        var upstream = new BufferBlock<int>();
        upstream.LinkTo(block);
        Assert.True(upstream.Post(3));
        var later = block.SendAsync(4);

        ((IDataflowBlock)upstream).Fault(new FormatException("upstream failed"));
        await Assert.ThrowsAsync<FormatException>(() => upstream.Completion.WaitAsync(Guard));

        Assert.Equal(1, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.True(await later.WaitAsync(Guard));
        Assert.Equal(2, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(4, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.True(await block.SendAsync(5).WaitAsync(Guard));
        Assert.Equal(5, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.False(block.Completion.IsCompleted);
        AssertConserved(block);
    }

    // ---- Receive helpers that give up ------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task ReceiveAsync_that_timed_out_leaves_the_next_message_to_the_next_receiver(Twin twin)
    {
        var block = Create(twin, 2);

        await Assert.ThrowsAsync<TimeoutException>(() => block.ReceiveAsync(TimeSpan.FromMilliseconds(1)).WaitAsync(Guard));
        Assert.Throws<TimeoutException>(() => block.Receive(TimeSpan.FromMilliseconds(1)));

        Assert.True(block.Post(7));
        Assert.Equal(7, await block.ReceiveAsync().WaitAsync(Guard));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Receive_and_OutputAvailableAsync_cancelled_take_nothing(Twin twin)
    {
        var block = Create(twin, 2);
        using var cancellation = new CancellationTokenSource();
        var available = block.OutputAvailableAsync(cancellation.Token);
        var receive = block.ReceiveAsync(cancellation.Token);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => available.WaitAsync(Guard));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receive.WaitAsync(Guard));
        Assert.Throws<OperationCanceledException>(() => block.Receive(cancellation.Token));
        Assert.True(block.Post(8));
        Assert.True(await block.OutputAvailableAsync().WaitAsync(Guard));
        Assert.Equal(8, await block.ReceiveAsync().WaitAsync(Guard));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task OutputAvailableAsync_of_a_faulted_block_is_false_and_ReceiveAsync_throws(Twin twin)
    {
        var block = Create(twin, 2);
        Assert.True(block.Post(1));
        var waiting = Create(twin, 2);
        var pending = waiting.OutputAvailableAsync();

        block.Fault(new FormatException("boom"));
        waiting.Fault(new FormatException("boom"));

        // BufferBlock drops its messages asynchronously after a fault: ask once the fault is complete.
        await Assert.ThrowsAsync<FormatException>(() => block.Completion.WaitAsync(Guard));
        Assert.False(await block.OutputAvailableAsync().WaitAsync(Guard));
        Assert.False(await pending.WaitAsync(Guard));
        await Assert.ThrowsAsync<InvalidOperationException>(() => block.ReceiveAsync().WaitAsync(Guard));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AsObserver_sends_each_item_and_completes_or_faults_the_block(Twin twin)
    {
        var block = Create(twin, 8);
        var faulted = Create(twin, 8);
        var boom = new FormatException("source failed");

        Observable.Range(1, 3).Subscribe(block.AsObserver());
        Observable.Range(1, 2).Concat(Observable.Throw<int>(boom)).Subscribe(faulted.AsObserver());

        Assert.Equal(1, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(2, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(3, await block.ReceiveAsync().WaitAsync(Guard));
        await block.Completion.WaitAsync(Guard);
        var error = await Assert.ThrowsAsync<FormatException>(() => faulted.Completion.WaitAsync(Guard));
        Assert.Same(boom, error);
        AssertConserved(block);
        AssertConserved(faulted);
    }

    /// <summary>
    /// A target written as many users write one: it records the value it is offered and answers Accepted, whatever
    /// <c>consumeToAccept</c> says. It declines permanently after 50 offers, so a source that keeps offering it the same
    /// message shows as duplicates instead of a hang.
    /// </summary>
    private sealed class AcceptingTarget(int expected) : ITargetBlock<int>
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<int> _values = [];

        public Task Done => _done.Task;

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
                if (_values.Count >= 50)
                {
                    _done.TrySetResult();
                    return DataflowMessageStatus.DecliningPermanently;
                }

                _values.Add(messageValue);
                if (_values.Count >= expected)
                {
                    _done.TrySetResult();
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

    /// <summary>A target that answers NotAvailable without trying to consume; after 50 offers it declines permanently.</summary>
    private sealed class NotAvailableTarget : ITargetBlock<int>
    {
        private int _offers;

        public int Offers => Volatile.Read(ref _offers);

        public Task Completion { get; } = new TaskCompletionSource().Task;

        public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, int messageValue, ISourceBlock<int>? source, bool consumeToAccept) =>
            Interlocked.Increment(ref _offers) > 50 ? DataflowMessageStatus.DecliningPermanently : DataflowMessageStatus.NotAvailable;

        public void Complete()
        {
        }

        public void Fault(Exception exception)
        {
        }
    }
}
