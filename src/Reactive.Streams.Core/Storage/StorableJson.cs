using System.Text;
using System.Text.Json;

namespace Reactive.Streams;

/// <summary>
/// The one rule every backend applies to a <see cref="AppendMode.DurableSummary"/> patch before anything is written:
/// the JSON must be something every backend stores as given. PostgreSQL keeps summaries as <c>jsonb</c>, which
/// replaces invalid UTF-8 and rejects <c>\u0000</c>, cannot hold an unpaired surrogate, keeps only the last of
/// duplicate member names, and refuses numbers beyond <c>numeric</c>'s range; the in-memory and SQLite logs would
/// store such text differently or fail while writing. So all of these are refused on every backend, and a summary can
/// always be rebuilt from its frames. (Numbers are kept as values: jsonb may write <c>1E2</c> as <c>100</c>.)
/// </summary>
internal static class StorableJson
{
    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="paramName"/> when <paramref name="json"/> breaks the rule.</summary>
    /// <remarks>Text that is not JSON at all passes: the parser reports it next, with its own message.</remarks>
    public static void Validate(ReadOnlySpan<byte> json, string paramName)
    {
        if (FirstInvalidUtf8(json) is { } bad)
        {
            throw Error(paramName, $"is not valid UTF-8: the byte 0x{json[bad]:X2} at offset {bad} starts no valid sequence");
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        var names = new Stack<HashSet<string>>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        names.Push(new HashSet<string>(StringComparer.Ordinal));
                        break;
                    case JsonTokenType.EndObject:
                        names.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        CheckEscapes(ref reader, paramName, "member name");
                        var name = reader.GetString()!;
                        if (!names.Peek().Add(name))
                        {
                            throw Error(paramName, $"repeats the member name \"{name}\" in one object (offset {reader.TokenStartIndex}); PostgreSQL's jsonb would keep only the last");
                        }

                        break;
                    case JsonTokenType.String:
                        CheckEscapes(ref reader, paramName, "string");
                        break;
                    case JsonTokenType.Number:
                        CheckNumber(ref reader, paramName);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: left to the parser, whose message says where.
        }
    }

    private static int? FirstInvalidUtf8(ReadOnlySpan<byte> json)
    {
        if (System.Text.Unicode.Utf8.IsValid(json))
        {
            return null;
        }

        for (var i = 0; i < json.Length;)
        {
            if (Rune.DecodeFromUtf8(json[i..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return i;
            }

            i += consumed;
        }

        return null;
    }

    /// <summary>
    /// Valid UTF-8 cannot encode a surrogate or hide a raw control character in a JSON string, so only escapes can
    /// carry what jsonb cannot store: <c>\u0000</c> and surrogates that do not form a pair.
    /// </summary>
    private static void CheckEscapes(ref Utf8JsonReader reader, string paramName, string what)
    {
        if (!reader.ValueIsEscaped)
        {
            return;
        }

        var raw = reader.ValueSpan;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                continue;
            }

            i++;
            if (raw[i] != (byte)'u')
            {
                continue;
            }

            var unit = Hex(raw, i + 1);
            i += 4;
            if (unit == 0)
            {
                throw Error(paramName, $"contains \\u0000 in a {what} (offset {reader.TokenStartIndex}), which PostgreSQL's jsonb cannot store");
            }

            if (char.IsHighSurrogate((char)unit) && i + 6 < raw.Length && raw[i + 1] == (byte)'\\' && raw[i + 2] == (byte)'u' && char.IsLowSurrogate((char)Hex(raw, i + 3)))
            {
                i += 6;
            }
            else if (char.IsSurrogate((char)unit))
            {
                throw Error(paramName, $"contains the unpaired surrogate \\u{unit:X4} in a {what} (offset {reader.TokenStartIndex}); summary text must be well-formed Unicode");
            }
        }
    }

    /// <summary>
    /// jsonb keeps numbers as <c>numeric</c>, which refuses (with "value overflows numeric format") an exponent of
    /// 2^30 - 1 or more in size, more than 16383 digits after the decimal point (trailing zeros and zero itself count:
    /// numeric keeps the scale written), and a non-zero number with more than 131072 digits before it.
    /// </summary>
    private static void CheckNumber(ref Utf8JsonReader reader, string paramName)
    {
        const int MaxDigitsBefore = 131072, MaxDigitsAfter = 16383, MaxExponent = (int.MaxValue / 2) - 1;
        var raw = reader.ValueSpan;
        var i = raw[0] == (byte)'-' ? 1 : 0;
        var integer = Digits(raw, ref i);
        var fraction = ReadOnlySpan<byte>.Empty;
        if (i < raw.Length && raw[i] == (byte)'.')
        {
            i++;
            fraction = Digits(raw, ref i);
        }

        long exponent = 0;
        if (i < raw.Length && (raw[i] | 0x20) == (byte)'e')
        {
            i++;
            var negative = raw[i] == (byte)'-';
            if (raw[i] is (byte)'-' or (byte)'+')
            {
                i++;
            }

            for (; i < raw.Length; i++)
            {
                // Capped: anything this large is refused either way.
                exponent = Math.Min((exponent * 10) + (raw[i] - '0'), 10L * MaxExponent);
            }

            exponent = negative ? -exponent : exponent;
        }

        var integerSignificant = integer.IndexOfAnyExcept((byte)'0') is var lead and >= 0 ? integer.Length - lead : 0;
        var fractionLeadingZeros = fraction.IndexOfAnyExcept((byte)'0');
        var isZero = integerSignificant == 0 && fractionLeadingZeros < 0;

        // The power of ten of the most significant digit, plus one: the digits before the point.
        var before = (integerSignificant > 0 ? integerSignificant : -fractionLeadingZeros) + exponent;
        var after = fraction.Length - exponent;
        if (Math.Abs(exponent) > MaxExponent || after > MaxDigitsAfter || (!isZero && before > MaxDigitsBefore))
        {
            throw Error(paramName, $"contains the number {Abbreviate(raw)} (offset {reader.TokenStartIndex}), outside what PostgreSQL's jsonb can store (numeric: at most {MaxDigitsBefore} digits before the decimal point and {MaxDigitsAfter} after it)");
        }
    }

    private static ReadOnlySpan<byte> Digits(ReadOnlySpan<byte> raw, scoped ref int i)
    {
        var start = i;
        while (i < raw.Length && raw[i] is >= (byte)'0' and <= (byte)'9')
        {
            i++;
        }

        return raw[start..i];
    }

    private static string Abbreviate(ReadOnlySpan<byte> raw) =>
        raw.Length <= 40 ? Encoding.UTF8.GetString(raw) : Encoding.UTF8.GetString(raw[..37]) + "...";

    private static int Hex(ReadOnlySpan<byte> raw, int start)
    {
        var value = 0;
        for (var i = start; i < start + 4; i++)
        {
            var c = raw[i];
            value = (value << 4) | (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }

        return value;
    }

    private static ArgumentException Error(string paramName, string problem) =>
        new($"The {nameof(AppendMode.DurableSummary)} payload {Describe(paramName)} {problem}. Nothing was written.", paramName);

    private static string Describe(string paramName) =>
        paramName.StartsWith("frames[", StringComparison.Ordinal) ? $"at index {paramName[7..^1]} of the batch ({paramName})" : $"({paramName})";
}
