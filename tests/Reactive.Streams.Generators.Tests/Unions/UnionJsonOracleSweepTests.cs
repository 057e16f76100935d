using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

[EventUnion]
public abstract partial record DocumentEvent
{
    public sealed record Stored(string Id, JsonElement Data, JsonElement? Maybe, System.Text.Json.Nodes.JsonNode? Node, object? Any) : DocumentEvent;

    public sealed record Dropped(string Id) : DocumentEvent;
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Stored), "stored")]
[JsonDerivedType(typeof(Dropped), "dropped")]
public abstract record MirrorDocument
{
    public sealed record Stored(string Id, JsonElement Data, JsonElement? Maybe, System.Text.Json.Nodes.JsonNode? Node, object? Any) : MirrorDocument;

    public sealed record Dropped(string Id) : MirrorDocument;
}

// The Packed/Lost shape of ParcelEvent, with its converter declared where System.Text.Json's source generator sees it, and
// a context used as is: the sweep's odd scalars read through the context as through reflection.
[EventUnion]
[JsonConverter(typeof(EventUnionConverter<ContextParcel>))]
public abstract partial record ContextParcel
{
    public sealed record Packed(
        string Id,
        int Boxes = 1,
        string Carrier = "post",
        ParcelSize Size = ParcelSize.Large,
        decimal Weight = 2.50m,
        int? Priority = 3,
        string? Note = null,
        double Ratio = -0.25,
        long Limit = long.MinValue) : ContextParcel;

    public sealed record Lost(string Id, DateTimeOffset At = default) : ContextParcel;
}

[JsonSerializable(typeof(ContextParcel))]
[JsonSerializable(typeof(ParcelSize))]
public partial class ContextParcelContext : JsonSerializerContext;

/// <summary>
/// A sweep of odd JSON values and odd objects read by the union's converter and by System.Text.Json's own
/// <c>[JsonPolymorphic]</c> twin of the same hierarchy, under the options that change how a value is read: each read has
/// the same outcome on both sides, the same value (compared by writing it back under the same options) or a
/// <see cref="JsonException"/> on both. The scalars the converter reads directly (not through the options' type info)
/// are the point: a number in a form the reader refuses, a number as a string under each <c>NumberHandling</c>, a named
/// floating-point literal, a date in another format, a value of the wrong JSON kind. And objects whose discriminator
/// comes after a nested object or a string that mentions <c>"type"</c>, escaped property names, and the Web defaults.
/// </summary>
public sealed class UnionJsonOracleSweepTests
{
    // (property, raw JSON value): the Packed variant has an int, a string, an enum, a decimal, an int?, a string?, a double
    // and a long; Lost a DateTimeOffset. A null for a non-nullable reference is left out: the union refuses it where
    // System.Text.Json reads it without RespectNullableAnnotations, as docs/unions.md says.
    private static readonly (string Variant, string Property, string Value)[] s_values =
    [
        ("packed", "Boxes", "1.0"), ("packed", "Boxes", "1e2"), ("packed", "Boxes", "-0"), ("packed", "Boxes", "2147483648"),
        ("packed", "Boxes", "\"1\""), ("packed", "Boxes", "\" 1\""), ("packed", "Boxes", "\"1 \""), ("packed", "Boxes", "\"+1\""),
        ("packed", "Boxes", "\"1.0\""), ("packed", "Boxes", "\"\""), ("packed", "Boxes", "null"), ("packed", "Boxes", "true"),
        ("packed", "Boxes", "\"0x10\""), ("packed", "Boxes", "\"\\u0031\""), ("packed", "Boxes", "\"-0\""), ("packed", "Boxes", "[]"),
        ("packed", "Priority", "null"), ("packed", "Priority", "\"null\""), ("packed", "Priority", "\"\""), ("packed", "Priority", "\"2\""),
        ("packed", "Priority", "2.5"), ("packed", "Priority", "{}"),
        ("packed", "Weight", "1e400"), ("packed", "Weight", "\"1e3\""), ("packed", "Weight", "79228162514264337593543950336"),
        ("packed", "Weight", "0.00000000000000000000000000001"), ("packed", "Weight", "\"NaN\""), ("packed", "Weight", "\"2.5\""),
        ("packed", "Ratio", "1e400"), ("packed", "Ratio", "-0.0"), ("packed", "Ratio", "\"NaN\""), ("packed", "Ratio", "\"Infinity\""),
        ("packed", "Ratio", "\"-Infinity\""), ("packed", "Ratio", "\"nan\""), ("packed", "Ratio", "\"1e400\""), ("packed", "Ratio", "\"0.5\""),
        ("packed", "Limit", "9223372036854775808"), ("packed", "Limit", "\"-9223372036854775808\""), ("packed", "Limit", "-9223372036854775808"),
        ("packed", "Size", "1"), ("packed", "Size", "\"1\""), ("packed", "Size", "\"Small\""), ("packed", "Size", "\"small\""), ("packed", "Size", "7"),
        ("packed", "Carrier", "1"), ("packed", "Carrier", "true"), ("packed", "Carrier", "\"\\ud800\""), ("packed", "Carrier", "\"\\u00e9\""),
        ("packed", "Note", "null"), ("packed", "Note", "1"), ("packed", "Note", "[]"),
        ("lost", "At", "\"2026-01-01\""), ("lost", "At", "\"2026-01-01T00:00:00\""), ("lost", "At", "\"2026-01-01T00:00:00Z \""),
        ("lost", "At", "\"\""), ("lost", "At", "1"), ("lost", "At", "\"2026-13-01T00:00:00Z\""), ("lost", "At", "\"2026-01-01T00:00:00.1234567891+01:00\""),
        ("lost", "At", "null"),
    ];

