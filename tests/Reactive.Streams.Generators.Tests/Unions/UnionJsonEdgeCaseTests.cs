using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

[EventUnion]
public abstract partial record EdgeCaseOrder
{
    public sealed record Placed(string Id, int Qty, bool Rush, decimal Price, DateTimeOffset At, Guid Ref) : EdgeCaseOrder;

    public sealed record Cancelled(string Id) : EdgeCaseOrder;

    public sealed record Cleared : EdgeCaseOrder;
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Placed), "placed")]
[JsonDerivedType(typeof(Cancelled), "cancelled")]
[JsonDerivedType(typeof(Cleared), "cleared")]
public abstract record MirrorOrder
{
    public sealed record Placed(string Id, int Qty, bool Rush, decimal Price, DateTimeOffset At, Guid Ref) : MirrorOrder;

    public sealed record Cancelled(string Id) : MirrorOrder;

    public sealed record Cleared : MirrorOrder;
}

[EventUnion]
public abstract partial record AuditNames
{
    public sealed record Named(string HTTPServer, int Value1A, string IOStream, string X, string URLs, string Id2Go, string ABCDef) : AuditNames;
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Named), "named")]
public abstract record AuditMirrorNames
{
    public sealed record Named(string HTTPServer, int Value1A, string IOStream, string X, string URLs, string Id2Go, string ABCDef) : AuditMirrorNames;
}

[EventUnion]
public abstract partial record EscapedMood
{
    [WireName("café<1>")]
    public sealed record Café : EscapedMood;

    public sealed record Sad : EscapedMood;
}

public enum MirrorEscapedMood
{
    [JsonStringEnumMemberName("café<1>")]
    Café,
    Sad,
}

[EventUnion]
public abstract partial record EscapedNames
{
    [WireName("café<1>")]
    public sealed record Über([property: JsonPropertyName("prix €")] decimal Price, string Naïve) : EscapedNames;
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Über), "café<1>")]
public abstract record MirrorEscapedNames
{
    public sealed record Über([property: JsonPropertyName("prix €")] decimal Price, string Naïve) : MirrorEscapedNames;
}

// Distinct JSON names in snake_case (so the generator accepts them), the same under camelCase or ignoring case.
[EventUnion]
public abstract partial record CollidingNames
{
    public sealed record Priced([property: JsonPropertyName("unitPrice")] decimal Price, [property: JsonPropertyName("TAX_RATE")] decimal Tax, decimal UnitPrice, decimal TaxRate) : CollidingNames;

    public sealed record Voided(string Id) : CollidingNames;
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Priced), "priced")]
[JsonDerivedType(typeof(Voided), "voided")]
public abstract record MirrorCollidingNames
{
    public sealed record Priced([property: JsonPropertyName("unitPrice")] decimal Price, [property: JsonPropertyName("TAX_RATE")] decimal Tax, decimal UnitPrice, decimal TaxRate) : MirrorCollidingNames;

    public sealed record Voided(string Id) : MirrorCollidingNames;
}

[EventUnion]
public abstract partial record TaggedItem
{
    public sealed record Tagged(string Id, [property: JsonPropertyName("Type")] string? Category) : TaggedItem;
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Tagged), "tagged")]
public abstract record MirrorTaggedItem
{
    public sealed record Tagged(string Id, [property: JsonPropertyName("Type")] string? Category) : MirrorTaggedItem;
}

