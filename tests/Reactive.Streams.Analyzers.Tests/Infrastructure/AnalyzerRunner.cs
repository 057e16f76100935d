using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Reactive.Streams.Analyzers.Tests.Infrastructure;

/// <summary>Runs analyzers over a compilation directly, for tests that inspect every diagnostic (including AD0001).</summary>
internal static class AnalyzerRunner
{
    internal static Task<ImmutableArray<Diagnostic>> RunAsync(DiagnosticAnalyzer analyzer, params string[] sources) =>
        RunAsync(ImmutableArray.Create(analyzer), withLibrary: true, sources);

    internal static async Task<ImmutableArray<Diagnostic>> RunAsync(ImmutableArray<DiagnosticAnalyzer> analyzers, bool withLibrary, params string[] sources) =>
        (await RunWithErrorsAsync(analyzers, withLibrary, sources)).Analyzer;

    /// <summary>The compiler's errors beside the analyzers' diagnostics, for tests whose sources must compile.</summary>
    internal static async Task<(ImmutableArray<Diagnostic> Errors, ImmutableArray<Diagnostic> Analyzer)> RunWithErrorsAsync(
        ImmutableArray<DiagnosticAnalyzer> analyzers, bool withLibrary, params string[] sources)
    {
        var compilation = CSharpCompilation.Create(
            "Test",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest), path: $"Test{i}.cs"))
                .Concat(withLibrary ? [CSharpSyntaxTree.ParseText(Stubs.Source, path: "Stubs.cs")] : []),
            withLibrary ? TestReferences.Runtime.AddRange(TestReferences.Library) : TestReferences.Runtime,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: null,
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        return (errors, await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync());
    }
}
