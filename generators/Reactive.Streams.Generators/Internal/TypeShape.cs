using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Reactive.Streams.Generators.Internal;

/// <summary>Shape checks shared by the union and sink parsers: code can only be generated into partial, non-generic types.</summary>
internal static class TypeShape
{
    /// <summary>
    /// What <paramref name="type"/> must also be for code to be generated into it ("partial", "non-generic", or a note
    /// on a containing type), or null when it is fine.
    /// </summary>
    public static string? PartialNonGenericProblem(INamedTypeSymbol type, TypeDeclarationSyntax syntax)
    {
        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            return "partial";
        }

        if (type.IsGenericType)
        {
            return "non-generic";
        }

        for (var container = type.ContainingType; container is not null; container = container.ContainingType)
        {
            var partial = container.DeclaringSyntaxReferences
                .Select(static r => r.GetSyntax())
                .OfType<TypeDeclarationSyntax>()
                .All(static d => d.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial || container.IsGenericType)
            {
                return $"declared in non-generic partial types only ('{container.Name}' is not one)";
            }

            if (container.IsFileLocal)
            {
                // The generated part is in another file, where a file-local type is out of reach.
                return $"declared in types that are not file-local ('{container.Name}' is one)";
            }
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="type"/> is seen only inside its assembly: it or a type containing it is <c>internal</c>,
    /// <c>private</c> or <c>private protected</c>.
    /// </summary>
    public static bool IsConfinedToAssembly(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility is Accessibility.Internal or Accessibility.Private or Accessibility.ProtectedAndInternal)
            {
                return true;
            }
        }

        return false;
    }
}
