using Microsoft.CodeAnalysis.Testing;
using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using ConverterVerifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.JsonContextUnionAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>RXS0007's fix on the trivia users have: a comment after the union's attributes, usings inside the namespace.</summary>
public sealed class DeclareUnionConverterTriviaTests
{
    [Fact]
    public Task The_converter_attribute_does_not_copy_a_comment_that_follows_the_last_attribute() =>
        ConverterVerifier.CodeFixWithGeneratorAsync<DeclareUnionConverterCodeFix>(
            [
                """
                using System.Text.Json.Serialization;
                using Shop;

                [{|#0:JsonSerializable(typeof(Order))|}]
                public partial class Ctx : JsonSerializerContext;
                """,
                """
                using Reactive.Streams;

                namespace Shop;

                [EventUnion] // the order family
                public abstract partial record {|#1:Order|}
                {
                    public sealed record Placed(string Id) : Order;
                }
                """,
            ],
            [
                """
                using System.Text.Json.Serialization;
                using Shop;

                [JsonSerializable(typeof(Order))]
                public partial class Ctx : JsonSerializerContext;
                """,
                """
                using System.Text.Json.Serialization;
                using Reactive.Streams;

                namespace Shop;

                [EventUnion] // the order family
                [JsonConverter(typeof(EventUnionConverter<Order>))]
                public abstract partial record Order
                {
                    public sealed record Placed(string Id) : Order;
                }
                """,
            ],
            ConverterVerifier.Diagnostic("RXS0007").WithLocation(0).WithLocation(1).WithArguments("Ctx", "Order", ""));

    [Fact]
    public Task The_converter_using_goes_beside_the_usings_inside_the_namespace() =>
        ConverterVerifier.CodeFixWithGeneratorAsync<DeclareUnionConverterCodeFix>(
            [
                """
                using System.Text.Json.Serialization;
                using Shop;

                [{|#0:JsonSerializable(typeof(Order))|}]
                public partial class Ctx : JsonSerializerContext;
                """,
                """
                // Orders.
                namespace Shop
                {
                    using Reactive.Streams;

                    [EventUnion]
                    public abstract partial record {|#1:Order|}
                    {
                        public sealed record Placed(string Id) : Order;
                    }
                }
                """,
            ],
            [
                """
                using System.Text.Json.Serialization;
                using Shop;

                [JsonSerializable(typeof(Order))]
                public partial class Ctx : JsonSerializerContext;
                """,
                """
                // Orders.
                namespace Shop
                {
                    using System.Text.Json.Serialization;
                    using Reactive.Streams;

                    [EventUnion]
                    [JsonConverter(typeof(EventUnionConverter<Order>))]
                    public abstract partial record Order
                    {
                        public sealed record Placed(string Id) : Order;
                    }
                }
                """,
            ],
            ConverterVerifier.Diagnostic("RXS0007").WithLocation(0).WithLocation(1).WithArguments("Ctx", "Order", ""));

    // With IDE0005 as a warning (a common .editorconfig), a using that a global using already gives would fail the build.
    [Fact]
    public Task The_fix_adds_no_using_that_a_global_using_already_gives() =>
        ConverterVerifier.CodeFixWithGeneratorAsync<DeclareUnionConverterCodeFix>(
            [
                """
                global using System.Text.Json.Serialization;
                global using Reactive.Streams;

                [{|#0:JsonSerializable(typeof(Shop.Order))|}]
                public partial class Ctx : JsonSerializerContext;
                """,
                """
                namespace Shop;

                [EventUnion]
                public abstract partial record {|#1:Order|}
                {
                    public sealed record Placed(string Id) : Order;
                }
                """,
            ],
            [
                """
                global using System.Text.Json.Serialization;
                global using Reactive.Streams;

                [JsonSerializable(typeof(Shop.Order))]
                public partial class Ctx : JsonSerializerContext;
                """,
                """
                namespace Shop;

                [EventUnion]
                [JsonConverter(typeof(EventUnionConverter<Order>))]
                public abstract partial record Order
                {
                    public sealed record Placed(string Id) : Order;
                }
                """,
            ],
            ConverterVerifier.Diagnostic("RXS0007").WithLocation(0).WithLocation(1).WithArguments("Ctx", "Order", ""));

