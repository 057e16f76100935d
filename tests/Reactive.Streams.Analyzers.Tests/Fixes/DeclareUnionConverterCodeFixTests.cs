using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.JsonContextUnionAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

public sealed class DeclareUnionConverterCodeFixTests
{
    [Fact]
    public Task The_fix_declares_the_converter_on_the_union_in_its_own_file_with_the_using_it_needs() =>
        Verifier.CodeFixWithGeneratorAsync<DeclareUnionConverterCodeFix>(
            [
                """
                using System.Collections.Generic;
                using System.Text.Json.Serialization;
                using Shop;

                [{|#0:JsonSerializable(typeof(Order))|}]
                [{|#1:JsonSerializable(typeof(List<Order>))|}]
                public partial class Ctx : JsonSerializerContext;
                """,
                """
                using Reactive.Streams;

                namespace Shop;

                /// <summary>Orders.</summary>
                [EventUnion]
                public abstract partial record {|#2:Order|}
                {
                    public sealed record Placed(string Id) : Order;
                }
                """,
            ],
            [
                """
                using System.Collections.Generic;
                using System.Text.Json.Serialization;
                using Shop;

                [JsonSerializable(typeof(Order))]
                [JsonSerializable(typeof(List<Order>))]
                public partial class Ctx : JsonSerializerContext;
                """,
                """
                using System.Text.Json.Serialization;
                using Reactive.Streams;

                namespace Shop;

                /// <summary>Orders.</summary>
                [EventUnion]
                [JsonConverter(typeof(EventUnionConverter<Order>))]
                public abstract partial record Order
                {
                    public sealed record Placed(string Id) : Order;
                }
                """,
            ],
            Verifier.Diagnostic("RXS0007").WithLocation(0).WithLocation(2).WithArguments("Ctx", "Order", ""),
            Verifier.Diagnostic("RXS0007").WithLocation(1).WithLocation(2).WithArguments("Ctx", "Order", ""));
}
