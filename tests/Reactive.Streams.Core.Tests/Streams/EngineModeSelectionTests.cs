using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// The engine's factory (<see cref="BoundedBuffer.Create{T}"/>) picks the mode once, by the rules docs/engine.md states:
/// the mode asked for, the locked mode above the lane's largest capacity, the shared mode for a single lane that needs
/// timed waits; streams and channels always ask for the shared mode. (The stream and channel suites run every mode
/// through the surfaces; these pin the choice itself.)
/// </summary>
public class EngineModeSelectionTests
{
    private const int LaneMax = SingleProducerLane<int>.MaxCapacity;

    public static TheoryData<string, int, bool, Type> Choices => new()
    {
        { nameof(BufferMode.Locked), 8, false, typeof(LockedBuffer<int>) },
        { nameof(BufferMode.SharedLane), 8, false, typeof(SharedLaneBuffer<int>) },
        { nameof(BufferMode.SharedLane), 8, true, typeof(SharedLaneBuffer<int>) },
        { nameof(BufferMode.SingleLane), 8, false, typeof(SingleLaneBuffer<int>) },
        { nameof(BufferMode.SingleLane), 8, true, typeof(SharedLaneBuffer<int>) },
        { nameof(BufferMode.SingleLane), LaneMax, false, typeof(SingleLaneBuffer<int>) },
        { nameof(BufferMode.SingleLane), LaneMax + 1, false, typeof(LockedBuffer<int>) },
        { nameof(BufferMode.SharedLane), LaneMax + 1, false, typeof(LockedBuffer<int>) },
        { nameof(BufferMode.SingleLane), LaneMax + 1, true, typeof(LockedBuffer<int>) },
    };

    [Theory]
    [MemberData(nameof(Choices))]
    public void The_factory_picks_the_mode_by_the_documented_rules(string asked, int capacity, bool pauseTimeout, Type expected)
    {
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, capacity);
        if (pauseTimeout)
        {
            options.PauseTimeout = TimeSpan.FromSeconds(1);
        }

        var buffer = BoundedBuffer.Create(options, Enum.Parse<BufferMode>(asked));

        Assert.IsType(expected, buffer);
        Assert.Equal(capacity, buffer.Capacity);
        Assert.Equal(buffer.IsLockFree, expected == typeof(SingleLaneBuffer<int>));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Streams_and_channels_run_the_shared_mode_whatever_SingleWriter_and_SingleReader_say(bool singleWriter, bool singleReader)
    {
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 8) { SingleWriter = singleWriter, SingleReader = singleReader };

