using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// Names visible where the generated code is placed: a type named <c>var</c> or a namespace named <c>nameof</c> in scope,
/// a containing type or namespace named with a contextual keyword (<c>@record</c>, <c>@required</c>, <c>@file</c>,
/// <c>@scoped</c>), <c>global</c> as a namespace part, a union declared across a file-scoped and a block namespace of the
/// same name. Every union and sink shape (with payloads, payload-less, each sink policy) either compiles without a
/// diagnostic or is an RXS diagnostic that says why nothing was generated.
/// </summary>
public sealed class UnionScopeNameTests
{
    // A union with payloads and shared accessors, a payload-less union, and a sink of each adapter shape (the observer of a
    // lossy policy, the dispatcher queue of PauseUpstream, the degrader of DegradeQuality). The degrader is named by a string:
    // with a namespace named nameof in scope, the user's own nameof(Degrade) does not compile either.
    private const string Declarations = """
        [EventUnion]
        public abstract partial record Order
        {
            public sealed record Placed(string Id, int Qty = 1) : Order;
            public sealed record Cancelled(string Id, string? Reason) : Order;
        }

        [EventUnion]
        public abstract partial record Status
        {
            public sealed record Open : Status;
            public sealed record Closed : Status;
        }

        [StreamSink(typeof(Order))]
        [Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 4)]
        public partial class OrderSink
        {
            public void OnPlaced(Order.Placed item) { }
            public System.Threading.Tasks.ValueTask OnCancelled(Order.Cancelled item, System.Threading.CancellationToken cancellationToken) => default;
            public void OnUnknown(Order.Unknown item) { }
        }

        [StreamSink(typeof(Order))]
        [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = "Degrade")]
        public partial class DegradingSink
        {
            public void OnPlaced(Order.Placed item) { }
            public void OnCancelled(Order.Cancelled item) { }
            private static Order Degrade(Order item) => item;
        }

        [StreamSink(typeof(Status))]
        [Backpressure(BackpressurePolicy.DropOldest, Capacity = 4)]
        public partial class StatusSink
        {
            public void OnOpen(Status.Open item) { }
            public void OnClosed(Status.Closed item) { }
            public void OnOther(Status.Other item) { }
        }
        """;

