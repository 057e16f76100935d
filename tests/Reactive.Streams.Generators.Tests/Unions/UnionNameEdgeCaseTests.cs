using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>Names and shapes that must either generate code that compiles or be an RXS diagnostic.</summary>
public sealed class UnionNameEdgeCaseTests
{
    [Theory]
    [InlineData("public sealed record Placed(string Id, string @class) : Order;")]
    [InlineData("public sealed record Placed(string Id, int @event) : Order; public sealed record Shipped(string Id, int @event) : Order;")]
    [InlineData("public sealed record OrderKind(string Id) : Order;")]
    [InlineData("public sealed record OrderJsonConverter(string Id) : Order;")]
    [InlineData("public sealed record System(string Id) : Order;")]
    [InlineData("public sealed record Reactive(string Id) : Order;")]
    [InlineData("public sealed record Placed(string Id, string RawWireName) : Order; public sealed record Shipped(string Id, string RawWireName) : Order;")]
    [InlineData("public sealed record Placed(string Id, System.Text.Json.JsonElement RawPayload) : Order; public sealed record Shipped(string Id, System.Text.Json.JsonElement RawPayload) : Order;")]
    [InlineData("public enum Kind { A } public sealed record Placed(string Id) : Order;")]
    [InlineData("public int Match() => 1; public sealed record Placed(string Id) : Order;")]
    [InlineData("public string WireName => \"x\"; public sealed record Placed(string Id) : Order;")]
    [InlineData("public sealed class Unknown { } public sealed record Placed(string Id) : Order;")]
    [InlineData("public sealed record Placed(string Id, string Unknown) : Order;")]
    [InlineData("public sealed record Default(string Id) : Order; public sealed record Checked(string Id) : Order; public sealed record Fixed(string Id) : Order; public sealed record Lock(string Id) : Order;")]
    [InlineData("public sealed record Placed(string Id, string Kind2) : Order; public sealed record Value(string Id) : Order;")]
    [InlineData("public sealed record Item(string Id) : Order; public sealed record Variant(string Id) : Order; public sealed record Values(string Id) : Order; public sealed record Writer(string Id) : Order;")]
    [InlineData("public sealed record Placed(string Id, string __variant) : Order;")]
    [InlineData("public sealed record Placed(string Id, string Values) : Order; public sealed record Shipped(string Id, string Values) : Order;")]
    [InlineData("public sealed record Placed(string Id, string NotAVariant) : Order; public sealed record Shipped(string Id, string NotAVariant) : Order;")]
    [InlineData("public sealed record Placed(string Id, string Match) : Order; public sealed record Shipped(string Id, string Match) : Order;")]
    [InlineData("public sealed record Placed(string Id, string Create) : Order;")]
    [InlineData("public sealed record Placed(string Id) : Order { public string Id { get; init; } = Id; } public sealed record Shipped(string Id) : Order;")]
    [InlineData("public string Switch => \"s\"; public sealed record Placed(string Id) : Order;")]
    [InlineData("public sealed record aB(int X) : Order; public sealed record AB(int X) : Order; public sealed record AB2(int X) : Order;")]
    [InlineData("public sealed record Placed(string Id, string Note = null!, object Tag = default!, System.DateTime At = default, int? Qty = null) : Order;")]
    [InlineData("\n#nullable disable\npublic sealed record Placed(string Id, string Note = null, int? Qty = null) : Order;\n#nullable restore\n")]
    [InlineData("public sealed record aB : Order; public sealed record AB : Order;")]
    [InlineData("public sealed record Placed(string Id, string Order) : Order; public sealed record Shipped(string Id, string Order) : Order;")]
    [InlineData("public sealed record Placed(string Id, int OrderKind) : Order; public sealed record Shipped(string Id, int OrderKind) : Order;")]
    [InlineData("public sealed record Placed(int X, int hasX) : Order; public sealed record Shipped(int X, int hasX) : Order;")]
    [InlineData("public sealed record Placed(string Id, int _hasId, int? _Id) : Order; public sealed record Shipped(string Id, int _hasId, int? _Id) : Order;")]
    [InlineData("public sealed record Placed : Order; [WireName(\"placed\")] public sealed record Shipped : Order;")]
    [InlineData("public sealed record Placed(string Id, dynamic Extra, dynamic? Maybe) : Order;")]
    public void Generates_and_compiles_or_reports_an_RXS_diagnostic(string members)
    {
        var run = TestCompilation.Run(Union(members));

        AssertCompilesOrDiagnosed(run);
    }

