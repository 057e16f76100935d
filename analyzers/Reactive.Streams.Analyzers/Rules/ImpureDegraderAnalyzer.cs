using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Reactive.Streams.Analyzers.Infrastructure;
using Reactive.Streams.Analyzers.Purity;

namespace Reactive.Streams.Analyzers.Rules;

/// <summary>
/// RXS0004: a degrader (a lambda, anonymous method, method group or local function passed as a library
/// <c>degrader</c>, set as a <c>Degrader</c> property, or named by <c>[Backpressure(Degrader = nameof(M))]</c>)
/// that the prover cannot show to be free of effects.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ImpureDegraderAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The .editorconfig key listing third-party members (or whole types) the user declares pure.</summary>
    internal const string PureMembersOption = "reactive_streams.pure_members";

    /// <summary>Set on a diagnostic whose only effect is a lambda reading captured state.</summary>
    internal const string CapturedReadProperty = "CapturedRead";

    private static readonly ImmutableDictionary<string, string?> s_capturedRead =
        ImmutableDictionary<string, string?>.Empty.Add(CapturedReadProperty, "true");

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.ImpureDegrader);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.Flags);
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownTypes.TryCreate(start.Compilation) is not { } types)
            {
                return;
            }

            var provers = new ConcurrentDictionary<string, PurityProver>(StringComparer.Ordinal);
            PurityProver ProverFor(SyntaxTree tree, AnalyzerOptions options)
            {
                options.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue(PureMembersOption, out var pure);
                return provers.GetOrAdd(pure ?? string.Empty, p => new PurityProver(start.Compilation, ParsePureMembers(p)));
            }

            // A lambda degrader is proved where it is found: its body is part of the operation tree at hand. A method group
            // is proved at the end of the type that uses it. Proving needs the method's body as operations; the command-line
            // compiler hands analyzers the bound body of each method it has compiled, but a method not compiled yet (a
            // degrader declared below its use, the usual order) is bound from scratch for the prover and then bound again
            // by the compiler. By the type's end its own methods are compiled, so the prover reuses their bodies; binding
            // them first was two thirds of this rule's time in a profile of a 500-file build.
            start.RegisterSymbolStartAction(
                symbolStart =>
                {
                    var methodGroups = new ConcurrentQueue<(IOperation Degrader, PurityProver Prover)>();
                    symbolStart.RegisterOperationAction(
                        c =>
                        {
                            if (FindDegrader(c.Operation) is not { } found)
                            {
                                return;
                            }

                            var prover = ProverFor(c.Operation.Syntax.SyntaxTree, c.Options);
                            foreach (var degrader in Choices(found))
                            {
                                if (PolicyCalls.Unwrap(degrader) is IMethodReferenceOperation)
                                {
                                    methodGroups.Enqueue((degrader, prover));
                                }
                                else
                                {
                                    Prove(c.ReportDiagnostic, prover, degrader, c.CancellationToken);
                                }
                            }
                        },
                        OperationKind.Invocation,
                        OperationKind.ObjectCreation,
                        OperationKind.SimpleAssignment,
                        OperationKind.CoalesceAssignment);
                    symbolStart.RegisterSymbolEndAction(end =>
                    {
                        while (methodGroups.TryDequeue(out var pending))
                        {
                            Prove(end.ReportDiagnostic, pending.Prover, pending.Degrader, end.CancellationToken);
                        }

                        // [Backpressure(Degrader = nameof(M))] names a method of this type: proved here for the same reason.
                        var type = (INamedTypeSymbol)end.Symbol;
                        AnalyzeAttributes(end, type, types, ProverFor);
                        foreach (var member in type.GetMembers())
                        {
                            if (member.Kind is SymbolKind.Method or SymbolKind.Property or SymbolKind.Field)
                            {
                                AnalyzeAttributes(end, member, types, ProverFor);
                            }
                        }
                    });
                },
                SymbolKind.NamedType);
        });
    }

    internal static ImmutableHashSet<string> ParsePureMembers(string value) =>
        value.Split(new[] { ',', ';', ' ' }, StringSplitOptions.RemoveEmptyEntries)
            .Select(static s => s.Trim())
            .ToImmutableHashSet(StringComparer.Ordinal);

    private static IOperation? FindDegrader(IOperation operation)
    {
        if (operation is ISimpleAssignmentOperation assignment)
        {
            // `options.Degrader = ...` in a statement (or a nested initializer): a library type's Degrader property set
            // outside the initializer of the library object creation that the branch below reads.
            return IsLibraryDegrader(assignment.Target) && assignment.Value.Type?.TypeKind == TypeKind.Delegate
                && assignment.Parent is not IObjectOrCollectionInitializerOperation { Parent: IObjectCreationOperation }
                ? assignment.Value
                : null;
        }

        if (operation is ICoalesceAssignmentOperation coalesce)
        {
            // `options.Degrader ??= ...`: the degrader the options get when they had none.
            return IsLibraryDegrader(coalesce.Target) ? coalesce.Value : null;
        }

        if (!PolicyCalls.TryGetLibraryCall(operation, out _, out var arguments, out var initializer))
        {
            return null;
        }

        if (PolicyCalls.FindArgument(arguments, PolicyCalls.DegraderParameter) is { } argument && !PolicyCalls.IsOmitted(argument))
        {
            return argument.Value;
        }

        return PolicyCalls.FindInitializerAssignment(initializer, PolicyCalls.DegraderProperty)?.Value;
    }

    private static bool IsLibraryDegrader(IOperation target) =>
        target is IPropertyReferenceOperation { Property: { Name: PolicyCalls.DegraderProperty } property }
        && KnownTypes.IsInLibraryNamespace(property.ContainingType);

    // The degraders a value can be: each branch of a condition (`coarse ? a : b`), each arm of a switch expression and
    // both sides of `??`, each proved where it is written. Anything else is the value itself.
    private static IEnumerable<IOperation> Choices(IOperation value)
    {
        var stripped = value;
        while (stripped is IConversionOperation { OperatorMethod: null } or IParenthesizedOperation)
        {
            stripped = stripped is IConversionOperation conversion ? conversion.Operand : ((IParenthesizedOperation)stripped).Operand;
        }

        switch (stripped)
        {
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                return Choices(conditional.WhenTrue).Concat(Choices(whenFalse));
            case ISwitchExpressionOperation switchExpression:
                return switchExpression.Arms.SelectMany(static arm => Choices(arm.Value));
            case ICoalesceOperation coalesce:
                return Choices(coalesce.Value).Concat(Choices(coalesce.WhenNull));
            default:
                return new[] { value };
        }
    }

    private static void Prove(Action<Diagnostic> report, PurityProver prover, IOperation degrader, CancellationToken cancellationToken)
    {
        var location = degrader.Syntax.GetLocation();
        PurityViolation? violation;
        string name;
        switch (PolicyCalls.Unwrap(degrader))
        {
            case IAnonymousFunctionOperation lambda:
                name = "lambda";
                violation = prover.ProveLambda(lambda, cancellationToken)?.Prepend(name);
                break;
            case IMethodReferenceOperation { Method: var method }:
                name = method.Name;
                violation = prover.ProveMethod(method, degrader.SemanticModel, cancellationToken, location);
                break;
            default:
                // A delegate held in a variable or returned by a call: its body is not visible here.
                return;
        }

        if (violation is not null)
        {
            report(Diagnostic.Create(
                Descriptors.ImpureDegrader,
                location,
                additionalLocations: new[] { violation.Location },
                properties: violation.IsCapturedRead ? s_capturedRead : null,
                name,
                violation.Describe()));
        }
    }

    private static void AnalyzeAttributes(SymbolAnalysisContext context, ISymbol annotated, KnownTypes types, Func<SyntaxTree, AnalyzerOptions, PurityProver> proverFor)
    {
        foreach (var attribute in PolicyCalls.BackpressureAttributes(annotated, types))
        {
            if (PolicyCalls.NamedArgument(attribute, PolicyCalls.DegraderProperty) is not { Value: string name } || name.Length == 0
                || PolicyCalls.DegraderOwner(annotated) is not { } owner
                || attribute.ApplicationSyntaxReference is not { } reference)
            {
                continue;
            }

            var location = PolicyCalls.NamedArgumentSyntax(attribute, PolicyCalls.DegraderProperty, context.CancellationToken)?.GetLocation()
                ?? reference.GetSyntax(context.CancellationToken).GetLocation();
            var prover = proverFor(reference.SyntaxTree, context.Options);
            foreach (var member in owner.GetMembers(name))
            {
                if (member is IMethodSymbol { Parameters.Length: 1 } method)
                {
                    var violation = prover.ProveMethod(method, model: null, context.CancellationToken);
                    if (violation is not null)
                    {
                        context.ReportDiagnostic(Diagnostic.Create(
                            Descriptors.ImpureDegrader, location, new[] { violation.Location }, null, name, violation.Describe()));
                    }
                }
            }
        }
    }
}
