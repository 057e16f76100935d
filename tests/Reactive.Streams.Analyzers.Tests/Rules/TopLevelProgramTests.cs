using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>The rules in a program written with top-level statements (its code lives in the compiler's own Program type).</summary>
public sealed class TopLevelProgramTests
{
    [Fact]
    public async Task Degraders_in_top_level_statements_are_proved_lambdas_local_functions_and_method_groups()
    {
        var messages = await RunAsync(new ImpureDegraderAnalyzer(), """
            using System;
            using Reactive.Streams;

            var factor = 2;
            BoundedStream.DegradeQuality<int>(8, x => x / factor);
            BoundedStream.DegradeQuality<int>(8, Tick);
            BoundedStream.DegradeQuality<int>(8, Counter.Bump);
            BoundedStream.DegradeQuality<int>(8, Halve);
            BoundedStream.DegradeQuality<int>(8, static x => x / 2);

            static int Tick(int x) => x + DateTime.UtcNow.Second;
            static int Halve(int x) => x / 2;

            static class Counter
            {
                public static int N;
                public static int Bump(int x) => N += x;
            }
            """);

        Assert.Equal(
            [
                "Degrader 'lambda' is not pure: lambda \u2192 reads captured variable 'factor' (Test0.cs:5)",
                "Degrader 'Tick' is not pure: Tick \u2192 reads the clock ('DateTime.UtcNow') (Test0.cs:11)",
                "Degrader 'Bump' is not pure: Bump \u2192 writes static field 'Counter.N' (Test0.cs:17)",
            ],
            messages);
    }

    [Fact]
    public async Task Boundaries_capacities_and_union_switches_in_top_level_statements_are_reported()
    {
        var source = """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            Observable.Range(0, 3).ObserveOn(TaskPoolScheduler.Default).Subscribe(_ => { });
            BoundedStream.DropOldest<int>(0);
            Ev e = new Ev.A();
            Console.WriteLine(e switch { Ev.A => 1 });

            [EventUnion]
            abstract partial record Ev
            {
                public sealed record A : Ev;
                public sealed record B : Ev;
            }
            """;

        Assert.Equal(["RXS0002 (Test0.cs:6)"], await RunAsync(new UnboundedBoundaryAnalyzer(), source, idsOnly: true));
        Assert.Equal(["RXS0005 (Test0.cs:7)"], await RunAsync(new CapacityAnalyzer(), source, idsOnly: true));
        Assert.Equal(["RXS0006 (Test0.cs:9)"], await RunAsync(new NonExhaustiveUnionSwitchAnalyzer(), source, idsOnly: true));
    }

    private static async Task<string[]> RunAsync(DiagnosticAnalyzer analyzer, string source, bool idsOnly = false)
    {
        var compilation = CSharpCompilation.Create(
            "Test",
            [CSharpSyntaxTree.ParseText(source, CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest), path: "Test0.cs")],
            TestReferences.Runtime.AddRange(TestReferences.Library),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("CS8509", StringComparison.Ordinal)));
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create(analyzer)).GetAnalyzerDiagnosticsAsync();
        return diagnostics
            .OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => idsOnly
                ? $"{d.Id} (Test0.cs:{d.Location.GetLineSpan().StartLinePosition.Line + 1})"
                : d.GetMessage(CultureInfo.InvariantCulture))
            .ToArray();
    }
}