        Assert.IsType<SharedLaneBuffer<int>>(BoundedStream.Create(options).Buffer);
        Assert.IsType<SharedLaneBuffer<int>>(BackpressureChannel.BufferOf(BackpressureChannel.Create(options)));
    }

    /// <summary>
    /// Two writers and two readers on a stream and a channel that promised one of each: the promise is not relied on,
    /// so every item arrives exactly once, as on the runtime's bounded channel with the same options.
    /// </summary>
    [Theory]
    [InlineData("stream")]
    [InlineData("channel")]
    [InlineData("runtime")]
    public async Task A_broken_single_writer_and_single_reader_promise_loses_nothing(string face)
    {
        const int PerWriter = 20_000;
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 4) { SingleWriter = true, SingleReader = true };
        var channel = face switch
        {
            "stream" => null,
            "channel" => BackpressureChannel.Create(options),
            _ => System.Threading.Channels.Channel.CreateBounded<int>(new System.Threading.Channels.BoundedChannelOptions(4) { SingleWriter = true, SingleReader = true }),
        };
        var stream = channel is null ? BoundedStream.Create(options) : null;

        async Task<List<int>> ReadAsync()
        {
            var items = new List<int>();
            if (stream is not null)
            {
                await foreach (var item in stream.ReadAllAsync())
                {
                    items.Add(item);
                }
            }
            else
            {
                await foreach (var item in channel!.Reader.ReadAllAsync())
                {
                    items.Add(item);
                }
            }

            return items;
        }

        async Task WriteAsync(int first)
        {
            for (var i = first; i < first + PerWriter; i++)
            {
                if (stream is not null)
                {
                    await stream.PushAsync(i);
                }
                else
                {
                    await channel!.Writer.WriteAsync(i);
                }
            }
        }

        var readers = new[] { Task.Run(ReadAsync), Task.Run(ReadAsync) };
        await Task.WhenAll(Task.Run(() => WriteAsync(0)), Task.Run(() => WriteAsync(PerWriter))).WaitAsync(TestLimits.Hang);
        if (stream is not null)
        {
            stream.Complete();
        }
        else
        {
            channel!.Writer.Complete();
        }

        var received = (await Task.WhenAll(readers).WaitAsync(TestLimits.Hang)).SelectMany(static r => r).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 2 * PerWriter), received);
    }

    [Theory]
    [InlineData(BackpressurePolicy.DropOldest)]
    [InlineData(BackpressurePolicy.DegradeQuality)]
    [InlineData(BackpressurePolicy.Fail)]
    public void A_pause_timeout_under_a_policy_that_never_waits_keeps_the_single_lane(BackpressurePolicy policy)
    {
        // PauseTimeout is ignored by the other policies (BoundedStreamOptions.PauseTimeout): no push of theirs waits, so
        // options shared with a PauseUpstream operator must not cost an Rx operator its lock-free mode.
        foreach (var timeout in new[] { TimeSpan.FromSeconds(1), TimeSpan.Zero })
        {
            var options = new BoundedStreamOptions<int>(policy, 8) { PauseTimeout = timeout, Degrader = x => -x };
            var buffer = BoundedBuffer.Create(options, BufferMode.SingleLane);
            Assert.IsType<SingleLaneBuffer<int>>(buffer);

            // And the timeout changes nothing there: a full buffer is decided by the policy at once.
            for (var i = 0; i < 9; i++)
            {
                buffer.TryPush(i);
            }

            Assert.Equal(
                policy == BackpressurePolicy.Fail ? new StreamMetricsSnapshot(9, 0, 0, 0, 0, 1, 0, 8) :
                policy == BackpressurePolicy.DropOldest ? new StreamMetricsSnapshot(9, 0, 1, 0, 0, 0, 0, 8) :
                new StreamMetricsSnapshot(9, 0, 0, 1, 0, 0, 0, 8),
                buffer.GetMetrics());
        }
    }

    [Fact]
    public void An_infinite_pause_timeout_is_no_timed_wait_and_keeps_the_single_lane()
    {
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 8) { PauseTimeout = Timeout.InfiniteTimeSpan };

        Assert.IsType<SingleLaneBuffer<int>>(BoundedBuffer.Create(options, BufferMode.SingleLane));
    }

    [Fact]
    public void The_factory_names_missing_options()
    {
        var error = Assert.Throws<ArgumentNullException>(() => BoundedBuffer.Create<int>(null!, BufferMode.SharedLane));

        Assert.Equal("options", error.ParamName);
    }

    [Theory]
    [InlineData(nameof(BufferMode.Locked))]
    [InlineData(nameof(BufferMode.SharedLane))]
    [InlineData(nameof(BufferMode.SingleLane))]
    public void Every_mode_acts_on_the_same_decision_for_a_full_buffer(string modeName)
    {
        var mode = Enum.Parse<BufferMode>(modeName);
        var dropped = new List<int>();
        var dropOldest = BoundedBuffer.Create(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 2) { OnDropped = dropped.Add }, mode);
        var fail = BoundedBuffer.Create(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 2), mode);
        var pause = BoundedBuffer.Create(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 2), mode);
        var degrade = BoundedBuffer.Create(new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2) { Degrader = x => -x }, mode);
        foreach (var buffer in new[] { dropOldest, fail, pause, degrade })
        {
            Assert.Equal(PushStatus.Enqueued, buffer.TryPush(1).Status);
            Assert.Equal(PushStatus.Enqueued, buffer.TryPush(2).Status);
        }

        Assert.Equal(PushStatus.DroppedOldest, dropOldest.TryPush(3).Status);
        Assert.Equal(PushStatus.Overflow, fail.TryPush(3).Status);
        Assert.Equal(PushStatus.Full, pause.TryPush(3).Status);
        Assert.Equal(PushStatus.Degraded, degrade.TryPush(3).Status);

        Assert.Equal([1], dropped);
        Assert.Equal(new StreamMetricsSnapshot(3, 0, 1, 0, 0, 0, 0, 2), dropOldest.GetMetrics());
        Assert.Equal(new StreamMetricsSnapshot(3, 0, 0, 0, 0, 1, 0, 2), fail.GetMetrics());
        Assert.Equal(new StreamMetricsSnapshot(2, 0, 0, 0, 0, 0, 0, 2), pause.GetMetrics());
        Assert.Equal(new StreamMetricsSnapshot(3, 0, 0, 1, 0, 0, 0, 2), degrade.GetMetrics());
        Assert.True(degrade.TryRead(out var first));
        Assert.True(degrade.TryRead(out var second));
        Assert.Equal((2, -3), (first, second));
    }
}
