using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Reactive.Streams.Analyzers.Infrastructure;

namespace Reactive.Streams.Analyzers.Rules;

/// <summary>
/// RXS0006: a <c>switch</c> statement or expression over an <c>[EventUnion]</c> type that leaves variants unhandled
/// and has no default arm. The variants are the nested sealed records deriving from the union; C# cannot see that the
/// hierarchy is closed, the attribute says it is. The fallback variant the generator adds (<c>Unknown</c>, <c>Other</c>)
/// is not required: it is for reading data from a newer producer, not one of the declared variants.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NonExhaustiveUnionSwitchAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The missing variants' metadata names, separated by <see cref="VariantSeparator"/>, for the code fix.</summary>
    internal const string MissingVariantsProperty = "MissingVariants";

    internal const char VariantSeparator = ';';

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.NonExhaustiveUnionSwitch);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.Flags);
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownTypes.TryCreate(start.Compilation) is not { EventUnionAttribute: { } eventUnion })
            {
                return;
            }

            start.RegisterOperationAction(c => Analyze(c, eventUnion), OperationKind.Switch, OperationKind.SwitchExpression);
        });
    }

    /// <summary>The variants of <paramref name="union"/>: nested sealed types deriving from it, in declaration order.</summary>
    internal static ImmutableArray<INamedTypeSymbol> Variants(INamedTypeSymbol union)
    {
        var builder = ImmutableArray.CreateBuilder<INamedTypeSymbol>();
        foreach (var nested in union.GetTypeMembers())
        {
            if (nested.IsSealed && KnownTypes.DerivesFrom(nested, union))
            {
                builder.Add(nested);
            }
        }

        return builder.ToImmutable();
    }

    private static void Analyze(OperationAnalysisContext context, INamedTypeSymbol eventUnion)
    {
        IOperation value;
        SyntaxToken switchKeyword;
        switch (context.Operation)
        {
            case ISwitchOperation { Syntax: SwitchStatementSyntax statement } switchStatement:
                value = switchStatement.Value;
                switchKeyword = statement.SwitchKeyword;
                break;
            case ISwitchExpressionOperation { Syntax: SwitchExpressionSyntax expression } switchExpression:
                value = switchExpression.Value;
                switchKeyword = expression.SwitchKeyword;
                break;
            default:
                return;
        }

        // A type parameter constrained to a union (`where T : Lease`) holds that union's variants.
        if (UnionOf(value.Type, eventUnion) is not { } union)
        {
            return;
        }

        var variants = Variants(union);
        if (variants.IsEmpty)
        {
            return;
        }

        if (Covered(context.Operation, union, variants) is not { } covered)
        {
            return;
        }

        // The generated fallback (Unknown, Other) is not required: it exists so that reading a newer producer's data
        // does not fail, and a switch written against the variants this code knows is complete without it.
        var missing = variants.Where((v, i) => !covered[i] && !IsGeneratedFallback(v)).ToImmutableArray();
        if (missing.IsEmpty)
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty.Add(
            MissingVariantsProperty, string.Join(VariantSeparator.ToString(), missing.Select(v => v.Name)));
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.NonExhaustiveUnionSwitch,
            switchKeyword.GetLocation(),
            properties,
            union.Name,
            string.Join(", ", missing.Select(v => "'" + v.Name + "'"))));
    }

    /// <summary>
    /// The <c>[EventUnion]</c> type a switch over <paramref name="type"/> switches over: the type itself, or the union a
    /// type parameter is constrained to (directly or through another type parameter); null for anything else.
    /// </summary>
    internal static INamedTypeSymbol? UnionOf(ITypeSymbol? type, INamedTypeSymbol eventUnion)
    {
        switch (type)
        {
            case INamedTypeSymbol named:
                return IsUnion(named, eventUnion) ? named : null;
            case ITypeParameterSymbol parameter:
                var seen = new HashSet<ITypeParameterSymbol>(SymbolEqualityComparer.Default);
                return UnionOfConstraints(parameter, eventUnion, seen);
            default:
                return null;
        }

        static INamedTypeSymbol? UnionOfConstraints(ITypeParameterSymbol parameter, INamedTypeSymbol eventUnion, HashSet<ITypeParameterSymbol> seen)
        {
            if (!seen.Add(parameter))
            {
                return null;
            }

            foreach (var constraint in parameter.ConstraintTypes)
            {
                var union = constraint is ITypeParameterSymbol outer
                    ? UnionOfConstraints(outer, eventUnion, seen)
                    : constraint is INamedTypeSymbol named && IsUnion(named, eventUnion) ? named : null;
                if (union is not null)
                {
                    return union;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Whether a switch expression over an <c>[EventUnion]</c> type (or a type parameter constrained to one) handles every variant unconditionally, the generated
    /// fallback (<c>Unknown</c>, <c>Other</c>) included, by the same coverage RXS0006 judges with; false when the union
    /// has no generated fallback (the generator did not run on it, or refused it). What <c>RXSP0001</c> keys on.
    /// </summary>
    internal static bool HandlesEveryVariantAndFallback(ISwitchExpressionOperation expression, INamedTypeSymbol eventUnion, out INamedTypeSymbol? union)
    {
        // The union itself, or a type parameter constrained to it: its values are the union's values all the same.
        union = UnionOf(expression.Value.Type, eventUnion);
        if (union is null)
        {
            return false;
        }

        var variants = Variants(union);
        return variants.Any(IsGeneratedFallback) && Covered(expression, union, variants) is { } covered && covered.All(static c => c);
    }

    /// <summary>
    /// The variants a switch statement or expression handles unconditionally (an arm without a <c>when</c> guard whose
    /// pattern matches the variant whatever it holds); null when a switch statement has a <c>default:</c> section.
    /// </summary>
    private static bool[]? Covered(IOperation operation, INamedTypeSymbol union, ImmutableArray<INamedTypeSymbol> variants)
    {
        var covered = new bool[variants.Length];
        if (operation is ISwitchOperation cases)
        {
            foreach (var section in cases.Cases)
            {
                foreach (var clause in section.Clauses)
                {
                    switch (clause)
                    {
                        case IDefaultCaseClauseOperation:
                            return null;
                        case IPatternCaseClauseOperation patternClause when IsNoGuard(patternClause.Guard):
                            Add(covered, Coverage(patternClause.Pattern, union, variants).Definitely);
                            break;
                    }
                }
            }
        }
        else if (operation is ISwitchExpressionOperation expression)
        {
            foreach (var arm in expression.Arms)
            {
                if (IsNoGuard(arm.Guard))
                {
                    Add(covered, Coverage(arm.Pattern, union, variants).Definitely);
                }
            }
        }

        return covered;
    }

    // No `when`, or a constant-true one (`when true`, `when AlwaysOn` of a const): the compiler's exhaustiveness treats
    // that arm as unguarded, and so does the rule. A constant-false `when` never matches: that arm handles nothing.
    internal static bool IsNoGuard(IOperation? guard) =>
        guard is null || guard.ConstantValue is { HasValue: true, Value: true };

    /// <summary>
    /// The variant the generator adds for data this code does not know (<c>Unknown</c>, or <c>Other</c> for a union
    /// without payloads): a nested type the generator declared, which carries its <c>[GeneratedCode]</c> mark.
    /// </summary>
    internal static bool IsGeneratedFallback(INamedTypeSymbol variant)
    {
        foreach (var attribute in variant.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "GeneratedCodeAttribute" }
                && attribute.ConstructorArguments.Length > 0
                && attribute.ConstructorArguments[0].Value is "Reactive.Streams.Generators")
            {
                return true;
            }
        }

        return false;
    }

    private static void Add(bool[] covered, bool[] more)
    {
        for (var i = 0; i < covered.Length; i++)
        {
            covered[i] |= more[i];
        }
    }

    /// <summary>
    /// The variants a pattern matches whatever their contents (<c>Definitely</c>) and those it may match
    /// (<c>Possibly</c>); the second is what <c>not</c> needs, so <c>not Circle</c> covers every variant but Circle.
    /// Patterns the rule does not model (constants, relations) are taken to cover nothing and to maybe match anything.
    /// </summary>
    private static (bool[] Definitely, bool[] Possibly) Coverage(IPatternOperation pattern, INamedTypeSymbol union, ImmutableArray<INamedTypeSymbol> variants)
    {
        switch (pattern)
        {
            case IDiscardPatternOperation:
            case IDeclarationPatternOperation { MatchesNull: true }:
                return (Fill(variants.Length, true), Fill(variants.Length, true));
            case IDeclarationPatternOperation declaration:
                return Both(OfType(declaration.MatchedType, declaration.InputType, variants));
            case ITypePatternOperation type:
                return Both(OfType(type.MatchedType, type.InputType, variants));
            case IRecursivePatternOperation recursive:
                var matched = OfType(recursive.MatchedType ?? union, recursive.InputType, variants);
                return recursive.DeconstructionSubpatterns.All(IsIrrefutable) && recursive.PropertySubpatterns.All(p => IsIrrefutable(p.Pattern))
                    ? Both(matched)
                    : (Fill(variants.Length, false), matched);
            case IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: null } }:
                return (Fill(variants.Length, false), Fill(variants.Length, false));
            case INegatedPatternOperation negated:
                var inner = Coverage(negated.Pattern, union, variants);
                return (Not(inner.Possibly), Not(inner.Definitely));
            case IBinaryPatternOperation binary:
                var left = Coverage(binary.LeftPattern, union, variants);
                var right = Coverage(binary.RightPattern, union, variants);
                return binary.OperatorKind == BinaryOperatorKind.Or
                    ? (Combine(left.Definitely, right.Definitely, or: true), Combine(left.Possibly, right.Possibly, or: true))
                    : (Combine(left.Definitely, right.Definitely, or: false), Combine(left.Possibly, right.Possibly, or: false));
            default:
                return (Fill(variants.Length, false), Fill(variants.Length, true));
        }
    }

    private static (bool[] Definitely, bool[] Possibly) Both(bool[] set) => (set, set);

    private static bool[] Fill(int length, bool value)
    {
        var set = new bool[length];
        for (var i = 0; i < length; i++)
        {
            set[i] = value;
        }

        return set;
    }

    private static bool[] Not(bool[] set) => set.Select(static b => !b).ToArray();

    private static bool[] Combine(bool[] left, bool[] right, bool or) =>
        left.Select((b, i) => or ? b || right[i] : b && right[i]).ToArray();

    // A subpattern that matches every value of its input, as the compiler sees it: `_`, `var x`, or, on a member of a
    // non-nullable value type (which cannot be null), a type pattern of that very type (`double r`), `{ }`, or a
    // positional or property pattern whose own subpatterns all match everything (`(var x, var y)` on a struct).
    private static bool IsIrrefutable(IPatternOperation pattern)
    {
        switch (pattern)
        {
            case IDiscardPatternOperation:
            case IDeclarationPatternOperation { MatchesNull: true }:
                return true;
            case IDeclarationPatternOperation declaration:
                return IsNeverNullOf(declaration.InputType, declaration.MatchedType);
            case ITypePatternOperation type:
                return IsNeverNullOf(type.InputType, type.MatchedType);
            case IRecursivePatternOperation recursive:
                return IsNeverNullOf(recursive.InputType, recursive.MatchedType ?? recursive.InputType)
                    && recursive.DeconstructionSubpatterns.All(IsIrrefutable)
                    && recursive.PropertySubpatterns.All(static p => IsIrrefutable(p.Pattern));
            default:
                return false;
        }
    }

    // Whether every value of `input` is a `matched`: the same non-nullable value type (not Nullable<T>).
    private static bool IsNeverNullOf(ITypeSymbol input, ITypeSymbol? matched) =>
        input is { IsValueType: true }
        && input.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T
        && SymbolEqualityComparer.Default.Equals(input, matched);

    // A type pattern matches the variants that are, or derive from, the type (the union itself or an intermediate base),
    // or implement it when it is an interface: a variant is sealed, so it matches an interface exactly when it implements it.
    // A pattern on the switch's own type parameter (`T t` where the input is a `T` constrained to the union) matches
    // every variant, as `Lease l` does on a `Lease`.
    private static bool[] OfType(ITypeSymbol? matched, ITypeSymbol input, ImmutableArray<INamedTypeSymbol> variants)
    {
        var set = new bool[variants.Length];
        if (matched is ITypeParameterSymbol && SymbolEqualityComparer.Default.Equals(matched, input))
        {
            return Fill(variants.Length, true);
        }

        if (matched is not INamedTypeSymbol type)
        {
            return set;
        }

        for (var i = 0; i < variants.Length; i++)
        {
            if (type.TypeKind == TypeKind.Interface)
            {
                set[i] = variants[i].AllInterfaces.Contains(type, SymbolEqualityComparer.Default);
                continue;
            }

            for (INamedTypeSymbol? current = variants[i]; current is not null; current = current.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(current, type))
                {
                    set[i] = true;
                    break;
                }
            }
        }

        return set;
    }

    internal static bool IsUnion(INamedTypeSymbol type, INamedTypeSymbol eventUnion)
    {
        foreach (var attribute in type.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, eventUnion))
            {
                return true;
            }
        }

        return false;
    }
}
