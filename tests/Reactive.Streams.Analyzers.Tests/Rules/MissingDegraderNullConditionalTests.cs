using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// C# 14's null-conditional assignment (the default language of .NET 10; a preview feature of the Roslyn the tests
/// compile with): <c>_options?.Degrader = f</c> gives the held options a degrader like <c>_options.Degrader = f</c>
/// does (RXS0003), and <c>sinkOptions?.QueueCapacity = 0</c> sets a capacity (RXS0005).
/// </summary>
public sealed class MissingDegraderNullConditionalTests
{
    [Fact]
    public async Task A_degrader_given_through_a_null_conditional_assignment_counts()
    {
        var found = await FindingsAsync("""
            using Reactive.Streams;

            sealed class Pipeline
            {
                private BoundedStreamOptions<int>? _options = new(BackpressurePolicy.DegradeQuality, 4);
                private BoundedStreamOptions<int>? _coarse;
                private BoundedStreamOptions<int>? _unset = new(BackpressurePolicy.DegradeQuality, 4);
                private Holder? _holder;

                public Pipeline(DeliverySinkOptions? given)
                {
                    _options?.Degrader = static x => x / 2;
                    _coarse = new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 8);
                    _coarse?.Degrader ??= static x => x / 4;
                    var local = new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 4);
                    local?.Degrader = static x => x;
                    var other = new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 4);
                    _holder?.Options?.Degrader = static x => x;
                    _unset?.Degrader = null;
                    given?.QueueCapacity = 0;
                }
            }

            sealed class Holder
            {
                public BoundedStreamOptions<int>? Options { get; set; }
            }
            """);

        Assert.Equal(["RXS0003@7", "RXS0003@17", "RXS0005@20"], found);
    }

    private static async Task<string[]> FindingsAsync(string source)
    {
        var compilation = CSharpCompilation.Create(
            "Test",
            [CSharpSyntaxTree.ParseText(source, CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview), path: "Test0.cs")],
            TestReferences.Runtime.AddRange(TestReferences.Library),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        Assert.Empty(compilation.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Error).Select(static d => d.ToString()));
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new MissingDegraderAnalyzer(), new CapacityAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(diagnostics, static d => d.Id == "AD0001");
        return diagnostics
            .OrderBy(static d => d.Location.SourceSpan.Start)
            .Select(static d => d.Id + "@" + (d.Location.GetLineSpan().StartLinePosition.Line + 1))
            .ToArray();
    }
}
