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

    /// <summary>The assembly the library ships as; where a type of the library's names is defined twice, its copy wins.</summary>
    internal const string LibraryAssembly = "Reactive.Streams.Core";

    private KnownTypes(Compilation compilation, INamedTypeSymbol backpressureAttribute)
    {
        Compilation = compilation;
        BackpressureAttribute = backpressureAttribute;
        var library = backpressureAttribute.ContainingAssembly;
        BackpressurePolicy = Resolve(compilation, "Reactive.Streams.BackpressurePolicy", library);
        StreamSinkAttribute = Resolve(compilation, "Reactive.Streams.StreamSinkAttribute", library);
        EventUnionAttribute = Resolve(compilation, "Reactive.Streams.EventUnionAttribute", library);
        ObservableBackpressureExtensions = Resolve(compilation, "Reactive.Streams.ObservableBackpressureExtensions", library);
        Observable = Resolve(compilation, "System.Reactive.Linq.Observable", "System.Reactive");
        Channel = Resolve(compilation, "System.Threading.Channels.Channel", "System.Threading.Channels");
        DataflowBlockOptions = Resolve(compilation, "System.Threading.Tasks.Dataflow.DataflowBlockOptions", "System.Threading.Tasks.Dataflow");
    }

    internal Compilation Compilation { get; }

    internal INamedTypeSymbol BackpressureAttribute { get; }

    internal INamedTypeSymbol? BackpressurePolicy { get; }

    internal INamedTypeSymbol? StreamSinkAttribute { get; }

    internal INamedTypeSymbol? EventUnionAttribute { get; }

    /// <summary>The library's Rx policy operators (<c>DropOldest</c>, <c>PauseUpstream</c>, ...); an older version has none.</summary>
    internal INamedTypeSymbol? ObservableBackpressureExtensions { get; }

    internal INamedTypeSymbol? Observable { get; }

    internal INamedTypeSymbol? Channel { get; }

    internal INamedTypeSymbol? DataflowBlockOptions { get; }

    // The six rules share one resolution per compilation (GetTypeByMetadataName searches every reference).
    private static readonly ConditionalWeakTable<Compilation, StrongBox<KnownTypes?>> s_cache = new();

    internal static KnownTypes? TryCreate(Compilation compilation) =>
        s_cache.GetValue(compilation, static c =>
        {
            var attribute = Resolve(c, "Reactive.Streams.BackpressureAttribute", LibraryAssembly);
            return new StrongBox<KnownTypes?>(attribute is null ? null : new KnownTypes(c, attribute));
        }).Value;

    /// <summary>
    /// The type <paramref name="metadataName"/> as the compilation sees it: <c>Compilation.GetTypeByMetadataName</c>'s
    /// answer (the compilation's own type, else the one reference that defines it), or, where several references define
    /// it (the library beside a test double, an assembly that embeds an internal copy of the attribute, an older copy
    /// under an extern alias) and that answer is null, the one of the assembly named <paramref name="preferredAssembly"/>,
    /// else the only one the compilation can see (the others internal). Null when none is defined, or several are and
    /// none of these rules picks one.
    /// </summary>
    internal static INamedTypeSymbol? Resolve(Compilation compilation, string metadataName, string preferredAssembly) =>
        compilation.GetTypeByMetadataName(metadataName)
        ?? Preferred(compilation, metadataName, a => a.Identity.Name == preferredAssembly)
        ?? Preferred(compilation, metadataName, null);

    /// <summary>
    /// Like <see cref="Resolve(Compilation, string, string)"/>, preferring the type of <paramref name="preferredAssembly"/>
    /// (the assembly of the library's attribute), then the one of the assembly named Reactive.Streams.Core.
    /// </summary>
    internal static INamedTypeSymbol? Resolve(Compilation compilation, string metadataName, IAssemblySymbol preferredAssembly)
    {
        if (preferredAssembly.GetTypeByMetadataName(metadataName) is { } own)
        {
            return own;
        }

        return Resolve(compilation, metadataName, LibraryAssembly);
    }

    // The one candidate of an assembly `preferred` accepts; without `preferred`, the one the compilation can see.
    private static INamedTypeSymbol? Preferred(Compilation compilation, string metadataName, Func<IAssemblySymbol, bool>? preferred)
    {
        INamedTypeSymbol? found = null;
        foreach (var candidate in compilation.GetTypesByMetadataName(metadataName))
        {
            if (preferred is null ? compilation.IsSymbolAccessibleWithin(candidate, compilation.Assembly) : preferred(candidate.ContainingAssembly))
            {
                if (found is not null)
                {
                    return null;
                }

                found = candidate;
            }
        }

        return found;
    }

    /// <summary>
    /// Whether <paramref name="type"/> has the metadata-style full name <paramref name="fullName"/>
    /// (<c>System.Collections.Generic.List`1</c>, <c>Outer+Inner</c>), compared segment by segment from the end without
    /// building the type's name. Building it with <c>ToDisplayString</c> allocated a list of display parts and a string on
    /// every lookup, and the purity prover looks up every member a degrader touches (its type, each base type and each
    /// interface): about a tenth of the analyzers' time in a profile of a 500-file compile (docs/benchmarks.md).
    /// </summary>
    internal static bool HasFullName(INamedTypeSymbol type, string fullName)
    {
        var end = fullName.Length;
        var current = type;
        while (true)
        {
            if (current.Arity > 0)
            {
                for (var arity = current.Arity; arity > 0; arity /= 10)
                {
                    if (end == 0 || fullName[--end] != (char)('0' + (arity % 10)))
                    {
                        return false;
                    }
                }

                if (end == 0 || fullName[--end] != '`')
                {
                    return false;
                }
            }

            if (!EndsWithSegment(fullName, ref end, current.Name))
            {
                return false;
            }

            if (current.ContainingType is not { } outer)
            {
                break;
            }

            if (end == 0 || fullName[--end] != '+')
            {
                return false;
            }

            current = outer;
        }

        return end == 0 ? current.ContainingNamespace is null or { IsGlobalNamespace: true }
            : current.ContainingNamespace is { IsGlobalNamespace: false } ns && fullName[end - 1] == '.' && IsNamespace(ns, fullName, end - 1);
    }

    /// <summary>Whether <paramref name="baseType"/> is a base class of <paramref name="type"/> (not the type itself).</summary>
    internal static bool DerivesFrom(ITypeSymbol type, INamedTypeSymbol baseType)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, baseType))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="ns"/> is the namespace with the dotted name <paramref name="name"/>, compared without allocating.</summary>
    internal static bool IsNamespace(INamespaceSymbol? ns, string name) => IsNamespace(ns, name, name.Length);

    // Whether ns is the namespace named by the first `end` characters of text.
    private static bool IsNamespace(INamespaceSymbol? ns, string text, int end)
    {
        for (; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
        {
            if (!EndsWithSegment(text, ref end, ns.Name))
            {
                return false;
            }

            if (ns.ContainingNamespace is { IsGlobalNamespace: false } && (end == 0 || text[--end] != '.'))
            {
                return false;
            }
        }

        return end == 0;
    }

    // Whether text[..end] ends with segment; if so, moves end before it.
    private static bool EndsWithSegment(string text, ref int end, string segment)
    {
        if (segment.Length > end || string.CompareOrdinal(text, end - segment.Length, segment, 0, segment.Length) != 0)
        {
            return false;
        }

        end -= segment.Length;
        return true;
    }

    /// <summary>Whether <paramref name="type"/> is declared directly in the library's namespace.</summary>
    internal static bool IsInLibraryNamespace(ISymbol? type) => IsNamespace(type?.ContainingNamespace, LibraryNamespace);
}
