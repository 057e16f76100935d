using System.Text.Json;
using System.Text.Json.Serialization;

namespace Reactive.Streams;

/// <summary>
/// System.Text.Json's form of a <see cref="StreamId"/>: its text, <c>"1700000000000-3"</c> (as <see cref="StreamId.ToString()"/>
/// writes it and <see cref="StreamId.Parse(string)"/> reads it, <c>"-"</c> and <c>"+"</c> included), as a value and as a
/// dictionary key. Without it the serializer wrote the two properties and read them back as <see cref="StreamId.Min"/>,
/// since they have no setters: a stored cursor silently restarted at the beginning.
/// </summary>
internal sealed class StreamIdJsonConverter : JsonConverter<StreamId>
{
    // "9223372036854775807-9223372036854775807": the longest id text.
    private const int MaxLength = 39;

    public override StreamId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"A {nameof(StreamId)} is written as a JSON string such as \"1700000000000-3\", not as a {reader.TokenType}.");
        }

        return ParseText(ref reader);
    }

    public override void Write(Utf8JsonWriter writer, StreamId value, JsonSerializerOptions options)
    {
        Span<char> text = stackalloc char[MaxLength];
        value.TryFormat(text, out var written, default, null);
        writer.WriteStringValue(text[..written]);
    }

    public override StreamId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ParseText(ref reader);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, StreamId value, JsonSerializerOptions options)
    {
        Span<char> text = stackalloc char[MaxLength];
        value.TryFormat(text, out var written, default, null);
        writer.WritePropertyName(text[..written]);
    }

    private static StreamId ParseText(ref Utf8JsonReader reader)
    {
        var text = reader.GetString();
        return StreamId.TryParse(text, out var id)
            ? id
            : throw new JsonException($"'{text}' is not a stream id: expected \"<milliseconds>-<sequence>\", \"<milliseconds>\", \"-\" or \"+\".");
    }
}
