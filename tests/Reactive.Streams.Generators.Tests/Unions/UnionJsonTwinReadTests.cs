using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// Reading against System.Text.Json's own <c>[JsonPolymorphic]</c> twin (with <c>AllowOutOfOrderMetadataProperties</c>)
/// where the two agree to the byte and to the error: duplicate properties (the last wins), escapes in the discriminator's
/// name and value, an unmapped property, truncated input, comments and trailing commas, <c>MaxDepth</c>; and the union
/// through a source-generated context's streaming and number-handling entry points, and a discriminator of 100,000
/// characters with escapes.
/// </summary>
public sealed class UnionJsonTwinReadTests
{
    private static (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) Options(Action<JsonSerializerOptions>? configure = null)
    {
        var theirs = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        configure?.Invoke(theirs);
        return (new JsonSerializerOptions(theirs), theirs);
    }

    private static string ReadOutcome<T>(string json, JsonSerializerOptions options)
    {
        try
        {
            var v = JsonSerializer.Deserialize<T>(json, options);
            return "OK " + JsonSerializer.Serialize(v, options);
        }
        catch (Exception e)
        {
            return e.GetType().Name + (e is JsonException j ? $" {j.Path} {j.LineNumber}:{j.BytePositionInLine}" : "") + " :: " + e.Message;
        }
    }

    public static TheoryData<string> Inputs => new()
    {
        """{"type":"sent","id":"a","id":"b","to":{"street":"s","number":1}}""",
        """{"type":"s\u0065nt","id":"a","to":{"street":"s","number":1}}""",
        """{"\u0074ype":"sent","id":"a","to":{"street":"s","number":1}}""",
        """{"id":"a","to":{"street":"s","number":1},"type":"sent"}""",
        """{"type":"sent","id":"a","to":{"street":"s","number":1},"extra":{"deep":[1,2,3]}}""",
        """{"type":"sent","id":"a","to":{"street":"s","number":1}""",
        """[]""",
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Reads_as_the_JsonPolymorphic_twin_reads(string json)
    {
        var (ours, theirs) = Options(o => o.AllowOutOfOrderMetadataProperties = true);
        var array = json.TrimStart().StartsWith('[');
        var a = array ? ReadOutcome<Shipment[]>(json, ours) : ReadOutcome<Shipment>(json, ours);
        var b = array ? ReadOutcome<MirrorShipment[]>(json, theirs) : ReadOutcome<MirrorShipment>(json, theirs);
        Assert.Equal(b, a);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Comments_and_trailing_commas_read_as_the_twin_reads_them(bool comments, bool commas)
    {
        var json = "{\"type\":\"sent\", /*x*/ \"id\":\"a\" , \"to\":{\"street\":\"s\",\"number\":1,},}";
        if (!commas) json = json.Replace(",}", "}");
        if (!comments) json = json.Replace("/*x*/", "");
        var (ours, theirs) = Options(o => { o.AllowTrailingCommas = commas; o.ReadCommentHandling = comments ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow; });
        Assert.Equal(ReadOutcome<MirrorShipment>(json, theirs), ReadOutcome<Shipment>(json, ours));
        Assert.Equal(ReadOutcome<MirrorShipment[]>("[" + json + "]", theirs), ReadOutcome<Shipment[]>("[" + json + "]", ours));
    }

    [Fact]
    public void A_MaxDepth_the_value_fits_in_reads_and_writes_as_the_twin_does()
    {
        var (ours, theirs) = Options(static o => o.MaxDepth = 4);
        var json = """[{"type":"sent","id":"a","to":{"street":"s","number":1}}]""";
        Assert.Equal(ReadOutcome<MirrorShipment[]>(json, theirs), ReadOutcome<Shipment[]>(json, ours));
        var item = new Shipment.Sent("a", new Address("s", 1));
        var mirror = new MirrorShipment.Sent("a", new Address("s", 1));
        string W(Func<string> f) { try { return f(); } catch (Exception e) { return e.GetType().Name + e.Message; } }
        Assert.Equal(W(() => JsonSerializer.Serialize(new[] { (MirrorShipment)mirror }, theirs)), W(() => JsonSerializer.Serialize(new[] { (Shipment)item }, ours)));
    }

    [Fact]
    public async Task A_context_s_type_info_reads_a_stream_a_byte_at_a_time_and_an_async_enumerable()
    {
        ShopOrder[] items = [new ShopOrder.Placed("o-1", new ShopAddress("1 Main St", "Springfield"), 12.50m), new ShopOrder.Cancelled("o-2", "late")];
        var options = new JsonSerializerOptions { TypeInfoResolver = ShopJsonContext.Default, DefaultBufferSize = 1 };
        var json = "[" + string.Join(",", items.Select(i => JsonSerializer.Serialize(i, ShopJsonContext.Default.ShopOrder))) + "]";
        var list = new List<ShopOrder?>();
        await foreach (var i in JsonSerializer.DeserializeAsyncEnumerable(new MemoryStream(Encoding.UTF8.GetBytes(json)), (JsonTypeInfo<ShopOrder>)options.GetTypeInfo(typeof(ShopOrder))))
        {
            list.Add(i);
        }
        Assert.Equal(items, list);
        var one = await JsonSerializer.DeserializeAsync(new MemoryStream(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(items[0], ShopJsonContext.Default.ShopOrder))), (JsonTypeInfo<ShopOrder>)options.GetTypeInfo(typeof(ShopOrder)));
        Assert.Equal(items[0], one);
    }

    [Fact]
    public void Options_over_a_context_write_and_read_numbers_as_strings_as_reflection_does()
    {
        var options = new JsonSerializerOptions { TypeInfoResolver = ShopJsonContext.Default, NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString };
        ShopOrder item = new ShopOrder.Placed("o-1", new ShopAddress("1 Main St", "Springfield"), 12.50m);
        var json = JsonSerializer.Serialize(item, options);
        Assert.Equal(JsonSerializer.Serialize(item, new JsonSerializerOptions { NumberHandling = options.NumberHandling }), json);
        Assert.Contains("\"total\":\"12.50\"", json, StringComparison.Ordinal);
        Assert.Equal(item, JsonSerializer.Deserialize<ShopOrder>(json, options));
    }

    [Fact]
    public void A_long_discriminator_with_escapes_reads_as_an_unknown_and_is_written_back_unchanged()
    {
        var name = new string('x', 100_000) + "\"\\\u00e9\ud83d\ude00";
        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["type"] = name, ["id"] = "a" });
        var u = Assert.IsType<LeaseEvent.Unknown>(JsonSerializer.Deserialize<LeaseEvent>(json));
        Assert.Equal(name, u.RawWireName);
        Assert.Equal(json, JsonSerializer.Serialize<LeaseEvent>(u));
    }
}
