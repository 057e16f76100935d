using System.Text.Json;
using System.Text.Json.Serialization;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>A source-generated context whose <c>[JsonSourceGenerationOptions]</c> set the options the union follows.</summary>
public sealed class UnionJsonContextOptionsTests
{
    public static TheoryData<ShopOrder> Orders => new()
    {
        new ShopOrder.Placed("o-1", new ShopAddress("1 Main St", "Springfield"), 12.50m),
        new ShopOrder.Cancelled("o-2", "out of stock"),
    };

    [Theory]
    [MemberData(nameof(Orders))]
    public void The_context_s_generation_options_are_followed_as_the_same_options_are_with_reflection(ShopOrder order)
    {
        var reflection = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.KebabCaseUpper,
            NumberHandling = JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString,
            WriteIndented = true,
        };

        var json = JsonSerializer.Serialize(order, ShopKebabJsonContext.Default.ShopOrder);

        Assert.Equal(JsonSerializer.Serialize(order, reflection), json);
        Assert.Contains("\"type\": \"" + order.WireName + "\"", json, StringComparison.Ordinal);
        Assert.Equal(order, JsonSerializer.Deserialize(json, ShopKebabJsonContext.Default.ShopOrder));
    }

    [Fact]
    public void A_property_type_the_context_does_not_list_fails_naming_the_type()
    {
        var order = new ShopOrder.Placed("o-1", new ShopAddress("1 Main St", "Springfield"), 12.50m);

        var error = Assert.Throws<NotSupportedException>(() => JsonSerializer.Serialize<ShopOrder>(order, ShopBareJsonContext.Default.ShopOrder));

        Assert.Contains(typeof(ShopAddress).FullName!, error.Message, StringComparison.Ordinal);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseUpper, NumberHandling = JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString, WriteIndented = true)]
[JsonSerializable(typeof(ShopOrder))]
[JsonSerializable(typeof(ShopAddress))]
public partial class ShopKebabJsonContext : JsonSerializerContext;

[JsonSerializable(typeof(ShopOrder))]
public partial class ShopBareJsonContext : JsonSerializerContext;
