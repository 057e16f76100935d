using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Reactive.Streams.Analyzers.CodeFixes.Fixes;

/// <summary>Small syntax helpers shared by the fixes.</summary>
internal static class Edits
{
    internal const string LibraryNamespace = "Reactive.Streams";

    /// <summary>The capacity a fix writes: the library's default (<c>BackpressureAttribute.DefaultCapacity</c>).</summary>
    internal const int DefaultCapacity = 1024;

    /// <summary>
    /// The policies in the order fixes are offered, with the titles' wording. PauseUpstream comes first: it loses
    /// nothing, and the first fix is the one a fix-all (<c>dotnet format analyzers</c>) applies everywhere.
    /// </summary>
    internal static readonly string[] Policies = { "PauseUpstream", "DropOldest", "Fail", "DegradeQuality" };

    /// <summary>The document's line break (the first one in it), so a fix never mixes CRLF into an LF file.</summary>
    internal static SyntaxTrivia NewLine(SyntaxNode root)
    {
        foreach (var trivia in root.DescendantTrivia())
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                return trivia;
            }
        }

        return SyntaxFactory.EndOfLine("\n");
    }

    /// <summary>
    /// Adds <c>using Reactive.Streams;</c> when the document neither has it nor sits inside that namespace, and no
    /// global using of <paramref name="compilation"/> imports it; needed for extension methods, which the import adder
    /// cannot see through a plain member access.
    /// </summary>
    internal static SyntaxNode EnsureLibraryUsing(SyntaxNode root, SyntaxNode usedAt, Compilation? compilation) =>
        EnsureUsing(root, usedAt, LibraryNamespace, compilation);

    /// <summary>
    /// Adds <c>using <paramref name="ns"/>;</c> when the document neither has it nor sits inside that namespace (or one
    /// nested in it), and no global using of <paramref name="compilation"/> (when given) imports it.
    /// </summary>
    internal static SyntaxNode EnsureUsing(SyntaxNode root, SyntaxNode usedAt, string ns, Compilation? compilation = null)
    {
        if (root is not CompilationUnitSyntax unit)
        {
            return root;
        }

        foreach (var declaration in usedAt.AncestorsAndSelf().OfType<BaseNamespaceDeclarationSyntax>())
        {
            // Inside namespace A.B.C the types of A.B and A are in scope, not those of A.B.C.D.
            var name = declaration.Name.ToString();
            if (name == ns || name.StartsWith(ns + ".", StringComparison.Ordinal)
                || declaration.Usings.Any(u => Imports(u, ns)))
            {
                return root;
            }
        }

        if (unit.Usings.Any(u => Imports(u, ns)))
        {
            return root;
        }

        if (compilation is not null && compilation.SyntaxTrees.Any(t =>
            t.GetRoot() is CompilationUnitSyntax otherUnit
            && otherUnit.Usings.Any(u => u.GlobalKeyword.IsKind(SyntaxKind.GlobalKeyword) && Imports(u, ns))))
        {
            return root;
        }

        var newline = NewLine(root);
        var directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(ns).WithLeadingTrivia(SyntaxFactory.Space))
            .WithTrailingTrivia(newline);

        // A file that keeps its usings inside its namespace (and none at the top) gets the new one there too.
        if (!unit.Usings.Any(static u => !u.GlobalKeyword.IsKind(SyntaxKind.GlobalKeyword))
            && usedAt.AncestorsAndSelf().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault(static n => n.Usings.Count > 0) is { } inner)
        {
            if (ShadowedInside(inner, ns))
            {
                directive = directive.WithName(SyntaxFactory.ParseName("global::" + ns).WithLeadingTrivia(SyntaxFactory.Space));
            }

            return unit.ReplaceNode(inner, inner.WithUsings(Insert(inner.Usings, directive, ns)));
        }

        if (unit.Usings.Count == 0)
        {
            var first = unit.Members.FirstOrDefault();
            directive = directive.WithTrailingTrivia(newline, newline);
            if (first is not null)
            {
                // Move the first member's leading trivia (comments, license header) above the using, up to its XML
                // documentation, which stays on the member: above a using it would document nothing (CS1587).
                var leading = first.GetLeadingTrivia();
                var split = DocumentationStart(leading);
                directive = directive.WithLeadingTrivia(leading.Take(split));
                unit = unit.ReplaceNode(first, first.WithLeadingTrivia(leading.Skip(split)));
            }

            return unit.WithUsings(unit.Usings.Add(directive));
        }

        return unit.WithUsings(Insert(unit.Usings, directive, ns));
    }

    // The index in `leading` where the member's XML documentation begins (its line's indentation included), or the count
    // when it has none.
    private static int DocumentationStart(SyntaxTriviaList leading)
    {
        for (var i = 0; i < leading.Count; i++)
        {
            if (leading[i].IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) || leading[i].IsKind(SyntaxKind.MultiLineDocumentationCommentTrivia))
            {
                return i > 0 && leading[i - 1].IsKind(SyntaxKind.WhitespaceTrivia) ? i - 1 : i;
            }
        }

        return leading.Count;
    }

    // Inserts the directive in its sorted place (System first, then ordinal order) after the global usings, indented and
    // ended like its neighbour; first in the list, it takes over the leading trivia (a file header) of the one it goes before.
    private static SyntaxList<UsingDirectiveSyntax> Insert(SyntaxList<UsingDirectiveSyntax> usings, UsingDirectiveSyntax directive, string ns)
    {
        // A using directive must follow every global using of the file (CS8915): a Program.cs or GlobalUsings.cs with code
        // in it can hold both, and a global one that sorts after the library's name, or a static one, is not passed over.
        var index = 0;
        for (var i = 0; i < usings.Count; i++)
        {
            if (usings[i].GlobalKeyword.IsKind(SyntaxKind.GlobalKeyword))
            {
                index = i + 1;
            }
        }

        while (index < usings.Count && Before(usings[index], ns))
        {
            index++;
        }

        var template = usings[Math.Min(index, usings.Count - 1)];
        var whitespace = template.GetLeadingTrivia().LastOrDefault(static t => t.IsKind(SyntaxKind.WhitespaceTrivia));
        var indentation = whitespace == default ? SyntaxFactory.TriviaList() : SyntaxFactory.TriviaList(whitespace);
        directive = directive.WithTrailingTrivia(template.GetTrailingTrivia());
        if (index == 0)
        {
            directive = directive.WithLeadingTrivia(template.GetLeadingTrivia());
            usings = usings.Replace(usings[0], usings[0].WithLeadingTrivia(indentation));
        }
        else
        {
            directive = directive.WithLeadingTrivia(indentation);
        }

        return usings.Insert(index, directive);
    }

    // Whether, inside `inner`, the first segment of ns names something else: in `namespace Contoso.Reactive.Pipelines`
    // the name `Reactive` binds to Contoso.Reactive (a namespace declares its segments' parents' members in scope), so a
    // using written there as `Reactive.Streams` would look for Contoso.Reactive.Streams.
    private static bool ShadowedInside(BaseNamespaceDeclarationSyntax inner, string ns)
    {
        var first = ns.Split('.')[0];
        var segments = inner.AncestorsAndSelf().OfType<BaseNamespaceDeclarationSyntax>().Reverse()
            .SelectMany(static n => n.Name.ToString().Split('.'))
            .ToList();
        return segments.Skip(1).Any(segment => segment == first);
    }

    // Whether a using directive imports namespace ns (written with or without global::).
    private static bool Imports(UsingDirectiveSyntax directive, string ns)
    {
        if (directive.Alias is not null || directive.StaticKeyword.IsKind(SyntaxKind.StaticKeyword) || directive.Name is null)
        {
            return false;
        }

        var name = directive.Name.ToString();
        if (name.StartsWith("global::", StringComparison.Ordinal))
        {
            name = name.Substring("global::".Length);
        }

        return name == ns;
    }

    private static bool Before(UsingDirectiveSyntax existing, string ns)
    {
        if (existing.Alias is not null || existing.StaticKeyword.IsKind(SyntaxKind.StaticKeyword))
        {
            return false;
        }

        var name = existing.Name?.ToString() ?? string.Empty;
        var existingIsSystem = IsSystem(name);
        return existingIsSystem != IsSystem(ns) ? existingIsSystem : string.CompareOrdinal(name, ns) < 0;
    }

    private static bool IsSystem(string name) => name == "System" || name.StartsWith("System.", StringComparison.Ordinal);
}
