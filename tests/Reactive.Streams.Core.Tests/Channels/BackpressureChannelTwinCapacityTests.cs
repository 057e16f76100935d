using System.Threading.Channels;
using Reactive.Streams.Internal;
using Twin = Reactive.Streams.Tests.Channels.ChannelTwin;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// The channel face against <c>Channel.CreateBounded</c> at the capacities where the engine changes shape: 1, a lane
/// whose ring is not a power of two, the largest lane (65,536), the smallest locked ring (65,537, whose ring grows on
/// demand from 32 slots and wraps while it grows), and a large locked one. One script runs on both sides and writes
/// down every observable result (each write's answer, each read's item, <c>Count</c>, <c>TryPeek</c>, the items the
/// eviction callback got, parked writes entering one per read in call order, a pending read handed the next write); the
/// two records must be equal, DegradeQuality's items compared as the twin's (its degrader negates).
/// </summary>
public sealed class BackpressureChannelTwinCapacityTests
{
    public static TheoryData<Twin, int, string> Cases()
    {
        var data = new TheoryData<Twin, int, string>();
        foreach (var twin in Enum.GetValues<Twin>())
        {
            foreach (var capacity in new[] { 1, 3, 100, SingleProducerLane<int>.MaxCapacity, SingleProducerLane<int>.MaxCapacity + 1, 200_000 })
            {
                data.Add(twin, capacity, "default");
                if (capacity <= SingleProducerLane<int>.MaxCapacity)
                {
                    data.Add(twin, capacity, "locked");
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_call_at_this_capacity_answers_as_the_runtime_channel_answers_it(Twin twin, int capacity, string variant)
    {
        var expected = await Script(Open(twin, capacity, "runtime"), twin, capacity);
        var actual = await Script(Open(twin, capacity, variant), twin, capacity);

        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i] == actual[i], $"Entry {i}: runtime \"{expected[i]}\", ours \"{actual[i]}\" (capacity {capacity}, {twin}, {variant}).");
        }
    }

    private static async Task<List<string>> Script(Opened c, Twin twin, int capacity)
    {
        var log = new List<string>();
        var next = 1;
        var channel = c.Channel;

        void Write(int count)
        {
            var accepted = 0;
            var refused = 0;
            for (var i = 0; i < count; i++)
            {
                if (channel.Writer.TryWrite(next++))
                {
                    accepted++;
                }
                else
                {
                    refused++;
                }
            }

            log.Add($"TryWrite x{count}: {accepted} accepted, {refused} refused");
        }

        void Read(int count)
        {
            var items = new List<int>();
            for (var i = 0; i < count && channel.Reader.TryRead(out var item); i++)
            {
                items.Add(c.AsTwin(item));
            }

            log.Add($"TryRead x{count}: {items.Count} read, {Summary(items)}");
        }

        void Look()
        {
            log.Add($"Count {channel.Reader.Count}, TryPeek {(channel.Reader.TryPeek(out var head) ? c.AsTwin(head) : -1)}");
            lock (c.Dropped)
            {
                log.Add($"dropped so far: {Summary(c.Dropped)}");
            }
        }

        // Rounds that fill past the capacity, read part of it, fill again (the head has moved, so a ring wraps, and a
        // growing ring grows while it is wrapped), and drain.
        for (var round = 0; round < 3; round++)
        {
            Write(capacity + (capacity / 2) + 3);
            Look();
            Read((capacity / 3) + 1);
            Look();
            Write((capacity / 4) + 2);
            Look();
            Read(capacity / 2);
            Look();
            Write(capacity);
            Look();
            Read(capacity + 1);
            Look();
        }

        // Parked writes at a full channel (Wait) or evicting writes (the others), then reads that let them in one by one.
        Write(capacity);
        var writes = Enumerable.Range(0, 3).Select(_ => channel.Writer.WriteAsync(next++)).ToArray();
        log.Add($"WriteAsync x3 completed at once: {string.Join(",", writes.Select(w => w.IsCompleted))}");
        Look();
        for (var i = 0; i < 4; i++)
        {
            Read(1);
            log.Add($"writes completed: {string.Join(",", writes.Select(w => w.IsCompleted))}");
            Look();
        }

        foreach (var write in writes)
        {
            await write;
        }

        Read(capacity + 3);
        Look();

        // A pending read is handed the next write; nothing is buffered or dropped.
        var read = channel.Reader.ReadAsync();
        log.Add($"ReadAsync completed at once: {read.IsCompleted}");
        Write(2);
        log.Add($"ReadAsync: {c.AsTwin(await read)}");
        Look();
        channel.Writer.Complete();
        Read(2);
        log.Add($"Completion: {channel.Reader.Completion.Status}");
        return log;
    }

    private static string Summary(List<int> items) =>
        items.Count switch
        {
            0 => "[]",
            <= 6 => $"[{string.Join(",", items)}]",
            _ => $"[{string.Join(",", items.Take(3))} .. {string.Join(",", items.TakeLast(3))}] sum {items.Sum(x => (long)x)}, in order {items.Zip(items.Skip(1)).All(p => p.First < p.Second)}",
        };

    private sealed record Opened(Channel<int> Channel, Func<int, int> AsTwin, List<int> Dropped);

    private static Opened Open(Twin twin, int capacity, string variant)
    {
        var dropped = new List<int>();
        Func<int, int> asTwin = twin == Twin.Degrade ? static x => Math.Abs(x) : static x => x;
        void OnDropped(int item)
        {
            lock (dropped)
            {
                dropped.Add(asTwin(item));
            }
        }

        if (variant == "runtime")
        {
            var mode = twin == Twin.Wait ? BoundedChannelFullMode.Wait : BoundedChannelFullMode.DropOldest;
            return new Opened(Channel.CreateBounded<int>(new BoundedChannelOptions(capacity) { FullMode = mode }, OnDropped), asTwin, dropped);
        }

        var policy = twin switch
        {
            Twin.Wait => BackpressurePolicy.PauseUpstream,
            Twin.DropOldest => BackpressurePolicy.DropOldest,
            _ => BackpressurePolicy.DegradeQuality,
        };
        var options = new BoundedStreamOptions<int>(policy, capacity) { Degrader = static x => -x, OnDropped = OnDropped };
        var channel = variant == "locked" ? BackpressureChannel.Create(options, BufferMode.Locked) : BackpressureChannel.Create(options);
        return new Opened(channel, asTwin, dropped);
    }
}
