using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace Reactive.Streams.Generators.Internal;

/// <summary>
/// The one way the generator's own steps get a semantic model (the direct members are banned in this project, see
/// BannedSymbols.txt), so a test can count them: a project without unions must bind nothing, and a pipeline that binds
/// every record again (a semantic <c>CreateSyntaxProvider</c>) shows up as binds. <c>ForAttributeWithMetadataName</c>
/// binds only the annotated declarations, in Roslyn.
/// </summary>
internal static class Binding
{
    private static readonly AsyncLocal<StrongBox<int>?> s_binds = new();

    /// <summary>Counts the semantic models the generator asks for on this flow from now on (tests only).</summary>
    internal static StrongBox<int> Count()
    {
        var binds = new StrongBox<int>();
        s_binds.Value = binds;
        return binds;
    }

    public static SemanticModel SemanticModel(Compilation compilation, SyntaxTree tree)
    {
        Counted();
#pragma warning disable RS0030 // The counted way in.
        return compilation.GetSemanticModel(tree);
#pragma warning restore RS0030
    }

    public static SemanticModel SemanticModel(GeneratorSyntaxContext context)
    {
        Counted();
#pragma warning disable RS0030 // The counted way in.
        return context.SemanticModel;
#pragma warning restore RS0030
    }

    private static void Counted()
    {
        if (s_binds.Value is { } binds)
        {
            Interlocked.Increment(ref binds.Value);
        }
    }
}
