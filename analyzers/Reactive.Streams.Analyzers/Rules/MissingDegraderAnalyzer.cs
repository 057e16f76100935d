using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Reactive.Streams.Analyzers.Infrastructure;

namespace Reactive.Streams.Analyzers.Rules;

/// <summary>
/// RXS0003: <c>DegradeQuality</c> where the policy is a compile-time constant (an attribute, a factory or operator
/// call, an options constructor) but no degrader is given.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MissingDegraderAnalyzer : DiagnosticAnalyzer
{
    private const string DegradeQualityName = "DegradeQuality";
    private const string PolicyTypeName = "BackpressurePolicy";

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.MissingDegrader);

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

            start.RegisterOperationAction(AnalyzeCall, OperationKind.Invocation, OperationKind.ObjectCreation);
            start.RegisterSymbolAction(
                c => AnalyzeAttributes(c, types),
                SymbolKind.NamedType, SymbolKind.Method, SymbolKind.Property, SymbolKind.Field);
        });
    }

    private static void AnalyzeCall(OperationAnalysisContext context)
    {
        if (!PolicyCalls.TryGetLibraryCall(context.Operation, out var method, out var arguments, out var initializer))
        {
            return;
        }

        var policy = PolicyCalls.FindArgument(arguments, PolicyCalls.PolicyParameter);
        var degrader = PolicyCalls.FindArgument(arguments, PolicyCalls.DegraderParameter);
        var isConstantDegradeQuality =
            policy is { Value.ConstantValue: { HasValue: true, Value: PolicyCalls.DegradeQualityValue } }
            && policy.Value.Type?.Name == PolicyTypeName;
        var isDegradeQualityShorthand = method.Name == DegradeQualityName && degrader is not null;
        if (!isConstantDegradeQuality && !isDegradeQualityShorthand)
        {
            return;
        }

        if (degrader is not null && !PolicyCalls.IsMissingOrNull(PolicyCalls.IsOmitted(degrader) ? null : degrader.Value))
        {
            return;
        }

        if (PolicyCalls.FindInitializerAssignment(initializer, PolicyCalls.DegraderProperty) is { } assignment
            && !PolicyCalls.IsMissingOrNull(assignment.Value))
        {
            return;
        }

        // The constant policy is what asks for a degrader; the shorthand asks by its name, and then the null is the culprit.
        var location = isConstantDegradeQuality ? policy!.Value.Syntax.GetLocation() : degrader!.Value.Syntax.GetLocation();
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.MissingDegrader, location, "'" + PolicyCalls.Describe(method) + "'"));
    }

    private static void AnalyzeAttributes(SymbolAnalysisContext context, KnownTypes types)
    {
        foreach (var attribute in PolicyCalls.BackpressureAttributes(context.Symbol, types))
        {
            if (attribute.ConstructorArguments.Length != 1
                || attribute.ConstructorArguments[0].Value is not int policy
                || policy != PolicyCalls.DegradeQualityValue)
            {
                continue;
            }

            if (PolicyCalls.NamedArgument(attribute, PolicyCalls.DegraderProperty) is { Value: string name } && name.Length > 0)
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.MissingDegrader,
                PolicyCalls.AttributeLocation(attribute, context.Symbol, context.CancellationToken),
                "[Backpressure] on '" + context.Symbol.Name + "'"));
        }
    }
}
