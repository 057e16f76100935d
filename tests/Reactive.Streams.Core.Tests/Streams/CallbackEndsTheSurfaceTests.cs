using System.Reactive.Subjects;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// A callback the engine runs for a push (the degrader, <c>OnDropped</c>) that ends the surface from inside: the push
/// in flight settles once, as the surface's own rules say, what was buffered before stays readable, and the counters
/// are conserved. <c>Channel.CreateBounded</c>'s <c>itemDropped</c> callback completing its channel is the oracle for
/// <c>OnDropped</c>.
/// </summary>
public class CallbackEndsTheSurfaceTests
{
    public static TheoryData<string> AllModes => EngineModes.All;

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_degrader_that_completes_its_stream_gets_its_push_rejected_as_closed_and_evicts_nothing(string mode)
    {
        BoundedStream<int>? stream = null;
        stream = new BoundedStream<int>(new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2)
        {
            Degrader = x =>
            {
                stream!.Complete();
                return -x;
            },
        }, Enum.Parse<BufferMode>(mode));
        Assert.True(stream.TryPush(1).IsAccepted);
        Assert.True(stream.TryPush(2).IsAccepted);

        // Writing ended while the degrader ran: the push decides again, finds the stream closed and is rejected;
        // nothing was evicted for it.
        Assert.Equal(PushStatus.Closed, stream.TryPush(3).Status);
        Assert.Equal(2, stream.Depth);
        Assert.Equal([1, 2], await DrainAsync(stream.ReadAllAsync()).WaitAsync(TestLimits.Hang));
        await stream.Completion.WaitAsync(TestLimits.Hang);
        var metrics = stream.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(3, 2, 0, 0, 0, 0, 1, 0), metrics);
    }

    public static TheoryData<string> Channels => ["BackpressureChannel", "Channel.CreateBounded"];

    [Theory]
    [MemberData(nameof(Channels))]
    public async Task An_OnDropped_that_completes_its_channel_keeps_the_write_that_evicted_as_the_runtime_channel_does(string kind)
    {
        Channel<int>? channel = null;
        var dropped = new List<int>();
        void Dropped(int item)
        {
            dropped.Add(item);
            Assert.True(channel!.Writer.TryComplete());
        }

        channel = kind == "BackpressureChannel"
            ? BackpressureChannel.Create(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { OnDropped = Dropped })
            : Channel.CreateBounded<int>(new BoundedChannelOptions(2) { FullMode = BoundedChannelFullMode.DropOldest }, Dropped);
        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(channel.Writer.TryWrite(2));

        // The write happened (it evicted 1) before the callback completed the channel.
        Assert.True(channel.Writer.TryWrite(3));
        Assert.Equal([1], dropped);
        Assert.False(channel.Writer.TryWrite(4));
        await Assert.ThrowsAsync<ChannelClosedException>(() => channel.Writer.WriteAsync(5).AsTask());
        Assert.Equal([2, 3], await DrainAsync(channel.Reader.ReadAllAsync()).WaitAsync(TestLimits.Hang));
        await channel.Reader.Completion.WaitAsync(TestLimits.Hang);
    }

    [Fact]
    public async Task A_block_whose_degrader_completes_it_declines_the_post_and_completes_after_the_buffered_messages()
    {
        BackpressureBlock<int>? block = null;
        block = new BackpressureBlock<int>(BackpressurePolicy.DegradeQuality, 1, x =>
        {
            block!.Complete();
            return -x;
        });
        Assert.True(block.Post(1));

        Assert.False(block.Post(2));
        Assert.False(block.Post(3));
        Assert.True(block.TryReceive(out var first));
        Assert.Equal(1, first);
        Assert.False(block.TryReceive(out _));
        await block.Completion.WaitAsync(TestLimits.Hang);
        Assert.True(block.GetMetrics().IsConserved);
    }

    [Fact]
    public async Task A_subscription_whose_degrader_disposes_it_ends_at_once_and_lets_its_source_go()
    {
        var source = new Subject<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new List<int>();
        BackpressureSubscription? subscription = null;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        subscription = source.SubscribeAsync(async (x, cancellationToken) =>
        {
            handled.Add(x);
            entered.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
        }, BackpressurePolicy.DegradeQuality, 1, x =>
        {
            subscription!.Dispose();
            return -x;
        });

        source.OnNext(1);
        await entered.Task.WaitAsync(TestLimits.Hang);
        source.OnNext(2); // buffered (the handler holds 1)
        source.OnNext(3); // full: the degrader disposes the subscription

        Assert.False(source.HasObservers);
        source.OnNext(4); // ignored

        // The running handler's token was cancelled; the subscription completes once it returned, as a disposal does.
        await subscription.Completion.WaitAsync(TestLimits.Hang);
        Assert.Equal([1], handled);

        // The push that ran the degrader came after the end: rejected as closed, nothing evicted (2 stays buffered),
        // as a BackpressureObserver or a stream counts it.
        var metrics = subscription.GetMetrics();
        Assert.Equal(0, metrics.DegradeQualityHits);
        Assert.Equal(1, metrics.ItemsRejected);
        Assert.Equal(new StreamMetricsSnapshot(3, 1, 0, 0, 0, 0, 1, 1), metrics);
    }

    private static async Task<List<int>> DrainAsync(IAsyncEnumerable<int> items)
    {
        var all = new List<int>();
        await foreach (var item in items)
        {
            all.Add(item);
        }

        return all;
    }
}
