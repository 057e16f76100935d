using System.Buffers;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// A payload whose memory cannot be read (a pooled buffer's owner disposed before the append: its
/// <see cref="MemoryManager{T}"/> throws <see cref="ObjectDisposedException"/>) fails the append with that error, and a
/// batch is written whole or not at all (docs/stream-log.md, "Batches"), also when the bad frame is in the middle:
/// the log's content is unchanged after the failure and the next append continues it, on every backend.
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    public static TheoryData<AppendMode> AllModes => [AppendMode.Durable, AppendMode.DurableSummary, AppendMode.BestEffortLive];

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_batch_whose_frame_in_the_middle_cannot_be_read_throws_that_error_and_writes_nothing(AppendMode mode)
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var before = await log.AppendAsync(stream, """{"n":0}""", mode);

        var error = await Assert.ThrowsAsync<ObjectDisposedException>(() =>
            log.AppendBatchAsync(stream, [Utf8("""{"n":1}"""), UnreadableMemory.Create(), Utf8("""{"n":3}""")], mode).AsTask());
        var single = await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendAsync(stream, UnreadableMemory.Create(), mode).AsTask());

        Assert.Equal(UnreadableMemory.Name, error.ObjectName);
        Assert.Equal(UnreadableMemory.Name, single.ObjectName);
        var frames = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10);
        Assert.Equal([before.Id], frames.Select(f => f.Id));
        Assert.Equal(mode == AppendMode.DurableSummary ? 1 : null, (await log.ReadSummaryAsync(stream))?.Version);

        // The next append continues the stream as if the failed ones had never been made.
        var next = await log.AppendBatchAsync(stream, [Utf8("""{"n":4}"""), Utf8("""{"n":5}""")], mode);
        Assert.Equal(before.Id.Successor(), next.FirstId);
        Assert.Equal(3, next.FrameCount);
        Assert.Equal(mode == AppendMode.DurableSummary ? 3 : 0, next.SummaryVersion);
        Assert.Equal(["""{"n":0}""", """{"n":4}""", """{"n":5}"""], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
    }

    /// <summary>The memory of a pooled buffer whose owner was disposed: reading it throws, as <see cref="MemoryPool{T}"/>'s does.</summary>
    private sealed class UnreadableMemory : MemoryManager<byte>
    {
        public const string Name = "the caller's pooled buffer";

        public static ReadOnlyMemory<byte> Create()
        {
            using var manager = new UnreadableMemory();
            return manager.Memory;
        }

        public override Span<byte> GetSpan() => throw new ObjectDisposedException(Name);

        public override MemoryHandle Pin(int elementIndex = 0) => throw new ObjectDisposedException(Name);

        public override void Unpin()
        {
        }

        // The length a Memory<T> over this manager has; the manager is never read.
        public override Memory<byte> Memory => CreateMemory(8);

        protected override void Dispose(bool disposing)
        {
        }
    }
}
