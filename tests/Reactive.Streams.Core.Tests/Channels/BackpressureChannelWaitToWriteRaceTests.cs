using System.Collections.Concurrent;
using System.Threading.Channels;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// The policies whose writers wait for room with <c>WaitToWriteAsync</c> and then <c>TryWrite</c> (Fail, and
/// DegradeQuality without a degrader, where a write to a full channel is refused) on real threads: several writers loop
/// "TryWrite, else WaitToWriteAsync" with no token, so a wake-up lost between a reader's room and a parking writer would
/// hang the run (nothing else wakes an uncancellable wait), beside readers using <c>ReadAsync</c>,
/// <c>WaitToReadAsync</c> with <c>TryRead</c>, and <c>ReadAllAsync</c>. The end is deterministic: every writer has written
/// all its items, then the channel is completed and every reader drains to the end. Every item is read exactly once,
/// each reader sees each writer's items in order, and the counters add up. The channel twin suites run this loop only
/// under PauseUpstream, whose twin is Wait.
/// </summary>
public sealed class BackpressureChannelWaitToWriteRaceTests
{
    private const int Writers = 4;
    private const int Readers = 3;
    private const int PerWriter = 400;

    public static TheoryData<BackpressurePolicy, bool, int> Configurations()
    {
        var data = new TheoryData<BackpressurePolicy, bool, int>();
        foreach (var policy in new[] { BackpressurePolicy.Fail, BackpressurePolicy.DegradeQuality, BackpressurePolicy.PauseUpstream })
        {
            foreach (var locked in new[] { false, true })
            {
                data.Add(policy, locked, 1);
                data.Add(policy, locked, 3);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task Writers_that_wait_for_room_without_a_token_all_get_in_and_every_item_is_read_once(BackpressurePolicy policy, bool locked, int capacity)
    {
        for (var round = 0; round < 5; round++)
        {
            await RunOnce(policy, locked, capacity).WaitAsync(TestLimits.Hang);
        }
    }

    private static async Task RunOnce(BackpressurePolicy policy, bool locked, int capacity)
    {
        // DegradeQuality without a degrader refuses a write to a full channel, as Fail does.
        var channel = BackpressureChannel.Create(new BoundedStreamOptions<long>(policy, capacity), locked ? BufferMode.Locked : BufferMode.SharedLane);
        long refused = 0;

        var reads = new ConcurrentQueue<long>[Readers];
        var readers = Enumerable.Range(0, Readers).Select(r => Task.Run(async () =>
        {
            var mine = reads[r] = new ConcurrentQueue<long>();
            switch (r)
            {
                case 0:
                    await foreach (var item in channel.Reader.ReadAllAsync())
                    {
                        mine.Enqueue(item);
                    }

                    break;
                case 1:
                    while (await channel.Reader.WaitToReadAsync())
                    {
                        while (channel.Reader.TryRead(out var item))
                        {
                            mine.Enqueue(item);
                        }
                    }

                    break;
                default:
                    while (true)
                    {
                        try
                        {
                            mine.Enqueue(await channel.Reader.ReadAsync());
                        }
                        catch (ChannelClosedException)
                        {
                            break;
                        }
                    }

                    break;
            }
        })).ToArray();

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (long i = 0; i < PerWriter; i++)
            {
                var item = ((long)w << 32) | i;
                while (!channel.Writer.TryWrite(item))
                {
                    Interlocked.Increment(ref refused);
                    Assert.True(await channel.Writer.WaitToWriteAsync(), "WaitToWriteAsync said the channel was over while it was open.");
                }
            }
        })).ToArray();

        await Task.WhenAll(writers);
        channel.Writer.Complete();
        await Task.WhenAll(readers);
        await channel.Reader.Completion;

        // Every item exactly once, and each writer's items in order within each reader.
        var all = reads.SelectMany(r => r).ToList();
        Assert.Equal(Writers * PerWriter, all.Count);
        Assert.Equal(Writers * PerWriter, all.Distinct().Count());
        foreach (var mine in reads)
        {
            foreach (var byWriter in mine.GroupBy(item => item >> 32))
            {
                var sequence = byWriter.Select(item => item & 0xFFFF_FFFF).ToList();
                Assert.Equal(sequence.Order(), sequence);
            }
        }

        var metrics = channel.GetMetrics();
        Assert.True(metrics.IsConserved, metrics.ToString());
        Assert.Equal(Writers * PerWriter, metrics.ItemsDelivered);
        Assert.Equal(0, metrics.Depth);
        if (policy == BackpressurePolicy.PauseUpstream)
        {
            // A write that does not wait and finds no room is not counted (the caller keeps the item).
            Assert.Equal(Writers * PerWriter, metrics.ItemsPushed);
        }
        else
        {
            Assert.Equal((Writers * PerWriter) + Volatile.Read(ref refused), metrics.ItemsPushed);
        }
    }
}
