using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>The twin of <see cref="Outcome"/>: an enum written by its wire names.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MirrorOutcome>))]
public enum MirrorOutcome
{
    [JsonStringEnumMemberName("success")]
    Success,

    [JsonStringEnumMemberName("failure")]
    Failure,

    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}

/// <summary>
/// A payload-less union travels as a string, as an enum does under <c>JsonStringEnumConverter</c>; as an enum, it is a
/// dictionary key too, written and read as the property name.
/// </summary>
public sealed class UnionJsonDictionaryKeyTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_payloadless_union_is_a_dictionary_key_as_its_enum_twin_is(bool relaxed)
    {
        var options = new JsonSerializerOptions { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        if (relaxed)
        {
            options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        }

        var ours = new Dictionary<Outcome, int> { [new Outcome.Success()] = 1, [new Outcome.Cancelled()] = 3 };
        var theirs = new Dictionary<MirrorOutcome, int> { [MirrorOutcome.Success] = 1, [MirrorOutcome.Cancelled] = 3 };

        var written = JsonSerializer.Serialize(ours, options);
        Assert.Equal(JsonSerializer.Serialize(theirs, options), written);
        Assert.Equal("""{"success":1,"cancelled":3}""", written);
        var read = JsonSerializer.Deserialize<Dictionary<Outcome, int>>(written, options)!;
        Assert.Equal(ours, read);
    }

    [Fact]
    public void An_unknown_key_reads_as_Other_and_is_written_back_as_it_came()
    {
        var options = new JsonSerializerOptions { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

        var read = JsonSerializer.Deserialize<Dictionary<Outcome, int>>("""{"timed_out":2,"fail\u0075re":1}""", options)!;

        Assert.Equal(2, read[new Outcome.Other("timed_out")]);
        Assert.Equal(1, read[new Outcome.Failure()]);
        Assert.Equal("""{"timed_out":2,"failure":1}""", JsonSerializer.Serialize(read, options));
    }
}
