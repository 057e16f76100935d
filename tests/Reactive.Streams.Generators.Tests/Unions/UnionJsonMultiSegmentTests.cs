using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// A <see cref="Utf8JsonReader"/> over a <see cref="ReadOnlySequence{T}"/> of one-byte segments (what a pipe hands a
/// reader) reads what the same bytes in one span read: the discriminator first or last, escaped, an unknown variant kept
/// byte for byte, inside an array; and where System.Text.Json's <c>[JsonPolymorphic]</c> twin reads the same document, the
/// same values.
/// </summary>
public sealed class UnionJsonMultiSegmentTests
{
    private static readonly JsonSerializerOptions s_ours = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static readonly JsonSerializerOptions s_theirs = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        AllowOutOfOrderMetadataProperties = true,
    };

    public static TheoryData<string> Known => new()
    {
        """{"type":"sent","id":"a","to":{"street":"s","number":1}}""",
        """{"id":"a","to":{"street":"s","number":1},"type":"sent"}""",
        """{"\u0074ype":"s\u0065nt","i\u0064":"\u00e9t\u00e9","to":{"street":"\ud83d\ude00","number":12345678}}""",
        """ { "type" : "sent" , "extra" : { "deep" : [ 1 , 2 , "three" ] } , "id" : "a" , "to" : { "street" : "s" , "number" : -1 } } """,
    };

    [Theory]
    [MemberData(nameof(Known))]
    public void A_variant_reads_from_one_byte_segments_as_from_one_span_and_as_the_twin_reads_it(string json)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);
        var segmented = new Utf8JsonReader(OneByteSegments(utf8));
        var ours = JsonSerializer.Deserialize<Shipment>(ref segmented, s_ours);
        var theirsReader = new Utf8JsonReader(OneByteSegments(utf8));
        var theirs = JsonSerializer.Deserialize<MirrorShipment>(ref theirsReader, s_theirs);

        Assert.Equal(JsonSerializer.Deserialize<Shipment>(utf8, s_ours), ours);
        var sent = Assert.IsType<Shipment.Sent>(ours);
        var mirror = Assert.IsType<MirrorShipment.Sent>(theirs);
        Assert.Equal((mirror.Id, mirror.To), (sent.Id, sent.To));
        var span = new Utf8JsonReader(utf8);
        JsonSerializer.Deserialize<Shipment>(ref span, s_ours);
        Assert.Equal(span.BytesConsumed, segmented.BytesConsumed);
    }

    [Theory]
    [InlineData("""{"type":"returned","id":"a","reason":{"code":7,"tags":["x","y"]}}""")]
    [InlineData("""{"id":"a","reason":"late","type":"ret\u0075rned"}""")]
    public void An_unknown_variant_read_from_one_byte_segments_is_kept_byte_for_byte(string json)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);
        var strict = new JsonSerializerOptions(s_ours) { AllowDuplicateProperties = false };
        foreach (var options in new[] { s_ours, strict })
        {
            var reader = new Utf8JsonReader(OneByteSegments(utf8));

            var unknown = Assert.IsType<Shipment.Unknown>(JsonSerializer.Deserialize<Shipment>(ref reader, options));

            Assert.Equal("returned", unknown.RawWireName);
            Assert.Equal(json, JsonSerializer.Serialize<Shipment>(unknown, options));
            Assert.Equal(JsonSerializer.Deserialize<Shipment>(utf8, options), unknown);
        }
    }

    [Fact]
    public void An_array_of_variants_and_unknown_ones_reads_from_one_byte_segments_as_from_one_span()
    {
        var json = """[{"type":"sent","id":"a","to":{"street":"s","number":1}},null,{"type":"lost","at":"sea"},{"to":{"street":"t","number":2},"id":"b","type":"sent"}]""";
        var utf8 = Encoding.UTF8.GetBytes(json);
        var reader = new Utf8JsonReader(OneByteSegments(utf8));

        var read = JsonSerializer.Deserialize<Shipment?[]>(ref reader, s_ours)!;

        Assert.Equal(JsonSerializer.Deserialize<Shipment?[]>(utf8, s_ours)!, read);
        Assert.Equal(
            """[{"type":"sent","id":"a","to":{"street":"s","number":1}},null,{"type":"lost","at":"sea"},{"type":"sent","id":"b","to":{"street":"t","number":2}}]""",
            JsonSerializer.Serialize(read, s_ours));
    }

    [Theory]
    [InlineData("""{"type":"sent","id":"a","to":{"street":"s","number":"x"}}""")]
    [InlineData("""{"type":"sent","id":"a","to":{"street":"s","number":1}""")]
    [InlineData("""{"type":7,"id":"a"}""")]
    [InlineData("""{"id":"a"}""")]
    public void Bad_input_from_one_byte_segments_fails_as_from_one_span(string json)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);
        var span = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Shipment>(utf8, s_ours));

        var segmented = Assert.Throws<JsonException>(() =>
        {
            var reader = new Utf8JsonReader(OneByteSegments(utf8));
            return JsonSerializer.Deserialize<Shipment>(ref reader, s_ours);
        });

        Assert.Equal((span.Message, span.LineNumber, span.BytePositionInLine), (segmented.Message, segmented.LineNumber, segmented.BytePositionInLine));
    }

    private static ReadOnlySequence<byte> OneByteSegments(byte[] utf8)
    {
        var first = new Segment(utf8.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < utf8.Length; i++)
        {
            last = last.Append(utf8.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
