using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
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
}
