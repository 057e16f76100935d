using System.Text.Json;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// The <c>Unknown</c> variant built by hand, as a forwarding service or a test does: what the
/// converter writes for one reads back as the same value, or the constructor refuses it with an
/// <see cref="ArgumentException"/> naming the argument, rather than write JSON that is no JSON or reads back as
/// something else.
/// </summary>
public sealed class UnionHandBuiltFallbackTests
{
    private static readonly JsonDocumentOptions s_lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    // A payload parsed from a document that allowed comments or trailing commas keeps them in its raw bytes; the converter
    // wrote those bytes back as they were, so the output was no longer JSON (a strict reader failed on the "/*" or ",}").
    [Theory]
    [InlineData("""{"type":"stolen", /* why */ "a":[1,{"b":null}]}""")]
    [InlineData("""{"type":"stolen","a":[1,2,],}""")]
    [InlineData("{\"type\":\"stolen\",\"a\":1 // a note\n}")]
    public void An_unknown_built_from_a_lenient_document_is_written_as_JSON_and_reads_back_as_itself(string payload)
    {
        using var document = JsonDocument.Parse(payload, s_lenient);
        LeaseEvent unknown = new LeaseEvent.Unknown("stolen", document.RootElement.Clone());

        var json = JsonSerializer.Serialize(unknown);

        // As System.Text.Json writes the same element, and strict JSON.
        Assert.Equal(JsonSerializer.Serialize(document.RootElement), json);
        using (JsonDocument.Parse(json))
        {
        }

        Assert.Equal(unknown, JsonSerializer.Deserialize<LeaseEvent>(json));
        Assert.Equal(json, ((LeaseEvent.Unknown)unknown).RawPayload.GetRawText());
    }

    // The Unknown kept the element it was given: built from a document the caller then disposed (a using block, a pooled
    // JsonDocument.ParseAsync), writing, comparing, hashing or printing it threw ObjectDisposedException. It keeps its own
    // copy now, as an Unknown the converter read does.
    [Fact]
    public void An_unknown_outlives_the_document_it_was_built_from()
    {
        const string Payload = """{"type":"stolen","by":"eve","a":[1,2]}""";
        LeaseEvent.Unknown unknown;
        using (var document = JsonDocument.Parse(Payload))
        {
            unknown = new LeaseEvent.Unknown("stolen", document.RootElement);
        }

        Assert.Equal(Payload, JsonSerializer.Serialize<LeaseEvent>(unknown));
        Assert.Equal(Payload, unknown.RawPayload.GetRawText());
        var read = JsonSerializer.Deserialize<LeaseEvent>(Payload);
        Assert.Equal(read, unknown);
        Assert.Equal(read!.GetHashCode(), unknown.GetHashCode());
        Assert.Contains("RawPayload = " + Payload, unknown.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_built_from_strict_JSON_keeps_its_bytes()
    {
        const string Payload = """{ "type": "stolen", "a": [1, 2] }""";
        using var document = JsonDocument.Parse(Payload, s_lenient);

        var unknown = new LeaseEvent.Unknown("stolen", document.RootElement);

        Assert.Equal(Payload, unknown.RawPayload.GetRawText());
        Assert.Equal(Payload, JsonSerializer.Serialize<LeaseEvent>(unknown));
    }

    // A payload with its "type" twice was kept, and written; the converter then refused its own output when reading it
    // back (a union has its "type" once), so what a service forwarded could not be read by anyone.
    [Theory]
    [InlineData("""{"type":"stolen","a":1,"type":"stolen"}""")]
    [InlineData("""{"type":"stolen","\u0074ype":"stolen"}""")]
    public void An_unknown_whose_payload_has_its_type_twice_is_refused(string payload)
    {
        using var document = JsonDocument.Parse(payload);

        var error = Assert.Throws<ArgumentException>(() => new LeaseEvent.Unknown("stolen", document.RootElement));

        Assert.Equal("rawPayload", error.ParamName);
        Assert.Contains("\"type\" more than once", error.Message, StringComparison.Ordinal);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<LeaseEvent>(payload));
    }

    // An Unknown named like a variant was kept, and written with that variant's wire name: it read back as the variant (or
    // failed for the variant's missing properties), never as the Unknown that was written.
    [Theory]
    [InlineData("acquired")]
    [InlineData("renewed")]
    [InlineData("lease_expired")]
    [InlineData("revoked")]
    public void An_unknown_named_like_a_variant_is_refused(string wireName)
    {
        using var document = JsonDocument.Parse($$"""{"type":"{{wireName}}"}""");

        var error = Assert.Throws<ArgumentException>(() => new LeaseEvent.Unknown(wireName, document.RootElement));

        Assert.Equal("rawWireName", error.ParamName);
        Assert.Contains($"'{wireName}' is the wire name of a variant of LeaseEvent", error.Message, StringComparison.Ordinal);
    }

    // The same for the Other of a union without payloads: Other("success") was kept and written as "success", which read
    // back (and FromWire read) as Success.
    [Theory]
    [InlineData("success")]
    [InlineData("failure")]
    [InlineData("cancelled")]
    public void An_other_named_like_a_variant_is_refused(string wireName)
    {
        var error = Assert.Throws<ArgumentException>(() => new Outcome.Other(wireName));

        Assert.Equal("rawValue", error.ParamName);
        Assert.Contains($"'{wireName}' is the wire name of a variant of Outcome", error.Message, StringComparison.Ordinal);
        Assert.IsNotType<Outcome.Other>(Outcome.FromWire(wireName));
    }

    [Theory]
    [InlineData("Success")]
    [InlineData("timed_out")]
    [InlineData("")]
    public void An_other_reads_back_as_itself(string rawValue)
    {
        Outcome other = new Outcome.Other(rawValue);

        Assert.Equal(other, JsonSerializer.Deserialize<Outcome>(JsonSerializer.Serialize(other)));
        Assert.Equal(other, Outcome.FromWire(other.ToWire()));
    }

    [Fact]
    public void A_name_that_differs_from_a_variant_s_only_in_case_is_an_unknown_that_reads_back_as_itself()
    {
        using var document = JsonDocument.Parse("""{"type":"Acquired"}""");
        LeaseEvent unknown = new LeaseEvent.Unknown("Acquired", document.RootElement.Clone());

        Assert.Equal(unknown, JsonSerializer.Deserialize<LeaseEvent>(JsonSerializer.Serialize(unknown)));
    }
}
