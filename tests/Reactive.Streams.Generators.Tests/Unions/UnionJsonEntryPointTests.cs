using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// The union's converter through System.Text.Json's other entry points: a stream read a byte at a time (the serializer
/// buffers a converter's whole value before calling it), an async enumerable of an array, the DOM types, and a
/// <see cref="Utf8JsonReader"/> the caller positions and reads on from.
/// </summary>
public sealed class UnionJsonEntryPointTests
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    private static readonly LeaseEvent[] s_items =
    [
        new LeaseEvent.Acquired(new Cursor(1, 0), "exec-1", "lease-9", s_at),
        new LeaseEvent.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", 2),
        JsonSerializer.Deserialize<LeaseEvent>("""{"type":"stolen","a":[1,{"b":null}],"execution_id":"exec-4"}""")!,
    ];

    [Fact]
    public async Task A_stream_read_a_byte_at_a_time_and_an_async_enumerable_read_what_was_written()
    {
        var options = new JsonSerializerOptions { DefaultBufferSize = 1 };
        var json = JsonSerializer.Serialize(s_items, options);

        var array = await JsonSerializer.DeserializeAsync<LeaseEvent[]>(new MemoryStream(Encoding.UTF8.GetBytes(json)), options);
        var streamed = new List<LeaseEvent?>();
        await foreach (var item in JsonSerializer.DeserializeAsyncEnumerable<LeaseEvent>(new MemoryStream(Encoding.UTF8.GetBytes(json)), options))
        {
            streamed.Add(item);
        }

        var written = new MemoryStream();
        await JsonSerializer.SerializeAsync(written, s_items, options);

        Assert.Equal(s_items, array);
        Assert.Equal(s_items, streamed);
        Assert.Equal(json, Encoding.UTF8.GetString(written.ToArray()));
    }

    [Fact]
    public void JsonNode_JsonElement_and_JsonDocument_round_trip_every_variant_and_an_unknown_one()
    {
        foreach (var item in s_items)
        {
            var node = JsonSerializer.SerializeToNode(item)!;
            using var document = JsonSerializer.SerializeToDocument(item);

            Assert.Equal(item.WireName, (string)node["type"]!);
            Assert.Equal(item, node.Deserialize<LeaseEvent>());
            Assert.Equal(item, JsonSerializer.SerializeToElement(item).Deserialize<LeaseEvent>());
            Assert.Equal(item, document.Deserialize<LeaseEvent>());
        }
    }

    [Fact]
    public void A_reader_positioned_on_a_property_reads_the_union_and_stops_at_its_end()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"x":{"type":"stolen","a":1},"y":{"execution_id":"e","type":"lease_expired","cursor":{"Milliseconds":4,"Sequence":7},"at":"2026-11-22T13:00:00+00:00"}}""");
        var reader = new Utf8JsonReader(bytes);
        reader.Read();
        reader.Read();

        var x = JsonSerializer.Deserialize<LeaseEvent>(ref reader);
        Assert.Equal(JsonTokenType.EndObject, reader.TokenType);
        reader.Read();
        var y = JsonSerializer.Deserialize<LeaseEvent>(ref reader);

        Assert.Equal("stolen", Assert.IsType<LeaseEvent.Unknown>(x).RawWireName);
        Assert.Equal(new LeaseEvent.Expired(new Cursor(4, 7), "e", s_at), y);
        Assert.Equal(JsonTokenType.EndObject, reader.TokenType);
        Assert.True(reader.Read());
        Assert.Equal(JsonTokenType.EndObject, reader.TokenType);
        Assert.False(reader.Read());
    }
}
