using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// A variant (or the union) marked <c>[Obsolete]</c> or <c>[Experimental]</c>, as an old event kind kept to read old
/// streams is: it is still the union's, so the generated code that names it (Match, Switch, Kind, the converter, a sink's
/// dispatch) compiles without the warnings those attributes raise, which a build with warnings as errors would fail on.
/// An <c>[Obsolete]</c> error cannot be suppressed (CS0619): it is reported instead, unless a type containing the union is
/// itself obsolete.
/// </summary>
public sealed class UnionDeprecationTests
{
    [Theory]
    [InlineData("[System.Obsolete] public sealed record Old{0} : Order;", "")]
    [InlineData("[System.Obsolete(\"use Placed\")] public sealed record Old{0} : Order;", "")]
    [InlineData("[System.Obsolete(\"use Placed\", false)] public sealed record Old{0} : Order;", "")]
    [InlineData("[System.Diagnostics.CodeAnalysis.Experimental(\"SHOP001\")] public sealed record Old{0} : Order;", "")]
    [InlineData("public sealed record Old{0} : Order;", "[System.Obsolete(\"v1 only\")]")]
    [InlineData("public sealed record Old{0} : Order;", "[System.Diagnostics.CodeAnalysis.Experimental(\"SHOP002\")]")]
    [InlineData("[System.Obsolete] public sealed record Old{0} : Order;", "[System.Diagnostics.CodeAnalysis.Experimental(\"SHOP002\")]")]
    public void A_deprecated_or_experimental_variant_or_union_compiles_warning_free_with_its_sink(string oldVariant, string unionAttribute)
    {
        foreach (var payload in new[] { "(string Id)", string.Empty })
        {
            var run = TestCompilation.Run($$"""
                #pragma warning disable CS1591, CS0612, CS0618, SHOP001, SHOP002
                using Reactive.Streams;
                namespace Shop;
                {{unionAttribute}}
                [EventUnion]
                public abstract partial record Order
                {
                    public sealed record Placed{{payload}} : Order;
                    {{string.Format(System.Globalization.CultureInfo.InvariantCulture, oldVariant, payload)}}
                }
                """);

            Assert.Empty(run.GeneratorDiagnostics);
            UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
            Assert.Contains(run.Sources, static s => s.Key == "Shop.Order.EventUnion.g.cs");
        }
    }

    [Fact]
    public void A_variant_obsolete_as_an_error_is_RXS1002_and_nothing_that_fails_to_compile_is_generated()
    {
        var run = TestCompilation.Run(UnionNameEdgeCaseTests.Union(
            "public sealed record Placed(string Id) : Order; [System.Obsolete(\"gone\", true)] public sealed record Old(string Id) : Order;"));

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1002", diagnostic.Id);
        Assert.Contains("[Obsolete] as an error", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void A_union_obsolete_as_an_error_is_RXS1001_unless_its_containing_type_is_obsolete()
    {
        var refused = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop;
            [System.Obsolete("gone", true)]
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
            }
            """);
        var accepted = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop;
            [System.Obsolete("v1 types")]
            public static partial class V1
            {
                [System.Obsolete("gone", true)]
                [EventUnion]
                public abstract partial record Order
                {
                    public sealed record Placed(string Id) : Order;
                    [System.Obsolete("gone", true)] public sealed record Old(string Id) : Order;
                }
            }
            """);

        Assert.Equal("RXS1001", Assert.Single(refused.GeneratorDiagnostics).Id);
        Assert.Empty(refused.Sources);
        Assert.Empty(accepted.GeneratorDiagnostics);
        Assert.Empty(accepted.CompilationDiagnostics);
    }

    [Fact]
    public void An_obsolete_variant_s_sink_dispatches_to_its_handler_warning_free()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591, CS0612, CS0618, SHOP001
            using Reactive.Streams;
            namespace Shop;
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
                [System.Obsolete("v1 only")] public sealed record Old(string Id) : Order;
                [System.Diagnostics.CodeAnalysis.Experimental("SHOP001")] public sealed record Next(string Id) : Order;
            }
            [StreamSink(typeof(Order))]
            [Backpressure(BackpressurePolicy.DropOldest)]
            public partial class OrderSink
            {
                public void OnPlaced(Order.Placed item) { }
                public void OnOld(Order.Old item) { }
                public void OnNext(Order.Next item) { }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
    }
}
