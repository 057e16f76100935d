using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Reactive.Streams.Analyzers.Infrastructure;

namespace Reactive.Streams.Analyzers.Rules;

/// <summary>
/// RXS0005: a capacity that is a compile-time constant below 1, passed as a library <c>capacity</c> parameter, assigned
/// to a library type's <c>Capacity</c> or <c>QueueCapacity</c> property (in an initializer, a <c>with</c>, a
/// statement or a deconstruction), or written in <c>[Backpressure(..., Capacity = n)]</c>; and a constant TPL Dataflow
/// <c>BoundedCapacity</c> that Dataflow rejects at run time: 0 or below -1 (-1, <c>DataflowBlockOptions.Unbounded</c>,
/// is RXS0002's).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CapacityAnalyzer : DiagnosticAnalyzer
{
    // The message's valid values, after "{name} {value} is invalid; ".
    private const string LibraryRange = "it must be 1 or more (every buffer holds at least one item)";
    private const string DataflowRange = "Dataflow accepts 1 or more, or DataflowBlockOptions.Unbounded (-1)";

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
            start.RegisterOperationAction(c => AnalyzeAssignment(c, types), OperationKind.SimpleAssignment, OperationKind.CoalesceAssignment);
            start.RegisterOperationAction(c => AnalyzeDeconstruction(c, types), OperationKind.DeconstructionAssignment);
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
            Check(context, argument.Value, PolicyCalls.CapacityProperty);
        }
    }

    // Capacity (BoundedStreamOptions<T> and the like) and QueueCapacity (a dispatcher's and a sink's queue), wherever
    // they are set: an object initializer's and a `with`'s members are assignments too, and so is `??=` on an int?
    // (`sinkOptions.QueueCapacity ??= 0`). Dataflow's BoundedCapacity likewise, on any DataflowBlockOptions (the
    // property is declared there, not on the derived options).
    private static void AnalyzeAssignment(OperationAnalysisContext context, KnownTypes types)
    {
        var assignment = (IAssignmentOperation)context.Operation;
        if (!InAttribute(assignment))
        {
            CheckSet(context, types, assignment.Target, assignment.Value);
        }
    }

    // `(sinkOptions.QueueCapacity, attempts) = (0, 3);`: each element of the target tuple gets the value written in its
    // place (nested tuples too). A tuple value of another kind (a variable, a call) has no element to judge.
    private static void AnalyzeDeconstruction(OperationAnalysisContext context, KnownTypes types)
    {
        var assignment = (IDeconstructionAssignmentOperation)context.Operation;
        CheckElements(context, types, assignment.Target, assignment.Value);
    }

    private static void CheckElements(OperationAnalysisContext context, KnownTypes types, IOperation target, IOperation value)
    {
        while (value is IConversionOperation { OperatorMethod: null } conversion)
        {
            value = conversion.Operand;
        }

        if (target is not ITupleOperation targets || value is not ITupleOperation values || targets.Elements.Length != values.Elements.Length)
        {
            return;
        }

        for (var i = 0; i < targets.Elements.Length; i++)
        {
            if (targets.Elements[i] is ITupleOperation)
            {
                CheckElements(context, types, targets.Elements[i], values.Elements[i]);
            }
            else
            {
                CheckSet(context, types, targets.Elements[i], values.Elements[i]);
            }
        }
    }

    // A value stored in a capacity property: Capacity or QueueCapacity of a library type, Dataflow's BoundedCapacity.
    private static void CheckSet(OperationAnalysisContext context, KnownTypes types, IOperation target, IOperation value)
    {
        if (target is not IPropertyReferenceOperation { Property: { } property })
        {
            return;
        }

        switch (property.Name)
        {
            case PolicyCalls.CapacityProperty or PolicyCalls.QueueCapacityProperty
                when KnownTypes.IsInLibraryNamespace(property.ContainingType):
                Check(context, value, property.Name);
                break;
            case PolicyCalls.BoundedCapacityProperty
                when types.DataflowBlockOptions is { } options && SymbolEqualityComparer.Default.Equals(property.ContainingType, options):
                CheckDataflow(context, value);
                break;
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

    private static void Check(OperationAnalysisContext context, IOperation value, string name)
    {
        if (Constant(value) is { } capacity && capacity < 1)
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.CapacityBelowOne, value.Syntax.GetLocation(), name, capacity, LibraryRange));
        }
    }

    // Dataflow takes -1 (DataflowBlockOptions.Unbounded) or 1 and more, and throws ArgumentOutOfRangeException otherwise.
    private static void CheckDataflow(OperationAnalysisContext context, IOperation value)
    {
        if (Constant(value) is { } capacity && capacity < 1 && capacity != PolicyCalls.DataflowUnbounded)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.CapacityBelowOne, value.Syntax.GetLocation(), PolicyCalls.BoundedCapacityProperty, capacity, DataflowRange));
        }
    }

    private static int? Constant(IOperation value)
    {
        // An int? property (DeliverySinkOptions.QueueCapacity) receives the constant through a conversion, which is not a
        // constant itself; a byte, sbyte, short, ushort or char constant reaches an int? through two.
        while (!value.ConstantValue.HasValue && value is IConversionOperation { OperatorMethod: null } conversion)
        {
            value = conversion.Operand;
        }

        return value.ConstantValue is { HasValue: true, Value: int or sbyte or byte or short or ushort or char } constant
            ? Convert.ToInt32(constant.Value, System.Globalization.CultureInfo.InvariantCulture)
            : null;
    }

    private static void AnalyzeAttributes(SymbolAnalysisContext context, KnownTypes types)
    {
        foreach (var attribute in PolicyCalls.BackpressureAttributes(context.Symbol, types))
        {
            if (PolicyCalls.NamedArgument(attribute, PolicyCalls.CapacityProperty) is { Value: int capacity } && capacity < 1)
            {
                var location = PolicyCalls.NamedArgumentSyntax(attribute, PolicyCalls.CapacityProperty, context.CancellationToken)?.GetLocation()
                    ?? PolicyCalls.AttributeLocation(attribute, context.Symbol, context.CancellationToken);
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CapacityBelowOne, location, PolicyCalls.CapacityProperty, capacity, LibraryRange));
            }
        }
    }
}
