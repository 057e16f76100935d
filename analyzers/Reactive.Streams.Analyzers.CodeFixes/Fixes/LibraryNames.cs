using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Reactive.Streams.Analyzers.Infrastructure;

namespace Reactive.Streams.Analyzers.CodeFixes.Fixes;

/// <summary>
/// How a fix writes the library's type names at a position: by their simple name, with <c>using Reactive.Streams;</c>
/// added when the file lacks it, or as <c>global::Reactive.Streams.X</c> where the simple name would bind to something
/// else (a type of that name in scope: a home-grown <c>BackpressurePolicy</c> imported by the file, an attribute of the
/// file's namespace named <c>Backpressure</c>) or where the using would make a name the file already uses ambiguous
/// (CS0104: the file's own <c>StreamFrame</c> imported from another namespace). <see cref="At"/> returns
/// <see langword="null"/> when the referenced library lacks a type the fix writes (an older version): the fix is then
/// not offered, since the code it wrote would not compile.
/// </summary>
internal sealed class LibraryNames
{
    private const string AttributeSuffix = "Attribute";
    private const string Qualifier = "global::" + Edits.LibraryNamespace + ".";

    private readonly IReadOnlyList<string> _written;
    private readonly HashSet<string> _qualified;

    private LibraryNames(bool canImport, IReadOnlyList<string> written, HashSet<string> qualified)
    {
        CanImport = canImport;
        _written = written;
        _qualified = qualified;
    }

    /// <summary>
    /// Whether the library's namespace is imported at the position, or <c>using Reactive.Streams;</c> can be added
    /// without making a name of the file ambiguous. An extension method call (<c>source.PauseUpstream(...)</c>) needs it.
    /// </summary>
    internal bool CanImport { get; }

    /// <summary>Whether some name is written by its simple name, so that the fix must make sure of the using.</summary>
    internal bool NeedsUsing => _written.Any(name => !_qualified.Contains(name));

    /// <summary>
    /// The library type <paramref name="name"/> as the fix writes it (an attribute without its suffix:
    /// <c>Backpressure</c>): <c>BackpressurePolicy</c> or <c>global::Reactive.Streams.BackpressurePolicy</c>.
    /// </summary>
    internal string Name(string name) => _qualified.Contains(name) ? Qualifier + name : name;

    /// <summary>
    /// The names of the library types <paramref name="metadataNames"/> (<c>Reactive.Streams.BackpressureBlock`1</c>) at
    /// <paramref name="position"/>, or <see langword="null"/> when one of them is not in the compilation.
    /// </summary>
    internal static LibraryNames? At(SemanticModel model, int position, CancellationToken cancellationToken, params string[] metadataNames)
    {
        var written = new List<string>();
        var qualified = new HashSet<string>(StringComparer.Ordinal);
        foreach (var metadataName in metadataNames)
        {
            if (KnownTypes.Resolve(model.Compilation, metadataName, KnownTypes.LibraryAssembly) is null)
            {
                return null;
            }

            var name = metadataName.Substring(Edits.LibraryNamespace.Length + 1);
            var tick = name.IndexOf('`');
            written.Add(Written(tick < 0 ? name : name.Substring(0, tick)));
        }

        var canImport = IsImported(model, position, metadataNames) || !ImportMakesAmbiguous(model, cancellationToken);
        foreach (var name in written)
        {
            // An attribute written `Backpressure` is looked up as Backpressure and as BackpressureAttribute.
            if (!canImport || !BindsToLibrary(model, position, name)
                || (metadataNames.Any(m => m.EndsWith("." + name + AttributeSuffix, StringComparison.Ordinal))
                    && !BindsToLibrary(model, position, name + AttributeSuffix)))
            {
                qualified.Add(name);
            }
        }

        return new LibraryNames(canImport, written, qualified);
    }

    private static string Written(string name) =>
        name.EndsWith(AttributeSuffix, StringComparison.Ordinal) && name.Length > AttributeSuffix.Length
            ? name.Substring(0, name.Length - AttributeSuffix.Length)
            : name;

