using System.Text.Json.Serialization;

namespace Reactive.Streams.Generators.Tests.Fixtures;

/// <summary>A union whose variant has computed properties, which System.Text.Json writes on any object.</summary>
[EventUnion]
public abstract partial record PriceEvent
{
    public sealed record Quoted(string Symbol, decimal Bid, decimal Ask) : PriceEvent
    {
        public decimal Mid => (Bid + Ask) / 2;

        [JsonIgnore]
        public decimal Spread => Ask - Bid;

        public string? Venue => Symbol.Length > 3 ? null : "xnas";
    }

    public sealed record Halted(string Symbol) : PriceEvent;
}

/// <summary><see cref="PriceEvent"/> as System.Text.Json's own polymorphism declares it.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Quoted), "quoted")]
[JsonDerivedType(typeof(Halted), "halted")]
public abstract record MirrorPrice
{
    public sealed record Quoted(string Symbol, decimal Bid, decimal Ask) : MirrorPrice
    {
        public decimal Mid => (Bid + Ask) / 2;

        [JsonIgnore]
        public decimal Spread => Ask - Bid;

        public string? Venue => Symbol.Length > 3 ? null : "xnas";
    }

    public sealed record Halted(string Symbol) : MirrorPrice;
}
