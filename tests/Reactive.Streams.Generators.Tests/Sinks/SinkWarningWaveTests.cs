using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// An SDK project compiles at the warning level of its target framework (10 on .NET 10, 9999 with AnalysisLevel latest),
/// which turns on the compiler's warning waves; the other tests compile at the default level 4. The generated unions and
/// sinks of every policy raise no warning there either, under each nullable context a project can set, nor with the
/// compiler's strict mode on.
/// </summary>
public sealed class SinkWarningWaveTests
{
    private const string Sinks = """
        #pragma warning disable CS1591
        using System.Threading;
        using System.Threading.Tasks;
        using Reactive.Streams;

        namespace Consumer.Leases;

        [StreamSink(typeof(LeaseHistoryEvent))]
        [Backpressure(BackpressurePolicy.DropOldest)]
        public sealed partial class DroppingSink
        {
            public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
            public ValueTask OnRenewed(LeaseHistoryEvent.Renewed item, CancellationToken cancellationToken) => default;
            public ValueTask OnRevoked(LeaseHistoryEvent.Revoked item) => default;
        }

        [StreamSink(typeof(LeaseHistoryEvent))]
        [Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 2)]
        public sealed partial class PausingSink
        {
            public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
            public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
            public void OnRevoked(LeaseHistoryEvent.Revoked item, CancellationToken cancellationToken) { }
            public ValueTask OnUnknown(LeaseHistoryEvent.Unknown item) => default;
        }

        [StreamSink(typeof(Consumer.Completion.CompletionOutcome))]
        [Backpressure(BackpressurePolicy.Fail, Capacity = 8)]
        internal sealed partial class FailingSink
        {
            public void OnSuccess(Consumer.Completion.CompletionOutcome.Success item) { }
            public void OnFailure(Consumer.Completion.CompletionOutcome.Failure item) { }
            public void OnCancelled(Consumer.Completion.CompletionOutcome.Cancelled item) { }
            public void OnOther(Consumer.Completion.CompletionOutcome.Other item) { }
        }
        """;

    [Theory]
    [InlineData(NullableContextOptions.Enable, false)]
    [InlineData(NullableContextOptions.Warnings, false)]
    [InlineData(NullableContextOptions.Annotations, false)]
    [InlineData(NullableContextOptions.Disable, false)]
    // <Features>strict</Features>: the compiler's stricter checks of the language specification.
    [InlineData(NullableContextOptions.Enable, true)]
    public void Unions_and_sinks_compile_warning_free_with_every_warning_wave_on(NullableContextOptions nullable, bool strict)
    {
        var parseOptions = strict ? TestCompilation.ParseOptions.WithFeatures([new("strict", "true")]) : TestCompilation.ParseOptions;
        var compilation = CSharpCompilation.Create(
                "Consumer",
                new[] { Sources.LeaseHistory, Sources.Completion, Sources.LeaseSink, Sinks, Sources.NestedInternal }.Select((source, i) => CSharpSyntaxTree.ParseText(source, parseOptions, path: $"Source{i}.cs")),
                TestCompilation.References)
            .WithOptions(new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: nullable,
                warningLevel: 9999,
                generalDiagnosticOption: ReportDiagnostic.Error));

        CSharpGeneratorDriver.Create(new[] { new EventUnionGenerator().AsSourceGenerator() }, parseOptions: parseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);

        Assert.Empty(generatorDiagnostics);
        Assert.Equal(7, output.SyntaxTrees.Count() - compilation.SyntaxTrees.Count());
        var warnings = output.GetDiagnostics()
            .Where(static d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true)
            .Select(static d => d.ToString())
            .ToList();
        // Only the generated files are looked at: the consumer's own 'string?' is CS8632 where annotations are off.
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));
    }
}
