using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Reactive.Streams.Analyzers.Infrastructure;

namespace Reactive.Streams.Analyzers.Rules;

/// <summary>
/// RXSP0001: suppresses the compiler's CS8509 ("the switch expression does not handle all possible values") on a
/// switch expression over an <c>[EventUnion]</c> type (or a type parameter constrained to one) that handles every variant the union declares and its generated
/// fallback (<c>Unknown</c>, or <c>Other</c> for a union without payloads), as RXS0006 judges coverage. C# cannot see
/// that the hierarchy is closed; the attribute and the generator's checks (RXS1001, RXS1002) say it is. Nothing is
/// suppressed when the fallback or a variant is not handled, the input is not a union, or the hierarchy is not closed
/// (a type of the compilation derives from the union without being one of its variants, or the generator added no
/// fallback because it refused the union), or the input may be null and no arm takes null: the compiler reports CS8655
/// (null not handled) only where it has not reported CS8509, so suppressing CS8509 there would hide the null. CS8846,
/// the same warning where a guarded arm might match the value the compiler thinks unhandled, is suppressed on the same
/// terms. <c>dotnet_diagnostic.RXSP0001.severity = none</c> in <c>.editorconfig</c> or <c>.globalconfig</c> turns the
/// suppressor off (Roslyn itself honours only <c>NoWarn</c> for a suppressor).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ExhaustiveUnionSwitchSuppressor : DiagnosticSuppressor
{
    /// <summary>The suppression's id.</summary>
    internal const string SuppressionId = "RXSP0001";

    /// <summary>The compiler's "switch expression is not exhaustive" warning.</summary>
    internal const string SuppressedId = "CS8509";

    /// <summary>
    /// The same warning where an arm with a <c>when</c> guard might match the value the compiler thinks unhandled
    /// (<c>var x when Skip(x) => ...</c>): suppressed on the same terms, under the same id.
    /// </summary>
    internal const string GuardedSuppressedId = "CS8846";

    private const string Justification =
        "The switch expression handles every variant of the [EventUnion] type and its generated fallback variant, and the union's hierarchy is closed.";

    internal static readonly SuppressionDescriptor Descriptor = new(SuppressionId, SuppressedId, Justification);

    internal static readonly SuppressionDescriptor GuardedDescriptor = new(SuppressionId, GuardedSuppressedId, Justification);

    /// <inheritdoc/>
    public override ImmutableArray<SuppressionDescriptor> SupportedSuppressions { get; } = ImmutableArray.Create(Descriptor, GuardedDescriptor);

    /// <inheritdoc/>
    public override void ReportSuppressions(SuppressionAnalysisContext context)
    {
        if (KnownTypes.TryCreate(context.Compilation) is not { EventUnionAttribute: { } eventUnion })
        {
            return;
        }

        // Whether each union met is closed, decided once per union: it walks the compilation's types.
        var closed = new Dictionary<INamedTypeSymbol, bool>(SymbolEqualityComparer.Default);
        foreach (var diagnostic in context.ReportedDiagnostics)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (diagnostic.Id is not (SuppressedId or GuardedSuppressedId)
                || diagnostic.Location is not { IsInSource: true, SourceTree: { } tree }
                || !context.Compilation.ContainsSyntaxTree(tree)
                || IsTurnedOff(context.Compilation, tree, context.CancellationToken)
                || SwitchExpressionAt(tree.GetRoot(context.CancellationToken), diagnostic.Location.SourceSpan) is not { } syntax
                || context.GetSemanticModel(tree).GetOperation(syntax, context.CancellationToken) is not ISwitchExpressionOperation operation
                || !NonExhaustiveUnionSwitchAnalyzer.HandlesEveryVariantAndFallback(operation, eventUnion, out var union)
                || union is null
                || HidesUnhandledNull(operation, context.GetSemanticModel(tree), context.CancellationToken))
            {
                continue;
            }

            if (!closed.TryGetValue(union, out var isClosed))
            {
                isClosed = IsClosed(union, context.Compilation, context.CancellationToken);
                closed.Add(union, isClosed);
            }

            if (isClosed)
            {
                context.ReportSuppression(Suppression.Create(diagnostic.Id == SuppressedId ? Descriptor : GuardedDescriptor, diagnostic));
            }
        }
    }

    // Roslyn turns a suppressor off only through the compilation's options (NoWarn); `dotnet_diagnostic.RXSP0001.severity
    // = none` in an .editorconfig (for the files it covers) or a .globalconfig (for the project), the way every rule of
    // the package is turned off, is read here. Any other severity leaves the suppressor on: it has none of its own.
    private static bool IsTurnedOff(Compilation compilation, SyntaxTree tree, CancellationToken cancellationToken)
    {
        if (compilation.Options.SyntaxTreeOptionsProvider is not { } provider)
        {
            return false;
        }

        if (provider.TryGetDiagnosticValue(tree, SuppressionId, cancellationToken, out var severity))
        {
            return severity == ReportDiagnostic.Suppress;
        }

        return provider.TryGetGlobalDiagnosticValue(SuppressionId, cancellationToken, out severity) && severity == ReportDiagnostic.Suppress;
    }

    // The compiler reports CS8655 (a null input is not handled) only on a switch expression it has not reported CS8509
    // on: where the input may be null (its flow state in a nullable context) and no arm takes null, suppressing CS8509
    // would hide that warning too, so CS8509 stays. Without a nullable context the compiler warns of null on no switch.
    private static bool HidesUnhandledNull(ISwitchExpressionOperation operation, SemanticModel model, CancellationToken cancellationToken) =>
        operation.Syntax is SwitchExpressionSyntax syntax
        && model.GetTypeInfo(syntax.GoverningExpression, cancellationToken).Nullability.FlowState == NullableFlowState.MaybeNull
        && !operation.Arms.Any(static arm => NonExhaustiveUnionSwitchAnalyzer.IsNoGuard(arm.Guard) && MatchesNull(arm.Pattern));

    // Whether a pattern matches null: `null`, `_`, `var x`, `not` of a pattern that does not, and `or`/`and` of those.
    private static bool MatchesNull(IPatternOperation pattern) => pattern switch
    {
        IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: null } } => true,
        IDiscardPatternOperation => true,
        IDeclarationPatternOperation { MatchesNull: true } => true,
        INegatedPatternOperation negated => !MatchesNull(negated.Pattern),
        IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.Or } or => MatchesNull(or.LeftPattern) || MatchesNull(or.RightPattern),
        IBinaryPatternOperation and => MatchesNull(and.LeftPattern) && MatchesNull(and.RightPattern),
        _ => false,
    };

    // The switch expression CS8509 is reported on (at its `switch` keyword): the innermost one there, so that a switch
    // expression nested in another's arm is told apart from the outer one.
    private static SwitchExpressionSyntax? SwitchExpressionAt(SyntaxNode root, Microsoft.CodeAnalysis.Text.TextSpan span)
    {
        if (span.Start >= root.FullSpan.End)
        {
            return null;
        }

        foreach (var node in root.FindToken(span.Start).Parent?.AncestorsAndSelf() ?? [])
        {
            if (node is SwitchExpressionSyntax expression && (expression.SwitchKeyword.Span == span || expression.Span == span))
            {
                return expression;
            }
        }

        return null;
    }

    // A union whose declared variants are the only types that can be its values, as the generator requires: an abstract,
    // non-generic record (RXS1001), and no type of this compilation derives from it, directly or through another, but its
    // variants, the sealed records nested in it (RXS1002: one declared elsewhere, or not sealed, breaks the set).
    private static bool IsClosed(INamedTypeSymbol union, Compilation compilation, CancellationToken cancellationToken)
    {
        if (!union.IsAbstract || !union.IsRecord || union.IsGenericType)
        {
            return false;
        }

        var variants = NonExhaustiveUnionSwitchAnalyzer.Variants(union);
        var types = new Stack<INamespaceOrTypeSymbol>();
        types.Push(compilation.Assembly.GlobalNamespace);
        while (types.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = types.Pop();
            if (current is INamedTypeSymbol type
                && !SymbolEqualityComparer.Default.Equals(type, union)
                && KnownTypes.DerivesFrom(type, union)
                && !variants.Contains(type, SymbolEqualityComparer.Default))
            {
                return false;
            }

            foreach (var member in current.GetMembers())
            {
                if (member is INamespaceOrTypeSymbol child)
                {
                    types.Push(child);
                }
            }
        }

        return true;
    }
}
