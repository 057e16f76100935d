using Reactive.Streams.Internal;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// Every engine mode against a plain queue, on one thread: random bursts of pushes (past the capacity), reads and batch
/// reads, in every policy, at capacities from 1 to <see cref="int.MaxValue"/> (the lane's largest ring, 65,536, and the
/// first capacity past it, which the locked mode takes). Each push's status, each item read, each item handed to
/// <c>OnDropped</c>, the depth after every step and the final counters must be the model's.
/// </summary>
public sealed class EngineModelTests
{
    private static BoundedStream<int> Open(string mode, BoundedStreamOptions<int> options) => new(options, Enum.Parse<BufferMode>(mode));

    public static TheoryData<string, int> Cases()
    {
        var d = new TheoryData<string, int>();
        foreach (var m in new[] { nameof(BufferMode.Locked), nameof(BufferMode.SharedLane), nameof(BufferMode.SingleLane) })
        {
            foreach (var c in new[] { 1, 2, 3, 7, 33, 65536, 65537, int.MaxValue })
            {
                d.Add(m, c);
            }
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Single_threaded_pushes_and_reads_match_a_queue_model(string mode, int capacity)
    {
        foreach (var policy in Enum.GetValues<BackpressurePolicy>())
        {
            var random = new Random(capacity ^ (int)policy);
            var dropped = new List<int>();
            var s = Open(mode, new BoundedStreamOptions<int>(policy, capacity) { Degrader = x => -x, OnDropped = dropped.Add });
            var model = new Queue<int>();
            var modelDropped = new List<int>();
            long pushed = 0, delivered = 0, dropOldest = 0, degradedHits = 0, overflows = 0;
            var next = 1;
            var cap = Math.Min(capacity, 200);
            for (var step = 0; step < 1500; step++)
            {
                var op = random.Next(10);
                if (op < 5)
                {
                    var burst = random.Next(1, cap + 3);
                    for (var i = 0; i < burst; i++)
                    {
                        var item = next++;
                        var r = s.TryPush(item);
                        PushStatus expected;
                        if (model.Count < capacity)
                        {
                            model.Enqueue(item);
                            pushed++;
                            expected = PushStatus.Enqueued;
                        }
                        else
                        {
                            switch (policy)
                            {
                                case BackpressurePolicy.DropOldest:
                                    modelDropped.Add(model.Dequeue());
                                    model.Enqueue(item);
                                    pushed++;
                                    dropOldest++;
                                    expected = PushStatus.DroppedOldest;
                                    break;
                                case BackpressurePolicy.DegradeQuality:
                                    modelDropped.Add(model.Dequeue());
                                    model.Enqueue(-item);
                                    pushed++;
                                    degradedHits++;
                                    expected = PushStatus.Degraded;
                                    break;
                                case BackpressurePolicy.PauseUpstream:
                                    expected = PushStatus.Full;
                                    break;
                                default:
                                    pushed++;
                                    overflows++;
                                    expected = PushStatus.Overflow;
                                    break;
                            }
                        }

                        Assert.Equal(expected, r.Status);
                    }
                }
                else if (op < 8)
                {
                    var n = random.Next(1, cap + 3);
                    for (var i = 0; i < n; i++)
                    {
                        var ok = s.TryRead(out var got);
                        Assert.Equal(model.Count > 0, ok);
                        if (ok)
                        {
                            Assert.Equal(model.Dequeue(), got);
                            delivered++;
                        }
                    }
                }
                else
                {
                    // The batch read takes min(max, depth), after what the list held: in the lane modes it once
                    // stopped at the tail the consumer had last seen, short of items pushed since.
                    var list = new List<int> { 42 };
                    var max = random.Next(1, cap + 3);
                    var took = s.Buffer.TryReadBatch(list, max);
                    var expect = Math.Min(max, model.Count);
                    Assert.Equal(expect, took);
                    Assert.Equal(took + 1, list.Count);
                    for (var i = 0; i < took; i++)
                    {
                        Assert.Equal(model.Dequeue(), list[i + 1]);
                    }

                    delivered += took;
                }

                Assert.Equal(model.Count, s.Depth);
            }

            Assert.Equal(modelDropped, dropped);
            Assert.Equal(new StreamMetricsSnapshot(pushed, delivered, dropOldest, degradedHits, 0, overflows, 0, model.Count), s.GetMetrics());
        }
    }
}