/// <summary>The generated converter against System.Text.Json's own polymorphism.</summary>
public sealed class UnionJsonEdgeCaseTests
{
    private static readonly DateTimeOffset s_at = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) Options(Action<JsonSerializerOptions> configure)
    {
        var theirs = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        configure(theirs);
        var ours = new JsonSerializerOptions(theirs);
        return (ours, theirs);
    }

    [Fact]
    public void WhenWritingDefault_round_trips_a_variant_with_default_values()
    {
        var (ours, theirs) = Options(static o => o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault);
        EdgeCaseOrder item = new EdgeCaseOrder.Placed("o-1", 0, false, 0m, default, Guid.Empty);
        MirrorOrder mirror = new MirrorOrder.Placed("o-1", 0, false, 0m, default, Guid.Empty);

        var json = JsonSerializer.Serialize(item, ours);

        Assert.Equal(JsonSerializer.Serialize(mirror, theirs), json);
        Assert.Equal(mirror, JsonSerializer.Deserialize<MirrorOrder>(json, theirs));
        Assert.Equal(item, JsonSerializer.Deserialize<EdgeCaseOrder>(json, ours));
    }

    [Fact]
    public void Default_snake_case_is_SnakeCaseLower()
    {
        AuditNames item = new AuditNames.Named("a", 1, "b", "c", "d", "e", "f");
        AuditMirrorNames mirror = new AuditMirrorNames.Named("a", 1, "b", "c", "d", "e", "f");
        var (_, theirs) = Options(static _ => { });

        Assert.Equal(JsonSerializer.Serialize(mirror, theirs), JsonSerializer.Serialize(item));
    }

    [Fact]
    public void A_converter_in_the_options_for_a_scalar_type_is_used_as_STJ_uses_it()
    {
        var (ours, theirs) = Options(static o => o.Converters.Add(new UnixSecondsConverter()));
        EdgeCaseOrder item = new EdgeCaseOrder.Placed("o-1", 2, true, 1.5m, s_at, Guid.Empty);
        MirrorOrder mirror = new MirrorOrder.Placed("o-1", 2, true, 1.5m, s_at, Guid.Empty);

        Assert.Equal(JsonSerializer.Serialize(mirror, theirs), JsonSerializer.Serialize(item, ours));
    }

    [Fact]
    public void NumberHandling_is_honoured_as_STJ_honours_it()
    {
        var (ours, theirs) = Options(static o => o.NumberHandling = JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString);
        EdgeCaseOrder item = new EdgeCaseOrder.Placed("o-1", 2, true, 1.5m, s_at, Guid.Empty);
        MirrorOrder mirror = new MirrorOrder.Placed("o-1", 2, true, 1.5m, s_at, Guid.Empty);

        var json = JsonSerializer.Serialize(item, ours);

        Assert.Equal(JsonSerializer.Serialize(mirror, theirs), json);
        Assert.Equal(item, JsonSerializer.Deserialize<EdgeCaseOrder>(json, ours));
    }

    [Theory]
    [InlineData("""{"type":"placed","id":"o","qty":"x","rush":true,"price":1,"at":"2026-01-02T03:04:05+00:00","ref":"00000000-0000-0000-0000-000000000000"}""")]
    [InlineData("""{"type":"placed","id":"o","qty":1e99,"rush":true,"price":1,"at":"2026-01-02T03:04:05+00:00","ref":"00000000-0000-0000-0000-000000000000"}""")]
    [InlineData("""{"type":"placed","id":"o","qty":1,"rush":"yes","price":1,"at":"2026-01-02T03:04:05+00:00","ref":"00000000-0000-0000-0000-000000000000"}""")]
    [InlineData("""{"type":"placed","id":"o","qty":1,"rush":true,"price":1,"at":"yesterday","ref":"00000000-0000-0000-0000-000000000000"}""")]
    [InlineData("""{"type":"placed","id":"o","qty":1,"rush":true,"price":1,"at":"2026-01-02T03:04:05+00:00","ref":"nope"}""")]
    [InlineData("""{"type":"placed","id":5,"qty":1,"rush":true,"price":1,"at":"2026-01-02T03:04:05+00:00","ref":"00000000-0000-0000-0000-000000000000"}""")]
    [InlineData("""{"type":"placed","id":"o","qty":}""")]
    [InlineData("""{"type":"placed",""")]
    [InlineData("""{"type":"cancelled","id":null}""")]
    [InlineData("""{"type":null}""")]
    [InlineData("""{"type":"cleared"} x""")]
    [InlineData("""{"type":"cancelled","id":"a","id":[}""")]
    [InlineData("\"placed\"")]
    [InlineData("42")]
    public void Malformed_input_is_a_JsonException(string json)
    {
        var error = Record.Exception(() => JsonSerializer.Deserialize<EdgeCaseOrder>(json));

        Assert.IsAssignableFrom<JsonException>(error);
    }

    [Fact]
    public void A_null_inside_a_list_reads_as_null()
    {
        var items = JsonSerializer.Deserialize<List<EdgeCaseOrder?>>("""[null,{"type":"cleared"}]""")!;

        Assert.Null(items[0]);
        Assert.IsType<EdgeCaseOrder.Cleared>(items[1]);
        Assert.Equal("""[null,{"type":"cleared"}]""", JsonSerializer.Serialize(items));
    }

    [Fact]
    public void An_unknown_variant_is_written_back_unchanged_inside_an_indented_document()
    {
        const string Json = """{"type":"refunded","id":"o-1","amount":{"value":1.50,"currency":"EUR"}}""";
        var item = JsonSerializer.Deserialize<EdgeCaseOrder>(Json)!;

        Assert.Equal(EdgeCaseOrderKind.Unknown, item.Kind);
        Assert.Equal("refunded", item.WireName);
        Assert.Equal(Json, JsonSerializer.Serialize(item));
        Assert.Equal(item, JsonSerializer.Deserialize<EdgeCaseOrder>(JsonSerializer.Serialize(item)));
    }

    // An unknown variant read under options that skip comments or allow trailing commas kept them in its raw payload and
    // wrote them back byte for byte: the output was no longer JSON (a strict reader failed on the "/*" or the ",}").
    // System.Text.Json's own JsonElement, read and written under the same options, writes the object without them.
    [Theory]
    [InlineData("""{"type":"refunded", /* why */ "id":"o-1","amount":{"value":1.50,"currency":"EUR"}}""")]
    [InlineData("""{"type":"refunded","id":"o-1","lines":[1,2,],}""")]
    [InlineData("{\"type\":\"refunded\",\"id\":\"o-1\" // a note\n}")]
    public void An_unknown_variant_read_with_comments_or_trailing_commas_is_written_back_as_JSON(string json)
    {
        var options = new JsonSerializerOptions { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var item = JsonSerializer.Deserialize<EdgeCaseOrder>(json, options)!;

        var written = JsonSerializer.Serialize(item, options);

        Assert.Equal(EdgeCaseOrderKind.Unknown, item.Kind);
        Assert.Equal(JsonSerializer.Serialize(JsonSerializer.Deserialize<JsonElement>(json, options), options), written);
        Assert.Equal(item, JsonSerializer.Deserialize<EdgeCaseOrder>(written));
    }

    [Fact]
    public void An_unknown_variant_without_comments_keeps_its_bytes_under_options_that_allow_them()
    {
        const string Json = """{ "type": "refunded", "note": "caf\u00e9 ü" }""";
        var options = new JsonSerializerOptions { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

        Assert.Equal(Json, JsonSerializer.Serialize(JsonSerializer.Deserialize<EdgeCaseOrder>(Json, options), options));
    }

    [Fact]
    public void Disallow_with_a_naming_policy_accepts_its_own_output()
    {
        var (ours, _) = Options(static o =>
        {
            o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            o.PropertyNamingPolicy = JsonNamingPolicy.KebabCaseUpper;
        });
        EdgeCaseOrder item = new EdgeCaseOrder.Placed("o-1", 2, true, 1.5m, s_at, Guid.Empty);

        Assert.Equal(item, JsonSerializer.Deserialize<EdgeCaseOrder>(JsonSerializer.Serialize(item, ours), ours));
    }

    // Found by UnionJsonDifferentialTests: names and wire names were escaped by the default encoder whatever the options'
    // Encoder ("\u00FCber" where System.Text.Json writes "über" under UnsafeRelaxedJsonEscaping).
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Names_and_the_wire_name_are_escaped_by_the_options_Encoder(bool relaxed, bool camelCase)
    {
        var (ours, theirs) = Options(o =>
        {
            o.Encoder = relaxed ? System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping : null;
            o.PropertyNamingPolicy = camelCase ? JsonNamingPolicy.CamelCase : JsonNamingPolicy.SnakeCaseLower;
        });
        EscapedNames item = new EscapedNames.Über(1.5m, "<é>");
        MirrorEscapedNames mirror = new MirrorEscapedNames.Über(1.5m, "<é>");

        var json = JsonSerializer.Serialize(item, ours);

        Assert.Equal(JsonSerializer.Serialize(mirror, theirs), json);
        Assert.Equal(item, JsonSerializer.Deserialize<EscapedNames>(json, ours));
        Assert.Equal(relaxed, json.Contains("\"café<1>\"", StringComparison.Ordinal));
    }

    // A union without payloads is a string, as an enum under JsonStringEnumConverter is: its wire names were escaped by the
    // default encoder whatever the options' Encoder ("caf\u00E9\u003C1\u003E" under UnsafeRelaxedJsonEscaping), where the
    // enum converter and the union's own Other (written as any string) follow the options.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_payloadless_union_s_wire_names_are_escaped_by_the_options_Encoder_as_an_enum_s_names_are(bool relaxed)
    {
        var options = new JsonSerializerOptions { Encoder = relaxed ? System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping : null };
        var enumOptions = new JsonSerializerOptions(options) { Converters = { new JsonStringEnumConverter() } };

        var json = JsonSerializer.Serialize<EscapedMood>(new EscapedMood.Café(), options);

        Assert.Equal(JsonSerializer.Serialize(MirrorEscapedMood.Café, enumOptions), json);
        Assert.Equal(JsonSerializer.Serialize<EscapedMood>(new EscapedMood.Other("café<1>>"), options), json.Insert(json.Length - 1, relaxed ? ">" : "\\u003E"));
        Assert.Equal(new EscapedMood.Café(), JsonSerializer.Deserialize<EscapedMood>(json, options));
        Assert.Equal("\"sad\"", JsonSerializer.Serialize<EscapedMood>(new EscapedMood.Sad(), options));
    }

    // Found by UnionJsonDifferentialTests: a [JsonPropertyName] equal to another property's name under the naming policy
    // (or equal but for case, read case-insensitively) was written twice; System.Text.Json refuses the hierarchy under
    // such options, and so does the converter now.
    [Theory]
    [InlineData("camel", false)]
    [InlineData("snake", true)]
    public void Names_that_collide_under_the_options_are_refused_as_STJ_refuses_them(string policy, bool caseInsensitive)
    {
        var (ours, theirs) = Options(o =>
        {
            o.PropertyNamingPolicy = policy == "camel" ? JsonNamingPolicy.CamelCase : JsonNamingPolicy.SnakeCaseLower;
            o.PropertyNameCaseInsensitive = caseInsensitive;
        });
        CollidingNames item = new CollidingNames.Voided("v-1");
        MirrorCollidingNames mirror = new MirrorCollidingNames.Voided("v-1");

        var theirError = Assert.Throws<InvalidOperationException>(() => JsonSerializer.Serialize(mirror, theirs));
        var ourError = Assert.Throws<InvalidOperationException>(() => JsonSerializer.Serialize(item, ours));

        Assert.Contains("collides with another property", theirError.Message, StringComparison.Ordinal);
        Assert.Contains("collides with another property", ourError.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => JsonSerializer.Deserialize<CollidingNames>("""{"type":"voided","id":"v-1"}""", ours));
    }

    [Fact]
    public void Names_that_do_not_collide_under_the_options_are_written_as_STJ_writes_them()
    {
        var (ours, theirs) = Options(static _ => { });
        CollidingNames item = new CollidingNames.Priced(1m, 0.2m, 3m, 0.1m);
        MirrorCollidingNames mirror = new MirrorCollidingNames.Priced(1m, 0.2m, 3m, 0.1m);

        var json = JsonSerializer.Serialize(item, ours);

        Assert.Equal(JsonSerializer.Serialize(mirror, theirs), json);
        Assert.Equal(item, JsonSerializer.Deserialize<CollidingNames>(json, ours));
    }

    // Found by UnionJsonDifferentialTests: read case-insensitively, a discriminator that did not come first was taken for
    // the value of a property named "Type" (a JsonException for a non-string one, the wire name for a string).
    [Theory]
    [InlineData("""{"id":"i-1","type":"tagged"}""")]
    [InlineData("""{"id":"i-1","type":"tagged","Type":"blue"}""")]
    [InlineData("""{"Type":"blue","id":"i-1","type":"tagged"}""")]
    public void Read_case_insensitively_the_discriminator_is_never_a_property_named_Type(string json)
    {
        var (ours, theirs) = Options(static o =>
        {
            o.PropertyNameCaseInsensitive = true;
            o.AllowOutOfOrderMetadataProperties = true;
        });

        var mirror = (MirrorTaggedItem.Tagged)JsonSerializer.Deserialize<MirrorTaggedItem>(json, theirs)!;

        Assert.Equal(new TaggedItem.Tagged(mirror.Id, mirror.Category), JsonSerializer.Deserialize<TaggedItem>(json, ours));
    }

    private sealed class UnixSecondsConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64());

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteNumberValue(value.ToUnixTimeSeconds());
    }
}

