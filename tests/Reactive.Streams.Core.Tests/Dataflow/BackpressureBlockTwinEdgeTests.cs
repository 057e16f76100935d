using System.Threading.Tasks.Dataflow;
using static Reactive.Streams.Tests.Dataflow.BlockTwins;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Dataflow;

/// <summary>
/// Edge cases of the block against its twin, <see cref="BufferBlock{T}"/> with <c>BoundedCapacity</c>, written once and
/// run on both (see <see cref="BackpressureBlockTwinTests"/>): reserving targets fed by completed blocks, a reserved head
/// and the receive helpers, offers to a faulted block, a target linked twice, and links that leave or discard messages.
/// </summary>
public class BackpressureBlockTwinEdgeTests
{
    private static readonly TimeSpan Guard = TestLimits.Hang;

    public static TheoryData<Twin> All => [Twin.BufferBlock, Twin.PauseUpstream, Twin.DropOldest, Twin.DegradeQuality, Twin.Fail];

    // ---- Reserving targets fed by completed blocks -----------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_non_greedy_join_fed_by_two_completed_blocks_makes_its_tuple_and_completes(Twin twin)
    {
        var left = Create(twin, 4);
        var right = Create(twin, 4);
        left.Post(1);
        right.Post(10);
        left.Complete();
        right.Complete();
        var join = new JoinBlock<int, int>(new GroupingDataflowBlockOptions { Greedy = false });

        left.LinkTo(join.Target1, new DataflowLinkOptions { PropagateCompletion = true });
        right.LinkTo(join.Target2, new DataflowLinkOptions { PropagateCompletion = true });

        Assert.Equal(Tuple.Create(1, 10), await join.ReceiveAsync().WaitAsync(Guard));
        await join.Completion.WaitAsync(Guard);
        await left.Completion.WaitAsync(Guard);
        await right.Completion.WaitAsync(Guard);
        AssertConserved(left);
        AssertConserved(right);
    }

