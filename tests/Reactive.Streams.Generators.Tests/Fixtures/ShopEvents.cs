using System.Text.Json.Serialization;

namespace Reactive.Streams.Generators.Tests.Fixtures;

// Unions that declare their converter where System.Text.Json's source generator sees it, and a context used as is: the
// SDK runs both generators on this project, as on a consumer's.
[EventUnion]
[JsonConverter(typeof(EventUnionConverter<ShopOrder>))]
public abstract partial record ShopOrder
{
    public sealed record Placed(string Id, ShopAddress ShipTo, decimal Total) : ShopOrder;

    public sealed record Cancelled(string Id, string Reason) : ShopOrder;
}

public sealed record ShopAddress(string Street, string City);

[EventUnion]
[JsonConverter(typeof(EventUnionConverter<ShopStatus>))]
public abstract partial record ShopStatus
{
    public sealed record Open : ShopStatus;

    public sealed record Closed : ShopStatus;
}

/// <summary>Unions reached through a property, a collection and nothing else.</summary>
public sealed record ShopSnapshot(string Name, IReadOnlyList<ShopOrder> Orders, ShopStatus Status);

[JsonSerializable(typeof(ShopOrder))]
[JsonSerializable(typeof(ShopAddress))]
[JsonSerializable(typeof(ShopSnapshot))]
public partial class ShopJsonContext : JsonSerializerContext;