/// <summary>Declarations checked at generation time.</summary>
public sealed class UnionJsonDeclarationEdgeCaseTests
{
    [Theory]
    [InlineData("public string? TraceId { get; init; } public sealed record Placed(string Id) : Order;")]
    [InlineData("public string Label => \"l\"; public sealed record Placed(string Id) : Order;")]
    [InlineData("public sealed record Placed(string Id) : Order { [JsonInclude] private string? Secret { get; init; } }")]
    [InlineData("public sealed record Placed(string Id) : Order { [JsonInclude] public string? Note; }")]
    [InlineData("public sealed record Placed(string Id, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Note) : Order;")]
    [InlineData("public sealed record Placed(string Id, [property: JsonPropertyOrder(-1)] string Note) : Order;")]
    [InlineData("public sealed record Placed(string Id, [property: JsonNumberHandling(JsonNumberHandling.WriteAsString)] int Qty) : Order;")]
    [InlineData("public sealed record Placed(string Id) : Order { [JsonPropertyName(\"type\")] public string Kind2 => Id; }")]
    [InlineData("public sealed record Placed(string Id) : Order { public string Type => Id; }")]
    [InlineData("public sealed record Placed([property: JsonPropertyName(\"a\")] string Id, [property: JsonPropertyName(\"a\")] string Other2) : Order;")]
    [InlineData("public sealed record Placed(string FooBar, [property: JsonPropertyName(\"foo_bar\")] string Other2) : Order;")]
    [InlineData("public sealed record Placed(string Id) : Order { [JsonExtensionData] public Dictionary<string, object>? Extra { get; init; } }")]
    // On the variant's type: System.Text.Json honours [JsonNumberHandling] ("qty":"3") and [JsonUnmappedMemberHandling]
    // (an extra property is an error) on a derived record, and refuses one with [JsonConverter] or Populate
    // (NotSupportedException); the converter ignored all four. A [JsonConstructor] is the constructor System.Text.Json
    // reads the variant through; the converter constructs through the primary one.
    [InlineData("[JsonNumberHandling(JsonNumberHandling.WriteAsString)] public sealed record Placed(int Qty) : Order;")]
    [InlineData("[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)] public sealed record Placed(int Qty) : Order;")]
    [InlineData("[JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)] public sealed record Placed(List<int> Qty) : Order;")]
    [InlineData("[JsonConverter(typeof(JsonStringEnumConverter))] public sealed record Placed(int Qty) : Order;")]
    [InlineData("public sealed record Placed(string Id, int Qty) : Order { [JsonConstructor] public Placed(string id) : this(id + \"!\", 1) { } }")]
    public void Is_written_as_STJ_writes_it_or_reported(string members)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using System.Collections.Generic;
            using System.Text.Json.Serialization;
            using Reactive.Streams;

