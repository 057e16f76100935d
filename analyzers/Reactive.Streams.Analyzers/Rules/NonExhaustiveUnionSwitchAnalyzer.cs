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
/// hierarchy is closed, the attribute says it is.
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
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
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
            if (nested.IsSealed && InheritsFrom(nested, union))
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

        if (value.Type is not INamedTypeSymbol union || !IsUnion(union, eventUnion))
        {
            return;
        }

        var variants = Variants(union);
        if (variants.IsEmpty)
        {
            return;
        }

        var covered = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        if (context.Operation is ISwitchOperation cases)
        {
            foreach (var section in cases.Cases)
            {
                foreach (var clause in section.Clauses)
                {
                    switch (clause)
                    {
                        case IDefaultCaseClauseOperation:
                            return;
                        case IPatternCaseClauseOperation { Guard: null } patternClause when Cover(patternClause.Pattern, union, covered):
                            return;
                    }
                }
            }
        }
        else
        {
            foreach (var arm in ((ISwitchExpressionOperation)context.Operation).Arms)
            {
                if (arm.Guard is null && Cover(arm.Pattern, union, covered))
                {
                    return;
                }
            }
        }

        var missing = variants.Where(v => !IsCovered(v, covered)).ToImmutableArray();
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

    /// <summary>Adds the variants a pattern matches unconditionally; true when it matches the whole union.</summary>
    private static bool Cover(IPatternOperation pattern, INamedTypeSymbol union, HashSet<INamedTypeSymbol> covered)
    {
        switch (pattern)
        {
            case IDiscardPatternOperation:
                return true;
            case IDeclarationPatternOperation { MatchesNull: true }:
                return true;
            case IDeclarationPatternOperation declaration:
                return CoverType(declaration.MatchedType, union, covered);
            case ITypePatternOperation type:
                return CoverType(type.MatchedType, union, covered);
            case IRecursivePatternOperation recursive
                when recursive.DeconstructionSubpatterns.All(IsIrrefutable) && recursive.PropertySubpatterns.All(p => IsIrrefutable(p.Pattern)):
                return CoverType(recursive.MatchedType, union, covered);
            case IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.Or } or:
                // Evaluate both sides: an `A or B` arm covers both variants.
                var left = Cover(or.LeftPattern, union, covered);
                var right = Cover(or.RightPattern, union, covered);
                return left || right;
            default:
                return false;
        }
    }

    private static bool IsIrrefutable(IPatternOperation pattern) =>
        pattern is IDiscardPatternOperation or IDeclarationPatternOperation { MatchesNull: true };

    private static bool CoverType(ITypeSymbol? matched, INamedTypeSymbol union, HashSet<INamedTypeSymbol> covered)
    {
        if (matched is not INamedTypeSymbol type)
        {
            return false;
        }

        if (SymbolEqualityComparer.Default.Equals(type, union))
        {
            return true;
        }

        covered.Add(type);
        return false;
    }

    // A variant is handled by its own type or by an intermediate base it derives from.
    private static bool IsCovered(INamedTypeSymbol variant, HashSet<INamedTypeSymbol> covered)
    {
        for (INamedTypeSymbol? current = variant; current is not null; current = current.BaseType)
        {
            if (covered.Contains(current))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUnion(INamedTypeSymbol type, INamedTypeSymbol eventUnion)
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

    private static bool InheritsFrom(INamedTypeSymbol type, INamedTypeSymbol baseType)
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
}
