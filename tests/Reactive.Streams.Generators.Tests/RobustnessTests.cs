using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests;

/// <summary>
/// Code the user is still typing: the generator never fails (no CS8785), and what it generates adds no error of its own
/// to the compiler's errors on the user's code.
/// </summary>
public sealed class RobustnessTests
{
    private const string Union = """
        #pragma warning disable CS1591
        using Reactive.Streams;

        namespace Shop;

        [EventUnion]
        public abstract partial record Order
        {
            public sealed record Placed(string Id, int Quantity) : Order;

            public sealed record Cancelled(string Id) : Order;
        }
        """;

    private const string Sink = """
        #pragma warning disable CS1591
        using Reactive.Streams;

        namespace Shop;

        [StreamSink(typeof(Order))]
        public sealed partial class OrderSink
        {
            public void OnPlaced(Order.Placed item) { }

            public void OnCancelled(Order.Cancelled item) { }
        }
        """;

    public static TheoryData<string, string> Unfinished => new()
    {
        { "a union without its name", Union.Replace("partial record Order\n", "partial record\n", StringComparison.Ordinal) },
        { "a file-scoped namespace without its name", Union.Replace("namespace Shop;", "namespace ;", StringComparison.Ordinal) },
        { "a namespace block without its name", Union.Replace("namespace Shop;", "namespace\n{", StringComparison.Ordinal) + "\n}" },
        { "a half-written qualified namespace", Union.Replace("namespace Shop;", "namespace Shop.;", StringComparison.Ordinal) },
        { "a variant type that does not resolve", Union.Replace("int Quantity", "Quantity Quantity", StringComparison.Ordinal) },
        { "a variant type argument that does not resolve", Union.Replace("int Quantity", "System.Collections.Generic.List<Missing> Quantity", StringComparison.Ordinal) },
        { "a nullable variant type that does not resolve", Union.Replace("int Quantity", "Missing? Quantity", StringComparison.Ordinal) },
        { "an array of a variant type that does not resolve", Union.Replace("int Quantity", "Missing[] Quantity", StringComparison.Ordinal) },
        { "a parameter without its name", Union.Replace("int Quantity", "int", StringComparison.Ordinal) },
        { "a parameter without its type", Union.Replace("int Quantity", "Quantity", StringComparison.Ordinal) },
        { "a ref parameter", Union.Replace("int Quantity", "ref int Quantity", StringComparison.Ordinal) },
        { "a pointer parameter", Union.Replace("int Quantity", "int* Quantity", StringComparison.Ordinal) },
        { "a function pointer parameter", Union.Replace("int Quantity", "delegate*<int> Quantity", StringComparison.Ordinal) },
        { "a ref struct parameter", Union.Replace("int Quantity", "System.Span<int> Quantity", StringComparison.Ordinal) },
        { "a variant declared twice", Union.Replace("public sealed record Cancelled(string Id) : Order;", "public sealed record Cancelled(string Id) : Order;\n    public sealed record Cancelled(int Code) : Order;", StringComparison.Ordinal) },
        { "a base type that does not resolve", Union.Replace("partial record Order\n", "partial record Order : Missing\n", StringComparison.Ordinal) },
        { "a union deriving from itself", Union.Replace("partial record Order\n", "partial record Order : Order\n", StringComparison.Ordinal) },
        { "a half-written generic union", Union.Replace("partial record Order\n", "partial record Order<\n", StringComparison.Ordinal) },
        { "a syntax error in a member", Union.Replace("public sealed record Cancelled(string Id) : Order;", "public sealed record Cancelled(string Id) : Order;\n    void Touch( { ", StringComparison.Ordinal) },
        { "an attribute with an argument it does not take", Union.Replace("[EventUnion]", "[EventUnion(1)]", StringComparison.Ordinal) },
        { "an unclosed attribute argument list", Union.Replace("[EventUnion]", "[EventUnion(]", StringComparison.Ordinal) },
        { "a wire name of the wrong type", Union.Replace("    public sealed record Cancelled", "    [WireName(42)]\n    public sealed record Cancelled", StringComparison.Ordinal) },
        { "a wire name without its argument", Union.Replace("    public sealed record Cancelled", "    [WireName]\n    public sealed record Cancelled", StringComparison.Ordinal) },
        { "a default value of the wrong type", Union.Replace("int Quantity", "int Quantity = \"one\"", StringComparison.Ordinal) },
        { "a default value that does not resolve", Union.Replace("int Quantity", "int Quantity = Missing.Value", StringComparison.Ordinal) },
        { "a JSON name of the wrong type", Union.Replace("int Quantity", "[property: System.Text.Json.Serialization.JsonPropertyName(42)] int Quantity", StringComparison.Ordinal) },
        { "the union's attribute on two of its parts", Union + "\nnamespace Shop { [EventUnion] public abstract partial record Order { } }" },
        { "a sink of a type that does not resolve", Sink.Replace("typeof(Order)", "typeof(Missing)", StringComparison.Ordinal) },
        { "a sink with a string for its union", Sink.Replace("typeof(Order)", "\"Order\"", StringComparison.Ordinal) },
        { "a sink without its union", Sink.Replace("[StreamSink(typeof(Order))]", "[StreamSink]", StringComparison.Ordinal) },
        { "a sink without its name", Sink.Replace("partial class OrderSink", "partial class", StringComparison.Ordinal) },
        { "a sink handler of a type that does not resolve", Sink.Replace("Order.Placed item", "Missing item", StringComparison.Ordinal) },
        { "backpressure arguments of the wrong types", Sink.Replace("[StreamSink(typeof(Order))]", "[StreamSink(typeof(Order))]\n[Backpressure(\"x\", Capacity = \"y\", Degrader = 3)]", StringComparison.Ordinal) },
        { "the sink's attribute on two of its parts", Sink + "\nnamespace Shop { [StreamSink(typeof(Order))] public sealed partial class OrderSink { } }" },
    };

