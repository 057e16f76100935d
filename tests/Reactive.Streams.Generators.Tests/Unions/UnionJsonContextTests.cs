using System.Text.Json;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// A union that declares <c>[JsonConverter(typeof(EventUnionConverter&lt;T&gt;))]</c> itself, used from a source-generated
/// <c>JsonSerializerContext</c> as is (<c>ShopJsonContext.Default</c>, no options): this project runs System.Text.Json's
/// source generator beside ours, as a consumer's does.
/// </summary>
public sealed class UnionJsonContextTests
{
    public static TheoryData<ShopOrder> Orders => new()
    {
        new ShopOrder.Placed("o-1", new ShopAddress("1 Main St", "Springfield"), 12.50m),
        new ShopOrder.Cancelled("o-2", "out of stock"),
    };

    [Theory]
    [MemberData(nameof(Orders))]
    public void A_context_used_as_is_writes_what_the_generated_converter_writes_and_reads_it_back(ShopOrder order)
    {
        var json = JsonSerializer.Serialize(order, ShopJsonContext.Default.ShopOrder);

        // The same bytes as the generated converter through reflection-based options, and as the attribute through them.
        Assert.Equal(JsonSerializer.Serialize(order, new JsonSerializerOptions { Converters = { new ShopOrderJsonConverter() } }), json);
        Assert.Equal(JsonSerializer.Serialize(order, JsonSerializerOptions.Default), json);
        Assert.StartsWith($$"""{"type":"{{order.WireName}}",""", json, StringComparison.Ordinal);
        Assert.Equal(order, JsonSerializer.Deserialize(json, ShopJsonContext.Default.ShopOrder));
    }

    [Fact]
    public void Unions_reached_through_properties_and_collections_round_trip()
    {
        var snapshot = new ShopSnapshot("north", [new ShopOrder.Cancelled("o-2", "late")], new ShopStatus.Open());

        var json = JsonSerializer.Serialize(snapshot, ShopJsonContext.Default.ShopSnapshot);

        Assert.Equal("""{"Name":"north","Orders":[{"type":"cancelled","id":"o-2","reason":"late"}],"Status":"open"}""", json);
        var back = JsonSerializer.Deserialize(json, ShopJsonContext.Default.ShopSnapshot)!;
        Assert.Equal(snapshot.Orders, back.Orders);
        Assert.Equal(snapshot.Status, back.Status);
    }

    [Fact]
    public void The_factory_hands_out_the_generated_converter()
    {
        var factory = new EventUnionConverter<ShopOrder>();

        Assert.True(factory.CanConvert(typeof(ShopOrder)));
        Assert.False(factory.CanConvert(typeof(ShopOrder.Placed)));
        Assert.IsType<ShopOrderJsonConverter>(factory.CreateConverter(typeof(ShopOrder), JsonSerializerOptions.Default));
        Assert.IsType<ShopStatusJsonConverter>(new EventUnionConverter<ShopStatus>().CreateConverter(typeof(ShopStatus), JsonSerializerOptions.Default));
    }
}
