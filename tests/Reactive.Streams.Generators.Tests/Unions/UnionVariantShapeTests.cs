using System.Globalization;
using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// Shapes of variants a user may try: a record between the union and its variants, a variant named with a contextual
/// keyword, a variant declared outside its union in two partial parts. Each either generates code that compiles or is
/// one RXS diagnostic, and the generated files never carry a compiler error.
/// </summary>
public sealed class UnionVariantShapeTests
{
    private const string Header = "#pragma warning disable CS1591\nusing Reactive.Streams;\nnamespace Shop;\n";

    // An abstract record nested in the union is not sealed (RXS1002); the records deriving from it are not variants. The
    // union's generated members constructed the abstract record (FromWire, the converter): CS0144 in the generated file.
    [Theory]
    [InlineData("public abstract record Mid(string Id) : Order; public sealed record Leaf(string Id) : Mid(Id);")]
    [InlineData("public abstract record Mid : Order;")]
    public void An_abstract_record_deriving_from_the_union_is_RXS1002_and_nothing_that_fails_to_compile_is_generated(string members)
    {
        var run = TestCompilation.Run(Header + $$"""
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
                {{members}}
            }

            [StreamSink(typeof(Order))]
            [Backpressure(BackpressurePolicy.Fail)]
            public sealed partial class OrderSink
            {
                public void OnPlaced(Order.Placed item) { }
                public void OnMid(Order.Mid item) { }
            }
            """);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1002", diagnostic.Id);
        Assert.Contains("'Mid'", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal("Mid", Identifier(run, diagnostic));
        Assert.Empty(run.CompilationDiagnostics);
    }

    // A contextual keyword is a legal type name. In the generated members' patterns 'var __item' is a var pattern, not
    // the variant's type (CS8508): such a name is RXS1006, or it compiles, never an error in the generated file.
    [Theory]
    [InlineData("var")]
    [InlineData("dynamic")]
    [InlineData("nameof")]
    [InlineData("global")]
    [InlineData("value")]
    [InlineData("async")]
    [InlineData("await")]
    [InlineData("when")]
    [InlineData("and")]
    [InlineData("or")]
    [InlineData("not")]
    [InlineData("with")]
    [InlineData("init")]
    [InlineData("partial")]
    [InlineData("yield")]
    [InlineData("args")]
    [InlineData("unmanaged")]
    [InlineData("notnull")]
    [InlineData("field")]
    [InlineData("nint")]
    [InlineData("nuint")]
    public void A_variant_named_like_a_contextual_keyword_compiles_with_its_sink_or_is_RXS1006(string name)
    {
        foreach (var payload in new[] { "(string Id)", string.Empty })
        {
            var run = TestCompilation.Run(Header + $$"""
                [EventUnion]
                public abstract partial record Order
                {
                    public sealed record Placed{{payload}} : Order;
                    public sealed record {{name}}{{payload}} : Order;
                }

                [StreamSink(typeof(Order))]
                [Backpressure(BackpressurePolicy.DropOldest)]
                public sealed partial class OrderSink
                {
                    public void OnPlaced(Order.Placed item) { }
                    public void On{{name}}(Order.{{name}} item) { }
                }
                """);

            Assert.True(run.CompilationDiagnostics.IsEmpty, $"{name}{payload}: " + string.Join("\n", run.CompilationDiagnostics));
            if (!run.GeneratorDiagnostics.IsEmpty)
            {
                var diagnostic = Assert.Single(run.GeneratorDiagnostics);
                Assert.Equal("RXS1006", diagnostic.Id);
                Assert.Contains($"'{name}'", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
                Assert.Equal(name, Identifier(run, diagnostic));
            }
        }
    }

    // The generated code names the union and the sink bare ('partial record required' is CS9029, a field of type 'file'
    // no declaration) and declares its locals with 'var', which a type named 'var' takes over (CS0029): a union or a
    // sink so named compiled with errors in the generated files only. It is RXS1006 on it; other contextual keywords
    // that generated code could read are refused alike.
    [Theory]
    [InlineData("required")]
    [InlineData("file")]
    [InlineData("var")]
    [InlineData("scoped")]
    [InlineData("async")]
    public void A_union_or_a_sink_named_with_a_contextual_keyword_is_RXS1006_on_it(string name)
    {
        var unions = new[]
        {
            ("union", new[] { Header + $$"""
                [EventUnion]
                public abstract partial record @{{name}}
                {
                    public sealed record Placed(string Id) : @{{name}};
                }
                """ }),
            ("payload-less union", new[] { Header + $$"""
                [EventUnion]
                public abstract partial record @{{name}}
                {
                    public sealed record Placed : @{{name}};
                }
                """ }),
            // In a namespace of its own: a type named 'var' beside the union would take over the union's own locals too
            // (a limitation of the generated code the union's diagnostics do not cover).
            ("sink", new[] { Header + $$"""
                [EventUnion]
                public abstract partial record Order
                {
                    public sealed record Placed(string Id) : Order;
                }
                """, "#pragma warning disable CS1591\nusing Reactive.Streams;\nnamespace Shop.Sinks;\n" + $$"""
                [StreamSink(typeof(Shop.Order))]
                [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Degrade))]
                public sealed partial class @{{name}}
                {
                    public void OnPlaced(Shop.Order.Placed item) { }
                    private static Shop.Order Degrade(Shop.Order item) => item;
                }
                """ }),
        };

        foreach (var (what, sources) in unions)
        {
            var run = TestCompilation.Run(sources);

            var diagnostic = Assert.Single(run.GeneratorDiagnostics);
            Assert.Equal("RXS1006", diagnostic.Id);
            Assert.Contains($"'{name}'", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            Assert.Equal("@" + name, Identifier(run, diagnostic));
            Assert.True(run.CompilationDiagnostics.IsEmpty, what + ": " + string.Join("\n", run.CompilationDiagnostics));
        }
    }

    // A record outside the union that derives from it, declared in two partial parts that both name the base: one
    // RXS1002, at its first declaration, not one per part.
    [Fact]
    public void A_variant_declared_outside_its_union_in_two_partial_parts_is_reported_once()
    {
        const string Union = Header + """
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(int Id) : Order;
            }

            public sealed partial record Reclaimed(int Id) : Order;
            """;
        const string SecondPart = Header + "public sealed partial record Reclaimed : Order { public int Extra => 1; }\n";

        foreach (var sources in new[] { new[] { Union, SecondPart }, new[] { SecondPart, Union } })
        {
            var run = TestCompilation.Run(sources);

            var diagnostic = Assert.Single(run.GeneratorDiagnostics);
            Assert.Equal("RXS1002", diagnostic.Id);
            Assert.Contains("'Reclaimed'", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
    }

    private static string Identifier(GeneratorRun run, Diagnostic diagnostic)
    {
        var path = diagnostic.Location.GetLineSpan().Path;
        var tree = run.Output.SyntaxTrees.Single(t => t.FilePath == path);
        return tree.GetText().ToString(diagnostic.Location.SourceSpan);
    }
}
