using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Reactive.Streams.Generators.Tests.Unions;

[EventUnion]
public abstract partial record NestedInner
{
    public sealed record Leaf(int Value) : NestedInner;

    public sealed record Pair(string Left, string Right) : NestedInner;
}

[EventUnion]
public abstract partial record NestedOuter
{
    public sealed record Holds(NestedInner Inner, List<NestedInner> Many, NestedInner? Maybe, Dictionary<string, NestedInner> ByKey) : NestedOuter;

    public sealed record Scalars(NestedOuter? Next, char Letter, DateOnly Day, TimeOnly Time, byte[] Bytes, Uri Link, sbyte Small, Half Ratio, Int128 Big, object? Any) : NestedOuter;
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Leaf), "leaf")]
[JsonDerivedType(typeof(Pair), "pair")]
public abstract record MirrorNestedInner
{
    public sealed record Leaf(int Value) : MirrorNestedInner;

    public sealed record Pair(string Left, string Right) : MirrorNestedInner;
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Holds), "holds")]
[JsonDerivedType(typeof(Scalars), "scalars")]
public abstract record MirrorNestedOuter
{
    public sealed record Holds(MirrorNestedInner Inner, List<MirrorNestedInner> Many, MirrorNestedInner? Maybe, Dictionary<string, MirrorNestedInner> ByKey) : MirrorNestedOuter;

    public sealed record Scalars(MirrorNestedOuter? Next, char Letter, DateOnly Day, TimeOnly Time, byte[] Bytes, Uri Link, sbyte Small, Half Ratio, Int128 Big, object? Any) : MirrorNestedOuter;
}

/// <summary>
/// Unions inside unions (as a property, in a list, in a dictionary, nullable, recursive) and property types outside the
/// converter's direct scalars (read and written through the options' type info) are written as System.Text.Json writes
/// the same hierarchy under <c>[JsonPolymorphic]</c>, and read back to the same bytes.
/// </summary>
public sealed class UnionJsonNestedTests
{
    public static TheoryData<string> OptionSets => new("default", "numbers as strings", "when writing default", "camelCase");

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void A_union_inside_a_union_is_written_and_read_as_STJ_does(string optionSet)
    {
        NestedOuter ours = new NestedOuter.Holds(new NestedInner.Leaf(1), [new NestedInner.Pair("a", "b"), new NestedInner.Leaf(0)], null, new() { ["k"] = new NestedInner.Leaf(3) });
        MirrorNestedOuter theirs = new MirrorNestedOuter.Holds(new MirrorNestedInner.Leaf(1), [new MirrorNestedInner.Pair("a", "b"), new MirrorNestedInner.Leaf(0)], null, new() { ["k"] = new MirrorNestedInner.Leaf(3) });

        AssertSameAsMirror(ours, theirs, optionSet);
    }

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void Property_types_read_through_the_options_are_written_and_read_as_STJ_does(string optionSet)
    {
        NestedOuter ours = new NestedOuter.Scalars(
            new NestedOuter.Scalars(null, 'q', default, default, [], new Uri("http://x/"), 0, default, 0, null),
            'é', new DateOnly(2020, 1, 2), new TimeOnly(3, 4), [1, 2, 3], new Uri("http://a/b?c=d"), -5, (Half)1.5, Int128.MaxValue, 42);
        MirrorNestedOuter theirs = new MirrorNestedOuter.Scalars(
            new MirrorNestedOuter.Scalars(null, 'q', default, default, [], new Uri("http://x/"), 0, default, 0, null),
            'é', new DateOnly(2020, 1, 2), new TimeOnly(3, 4), [1, 2, 3], new Uri("http://a/b?c=d"), -5, (Half)1.5, Int128.MaxValue, 42);

        AssertSameAsMirror(ours, theirs, optionSet);
    }

    private static void AssertSameAsMirror(NestedOuter ours, MirrorNestedOuter theirs, string optionSet)
    {
        var written = JsonSerializer.Serialize(ours, Options(optionSet, mirror: false));

        Assert.Equal(JsonSerializer.Serialize(theirs, Options(optionSet, mirror: true)), written);
        var read = JsonSerializer.Deserialize<NestedOuter>(written, Options(optionSet, mirror: false));
        Assert.Equal(written, JsonSerializer.Serialize(read, Options(optionSet, mirror: false)));
    }

    private static JsonSerializerOptions Options(string optionSet, bool mirror)
    {
        var options = new JsonSerializerOptions
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),

            // Without a policy the union writes snake_case; the mirror gets it as its policy.
            PropertyNamingPolicy = optionSet == "camelCase" ? JsonNamingPolicy.CamelCase : mirror ? JsonNamingPolicy.SnakeCaseLower : null,
        };
        if (optionSet == "numbers as strings")
        {
            options.NumberHandling = JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString;
        }
        else if (optionSet == "when writing default")
        {
            options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault;
        }

        return options;
    }
}
