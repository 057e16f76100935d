using Microsoft.CodeAnalysis.Testing;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.JsonContextUnionAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXS0007 on members that carry a <c>[JsonConverter]</c> of their own: System.Text.Json writes such a member with that
/// converter and never looks at the member's type, so a union behind it is not written as <c>{}</c>.
/// </summary>
public sealed class JsonContextUnionMemberConverterTests
{
    private const string Usings = """
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using Reactive.Streams;

        """;

    private static DiagnosticResult Rxs0007(int marker, string path) =>
        Verifier.Diagnostic("RXS0007").WithLocation(marker).WithArguments("Ctx", "Order", " through '" + path + "'").WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);

    [Fact]
    public Task A_member_with_a_converter_of_its_own_is_not_walked() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed class Cart
            {
                [JsonConverter(typeof(EventUnionConverter<Order>))] public Order? Last { get; init; }
                [JsonInclude, JsonConverter(typeof(OrdersConverter))] internal List<Order> All { get; init; } = new();
            }

            public sealed class OrdersConverter : JsonConverter<List<Order>>
            {
                public override List<Order> Read(ref System.Text.Json.Utf8JsonReader reader, System.Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => new();
                public override void Write(System.Text.Json.Utf8JsonWriter writer, List<Order> value, System.Text.Json.JsonSerializerOptions options) => writer.WriteNullValue();
            }

            // A positional record: the constructor's parameter binds to the property, which is read with its converter.
            public sealed record Receipt([property: JsonConverter(typeof(EventUnionConverter<Order>))] Order Current);

            [JsonSerializable(typeof(Cart))]
            [JsonSerializable(typeof(Receipt))]
            public partial class Ctx : JsonSerializerContext;
            """ + JsonContextUnionAnalyzerTests.Union);

    // The converter on one member does not cover another member of the same type, nor a constructor parameter that
    // binds to a member without one.
    [Fact]
    public Task A_member_without_a_converter_beside_one_with_it_is_still_reported() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed class Cart
            {
                [JsonConverter(typeof(EventUnionConverter<Order>))] public Order? Last { get; init; }
                public Order? First { get; init; }
            }

            [{|#0:JsonSerializable(typeof(Cart))|}]
            public partial class Ctx : JsonSerializerContext;
            """ + JsonContextUnionAnalyzerTests.Union,
            Rxs0007(0, "Cart.First"));
}