    public static TheoryData<string> NumberHandlings => new()
    {
        nameof(JsonNumberHandling.Strict),
        nameof(JsonNumberHandling.AllowReadingFromString),
        nameof(JsonNumberHandling.AllowNamedFloatingPointLiterals),
        "AllowReadingFromString, AllowNamedFloatingPointLiterals",
        "AllowReadingFromString, WriteAsString",
    };

    [Theory]
    [MemberData(nameof(NumberHandlings))]
    public void Odd_scalar_values_read_as_the_JsonPolymorphic_twin_reads_them(string numberHandling)
    {
        var (ours, theirs) = Options(o => o.NumberHandling = Enum.Parse<JsonNumberHandling>(numberHandling));
        var differences = new List<string>();
        foreach (var (variant, property, value) in s_values)
        {
            var json = $$"""{"type":"{{variant}}","id":"p",{{Name(property, theirs)}}:{{value}}}""";
            var a = Outcome<ParcelEvent>(json, ours);
            var b = Outcome<MirrorParcel>(json, theirs);
            if (a != b)
            {
                differences.Add($"{json}\n  union: {a}\n  twin:  {b}");
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    // A source-generated context (the AOT setup) reads and writes the same odd scalars as reflection does, under each
    // NumberHandling: the scalars the converter reads directly, and those it reads through the context's type info.
    [Theory]
    [MemberData(nameof(NumberHandlings))]
    public void Odd_scalar_values_read_through_a_source_generated_context_as_through_reflection(string numberHandling)
    {
        var handling = Enum.Parse<JsonNumberHandling>(numberHandling);
        var reflection = new JsonSerializerOptions { NumberHandling = handling, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        var context = new JsonSerializerOptions { NumberHandling = handling, TypeInfoResolver = ContextParcelContext.Default };
        var differences = new List<string>();
        foreach (var (variant, property, value) in s_values)
        {
            var json = $$"""{"type":"{{variant}}","id":"p",{{Name(property, reflection)}}:{{value}}}""";
            var a = Outcome<ContextParcel>(json, context);
            var b = Outcome<ParcelEvent>(json, reflection);
            if (a != b)
            {
                differences.Add($"{json}\n  context:    {a}\n  reflection: {b}");
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    // The Web defaults: camelCase names, case-insensitive reading, numbers from strings.
    [Theory]
    [InlineData("""{"type":"packed","id":"p","boxes":"2","weight":"1.5","priority":null}""")]
    [InlineData("""{"type":"packed","ID":"p","Boxes":2,"RATIO":"0.5"}""")]
    [InlineData("""{"id":"p","boxes":2,"type":"packed"}""")]
    [InlineData("""{"type":"lost","id":"p","at":"2026-01-01T00:00:00Z"}""")]
    [InlineData("""{"type":"packed","id":"p","Id":"q"}""")]
    public void The_Web_defaults_read_and_write_as_the_twin_reads_and_writes(string json)
    {
        var theirs = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver(), AllowOutOfOrderMetadataProperties = true };
        var ours = new JsonSerializerOptions(theirs);

        Assert.Equal(Outcome<MirrorParcel>(json, theirs), Outcome<ParcelEvent>(json, ours));
        Assert.Equal(
            JsonSerializer.Serialize<MirrorParcel>(new MirrorParcel.Packed("p", Weight: 1.25m, Note: "n"), theirs),
            JsonSerializer.Serialize<ParcelEvent>(new ParcelEvent.Packed("p", Weight: 1.25m, Note: "n"), ours));
    }

    // The discriminator found after other properties: only the object's own "type" is it, not one inside a nested object or
    // array, nor a string whose text is "type".
    [Theory]
    [InlineData("""{"id":"a","to":{"street":"s","number":1,"type":"x"},"type":"sent"}""")]
    [InlineData("""{"to":{"street":"type","number":1},"id":"type","type":"sent"}""")]
    [InlineData("""{"id":"a","to":{"street":"s","number":1},"extra":[{"type":"nope"},"type"],"type":"sent"}""")]
    [InlineData("""{"extra":"\"type\":\"nope\"","id":"a","to":{"street":"s","number":1},"type":"sent"}""")]
    [InlineData("""{"id":"a","to":{"street":"s","number":1},"\u0074ype":"s\u0065nt"}""")]
    [InlineData("""{"\u0069d":"a","\u0074o":{"street":"s","number":1},"type":"sent"}""")]
    [InlineData("""{"type":"sent","id":"a","to":{"\u0073treet":"s","number":1}}""")]
    [InlineData("""{"id":"a","to":{"street":"s","number":1},"type":"sent","to":{"street":"t","number":2}}""")]
    [InlineData("""{"to":{"street":"s","number":1},"id":{"type":"sent"},"type":"sent"}""")]
    public void A_discriminator_after_the_properties_is_found_where_the_twin_finds_it(string json)
    {
        var (ours, theirs) = Options(static o => o.AllowOutOfOrderMetadataProperties = true);

        Assert.Equal(Outcome<MirrorShipment>(json, theirs), Outcome<Shipment>(json, ours));
    }

    // Where the twin cannot construct its abstract base (a NotSupportedException), the union's object without a
    // discriminator is input that cannot be read (docs/unions.md): a "type" inside a nested value is not the object's.
    [Theory]
    [InlineData("""{"id":"a","to":{"type":"sent"}}""")]
    [InlineData("""{"id":"a","extra":["type","sent"]}""")]
    [InlineData("""{"id":"type","to":{"street":"s","number":1}}""")]
    public void A_type_only_inside_a_nested_value_is_no_discriminator(string json)
    {
        var (ours, theirs) = Options(static o => o.AllowOutOfOrderMetadataProperties = true);

        Assert.Equal(nameof(NotSupportedException), Outcome<MirrorShipment>(json, theirs));
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Shipment>(json, ours));
        Assert.Contains("needs a \"type\"", error.Message, StringComparison.Ordinal);
    }

    // A property name escaped, met twice under AllowDuplicateProperties off, or in another case under
    // PropertyNameCaseInsensitive: the same name to both.
    [Theory]
    [InlineData("""{"type":"sent","id":"a","\u0069d":"b","to":{"street":"s","number":1}}""", false, false)]
    [InlineData("""{"type":"sent","id":"a","\u0069d":"b","to":{"street":"s","number":1}}""", true, false)]
    [InlineData("""{"type":"sent","id":"a","ID":"b","to":{"street":"s","number":1}}""", false, true)]
    [InlineData("""{"type":"sent","id":"a","ID":"b","to":{"street":"s","number":1}}""", true, true)]
    [InlineData("""{"type":"sent","\u0049\u0044":"a","To":{"street":"s","number":1}}""", true, true)]
    [InlineData("""{"type":"sent","id":"a","to":{"street":"s","number":1},"To":{"street":"t","number":2}}""", true, true)]
    public void Escaped_duplicated_and_case_folded_names_read_as_the_twin_reads_them(string json, bool allowDuplicates, bool caseInsensitive)
    {
        var (ours, theirs) = Options(o =>
        {
            o.AllowDuplicateProperties = allowDuplicates;
            o.PropertyNameCaseInsensitive = caseInsensitive;
        });

        Assert.Equal(Outcome<MirrorShipment>(json, theirs), Outcome<Shipment>(json, ours));
    }

    // Unions in containers under the options the twin applies to them: an array, a list and a dictionary of unions, under
    // camelCase and a DictionaryKeyPolicy, with nulls skipped.
    [Fact]
    public void Unions_in_an_array_a_list_and_a_dictionary_are_written_and_read_as_the_twin_does()
    {
        var (ours, theirs) = Options(static o =>
        {
            o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            o.DictionaryKeyPolicy = JsonNamingPolicy.KebabCaseLower;
            o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        ParcelEvent[] ourArray = [new ParcelEvent.Packed("a"), new ParcelEvent.Lost("b", DateTimeOffset.UnixEpoch)];
        MirrorParcel[] theirArray = [new MirrorParcel.Packed("a"), new MirrorParcel.Lost("b", DateTimeOffset.UnixEpoch)];
        var ourMap = new Dictionary<string, List<ParcelEvent?>> { ["FirstKey"] = [.. ourArray, null] };
        var theirMap = new Dictionary<string, List<MirrorParcel?>> { ["FirstKey"] = [.. theirArray, null] };

        var array = JsonSerializer.Serialize(ourArray, ours);
        var map = JsonSerializer.Serialize(ourMap, ours);
        Assert.Equal(JsonSerializer.Serialize(theirArray, theirs), array);
        Assert.Equal(JsonSerializer.Serialize(theirMap, theirs), map);
        Assert.Equal(array, JsonSerializer.Serialize(JsonSerializer.Deserialize<ParcelEvent[]>(array, ours), ours));
        Assert.Equal(map, JsonSerializer.Serialize(JsonSerializer.Deserialize<Dictionary<string, List<ParcelEvent?>>>(map, ours), ours));
    }

    // JSON-valued properties (JsonElement, JsonElement?, JsonNode?, object?) holding a JSON null, an undefined element, a
    // boxed default: written under each DefaultIgnoreCondition as the twin writes them, and read back as it reads them.
    [Theory]
    [InlineData(JsonIgnoreCondition.Never)]
    [InlineData(JsonIgnoreCondition.WhenWritingNull)]
    [InlineData(JsonIgnoreCondition.WhenWritingDefault)]
    public void JSON_valued_properties_are_written_and_read_as_the_twin_does(JsonIgnoreCondition ignore)
    {
        var (ours, theirs) = Options(o => o.DefaultIgnoreCondition = ignore);
        var jsonNull = JsonDocument.Parse("null").RootElement;
        var number = JsonDocument.Parse("0").RootElement;
        var cases = new (JsonElement Data, JsonElement? Maybe, System.Text.Json.Nodes.JsonNode? Node, object? Any)[]
        {
            (jsonNull, jsonNull, null, null),
            (number, null, System.Text.Json.Nodes.JsonValue.Create(0), 0),
            (default, default(JsonElement), System.Text.Json.Nodes.JsonNode.Parse("null"), false),
            (number, number, new System.Text.Json.Nodes.JsonObject(), jsonNull),
        };
        foreach (var (data, maybe, node, any) in cases)
        {
            var a = Try(() => JsonSerializer.Serialize<DocumentEvent>(new DocumentEvent.Stored("d", data, maybe, node, any), ours));
            var b = Try(() => JsonSerializer.Serialize<MirrorDocument>(new MirrorDocument.Stored("d", data, maybe, node, any), theirs));
            Assert.Equal(b, a);
        }

        foreach (var json in new[]
        {
            """{"type":"stored","id":"d","data":null,"maybe":null,"node":null,"any":null}""",
            """{"type":"stored","id":"d"}""",
            """{"type":"stored","id":"d","data":{"x":[1,null]},"maybe":"s","node":[null],"any":{"type":"dropped"}}""",
        })
        {
            Assert.Equal(Outcome<MirrorDocument>(json, theirs), Outcome<DocumentEvent>(json, ours));
        }
    }

    private static string Try(Func<string> write)
    {
        try
        {
            return write();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            return e.GetType().Name;
        }
    }

    private static (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) Options(Action<JsonSerializerOptions> configure)
    {
        // Snake case on both sides, as the union writes without a policy, so that a nested record's names agree too.
        var theirs = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        configure(theirs);
        return (new JsonSerializerOptions(theirs), theirs);
    }

    private static string Name(string property, JsonSerializerOptions options)
        => "\"" + (options.PropertyNamingPolicy ?? JsonNamingPolicy.SnakeCaseLower).ConvertName(property) + "\"";

    // The value read, written back under the same options; or the kind of error. Messages and paths differ by design (the
    // union's path is the union value's, docs/unions.md), so an error is compared by its type.
    private static string Outcome<T>(string json, JsonSerializerOptions options)
    {
        try
        {
            var value = JsonSerializer.Deserialize<T>(json, options);
            return "OK " + JsonSerializer.Serialize(value, options);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or FormatException or ArgumentException)
        {
            return e.GetType().Name;
        }
    }
}
