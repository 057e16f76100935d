using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;

namespace Reactive.Streams.Analyzers.Tests.Infrastructure;

/// <summary>
/// References for the test compilations, taken from the running runtime instead of a downloaded reference pack (the
/// testing packages' defaults fetch packages from NuGet, which an offline build cannot do).
/// </summary>
internal static class TestReferences
{
    /// <summary>An empty reference set: nothing is resolved or downloaded; the references come from <see cref="Runtime"/>.</summary>
    internal static readonly ReferenceAssemblies None = new("net10.0-runtime");

    /// <summary>The runtime's trusted platform assemblies (BCL, Dataflow, Channels).</summary>
    internal static readonly ImmutableArray<MetadataReference> Runtime =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => Path.GetFileName(path) is var name
                && (name.StartsWith("System.", StringComparison.Ordinal) || name is "mscorlib.dll" or "netstandard.dll" or "Microsoft.Win32.Primitives.dll"))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();

    /// <summary>Reactive.Streams.Core and System.Reactive.</summary>
    internal static readonly ImmutableArray<MetadataReference> Library = ImmutableArray.Create<MetadataReference>(
        MetadataReference.CreateFromFile(typeof(BackpressurePolicy).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(System.Reactive.Linq.Observable).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.Logging.ILogger).Assembly.Location));

    /// <summary>
    /// A library of the test's own (<paramref name="source"/>, run through the union generator, nullable on), compiled to
    /// an image: the tests of what the rules see of a union from another assembly reference it.
    /// </summary>
    internal static MetadataReference CompiledUnionLibrary(string assemblyName, string source, CSharpParseOptions parseOptions)
    {
        var compilation = CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(source, parseOptions)],
            Runtime.AddRange(Library),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create([new Reactive.Streams.Generators.EventUnionGenerator().AsSourceGenerator()], parseOptions: parseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);
        using var image = new MemoryStream();
        var emitted = generated.Emit(image);
        Xunit.Assert.True(emitted.Success, string.Join(Environment.NewLine, emitted.Diagnostics));
        return MetadataReference.CreateFromImage(image.ToArray());
    }
}
