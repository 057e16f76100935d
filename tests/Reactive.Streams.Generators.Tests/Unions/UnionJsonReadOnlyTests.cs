using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// A variant's public read-only properties (computed ones) are written as System.Text.Json writes them on
/// <c>[JsonPolymorphic]</c> (same bytes), <c>[JsonIgnore]</c> and <c>IgnoreReadOnlyProperties</c> are honoured, and
/// reading skips them (they are not unmapped members).
/// </summary>
public sealed class UnionJsonReadOnlyTests
{
    public static TheoryData<string> Symbols => new() { "MSFT", "ABC" };

    [Theory]
    [MemberData(nameof(Symbols))]
    public void Computed_properties_are_written_as_polymorphic_serialization_writes_them(string symbol)
    {
        var (ours, theirs) = Options(static _ => { });

        var json = JsonSerializer.Serialize<PriceEvent>(new PriceEvent.Quoted(symbol, 10.5m, 11.5m), ours);

        Assert.Equal(JsonSerializer.Serialize<MirrorPrice>(new MirrorPrice.Quoted(symbol, 10.5m, 11.5m), theirs), json);
        Assert.Contains("\"mid\":11", json, StringComparison.Ordinal);
        Assert.DoesNotContain("spread", json, StringComparison.Ordinal);
        Assert.Equal(new PriceEvent.Quoted(symbol, 10.5m, 11.5m), JsonSerializer.Deserialize<PriceEvent>(json, ours));
    }

    [Fact]
    public void IgnoreReadOnlyProperties_and_WhenWritingNull_leave_them_out_as_on_any_object()
    {
        var (ours, theirs) = Options(static o =>
        {
            o.IgnoreReadOnlyProperties = true;
            o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        var (oursNulls, theirsNulls) = Options(static o => o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull);

        Assert.Equal(
            JsonSerializer.Serialize<MirrorPrice>(new MirrorPrice.Quoted("MSFT", 1m, 2m), theirs),
            JsonSerializer.Serialize<PriceEvent>(new PriceEvent.Quoted("MSFT", 1m, 2m), ours));
        Assert.Equal(
            JsonSerializer.Serialize<MirrorPrice>(new MirrorPrice.Quoted("MSFT", 1m, 2m), theirsNulls),
            JsonSerializer.Serialize<PriceEvent>(new PriceEvent.Quoted("MSFT", 1m, 2m), oursNulls));
    }

    [Fact]
    public void Reading_its_own_output_under_UnmappedMemberHandling_Disallow_skips_the_computed_properties()
    {
        var (ours, _) = Options(static o => o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow);
        var json = JsonSerializer.Serialize<PriceEvent>(new PriceEvent.Quoted("ABC", 1m, 3m), ours);

        Assert.Equal(new PriceEvent.Quoted("ABC", 1m, 3m), JsonSerializer.Deserialize<PriceEvent>(json, ours));
    }

    private static (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) Options(Action<JsonSerializerOptions> configure)
    {
        var theirs = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        configure(theirs);
        var ours = new JsonSerializerOptions(theirs);
        ours.Converters.Add(new PriceEventJsonConverter());
        return (ours, theirs);
    }
}