    // The Unknown variant keeps its shared values in fields __shared0, __has0...: a shared property, a variant or a member of
    // the union of that name made the generated code fail to compile (CS0102, CS0108, CS0229). A property of that name now
    // stays the variants' own (as one named like a generated member does); a variant or a member of the union is RXS1006.
    [Theory]
    [InlineData("public sealed record Placed(int __shared0, string __has0) : Order; public sealed record Shipped(int __shared0, string __has0) : Order;")]
    [InlineData("public sealed record Placed(int X, int __has1) : Order; public sealed record Shipped(int X, int __has1) : Order;")]
    public void A_property_named_like_a_field_of_the_unknown_variant_stays_the_variants_own_and_compiles(string members)
    {
        var run = TestCompilation.Run(Union(members));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.NotEmpty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
        Assert.DoesNotContain(run.Sources.Values, static s => s.Contains("override int __", StringComparison.Ordinal) || s.Contains("override string __", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("public sealed record __shared0(int X) : Order; public sealed record Placed(int X) : Order;", "__shared0")]
    [InlineData("public sealed record __has12(int X) : Order; public sealed record Placed(int X) : Order;", "__has12")]
    [InlineData("private int __has0 = 1; public int Peek() => __has0; public sealed record Placed(int X) : Order;", "Order.__has0")]
    public void A_variant_or_a_member_of_the_union_named_like_a_field_of_the_unknown_variant_is_RXS1006(string members, string name)
    {
        var run = TestCompilation.Run(Union(members));

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1006", diagnostic.Id);
        Assert.StartsWith($"'{name}'", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void A_union_without_a_namespace_compiles()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
                public sealed record Done : Order;
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Theory]
    [InlineData("public partial record struct Holder")]
    [InlineData("public partial struct Holder")]
    [InlineData("public partial record Holder")]
    [InlineData("public partial interface Holder")]
    [InlineData("public static partial class Holder")]
    public void A_union_nested_in_another_type_compiles(string container)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop;
            {{container}}
            {
                [EventUnion]
                public abstract partial record Order
                {
                    public sealed record Placed(string Id) : Order;
                    public sealed record Done : Order;
                }
            }
            """);

        AssertCompilesOrDiagnosed(run);
    }

    // The kind enum and the converter are declared beside the union and used by its members: a less accessible nested
    // union gets them at its own accessibility (public or internal ones were CS0050-CS0053 and CS9338).
    [Theory]
    [InlineData("public partial class Holder", "private", "")]
    [InlineData("public partial class Holder", "protected", "")]
    [InlineData("public partial class Holder", "protected internal", "")]
    [InlineData("public partial class Holder", "private protected", "")]
    [InlineData("internal partial class Holder", "public", "")]
    [InlineData("public partial struct Holder", "private", "")]
    [InlineData("public partial class Holder", "private", "public sealed record Done : Order; public sealed record Open : Order;")]
    [InlineData("public partial class Holder", "protected", "public sealed record Done : Order; public sealed record Open : Order;")]
    public void A_nested_union_of_any_accessibility_compiles_without_diagnostics(string container, string access, string payloadless)
    {
        var variants = payloadless.Length > 0 ? payloadless : "public sealed record Placed(string Id) : Order; public sealed record Done : Order;";
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop;
            {{container}}
            {
                [EventUnion]
                {{access}} abstract partial record Order
                {
                    {{variants}}
                }

                private static string RoundTrip(Order order)
                    => System.Text.Json.JsonSerializer.Deserialize<Order>(System.Text.Json.JsonSerializer.Serialize(order))!.Kind.ToString();
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void A_union_nested_in_a_generic_type_is_RXS1001()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop;
            public partial class Holder<T>
            {
                [EventUnion]
                public abstract partial record Order
                {
                    public sealed record Placed(string Id) : Order;
                }
            }
            """);

        Assert.Equal("RXS1001", Assert.Single(run.GeneratorDiagnostics).Id);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Theory]
    [InlineData(LanguageVersion.CSharp9)]
    [InlineData(LanguageVersion.CSharp10)]
    public void An_old_language_version_compiles_or_is_reported(LanguageVersion version)
    {
        var options = TestCompilation.ParseOptions.WithLanguageVersion(version);
        var compilation = TestCompilation.Create("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop
            {
                [EventUnion]
                public abstract partial record Order
                {
                    public sealed record Placed(string Id, int? Qty) : Order;
                    public sealed record Cancelled(string Id) : Order;
                }

                [StreamSink(typeof(Order))]
                [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
                public partial class OrderSink
                {
                    public void OnPlaced(Order.Placed item) { }
                    public void OnCancelled(Order.Cancelled item) { }
                }
            }
            """, """
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop
            {
                [EventUnion]
                public abstract partial record Status
                {
                    public sealed record Open : Status;
                    public sealed record Closed : Status;
                }
            }
            """);
        compilation = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(
            compilation.SyntaxTrees.Select(t => CSharpSyntaxTree.ParseText(t.GetText(), options, t.FilePath)));
        var driver = CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator()], parseOptions: options);

        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);

        var errors = output.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning).Select(static d => d.ToString()).ToList();
        Assert.True(errors.Count == 0 || generatorDiagnostics.Any(static d => d.Id.StartsWith("RXS", StringComparison.Ordinal)), string.Join("\n", errors.Take(20)));
        Assert.DoesNotContain(output.GetDiagnostics(), static d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true);
    }

    internal static void AssertCompilesOrDiagnosed(GeneratorRun run)
    {
        var generated = run.CompilationDiagnostics
            .Where(static d => d.Location.SourceTree is { } tree && tree.FilePath.EndsWith(".g.cs", StringComparison.Ordinal))
            .Select(static d => d.ToString()).ToList();
        Assert.True(generated.Count == 0, "errors in generated code:\n" + string.Join("\n", generated.Take(15)) + "\nRXS: " + string.Join(",", run.GeneratorDiagnosticIds));
        if (!run.GeneratorDiagnostics.Any(static d => d.Id.StartsWith("RXS", StringComparison.Ordinal)))
        {
            var all = run.CompilationDiagnostics.Select(static d => d.ToString()).ToList();
            Assert.True(all.Count == 0, string.Join("\n", all.Take(15)));
        }
    }

    internal static string Union(string members) => $$"""
        #pragma warning disable CS1591
        using Reactive.Streams;

        namespace Shop;

        [EventUnion]
        public abstract partial record Order
        {
            {{members}}
        }
        """;
}
