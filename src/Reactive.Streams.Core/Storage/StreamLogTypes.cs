using System.Text.Json;

namespace Reactive.Streams;

/// <summary>How an append is stored.</summary>
public enum AppendMode
{
    /// <summary>The frame is stored durably and never trimmed.</summary>
    Durable = 0,

    /// <summary>
    /// The frame is stored durably and its payload, an RFC 7396 JSON merge patch, is applied to the stream's summary
    /// document in the same transaction; the summary's version goes up by one. A string leaf equal to
    /// <see cref="JsonMergePatch.NullSentinel"/> sets that member to JSON <c>null</c> (a plain <c>null</c> deletes it).
    /// </summary>
    DurableSummary = 1,

    /// <summary>
    /// The frame is part of a live view: on each such append the log updates an exponential moving average of the
    /// stream's best-effort append rate and keeps only the newest
    /// <c>K = clamp(2·ceil(rate·ttl), floor, ceiling)</c> best-effort frames (see <see cref="LiveRetentionOptions"/>).
    /// Durable frames of the same stream are never trimmed.
    /// </summary>
    BestEffortLive = 2,
}

/// <summary>Which frames a tail returns.</summary>
public enum TailVisibility
{
    /// <summary>Every frame.</summary>
    All = 0,

    /// <summary>Only <see cref="AppendMode.Durable"/> and <see cref="AppendMode.DurableSummary"/> frames.</summary>
    ExcludeBestEffort = 1,
}

/// <summary>
/// A stored frame. Record equality compares <see cref="Payload"/> as a memory reference and <see cref="Headers"/> as a
/// reference, not by content.
/// </summary>
/// <param name="Id">Its id, unique and increasing within its stream.</param>
/// <param name="Payload">The bytes appended.</param>
/// <param name="Mode">The mode it was appended with.</param>
public sealed record StreamFrame(StreamId Id, ReadOnlyMemory<byte> Payload, AppendMode Mode)
{
    private readonly IReadOnlyDictionary<string, string> _headers = FrameHeaders.Empty;

    /// <summary>
    /// The headers appended with the frame (see <see cref="FrameHeaders"/>), such as the W3C trace context; never null:
    /// <see cref="FrameHeaders.Empty"/>, shared by every frame without headers, when there are none.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public IReadOnlyDictionary<string, string> Headers
    {
        get => _headers;
        init => _headers = value ?? throw new ArgumentNullException(nameof(Headers));
    }
}

/// <summary>What an append produced.</summary>
/// <param name="Id">The new frame's id.</param>
/// <param name="FrameCount">How many frames the stream holds after the append (and any trimming it caused).</param>
/// <param name="SummaryVersion">The stream's summary version after the append; 0 while no summary patch was ever applied.</param>
public readonly record struct AppendResult(StreamId Id, long FrameCount, long SummaryVersion);

/// <summary>What a batched append produced. The batch's ids are consecutive: all in <see cref="FirstId"/>'s millisecond.</summary>
/// <param name="FirstId">The first frame's id.</param>
/// <param name="LastId">The last frame's id.</param>
/// <param name="FrameCount">How many frames the stream holds after the batch.</param>
/// <param name="SummaryVersion">The stream's summary version after the batch.</param>
public readonly record struct AppendBatchResult(StreamId FirstId, StreamId LastId, long FrameCount, long SummaryVersion);

/// <summary>A stream's summary document, maintained by <see cref="AppendMode.DurableSummary"/> appends.</summary>
/// <param name="Document">The document (a detached element; safe to keep).</param>
/// <param name="Version">How many patches were applied.</param>
/// <param name="FirstUpdated">When the first patch was applied (the log's clock).</param>
/// <param name="LastUpdated">When the latest patch was applied (the log's clock).</param>
public sealed record StreamSummary(JsonElement Document, long Version, DateTimeOffset FirstUpdated, DateTimeOffset LastUpdated);