    private static bool IsLibrary(ITypeSymbol? type) =>
        type is INamedTypeSymbol { ContainingType: null } named && named.ContainingNamespace?.ToDisplayString() == Edits.LibraryNamespace;

    // The library's types are in scope by simple name (a using, a global using, or code inside namespace Reactive.Streams).
    private static bool IsImported(SemanticModel model, int position, string[] metadataNames)
    {
        var name = metadataNames[0].Substring(Edits.LibraryNamespace.Length + 1);
        var tick = name.IndexOf('`');
        return model.LookupNamespacesAndTypes(position, name: tick < 0 ? name : name.Substring(0, tick)).Any(static s => IsLibrary(s as ITypeSymbol));
    }

    // Nothing but the library's type answers to the name at the position (nothing at all: the using will bring it). A
    // member named like its type (`BackpressurePolicy BackpressurePolicy { get; }`) binds as the type where a member
    // access follows it.
    private static bool BindsToLibrary(SemanticModel model, int position, string name)
    {
        foreach (var symbol in model.LookupSymbols(position, name: name))
        {
            var type = symbol switch
            {
                ITypeSymbol t => t,
                IPropertySymbol p => p.Type,
                IFieldSymbol f => f.Type,
                ILocalSymbol l => l.Type,
                IParameterSymbol p => p.Type,
                _ => null,
            };
            if (!IsLibrary(type) || (symbol is not ITypeSymbol && type!.Name != name))
            {
                return false;
            }
        }

        return true;
    }

    // Whether `using Reactive.Streams;` would make a type name the file uses ambiguous: a simple name of a library type
    // that binds today to a type of another namespace the file imports (not a type of a namespace around the use, nor a
    // nested type or an alias, which a using does not compete with).
    private static bool ImportMakesAmbiguous(SemanticModel model, CancellationToken cancellationToken)
    {
        var library = model.Compilation.GlobalNamespace.GetNamespaceMembers().FirstOrDefault(static n => n.Name == "Reactive")
            ?.GetNamespaceMembers().FirstOrDefault(static n => n.Name == "Streams");
        if (library is null)
        {
            return false;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in library.GetTypeMembers())
        {
            if (type.DeclaredAccessibility == Accessibility.Public)
            {
                names.Add(type.Name);
                names.Add(Written(type.Name));
            }
        }

        foreach (var node in model.SyntaxTree.GetRoot(cancellationToken).DescendantNodes())
        {
            if (node is not SimpleNameSyntax name || !names.Contains(name.Identifier.ValueText)
                || name.Parent is QualifiedNameSyntax { Right: var right } && right == name
                || name.Parent is MemberAccessExpressionSyntax { Name: var member } && member == name
                || name.Parent is AliasQualifiedNameSyntax or MemberBindingExpressionSyntax
                || model.GetAliasInfo(name, cancellationToken) is not null)
            {
                continue;
            }

            var info = model.GetSymbolInfo(name, cancellationToken);
            var symbol = info.Symbol ?? (info.CandidateSymbols.Length > 0 ? info.CandidateSymbols[0] : null);
            if (symbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor)
            {
                symbol = constructor.ContainingType;
            }

            if (symbol is INamedTypeSymbol { ContainingType: null } type && !IsLibrary(type)
                && !Encloses(type.ContainingNamespace, model.GetEnclosingSymbol(name.SpanStart, cancellationToken)))
            {
                return true;
            }
        }

        return false;
    }

    // Whether ns is the namespace of the code at `symbol` or one around it (its types win over any using's).
    private static bool Encloses(INamespaceSymbol? ns, ISymbol? symbol)
    {
        var name = ns?.ToDisplayString();
        for (var current = symbol as INamespaceSymbol ?? symbol?.ContainingNamespace; current is not null; current = current.ContainingNamespace)
        {
            if (current.ToDisplayString() == name || (current.IsGlobalNamespace && ns is { IsGlobalNamespace: true }))
            {
                return true;
            }
        }

        return false;
    }
}
