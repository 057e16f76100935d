using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Reactive.Streams.Analyzers.Purity;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules;

public sealed class DeepNestingTests
{
    // A sum of this many terms: the compiler binds it iteratively, but its operation tree is as deep as it is long.
    private const int DeepTerms = 30_000;

    [Fact]
    public async Task A_degrader_nested_deeper_than_the_bound_is_reported_not_crashed_on()
    {
        var diagnostics = await AnalyzerRunner.RunAsync(new ImpureDegraderAnalyzer(), LambdaSumSource(DeepTerms));

        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("Degrader 'lambda' is not pure: lambda \u2192 is nested too deeply to prove (Test0.cs:2)", diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(256 * 1024)]
    [InlineData(256 * 1024 * 1024)]
    public void The_verdict_on_a_deep_degrader_does_not_depend_on_the_stack_of_the_thread_that_proves_it(int stackBytes)
    {
        // With a big enough stack an unbounded walk finished and called the sum pure; with a small one it gave up.
        var (compilation, lambda) = CompileLambda(LambdaSumSource(DeepTerms));
        PurityViolation? violation = null;
        var thread = new Thread(() => violation = new PurityProver(compilation, ImmutableHashSet<string>.Empty).ProveLambda(lambda, CancellationToken.None), stackBytes);
        thread.Start();
        thread.Join();

        Assert.NotNull(violation);
        Assert.Equal("is nested too deeply to prove (Test0.cs:2)", violation.Describe());
    }

    [Fact]
    public async Task A_degrader_nested_just_inside_the_bound_is_proved()
    {
        // Each term is two operations deep (the addition and its operand); the lambda, its body and the return add three.
        var diagnostics = await AnalyzerRunner.RunAsync(new ImpureDegraderAnalyzer(), LambdaSumSource((PurityProver.MaxNesting / 2) - 4));

        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task A_deep_helper_is_reported_on_the_call_path_and_the_degrader_that_calls_it()
    {
        var sum = string.Join(" + ", Enumerable.Repeat("x", DeepTerms));
        var source = "using Reactive.Streams;\nclass C\n{\n    int M() => StubFactory.DegradeQuality<int>(4, static x => H.Deep(x));\n}\nstatic class H\n{\n    public static int Deep(int x) => " + sum + ";\n}";

        var diagnostics = await AnalyzerRunner.RunAsync(new ImpureDegraderAnalyzer(), source);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("Degrader 'lambda' is not pure: lambda \u2192 Deep \u2192 is nested too deeply to prove (Test0.cs:8)", diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    private static string LambdaSumSource(int terms) =>
        "using Reactive.Streams;\nclass C { int M() => StubFactory.DegradeQuality<int>(4, static x => " + string.Join(" + ", Enumerable.Repeat("x", terms)) + "); }";

    private static (Compilation Compilation, IAnonymousFunctionOperation Lambda) CompileLambda(string source)
    {
        var tree = CSharpSyntaxTree.ParseText(source, CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest), path: "Test0.cs");
        var compilation = CSharpCompilation.Create(
            "Test",
            [tree, CSharpSyntaxTree.ParseText(Stubs.Source, path: "Stubs.cs")],
            TestReferences.Runtime.AddRange(TestReferences.Library),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var syntax = tree.GetRoot().DescendantNodes().OfType<LambdaExpressionSyntax>().Single();
        var lambda = (IAnonymousFunctionOperation)compilation.GetSemanticModel(tree).GetOperation(syntax)!;
        return (compilation, lambda);
    }
}
