using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Reactive.Streams.Generators.Tests.Infrastructure;

/// <summary>
/// In-memory compilations for generator tests. References come from the running runtime's trusted platform
/// assemblies plus Reactive.Streams.Core and System.Reactive: the testing packages' default reference assemblies are downloaded on
/// first use, which fails offline.
/// </summary>
internal static class TestCompilation
{
    public static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default
        .WithLanguageVersion(LanguageVersion.Latest)
        .WithDocumentationMode(DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);

    public static ImmutableArray<MetadataReference> References => s_references.Value;

    public static CSharpCompilation Create(params string[] sources)
        => CSharpCompilation.Create(
            "Consumer",
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                generalDiagnosticOption: ReportDiagnostic.Error));

    public static GeneratorDriver CreateDriver(bool trackSteps = false)
        => CSharpGeneratorDriver.Create(
            new[] { new EventUnionGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator over <paramref name="sources"/>.</summary>
    public static GeneratorRun Run(params string[] sources)
    {
        var compilation = Create(sources);
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        return new GeneratorRun(driver.GetRunResult(), output, generatorDiagnostics);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return trusted
            .Where(path => string.Equals(Path.GetDirectoryName(path), frameworkDirectory, StringComparison.Ordinal))
            .Append(typeof(EventUnionAttribute).Assembly.Location)
            // Core's own dependency, which a project referencing Core always gets: the generated observer takes an IScheduler.
            .Append(typeof(System.Reactive.Concurrency.IScheduler).Assembly.Location)
            .Select(static path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }
}

internal sealed record GeneratorRun(GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    /// <summary>The generated files, by hint name.</summary>
    public IReadOnlyDictionary<string, string> Sources => Result.Results
        .SelectMany(static r => r.GeneratedSources)
        .ToDictionary(static s => s.HintName, static s => s.SourceText.ToString());

    /// <summary>Every diagnostic of the compilation with the generated code: warnings count, since they are errors here.</summary>
    public ImmutableArray<Diagnostic> CompilationDiagnostics => Output.GetDiagnostics()
        .Where(static d => d.Severity >= DiagnosticSeverity.Warning)
        .ToImmutableArray();

    public IEnumerable<string> GeneratorDiagnosticIds => GeneratorDiagnostics.Select(static d => d.Id);
}
