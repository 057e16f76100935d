using System.Reflection;
using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Model;

namespace Reactive.Streams.Generators.Tests;

/// <summary>
/// Models cross compilations in the incremental cache; one that held a symbol, a syntax node, a location or a
/// compilation would keep a whole compilation alive and never compare equal.
/// </summary>
public sealed class ModelWalkTests
{
    private static readonly Type[] s_forbidden = { typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree) };

    private static readonly Type[] s_roots = { typeof(UnionResult), typeof(SinkResult), typeof(DiagnosticInfo), typeof(StrayCandidate) };

    public static TheoryData<Type> Roots => new(s_roots);

    [Theory]
    [MemberData(nameof(Roots))]
    public void No_model_holds_a_symbol_syntax_location_or_compilation(Type root)
    {
        var offenders = Walk(root);

        Assert.Empty(offenders);
    }

    [Fact]
    public void Every_type_in_the_model_namespace_is_reached_from_a_root()
    {
        var reached = new HashSet<Type>();
        foreach (var root in s_roots)
        {
            Walk(root, reached);
        }

        var modelTypes = typeof(UnionModel).Assembly.GetTypes()
            .Where(static t => t.Namespace == typeof(UnionModel).Namespace && !t.IsAbstract && !t.Name.StartsWith('<') && !t.IsEnum && !(t.IsAbstract && t.IsSealed))
            .ToList();
        Assert.All(modelTypes, t => Assert.True(
            reached.Contains(t) || reached.Any(r => r.IsGenericType && r.GetGenericTypeDefinition() == t),
            $"{t} is not reached from a root; add it to Roots."));
    }

    [Fact]
    public void The_walk_finds_a_location_held_deep_inside_a_value_equal_array()
    {
        var offenders = Walk(typeof(BadModel));

        Assert.Equal(new[] { "BadModel -> BadModel.<Items>k__BackingField -> BadItem.<Where>k__BackingField: Location" }, offenders);
    }

    private static List<string> Walk(Type root, HashSet<Type>? reached = null)
    {
        var offenders = new List<string>();
        Visit(root, root.Name, reached ?? new HashSet<Type>(), offenders);
        return offenders;
    }

    private static void Visit(Type type, string path, HashSet<Type> seen, List<string> offenders)
    {
        if (type.IsArray)
        {
            Visit(type.GetElementType()!, path, seen, offenders);
            return;
        }

        if (s_forbidden.Any(f => f.IsAssignableFrom(type)))
        {
            offenders.Add($"{path}: {type.Name}");
            return;
        }

        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || !seen.Add(type))
        {
            return;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            Visit(underlying, path, seen, offenders);
            return;
        }

        foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : Type.EmptyTypes)
        {
            Visit(argument, path, seen, offenders);
        }

        if (type.Assembly != typeof(UnionModel).Assembly && type.Assembly != typeof(ModelWalkTests).Assembly &&
            type.Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) != true)
        {
            return;
        }

        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            Visit(field.FieldType, $"{path} -> {type.Name}.{field.Name}", seen, offenders);
        }
    }

    private sealed record BadItem(Location Where) : IEquatable<BadItem>;

    private sealed record BadModel(EquatableArray<BadItem> Items);
}
