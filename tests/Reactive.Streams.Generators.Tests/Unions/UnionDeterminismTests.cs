using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// The generated code depends on the sources alone, not on the order a build hands the compiler its files (a directory
/// listing, which differs between machines): a union whose partial declarations put variants in two files gets the same
/// kind enum, Match and converter either way, its variants ordered by file path and then by position.
/// </summary>
public sealed class UnionDeterminismTests
{
    private const string Union = """
        #pragma warning disable CS1591
        using Reactive.Streams;
        namespace Shop;
        [EventUnion]
        public abstract partial record Order
        {
            public sealed record Placed(string Id) : Order;
            public sealed record Paid(string Id, decimal Amount) : Order;
        }
        """;

    private const string MoreVariants = """
        #pragma warning disable CS1591
        namespace Shop;
        public abstract partial record Order
        {
            public sealed record Cancelled(string Id) : Order;
            public sealed record Archived(string Id) : Order;
        }
        """;

    [Fact]
    public void A_union_split_across_two_files_generates_the_same_code_whichever_file_the_compiler_gets_first()
    {
        var forward = Run(("Orders/Order.cs", Union), ("Orders/Order.More.cs", MoreVariants));
        var backward = Run(("Orders/Order.More.cs", MoreVariants), ("Orders/Order.cs", Union));

        Assert.Equal(forward.Keys.Order(StringComparer.Ordinal), backward.Keys.Order(StringComparer.Ordinal));
        Assert.All(forward, file => Assert.Equal(file.Value, backward[file.Key]));

        // By path ("Order.More.cs" sorts before "Order.cs"), then by position in the file.
        var union = forward.Single(f => f.Key.EndsWith("Order.EventUnion.g.cs", StringComparison.Ordinal)).Value;
        var kindEnum = union[union.IndexOf("public enum OrderKind", StringComparison.Ordinal)..];
        var kinds = new[] { "Cancelled", "Archived", "Placed", "Paid" }.Select(k => kindEnum.IndexOf($"\n    {k},", StringComparison.Ordinal)).ToArray();
        Assert.All(kinds, at => Assert.True(at >= 0, union));
        Assert.Equal(kinds.Order(), kinds);
    }

    private static Dictionary<string, string> Run(params (string Path, string Text)[] files)
    {
        var compilation = CSharpCompilation.Create(
            "Consumer",
            files.Select(f => CSharpSyntaxTree.ParseText(f.Text, TestCompilation.ParseOptions, path: f.Path)),
            TestCompilation.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, generalDiagnosticOption: ReportDiagnostic.Error));
        var driver = TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        return driver.GetRunResult().Results.SelectMany(r => r.GeneratedSources).ToDictionary(s => s.HintName, s => s.SourceText.ToString());
    }
}
