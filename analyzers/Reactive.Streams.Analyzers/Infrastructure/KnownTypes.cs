using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace Reactive.Streams.Analyzers.Infrastructure;

/// <summary>
/// The library and platform types the rules key on, resolved once per compilation. <see cref="TryCreate"/>
/// returns <see langword="null"/> when the compilation does not reference Reactive.Streams.Core, and then no rule
/// registers anything: code that does not use the library gets no diagnostics and pays nothing.
/// </summary>
internal sealed class KnownTypes
{
    internal const string LibraryNamespace = "Reactive.Streams";

    private KnownTypes(Compilation compilation, INamedTypeSymbol backpressureAttribute)
    {
        Compilation = compilation;
        BackpressureAttribute = backpressureAttribute;
        BackpressurePolicy = compilation.GetTypeByMetadataName("Reactive.Streams.BackpressurePolicy");
        StreamSinkAttribute = compilation.GetTypeByMetadataName("Reactive.Streams.StreamSinkAttribute");
        EventUnionAttribute = compilation.GetTypeByMetadataName("Reactive.Streams.EventUnionAttribute");
        Observable = compilation.GetTypeByMetadataName("System.Reactive.Linq.Observable");
        Channel = compilation.GetTypeByMetadataName("System.Threading.Channels.Channel");
        DataflowBlockOptions = compilation.GetTypeByMetadataName("System.Threading.Tasks.Dataflow.DataflowBlockOptions");
    }

    internal Compilation Compilation { get; }

    internal INamedTypeSymbol BackpressureAttribute { get; }

    internal INamedTypeSymbol? BackpressurePolicy { get; }

    internal INamedTypeSymbol? StreamSinkAttribute { get; }

    internal INamedTypeSymbol? EventUnionAttribute { get; }

    internal INamedTypeSymbol? Observable { get; }

    internal INamedTypeSymbol? Channel { get; }

    internal INamedTypeSymbol? DataflowBlockOptions { get; }

    // The six rules share one resolution per compilation (GetTypeByMetadataName searches every reference).
    private static readonly ConditionalWeakTable<Compilation, StrongBox<KnownTypes?>> s_cache = new();
    private static readonly ConditionalWeakTable<INamespaceSymbol, string> s_namespaceNames = new();

    internal static KnownTypes? TryCreate(Compilation compilation) =>
        s_cache.GetValue(compilation, static c =>
        {
            var attribute = c.GetTypeByMetadataName("Reactive.Streams.BackpressureAttribute");
            return new StrongBox<KnownTypes?>(attribute is null ? null : new KnownTypes(c, attribute));
        }).Value;

    /// <summary>
    /// The dotted name of a namespace (empty for none or the global one), built once per symbol and kept as long as it
    /// lives. <c>ToDisplayString</c> allocates a list of display parts and a string on every call; the purity prover's
    /// lookups of known APIs called it for every member a degrader touches, about a tenth of the analyzers' time in a
    /// profile of a 500-file compile (docs/benchmarks.md). Roslyn caches its public symbol objects, so identity is a
    /// sound key.
    /// </summary>
    internal static string NamespaceName(INamespaceSymbol? ns) =>
        ns is null || ns.IsGlobalNamespace ? string.Empty : s_namespaceNames.GetValue(ns, static n => n.ToDisplayString());

    /// <summary>Whether <paramref name="type"/> is declared directly in the library's namespace.</summary>
    internal static bool IsInLibraryNamespace(ISymbol? type)
    {
        var ns = type?.ContainingNamespace;
        return ns is { Name: "Streams" } && ns.ContainingNamespace is { Name: "Reactive" } outer
            && outer.ContainingNamespace is { IsGlobalNamespace: true };
    }
}
