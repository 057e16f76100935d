using System.Text;

namespace Reactive.Streams;

/// <summary>Conveniences over <see cref="IStreamLog"/>: cursors as text and UTF-8 text payloads.</summary>
public static class StreamLogExtensions
{
    // Throws on an unpaired surrogate instead of writing U+FFFD (Encoding.UTF8's replacement), which would store text
    // other than the caller's, as stream names and header values are refused for the same reason.
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Appends <paramref name="text"/> encoded as UTF-8.</summary>
    /// <param name="log">The log.</param>
    /// <param name="stream">The stream's name.</param>
    /// <param name="text">The payload text (for <see cref="AppendMode.DurableSummary"/>, a JSON merge patch).</param>
    /// <param name="mode">How the frame is stored.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>As <see cref="IStreamLog.AppendAsync(string, ReadOnlyMemory{byte}, AppendMode, CancellationToken)"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="text"/> contains an unpaired surrogate (it is not well-formed
    /// UTF-16, so it has no UTF-8 form); nothing is written.</exception>
    public static ValueTask<AppendResult> AppendAsync(this IStreamLog log, string stream, string text, AppendMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(text);
        return log.AppendAsync(stream, Utf8(text), mode, cancellationToken);
    }

    /// <summary>Appends <paramref name="text"/> encoded as UTF-8, carrying <paramref name="headers"/>.</summary>
    /// <param name="log">The log.</param>
    /// <param name="stream">The stream's name.</param>
    /// <param name="text">The payload text (for <see cref="AppendMode.DurableSummary"/>, a JSON merge patch).</param>
    /// <param name="mode">How the frame is stored.</param>
    /// <param name="headers">The frame's headers; null or empty for none.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>As <see cref="IStreamLog.AppendAsync(string, ReadOnlyMemory{byte}, AppendMode, IReadOnlyDictionary{string, string}, CancellationToken)"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="text"/> contains an unpaired surrogate (it is not well-formed
    /// UTF-16, so it has no UTF-8 form); nothing is written.</exception>
    public static ValueTask<AppendResult> AppendAsync(
        this IStreamLog log, string stream, string text, AppendMode mode, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(text);
        return log.AppendAsync(stream, Utf8(text), mode, headers, cancellationToken);
    }

    private static byte[] Utf8(string text)
    {
        try
        {
            return s_strictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException(
                $"The text contains the unpaired surrogate U+{(int)e.CharUnknown:X4} at index {e.Index}; a payload given as text must be well-formed UTF-16.",
                nameof(text),
                e);
        }
    }

    /// <summary>Reads an inclusive range given as text cursors (<c>"ms-seq"</c>, <c>"ms"</c>, <c>"-"</c>, <c>"+"</c>).</summary>
    /// <param name="log">The log.</param>
    /// <param name="stream">The stream's name.</param>
    /// <param name="from">The first id (inclusive).</param>
    /// <param name="to">The last id (inclusive).</param>
    /// <param name="limit">The most frames to return, at least 1.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>As <see cref="IStreamLog.ReadAsync"/>.</returns>
    /// <exception cref="FormatException">A cursor is malformed; the message names the parameter and quotes the text.</exception>
    public static ValueTask<IReadOnlyList<StreamFrame>> ReadAsync(this IStreamLog log, string stream, string from, string to, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        return log.ReadAsync(stream, ParseCursor(from, nameof(from)), ParseCursor(to, nameof(to)), limit, cancellationToken);
    }

    /// <summary>Tails after a text cursor.</summary>
    /// <param name="log">The log.</param>
    /// <param name="stream">The stream's name.</param>
    /// <param name="after">The cursor (exclusive).</param>
    /// <param name="block">How long to wait; see <see cref="IStreamLog.TailAsync"/>.</param>
    /// <param name="limit">The most frames to return, at least 1.</param>
    /// <param name="visibility">Whether best-effort frames are returned.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>As <see cref="IStreamLog.TailAsync"/>.</returns>
    /// <exception cref="FormatException">The cursor is malformed; the message names the parameter and quotes the text.</exception>
    public static ValueTask<IReadOnlyList<StreamFrame>> TailAsync(this IStreamLog log, string stream, string after, TimeSpan block, int limit, TailVisibility visibility = TailVisibility.All, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        return log.TailAsync(stream, ParseCursor(after, nameof(after)), block, limit, visibility, cancellationToken);
    }

    private static StreamId ParseCursor(string text, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(text, parameterName);
        try
        {
            return StreamId.Parse(text);
        }
        catch (FormatException e)
        {
            throw new FormatException($"The cursor '{parameterName}' is malformed: {e.Message}", e);
        }
    }
}
