using System.Text.Json.Serialization;

namespace Reactive.Streams.Generators.Tests.Fixtures;

public enum ParcelSize
{
    Small,
    Large,
}

/// <summary>A union whose variants have optional parameters: an absent value reads as the declared default.</summary>
[EventUnion]
public abstract partial record ParcelEvent
{
    public sealed record Packed(
        string Id,
        int Boxes = 1,
        string Carrier = "post",
        ParcelSize Size = ParcelSize.Large,
        decimal Weight = 2.50m,
        int? Priority = 3,
        string? Note = null,
        double Ratio = -0.25,
        long Limit = long.MinValue) : ParcelEvent;

    public sealed record Lost(string Id, DateTimeOffset At = default) : ParcelEvent;
}

/// <summary>The fixture's <see cref="ParcelEvent"/> as System.Text.Json's own polymorphism declares it.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Packed), "packed")]
[JsonDerivedType(typeof(Lost), "lost")]
public abstract record MirrorParcel
{
    public sealed record Packed(
        string Id,
        int Boxes = 1,
        string Carrier = "post",
        ParcelSize Size = ParcelSize.Large,
        decimal Weight = 2.50m,
        int? Priority = 3,
        string? Note = null,
        double Ratio = -0.25,
        long Limit = long.MinValue) : MirrorParcel;

    public sealed record Lost(string Id, DateTimeOffset At = default) : MirrorParcel;
}
