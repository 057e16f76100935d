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

        // Keep the usings sorted: System first, then ordinal order.
        var index = 0;
        while (index < unit.Usings.Count && Before(unit.Usings[index], ns))
        {
            index++;
        }

        if (unit.Usings.Count == 0)
        {
            var first = unit.Members.FirstOrDefault();
            directive = directive.WithTrailingTrivia(newline, newline);
            if (first is not null)
            {
                // Move the first member's leading trivia (comments, license header) above the using.
                directive = directive.WithLeadingTrivia(first.GetLeadingTrivia());
                unit = unit.ReplaceNode(first, first.WithLeadingTrivia());
            }

            return unit.WithUsings(unit.Usings.Add(directive));
        }

        var template = unit.Usings[Math.Min(index, unit.Usings.Count - 1)];
        directive = directive.WithTrailingTrivia(template.GetTrailingTrivia());
        if (index == 0)
        {
            // Keep any file header on the first line.
            directive = directive.WithLeadingTrivia(template.GetLeadingTrivia());
            unit = unit.ReplaceNode(unit.Usings[0], unit.Usings[0].WithLeadingTrivia());
        }

        return unit.WithUsings(unit.Usings.Insert(index, directive));
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
