using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

public sealed record Address(string Street, int Number);

[EventUnion]
public abstract partial record Shipment
{
    public sealed record Sent(string Id, Address To) : Shipment;
}

[System.Text.Json.Serialization.JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[System.Text.Json.Serialization.JsonDerivedType(typeof(Sent), "sent")]
public abstract record MirrorShipment
{
    public sealed record Sent(string Id, Address To) : MirrorShipment;
}

/// <summary>
/// Where a read fails: the JsonException the union's converter lets out, against the one System.Text.Json's own
/// <c>[JsonPolymorphic]</c> throws for the same bad value. A converter cannot see the path of the value it reads (the
/// serializer fills <c>JsonException.Path</c> with the path of the union value itself), so the union's path is a prefix of
/// System.Text.Json's and its message names the property; the line and byte position are System.Text.Json's for a bad
/// scalar, and the start of the property's value for a bad value inside it.
/// </summary>
public sealed class UnionJsonErrorTests
{
    private const string At = "\"at\":\"2026-11-22T13:00:00+00:00\"";

    private static (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) Options()
    {
        var theirs = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        return (new JsonSerializerOptions(theirs), theirs);
    }

    // A bad scalar: a number for a string, a string for a number, a date that is none, a number out of range.
    public static TheoryData<string, string, bool> BadScalars => new()
    {
        { $$"""{"type":"acquired","cursor":{"milliseconds":1,"sequence":2},"execution_id":5,"lease_id":null,{{At}}}""", "execution_id", false },
        { $$"""{"type":"acquired","cursor":{"milliseconds":1,"sequence":2},"execution_id":"e","lease_id":null,"at":"yesterday"}""", "at", false },
        { $$"""{"type":"revoked","cursor":{"milliseconds":1,"sequence":2},"execution_id":"e",{{At}},"by":"admin","attempt":"2"}""", "attempt", false },
        { $$"""{"type":"revoked","cursor":{"milliseconds":1,"sequence":2},"execution_id":"e",{{At}},"by":"admin","attempt":3000000000}""", "attempt", false },
        { $$"""{"cursor":{"milliseconds":1,"sequence":2},"execution_id":true,"lease_id":null,{{At}},"type":"acquired"}""", "execution_id", false },
        { $$"""{"type":"acquired","cursor":{"milliseconds":1,"sequence":2},"execution_id":5,"lease_id":null,{{At}}}""", "execution_id", true },
    };

    [Theory]
    [MemberData(nameof(BadScalars))]
    public void A_bad_scalar_is_reported_where_STJ_reports_it(string json, string property, bool indented)
    {
        if (indented)
        {
            json = JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        }

        var (ours, theirs) = Options();
        var outOfOrder = new JsonSerializerOptions(theirs) { AllowOutOfOrderMetadataProperties = true };

        foreach (var (document, path) in Nestings(json))
        {
            var theirError = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(document, typeof(Holder<MirrorLease>), outOfOrder));
            var ourError = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(document, typeof(Holder<LeaseEvent>), ours));

            Assert.Equal(path + "." + property, theirError.Path);
            Assert.Equal(path, ourError.Path);
            Assert.Equal(theirError.LineNumber, ourError.LineNumber);
            Assert.Equal(theirError.BytePositionInLine, ourError.BytePositionInLine);
            Assert.Contains("\"" + property + "\"", ourError.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"type":"acquired","cursor":{"milliseconds":"x","sequence":2},"execution_id":"e","lease_id":null,"at":"2026-11-22T13:00:00+00:00"}""")]
    [InlineData("""{"type":"acquired","cursor":[],"execution_id":"e","lease_id":null,"at":"2026-11-22T13:00:00+00:00"}""")]
    public void A_bad_value_inside_a_property_is_reported_under_the_union_s_path_and_names_the_property(string json)
    {
        var (ours, theirs) = Options();

        foreach (var (document, path) in Nestings(json))
        {
            var theirError = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(document, typeof(Holder<MirrorLease>), theirs));
            var ourError = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(document, typeof(Holder<LeaseEvent>), ours));

            // System.Text.Json: "$.cursor.milliseconds" (or "$.cursor"); the union: the path of the union value, never a
            // path relative to the property's value ("$.milliseconds") that names a place the document does not have.
            Assert.StartsWith(path + ".cursor", theirError.Path, StringComparison.Ordinal);
            Assert.Equal(path, ourError.Path);
            Assert.Equal(theirError.LineNumber, ourError.LineNumber);
            Assert.True(ourError.BytePositionInLine <= theirError.BytePositionInLine && ourError.BytePositionInLine > json.IndexOf("\"cursor\"", StringComparison.Ordinal), $"{ourError.BytePositionInLine} against {theirError.BytePositionInLine}");
            Assert.Contains("\"cursor\"", ourError.Message, StringComparison.Ordinal);
            Assert.Contains(theirError.Message[..theirError.Message.IndexOf(" Path: ", StringComparison.Ordinal)], ourError.Message, StringComparison.Ordinal);
        }
    }

    // Writing: an error inside a property's value (a null where the nested record says non-nullable, under
    // RespectNullableAnnotations; too deep a value under MaxDepth) kept the path of the nested write, relative to the
    // property's value ("$.Street" for "$.value.To.Street"). A MaxDepth of 3 puts the limit inside "to" (at 2 the "id" beside
    // it is already too deep, for the union as for the twin: UnionJsonDepthTests).
    [Theory]
    [InlineData("nullable")]
    [InlineData("depth")]
    public void An_error_writing_inside_a_property_is_reported_under_the_union_s_path_and_names_the_property(string what)
    {
        var (ours, theirs) = Options();
        ours = new JsonSerializerOptions(ours) { RespectNullableAnnotations = what == "nullable", MaxDepth = what == "depth" ? 3 : 0 };
        theirs = new JsonSerializerOptions(theirs) { RespectNullableAnnotations = what == "nullable", MaxDepth = what == "depth" ? 3 : 0 };
        var address = new Address(what == "nullable" ? null! : "Main", 1);
        var item = new Holder<Shipment>(new Shipment.Sent("s-1", address), null);
        var mirror = new Holder<MirrorShipment>(new MirrorShipment.Sent("s-1", address), null);

        var theirError = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Serialize(mirror, theirs));
        var ourError = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Serialize(item, ours));

        Assert.StartsWith("$.Value.", theirError.Path, StringComparison.Ordinal);
        Assert.Equal("$.Value", ourError.Path);
        Assert.Contains("\"to\"", ourError.Message, StringComparison.Ordinal);
        Assert.Contains(what == "nullable" ? "doesn't allow getting null values" : "maximum allowed depth", ourError.Message, StringComparison.Ordinal);
    }

    // MaxDepth through the union's own recursion: an error for both, and the union's says why.
    [Fact]
    public void A_document_deeper_than_MaxDepth_through_the_union_is_refused_as_STJ_refuses_it()
    {
        var (ours, theirs) = Options();
        ours = new JsonSerializerOptions(ours) { MaxDepth = 8 };
        theirs = new JsonSerializerOptions(theirs) { MaxDepth = 8 };
        var json = string.Concat(Enumerable.Repeat("""{"type":"holder","name":"n","items":[""", 6)) + string.Concat(Enumerable.Repeat("]}", 6));

        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<MirrorFolder>(json, theirs));
        var ourError = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Folder>(json, ours));

        Assert.Contains("maximum configured depth of 8", ourError.Message, StringComparison.Ordinal);
        Assert.NotNull(JsonSerializer.Deserialize<Folder>(json, new JsonSerializerOptions(ours) { MaxDepth = 16 }));
    }

    /// <summary>The union alone, in a list, and as a record's property: a document and the path of the union in it.</summary>
    private static IEnumerable<(string Document, string Path)> Nestings(string json)
    {
        yield return ("{\"value\":" + json + "}", "$.value");
        yield return ("{\"list\":[null," + json + "]}", "$.list[1]");
    }

    /// <summary>The union as a property and as a list's item.</summary>
    public sealed record Holder<T>(T? Value, List<T?>? List);
}
