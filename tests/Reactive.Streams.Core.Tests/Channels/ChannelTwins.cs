using System.Threading.Channels;

namespace Reactive.Streams.Tests.Channels;

/// <summary>The full mode a channel twin case runs under: a policy and the runtime's full mode it is compared with.</summary>
public enum ChannelTwin
{
    /// <summary>PauseUpstream against <see cref="BoundedChannelFullMode.Wait"/>.</summary>
    Wait,

    /// <summary>DropOldest against <see cref="BoundedChannelFullMode.DropOldest"/>.</summary>
    DropOldest,

    /// <summary>DegradeQuality against <see cref="BoundedChannelFullMode.DropOldest"/>, the enqueued item degraded.</summary>
    Degrade,
}

/// <summary>What the channel twin suites share: their case data and the reads their assertions make.</summary>
internal static class ChannelTwins
{
    /// <summary>Every twin under every variant.</summary>
    public static TheoryData<ChannelTwin, string> All(IEnumerable<string> variants)
    {
        var data = new TheoryData<ChannelTwin, string>();
        foreach (var twin in Enum.GetValues<ChannelTwin>())
        {
            foreach (var variant in variants)
            {
                data.Add(twin, variant);
            }
        }

        return data;
    }

    /// <summary>The evicting twins (DropOldest, Degrade) under every variant.</summary>
    public static TheoryData<ChannelTwin, string> Evicting(IEnumerable<string> variants)
    {
        var data = new TheoryData<ChannelTwin, string>();
        foreach (var variant in variants)
        {
            data.Add(ChannelTwin.DropOldest, variant);
            data.Add(ChannelTwin.Degrade, variant);
        }

        return data;
    }

    /// <summary>Writes 1..<paramref name="capacity"/>, each of which must be accepted.</summary>
    public static void Fill(Channel<int> channel, int capacity)
    {
        for (var i = 1; i <= capacity; i++)
        {
            Assert.True(channel.Writer.TryWrite(i));
        }
    }

    /// <summary>Everything the reader holds now.</summary>
    public static List<int> Drain(ChannelReader<int> reader)
    {
        var items = new List<int>();
        while (reader.TryRead(out var item))
        {
            items.Add(item);
        }

        return items;
    }

    /// <summary>Everything <c>ReadAllAsync</c> yields until the channel is completed and drained.</summary>
    public static async Task<List<int>> ReadAll(ChannelReader<int> reader)
    {
        var items = new List<int>();
        await foreach (var item in reader.ReadAllAsync())
        {
            items.Add(item);
        }

        return items;
    }
}
