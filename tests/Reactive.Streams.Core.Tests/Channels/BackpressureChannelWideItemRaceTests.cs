using System.Collections.Concurrent;
using System.Threading.Channels;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// Items wider than a machine word (sixteen longs, copied in several stores) on real threads: the shared mode
/// hands slots between its locked writers and its lock-free readers (claims, evictions and peeks that read a slot another
/// thread may be rewriting), so a copy made at the wrong moment would be torn. Writers evict continuously (DropOldest at
/// capacities 1 and 2, where every slot is rewritten at once) or park (PauseUpstream); readers read, read
/// asynchronously and peek. Every item read, peeked or evicted must be whole (its sixteen words equal), and every item
/// written is read or evicted exactly once. The end is deterministic: the writers finish, the channel is completed and
/// the readers drain to the end.
/// </summary>
public sealed class BackpressureChannelWideItemRaceTests
{
    private const int Writers = 2;
    private const int Readers = 3;
    private const int PerWriter = 3000;

    public static TheoryData<BackpressurePolicy, bool, int> Configurations()
    {
        var data = new TheoryData<BackpressurePolicy, bool, int>();
        foreach (var policy in new[] { BackpressurePolicy.DropOldest, BackpressurePolicy.PauseUpstream })
        {
            foreach (var locked in new[] { false, true })
            {
                data.Add(policy, locked, 1);
                data.Add(policy, locked, 2);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task Every_item_read_peeked_or_evicted_is_whole_and_none_is_lost_or_duplicated(BackpressurePolicy policy, bool locked, int capacity)
    {
        for (var round = 0; round < 3; round++)
        {
            await RunOnce(policy, locked, capacity).WaitAsync(TestLimits.Hang);
        }
    }

    private static async Task RunOnce(BackpressurePolicy policy, bool locked, int capacity)
    {
        var torn = new ConcurrentQueue<Wide>();
        var dropped = new ConcurrentQueue<long>();
        var channel = BackpressureChannel.Create(
            new BoundedStreamOptions<Wide>(policy, capacity)
            {
                OnDropped = item =>
                {
                    Check(item, torn);
                    dropped.Enqueue(item.A);
                },
            },
            locked ? BufferMode.Locked : BufferMode.SharedLane);

        var reads = new ConcurrentQueue<long>();
        var writing = 1;

        // Peeks as fast as it can while the writers write: the peek most likely to copy a slot being rewritten.
        var peeker = Task.Run(() =>
        {
            while (Volatile.Read(ref writing) == 1)
            {
                if (channel.Reader.TryPeek(out var peeked))
                {
                    Check(peeked, torn);
                }
            }
        });
        var readers = Enumerable.Range(0, Readers).Select(r => Task.Run(async () =>
        {
            if (r == 0)
            {
                // Reads asynchronously to the end.
                while (true)
                {
                    try
                    {
                        var item = await channel.Reader.ReadAsync();
                        Check(item, torn);
                        reads.Enqueue(item.A);
                    }
                    catch (ChannelClosedException)
                    {
                        return;
                    }
                }
            }

            // Peeks before every read, and reads without waiting until told there is nothing more.
            while (await channel.Reader.WaitToReadAsync())
            {
                while (true)
                {
                    if (channel.Reader.TryPeek(out var peeked))
                    {
                        Check(peeked, torn);
                    }

                    if (!channel.Reader.TryRead(out var item))
                    {
                        break;
                    }

                    Check(item, torn);
                    reads.Enqueue(item.A);
                }
            }
        })).ToArray();

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (long i = 1; i <= PerWriter; i++)
            {
                var value = (w * (long)PerWriter) + i;
                var item = new Wide(value);
                if (policy == BackpressurePolicy.PauseUpstream && (i & 1) == 0)
                {
                    await channel.Writer.WriteAsync(item);
                }
                else if (!channel.Writer.TryWrite(item))
                {
                    await channel.Writer.WriteAsync(item);
                }
            }
        })).ToArray();

        await Task.WhenAll(writers);
        Volatile.Write(ref writing, 0);
        await peeker;
        channel.Writer.Complete();
        await Task.WhenAll(readers);

        Assert.Empty(torn);
        var seen = reads.Concat(dropped).Order().ToList();
        Assert.Equal(Enumerable.Range(1, Writers * PerWriter).Select(i => (long)i), seen);
        if (policy == BackpressurePolicy.PauseUpstream)
        {
            Assert.Empty(dropped);
        }
    }

    private static void Check(Wide item, ConcurrentQueue<Wide> torn)
    {
        if (!item.IsWhole)
        {
            torn.Enqueue(item);
        }
    }

    /// <summary>Sixteen words (more than one vector store copies), all equal in a whole copy.</summary>
    private struct Wide
    {
        private Words _words;

        public Wide(long value)
        {
            ((Span<long>)_words).Fill(value);
        }

        public readonly long A => _words[0];

        public readonly bool IsWhole
        {
            get
            {
                ReadOnlySpan<long> words = _words;
                return words[0] != 0 && !words.ContainsAnyExcept(words[0]);
            }
        }
    }

    [System.Runtime.CompilerServices.InlineArray(16)]
    private struct Words
    {
        private long _first;
    }
}
