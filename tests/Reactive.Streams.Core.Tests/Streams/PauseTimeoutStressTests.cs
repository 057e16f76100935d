using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// PauseUpstream timeouts firing on real threads while readers let parked writers in: four producers await every push
/// into a stream (or a channel) of capacity 4 whose two-millisecond timeout runs on a virtual clock, and two consumers
/// read it. One of them advances the clock by a millisecond after every item it reads, so hundreds of writers time out
/// per run, their timers firing on that consumer's thread while the other consumer may be handing the same writers in.
/// Every push ends exactly once: its item is delivered once (in its producer's order) or the push failed with the
/// overflow and its item is never delivered, and the counters say exactly that.
/// </summary>
public sealed class PauseTimeoutStressTests
{
    public static TheoryData<string, bool> Cases() => new()
    {
        { nameof(BufferMode.Locked), false },
        { nameof(BufferMode.SharedLane), false },
        { nameof(BufferMode.Locked), true },
        { nameof(BufferMode.SharedLane), true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Timeouts_racing_hand_offs_end_every_push_once_and_keep_the_counters_exact(string mode, bool channel)
    {
        const int Producers = 4;
        const int PerProducer = 15_000;
        var clock = new FakeTimeProvider();
        var options = new BoundedStreamOptions<long>(BackpressurePolicy.PauseUpstream, 4)
        {
            PauseTimeout = TimeSpan.FromMilliseconds(2),
            TimeProvider = clock,
        };
        BoundedStream<long>? stream = null;
        Channel<long>? chan = null;
        if (channel)
        {
            chan = BackpressureChannel.Create(options, Enum.Parse<BufferMode>(mode));
        }
        else
        {
            stream = new BoundedStream<long>(options, Enum.Parse<BufferMode>(mode));
        }

        var buffer = stream?.Buffer ?? BackpressureChannel.BufferOf(chan!)!;
        var delivered = new ConcurrentQueue<long>[2] { new(), new() };

        async Task Consume(int index)
        {
            var reader = chan?.Reader;
            var n = 0;
            while (reader is null ? await stream!.WaitToReadAsync() : await reader.WaitToReadAsync())
            {
                while (reader is null ? stream!.TryRead(out var item) : reader.TryRead(out item))
                {
                    delivered[index].Enqueue(item);
                    if (index == 0)
                    {
                        clock.Advance(TimeSpan.FromMilliseconds(1));
                    }

                    if (++n % 5 == 0)
                    {
                        await Task.Yield();
                    }
                }
            }
        }

        var consumers = new[] { Task.Run(() => Consume(0)), Task.Run(() => Consume(1)) };
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            var timedOut = new List<long>();
            for (long i = 0; i < PerProducer; i++)
            {
                var item = ((long)p << 32) | i;
                try
                {
                    if (chan is null)
                    {
                        await stream!.PushAsync(item);
                    }
                    else
                    {
                        await chan.Writer.WriteAsync(item);
                    }
                }
                catch (StreamOverflowException)
                {
                    timedOut.Add(item);
                }
            }

            return timedOut;
        })).ToArray();

        var failed = (await Task.WhenAll(producers).WaitAsync(TestLimits.Hang)).SelectMany(x => x).ToHashSet();
        Assert.True(buffer.TryComplete(null));
        await Task.WhenAll(consumers).WaitAsync(TestLimits.Hang);

        var seen = new HashSet<long>();
        foreach (var queue in delivered)
        {
            var last = new long[Producers];
            Array.Fill(last, -1);
            foreach (var item in queue)
            {
                Assert.True(seen.Add(item), $"{item:x} delivered twice");
                Assert.DoesNotContain(item, failed);

                // Each consumer sees a producer's items in the order they were pushed.
                var producer = (int)(item >> 32);
                var sequence = item & 0xFFFF_FFFF;
                Assert.True(sequence > last[producer], $"producer {producer}: {sequence} after {last[producer]}");
                last[producer] = sequence;
            }
        }

        Assert.Equal(Producers * PerProducer, seen.Count + failed.Count);
        var metrics = buffer.GetMetrics();
        Assert.Equal(
            new StreamMetricsSnapshot(Producers * PerProducer, seen.Count, 0, 0, metrics.PauseUpstreamBlocks, 0, failed.Count, 0),
            metrics);
        Assert.True(metrics.PauseUpstreamBlocks >= failed.Count, metrics.ToString());
        await buffer.Completion.WaitAsync(TestLimits.Hang);
    }
}
