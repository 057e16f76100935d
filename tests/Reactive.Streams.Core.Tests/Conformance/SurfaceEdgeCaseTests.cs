using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Internal;
using Reactive.Streams.Testing;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Tests.Conformance;

/// <summary>
/// Cases a user of Channels, TPL Dataflow and Rx.NET would try, each against the platform
/// twin where there is one, that the conformance table and the twin suites do not already hold.
/// </summary>
public sealed class SurfaceEdgeCaseTests
{
    // A watchdog only: long enough that a loaded machine never trips it on a test that is merely slow.
    private static readonly TimeSpan s_guard = TimeSpan.FromMinutes(2);

    // ---- Channel face ------------------------------------------------------------------------------------------

    /// <summary>The runtime's channel of the twin full mode, or ours.</summary>
    private static Channel<int> OpenChannel(string variant, BackpressurePolicy policy, int capacity) => variant switch
    {
        "runtime" => Channel.CreateBounded<int>(new BoundedChannelOptions(capacity)
        {
            FullMode = policy == BackpressurePolicy.PauseUpstream ? BoundedChannelFullMode.Wait : BoundedChannelFullMode.DropOldest,
        }),
        "ours" => BackpressureChannel.Create<int>(new BoundedStreamOptions<int>(policy, capacity) { Degrader = x => -x }),
        _ => BackpressureChannel.Create<int>(new BoundedStreamOptions<int>(policy, capacity) { Degrader = x => -x, SingleReader = true, SingleWriter = true }),
    };

