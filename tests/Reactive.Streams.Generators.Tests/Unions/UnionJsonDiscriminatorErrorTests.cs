using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// A <c>"type"</c> discriminator that is not a string: the JsonException points at its value (line and byte position), as
/// an error about any other value that cannot be read does, and as System.Text.Json's own polymorphism points at it.
/// </summary>
public sealed class UnionJsonDiscriminatorErrorTests
{
    // The union found the discriminator with a copy of the serializer's reader and threw from there, so the serializer
    // reported the position of its own reader, the start of the object ("BytePositionInLine: 1" on line 0, whatever line
    // the bad "type" was on).
    [Theory]
    [InlineData("{\"type\":null,\"id\":\"a\"}", 0, 12, "Null")]
    [InlineData("{\"type\":7,\"id\":\"a\"}", 0, 9, "Number")]
    [InlineData("{\"id\":\"a\",\n \"type\": true}", 1, 13, "True")]
    [InlineData("[\n {\"type\":\"sent\",\"id\":\"a\",\"to\":{\"street\":\"s\",\"number\":1}},\n {\"id\":\"b\",\n   \"type\":[\"sent\"]}]", 3, 11, "StartArray")]
    public void A_discriminator_that_is_not_a_string_is_reported_at_its_value(string json, long line, long position, string kind)
    {
        var array = json.StartsWith('[');

        var error = Assert.Throws<JsonException>(() => array ? JsonSerializer.Deserialize<Shipment[]>(json) : JsonSerializer.Deserialize<Shipment>(json));

        Assert.Equal((line, position), (error.LineNumber, error.BytePositionInLine));
        Assert.Equal(array ? "$[1]" : "$", error.Path);
        Assert.StartsWith($"The \"type\" of a Shipment must be a string, not a {kind}.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_discriminator_is_reported_where_JsonPolymorphic_reports_it()
    {
        const string Json = "[\n  {\"id\":\"a\",\n   \"type\":null}]";
        var theirs = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = new DefaultJsonTypeInfoResolver(), AllowOutOfOrderMetadataProperties = true };

        var ours = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Shipment[]>(Json));
        var twin = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<MirrorShipment[]>(Json, theirs));

        Assert.Equal((twin.LineNumber, twin.BytePositionInLine), (ours.LineNumber, ours.BytePositionInLine));
    }
}