            namespace Shop;

            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Cancelled(string Id) : Order;
                {{members}}
            }
            """);

        UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
        Assert.True(run.GeneratorDiagnostics.Any(static d => d.Id == "RXS1008" || d.Id == "RXS1006"), "no RXS1008/RXS1006: the converter would silently differ from STJ");
    }

    // On the union itself, System.Text.Json resolves these against the union's converter and throws on its first use
    // (InvalidOperationException: "Invalid JsonTypeInfo operation for JsonTypeInfoKind 'None'", or "'JsonNumberHandlingAttribute'
    // is only valid on a number"; NotSupportedException for [JsonPolymorphic]: "does not support metadata writes or reads"),
    // where the same attributes on a [JsonPolymorphic] base apply to none of its derived records: the union could not be
    // written or read at all, and nothing reported it.
    [Theory]
    [InlineData("[JsonNumberHandling(JsonNumberHandling.WriteAsString)]")]
    [InlineData("[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]")]
    [InlineData("[JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]")]
    [InlineData("[JsonPolymorphic(TypeDiscriminatorPropertyName = \"kind\")]")]
    public void An_attribute_on_the_union_that_STJ_refuses_on_a_converted_type_is_reported(string attribute)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using System.Text.Json.Serialization;
            using Reactive.Streams;

            namespace Shop;

            [EventUnion]
            {{attribute}}
            public abstract partial record Order
            {
                public sealed record Placed(string Id, int Qty) : Order;
            }
            """);

        UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
        var diagnostic = Assert.Single(run.GeneratorDiagnostics, static d => d.Id == "RXS1008");
        Assert.Contains(attribute[1..attribute.IndexOfAny(['(', ']'])], diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_union_may_declare_its_own_converter()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using System.Text.Json.Serialization;
            using Reactive.Streams;

            namespace Shop;

            [EventUnion]
            [JsonConverter(typeof(EventUnionConverter<Order>))]
            public abstract partial record Order
            {
                public sealed record Placed(string Id, int Qty) : Order;
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
    }
}