    public static TheoryData<string, BackpressurePolicy> ChannelTwins()
    {
        var data = new TheoryData<string, BackpressurePolicy>();
        foreach (var variant in new[] { "runtime", "ours", "ours-single" })
        {
            data.Add(variant, BackpressurePolicy.PauseUpstream);
            data.Add(variant, BackpressurePolicy.DropOldest);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ChannelTwins))]
    public async Task Channel_completed_with_an_OperationCanceledException_surfaces_it_as_the_runtime_does(string variant, BackpressurePolicy policy)
    {
        var channel = OpenChannel(variant, policy, 1);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var oce = new OperationCanceledException(cts.Token);
        var pendingRead = channel.Reader.ReadAsync().AsTask();

        Assert.True(channel.Writer.TryComplete(oce));

        // The runtime's bounded channel hands an OperationCanceledException completion error back as is.
        var readError = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pendingRead.WaitAsync(s_guard));
        Assert.Same(oce, readError);
        var writeError = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channel.Writer.WriteAsync(1).AsTask());
        Assert.Same(oce, writeError);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channel.Reader.ReadAsync().AsTask());
        Assert.True(channel.Reader.Completion.IsCanceled);
    }

    [Theory]
    [MemberData(nameof(ChannelTwins))]
    public async Task Channel_pending_WriteAsync_at_completion_with_an_OperationCanceledException_gets_it_as_the_runtime_does(string variant, BackpressurePolicy policy)
    {
        if (policy != BackpressurePolicy.PauseUpstream)
        {
            return;
        }

        var channel = OpenChannel(variant, policy, 1);
        Assert.True(channel.Writer.TryWrite(1));
        var pending = channel.Writer.WriteAsync(2).AsTask();
        var oce = new OperationCanceledException();

        Assert.True(channel.Writer.TryComplete(oce));

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(s_guard));
        Assert.Same(oce, error);
    }

    [Theory]
    [MemberData(nameof(ChannelTwins))]
    public async Task Channel_ReadAsync_with_a_cancelled_token_throws_the_same_exception_type_as_the_runtime(string variant, BackpressurePolicy policy)
    {
        var channel = OpenChannel(variant, policy, 2);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var read = Record(async () => await channel.Reader.ReadAsync(cts.Token));
        var write = Record(async () => await channel.Writer.WriteAsync(1, cts.Token));
        var waitRead = Record(async () => await channel.Reader.WaitToReadAsync(cts.Token));
        var waitWrite = Record(async () => await channel.Writer.WaitToWriteAsync(cts.Token));

        // Task.FromCanceled: a TaskCanceledException carrying the token.
        Assert.IsType<TaskCanceledException>(await read);
        Assert.IsType<TaskCanceledException>(await write);
        Assert.IsType<TaskCanceledException>(await waitRead);
        Assert.IsType<TaskCanceledException>(await waitWrite);
    }

    [Theory]
    [MemberData(nameof(ChannelTwins))]
    public async Task Channel_of_capacity_one_hands_every_item_through_in_order(string variant, BackpressurePolicy policy)
    {
        var channel = OpenChannel(variant, policy, 1);
        var reader = Task.Run(async () =>
        {
            var items = new List<int>();
            await foreach (var item in channel.Reader.ReadAllAsync())
            {
                items.Add(item);
            }

            return items;
        });

        for (var i = 1; i <= 200; i++)
        {
            await channel.Writer.WriteAsync(i);
        }

        channel.Writer.Complete();
        var read = await reader.WaitAsync(s_guard);
        if (policy == BackpressurePolicy.PauseUpstream)
        {
            Assert.Equal(Enumerable.Range(1, 200), read);
        }
        else
        {
            Assert.Equal(200, read[^1]);
            Assert.Equal(read.OrderBy(x => x), read);
        }
    }

    [Theory]
    [MemberData(nameof(ChannelTwins))]
    public async Task Channel_pending_WriteAsyncs_enter_in_arrival_order_as_reads_make_room(string variant, BackpressurePolicy policy)
    {
        if (policy != BackpressurePolicy.PauseUpstream)
        {
            return;
        }

        var channel = OpenChannel(variant, policy, 1);
        Assert.True(channel.Writer.TryWrite(0));
        var w1 = channel.Writer.WriteAsync(1).AsTask();
        var w2 = channel.Writer.WriteAsync(2).AsTask();
        var w3 = channel.Writer.WriteAsync(3).AsTask();
        Assert.False(channel.Writer.TryWrite(99));

        var read = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            read.Add(await channel.Reader.ReadAsync().AsTask().WaitAsync(s_guard));
        }

        await Task.WhenAll(w1, w2, w3).WaitAsync(s_guard);
        Assert.Equal([0, 1, 2, 3], read);
        Assert.Equal(0, channel.Reader.Count);
    }

    [Theory]
    [MemberData(nameof(ChannelTwins))]
    public async Task Channel_TryPeek_and_Count_on_an_empty_and_a_completed_channel(string variant, BackpressurePolicy policy)
    {
        var channel = OpenChannel(variant, policy, 2);
        Assert.True(channel.Reader.CanCount);
        Assert.True(channel.Reader.CanPeek);
        Assert.False(channel.Reader.TryPeek(out _));
        Assert.Equal(0, channel.Reader.Count);
        Assert.True(channel.Writer.TryWrite(5));
        Assert.True(channel.Writer.TryComplete());
        Assert.False(channel.Writer.TryComplete());
        Assert.True(channel.Reader.TryPeek(out var head));
        Assert.Equal(5, head);
        Assert.Equal(1, channel.Reader.Count);
        Assert.False(channel.Reader.Completion.IsCompleted);
        Assert.Equal(5, await channel.Reader.ReadAsync());
        await channel.Reader.Completion.WaitAsync(s_guard);
        Assert.False(await channel.Reader.WaitToReadAsync());
        Assert.False(await channel.Writer.WaitToWriteAsync());
        var closed = await Assert.ThrowsAsync<ChannelClosedException>(() => channel.Reader.ReadAsync().AsTask());
        Assert.Null(closed.InnerException);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Channel_and_stream_factories_name_a_bad_capacity(int capacity)
    {
        foreach (var policy in Enum.GetValues<BackpressurePolicy>())
        {
            Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => BackpressureChannel.Create<int>(policy, capacity, x => x)).ParamName);
            Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => new BackpressureBlock<int>(policy, capacity, x => x)).ParamName);
        }

        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => BoundedStream.DropOldest<int>(capacity)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => BoundedStream.Fail<int>(capacity)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => BoundedStream.PauseUpstream<int>(capacity)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => BoundedStream.DegradeQuality<int>(capacity, x => x)).ParamName);
    }

    [Fact]
    public void Undefined_policies_are_named_on_every_surface()
    {
        var bad = (BackpressurePolicy)42;
        Assert.Equal("policy", Assert.Throws<ArgumentOutOfRangeException>(() => BackpressureChannel.Create<int>(bad, 1)).ParamName);
        Assert.Equal("policy", Assert.Throws<ArgumentOutOfRangeException>(() => Observable.Never<int>().WithBackpressure(bad, 1, ImmediateScheduler.Instance)).ParamName);
        Assert.Equal("policy", Assert.Throws<ArgumentOutOfRangeException>(() => Observable.Never<int>().SubscribeAsync((_, _) => default, bad, 1)).ParamName);
        Assert.Equal("policy", Assert.Throws<ArgumentOutOfRangeException>(() => Observable.Never<int>().ToBoundedStream(bad, 1)).ParamName);
    }

    [Fact]
    public void A_negative_PauseUpstream_timeout_is_named_as_the_argument_passed()
    {
        var xs = Observable.Never<int>();
        var rx = Assert.Throws<ArgumentOutOfRangeException>(() => xs.PauseUpstream(1, TimeSpan.FromSeconds(-1), ImmediateScheduler.Instance));
        Assert.Equal("timeout", rx.ParamName);
        Assert.Equal("timeout", Assert.Throws<ArgumentOutOfRangeException>(() => xs.PauseUpstream(1, TimeSpan.MaxValue, ImmediateScheduler.Instance)).ParamName);
        _ = xs.PauseUpstream(1, Timeout.InfiniteTimeSpan, ImmediateScheduler.Instance);
        _ = xs.PauseUpstream(1, TimeSpan.Zero, ImmediateScheduler.Instance);
    }

    [Fact]
    public void Null_arguments_of_the_stream_factories_are_named()
    {
        Assert.Equal("degrader", Assert.Throws<ArgumentNullException>(() => BoundedStream.DegradeQuality<int>(1, null!)).ParamName);
        Assert.Equal("degrader", Assert.Throws<ArgumentNullException>(() => BoundedStream.DegradeQuality<int>(1, null!, "n")).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => BoundedStream.Create<int>(null!)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => new BoundedStream<int>(null!)).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => ((IObservable<int>)null!).PauseUpstream(1, TimeSpan.FromSeconds(1), ImmediateScheduler.Instance)).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => Observable.Never<int>().PauseUpstream(1, TimeSpan.FromSeconds(1), null!)).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => Observable.Never<int>().WithBackpressure(BackpressurePolicy.DropOldest, 1, null!)).ParamName);
    }

    // ---- BoundedStream ------------------------------------------------------------------------------------------

    [Fact]
    public async Task Stream_Fail_overflow_throws_a_StreamOverflowException_naming_policy_capacity_and_stream()
    {
        var stream = BoundedStream.Fail<int>(1, "probe-fail");
        await stream.PushAsync(1);
        var error = await Assert.ThrowsAsync<StreamOverflowException>(() => stream.PushAsync(2).AsTask());
        Assert.Equal(BackpressurePolicy.Fail, error.Policy);
        Assert.Equal(1, error.Capacity);
        Assert.Equal("probe-fail", error.StreamName);
        Assert.Throws<StreamOverflowException>(() => stream.Push(3));
        Assert.Equal(PushStatus.Overflow, stream.TryPush(4).Status);
        var metrics = stream.GetMetrics();
        Assert.Equal(3, metrics.FailOverflows);
        Assert.True(metrics.IsConserved);
        Assert.Equal(1, stream.Depth);
    }

    [Theory]
    [InlineData(nameof(BufferMode.SharedLane))]
    [InlineData(nameof(BufferMode.SingleLane))]
    [InlineData(nameof(BufferMode.Locked))]
    public async Task Stream_DegradeQuality_applies_the_degrader_only_on_overflow_and_hands_the_evicted_to_OnDropped(string mode)
    {
        var dropped = new List<int>();
        var degraded = new List<int>();
        var stream = new BoundedStream<int>(new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 1)
        {
            Degrader = x =>
            {
                degraded.Add(x);
                return x * 100;
            },
            OnDropped = dropped.Add,
        }, Enum.Parse<BufferMode>(mode));

        Assert.Equal(PushStatus.Enqueued, stream.TryPush(1).Status);
        Assert.Equal(PushStatus.Degraded, stream.TryPush(2).Status);
        await stream.PushAsync(3);
        Assert.Equal([2, 3], degraded);
        Assert.Equal([1, 200], dropped);
        Assert.True(stream.TryRead(out var item));
        Assert.Equal(300, item);
        Assert.Equal(PushStatus.Enqueued, stream.TryPush(4).Status);
        Assert.Equal([2, 3], degraded);
        Assert.Equal(2, stream.GetMetrics().DegradeQualityHits);
    }

    [Fact]
    public async Task Stream_DegradeQuality_without_a_degrader_rejects_only_on_overflow()
    {
        var stream = BoundedStream.Create(new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 1));
        await stream.PushAsync(1);
        var error = await Assert.ThrowsAsync<MissingDegraderException>(() => stream.PushAsync(2).AsTask());
        Assert.Equal(1, error.Capacity);
        Assert.Equal(PushStatus.MissingDegrader, stream.TryPush(3).Status);
        Assert.True(stream.GetMetrics().IsConserved);
    }

    [Fact]
    public async Task Stream_PauseUpstream_blocking_Push_is_released_by_a_read_on_another_thread()
    {
        var stream = BoundedStream.PauseUpstream<int>(1);
        stream.Push(1);
        var pusher = Task.Factory.StartNew(() => stream.Push(2), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await WaitUntil(() => stream.GetMetrics().PauseUpstreamBlocks > 0 || pusher.IsCompleted);
        Assert.False(pusher.IsCompleted);
        Assert.Equal(1, await stream.ReadAsync());
        await pusher.WaitAsync(s_guard);
        Assert.Equal(2, await stream.ReadAsync());
    }

    [Fact]
    public async Task Stream_PauseUpstream_blocking_Push_cancelled_while_waiting_throws_and_its_item_never_arrives()
    {
        var stream = BoundedStream.PauseUpstream<int>(1);
        stream.Push(1);
        using var cts = new CancellationTokenSource();
        var pusher = Task.Factory.StartNew(() => stream.Push(2, cts.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await WaitUntil(() => stream.GetMetrics().PauseUpstreamBlocks > 0 || pusher.IsCompleted);
        await cts.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pusher.WaitAsync(s_guard));
        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.Equal(1, await stream.ReadAsync());
        Assert.False(stream.TryRead(out _));
        Assert.True(stream.GetMetrics().IsConserved);
    }

    [Fact]
    public async Task Stream_Complete_twice_throws_and_a_later_push_is_closed()
    {
        var stream = BoundedStream.DropOldest<int>(2);
        stream.Complete();
        Assert.Throws<InvalidOperationException>(() => stream.Complete());
        Assert.False(stream.TryComplete());
        var closed = await Assert.ThrowsAsync<StreamClosedException>(() => stream.PushAsync(1).AsTask());
        Assert.IsAssignableFrom<ChannelClosedException>(closed);
        Assert.Equal(PushStatus.Closed, stream.TryPush(1).Status);
        Assert.True(stream.Completion.IsCompletedSuccessfully);
    }

    // ---- Dataflow block --------------------------------------------------------------------------------------------

    public static TheoryData<string, BackpressurePolicy> BlockTwins()
    {
        var data = new TheoryData<string, BackpressurePolicy>();
        foreach (var variant in new[] { "runtime", "ours" })
        {
            data.Add(variant, BackpressurePolicy.PauseUpstream);
            data.Add(variant, BackpressurePolicy.Fail);
            data.Add(variant, BackpressurePolicy.DropOldest);
        }

        return data;
    }

    private static IPropagatorBlock<int, int> OpenBlock(string variant, BackpressurePolicy policy, int capacity) =>
        variant == "runtime"
            ? new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = capacity })
            : new BackpressureBlock<int>(policy, capacity);

    [Theory]
    [MemberData(nameof(BlockTwins))]
    public async Task Block_ReceiveAsync_on_a_completed_empty_block_throws_InvalidOperationException(string variant, BackpressurePolicy policy)
    {
        var block = OpenBlock(variant, policy, 2);
        var pending = block.ReceiveAsync();
        block.Complete();
        await Assert.ThrowsAsync<InvalidOperationException>(() => pending.WaitAsync(s_guard));
        await Assert.ThrowsAsync<InvalidOperationException>(() => block.ReceiveAsync());
        await block.Completion.WaitAsync(s_guard);
        Assert.False(await block.OutputAvailableAsync());
    }

    [Theory]
    [MemberData(nameof(BlockTwins))]
    public async Task Block_OutputAvailableAsync_waits_for_a_message_and_Receive_times_out(string variant, BackpressurePolicy policy)
    {
        var block = OpenBlock(variant, policy, 2);
        var available = block.OutputAvailableAsync();
        Assert.False(available.IsCompleted);
        Assert.Throws<TimeoutException>(() => block.Receive(TimeSpan.FromMilliseconds(1)));
        Assert.True(block.Post(7));
        Assert.True(await available.WaitAsync(s_guard));
        Assert.Equal(7, block.Receive(s_guard));
    }

    [Theory]
    [MemberData(nameof(BlockTwins))]
    public async Task Block_ReceiveAsync_cancelled_while_waiting_takes_no_later_message(string variant, BackpressurePolicy policy)
    {
        var block = OpenBlock(variant, policy, 2);
        using var cts = new CancellationTokenSource();
        var pending = block.ReceiveAsync(cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(s_guard));
        Assert.True(pending.IsCanceled);
        Assert.True(block.Post(1));
        Assert.True(((IReceivableSourceBlock<int>)block).TryReceive(out var item));
        Assert.Equal(1, item);
    }

    [Theory]
    [MemberData(nameof(BlockTwins))]
    public async Task Block_Fault_completes_faulted_with_the_exception_and_declines_offers(string variant, BackpressurePolicy policy)
    {
        var block = OpenBlock(variant, policy, 2);
        Assert.True(block.Post(1));
        var boom = new FormatException("boom");
        block.Fault(boom);
        var error = await Assert.ThrowsAsync<FormatException>(() => block.Completion.WaitAsync(s_guard));
        Assert.Same(boom, error);
        Assert.Same(boom, block.Completion.Exception!.InnerException);
        Assert.False(block.Post(2));
        Assert.False(await block.SendAsync(3));
        Assert.False(((IReceivableSourceBlock<int>)block).TryReceive(out _));
        Assert.False(((IReceivableSourceBlock<int>)block).TryReceiveAll(out var all));
        Assert.Null(all);
    }

    [Theory]
    [MemberData(nameof(BlockTwins))]
    public async Task Block_linked_with_PropagateCompletion_faults_its_target_with_the_fault(string variant, BackpressurePolicy policy)
    {
        var block = OpenBlock(variant, policy, 2);
        var target = new BufferBlock<int>();
        block.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });
        var boom = new FormatException("boom");
        block.Fault(boom);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => target.Completion.WaitAsync(s_guard));
        Assert.True(target.Completion.IsFaulted);
        Assert.Contains(boom, target.Completion.Exception!.Flatten().InnerExceptions);
        Assert.NotNull(error);
    }

    [Theory]
    [MemberData(nameof(BlockTwins))]
    public async Task Block_of_capacity_one_through_a_slow_ActionBlock_carries_everything_under_SendAsync(string variant, BackpressurePolicy policy)
    {
        if (policy != BackpressurePolicy.PauseUpstream)
        {
            return;
        }

        var block = OpenBlock(variant, policy, 1);
        var received = new List<int>();
        var sink = new ActionBlock<int>(async x =>
        {
            await Task.Yield();
            received.Add(x);
        }, new ExecutionDataflowBlockOptions { BoundedCapacity = 1 });
        block.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });
        for (var i = 0; i < 100; i++)
        {
            Assert.True(await block.SendAsync(i).WaitAsync(s_guard));
        }

        block.Complete();
        await sink.Completion.WaitAsync(s_guard);
        Assert.Equal(Enumerable.Range(0, 100), received);
    }

    [Theory]
    [MemberData(nameof(BlockTwins))]
    public async Task Block_SendAsync_to_a_full_block_then_TryReceiveAll_lets_the_postponed_message_in(string variant, BackpressurePolicy policy)
    {
        if (policy != BackpressurePolicy.PauseUpstream)
        {
            return;
        }

        var block = OpenBlock(variant, policy, 2);
        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        var send = block.SendAsync(3);
        Assert.False(send.IsCompleted);
        Assert.True(((IReceivableSourceBlock<int>)block).TryReceiveAll(out var items));
        Assert.Equal([1, 2], items);
        Assert.True(await send.WaitAsync(s_guard));
        Assert.Equal(3, await block.ReceiveAsync().WaitAsync(s_guard));
    }

    [Fact]
    public async Task Block_DegradeQuality_buffers_the_degraded_message_and_counts_it()
    {
        var block = new BackpressureBlock<int>(BackpressurePolicy.DegradeQuality, 1, x => x * 10);
        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        Assert.True(await block.SendAsync(3));
        Assert.Equal(1, block.Count);
        Assert.Equal(30, await block.ReceiveAsync());
        var metrics = block.GetMetrics();
        Assert.Equal(2, metrics.DegradeQualityHits);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public async Task Block_Fail_overflow_declines_SendAsync_without_faulting_the_block()
    {
        var block = new BackpressureBlock<int>(BackpressurePolicy.Fail, 1);
        Assert.True(await block.SendAsync(1));
        Assert.False(await block.SendAsync(2));
        Assert.False(block.Completion.IsCompleted);
        Assert.Equal(1, block.GetMetrics().FailOverflows);
    }

    // ---- Rx operators ------------------------------------------------------------------------------------------

    [Fact]
    public void Rx_FailOnOverflow_ends_with_a_StreamOverflowException_after_the_buffered_items()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(300, 4));
        var res = scheduler.Start(() => xs.FailOnOverflow(2, scheduler));
        Assert.Equal(3, res.Messages.Count);
        Assert.Equal(1, res.Messages[0].Value.Value);
        Assert.Equal(2, res.Messages[1].Value.Value);
        var error = Assert.IsType<StreamOverflowException>(res.Messages[2].Value.Exception);
        Assert.Equal(BackpressurePolicy.Fail, error.Policy);
        Assert.Equal(2, error.Capacity);
        Assert.Equal([Subscribe(200, 210)], xs.Subscriptions);
    }

    [Fact]
    public void Rx_operator_of_capacity_one_on_a_virtual_clock()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnCompleted<int>(220));
        var drop = scheduler.Start(() => xs.DropOldest(1, scheduler));
        Assert.Equal([OnNext(211, 3), OnCompleted<int>(221)], drop.Messages);

        var scheduler2 = new TestScheduler();
        var ys = scheduler2.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnCompleted<int>(220));
        var degrade = scheduler2.Start(() => ys.DegradeQuality(1, x => -x, scheduler2));
        Assert.Equal([OnNext(211, -3), OnCompleted<int>(221)], degrade.Messages);
    }

    [Fact]
    public async Task Rx_PauseUpstream_on_the_immediate_scheduler_delivers_every_item()
    {
        var items = await Observable.Range(0, 500).PauseUpstream(2, ImmediateScheduler.Instance).ToList().ToTask().WaitAsync(s_guard);
        Assert.Equal(Enumerable.Range(0, 500), items);
    }

    [Fact]
    public async Task Rx_PauseUpstream_on_the_current_thread_scheduler_from_a_pool_thread_does_not_hang()
    {
        var run = Task.Run(() => Observable.Range(0, 50, CurrentThreadScheduler.Instance)
            .PauseUpstream(2, CurrentThreadScheduler.Instance)
            .Materialize()
            .ToList()
            .Wait());
        Assert.True(await Task.WhenAny(run, Task.Delay(s_guard)) == run, "deadlock on the trampoline of a pool thread");
    }

    [Fact]
    public void Rx_DegradeQuality_with_a_throwing_degrader_faults_with_InvalidOperationException_wrapping_it()
    {
        var scheduler = new TestScheduler();
        var boom = new FormatException();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2));
        var res = scheduler.Start(() => xs.DegradeQuality(1, _ => throw boom, scheduler));
        Assert.Equal(2, res.Messages.Count);
        Assert.Equal(1, res.Messages[0].Value.Value);
        var error = Assert.IsType<InvalidOperationException>(res.Messages[1].Value.Exception);
        Assert.Same(boom, error.InnerException);
    }

    [Fact]
    public async Task SubscribeAsync_Fail_overflow_faults_Completion_with_StreamOverflowException()
    {
        var subject = new Subject<int>();
        var gate = new TaskCompletionSource();
        using var subscription = subject.SubscribeAsync(async (_, ct) => await gate.Task.WaitAsync(ct), BackpressurePolicy.Fail, 1);
        subject.OnNext(1);
        await WaitUntil(() => subscription.GetMetrics().ItemsDelivered == 1);
        subject.OnNext(2);
        subject.OnNext(3);
        gate.SetResult();
        var error = await Assert.ThrowsAsync<StreamOverflowException>(() => subscription.Completion.WaitAsync(s_guard));
        Assert.Equal(BackpressurePolicy.Fail, error.Policy);
    }

    [Fact]
    public async Task SubscribeAsync_disposed_while_the_handler_waits_cancels_its_token_and_completes()
    {
        var subject = new Subject<int>();
        var started = new TaskCompletionSource();
        var cancelled = new TaskCompletionSource();
        var subscription = subject.SubscribeAsync(
            async (_, ct) =>
            {
                started.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    cancelled.TrySetResult();
                    throw;
                }
            },
            BackpressurePolicy.PauseUpstream,
            1);
        subject.OnNext(1);
        await started.Task.WaitAsync(s_guard);
        await subscription.DisposeAsync();
        await cancelled.Task.WaitAsync(s_guard);
        await Task.WhenAny(subscription.Completion).WaitAsync(s_guard);
    }

    // ---- Batch 2 ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Stream_completed_with_an_error_fails_reads_with_a_closed_exception_wrapping_it_after_draining()
    {
        var stream = BoundedStream.DropOldest<int>(2);
        await stream.PushAsync(1);
        var boom = new FormatException();
        stream.Complete(boom);
        Assert.Equal(1, await stream.ReadAsync());
        var closed = await Assert.ThrowsAsync<StreamClosedException>(() => stream.ReadAsync().AsTask());
        Assert.Same(boom, closed.InnerException);
        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => stream.WaitToReadAsync().AsTask()));
        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => stream.Completion));
    }

    [Fact]
    public void Stream_AsObservable_delivers_the_items_then_the_completion_error_in_virtual_time()
    {
        var scheduler = new TestScheduler();
        var stream = BoundedStream.Fail<int>(4);
        stream.TryPush(1);
        stream.TryPush(2);
        var boom = new FormatException();
        stream.Complete(boom);
        var observer = scheduler.CreateObserver<int>();
        using var subscription = stream.AsObservable(scheduler).Subscribe(observer);
        scheduler.Start();
        Assert.Equal(3, observer.Messages.Count);
        Assert.Equal(1, observer.Messages[0].Value.Value);
        Assert.Equal(2, observer.Messages[1].Value.Value);
        Assert.Same(boom, observer.Messages[2].Value.Exception);
    }

    [Fact]
    public async Task ToAsyncEnumerable_Fail_overflow_throws_after_the_buffered_items()
    {
        var subject = new Subject<int>();
        var items = new List<int>();
        var enumerable = subject.ToAsyncEnumerable(BackpressurePolicy.Fail, 2);
        await using var e = enumerable.GetAsyncEnumerator();
        var first = e.MoveNextAsync().AsTask();
        subject.OnNext(1);
        Assert.True(await first.WaitAsync(s_guard));
        items.Add(e.Current);
        subject.OnNext(2);
        subject.OnNext(3);
        subject.OnNext(4);
        Assert.False(subject.HasObservers);
        while (true)
        {
            try
            {
                if (!await e.MoveNextAsync())
                {
                    Assert.Fail("ended without the overflow");
                }

                items.Add(e.Current);
            }
            catch (StreamOverflowException overflow)
            {
                Assert.Equal(BackpressurePolicy.Fail, overflow.Policy);
                break;
            }
        }

        Assert.Equal([1, 2, 3], items);
    }

    [Fact]
    public async Task SubscribeAsync_disposed_while_a_producer_is_blocked_in_PauseUpstream_releases_it()
    {
        var subject = new Subject<int>();
        var gate = new TaskCompletionSource();
        var subscription = subject.SubscribeAsync(async (_, ct) => await gate.Task.WaitAsync(ct), BackpressurePolicy.PauseUpstream, 1);
        var producer = Task.Factory.StartNew(
            () =>
            {
                for (var i = 0; i < 5; i++)
                {
                    subject.OnNext(i);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        await WaitUntil(() => subscription.GetMetrics().PauseUpstreamBlocks > 0);
        subscription.Dispose();
        await producer.WaitAsync(s_guard);
        Assert.False(subject.HasObservers);
        await Task.WhenAny(subscription.Completion).WaitAsync(s_guard);
    }

    [Fact]
    public async Task SubscribeAsync_handler_error_faults_Completion_with_it_and_unsubscribes()
    {
        var subject = new Subject<int>();
        var boom = new FormatException();
        using var subscription = subject.SubscribeAsync((_, _) => throw boom, BackpressurePolicy.DropOldest, 4);
        subject.OnNext(1);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => subscription.Completion.WaitAsync(s_guard));
        Assert.Same(boom, error);
        await WaitUntil(() => !subject.HasObservers);
    }

    [Fact]
    public async Task SubscribeAsync_DegradeQuality_hands_the_degraded_item_to_the_handler()
    {
        var subject = new Subject<int>();
        var gate = new TaskCompletionSource();
        var handled = new List<int>();
        using var subscription = subject.SubscribeAsync(
            async (x, ct) =>
            {
                handled.Add(x);
                await gate.Task.WaitAsync(ct);
            },
            BackpressurePolicy.DegradeQuality,
            1,
            x => -x);
        subject.OnNext(1);
        await WaitUntil(() => handled.Count == 1);
        subject.OnNext(2);
        subject.OnNext(3);
        subject.OnCompleted();
        gate.SetResult();
        await subscription.Completion.WaitAsync(s_guard);
        Assert.Equal([1, -3], handled);
        Assert.Equal(1, subscription.GetMetrics().DegradeQualityHits);
    }

    [Theory]
    [InlineData("channel")]
    [InlineData("block")]
    [InlineData("stream")]
    public async Task OnDropped_sees_every_evicted_item_on_every_surface(string surface)
    {
        var dropped = new List<int>();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { OnDropped = dropped.Add };
        switch (surface)
        {
            case "channel":
                var channel = BackpressureChannel.Create(options);
                for (var i = 1; i <= 4; i++)
                {
                    await channel.Writer.WriteAsync(i);
                }

                break;
            case "block":
                var block = new BackpressureBlock<int>(options);
                for (var i = 1; i <= 4; i++)
                {
                    Assert.True(block.Post(i));
                }

                Assert.True(await block.SendAsync(5));
                dropped.Remove(3);
                break;
            default:
                var stream = BoundedStream.Create(options);
                for (var i = 1; i <= 4; i++)
                {
                    stream.TryPush(i);
                }

                break;
        }

        Assert.Equal([1, 2], dropped);
    }

    [Theory]
    [InlineData("runtime")]
    [InlineData("ours")]
    public async Task Block_ReceiveAsync_with_a_token_cancelled_before_the_call_is_cancelled_and_takes_nothing(string variant)
    {
        var block = OpenBlock(variant, BackpressurePolicy.PauseUpstream, 2);
        Assert.True(block.Post(1));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var receive = block.ReceiveAsync(cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receive);
        Assert.True(receive.IsCanceled);
        Assert.Equal(1, await block.ReceiveAsync());
    }

    [Theory]
    [InlineData("runtime")]
    [InlineData("ours")]
    public async Task Block_completed_with_a_pending_ReceiveAsync_and_a_linked_target_hands_each_message_once(string variant)
    {
        var block = OpenBlock(variant, BackpressurePolicy.PauseUpstream, 4);
        var receive = block.ReceiveAsync();
        Assert.True(block.Post(1));
        Assert.Equal(1, await receive.WaitAsync(s_guard));
        var target = new BufferBlock<int>();
        block.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });
        Assert.True(block.Post(2));
        Assert.True(block.Post(3));
        block.Complete();
        await block.Completion.WaitAsync(s_guard);
        Assert.True(target.TryReceiveAll(out var items));
        Assert.Equal([2, 3], items);
        await target.Completion.WaitAsync(s_guard);
    }

    [Theory]
    [InlineData("taskpool")]
    [InlineData("newthread")]
    [InlineData("eventloop")]
    public async Task Rx_PauseUpstream_of_capacity_one_carries_every_item_in_order_across_threads(string kind)
    {
        using var loop = new EventLoopScheduler();
        IScheduler scheduler = kind switch
        {
            "taskpool" => TaskPoolScheduler.Default,
            "newthread" => NewThreadScheduler.Default,
            _ => loop,
        };
        var items = await Observable.Range(0, 1_000, TaskPoolScheduler.Default)
            .PauseUpstream(1, scheduler)
            .ToList()
            .ToTask()
            .WaitAsync(s_guard);
        Assert.Equal(Enumerable.Range(0, 1_000), items);
    }

    [Fact]
    public async Task Rx_DropOldest_across_threads_keeps_the_order_and_the_last_item()
    {
        var items = await Observable.Range(0, 20_000, TaskPoolScheduler.Default)
            .DropOldest(1, TaskPoolScheduler.Default)
            .ToList()
            .ToTask()
            .WaitAsync(s_guard);
        Assert.Equal(19_999, items[^1]);
        Assert.Equal(items.OrderBy(x => x), items);
    }

    // ---- Helpers -----------------------------------------------------------------------------------------------

    private static async Task<Exception?> Record(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception error)
        {
            return error;
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + s_guard;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("condition not reached");
            }

            await Task.Delay(5);
        }
    }
}