    [Theory]
    [MemberData(nameof(Unfinished))]
    public void Unfinished_code_never_fails_the_generator_and_gets_no_generated_errors(string what, string source)
    {
        var sources = source.Contains("StreamSink", StringComparison.Ordinal) ? new[] { Union, source } : new[] { source };

        var run = TestCompilation.Run(sources);

        Assert.True(run.Result.Results.Single().Exception is null, what + ": " + run.Result.Results.Single().Exception);
        Assert.DoesNotContain(run.GeneratorDiagnostics, static d => d.Id == "CS8785");
        Assert.Empty(GeneratedErrors(run.Output));
    }

    [Fact]
    public void A_union_whose_attribute_is_on_two_of_its_parts_is_generated_once_and_its_sink_too()
    {
        var second = "#pragma warning disable CS1591\nusing Reactive.Streams;\nnamespace Shop;\n[EventUnion]\npublic abstract partial record Order\n{\n    public sealed record Shipped(string Id) : Order;\n}\n";

        var run = TestCompilation.Run(Union, second, Sink.Replace("public void OnCancelled", "public void OnShipped(Order.Shipped item) { }\n\n    public void OnCancelled", StringComparison.Ordinal));

        Assert.Equal(new[] { "Shop.Order.EventUnion.g.cs", "Shop.OrderSink.StreamSink.g.cs" }, run.Sources.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("Shipped", run.Sources["Shop.Order.EventUnion.g.cs"], StringComparison.Ordinal);
        // The user's one error: the attribute repeated (CS0579). Nothing else, and nothing in generated code.
        Assert.Equal(new[] { "CS0579" }, run.Output.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Error).Select(static d => d.Id).Distinct());
    }

    /// <summary>
    /// Each snapshot input typed in token by token, into one driver as an editor feeds it: no prefix fails the generator,
    /// and none gets an error in generated code. Then the whole text gives what a fresh driver gives.
    /// </summary>
    [Theory]
    [InlineData(nameof(Sources.LeaseHistory))]
    [InlineData(nameof(Sources.Completion))]
    [InlineData(nameof(Sources.NestedInternal))]
    [InlineData(nameof(Sources.LeaseSink))]
    public void Typing_a_snapshot_input_token_by_token_never_fails_and_never_generates_an_error(string name)
    {
        var text = (string)typeof(Sources).GetField(name)!.GetValue(null)!;
        // The sink needs its union, complete, in another file.
        var other = name == nameof(Sources.LeaseSink) ? Sources.LeaseHistory : Sources.Unrelated;
        var ends = CSharpSyntaxTree.ParseText(text, TestCompilation.ParseOptions).GetRoot().DescendantTokens(descendIntoTrivia: false)
            .Select(static t => t.Span.End).Distinct().ToList();
        Compilation compilation = TestCompilation.Create(string.Empty, other);
        var tree = compilation.SyntaxTrees.First();
        var driver = TestCompilation.CreateDriver(trackSteps: true);
        var generatedBefore = string.Empty;
        var failures = new List<string>();
        foreach (var end in ends)
        {
            var typed = CSharpSyntaxTree.ParseText(text.Substring(0, end), TestCompilation.ParseOptions, tree.FilePath);
            compilation = compilation.ReplaceSyntaxTree(tree, typed);
            tree = typed;
            driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
            var result = driver.GetRunResult().Results.Single();
            if (result.Exception is not null || diagnostics.Any(static d => d.Id == "CS8785"))
            {
                failures.Add($"at {end}: {result.Exception}");
            }

            // Compiling the generated files again only when they changed keeps the test to a few seconds.
            var generated = string.Join("\n", result.GeneratedSources.Select(static s => s.HintName + s.SourceText));
            if (generated != generatedBefore)
            {
                generatedBefore = generated;
                failures.AddRange(GeneratedErrors(output).Select(d => $"at {end}: {d}"));
            }
        }

        Assert.Empty(failures);
        var fresh = TestCompilation.CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single().GeneratedSources;
        var incremental = driver.GetRunResult().Results.Single().GeneratedSources;
        Assert.NotEmpty(fresh);
        Assert.Equal(fresh.Select(static s => (s.HintName, s.SourceText.ToString())), incremental.Select(static s => (s.HintName, s.SourceText.ToString())));
    }

    private static List<Diagnostic> GeneratedErrors(Compilation output)
        => output.SyntaxTrees
            .Where(static t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal))
            .SelectMany(t => output.GetSemanticModel(t).GetDiagnostics())
            .Where(static d => d.Severity == DiagnosticSeverity.Error)
            .ToList();
}
