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

    // A string discriminator that cannot be read as a string (an escaped lone surrogate, which is no UTF-16 text) was read
    // with the copy of the reader too, so the error pointed at the start of the object rather than at the "type".
    [Theory]
    [InlineData("{\"type\":\"\\ud800\",\"id\":\"a\"}")]
    [InlineData("[\n {\"id\":\"b\",\n   \"type\":\"lo\\udc00st\"}]")]
    public void A_discriminator_that_is_no_valid_text_is_reported_where_JsonPolymorphic_reports_it(string json)
    {
        var theirs = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = new DefaultJsonTypeInfoResolver(), AllowOutOfOrderMetadataProperties = true };
        var array = json.StartsWith('[');

        var ours = Assert.Throws<JsonException>(() => array ? JsonSerializer.Deserialize<Shipment[]>(json) : JsonSerializer.Deserialize<Shipment>(json));
        var twin = Assert.Throws<JsonException>(() => array ? JsonSerializer.Deserialize<MirrorShipment[]>(json, theirs) : JsonSerializer.Deserialize<MirrorShipment>(json, theirs));

        Assert.Equal((twin.LineNumber, twin.BytePositionInLine), (ours.LineNumber, ours.BytePositionInLine));
        Assert.Equal(array ? "$[0]" : "$", ours.Path);
        Assert.IsType<InvalidOperationException>(ours.InnerException);
    }
}
