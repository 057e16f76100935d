using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Serialization;

namespace Reactive.Streams;

/// <summary>
/// The id of a frame in a durable stream: the append's wall-clock time in Unix milliseconds and a sequence
/// number that orders appends sharing a millisecond. Written <c>"1700000000000-3"</c>; <c>"-"</c> is
/// <see cref="Min"/> and <c>"+"</c> is <see cref="Max"/>, the open ends of a range; a bare
/// <c>"1700000000000"</c> means sequence 0. Ids order by milliseconds, then sequence.
/// </summary>
/// <remarks>
/// A log gives the frames of one stream strictly increasing ids even when its clock goes backwards or
/// several appends share a millisecond: such an append takes the last id's millisecond and the next sequence.
/// System.Text.Json reads and writes an id as its text, <c>"1700000000000-3"</c>, as a value and as a dictionary key.
/// </remarks>
[JsonConverter(typeof(StreamIdJsonConverter))]
public readonly struct StreamId :
    IEquatable<StreamId>, IComparable<StreamId>, IComparable, ISpanFormattable, ISpanParsable<StreamId>
{
    /// <summary>The smallest id, <c>0-0</c>, written <c>"-"</c> in a range; no appended frame has it.</summary>
    public static StreamId Min => default;

    /// <summary>The largest id, written <c>"+"</c> in a range.</summary>
    public static StreamId Max => new(long.MaxValue, long.MaxValue);

    /// <summary>Creates an id.</summary>
    /// <param name="milliseconds">Unix time in milliseconds; not negative.</param>
    /// <param name="sequence">The sequence within the millisecond; not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">Either part is negative.</exception>
    public StreamId(long milliseconds, long sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(milliseconds);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        Milliseconds = milliseconds;
        Sequence = sequence;
    }

    /// <summary>Unix time of the append in milliseconds (or of an earlier append, if the clock went backwards).</summary>
    public long Milliseconds { get; }

    /// <summary>The sequence number within <see cref="Milliseconds"/>, from 0.</summary>
    public long Sequence { get; }

    /// <summary>
    /// The smallest id greater than this one: the next sequence, or the next millisecond's sequence 0 when the
    /// sequence is at its maximum. <see cref="Max"/> has no successor and returns itself.
    /// </summary>
    public StreamId Successor() =>
        Sequence < long.MaxValue ? new StreamId(Milliseconds, Sequence + 1)
        : Milliseconds < long.MaxValue ? new StreamId(Milliseconds + 1, 0)
        : this;

    /// <summary>Parses <c>"ms-seq"</c>, <c>"ms"</c>, <c>"-"</c> or <c>"+"</c>.</summary>
    /// <param name="text">The text to parse.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is not a stream id; the message quotes it.</exception>
    public static StreamId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text.AsSpan());
    }

    /// <summary>Parses <c>"ms-seq"</c>, <c>"ms"</c>, <c>"-"</c> or <c>"+"</c>.</summary>
    /// <param name="text">The text to parse.</param>
    /// <exception cref="FormatException">The text is not a stream id; the message quotes it.</exception>
    public static StreamId Parse(ReadOnlySpan<char> text) =>
        TryParse(text, out var id) ? id : throw new FormatException(FormatError(text));

    /// <summary>Tries to parse <c>"ms-seq"</c>, <c>"ms"</c>, <c>"-"</c> or <c>"+"</c>.</summary>
    /// <param name="text">The text to parse; null fails.</param>
    /// <param name="id">The parsed id, or <see cref="Min"/> on failure.</param>
    /// <returns>Whether the text is a stream id.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out StreamId id)
    {
        id = default;
        return text is not null && TryParse(text.AsSpan(), out id);
    }

    /// <summary>Tries to parse <c>"ms-seq"</c>, <c>"ms"</c>, <c>"-"</c> or <c>"+"</c>.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="id">The parsed id, or <see cref="Min"/> on failure.</param>
    /// <returns>Whether the text is a stream id.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out StreamId id)
    {
        id = default;
        if (text is "-")
        {
            return true;
        }

        if (text is "+")
        {
            id = Max;
            return true;
        }

        var dash = text.IndexOf('-');
        var msText = dash < 0 ? text : text[..dash];
        var seqText = dash < 0 ? "0".AsSpan() : text[(dash + 1)..];
        // NumberStyles.None: no signs, spaces or separators, so "-1", " 1" and "1-+2" are all rejected. It still
        // ignores trailing NUL characters ("1-2\0" would read as 1-2), so every character must be an ASCII digit.
        if (msText.ContainsAnyExceptInRange('0', '9') || seqText.ContainsAnyExceptInRange('0', '9') ||
            !long.TryParse(msText, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ||
            !long.TryParse(seqText, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return false;
        }

        id = new StreamId(ms, seq);
        return true;
    }

    static StreamId IParsable<StreamId>.Parse(string s, IFormatProvider? provider) => Parse(s);

    static bool IParsable<StreamId>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out StreamId result) =>
        TryParse(s, out result);

    static StreamId ISpanParsable<StreamId>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s);

    static bool ISpanParsable<StreamId>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out StreamId result) =>
        TryParse(s, out result);

    /// <summary>Writes the id as <c>"ms-seq"</c> (always both parts, invariant digits).</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Milliseconds}-{Sequence}");

    /// <inheritdoc cref="ToString()"/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <summary>Writes the id as <c>"ms-seq"</c> into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="charsWritten">How many characters were written.</param>
    /// <param name="format">Ignored.</param>
    /// <param name="provider">Ignored: digits are invariant.</param>
    /// <returns>False when <paramref name="destination"/> is too small.</returns>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        destination.TryWrite(CultureInfo.InvariantCulture, $"{Milliseconds}-{Sequence}", out charsWritten);

    /// <inheritdoc/>
    public bool Equals(StreamId other) => Milliseconds == other.Milliseconds && Sequence == other.Sequence;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is StreamId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Milliseconds, Sequence);

    /// <inheritdoc/>
    public int CompareTo(StreamId other)
    {
        var byMs = Milliseconds.CompareTo(other.Milliseconds);
        return byMs != 0 ? byMs : Sequence.CompareTo(other.Sequence);
    }

    /// <inheritdoc/>
    public int CompareTo(object? obj) => obj switch
    {
        null => 1,
        StreamId other => CompareTo(other),
        _ => throw new ArgumentException($"Expected a {nameof(StreamId)}, got {obj.GetType()}.", nameof(obj)),
    };

    /// <summary>Equality.</summary>
    public static bool operator ==(StreamId left, StreamId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(StreamId left, StreamId right) => !left.Equals(right);

    /// <summary>Ordering by milliseconds, then sequence.</summary>
    public static bool operator <(StreamId left, StreamId right) => left.CompareTo(right) < 0;

    /// <summary>Ordering by milliseconds, then sequence.</summary>
    public static bool operator >(StreamId left, StreamId right) => left.CompareTo(right) > 0;

    /// <summary>Ordering by milliseconds, then sequence.</summary>
    public static bool operator <=(StreamId left, StreamId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering by milliseconds, then sequence.</summary>
    public static bool operator >=(StreamId left, StreamId right) => left.CompareTo(right) >= 0;

    private static string FormatError(ReadOnlySpan<char> text) =>
        $"'{text}' is not a stream id: expected \"<milliseconds>-<sequence>\", \"<milliseconds>\", \"-\" or \"+\" " +
        "with non-negative decimal numbers.";
}
