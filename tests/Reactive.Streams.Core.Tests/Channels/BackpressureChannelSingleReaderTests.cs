using System.Threading.Channels;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;
using Twin = Reactive.Streams.Tests.Channels.ChannelTwin;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// What one reader may rely on while a writer overflows an evicting channel, against <c>Channel.CreateBounded</c> with
/// <see cref="BoundedChannelFullMode.DropOldest"/>: an eviction replaces the oldest item in one step, so once the reader
/// was told that an item is there (<c>WaitToReadAsync</c> true), <c>Count</c> is at least 1 and <c>TryPeek</c> and
/// <c>TryRead</c> find an item until the reader itself takes it; nobody else can. Real threads: the race with the
/// writer's evictions is the point. Each case makes a bounded number of looks.
/// </summary>
public sealed class BackpressureChannelSingleReaderTests
{
    private const int Looks = 250;

    public static TheoryData<Twin, string, int> Cases()
    {
        var data = new TheoryData<Twin, string, int>();
        foreach (var twin in new[] { Twin.DropOldest, Twin.Degrade })
        {
            foreach (var variant in new[] { "runtime", "default", "locked" })
            {
                foreach (var capacity in new[] { 1, 2 })
                {
                    if (!(twin == Twin.Degrade && variant == "runtime"))
                    {
                        data.Add(twin, variant, capacity);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_single_reader_told_an_item_is_there_finds_it_while_a_writer_evicts(Twin twin, string variant, int capacity)
    {
        var channel = Open(twin, variant, capacity);
        var stop = 0;
        var writer = Task.Run(() =>
        {
            // Writes until the reader has looked enough: the channel overflows on nearly every write.
            for (var i = 1; Volatile.Read(ref stop) == 0; i = i == int.MaxValue ? 1 : i + 1)
            {
                Assert.True(channel.Writer.TryWrite(i));
            }

            channel.Writer.Complete();
        });

        var misses = new List<string>();
        for (var look = 0; look < Looks; look++)
        {
            Assert.True(await channel.Reader.WaitToReadAsync().AsTask().WaitAsync(TestLimits.Hang));
            var count = channel.Reader.Count;
            var peeked = channel.Reader.TryPeek(out var head);
            var read = channel.Reader.TryRead(out var item);
            if (count < 1 || !peeked || !read || head == 0 || item == 0)
            {
                misses.Add($"look {look}: Count {count}, TryPeek {peeked} ({head}), TryRead {read} ({item})");
            }
        }

        Volatile.Write(ref stop, 1);
        await writer.WaitAsync(TestLimits.Hang);
        Assert.True(misses.Count == 0, $"{misses.Count} of {Looks} looks found no item: {string.Join("; ", misses.Take(5))}");
    }

    private static Channel<int> Open(Twin twin, string variant, int capacity)
    {
        if (variant == "runtime")
        {
            return Channel.CreateBounded<int>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest });
        }

        var policy = twin == Twin.DropOldest ? BackpressurePolicy.DropOldest : BackpressurePolicy.DegradeQuality;
        if (variant == "locked")
        {
            // The locked mode (which capacities above the lanes' select) at 1 and 2, through the internal factory.
            return BackpressureChannel.Create(new BoundedStreamOptions<int>(policy, capacity) { Degrader = static x => -x }, BufferMode.Locked);
        }

        var singles = variant.Contains("Single", StringComparison.Ordinal);
        return BackpressureChannel.Create(new BoundedStreamOptions<int>(policy, capacity)
        {
            Degrader = static x => -x,
            SingleWriter = singles,
            SingleReader = singles,
        });
    }
}
