using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Reactive.Streams.Generators.Tests.Unions;

#nullable disable
[EventUnion]
public abstract partial record ObliviousNote
{
    public sealed record Noted(string Note, int Count, List<string> Tags) : ObliviousNote;

    // An attribute the converter ignores: the parser reads this variant from its symbol, the other from its syntax.
    public sealed record Cleared([property: System.ComponentModel.Description("")] string Note) : ObliviousNote;
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Noted), "noted")]
[JsonDerivedType(typeof(Cleared), "cleared")]
public abstract record MirrorObliviousNote
{
    public sealed record Noted(string Note, int Count, List<string> Tags) : MirrorObliviousNote;

    public sealed record Cleared(string Note) : MirrorObliviousNote;
}
#nullable enable

/// <summary>
/// A reference type declared where nullable annotations are disabled says nothing of its nullness: System.Text.Json
/// writes and reads a null there, even under <c>RespectNullableAnnotations</c>, and so does the union's converter.
/// </summary>
public sealed class UnionJsonObliviousTests
{
    public static TheoryData<bool> RespectNullable => new(false, true);

    [Theory]
    [MemberData(nameof(RespectNullable))]
    public void A_null_in_an_oblivious_reference_is_written_and_read_as_STJ_does(bool respectNullable)
    {
        var ours = Options(respectNullable, mirror: false);
        var theirs = Options(respectNullable, mirror: true);

        var written = JsonSerializer.Serialize<ObliviousNote[]>([new ObliviousNote.Noted(null!, 1, null!), new ObliviousNote.Cleared(null!)], ours);
        Assert.Equal(JsonSerializer.Serialize<MirrorObliviousNote[]>([new MirrorObliviousNote.Noted(null!, 1, null!), new MirrorObliviousNote.Cleared(null!)], theirs), written);
        Assert.Equal("""[{"type":"noted","note":null,"count":1,"tags":null},{"type":"cleared","note":null}]""", written);

        // Its own output reads back, as the mirror reads it.
        Assert.NotNull(JsonSerializer.Deserialize<MirrorObliviousNote[]>(written, theirs));
        var read = JsonSerializer.Deserialize<ObliviousNote[]>(written, ours);
        Assert.Equal([new ObliviousNote.Noted(null!, 1, null!), new ObliviousNote.Cleared(null!)], read!);
    }

    [Fact]
    public void An_absent_oblivious_reference_reads_as_null_as_STJ_reads_it()
    {
        const string Json = """{"type":"noted","count":2}""";

        var mirror = Assert.IsType<MirrorObliviousNote.Noted>(JsonSerializer.Deserialize<MirrorObliviousNote>(Json, Options(false, mirror: true)));
        var read = Assert.IsType<ObliviousNote.Noted>(JsonSerializer.Deserialize<ObliviousNote>(Json, Options(false, mirror: false)));
        Assert.Equal((mirror.Note, mirror.Count, mirror.Tags), (read.Note, read.Count, read.Tags));
    }

    private static JsonSerializerOptions Options(bool respectNullable, bool mirror) => new()
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        RespectNullableAnnotations = respectNullable,

        // Without a policy the union writes snake_case; the mirror gets it as its policy.
        PropertyNamingPolicy = mirror ? JsonNamingPolicy.SnakeCaseLower : null,
    };
}
