using System.Text.Json;

namespace Reactive.Streams.Tests.Storage;

public sealed class StreamIdTests
{
    [Theory]
    [InlineData("1700000000000-3", 1700000000000L, 3L)]
    [InlineData("1700000000000", 1700000000000L, 0L)]
    [InlineData("0-0", 0L, 0L)]
    [InlineData("-", 0L, 0L)]
    [InlineData("9223372036854775807-9223372036854775807", long.MaxValue, long.MaxValue)]
    public void Parse_reads_every_accepted_form(string text, long ms, long seq) =>
        Assert.Equal(new StreamId(ms, seq), StreamId.Parse(text));

    [Fact]
    public void Plus_is_the_largest_id() => Assert.Equal(StreamId.Max, StreamId.Parse("+"));

    [Theory]
    [InlineData("")]
    [InlineData(" 1-2")]
    [InlineData("1-2 ")]
    [InlineData("1--2")]
    [InlineData("1-2-3")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1-")]
    [InlineData("1.5")]
    [InlineData("abc")]
    [InlineData("99999999999999999999")]
    [InlineData("١٢٣")]
    [InlineData("1-2\0")]
    [InlineData("1\0-2")]
    [InlineData("7\0\0")]
    public void Parse_rejects_bad_text_with_a_message_quoting_it(string text)
    {
        var e = Assert.Throws<FormatException>(() => StreamId.Parse(text));

        Assert.Contains($"'{text}'", e.Message, StringComparison.Ordinal);
        Assert.False(StreamId.TryParse(text, out _));
    }

    [Fact]
    public void Parse_of_null_throws_ArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => StreamId.Parse((string)null!));

    [Fact]
    public void Negative_parts_are_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new StreamId(-1, 0));

    [Fact]
    public void Format_round_trips_and_is_invariant()
    {
        var id = new StreamId(1700000000000, 42);
        Span<char> buffer = stackalloc char[64];

        Assert.Equal("1700000000000-42", id.ToString());
        Assert.True(id.TryFormat(buffer, out var written, default, null));
        Assert.Equal("1700000000000-42", buffer[..written].ToString());
        Assert.False(id.TryFormat(buffer[..5], out _, default, null));
        Assert.Equal(id, StreamId.Parse(id.ToString()));
        Assert.Equal($"{id}", id.ToString());
    }

    [Fact]
    public void Ids_order_by_milliseconds_then_sequence()
    {
        StreamId[] ids = [new(2, 0), new(1, 5), StreamId.Max, new(1, 0), StreamId.Min, new(2, 1)];

        Assert.Equal([StreamId.Min, new(1, 0), new(1, 5), new(2, 0), new(2, 1), StreamId.Max], ids.Order());
        Assert.True(new StreamId(1, 9) < new StreamId(2, 0));
        Assert.True(new StreamId(2, 0) >= new StreamId(2, 0));
        Assert.NotEqual(new StreamId(2, 0), new StreamId(2, 1));
    }

    [Fact]
    public void Successor_is_the_next_sequence_then_the_next_millisecond()
    {
        Assert.Equal(new StreamId(5, 1), new StreamId(5, 0).Successor());
        Assert.Equal(new StreamId(6, 0), new StreamId(5, long.MaxValue).Successor());
        Assert.Equal(StreamId.Max, StreamId.Max.Successor());
    }

    private sealed record Cursor(string Stream, StreamId After);

    [Fact]
    public void System_Text_Json_round_trips_an_id_as_its_text_as_it_does_a_DateTimeOffset()
    {
        // The twin: a type with a canonical text form (DateTimeOffset, Guid, TimeSpan) is a JSON string that reads back
        // equal. A StreamId was written as its two properties and read back as StreamId.Min, silently.
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(at, JsonSerializer.Deserialize<DateTimeOffset>(JsonSerializer.Serialize(at)));
        var cursor = new Cursor("orders", new StreamId(1700000000000, 3));

        var json = JsonSerializer.Serialize(cursor);

        Assert.Equal("""{"Stream":"orders","After":"1700000000000-3"}""", json);
        Assert.Equal(cursor, JsonSerializer.Deserialize<Cursor>(json));
        foreach (var id in new[] { StreamId.Min, StreamId.Max, new StreamId(5, long.MaxValue) })
        {
            Assert.Equal(id, JsonSerializer.Deserialize<StreamId>(JsonSerializer.Serialize(id)));
        }

        // The other forms Parse reads.
        Assert.Equal(StreamId.Max, JsonSerializer.Deserialize<StreamId>("\"+\""));
        Assert.Equal(new StreamId(7, 0), JsonSerializer.Deserialize<StreamId>("\"7\""));
    }

    [Fact]
    public void System_Text_Json_writes_ids_as_dictionary_keys()
    {
        var positions = new Dictionary<StreamId, string> { [new StreamId(1, 2)] = "a", [StreamId.Max] = "b" };

        var json = JsonSerializer.Serialize(positions);

        Assert.Equal("""{"1-2":"a","9223372036854775807-9223372036854775807":"b"}""", json);
        Assert.Equal(positions, JsonSerializer.Deserialize<Dictionary<StreamId, string>>(json));
    }

    [Theory]
    [InlineData("\"12-x\"")]
    [InlineData("\"\"")]
    [InlineData("17")]
    [InlineData("""{"Milliseconds":1,"Sequence":2}""")]
    [InlineData("null")]
    public void System_Text_Json_refuses_what_is_not_an_id(string json) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<StreamId>(json));
}

/// <summary>A source-generated context (AOT) finds StreamId's converter too, although the converter is internal.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(StreamId))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<StreamId, string>))]
internal sealed partial class StreamIdJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

public sealed class StreamIdSourceGeneratedJsonTests
{
    [Fact]
    public void A_source_generated_context_writes_and_reads_ids_as_text()
    {
        var json = JsonSerializer.Serialize(new StreamId(1, 2), StreamIdJsonContext.Default.StreamId);
        var keys = JsonSerializer.Serialize(new Dictionary<StreamId, string> { [StreamId.Max] = "b" }, StreamIdJsonContext.Default.DictionaryStreamIdString);

        Assert.Equal("\"1-2\"", json);
        Assert.Equal(new StreamId(1, 2), JsonSerializer.Deserialize(json, StreamIdJsonContext.Default.StreamId));
        Assert.Equal("""{"9223372036854775807-9223372036854775807":"b"}""", keys);
    }
}
