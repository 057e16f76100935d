using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// Names the generated code needs (RXS1006): each is a diagnostic on the user's name, nothing is generated for that
/// union, and the compilation holds no error in generated code; the same union with the name changed generates and compiles.
/// </summary>
public sealed class UnionNameTests
{
    [Theory]
    [InlineData("public sealed record @class(int X) : Order;", "class", "is a C# keyword")]
    [InlineData("public sealed record @event(int X) : Order;", "event", "is a C# keyword")]
    [InlineData("public sealed record Kind(int X) : Order;", "Kind", "member or type parameter the generator adds")]
    [InlineData("public sealed record Match(int X) : Order;", "Match", "member or type parameter the generator adds")]
    [InlineData("public sealed record Switch(int X) : Order;", "Switch", "member or type parameter the generator adds")]
    [InlineData("public sealed record WireName(int X) : Order;", "WireName", "member or type parameter the generator adds")]
    [InlineData("public sealed record TResult(int X) : Order;", "TResult", "member or type parameter the generator adds")]
    [InlineData("public sealed record _(int X) : Order;", "_", "is the discard in the patterns")]
    [InlineData("public sealed record __item(int X) : Order; public sealed record Done : Order;", "__item", "the variable the generated members' patterns bind")]

    [InlineData("public sealed record Shipped(int X, int Kind) : Order;", "Shipped.Kind", "positional property named like the 'Kind'")]
    [InlineData("public sealed record Shipped(int X, string WireName) : Order;", "Shipped.WireName", "positional property named like the 'WireName'")]
    [InlineData("public sealed record Shipped(int X, string Type) : Order;", "Shipped.Type", "\"type\", the name of the discriminator")]
    [InlineData("public sealed record Shipped(int X, [property: System.Text.Json.Serialization.JsonPropertyName(\"type\")] string Carrier) : Order;", "Shipped.Carrier", "\"type\", the name of the discriminator")]
    [InlineData("[WireName(\"\")] public sealed record Shipped(int X) : Order;", "Shipped", "has a [WireName] that is null or empty")]
    [InlineData("[WireName(null!)] public sealed record Shipped(int X) : Order;", "Shipped", "has a [WireName] that is null or empty")]
    [InlineData("[WireName(\"\")] public sealed record Shipped : Order;", "Shipped", "has a [WireName] that is null or empty")]
    public void A_name_the_generated_code_needs_is_reported_and_nothing_that_fails_to_compile_is_generated(string variant, string name, string reason)
    {
        var run = TestCompilation.Run(Union(variant));

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1006", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.StartsWith($"'{name}' in event union 'Order' ", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains(reason, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    // C# refuses these itself (CS0102: the record already has the method); the generator says why too, and adds no
    // generated code whose errors (its patterns bound the name to the method) would bury the user's.
    [Theory]
    [InlineData("public sealed record ToString(int X) : Order;", "ToString")]
    [InlineData("public sealed record Equals : Order; public sealed record Other2 : Order;", "Equals")]
    [InlineData("public sealed record GetHashCode(int X) : Order;", "GetHashCode")]
    [InlineData("public sealed record PrintMembers(int X) : Order;", "PrintMembers")]
    public void A_variant_named_like_a_method_every_record_has_is_reported_and_generates_nothing(string variant, string name)
    {
        var run = TestCompilation.Run(Union(variant));

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1006", diagnostic.Id);
        Assert.StartsWith($"'{name}' in event union 'Order' is the name of a method every record union has", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void A_variant_named_like_a_method_the_union_inherits_from_a_base_record_is_reported()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop;
            public abstract record Audited
            {
                public string Describe() => "audited";
            }
            [EventUnion]
            public abstract partial record Order : Audited
            {
                public sealed record Placed(int X) : Order;
                public sealed record Describe(int X) : Order;
            }
            """);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1006", diagnostic.Id);
        Assert.StartsWith("'Describe' in event union 'Order' is the name of a member the union inherits from 'Audited'", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
    }

    [Theory]
    [InlineData("#pragma warning disable CS1591\nnamespace Shop; public enum OrderKind { A }", "OrderKind")]
    [InlineData("#pragma warning disable CS1591\nnamespace Shop; public sealed class OrderJsonConverter { }", "OrderJsonConverter")]
    [InlineData("#pragma warning disable CS1591\nnamespace Shop.OrderKind { public sealed class Marker { } }", "OrderKind")]
    public void A_type_named_like_the_kind_enum_or_the_converter_is_reported(string other, string name)
    {
        var run = TestCompilation.Run(Union("public sealed record Shipped(int X) : Order;"), other);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1006", diagnostic.Id);
        Assert.StartsWith($"'{name}' in event union 'Order' is the name of a type the generator adds", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    // A union named like a member the generator adds to it was CS0542 in generated code; a keyword, CS1001 and more.
    [Theory]
    [InlineData("Kind", "(int X)", "the name of a member the generator adds to the union")]
    [InlineData("WireName", "(int X)", "the name of a member the generator adds to the union")]
    [InlineData("Match", "(int X)", "the name of a member the generator adds to the union")]
    [InlineData("SwitchAsync", "(int X)", "the name of a member the generator adds to the union")]
    [InlineData("NotAVariant", "(int X)", "the name of a member the generator adds to the union")]
    [InlineData("Unknown", "(int X)", "the name of a member the generator adds to the union")]
    [InlineData("Other", "", "the name of a member the generator adds to the union")]
    [InlineData("FromWire", "", "the name of a member the generator adds to the union")]
    [InlineData("ToWire", "", "the name of a member the generator adds to the union")]
    [InlineData("@event", "(int X)", "is a C# keyword")]
    [InlineData("@class", "", "is a C# keyword")]
    public void A_union_named_like_a_generated_member_or_a_keyword_is_reported(string name, string payload, string reason)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591, CS8981
            using Reactive.Streams;

            namespace Shop;

            [EventUnion]
            public abstract partial record {{name}}
            {
                public sealed record Placed{{payload}} : {{name}};
                public sealed record Shipped{{payload}} : {{name}};
            }
            """);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1006", diagnostic.Id);
        var plain = name.TrimStart('@');
        Assert.StartsWith($"'{plain}' in event union '{plain}' ", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains(reason, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal(name, UnionDiagnosticsTests.SourceAt(run, diagnostic));
        Assert.Empty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    // The diagnostic points at the member to rename (it pointed at the union's name, in whichever file).
    [Theory]
    [InlineData("public int Kind() => 1;", "Kind")]
    [InlineData("public static readonly int Others = 1, WireName = 2;", "WireName")]
    [InlineData("public sealed class Unknown { }", "Unknown")]
    [InlineData("public event System.Action? Switch;", "Switch")]
    public void A_member_of_the_union_named_like_a_generated_one_is_reported_at_the_member(string member, string name)
    {
        var run = TestCompilation.Run(Union("public sealed record Shipped(int X) : Order;"), $$"""
            #pragma warning disable CS1591, CS0067
            namespace Shop;

            public abstract partial record Order
            {
                {{member}}
            }
            """);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1006", diagnostic.Id);
        Assert.StartsWith($"'Order.{name}' in event union 'Order' is the name of a member the generator adds", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("Source1.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(name, UnionDiagnosticsTests.SourceAt(run, diagnostic));
        Assert.Empty(run.Sources);
    }

    // Names that are generated members only of the other kind of union: a union with payloads has no Other, FromWire or
    // ToWire, a payload-less one no Unknown.
    [Theory]
    [InlineData("Other", "(int X)")]
    [InlineData("FromWire", "(int X)")]
    [InlineData("Unknown", "")]
    public void A_union_named_like_a_member_only_the_other_kind_of_union_gets_compiles(string name, string payload)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;

            namespace Shop;

            [EventUnion]
            public abstract partial record {{name}}
            {
                public sealed record Placed{{payload}} : {{name}};
                public sealed record Shipped{{payload}} : {{name}};
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.NotEmpty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    // Beside a nested union, the kind enum and the converter are members of the containing type, which a property or a
    // method of that name collides with too (CS0229, CS0102 in generated code).
    [Theory]
    [InlineData("public int OrderKind => 1;", "OrderKind")]
    [InlineData("public static int OrderJsonConverter() => 1;", "OrderJsonConverter")]
    public void A_member_of_the_containing_type_named_like_the_kind_enum_or_the_converter_is_reported(string member, string name)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;

            namespace Shop;

            public partial class Holder
            {
                {{member}}

                [EventUnion]
                public abstract partial record Order
                {
                    public sealed record Placed(string Id) : Order;
                }
            }
            """);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1006", diagnostic.Id);
        Assert.StartsWith($"'{name}' in event union 'Order' is the name of a type the generator adds beside the union", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Theory]
    [InlineData("public sealed record Class(int X) : Order;")]
    [InlineData("public sealed record State(int X) : Order; public sealed record MatchState(int Y) : Order;")]
    [InlineData("public sealed record Matched(int X, int OrderKind, string Carrier) : Order;")]
    [InlineData("public sealed record Shipped(int X, [property: System.Text.Json.Serialization.JsonPropertyName(\"shipping_type\")] string Type) : Order;")]
    public void The_renamed_union_generates_and_compiles(string variant)
    {
        var run = TestCompilation.Run(Union(variant));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.NotEmpty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    private static string Union(string variant) => $$"""
        #pragma warning disable CS1591
        using Reactive.Streams;

        namespace Shop;

        [EventUnion]
        public abstract partial record Order
        {
            public sealed record Placed(string Id) : Order;
            {{variant}}
        }
        """;
}
