using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// The union where System.Text.Json puts it (a dictionary's values and keys, a stream of top-level values, a document with
/// comments between its tokens, an object without a discriminator), against its <c>[JsonPolymorphic]</c> twin.
/// </summary>
public sealed class UnionJsonContainerTests
{
    private static JsonSerializerOptions Options(Action<JsonSerializerOptions>? configure = null)
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        configure?.Invoke(options);
        return options;
    }

    [Fact]
    public void Dictionary_values_are_written_as_the_twin_writes_them_with_the_keys_under_the_DictionaryKeyPolicy()
    {
        var options = Options(static o =>
        {
            o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            o.DictionaryKeyPolicy = JsonNamingPolicy.KebabCaseUpper;
        });
        var ours = new Dictionary<string, Deep?>
        {
            ["FirstOne"] = new Deep.Cleared("a", JsonSerializer.Deserialize<JsonElement>("""{"Nested":[1]}"""), 2),
            ["SecondOne"] = null,
        };
        var theirs = new Dictionary<string, MirrorDeep?>
        {
            ["FirstOne"] = new MirrorDeep.Cleared("a", JsonSerializer.Deserialize<JsonElement>("""{"Nested":[1]}"""), 2),
            ["SecondOne"] = null,
        };

        var written = JsonSerializer.Serialize(ours, options);

        Assert.Equal(JsonSerializer.Serialize(theirs, options), written);
        Assert.Equal("""{"FIRST-ONE":{"type":"cleared","id":"a","data":{"Nested":[1]},"count":2},"SECOND-ONE":null}""", written);
        var read = JsonSerializer.Deserialize<Dictionary<string, Deep?>>(written, options)!;
        Assert.Equal(["FIRST-ONE", "SECOND-ONE"], read.Keys);
        Assert.Equal(written, JsonSerializer.Serialize(read, options));
    }

    // A wire name is an explicit name: the DictionaryKeyPolicy leaves it as it leaves an enum member's
    // [JsonStringEnumMemberName], and an Other's raw name as it came.
    [Fact]
    public void A_payloadless_key_is_not_renamed_by_the_DictionaryKeyPolicy_as_its_enum_twin_is_not()
    {
        var options = Options(static o => o.DictionaryKeyPolicy = JsonNamingPolicy.KebabCaseUpper);
        var ours = new Dictionary<Outcome, int> { [new Outcome.Success()] = 1, [new Outcome.Other("timedOut")] = 2 };
        var theirs = new Dictionary<MirrorOutcome, int> { [MirrorOutcome.Success] = 1 };

        var written = JsonSerializer.Serialize(ours, options);

        Assert.Equal(JsonSerializer.Serialize(theirs, options)[..^1] + ",\"timedOut\":2}", written);
        Assert.Equal(ours, JsonSerializer.Deserialize<Dictionary<Outcome, int>>(written, options));
    }

    // A union property that is null: the serializer's own business (the converter never sees a null), so under
    // RespectNullableAnnotations a non-nullable one is refused and a nullable one read, as for the twin.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_null_union_property_reads_as_the_twin_s_under_RespectNullableAnnotations(bool respect)
    {
        var options = Options(o => o.RespectNullableAnnotations = respect);
        const string Json = """{"value":null,"maybe":null}""";

        Assert.Equal(
            Read<Strict<MirrorShipment>>(Json, options).Split(' ')[0],
            Read<Strict<Shipment>>(Json, options).Split(' ')[0]);
        Assert.Equal(respect ? "JsonException" : "OK", Read<Strict<Shipment>>(Json, options).Split(' ')[0]);
        Assert.Equal("OK", Read<Strict<Shipment>>("""{"value":{"type":"sent","id":"s","to":{"street":"a","number":1}},"maybe":null}""", options).Split(' ')[0]);
    }

    /// <summary>A union property declared non-nullable, and one nullable.</summary>
    public sealed record Strict<T>(T Value, T? Maybe)
        where T : class;

    [Fact]
    public void A_union_with_payloads_is_no_dictionary_key_as_the_twin_is_none()
    {
        var options = Options();

        Assert.Throws<NotSupportedException>(() => JsonSerializer.Serialize(new Dictionary<MirrorShipment, int> { [new MirrorShipment.Sent("s", new Address("a", 1))] = 1 }, options));
        Assert.Throws<NotSupportedException>(() => JsonSerializer.Serialize(new Dictionary<Shipment, int> { [new Shipment.Sent("s", new Address("a", 1))] = 1 }, options));
        Assert.Throws<NotSupportedException>(() => JsonSerializer.Deserialize<Dictionary<MirrorShipment, int>>("""{"s":1}""", options));
        Assert.Throws<NotSupportedException>(() => JsonSerializer.Deserialize<Dictionary<Shipment, int>>("""{"s":1}""", options));
    }

    // JSON Lines read a byte at a time: each top-level value is buffered whole before the converter sees it, unknown ones
    // included, and the known ones read as the twin reads them.
    [Fact]
    public async Task Top_level_values_from_a_stream_read_a_byte_at_a_time_read_as_the_twin_reads_them()
    {
        var options = Options(static o =>
        {
            o.DefaultBufferSize = 1;
            o.AllowOutOfOrderMetadataProperties = true;
        });
        const string Lines = "{\"type\":\"noted\",\"id\":\"a\",\"data\":[1,{\"x\":null}]}\n"
            + "{\"type\":\"archived\",\"id\":\"b\",\"data\":{}}\n"
            + "  {\"data\":true,\"count\":3,\"id\":\"c\",\"type\":\"cleared\"}\n";

        var ours = new List<string>();
        await foreach (var item in JsonSerializer.DeserializeAsyncEnumerable<Deep>(new MemoryStream(Encoding.UTF8.GetBytes(Lines)), topLevelValues: true, options))
        {
            ours.Add(JsonSerializer.Serialize(item, options));
        }

        var theirs = new List<string>();
        var known = Lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(static l => !l.Contains("archived", StringComparison.Ordinal));
        await foreach (var item in JsonSerializer.DeserializeAsyncEnumerable<MirrorDeep>(new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", known))), topLevelValues: true, options))
        {
            theirs.Add(JsonSerializer.Serialize(item, options));
        }

        Assert.Equal(3, ours.Count);
        Assert.Equal(theirs, [ours[0], ours[2]]);
        Assert.Equal("{\"type\":\"archived\",\"id\":\"b\",\"data\":{}}", ours[1]);
    }

    public static TheoryData<string> Commented => new()
    {
        "{/*a*/\"type\"/*b*/ : /*c*/\"sent\"/*d*/,\"id\":/*e*/\"s-1\",\"to\":{\"street\":\"s\",//f\n\"number\":1}/*g*/}",
        "{\"id\":\"s-1\",//x\n\"to\":{\"street\":\"s\",\"number\":1},\"type\"://y\n\"sent\"}",
        "{\"type\":\"sent\",\"id\":\"s-1\",\"to\":{\"street\":\"s\",\"number\":1,},}",
        "{\"type\":\"sent\"/*a*/,/*b*/\"id\":\"s-1\"/*c*/,\"to\":{\"street\":\"s\",\"number\":1}/*d*/,}",
    };

    [Theory]
    [MemberData(nameof(Commented))]
    public void Comments_anywhere_between_tokens_read_as_the_twin_reads_them(string json)
    {
        var options = Options(static o =>
        {
            o.ReadCommentHandling = JsonCommentHandling.Skip;
            o.AllowTrailingCommas = true;
            o.AllowOutOfOrderMetadataProperties = true;
        });

        Assert.Equal(
            Read<MirrorShipment>(json, options),
            Read<Shipment>(json, options));
        Assert.Equal(
            Read<MirrorShipment[]>("[/*0*/" + json + "/*1*/,]", options),
            Read<Shipment[]>("[/*0*/" + json + "/*1*/,]", options));
    }

    // Without a discriminator System.Text.Json throws a NotSupportedException (the abstract base cannot be constructed);
    // the union throws a JsonException, the error for input that cannot be read (docs/unions.md), at the same path.
    [Theory]
    [InlineData("{}")]
    [InlineData(" { } ")]
    [InlineData("""{"id":"s-1","to":{"type":"sent"}}""")]
    public void An_object_without_a_discriminator_is_a_JsonException_at_the_path_the_twin_names(string json)
    {
        var options = Options();
        foreach (var (document, path) in new[] { (json, "$"), ("[null," + json + "]", "$[1]"), ("""{"value":""" + json + "}", "$.value") })
        {
            var theirs = Assert.Throws<NotSupportedException>(() => Deserialize(document, path, typeof(MirrorShipment), options));
            var ours = Assert.Throws<JsonException>(() => Deserialize(document, path, typeof(Shipment), options));

            Assert.Contains("Path: " + path + " ", theirs.Message, StringComparison.Ordinal);
            Assert.Equal(path, ours.Path);
            Assert.Contains("\"type\"", ours.Message, StringComparison.Ordinal);
        }
    }

    private static object? Deserialize(string document, string path, Type union, JsonSerializerOptions options) => path switch
    {
        "$" => JsonSerializer.Deserialize(document, union, options),
        "$[1]" => JsonSerializer.Deserialize(document, union.MakeArrayType(), options),
        _ => JsonSerializer.Deserialize(document, typeof(UnionJsonErrorTests.Holder<>).MakeGenericType(union), options),
    };

    private static string Read<T>(string json, JsonSerializerOptions options)
    {
        try
        {
            return "OK " + JsonSerializer.Serialize(JsonSerializer.Deserialize<T>(json, options), options);
        }
        catch (JsonException e)
        {
            return $"JsonException {e.Path} {e.LineNumber}:{e.BytePositionInLine}";
        }
    }
}