    // The union names its generated converter, which System.Text.Json's generator cannot see: the rule reports it, and
    // a second [JsonConverter] beside it would not compile (CS0579, the attribute allows one), so the fix replaces it.
    [Fact]
    public Task The_fix_replaces_a_JsonConverter_that_names_the_generated_converter() =>
        ConverterVerifier.CodeFixWithGeneratorAsync<DeclareUnionConverterCodeFix>(
            [
                """
                using System.Text.Json.Serialization;
                using Shop;

                [{|#0:JsonSerializable(typeof(Order))|}]
                public partial class Ctx : JsonSerializerContext;
                """,
                """
                using System.Text.Json.Serialization;
                using Reactive.Streams;

                namespace Shop;

                [EventUnion]
                [JsonConverter(typeof(OrderJsonConverter))] // ours
                public abstract partial record {|#1:Order|}
                {
                    public sealed record Placed(string Id) : Order;
                }
                """,
            ],
            [
                """
                using System.Text.Json.Serialization;
                using Shop;

                [JsonSerializable(typeof(Order))]
                public partial class Ctx : JsonSerializerContext;
                """,
                """
                using System.Text.Json.Serialization;
                using Reactive.Streams;

                namespace Shop;

                [EventUnion]
                [JsonConverter(typeof(EventUnionConverter<Order>))] // ours
                public abstract partial record Order
                {
                    public sealed record Placed(string Id) : Order;
                }
                """,
            ],
            [
                ConverterVerifier.Diagnostic("RXS0007").WithLocation(0).WithLocation(1).WithArguments("Ctx", "Order", ""),

                // System.Text.Json's generator says so too, before the fix: it cannot see the generated converter.
                DiagnosticResult.CompilerWarning("SYSLIB1030").WithSpan("/0/Test0.cs", 4, 2, 4, 33).WithArguments("Shop.Order"),
                DiagnosticResult.CompilerWarning("SYSLIB1220").WithSpan("/0/Test1.cs", 7, 2, 7, 43).WithArguments("OrderJsonConverter", "Shop.Order"),
            ],
            fixedExpected: []);

    // The same [JsonConverter] on another part of the union: the fix edits the part with [EventUnion], where an added
    // attribute would be the union's second [JsonConverter] (CS0579), so it offers nothing.
    [Fact]
    public Task No_fix_is_offered_when_another_part_of_the_union_declares_a_JsonConverter()
    {
        string[] sources =
        [
            """
            using System.Text.Json.Serialization;
            using Reactive.Streams;

            [JsonSerializable(typeof(Order))]
            public partial class Ctx : JsonSerializerContext;

            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
            }

            [JsonConverter(typeof(OrderJsonConverter))]
            public abstract partial record Order;
            """,
        ];
        DiagnosticResult[] diagnostics =
        [
            ConverterVerifier.Diagnostic("RXS0007").WithSpan("/0/Test0.cs", 4, 2, 4, 33).WithSpan("/0/Test0.cs", 8, 32, 8, 37).WithArguments("Ctx", "Order", ""),
            DiagnosticResult.CompilerWarning("SYSLIB1030").WithSpan("/0/Test0.cs", 4, 2, 4, 33).WithArguments("Order"),
            DiagnosticResult.CompilerWarning("SYSLIB1220").WithSpan("/0/Test0.cs", 13, 2, 13, 43).WithArguments("OrderJsonConverter", "Order"),
        ];
        return ConverterVerifier.CodeFixWithGeneratorAsync<DeclareUnionConverterCodeFix>(sources, sources, diagnostics, diagnostics);
    }
}
