using Reactive.Streams.Internal;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// The shared mode keeps the fields its readers look at on every read a cache line away from the writers' lock, which
/// the allocator puts right after the buffer: the padding must come after every one of them.
/// </summary>
public class EngineLayoutTests
{
    [Fact]
    public void Shared_mode_pads_the_fields_readers_read_away_from_the_end_of_the_object()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        var buffer = Assert.IsType<SharedLaneBuffer<int>>(stream.Buffer);

        var (readFieldsEnd, padding) = buffer.LayoutForTests();

        Assert.True(readFieldsEnd > 0, "the offsets are measured from the start of the object's fields");
        Assert.True(padding >= readFieldsEnd, $"the padding starts at byte {padding}, before the read fields end at byte {readFieldsEnd}");
    }

    [Fact]
    public void Shared_mode_pads_for_reference_items_too()
    {
        var stream = BoundedStream.PauseUpstream<string>(16);
        var buffer = Assert.IsType<SharedLaneBuffer<string>>(stream.Buffer);

        var (readFieldsEnd, padding) = buffer.LayoutForTests();

        Assert.True(padding >= readFieldsEnd, $"the padding starts at byte {padding}, before the read fields end at byte {readFieldsEnd}");
    }
}
