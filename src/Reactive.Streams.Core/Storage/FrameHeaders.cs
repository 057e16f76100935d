using System.Collections.ObjectModel;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Reactive.Streams;

/// <summary>
/// The headers a frame can carry (<see cref="StreamFrame.Headers"/>): string keys mapped to string values, such as the
/// W3C trace context (<see cref="TraceParent"/>, <see cref="TraceState"/>) that the log's tracing injects and the canal
/// and the dispatcher restore. The rules every backend applies, and the one stored form (a JSON object as text) the
/// SQLite and PostgreSQL backends keep in their <c>headers</c> column, so a backend author reuses them rather than
/// writing another encoding.
/// </summary>
/// <remarks>
/// A key is 1 to <see cref="MaxKeyLength"/> characters with no control characters; keys are compared ordinally
/// (case-sensitive), as Kafka and AMQP compare header names, and no key appears twice. A value is any string that is well-formed UTF-16 (no
/// unpaired surrogates), empty included, and never null. A frame has at most <see cref="MaxCount"/> headers whose keys
/// and values total at most <see cref="MaxLength"/> characters. Headers are for metadata; put data in the payload.
/// </remarks>
public static class FrameHeaders
{
    /// <summary>The W3C Trace Context header that carries the trace id, the parent span id and the trace flags.</summary>
    public const string TraceParent = "traceparent";

    /// <summary>The W3C Trace Context header that carries vendor-specific trace state.</summary>
    public const string TraceState = "tracestate";

    /// <summary>
    /// On a frame a consumer group parked in its dead-letter stream: the stream the frame was read from. The parked frame
    /// keeps its own headers; the four <c>rxs-original-*</c>/<c>rxs-delivery-count</c> headers are added (replacing any
    /// of the same keys), unless they would take the frame past <see cref="MaxCount"/> or <see cref="MaxLength"/>.
    /// </summary>
    public const string OriginalStream = "rxs-original-stream";

    /// <summary>On a frame a consumer group parked in its dead-letter stream: its id in <see cref="OriginalStream"/> (<see cref="StreamId.ToString()"/>'s form).</summary>
    public const string OriginalId = "rxs-original-id";

    /// <summary>On a frame a consumer group parked in its dead-letter stream: the group that parked it.</summary>
    public const string OriginalGroup = "rxs-original-group";

    /// <summary>On a frame a consumer group parked in its dead-letter stream: how many times the group had handed it out, in invariant decimal digits.</summary>
    public const string DeliveryCount = "rxs-delivery-count";

    /// <summary>The most headers one frame can carry.</summary>
    public const int MaxCount = 64;

    /// <summary>The longest header key, in UTF-16 characters.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>The most UTF-16 characters all of one frame's keys and values may hold together.</summary>
    public const int MaxLength = 16 * 1024;

