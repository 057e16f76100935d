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

    internal static KnownTypes? TryCreate(Compilation compilation) =>
        s_cache.GetValue(compilation, static c =>
        {
            var attribute = c.GetTypeByMetadataName("Reactive.Streams.BackpressureAttribute");
            return new StrongBox<KnownTypes?>(attribute is null ? null : new KnownTypes(c, attribute));
        }).Value;

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
