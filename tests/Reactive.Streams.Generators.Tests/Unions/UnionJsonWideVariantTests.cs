using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>A variant with more positional parameters than the 64 bits the converter tracks them in.</summary>
[EventUnion]
public abstract partial record Wide
{
    public sealed record Many(int P0, int P1, int P2, int P3, int P4, int P5, int P6, int P7, int P8, int P9, int P10, int P11, int P12, int P13, int P14, int P15, int P16, int P17, int P18, int P19, int P20, int P21, int P22, int P23, int P24, int P25, int P26, int P27, int P28, int P29, int P30, int P31, int P32, int P33, int P34, int P35, int P36, int P37, int P38, int P39, int P40, int P41, int P42, int P43, int P44, int P45, int P46, int P47, int P48, int P49, int P50, int P51, int P52, int P53, int P54, int P55, int P56, int P57, int P58, int P59, int P60, int P61, int P62, int P63, int P64, int P65, int P66, int P67, int P68, int P69) : Wide;
}

/// <summary>The twin of <see cref="Wide"/>.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Many), "many")]
public abstract record MirrorWide
{
    public sealed record Many(int P0, int P1, int P2, int P3, int P4, int P5, int P6, int P7, int P8, int P9, int P10, int P11, int P12, int P13, int P14, int P15, int P16, int P17, int P18, int P19, int P20, int P21, int P22, int P23, int P24, int P25, int P26, int P27, int P28, int P29, int P30, int P31, int P32, int P33, int P34, int P35, int P36, int P37, int P38, int P39, int P40, int P41, int P42, int P43, int P44, int P45, int P46, int P47, int P48, int P49, int P50, int P51, int P52, int P53, int P54, int P55, int P56, int P57, int P58, int P59, int P60, int P61, int P62, int P63, int P64, int P65, int P66, int P67, int P68, int P69) : MirrorWide;
}

/// <summary>
/// A variant of 70 properties (the converter marks the ones it has read in a 64-bit mask, and in an array beyond it):
/// written, read, a duplicate and a missing property on either side of the 64th, as its <c>[JsonPolymorphic]</c> twin.
/// </summary>
public sealed class UnionJsonWideVariantTests
{
    private static readonly int[] s_values = Enumerable.Range(0, 70).Select(static i => (i * 7) - 100).ToArray();

    private static JsonSerializerOptions Options(Action<JsonSerializerOptions>? configure = null)
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        configure?.Invoke(options);
        return options;
    }

    private static string Read<T>(string json, JsonSerializerOptions options)
    {
        try
        {
            return "OK " + JsonSerializer.Serialize(JsonSerializer.Deserialize<T>(json, options), options);
        }
        catch (JsonException e)
        {
            return "JsonException " + e.LineNumber + ":" + e.BytePositionInLine;
        }
    }

    [Fact]
    public void Is_written_and_read_as_the_twin_writes_and_reads_it()
    {
        var options = Options();
        var ours = (Wide)Activator.CreateInstance(typeof(Wide.Many), s_values.Cast<object>().ToArray())!;
        var theirs = (MirrorWide)Activator.CreateInstance(typeof(MirrorWide.Many), s_values.Cast<object>().ToArray())!;

        var json = JsonSerializer.Serialize(ours, options);

        Assert.Equal(JsonSerializer.Serialize(theirs, options), json);
        Assert.Equal(ours, JsonSerializer.Deserialize<Wide>(json, options));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(69)]
    public void A_property_twice_or_missing_reads_as_the_twin_reads_it(int index)
    {
        var options = Options(static o => o.AllowDuplicateProperties = false);
        var required = Options(static o => o.RespectRequiredConstructorParameters = true);
        var json = JsonSerializer.Serialize((MirrorWide)Activator.CreateInstance(typeof(MirrorWide.Many), s_values.Cast<object>().ToArray())!, options);
        var twice = json[..^1] + ",\"p" + index + "\":5}";
        var missing = json.Replace(",\"p" + index + "\":" + s_values[index], string.Empty, StringComparison.Ordinal);

        Assert.Equal(Read<MirrorWide>(twice, options), Read<Wide>(twice, options));
        Assert.Equal(Read<MirrorWide>(twice, Options()), Read<Wide>(twice, Options()));
        Assert.Equal(Read<MirrorWide>(missing, required), Read<Wide>(missing, required));
        Assert.Equal(Read<MirrorWide>(missing, Options()), Read<Wide>(missing, Options()));
    }
}