    public static TheoryData<string, string> Scopes => new()
    {
        // A type named var in the union's namespace: every 'var' local of the generated code would be that type.
        { "a class named var in the union's namespace", $$"""
            namespace Shop
            {
                public sealed class @var { }
                {{Declarations}}
            }
            """ },
        { "a class named var brought in by a using", $$"""
            namespace Other
            {
                public sealed class @var { }
            }
            namespace Shop
            {
                using Other;
                {{Declarations}}
            }
            """ },
        { "a class named var in the global namespace", $$"""
            public sealed class @var { }
            namespace Shop
            {
                {{Declarations}}
            }
            """ },
        // nameof(x) is an operator only while no symbol named nameof is in scope.
        { "a namespace named nameof", $$"""
            namespace @nameof
            {
                public sealed class Marker { }
            }
            namespace Shop
            {
                {{Declarations}}
            }
            """ },
        { "a class named nameof in the union's namespace", $$"""
            namespace Shop
            {
                public sealed class @nameof { }
                {{Declarations}}
            }
            """ },
        { "a namespace part named nameof", $$"""
            namespace Shop.@nameof
            {
                {{Declarations}}
            }
            """ },
        // Contextual keywords that C# 11 and later refuse as an unescaped type name (CS9029, CS9056, CS9062, CS8860).
        { "a containing class named @record", $$"""
            namespace Shop
            {
                public static partial class @record
                {
                    {{Declarations}}
                }
            }
            """ },
        { "a containing class named @required", $$"""
            namespace Shop
            {
                public static partial class @required
                {
                    {{Declarations}}
                }
            }
            """ },
        { "a containing class named @file", $$"""
            namespace Shop
            {
                public static partial class @file
                {
                    {{Declarations}}
                }
            }
            """ },
        { "a containing class named @scoped", $$"""
            namespace Shop
            {
                public static partial class @scoped
                {
                    {{Declarations}}
                }
            }
            """ },
        { "a containing record named @required", $$"""
            namespace Shop
            {
                public partial record @required
                {
                    {{Declarations}}
                }
            }
            """ },
        { "namespace parts named @record, @required, @file and @scoped", $$"""
            namespace @record.@required.@file.@scoped
            {
                {{Declarations}}
            }
            """ },
        { "a namespace part that is a keyword", $$"""
            namespace Shop.@class
            {
                {{Declarations}}
            }
            """ },
        { "a namespace part named global", $$"""
            namespace Shop.global
            {
                {{Declarations}}
            }
            """ },
        { "a namespace named global", $$"""
            namespace global
            {
                {{Declarations}}
            }
            """ },
        { "a class named _ in the union's namespace", $$"""
            namespace Shop
            {
                public sealed class _ { }
                {{Declarations}}
            }
            """ },
        { "classes named async and await in the union's namespace", $$"""
            namespace Shop
            {
                public sealed class @async { }
                public sealed class @await { }
                {{Declarations}}
            }
            """ },
        { "a containing class named global", $$"""
            namespace Shop
            {
                public static partial class global
                {
                    {{Declarations}}
                }
            }
            """ },
        // A using static or an alias that brings in a method named nameof or a type named var: the names the generated code
        // once bound (a nameof method would have been called with the value, and its result passed as the parameter name).
        { "a method named nameof brought in by a using static", $$"""
            namespace Tools
            {
                public static class Names
                {
                    public static string nameof(object? value) => "not a parameter name";
                }
            }
            namespace Shop
            {
                using static Tools.Names;
                {{Declarations}}
            }
            """ },
        { "an alias named var", $$"""
            namespace Shop
            {
                using @var = System.Text.StringBuilder;
                {{Declarations}}
            }
            """ },
        // Containers whose modifiers a partial declaration must repeat or may leave out.
        { "a readonly partial struct container", $$"""
            namespace Shop
            {
                public readonly partial struct Holder
                {
                    {{Declarations}}
                }
            }
            """ },
        { "a ref partial struct container", $$"""
            namespace Shop
            {
                public ref partial struct Holder
                {
                    {{Declarations}}
                }
            }
            """ },
        { "a readonly partial record struct container", $$"""
            namespace Shop
            {
                public readonly partial record struct Holder
                {
                    {{Declarations}}
                }
            }
            """ },
        { "an abstract partial class container", $$"""
            namespace Shop
            {
                public abstract partial class Holder
                {
                    {{Declarations}}
                }
            }
            """ },
        { "a sealed partial record container", $$"""
            namespace Shop
            {
                public sealed partial record Holder
                {
                    {{Declarations}}
                }
            }
            """ },
        // Roslyn reports a nested type in a generic type's non-generic nested type as a member of a generic type too.
        { "a union in a class nested in a generic type", $$"""
            namespace Shop
            {
                public partial class Holder<T>
                {
                    public partial class Inner
                    {
                        {{Declarations}}
                    }
                }
            }
            """ },
    };

    [Theory]
    [MemberData(nameof(Scopes))]
    public void Compiles_without_a_diagnostic_or_is_an_RXS_diagnostic(string scope, string source)
    {
        var run = TestCompilation.Run("#pragma warning disable CS1591\nusing Reactive.Streams;\n" + source);

        Assert.False(string.IsNullOrEmpty(scope));
        UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
    }

