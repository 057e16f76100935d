using System.Threading.Channels;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// A sink's queue of one behind a stalled sink, against its platform twin: a <see cref="Channel.CreateBounded{T}(BoundedChannelOptions)"/>
/// of one whose reader took the first item and stalls. <see cref="OnFull.Block"/> is the channel's
/// <see cref="BoundedChannelFullMode.Wait"/>, <see cref="OnFull.Drop"/> its <see cref="BoundedChannelFullMode.DropWrite"/>:
/// the same writes complete at once and the same items come through once the reader (the sink) moves again.
/// </summary>
public class DeliveryQueueOfOneTwinTests
{
    [Theory]
    [InlineData(OnFull.Block, BoundedChannelFullMode.Wait)]
    [InlineData(OnFull.Drop, BoundedChannelFullMode.DropWrite)]
    public async Task A_queue_of_one_behind_a_stalled_sink_takes_and_passes_on_what_a_bounded_channel_of_one_does(OnFull onFull, BoundedChannelFullMode twinMode)
    {
        // The twin.
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(1) { FullMode = twinMode });
        Assert.True(channel.Writer.TryWrite(0));
        Assert.True(channel.Reader.TryRead(out _)); // the reader took 0 and stalls
        var channelWrites = Enumerable.Range(1, 3).Select(i => channel.Writer.WriteAsync(i).AsTask()).ToArray();
        var channelAtOnce = channelWrites.Select(w => w.IsCompletedSuccessfully).ToArray();
        var channelRead = new List<int> { 0 };
        var deadline = Environment.TickCount64 + (long)TestLimits.Hang.TotalMilliseconds;
        while (!channelWrites.All(w => w.IsCompleted) || channel.Reader.Count > 0)
        {
            Assert.True(Environment.TickCount64 < deadline, "The channel twin never drained.");
            if (channel.Reader.TryRead(out var item))
            {
                channelRead.Add(item);
            }
            else
            {
                await Task.Yield();
            }
        }

        // The dispatcher: one sink whose worker holds item 0 until the gate opens.
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("slow", time, async (item, _, _) =>
        {
            if (item == 0)
            {
                await gate.Task;
            }
        });
        var options = new DeliveryOptions<int> { TimeProvider = time, QueueCapacity = 1, MaxBatch = 1, OnFull = onFull }.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 4).Select(_ => new CountingAck()).ToArray();
        await dispatcher.DispatchAsync(0, acks[0]);
        deadline = Environment.TickCount64 + (long)TestLimits.Hang.TotalMilliseconds;
        while (sink.Attempts == 0)
        {
            Assert.True(Environment.TickCount64 < deadline, "The sink never took item 0.");
            await Task.Yield();
        }

        var dispatches = Enumerable.Range(1, 3).Select(i => dispatcher.DispatchAsync(i, acks[i]).AsTask()).ToArray();
        Assert.Equal(channelAtOnce, dispatches.Select(d => d.IsCompletedSuccessfully));

        gate.SetResult();
        await Task.WhenAll(dispatches).WaitAsync(TestLimits.Hang);
        await Task.WhenAll(acks.Select(a => a.First));
        Assert.Equal(channelRead, sink.Committed);
        Assert.All(acks, a => Assert.Equal(1, a.Count));
        Assert.Equal(4 - channelRead.Count, dispatcher.GetSinkMetrics("slow").Dropped);
    }

    [Fact]
    public async Task A_parked_dispatch_cancelled_between_two_others_leaves_the_queue_as_a_cancelled_channel_write_does()
    {
        // The twin: a channel of one whose reader took item 0 and stalls; writes 1, 2 and 3 park, and 2 is cancelled.
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.Wait });
        Assert.True(channel.Writer.TryWrite(0));
        Assert.True(channel.Reader.TryRead(out _));
        using var channelCancel = new CancellationTokenSource();
        var channelWrites = new[] { channel.Writer.WriteAsync(1).AsTask(), channel.Writer.WriteAsync(2, channelCancel.Token).AsTask(), channel.Writer.WriteAsync(3).AsTask() };
        await channelCancel.CancelAsync();
        var channelDepth = channel.Reader.Count;
        var channelRead = new List<int> { 0 };
        var deadline = Environment.TickCount64 + (long)TestLimits.Hang.TotalMilliseconds;
        while (!channelWrites.All(w => w.IsCompleted) || channel.Reader.Count > 0)
        {
            Assert.True(Environment.TickCount64 < deadline, "The channel twin never drained.");
            if (channel.Reader.TryRead(out var item))
            {
                channelRead.Add(item);
            }
            else
            {
                await Task.Yield();
            }
        }

        var channelCancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channelWrites[1]);

        // The dispatcher: one Block sink whose worker holds item 0 until the gate opens.
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("slow", time, async (item, _, _) =>
        {
            if (item == 0)
            {
                await gate.Task;
            }
        });
        var options = new DeliveryOptions<int> { TimeProvider = time, QueueCapacity = 1, MaxBatch = 1 }.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 4).Select(_ => new CountingAck()).ToArray();
        await dispatcher.DispatchAsync(0, acks[0]);
        deadline = Environment.TickCount64 + (long)TestLimits.Hang.TotalMilliseconds;
        while (sink.Attempts == 0)
        {
            Assert.True(Environment.TickCount64 < deadline, "The sink never took item 0.");
            await Task.Yield();
        }

        using var cancel = new CancellationTokenSource();
        var dispatches = new[] { dispatcher.DispatchAsync(1, acks[1]).AsTask(), dispatcher.DispatchAsync(2, acks[2], cancel.Token).AsTask(), dispatcher.DispatchAsync(3, acks[3]).AsTask() };
        await cancel.CancelAsync();
        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dispatches[1]).WaitAsync(TestLimits.Hang);
        Assert.Equal(channelDepth, dispatcher.GetSinkMetrics("slow").QueueDepth);

        gate.SetResult();
        await Task.WhenAll(dispatches[0], dispatches[2]).WaitAsync(TestLimits.Hang);
        await Task.WhenAll(acks[0].First, acks[1].First, acks[3].First);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));

        Assert.Equal(channelRead, sink.Committed);
        Assert.Equal(channelCancelled.CancellationToken == channelCancel.Token, cancelled.CancellationToken == cancel.Token);
        Assert.Equal([1, 1, 0, 1], acks.Select(a => a.Count));
        Assert.Equal(new DeliverySinkMetrics("slow", 3, 0, 0, 0, 0, 0), dispatcher.GetSinkMetrics("slow"));
    }
}
