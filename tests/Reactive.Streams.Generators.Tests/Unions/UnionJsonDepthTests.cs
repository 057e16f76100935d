using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>A union whose shared property holds any JSON, so an unknown variant's shared value may nest deep.</summary>
[EventUnion]
public abstract partial record Deep
{
    public sealed record Noted(string Id, JsonElement Data) : Deep;

    public sealed record Cleared(string Id, JsonElement Data, int Count) : Deep;
}

/// <summary>The twin of <see cref="Deep"/> under System.Text.Json's own polymorphism.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Noted), "noted")]
[JsonDerivedType(typeof(Cleared), "cleared")]
public abstract record MirrorDeep
{
    public sealed record Noted(string Id, JsonElement Data) : MirrorDeep;

    public sealed record Cleared(string Id, JsonElement Data, int Count) : MirrorDeep;
}

/// <summary>
/// <c>MaxDepth</c> near its limit, against System.Text.Json's <c>[JsonPolymorphic]</c> twin and its <c>JsonElement</c>: what
/// one refuses to read or write the other refuses, at the same depth, and what one reads the other reads.
/// </summary>
public sealed class UnionJsonDepthTests
{
    private static JsonSerializerOptions Options(Action<JsonSerializerOptions>? configure = null)
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        configure?.Invoke(options);
        return options;
    }

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    private static string Try(Func<string> action)
    {
        try
        {
            return "OK " + action();
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }

    // An unknown variant's payload was checked for comments by a reader, and copied, with the default MaxDepth of 64
    // whatever the options said: a payload nested deeper than that failed to read (a JsonException naming a depth of 64)
    // under a MaxDepth of 128 that System.Text.Json reads it under, as a JsonElement and inside a known variant.
    [Theory]
    [InlineData(false, false, true)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    [InlineData(false, false, false)]
    public void An_unknown_variant_deeper_than_64_reads_under_a_MaxDepth_that_allows_it_as_a_JsonElement_does(bool comments, bool trailingCommas, bool allowDuplicates)
    {
        var options = Options(o =>
        {
            o.MaxDepth = 128;
            o.ReadCommentHandling = comments ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow;
            o.AllowTrailingCommas = trailingCommas;
            o.AllowDuplicateProperties = allowDuplicates;
        });
        var json = """{"type":"archived","id":"a","data":""" + Nested(100) + "}";

        var item = Assert.IsType<Deep.Unknown>(JsonSerializer.Deserialize<Deep>(json, options));

        Assert.Equal(json, JsonSerializer.Serialize(JsonSerializer.Deserialize<JsonElement>(json, options), options));
        Assert.Equal(json, JsonSerializer.Serialize<Deep>(item, options));
        Assert.Equal("a", item.Id);
        var known = JsonSerializer.Deserialize<MirrorDeep>(json.Replace("archived", "noted", StringComparison.Ordinal), options)!;
        Assert.Equal(((MirrorDeep.Noted)known).Data.GetRawText(), item.Data.GetRawText());
    }

    // The other way round: an unknown variant read under a MaxDepth of 128 was written under options that allow less, byte
    // for byte, where System.Text.Json refuses to write the same object as a JsonElement (and the same options could not
    // read what was written).
    [Theory]
    [InlineData(0, false)]
    [InlineData(99, false)]
    [InlineData(100, false)]
    [InlineData(100, true)]
    [InlineData(101, true)]
    public void An_unknown_variant_deeper_than_the_options_allow_is_refused_as_a_JsonElement_is(int maxDepth, bool inArray)
    {
        // 100 levels: the object and 99 arrays in it.
        var json = """{"type":"archived","id":"a","data":""" + Nested(99) + "}";
        var wide = Options(static o => o.MaxDepth = 128);
        var item = JsonSerializer.Deserialize<Deep>(json, wide)!;
        var element = JsonSerializer.Deserialize<JsonElement>(json, wide);
        var options = Options(o => o.MaxDepth = maxDepth);

        var ours = Try(() => inArray ? JsonSerializer.Serialize(new[] { item }, options) : JsonSerializer.Serialize(item, options));
        var theirs = Try(() => inArray ? JsonSerializer.Serialize(new[] { element }, options) : JsonSerializer.Serialize(element, options));

        Assert.Equal(theirs, ours);
        Assert.Equal(maxDepth >= (inArray ? 101 : 100), ours.StartsWith("OK", StringComparison.Ordinal));
    }

    [Fact]
    public void A_hand_built_unknown_keeps_a_payload_deeper_than_64()
    {
        var json = """{"type":"archived","id":"a","data":""" + Nested(100) + "}";
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 128 });

        var item = new Deep.Unknown("archived", document.RootElement);

        Assert.Equal(json, item.RawPayload.GetRawText());
        Assert.Equal(json, JsonSerializer.Serialize<Deep>(item, Options(static o => o.MaxDepth = 128)));
    }

    // A value the union wrote itself (a string, a number, a null) went out at any depth: System.Text.Json refuses any
    // property value at the options' MaxDepth ("a possible object cycle ... larger than the maximum allowed depth"), so
    // [JsonPolymorphic] refused what the union wrote.
    [Theory]
    [InlineData(1, "root", JsonIgnoreCondition.Never)]
    [InlineData(1, "root", JsonIgnoreCondition.WhenWritingNull)]
    [InlineData(2, "root", JsonIgnoreCondition.Never)]
    [InlineData(2, "array", JsonIgnoreCondition.Never)]
    [InlineData(2, "array", JsonIgnoreCondition.WhenWritingNull)]
    [InlineData(3, "array", JsonIgnoreCondition.Never)]
    [InlineData(2, "holder", JsonIgnoreCondition.WhenWritingNull)]
    [InlineData(3, "holder", JsonIgnoreCondition.Never)]
    [InlineData(4, "holder", JsonIgnoreCondition.Never)]
    public void A_variant_at_the_MaxDepth_limit_is_written_as_JsonPolymorphic_writes_it(int maxDepth, string nesting, JsonIgnoreCondition ignore)
    {
        var options = Options(o =>
        {
            o.MaxDepth = maxDepth;
            o.DefaultIgnoreCondition = ignore;
        });
        var ours = new Shipment.Sent("s-1", new Address("Main", 1));
        var theirs = new MirrorShipment.Sent("s-1", new Address("Main", 1));
        var scalars = new Num.N(0, 5, 1.5, 2m, 7, null, null!, null!);
        var mirrorScalars = new MirrorNum.N(0, 5, 1.5, 2m, 7, null, null!, null!);

        string Write<T>(T value) => Try(() => nesting switch
        {
            "root" => JsonSerializer.Serialize(value, options),
            "array" => JsonSerializer.Serialize(new[] { value }, options),
            _ => JsonSerializer.Serialize(new UnionJsonErrorTests.Holder<T>(value, null), options),
        });

        Assert.Equal(Write<MirrorShipment>(theirs), Write<Shipment>(ours));
        Assert.Equal(Write<MirrorNum>(mirrorScalars), Write<Num>(scalars));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void A_variant_at_the_MaxDepth_limit_reads_as_JsonPolymorphic_reads_it(int maxDepth)
    {
        var options = Options(o => o.MaxDepth = maxDepth);
        var output = Options();
        const string Scalars = """{"type":"n","a":1,"b":2,"c":1.5,"d":2,"e":7,"f":null,"g":[1]}""";
        const string Shipment = """{"type":"sent","id":"s-1","to":{"street":"Main","number":1}}""";

        string Read<T>(string json) => Try(() => JsonSerializer.Serialize(JsonSerializer.Deserialize<T>(json, options), output));

        Assert.Equal(Read<MirrorNum>(Scalars), Read<Num>(Scalars));
        Assert.Equal(Read<MirrorNum[]>("[" + Scalars + "]"), Read<Num[]>("[" + Scalars + "]"));
        Assert.Equal(Read<UnionJsonErrorTests.Holder<MirrorShipment>>("""{"value":""" + Shipment + "}"), Read<UnionJsonErrorTests.Holder<Shipment>>("""{"value":""" + Shipment + "}"));
    }

    // Read with comments allowed, an unknown variant was written out again with the relaxed encoder: "\u003Cscript\u003E"
    // came back as "<script>", unescaped (and not as System.Text.Json writes the same object, read as a JsonElement). It is
    // now copied token by token, its escapes kept.
    [Fact]
    public void An_unknown_variant_read_with_comments_keeps_its_escapes()
    {
        var options = Options(static o =>
        {
            o.ReadCommentHandling = JsonCommentHandling.Skip;
            o.AllowTrailingCommas = true;
        });
        const string Json = """{ "type" : "archived", /* why */ "html": "\u003Cscript\u003E caf\u00e9 ü \ud83d\ude00", "n": 1.50e0, "list": [ true, null, ], }""";
        const string Expected = """{"type":"archived","html":"\u003Cscript\u003E caf\u00e9 ü \ud83d\ude00","n":1.50e0,"list":[true,null]}""";

        var item = Assert.IsType<Deep.Unknown>(JsonSerializer.Deserialize<Deep>(Json, options));
        using var document = JsonDocument.Parse(Json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var built = new Deep.Unknown("archived", document.RootElement);

        Assert.Equal(Expected, JsonSerializer.Serialize<Deep>(item, options));
        Assert.Equal(Expected, JsonSerializer.Serialize<Deep>(built, options));
        Assert.Equal("<script> café ü \ud83d\ude00", item.RawPayload.GetProperty("html").GetString());
        Assert.Equal(item, JsonSerializer.Deserialize<Deep>(Expected));
    }
}

/// <summary>A union of scalars the converter writes itself.</summary>
[EventUnion]
public abstract partial record Num
{
    public sealed record N(int A, long B, double C, decimal D, byte E, int? F, List<int>? G, string? H) : Num;
}

/// <summary>The twin of <see cref="Num"/>.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(N), "n")]
public abstract record MirrorNum
{
    public sealed record N(int A, long B, double C, decimal D, byte E, int? F, List<int>? G, string? H) : MirrorNum;
}
