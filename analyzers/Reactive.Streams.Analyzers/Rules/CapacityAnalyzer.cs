using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Reactive.Streams.Analyzers.Infrastructure;

namespace Reactive.Streams.Analyzers.Rules;

/// <summary>
/// RXS0005: a capacity that is a compile-time constant below 1, passed as a library <c>capacity</c> parameter, assigned
/// to a library type's <c>Capacity</c> or <c>QueueCapacity</c> property (in an initializer, a <c>with</c> or a
/// statement), or written in <c>[Backpressure(..., Capacity = n)]</c>.
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
            start.RegisterOperationAction(AnalyzeAssignment, OperationKind.SimpleAssignment);
            start.RegisterSymbolAction(
                c => AnalyzeAttributes(c, types),
                SymbolKind.NamedType, SymbolKind.Method, SymbolKind.Property, SymbolKind.Field);
        });
    }

    private static void AnalyzeCall(OperationAnalysisContext context)
    {
        if (!PolicyCalls.TryGetLibraryCall(context.Operation, out _, out var arguments, out _))
        {
            return;
        }

        if (PolicyCalls.FindArgument(arguments, PolicyCalls.CapacityParameter) is { } argument && !PolicyCalls.IsOmitted(argument))
        {
            Check(context, argument.Value);
        }
    }

    // Capacity (BoundedStreamOptions<T> and the like) and QueueCapacity (a dispatcher's and a sink's queue), wherever
    // they are set: an object initializer's and a `with`'s members are assignments too.
    private static void AnalyzeAssignment(OperationAnalysisContext context)
    {
        var assignment = (ISimpleAssignmentOperation)context.Operation;
        if (assignment.Target is IPropertyReferenceOperation { Property: { } property }
            && property.Name is PolicyCalls.CapacityProperty or PolicyCalls.QueueCapacityProperty
            && KnownTypes.IsInLibraryNamespace(property.ContainingType)
            && !InAttribute(assignment))
        {
            Check(context, assignment.Value);
        }
    }

    // An attribute's named arguments are assignments in the operation tree too; attributes are read from symbols.
    private static bool InAttribute(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAttributeOperation)
            {
                return true;
            }
        }

        return false;
    }

    private static void Check(OperationAnalysisContext context, IOperation value)
    {
        // An int? property (DeliverySinkOptions.QueueCapacity) receives the constant through a conversion.
        var constant = value is IConversionOperation { Operand.ConstantValue.HasValue: true } conversion ? conversion.Operand : value;
        if (constant.ConstantValue is { HasValue: true, Value: int capacity } && capacity < 1)
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
