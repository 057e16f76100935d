using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.JsonContextUnionAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>RXS0007, with the event union generator running: the [JsonConverter] it adds in generated code does not count.</summary>
public sealed class JsonContextUnionAnalyzerTests
{
    internal const string Union = """

        [EventUnion]
        public abstract partial record Order
        {
            public sealed record Placed(string Id, Address ShipTo) : Order;
            public sealed record Cancelled(string Id, string Reason) : Order;
        }

        public sealed record Address(string Street, string City);
        """;

    private const string Usings = """
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using Reactive.Streams;

        """;

    // Reported on the [JsonSerializable] attribute; the union's declaration (where the fix goes) is checked once below.
    private static DiagnosticResult Rxs0007(int marker, string path) =>
        Verifier.Diagnostic("RXS0007").WithLocation(marker).WithArguments("Ctx", "Order", path).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);

    [Fact]
    public Task A_union_listed_directly_is_reported_on_the_attribute_with_the_union_declaration_as_additional_location() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            [{|#0:JsonSerializable(typeof(Order))|}]
            [JsonSerializable(typeof(Address))]
            public partial class Ctx : JsonSerializerContext;

            public sealed record Address(string Street, string City);

            [EventUnion]
            public abstract partial record {|#1:Order|}
            {
                public sealed record Placed(string Id, Address ShipTo) : Order;
            }

            public abstract partial record Order
            {
            }
            """,
            Verifier.Diagnostic("RXS0007").WithLocation(0).WithLocation(1).WithArguments("Ctx", "Order", "")
                .WithMessage("'Ctx' reaches event union 'Order', whose generated converter System.Text.Json's source generator cannot see: the context would write it as {} and could not read it. Declare [JsonConverter(typeof(EventUnionConverter<Order>))] on 'Order'."));

    [Fact]
    public Task A_union_reached_through_a_property_or_a_collection_is_reported_with_its_path() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed record Shop(string Name, Order? Last);
            public sealed class Ledger
            {
                public IReadOnlyList<Order> Orders { get; init; } = [];
            }

            [{|#0:JsonSerializable(typeof(Shop))|}]
            [{|#1:JsonSerializable(typeof(Ledger))|}]
            [{|#2:JsonSerializable(typeof(List<Order>))|}]
            [{|#3:JsonSerializable(typeof(Order[]))|}]
            [{|#4:JsonSerializable(typeof(Dictionary<string, Shop>))|}]
            public partial class Ctx : JsonSerializerContext;
            """ + Union,
            Rxs0007(0, " through 'Shop.Last'"),
            Rxs0007(1, " through 'Ledger.Orders'"),
            Rxs0007(2, ""),
            Rxs0007(3, ""),
            Rxs0007(4, " through 'Shop.Last'"));

    [Fact]
    public Task A_union_reached_through_a_constructor_parameter_only_is_reported() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed class Command
            {
                public Command(Order order) => Id = order.ToString();
                public string Id { get; }
            }

            [{|#0:JsonSerializable(typeof(Command))|}]
            public partial class Ctx : JsonSerializerContext;
            """ + Union,
            Rxs0007(0, " through 'Command(order)'"));

    [Fact]
    public Task A_union_that_declares_EventUnionConverter_is_not_reported() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed record Shop(string Name, List<Order> Orders);

            [JsonSerializable(typeof(Order))]
            [JsonSerializable(typeof(Shop))]
            public partial class Ctx : JsonSerializerContext;

            [EventUnion]
            [JsonConverter(typeof(EventUnionConverter<Order>))]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
                public sealed record Cancelled(string Id, string Reason) : Order;
            }
            """);

    [Fact]
    public Task Types_that_reach_no_union_and_members_System_Text_Json_skips_are_not_reported() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed class Quiet
            {
                [JsonIgnore] public Order? Last { get; init; }
                internal Order? Hidden { get; init; }
                public static Order? Shared { get; set; }
            }

            [JsonConverter(typeof(CustomConverter))]
            public sealed class Custom
            {
                public Order? Last { get; init; }
            }

            public sealed class CustomConverter : JsonConverter<Custom>
            {
                public override Custom Read(ref System.Text.Json.Utf8JsonReader reader, System.Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => new();
                public override void Write(System.Text.Json.Utf8JsonWriter writer, Custom value, System.Text.Json.JsonSerializerOptions options) => writer.WriteNullValue();
            }

            [JsonSerializable(typeof(Address))]
            [JsonSerializable(typeof(Quiet))]
            [JsonSerializable(typeof(Custom))]
            [JsonSerializable(typeof(List<string>))]
            public partial class Ctx : JsonSerializerContext;
            """ + Union);

    // System.Text.Json's generator instantiates the options' converters and asks them before it looks at a type's members.
    [Fact]
    public Task A_union_whose_converter_the_context_options_list_is_not_reported() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed record Shop(string Name, List<Order> Orders);

            [JsonSourceGenerationOptions(Converters = new[] { typeof(EventUnionConverter<Order>) })]
            [JsonSerializable(typeof(Order))]
            [JsonSerializable(typeof(Shop))]
            public partial class Ctx : JsonSerializerContext;

            [JsonSourceGenerationOptions(Converters = new[] { typeof(OrderConverter) })]
            [JsonSerializable(typeof(Order))]
            public partial class Own : JsonSerializerContext;

            [JsonSourceGenerationOptions(Converters = new[] { typeof(ShopConverter) })]
            [JsonSerializable(typeof(Shop))]
            public partial class ShopOnly : JsonSerializerContext;

            public sealed class OrderConverter : JsonConverter<Order>
            {
                public override Order Read(ref System.Text.Json.Utf8JsonReader reader, System.Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => new Order.Placed("");
                public override void Write(System.Text.Json.Utf8JsonWriter writer, Order value, System.Text.Json.JsonSerializerOptions options) => writer.WriteNullValue();
            }

            public sealed class ShopConverter : JsonConverter<Shop>
            {
                public override Shop Read(ref System.Text.Json.Utf8JsonReader reader, System.Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => new("", []);
                public override void Write(System.Text.Json.Utf8JsonWriter writer, Shop value, System.Text.Json.JsonSerializerOptions options) => writer.WriteNullValue();
            }

            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
            }
            """);

    // The generated converter is invisible to System.Text.Json (SYSLIB1220 when its generator runs), another union's
    // converter covers that union only, and a factory of the user's could convert anything: none of them counts.
    [Fact]
    public Task A_union_the_context_options_do_not_cover_is_still_reported() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            [{|#2:JsonSourceGenerationOptions(Converters = new[] { typeof(OrderJsonConverter) })|}]
            [{|#0:JsonSerializable(typeof(Order))|}]
            public partial class Ctx : JsonSerializerContext;

            [JsonSourceGenerationOptions(Converters = new[] { typeof(EventUnionConverter<Refund>), typeof(AnyFactory) })]
            [{|#1:JsonSerializable(typeof(Order))|}]
            [JsonSerializable(typeof(Refund))]
            public partial class Other : JsonSerializerContext;

            public sealed class AnyFactory : JsonConverterFactory
            {
                public override bool CanConvert(System.Type typeToConvert) => false;
                public override JsonConverter? CreateConverter(System.Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => null;
            }

            [EventUnion]
            public abstract partial record Refund
            {
                public sealed record Issued(string Id) : Refund;
            }
            """ + Union,
            Rxs0007(0, ""),
            Verifier.Diagnostic("RXS0007").WithLocation(1).WithArguments("Other", "Order", "").WithOptions(DiagnosticOptions.IgnoreAdditionalLocations),
            new DiagnosticResult("SYSLIB1220", DiagnosticSeverity.Warning).WithLocation(2).WithArguments("OrderJsonConverter", "Ctx"));

    [Fact]
    public Task A_JsonSerializable_outside_a_context_is_not_reported() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            [JsonSerializable(typeof(Order))]
            public partial class {|#0:NotAContext|};
            """ + Union,
            new DiagnosticResult("SYSLIB1224", DiagnosticSeverity.Warning).WithLocation(0).WithArguments("NotAContext"));
}
