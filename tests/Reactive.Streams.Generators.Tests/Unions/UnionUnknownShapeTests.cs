using System.Text.Json;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// The generated <c>Unknown</c> and the union's own members as a user meets them outside the converter: printed
/// (<c>ToString</c>, string interpolation, a log line), built by hand, and the variants written as their own types.
/// </summary>
public sealed class UnionUnknownShapeTests
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_unknown_variant_without_the_shared_values_prints_without_throwing()
    {
        var unknown = JsonSerializer.Deserialize<LeaseEvent>("""{"type":"stolen","cursor":{"Milliseconds":9,"Sequence":1},"thief":"x"}""")!;

        var text = unknown.ToString();

        Assert.Equal("""Unknown { Kind = Unknown, WireName = stolen, Cursor = Cursor { Milliseconds = 9, Sequence = 1 }, RawWireName = stolen, RawPayload = {"type":"stolen","cursor":{"Milliseconds":9,"Sequence":1},"thief":"x"} }""", text);
        Assert.Equal(text, $"{unknown}");
    }

    [Fact]
    public void An_unknown_variant_with_every_shared_value_prints_as_a_record_does()
    {
        const string Json = """{"type":"stolen","cursor":{"Milliseconds":9,"Sequence":1},"execution_id":"exec-7","at":"2026-11-22T13:00:00+00:00"}""";
        var unknown = JsonSerializer.Deserialize<LeaseEvent>(Json)!;

        Assert.Equal(
            $"Unknown {{ Kind = Unknown, WireName = stolen, Cursor = Cursor {{ Milliseconds = 9, Sequence = 1 }}, ExecutionId = exec-7, At = {s_at}, RawWireName = stolen, RawPayload = {Json} }}",
            unknown.ToString());
    }

    [Theory]
    [InlineData("""{"a":1}""", "no \"type\"")]
    [InlineData("""{"type":"other","a":1}""", "\"type\": \"other\"")]
    [InlineData("""{"type":7}""", "\"type\": 7")]
    public void A_hand_made_unknown_whose_payload_does_not_name_it_is_refused(string payload, string expected)
    {
        using var document = JsonDocument.Parse(payload);

        var error = Assert.Throws<ArgumentException>(() => new LeaseEvent.Unknown("stolen", document.RootElement));

        Assert.Equal("rawPayload", error.ParamName);
        Assert.Contains("'stolen'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hand_made_unknown_is_written_and_read_back_as_itself()
    {
        using var document = JsonDocument.Parse("""{"a":1,"type":"caf\u00e9"}""");
        LeaseEvent unknown = new LeaseEvent.Unknown("café", document.RootElement.Clone());

        var json = JsonSerializer.Serialize(unknown);

        Assert.Equal(unknown, JsonSerializer.Deserialize<LeaseEvent>(json));
    }

    [Fact]
    public void A_variant_written_as_its_own_type_is_written_as_the_JsonPolymorphic_twin_s_variant_is()
    {
        var item = new LeaseEvent.Acquired(new Cursor(1, 0), "exec-1", "lease-9", s_at);
        var twin = new MirrorLease.Acquired(new Cursor(1, 0), "exec-1", "lease-9", s_at);

        Assert.Equal(JsonSerializer.Serialize(twin), JsonSerializer.Serialize(item));
        Assert.Equal(JsonSerializer.Serialize(new List<MirrorLease.Acquired> { twin }), JsonSerializer.Serialize(new List<LeaseEvent.Acquired> { item }));
        Assert.Equal(item, JsonSerializer.Deserialize<LeaseEvent.Acquired>(JsonSerializer.Serialize(item)));
    }

    // Written as its own type (a List<LeaseEvent.Unknown>, or as object by a logger that serializes what it is given), the
    // Unknown was written with the shared accessors too, whose getters throw when the payload lacks the value: writing an
    // unknown variant from a newer producer, which is what an Unknown usually is, threw InvalidOperationException. Like a
    // variant written as its own type it is written with its own properties, its wire name and its payload, and reads back
    // (the payload as System.Text.Json writes a JsonElement, so equal as JSON rather than byte for byte).
    [Theory]
    [InlineData("""{"type":"stolen","cursor":{"Milliseconds":9,"Sequence":1},"thief":"x"}""")]
    [InlineData("""{"type":"stolen","cursor":{"Milliseconds":9,"Sequence":1},"execution_id":"exec-7","at":"2026-11-22T13:00:00+00:00"}""")]
    public void An_unknown_written_as_its_own_type_is_its_wire_name_and_payload_and_reads_back(string payload)
    {
        var unknown = (LeaseEvent.Unknown)JsonSerializer.Deserialize<LeaseEvent>(payload)!;
        var expected = $$"""{"RawWireName":"stolen","RawPayload":{{JsonSerializer.Serialize(unknown.RawPayload)}}}""";

        Assert.Equal(expected, JsonSerializer.Serialize<object>(unknown));
        Assert.Equal(expected, JsonSerializer.Serialize(unknown));
        Assert.Equal($"[{expected}]", JsonSerializer.Serialize(new List<LeaseEvent.Unknown> { unknown }));
        var back = JsonSerializer.Deserialize<LeaseEvent.Unknown>(expected)!;
        Assert.Equal(unknown.RawWireName, back.RawWireName);
        Assert.True(JsonElement.DeepEquals(unknown.RawPayload, back.RawPayload));
    }

    // A shared accessor of an Unknown is a view of its payload, and the payload is what the converter writes. Set by a
    // `with` (a forwarder re-stamping every event's cursor through the union's accessor) or by an object initializer, the
    // accessor returned the new value while the converter wrote the old payload, and the copy compared equal to the
    // original: the new value was silently lost on the wire. It is refused instead, loudly, where it is set.
    [Fact]
    public void Setting_a_shared_value_of_an_unknown_variant_is_refused_instead_of_being_lost_on_the_wire()
    {
        const string Json = """{"type":"stolen","cursor":{"Milliseconds":9,"Sequence":1},"execution_id":"exec-7","at":"2026-11-22T13:00:00+00:00"}""";
        var unknown = JsonSerializer.Deserialize<LeaseEvent>(Json)!;

        var error = Assert.Throws<NotSupportedException>(() => unknown with { Cursor = new Cursor(10, 0) });
        Assert.Contains("'cursor'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'stolen'", error.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => unknown with { ExecutionId = "exec-8" });
        Assert.Throws<NotSupportedException>(() => (LeaseEvent.Unknown)unknown with { At = s_at.AddDays(1) });

        // The values read from the payload stay, a copy that sets nothing is the same event, and both write the payload.
        var copy = unknown with { };
        Assert.Equal(new Cursor(9, 1), copy.Cursor);
        Assert.Equal("exec-7", copy.ExecutionId);
        Assert.Equal(s_at, copy.At);
        Assert.Equal(unknown, copy);
        Assert.Equal(Json, JsonSerializer.Serialize(copy));
    }

    [Fact]
    public void A_hand_made_unknown_takes_its_shared_values_from_its_payload_only()
    {
        using var document = JsonDocument.Parse("""{"type":"stolen","thief":"x"}""");

        Assert.Throws<NotSupportedException>(() => new LeaseEvent.Unknown("stolen", document.RootElement) { ExecutionId = "exec-7" });

        var unknown = new LeaseEvent.Unknown("stolen", document.RootElement);
        Assert.Throws<InvalidOperationException>(() => unknown.ExecutionId);
        Assert.Equal("""{"type":"stolen","thief":"x"}""", JsonSerializer.Serialize<LeaseEvent>(unknown));
    }
}