    // ---- A reserved head and the receive helpers --------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public void TryReceive_while_the_head_is_reserved_is_false_without_running_the_filter(Twin twin)
    {
        var block = Create(twin, 4);
        var holder = new BufferBlock<int>();
        block.Post(1);
        Assert.True(block.ReserveMessage(new DataflowMessageHeader(1), holder));
        var calls = 0;

        Assert.False(Receivable(block).TryReceive(x => { calls++; return true; }, out _));
        Assert.False(Receivable(block).TryReceive(_ => throw new FormatException("filter ran"), out _));

        Assert.Equal(0, calls);
        block.ReleaseReservation(new DataflowMessageHeader(1), holder);
        Assert.True(Receivable(block).TryReceive(x => { calls++; return true; }, out var item));
        Assert.Equal((1, 1), (item, calls));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ReceiveAsync_and_OutputAvailableAsync_wait_while_the_head_is_reserved_and_get_it_once_released(Twin twin)
    {
        var block = Create(twin, 4);
        var holder = new BufferBlock<int>();
        block.Post(1);
        Assert.True(block.ReserveMessage(new DataflowMessageHeader(1), holder));

        var available = block.OutputAvailableAsync();
        var received = block.ReceiveAsync();
        Assert.False(available.IsCompleted);
        Assert.False(received.IsCompleted);
        block.ReleaseReservation(new DataflowMessageHeader(1), holder);

        Assert.True(await available.WaitAsync(Guard));
        Assert.Equal(1, await received.WaitAsync(Guard));
        Assert.Equal(0, Count(block));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task OutputAvailableAsync_waiting_on_a_reserved_last_message_is_false_once_its_target_consumed_it_and_the_block_completed(Twin twin)
    {
        var block = Create(twin, 4);
        var holder = new BufferBlock<int>();
        block.Post(1);
        Assert.True(block.ReserveMessage(new DataflowMessageHeader(1), holder));
        var available = block.OutputAvailableAsync();
        block.Complete();

        Assert.Equal(1, block.ConsumeMessage(new DataflowMessageHeader(1), holder, out var consumed));

        Assert.True(consumed);
        Assert.False(await available.WaitAsync(Guard));
        await block.Completion.WaitAsync(Guard);
        AssertConserved(block);
    }

    // ---- Faulted blocks ---------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(All))]
    public async Task An_offer_to_a_faulted_block_is_declined_permanently_and_takes_nothing_from_its_source(Twin twin)
    {
        var block = Create(twin, 2);
        var source = new CountingSource();
        block.Fault(new FormatException("down"));
        await Assert.ThrowsAsync<FormatException>(() => block.Completion.WaitAsync(Guard));

        Assert.Equal(DataflowMessageStatus.DecliningPermanently, block.OfferMessage(new DataflowMessageHeader(1), 1, source, consumeToAccept: true));
        Assert.Equal(DataflowMessageStatus.DecliningPermanently, block.OfferMessage(new DataflowMessageHeader(2), 2, source, consumeToAccept: false));
        Assert.Equal(DataflowMessageStatus.DecliningPermanently, block.OfferMessage(new DataflowMessageHeader(3), 3, null, consumeToAccept: false));
        Assert.False(block.Post(4));
        Assert.False(await block.SendAsync(5).WaitAsync(Guard));

        Assert.Equal(0, source.Consumes);
        Assert.Equal(0, Count(block));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_message_a_target_postponed_before_a_fault_is_gone_when_it_comes_to_consume_it(Twin twin)
    {
        var block = Create(twin, 4);
        var target = new PostponingTarget();
        block.Post(1);
        block.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });
        var offer = await target.Offered.WaitAsync(Guard);

        block.Fault(new FormatException("down"));

        await Assert.ThrowsAsync<FormatException>(() => block.Completion.WaitAsync(Guard));
        Assert.IsType<FormatException>(Assert.Single(block.Completion.Exception!.InnerExceptions));
        block.ConsumeMessage(offer, target, out var consumed);
        Assert.False(consumed);
        Assert.False(block.ReserveMessage(offer, target));
        Assert.IsType<FormatException>(Assert.Single((await target.Faulted.WaitAsync(Guard)).Flatten().InnerExceptions));
        Assert.Equal(0, Count(block));
        AssertConserved(block);
    }

    // ---- Links --------------------------------------------------------------------------------------------------------

    /// <summary>
    /// A target linked once without a limit and once with <c>MaxMessages = 1</c>: the messages it takes through the
    /// first link are not counted against the second, which still takes its one message once the first is disposed
    /// (<see cref="BufferBlock{T}"/> registers the second link as a link of its own).
    /// </summary>
    [Theory]
    [MemberData(nameof(All))]
    public async Task A_target_linked_twice_takes_through_its_unbounded_link_without_using_up_its_MaxMessages_link(Twin twin)
    {
        var block = Create(twin, 4);
        var target = new BufferBlock<int>();
        var unbounded = block.LinkTo(target);
        using var once = block.LinkTo(target, new DataflowLinkOptions { MaxMessages = 1 });

        block.Post(1);
        block.Post(2);
        Assert.Equal(1, await target.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(2, await target.ReceiveAsync().WaitAsync(Guard));
        unbounded.Dispose();
        block.Post(3);
        block.Post(4);

        Assert.Equal(3, await target.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(4, await block.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(0, target.Count);
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_target_that_declined_permanently_is_not_told_of_the_completion(Twin twin)
    {
        var block = Create(twin, 4);
        var refusing = new PostponingTarget { Answer = DataflowMessageStatus.DecliningPermanently };
        var taking = new BufferBlock<int>();
        block.LinkTo(refusing, new DataflowLinkOptions { PropagateCompletion = true });
        block.LinkTo(taking, new DataflowLinkOptions { PropagateCompletion = true });

        block.Post(1);
        Assert.Equal(1, await taking.ReceiveAsync().WaitAsync(Guard));
        block.Post(2);
        Assert.Equal(2, await taking.ReceiveAsync().WaitAsync(Guard));
        block.Complete();
        await taking.Completion.WaitAsync(Guard);

        Assert.Equal([1], refusing.Offers);
        Assert.Equal(0, refusing.Completions);
        await block.Completion.WaitAsync(Guard);
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Messages_no_predicate_link_takes_go_to_NullTarget_linked_last_and_the_block_completes(Twin twin)
    {
        var block = Create(twin, 8);
        var odd = new BufferBlock<int>();
        block.LinkTo(odd, new DataflowLinkOptions { PropagateCompletion = true }, x => x % 2 != 0);
        block.LinkTo(DataflowBlock.NullTarget<int>());

        for (var i = 1; i <= 6; i++)
        {
            Assert.True(await block.SendAsync(i).WaitAsync(Guard));
        }

        block.Complete();

        Assert.Equal(1, await odd.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(3, await odd.ReceiveAsync().WaitAsync(Guard));
        Assert.Equal(5, await odd.ReceiveAsync().WaitAsync(Guard));
        await odd.Completion.WaitAsync(Guard);
        await block.Completion.WaitAsync(Guard);
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Encapsulated_with_a_NullTarget_input_the_block_is_a_source_that_completes_by_its_own_Complete(Twin twin)
    {
        var block = Create(twin, 4);
        block.Post(1);
        var encapsulated = DataflowBlock.Encapsulate(DataflowBlock.NullTarget<int>(), block);

        // The encapsulated target takes and drops what is offered to it; the source side is the block's.
        Assert.True(encapsulated.Post(99));
        Assert.Equal(1, await encapsulated.ReceiveAsync().WaitAsync(Guard));
        block.Complete();

        await encapsulated.Completion.WaitAsync(Guard);
        Assert.Equal(0, Count(block));
        AssertConserved(block);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Linking_a_faulted_block_with_PropagateCompletion_faults_the_target_with_the_blocks_fault(Twin twin)
    {
        var block = Create(twin, 4);
        block.Post(1);
        var boom = new FormatException("down");
        block.Fault(boom);
        await Assert.ThrowsAsync<FormatException>(() => block.Completion.WaitAsync(Guard));
        var target = new BufferBlock<int>();

        block.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });

        await Assert.ThrowsAnyAsync<Exception>(() => target.Completion.WaitAsync(Guard));
        Assert.Same(boom, Assert.Single(target.Completion.Exception!.Flatten().InnerExceptions));
        Assert.Equal(0, target.Count);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task A_target_completing_the_block_from_inside_the_offer_of_its_last_message_takes_it_and_hears_of_the_completion(Twin twin)
    {
        var block = Create(twin, 4);
        var target = new CompletingTarget(block, last: 2);
        block.Post(1);
        block.Post(2);

        block.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });

        await target.Completed.WaitAsync(Guard);
        await block.Completion.WaitAsync(Guard);
        Assert.Equal([1, 2], target.Taken);
        Assert.False(block.Post(3));
        Assert.Equal(0, Count(block));
        AssertConserved(block);
    }

    [Fact]
    public void ToString_and_the_debugger_show_the_name_policy_count_and_capacity()
    {
        var block = new BackpressureBlock<int>(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4) { Name = "orders" });
        block.Post(1);
        block.Post(2);

        Assert.Equal("orders (DropOldest, 2/4)", block.ToString());
        var display = Assert.Single(typeof(BackpressureBlock<int>).GetCustomAttributes(typeof(System.Diagnostics.DebuggerDisplayAttribute), inherit: false));
        Assert.Equal("{ToString(),nq}", ((System.Diagnostics.DebuggerDisplayAttribute)display).Value);
        block.Fault(new FormatException("down"));
        Assert.Equal("orders (DropOldest, 0/4)", block.ToString());
    }

    /// <summary>A target that consumes every message offered to it and completes its source from inside the offer of <c>last</c>.</summary>
    private sealed class CompletingTarget(IPropagatorBlock<int, int> block, int last) : ITargetBlock<int>
    {
        private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<int> _taken = [];

        public Task Completed => _completed.Task;

        public List<int> Taken
        {
            get
            {
                lock (_taken)
                {
                    return [.. _taken];
                }
            }
        }

        public Task Completion => _completed.Task;

        public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, int messageValue, ISourceBlock<int>? source, bool consumeToAccept)
        {
            if (consumeToAccept)
            {
                messageValue = source!.ConsumeMessage(messageHeader, this, out var consumed);
                if (!consumed)
                {
                    return DataflowMessageStatus.NotAvailable;
                }
            }

            lock (_taken)
            {
                _taken.Add(messageValue);
            }

            if (messageValue == last)
            {
                block.Complete();
            }

            return DataflowMessageStatus.Accepted;
        }

        public void Complete() => _completed.TrySetResult();

        public void Fault(Exception exception) => _completed.TrySetException(exception);
    }

    /// <summary>A target that answers every offer with <see cref="Answer"/> (postponing by default) and records what it hears.</summary>
    private sealed class PostponingTarget : ITargetBlock<int>
    {
        private readonly TaskCompletionSource<DataflowMessageHeader> _offered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<AggregateException> _faulted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<int> _offers = [];
        private int _completions;

        public DataflowMessageStatus Answer { get; init; } = DataflowMessageStatus.Postponed;

        public Task<DataflowMessageHeader> Offered => _offered.Task;

        public Task<AggregateException> Faulted => _faulted.Task;

        public int Completions => Volatile.Read(ref _completions);

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
                _offers.Add(messageValue);
            }

            _offered.TrySetResult(messageHeader);
            return Answer;
        }

        public void Complete() => Interlocked.Increment(ref _completions);

        public void Fault(Exception exception) =>
            _faulted.TrySetResult(exception as AggregateException ?? new AggregateException(exception));
    }

    /// <summary>A source that always has the message and counts the times it gives it up.</summary>
    private sealed class CountingSource : ISourceBlock<int>
    {
        private int _consumes;

        public int Consumes => Volatile.Read(ref _consumes);

        public Task Completion { get; } = new TaskCompletionSource().Task;

        public int ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target, out bool messageConsumed)
        {
            Interlocked.Increment(ref _consumes);
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
}
