using System.Reactive.Subjects;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Testing;

namespace Reactive.Streams.Tests.Conformance;

/// <summary>
/// <c>OnDropped</c> that throws: the options say its exception propagates to the pusher and that the push itself has
/// already happened. Every surface must do exactly that: the new item is buffered, the evicted one counted, the
/// exception reaches whoever pushed, and the surface goes on (nothing faults).
/// </summary>
public sealed class ThrowingOnDroppedTests
{
    private static BoundedStreamOptions<int> Options(BackpressurePolicy policy) => new(policy, 1)
    {
        Degrader = x => -x,
        OnDropped = static _ => throw new TimeZoneNotFoundException("onDropped"),
    };

    public static TheoryData<string, BackpressurePolicy> Surfaces()
    {
        var data = new TheoryData<string, BackpressurePolicy>();
        foreach (var surface in new[] { "stream", "channel", "block", "rx" })
        {
            data.Add(surface, BackpressurePolicy.DropOldest);
            data.Add(surface, BackpressurePolicy.DegradeQuality);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Surfaces))]
    public async Task The_exception_reaches_the_pusher_after_the_push_happened(string surface, BackpressurePolicy policy)
    {
        var expectedItem = policy == BackpressurePolicy.DropOldest ? 2 : -2;
        StreamMetricsSnapshot metrics;
        List<int> received = [];
        switch (surface)
        {
            case "stream":
            {
                var stream = BoundedStream.Create(Options(policy));
                await stream.PushAsync(1);
                await Assert.ThrowsAsync<TimeZoneNotFoundException>(async () => await stream.PushAsync(2));
                while (stream.TryRead(out var item))
                {
                    received.Add(item);
                }

                Assert.False(stream.Completion.IsCompleted);
                metrics = stream.GetMetrics();
                break;
            }

            case "channel":
            {
                var channel = BackpressureChannel.Create(Options(policy));
                await channel.Writer.WriteAsync(1);
                await Assert.ThrowsAsync<TimeZoneNotFoundException>(async () => await channel.Writer.WriteAsync(2));
                while (channel.Reader.TryRead(out var item))
                {
                    received.Add(item);
                }

                Assert.False(channel.Reader.Completion.IsCompleted);
                metrics = channel.GetMetrics();
                break;
            }

            case "block":
            {
                var block = new BackpressureBlock<int>(Options(policy));
                Assert.True(block.Post(1));
                Assert.Throws<TimeZoneNotFoundException>(() => block.Post(2));
                while (block.TryReceive(out var item))
                {
                    received.Add(item);
                }

                Assert.False(block.Completion.IsCompleted);
                metrics = block.GetMetrics();
                break;
            }

            default:
            {
                var scheduler = new TestScheduler();
                var subject = new Subject<int>();
                var completed = false;
                using var subscription = subject.WithBackpressure(Options(policy), scheduler)
                    .Subscribe(received.Add, _ => completed = true, () => completed = true);
                subject.OnNext(1);
                Assert.Throws<TimeZoneNotFoundException>(() => subject.OnNext(2));
                scheduler.AdvanceBy(1);
                Assert.False(completed);
                metrics = ((IMeteredStream)subscription).GetMetrics();
                break;
            }
        }

        Assert.Equal([expectedItem], received);
        Assert.Equal(
            new StreamMetricsSnapshot(
                ItemsPushed: 2,
                ItemsDelivered: 1,
                DropOldestHits: policy == BackpressurePolicy.DropOldest ? 1 : 0,
                DegradeQualityHits: policy == BackpressurePolicy.DegradeQuality ? 1 : 0,
                PauseUpstreamBlocks: 0,
                FailOverflows: 0,
                ItemsRejected: 0,
                Depth: 0),
            metrics);
    }
}
