using System.Threading.Channels;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// Items that look like "nothing" travel as items, against <c>Channel.CreateBounded</c> (Wait): <see langword="false"/>
/// in a channel of <see cref="bool"/> (whose pending <c>ReadAsync</c> is a wait of its own type beside the engine's wait
/// for a <see cref="bool"/>) and <see langword="null"/> in a channel of strings, on every path an item takes: a write,
/// a write handed to a pending read, a parked write let in by a read, a peek and <c>ReadAllAsync</c>.
/// </summary>
public sealed class BackpressureChannelItemValueTests
{
    public static TheoryData<string> Variants => new("runtime", "shared", "locked");

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task False_travels_as_an_item_on_every_path(string variant)
    {
        var channel = Open<bool>(variant);
        await AssertEveryPath(channel, false, true);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Null_travels_as_an_item_on_every_path(string variant)
    {
        var channel = Open<string?>(variant);
        await AssertEveryPath(channel, null, "x");
    }

    private static async Task AssertEveryPath<T>(Channel<T> channel, T nothing, T something)
    {
        // A write handed to a pending ReadAsync.
        var pending = channel.Reader.ReadAsync().AsTask();
        Assert.False(pending.IsCompleted);
        Assert.True(channel.Writer.TryWrite(nothing));
        Assert.Equal(nothing, await pending.WaitAsync(TestLimits.Hang));
        Assert.Equal(0, channel.Reader.Count);

        // A buffered write, peeked and read.
        Assert.True(channel.Writer.TryWrite(nothing));
        Assert.True(channel.Reader.TryPeek(out var peeked));
        Assert.Equal(nothing, peeked);
        Assert.Equal(1, channel.Reader.Count);

        // A parked write of the capacity-1 channel, let in by the read of the item ahead of it.
        var parked = channel.Writer.WriteAsync(nothing).AsTask();
        Assert.False(parked.IsCompleted);
        Assert.True(channel.Reader.TryRead(out var first));
        Assert.Equal(nothing, first);
        await parked.WaitAsync(TestLimits.Hang);
        Assert.Equal(1, channel.Reader.Count);
        Assert.Equal(nothing, await channel.Reader.ReadAsync());

        // ReadAllAsync to the end.
        Assert.True(channel.Writer.TryWrite(something));
        var reading = ReadAll(channel.Reader);
        await channel.Writer.WriteAsync(nothing).AsTask().WaitAsync(TestLimits.Hang);
        channel.Writer.Complete();
        Assert.Equal([something, nothing], await reading.WaitAsync(TestLimits.Hang));
        await channel.Reader.Completion.WaitAsync(TestLimits.Hang);
    }

    private static async Task<List<T>> ReadAll<T>(ChannelReader<T> reader)
    {
        var items = new List<T>();
        await foreach (var item in reader.ReadAllAsync())
        {
            items.Add(item);
        }

        return items;
    }

    private static Channel<T> Open<T>(string variant) => variant switch
    {
        "runtime" => Channel.CreateBounded<T>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.Wait }),
        "shared" => BackpressureChannel.Create(new BoundedStreamOptions<T>(BackpressurePolicy.PauseUpstream, 1)),
        _ => BackpressureChannel.Create(new BoundedStreamOptions<T>(BackpressurePolicy.PauseUpstream, 1), BufferMode.Locked),
    };
}
