using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Reactive.Streams.Generators.Tests.Infrastructure;

/// <summary>
/// Runs System.Text.Json's source generator beside ours, as the SDK does on every .NET project, and loads the result.
/// The generator comes from the SDK's targeting pack (packs/Microsoft.NETCore.App.Ref/{version}/analyzers/dotnet/cs)
/// beside the running runtime, the newest version there.
/// </summary>
internal static class JsonGenerator
{
    private const string InPack = "analyzers/dotnet/cs/System.Text.Json.SourceGeneration.dll";

    private static readonly Lazy<ISourceGenerator> s_generator = new(() =>
    {
        // shared/Microsoft.NETCore.App/{version}/System.Private.CoreLib.dll -> the dotnet root.
        var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var packs = Path.Combine(root, "packs", "Microsoft.NETCore.App.Ref");
        var path = (Directory.Exists(packs) ? Directory.GetDirectories(packs) : [])
            .Where(version => File.Exists(Path.Combine(version, InPack)))
            .OrderByDescending(version => Version.TryParse(Path.GetFileName(version).Split('-')[0], out var v) ? v : new Version())
            .Select(version => Path.Combine(version, InPack))
            .FirstOrDefault()
            ?? throw new InvalidOperationException($"System.Text.Json's source generator was not found under {packs}: these tests need the .NET SDK's targeting pack.");
        var type = Assembly.LoadFrom(path).GetType("System.Text.Json.SourceGeneration.JsonSourceGenerator", throwOnError: true)!;
        return ((IIncrementalGenerator)Activator.CreateInstance(type)!).AsSourceGenerator();
    });

    /// <summary>Runs both generators over <paramref name="sources"/>.</summary>
    public static GeneratorRun Run(params string[] sources)
    {
        var compilation = TestCompilation.Create(sources);
        var driver = CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator(), s_generator.Value], parseOptions: TestCompilation.ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        return new GeneratorRun(driver.GetRunResult(), output, generatorDiagnostics);
    }

    /// <summary>Emits the compilation and loads it (into the default context, where Reactive.Streams.Core already is).</summary>
    public static Assembly Load(Compilation compilation)
    {
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(static d => d.Severity == DiagnosticSeverity.Error)));
        return Assembly.Load(image.ToArray());
    }

    /// <summary>Calls the public static method <paramref name="name"/> of type <c>Probe</c>, which returns a string.</summary>
    public static string Call(Assembly assembly, string name)
        => (string)assembly.GetType("Probe", throwOnError: true)!.GetMethod(name)!.Invoke(null, null)!;

    public static ImmutableArray<Diagnostic> Errors(GeneratorRun run)
        => run.GeneratorDiagnostics.AddRange(run.CompilationDiagnostics).Where(static d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
}
