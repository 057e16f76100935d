using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Internal;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests;

/// <summary>Every legal union or sink name gets a hint name of its own that is a valid file name.</summary>
public sealed class HintNameTests
{
    private static string Union(string ns, string name) =>
        $"#pragma warning disable CS1591\nusing Reactive.Streams;\nnamespace {ns};\n[EventUnion]\npublic abstract partial record {name}\n{{\n    public sealed record Placed(string Id) : {name};\n}}\n";

    public static TheoryData<string, string[]> Programs => new()
    {
        { "one name in two namespaces", new[] { Union("Shop", "Order"), Union("Billing", "Order") } },
        { "a name and the name with a connector in it", new[] { Union("Shop", "Order_Event"), Union("Shop", "Order\u203FEvent") } },
        { "a name with a combining mark", new[] { Union("Shop", "Caf\u0065\u0301"), Union("Shop", "Cafe_") } },
        { "unicode letters", new[] { Union("Магазин", "Заказ"), Union("店", "注文") } },
        { "keywords as namespaces", new[] { Union("@class.@event", "Order") } },
        // The '@' of a keyword is no part of the name: a namespace or class @class and one named _class are two places.
        { "a keyword namespace and the keyword with an underscore", new[] { Union("Shop.@class", "Order"), Union("Shop._class", "Order") } },
        { "a keyword container and the keyword with an underscore", new[] { "#pragma warning disable CS1591\nusing Reactive.Streams;\nnamespace Shop;\npublic static partial class @class\n{\n    [EventUnion]\n    public abstract partial record Order\n    {\n        public sealed record Placed(string Id) : Order;\n    }\n}\n", "#pragma warning disable CS1591\nusing Reactive.Streams;\nnamespace Shop;\npublic static partial class _class\n{\n    [EventUnion]\n    public abstract partial record Order\n    {\n        public sealed record Placed(string Id) : Order;\n    }\n}\n" } },
        { "a very long name", new[] { Union("Shop", new string('O', 400)) } },
        // Roslyn compares hint names ignoring case (a file system may): two unions whose names differ in case only, or in
        // namespaces that do, each need a file of their own.
        { "two names that differ in case only", new[] { Union("Shop", "Order"), Union("Shop", "ORDER") } },
        { "one name in two namespaces that differ in case only", new[] { Union("Shop", "Order"), Union("SHOP", "Order") } },
        { "a union nested in a class and one in a namespace of that name", new[] { "#pragma warning disable CS1591\nusing Reactive.Streams;\nnamespace Shop;\npublic static partial class Orders\n{\n    [EventUnion]\n    public abstract partial record Order\n    {\n        public sealed record Placed(string Id) : Order;\n    }\n}\n", Union("Shop.Other", "Order") } },
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public void Each_union_gets_its_own_valid_hint_name_and_the_program_compiles(string what, string[] sources)
    {
        var run = TestCompilation.Run(sources);

        Assert.True(run.Result.Results.Single().Exception is null, what + ": " + run.Result.Results.Single().Exception);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(sources.Length, run.Sources.Count);
        Assert.All(run.Sources.Keys, static hint => Assert.True(hint.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && hint.IndexOfAny(new[] { '<', '>', ':', '"', '|', '?', '*', '\\', '/' }) < 0, hint));
        Assert.Empty(run.CompilationDiagnostics);
    }

    // A case twin added in another file to a project whose union was generated already: the incremental run gives both a
    // file of its own (whichever of them is parsed again sees the other) rather than failing the generator.
    [Fact]
    public void A_case_twin_added_to_a_project_gets_a_file_of_its_own_beside_the_cached_union()
    {
        var compilation = TestCompilation.Create(Union("Shop", "Order"));
        var driver = TestCompilation.CreateDriver().RunGenerators(compilation);

        driver = driver.RunGenerators(compilation.AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(Union("Shop", "ORDER"), TestCompilation.ParseOptions, path: "Twin.cs")));

        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        Assert.Equal(2, result.GeneratedSources.Length);
        Assert.Equal(2, result.GeneratedSources.Select(static s => s.HintName).Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void A_hint_name_is_the_type_name_when_it_has_nothing_to_replace_and_is_stable_otherwise()
    {
        Assert.Equal("Shop.Order.EventUnion.g.cs", Naming.HintName("global::Shop.Order", ".EventUnion.g.cs"));
        var twin = Naming.HintName("global::Shop.Order", ".EventUnion.g.cs", caseTwin: true);
        Assert.StartsWith("Shop.Order.", twin, StringComparison.Ordinal);
        Assert.NotEqual(twin.ToUpperInvariant(), Naming.HintName("global::Shop.ORDER", ".EventUnion.g.cs", caseTwin: true).ToUpperInvariant());

        var connector = Naming.HintName("global::Shop.Order\u203FEvent", ".EventUnion.g.cs");
        Assert.Equal(connector, Naming.HintName("global::Shop.Order\u203FEvent", ".EventUnion.g.cs"));
        Assert.NotEqual(connector, Naming.HintName("global::Shop.Order_Event", ".EventUnion.g.cs"));
        Assert.StartsWith("Shop.Order_Event.", connector, StringComparison.Ordinal);
        Assert.EndsWith(".EventUnion.g.cs", connector, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_sinks_whose_names_differ_in_a_connector_get_two_files()
    {
        var union = Union("Shop", "Order");
        static string SinkNamed(string name) => $"#pragma warning disable CS1591\nusing Reactive.Streams;\nnamespace Shop;\n[StreamSink(typeof(Order))]\npublic sealed partial class {name}\n{{\n    public void OnPlaced(Order.Placed item) {{ }}\n}}\n";

        var run = TestCompilation.Run(union, SinkNamed("Order_Sink"), SinkNamed("Order\u203FSink"));

        Assert.Null(run.Result.Results.Single().Exception);
        Assert.Equal(3, run.Sources.Count);
        Assert.Empty(run.CompilationDiagnostics);
    }

    // As for unions: Roslyn compares hint names ignoring case, so sinks whose names (or namespaces) differ in case only
    // each need a file of their own, or the whole generator fails (CS8785) and nothing of the project is generated.
    [Theory]
    [InlineData("Shop", "OrderSink", "Shop", "ORDERSINK")]
    [InlineData("Shop", "OrderSink", "SHOP", "OrderSink")]
    public void Two_sinks_whose_names_differ_in_case_only_get_two_files(string ns1, string name1, string ns2, string name2)
    {
        var union = Union("Shop", "Order");
        static string SinkNamed(string ns, string name) => $"#pragma warning disable CS1591\nusing Reactive.Streams;\nnamespace {ns};\n[StreamSink(typeof(Shop.Order))]\npublic sealed partial class {name}\n{{\n    public void OnPlaced(Shop.Order.Placed item) {{ }}\n}}\n";

        var run = TestCompilation.Run(union, SinkNamed(ns1, name1), SinkNamed(ns2, name2));

        Assert.Null(run.Result.Results.Single().Exception);
        Assert.Equal(3, run.Sources.Count);
        Assert.Equal(3, run.Sources.Keys.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Empty(run.CompilationDiagnostics);
    }
}
