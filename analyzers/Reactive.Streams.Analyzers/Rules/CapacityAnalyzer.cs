using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Reactive.Streams.Analyzers.Infrastructure;

namespace Reactive.Streams.Analyzers.Rules;

/// <summary>
/// RXS0005: a capacity that is a compile-time constant below 1, passed as a library <c>capacity</c> parameter, set as
/// a <c>Capacity</c> property in an initializer, or written in <c>[Backpressure(..., Capacity = n)]</c>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CapacityAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.CapacityBelowOne);

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
        if (!PolicyCalls.TryGetLibraryCall(context.Operation, out _, out var arguments, out var initializer))
        {
            return;
        }

        if (PolicyCalls.FindArgument(arguments, PolicyCalls.CapacityParameter) is { } argument && !PolicyCalls.IsOmitted(argument))
        {
            Check(context, argument.Value);
        }

        if (PolicyCalls.FindInitializerAssignment(initializer, PolicyCalls.CapacityProperty) is { } assignment)
        {
            Check(context, assignment.Value);
        }
    }

    private static void Check(OperationAnalysisContext context, IOperation value)
    {
        if (value.ConstantValue is { HasValue: true, Value: int capacity } && capacity < 1)
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.CapacityBelowOne, value.Syntax.GetLocation(), capacity));
        }
    }

    private static void AnalyzeAttributes(SymbolAnalysisContext context, KnownTypes types)
    {
        foreach (var attribute in PolicyCalls.BackpressureAttributes(context.Symbol, types))
        {
            if (PolicyCalls.NamedArgument(attribute, PolicyCalls.CapacityProperty) is { Value: int capacity } && capacity < 1)
            {
                var location = PolicyCalls.NamedArgumentSyntax(attribute, PolicyCalls.CapacityProperty, context.CancellationToken)?.GetLocation()
                    ?? PolicyCalls.AttributeLocation(attribute, context.Symbol, context.CancellationToken);
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CapacityBelowOne, location, capacity));
            }
        }
    }
}
