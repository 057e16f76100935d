using System.Text.Json;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>The generated converters, used from a source-generated <see cref="FixtureJsonContext"/>.</summary>
public sealed class UnionJsonTests
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    private static readonly FixtureJsonContext s_context = new(new JsonSerializerOptions
    {
        Converters = { new LeaseEventJsonConverter(), new OutcomeJsonConverter() },
    });

    public static TheoryData<LeaseEvent> Variants => new()
    {
        new LeaseEvent.Acquired(new Cursor(1, 0), "exec-1", "lease-9", s_at),
        new LeaseEvent.Acquired(new Cursor(1, 1), "exec-1", null, s_at),
        new LeaseEvent.Renewed(new Cursor(2, 1), "exec-1", s_at, TimeSpan.FromSeconds(30)),
        new LeaseEvent.Expired(new Cursor(3, 0), "exec-2", s_at),
        new LeaseEvent.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", 2),
        new LeaseEvent.Revoked(new Cursor(4, 8), "exec-3", s_at, "admin", null),
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_variant_round_trips_through_a_source_generated_context(LeaseEvent item)
    {
        var json = JsonSerializer.Serialize(item, s_context.LeaseEvent);
        var back = JsonSerializer.Deserialize(json, s_context.LeaseEvent);

        Assert.Equal(item, back);
        Assert.StartsWith($$"""{"type":"{{item.WireName}}",""", json, StringComparison.Ordinal);
    }

    [Fact]
    public void The_wire_format_is_the_type_discriminator_then_snake_case_parameters_or_their_JsonPropertyName()
    {
        LeaseEvent item = new LeaseEvent.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", null);

        var json = JsonSerializer.Serialize(item, s_context.LeaseEvent);

        Assert.Equal(
            """{"type":"revoked","cursor":{"Milliseconds":4,"Sequence":7},"execution_id":"exec-3","at":"2026-11-22T13:00:00+00:00","by":"admin","attempt":null}""",
            json);
    }

    [Fact]
    public void The_discriminator_may_come_after_the_other_properties()
    {
        const string Json = """{"execution_id":"exec-2","cursor":{"Milliseconds":3,"Sequence":0},"at":"2026-11-22T13:00:00+00:00","type":"lease_expired"}""";

        var item = JsonSerializer.Deserialize(Json, s_context.LeaseEvent);

        Assert.Equal(new LeaseEvent.Expired(new Cursor(3, 0), "exec-2", s_at), item);
    }

    [Fact]
    public void Properties_the_variant_does_not_have_are_skipped_and_absent_nullable_ones_read_as_null()
    {
        const string Json = """{"type":"revoked","cursor":{"Milliseconds":4,"Sequence":7},"extra":{"nested":[1,2,{"x":null}]},"execution_id":"exec-3","at":"2026-11-22T13:00:00+00:00","by":"admin"}""";

        var item = JsonSerializer.Deserialize(Json, s_context.LeaseEvent);

        Assert.Equal(new LeaseEvent.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", null), item);
    }

    [Fact]
    public void An_unknown_type_reads_as_Unknown_and_is_written_back_byte_for_byte()
    {
        const string Json = """{"cursor":{"Milliseconds":9,"Sequence":1},  "type":"lease_stolen","execution_id":"exec-7","at":"2026-11-22T13:00:00+00:00","thief":"caf\u00e9 \"x\"","depth":[1, 2.50e3]}""";

        var item = JsonSerializer.Deserialize(Json, s_context.LeaseEvent);

        var unknown = Assert.IsType<LeaseEvent.Unknown>(item);
        Assert.Equal("lease_stolen", unknown.RawWireName);
        Assert.Equal(LeaseEventKind.Unknown, unknown.Kind);
        Assert.Equal(new Cursor(9, 1), unknown.Cursor);
        Assert.Equal("exec-7", unknown.ExecutionId);
        Assert.Equal(s_at, unknown.At);
        Assert.Equal(Json, JsonSerializer.Serialize(item, s_context.LeaseEvent));
    }

    [Fact]
    public void Unknown_variants_keep_their_bytes_inside_a_list()
    {
        const string Json = """[{"type":"stolen","a":1},{"type":"lease_expired","cursor":{"Milliseconds":3,"Sequence":0},"execution_id":"exec-2","at":"2026-11-22T13:00:00+00:00"},{"type":"x"}]""";
        var items = JsonSerializer.Deserialize(Json, s_context.LeaseEventArray)!;

        Assert.Equal(new[] { LeaseEventKind.Unknown, LeaseEventKind.Expired, LeaseEventKind.Unknown }, items.Select(static i => i.Kind));
        Assert.Equal(Json, JsonSerializer.Serialize(items, s_context.LeaseEventArray));
    }

    [Theory]
    [InlineData("""{"cursor":{"Milliseconds":3,"Sequence":0}}""", "\"type\" property")]
    [InlineData("""{"type":7}""", "must be a string")]
    [InlineData("""{"type":"lease_expired","cursor":{"Milliseconds":3,"Sequence":0},"at":"2026-11-22T13:00:00+00:00"}""", "\"execution_id\"")]
    [InlineData("""{"type":"lease_expired","cursor":{"Milliseconds":3,"Sequence":0},"execution_id":null,"at":"2026-11-22T13:00:00+00:00"}""", "\"execution_id\"")]
    [InlineData("""["acquired"]""", "JSON object")]
    public void Malformed_input_is_a_JsonException_that_says_what_is_wrong(string json, string expected)
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, s_context.LeaseEvent));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_reads_and_writes_as_null()
    {
        Assert.Null(JsonSerializer.Deserialize("null", s_context.LeaseEvent));
        Assert.Equal("null", JsonSerializer.Serialize<LeaseEvent?>(null, s_context.LeaseEvent!));
    }

    [Fact]
    public void A_payloadless_union_is_a_string_and_an_unknown_value_survives_as_Other()
    {
        Assert.Equal("\"success\"", JsonSerializer.Serialize<Outcome>(new Outcome.Success(), s_context.Outcome));
        Assert.IsType<Outcome.Cancelled>(JsonSerializer.Deserialize("\"cancelled\"", s_context.Outcome));

        var other = JsonSerializer.Deserialize("\"timed_out\"", s_context.Outcome);

        Assert.Equal(new Outcome.Other("timed_out"), other);
        Assert.Equal("\"timed_out\"", JsonSerializer.Serialize(other, s_context.Outcome));
    }

    [Fact]
    public void The_converter_attribute_on_the_union_serves_reflection_based_serialization_too()
    {
        LeaseEvent item = new LeaseEvent.Expired(new Cursor(3, 0), "exec-2", s_at);

        var json = JsonSerializer.Serialize(item);

        Assert.Equal(item, JsonSerializer.Deserialize<LeaseEvent>(json));
    }
}