    // Where nothing in the scope stops it, the generator generates: a diagnostic would be a refusal the scope does not call for.
    [Theory]
    [InlineData("namespace Shop { public sealed class @var { } }", "Shop")]
    [InlineData("namespace @nameof { public sealed class Marker { } }", "Shop")]
    [InlineData("", "@record.@required.@file.@scoped")]
    [InlineData("", "Shop.global")]
    [InlineData("", "Shop.@class.@event")]
    [InlineData("namespace Shop { public sealed class _ { } }", "Shop")]
    public void A_scope_that_only_shadows_names_generates_every_union_and_sink(string prelude, string ns)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;
            {{prelude}}
            namespace {{ns}}
            {
                {{Declarations}}
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(5, run.Sources.Count);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Theory]
    [InlineData("@record")]
    [InlineData("@required")]
    [InlineData("@file")]
    [InlineData("@scoped")]
    [InlineData("@var")]
    [InlineData("@nameof")]
    [InlineData("@class")]
    public void A_containing_type_named_with_a_contextual_keyword_generates_every_union_and_sink(string container)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop;
            public static partial class {{container}}
            {
                {{Declarations}}
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(5, run.Sources.Count);
        Assert.Empty(run.CompilationDiagnostics);
    }

    // The '@' a containing type named with a contextual keyword keeps in the generated declaration is no part of its name:
    // the sink's file is named as before ("Shop.record.OrderSink"), and a sibling class named _record keeps a file of its
    // own (one hint name twice fails the whole generator, CS8785).
    [Fact]
    public void Sinks_in_sibling_classes_named_record_and__record_get_a_file_each()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop;
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
            }
            public static partial class @record
            {
                [StreamSink(typeof(Order))]
                [Backpressure(BackpressurePolicy.Fail, Capacity = 2)]
                public partial class OrderSink
                {
                    public void OnPlaced(Order.Placed item) { }
                }
            }
            public static partial class _record
            {
                [StreamSink(typeof(Order))]
                [Backpressure(BackpressurePolicy.Fail, Capacity = 2)]
                public partial class OrderSink
                {
                    public void OnPlaced(Order.Placed item) { }
                }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        Assert.Contains("Shop.record.OrderSink.StreamSink.g.cs", run.Sources.Keys);
        Assert.Contains("Shop._record.OrderSink.StreamSink.g.cs", run.Sources.Keys);
    }

    // One union declared in two files, one with a file-scoped namespace and one with a block namespace of the same name: one
    // union, whose variants come from both files.
    [Fact]
    public void A_union_split_across_a_file_scoped_and_a_block_namespace_of_the_same_name_is_one_union()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop.Orders;
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
            }
            """, """
            #pragma warning disable CS1591
            namespace Shop.Orders
            {
                public abstract partial record Order
                {
                    public sealed record Cancelled(string Id) : Order;
                }

                [Reactive.Streams.StreamSink(typeof(Order))]
                [Reactive.Streams.Backpressure(Reactive.Streams.BackpressurePolicy.Fail, Capacity = 2)]
                public partial class OrderSink
                {
                    public void OnPlaced(Order.Placed item) { }
                    public void OnCancelled(Order.Cancelled item) { }
                }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        var union = Assert.Single(run.Sources, static s => s.Key.EndsWith(".EventUnion.g.cs", StringComparison.Ordinal)).Value;
        Assert.Contains("Placed,", union, StringComparison.Ordinal);
        Assert.Contains("Cancelled,", union, StringComparison.Ordinal);
    }

    // Two unions of the same name in a file-scoped and a block namespace that differ only in a part's case are two unions.
    [Fact]
    public void Two_unions_in_a_file_scoped_and_a_block_namespace_differing_in_case_get_a_file_each()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop.Orders;
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
            }
            """, """
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop.ORDERS
            {
                [EventUnion]
                public abstract partial record Order
                {
                    public sealed record Cancelled(string Id) : Order;
                }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        Assert.Equal(2, run.Sources.Count);
    }

    [Fact]
    public void A_union_in_a_class_nested_in_a_generic_type_is_RXS1001()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop;
            public partial class Holder<T>
            {
                public partial class Inner
                {
                    [EventUnion]
                    public abstract partial record Order
                    {
                        public sealed record Placed(string Id) : Order;
                    }
                }
            }
            """);

        Assert.Equal("RXS1001", Assert.Single(run.GeneratorDiagnostics).Id);
        Assert.Empty(run.CompilationDiagnostics);
    }
}