    // Relaxed escaping: the text is stored, never embedded in HTML, so non-ASCII characters stay as they are.
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The headers of a frame that has none: an empty dictionary shared by every such frame (no allocation).</summary>
    public static IReadOnlyDictionary<string, string> Empty { get; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Checks headers given to an append.</summary>
    /// <param name="headers">The headers; null is no headers and valid.</param>
    /// <param name="parameterName">The parameter named in the error.</param>
    /// <exception cref="ArgumentException">A key is null, empty, too long, contains a control character or an unpaired
    /// surrogate, or appears twice (which only a custom dictionary can yield); a value is null or contains an unpaired
    /// surrogate; or there are more than <see cref="MaxCount"/> headers or more than <see cref="MaxLength"/> characters in
    /// all. The message names the header.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="parameterName"/> is null.</exception>
    public static void Validate(IReadOnlyDictionary<string, string>? headers, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(parameterName);
        if (headers is null || headers.Count == 0)
        {
            return;
        }

        if (headers.Count > MaxCount)
        {
            throw new ArgumentException($"A frame can carry at most {MaxCount} headers; {headers.Count} were given.", parameterName);
        }

        var length = 0;
        // A Dictionary's keys are distinct under its comparer, so ordinally too; any other implementation is checked, since
        // the backends would keep only one of a repeated key (or, copying it, fail) instead of refusing the frame.
        var seen = headers.Count > 1 && headers is not Dictionary<string, string> ? new HashSet<string>(StringComparer.Ordinal) : null;
        foreach (var (key, value) in headers)
        {
            if (string.IsNullOrEmpty(key))
            {
                throw new ArgumentException("A header key is null or empty.", parameterName);
            }

            if (key.Length > MaxKeyLength)
            {
                throw new ArgumentException($"The header key '{key[..32]}…' is {key.Length} characters long; the most is {MaxKeyLength}.", parameterName);
            }

            for (var i = 0; i < key.Length; i++)
            {
                if (char.IsControl(key[i]))
                {
                    throw new ArgumentException($"The header key '{Printable(key)}' contains the control character U+{(int)key[i]:X4} at index {i}.", parameterName);
                }
            }

            CheckWellFormed(key, "key", key, parameterName);
            if (seen is not null && !seen.Add(key))
            {
                throw new ArgumentException($"The header key '{Printable(key)}' appears more than once; a frame carries each header once.", parameterName);
            }

            if (value is null)
            {
                throw new ArgumentException($"The value of the header '{key}' is null; use an empty string or leave the header out.", parameterName);
            }

            CheckWellFormed(value, "value", key, parameterName);
            length += key.Length + value.Length;
            if (length > MaxLength)
            {
                throw new ArgumentException($"The headers hold more than {MaxLength} characters in keys and values together.", parameterName);
            }
        }
    }

    /// <summary>An immutable copy of validated headers, or <see cref="Empty"/> when there are none.</summary>
    /// <param name="headers">Headers that passed <see cref="Validate"/>, or null.</param>
    /// <returns>A copy the caller's later changes to <paramref name="headers"/> do not affect.</returns>
    public static IReadOnlyDictionary<string, string> Copy(IReadOnlyDictionary<string, string>? headers) =>
        headers is null || headers.Count == 0
            ? Empty
            : new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(headers, StringComparer.Ordinal));

    /// <summary>The stored form of validated headers: a JSON object whose members are the headers, or null when there are none.</summary>
    /// <param name="headers">Headers that passed <see cref="Validate"/>, or null.</param>
    /// <returns>The JSON text, or null for no headers (backends store SQL <c>NULL</c>).</returns>
    public static string? ToJson(IReadOnlyDictionary<string, string>? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return null;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in headers)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The stored form of a batch's validated headers, one entry per frame (null for a frame without headers).</summary>
    /// <param name="headers">One entry per frame, as a backend's <c>AppendBatchCoreAsync</c> receives them, or null.</param>
    /// <returns>The JSON texts, or null when <paramref name="headers"/> is null (no frame has headers).</returns>
    public static string?[]? ToJsonBatch(IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers)
    {
        if (headers is null)
        {
            return null;
        }

        var json = new string?[headers.Count];
        for (var i = 0; i < json.Length; i++)
        {
            json[i] = ToJson(headers[i]);
        }

        return json;
    }

    /// <summary>Reads headers from their stored form.</summary>
    /// <param name="json">What <see cref="ToJson"/> returned, or null.</param>
    /// <returns>The headers; <see cref="Empty"/> for null or an empty object.</returns>
    /// <exception cref="FormatException">The text is not a JSON object of string members (the stored data is corrupt).</exception>
    public static IReadOnlyDictionary<string, string> FromJson(string? json)
    {
        if (json is null)
        {
            return Empty;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"Stored frame headers are a JSON {document.RootElement.ValueKind}, not an object.");
            }

            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var member in document.RootElement.EnumerateObject())
            {
                if (member.Value.ValueKind != JsonValueKind.String)
                {
                    throw new FormatException($"The stored frame header '{member.Name}' is a JSON {member.Value.ValueKind}, not a string.");
                }

                headers[member.Name] = member.Value.GetString()!;
            }

            return headers.Count == 0 ? Empty : new ReadOnlyDictionary<string, string>(headers);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Stored frame headers are not JSON: {e.Message}", e);
        }
    }

    private static void CheckWellFormed(string text, string what, string key, string parameterName)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new ArgumentException(
                    $"The {what} of the header '{Printable(key)}' contains the unpaired surrogate U+{(int)c:X4} at index {i}; headers must be well-formed UTF-16.",
                    parameterName);
            }
        }
    }

    private static string Printable(string key) => string.Concat(key.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? '?' : c));
}
