using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Reactive.Streams.Generators.Tests.Unions;

[EventUnion]
public abstract partial record Folder
{
    public sealed record Holder(string Name, List<Folder> Items) : Folder;

    public sealed record Linked(string Name, Shelf Shelf) : Folder;
}

public sealed class Shelf
{
    public Folder? Back { get; set; }
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Holder), "holder")]
[JsonDerivedType(typeof(Linked), "linked")]
public abstract record MirrorFolder
{
    public sealed record Holder(string Name, List<MirrorFolder> Items) : MirrorFolder;

    public sealed record Linked(string Name, MirrorShelf Shelf) : MirrorFolder;
}

public sealed class MirrorShelf
{
    public MirrorFolder? Back { get; set; }
}

/// <summary>
/// <c>ReferenceHandler.IgnoreCycles</c> on a cycle that runs through the union (a variant's mutable list or object holding
/// the variant again): System.Text.Json writes null where it meets an object it is already writing, and the same object
/// met again beside itself (not inside itself) in full.
/// </summary>
public sealed class UnionJsonCycleTests
{
    private static (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) Options()
    {
        var theirs = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
            ReferenceHandler = ReferenceHandler.IgnoreCycles,
        };
        return (new JsonSerializerOptions(theirs), theirs);
    }

    [Fact]
    public void A_variant_inside_itself_is_written_as_null_as_STJ_writes_it()
    {
        var (ours, theirs) = Options();
        var item = new Folder.Holder("h", []);
        item.Items.Add(item);
        item.Items.Add(new Folder.Holder("inner", [item]));
        var mirror = new MirrorFolder.Holder("h", []);
        mirror.Items.Add(mirror);
        mirror.Items.Add(new MirrorFolder.Holder("inner", [mirror]));

        var json = JsonSerializer.Serialize<Folder>(item, ours);

        Assert.Equal(JsonSerializer.Serialize<MirrorFolder>(mirror, theirs), json);
        Assert.Equal("""{"type":"holder","name":"h","items":[null,{"type":"holder","name":"inner","items":[null]}]}""", json);
    }

    [Fact]
    public void A_cycle_through_an_object_of_a_variant_is_written_as_STJ_writes_it()
    {
        var (ours, theirs) = Options();
        var shelf = new Shelf();
        var item = new Folder.Linked("l", shelf);
        shelf.Back = item;
        var mirrorShelf = new MirrorShelf();
        var mirror = new MirrorFolder.Linked("l", mirrorShelf);
        mirrorShelf.Back = mirror;

        Assert.Equal(JsonSerializer.Serialize<MirrorFolder>(mirror, theirs), JsonSerializer.Serialize<Folder>(item, ours));
        Assert.Equal(JsonSerializer.Serialize(new List<MirrorFolder> { mirror, mirror }, theirs), JsonSerializer.Serialize(new List<Folder> { item, item }, ours));
    }

    [Fact]
    public void The_same_variant_twice_beside_itself_is_written_in_full_twice()
    {
        var (ours, theirs) = Options();
        var leaf = new Folder.Holder("leaf", []);
        var mirrorLeaf = new MirrorFolder.Holder("leaf", []);

        var json = JsonSerializer.Serialize<Folder>(new Folder.Holder("h", [leaf, leaf]), ours);

        Assert.Equal(JsonSerializer.Serialize<MirrorFolder>(new MirrorFolder.Holder("h", [mirrorLeaf, mirrorLeaf]), theirs), json);
    }
}
