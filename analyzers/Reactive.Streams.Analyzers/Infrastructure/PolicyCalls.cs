using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Reactive.Streams.Analyzers.Infrastructure;

/// <summary>
/// Reads policy facts from calls into the library: factories, operators, options and channel constructors are
/// recognised by living in namespace <c>Reactive.Streams</c> and by their parameters named <c>policy</c>,
/// <c>capacity</c> and <c>degrader</c> (and the <c>Capacity</c>/<c>Degrader</c> properties set in an initializer).
/// </summary>
internal static class PolicyCalls
{
    internal const string PolicyParameter = "policy";
    internal const string CapacityParameter = "capacity";
    internal const string DegraderParameter = "degrader";
    internal const string CapacityProperty = "Capacity";
    internal const string QueueCapacityProperty = "QueueCapacity";

    /// <summary>TPL Dataflow's capacity (<c>DataflowBlockOptions.BoundedCapacity</c>): 1 or more, or -1 for unbounded.</summary>
    internal const string BoundedCapacityProperty = "BoundedCapacity";

    /// <summary><c>DataflowBlockOptions.Unbounded</c>.</summary>
    internal const int DataflowUnbounded = -1;
    internal const string DegraderProperty = "Degrader";
    internal const int DegradeQualityValue = 1;

    /// <summary>
    /// The target, arguments and initializer of an invocation or object creation into the library; false (cheaply)
    /// for everything else.
    /// </summary>
    internal static bool TryGetLibraryCall(
        IOperation operation,
        out IMethodSymbol method,
        out ImmutableArray<IArgumentOperation> arguments,
        out IObjectOrCollectionInitializerOperation? initializer)
    {
        switch (operation)
        {
            case IInvocationOperation invocation when KnownTypes.IsInLibraryNamespace(invocation.TargetMethod.ContainingType):
                method = invocation.TargetMethod;
                arguments = invocation.Arguments;
                initializer = null;
                return true;
            // Attributes are read from symbols (their named arguments are not assignments in the operation tree). An
            // exception (StreamOverflowException, MissingDegraderException) describes a stream and creates none.
            case IObjectCreationOperation { Constructor: { } constructor } creation
                when creation.Parent is not IAttributeOperation && KnownTypes.IsInLibraryNamespace(constructor.ContainingType)
                    && !IsException(constructor.ContainingType):
                method = constructor;
                arguments = creation.Arguments;
                initializer = creation.Initializer;
                return true;
            default:
                method = null!;
                arguments = default;
                initializer = null;
                return false;
        }
    }

    private static bool IsException(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.Name == "Exception" && KnownTypes.IsNamespace(current.ContainingNamespace, "System"))
            {
                return true;
            }
        }

        return false;
    }

    internal static IArgumentOperation? FindArgument(ImmutableArray<IArgumentOperation> arguments, string parameterName)
    {
        foreach (var argument in arguments)
        {
            if (argument.Parameter?.Name == parameterName)
            {
                return argument;
            }
        }

        return null;
    }

    /// <summary>The value assigned to <paramref name="propertyName"/> in an object initializer, if any.</summary>
    internal static ISimpleAssignmentOperation? FindInitializerAssignment(IObjectOrCollectionInitializerOperation? initializer, string propertyName)
    {
        if (initializer is null)
        {
            return null;
        }

        foreach (var item in initializer.Initializers)
        {
            if (item is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } assignment
                && property.Property.Name == propertyName)
            {
                return assignment;
            }
        }

        return null;
    }

    /// <summary>Whether an argument is absent (a default value) or the constant <see langword="null"/>.</summary>
    internal static bool IsMissingOrNull(IOperation? value) =>
        value is null || (value.ConstantValue.HasValue && value.ConstantValue.Value is null) || value is IDefaultValueOperation;

    internal static bool IsOmitted(IArgumentOperation argument) => argument.ArgumentKind == ArgumentKind.DefaultValue;

    /// <summary>The name of a call for messages: <c>BoundedStream.DegradeQuality</c>, <c>new BoundedStreamOptions</c>.</summary>
    internal static string Describe(IMethodSymbol method) =>
        method.MethodKind == MethodKind.Constructor
            ? "new " + method.ContainingType.Name
            : method.ContainingType.Name + "." + method.Name;

    /// <summary>Strips the conversions and delegate creation around a degrader argument.</summary>
    internal static IOperation Unwrap(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    break;
                case IDelegateCreationOperation creation:
                    operation = creation.Target;
                    break;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    break;
                default:
                    return operation;
            }
        }
    }

    /// <summary>
    /// Every <c>[Backpressure]</c> on a symbol, its parameters and its return value. Allocates nothing for the common
    /// symbol that has none (this runs on every type, method, property and field).
    /// </summary>
    internal static ImmutableArray<AttributeData> BackpressureAttributes(ISymbol symbol, KnownTypes types)
    {
        ImmutableArray<AttributeData>.Builder? found = null;
        Collect(symbol.GetAttributes(), types, ref found);
        if (symbol is IMethodSymbol method)
        {
            Collect(method.GetReturnTypeAttributes(), types, ref found);
            foreach (var parameter in method.Parameters)
            {
                Collect(parameter.GetAttributes(), types, ref found);
            }
        }

        return found?.ToImmutable() ?? ImmutableArray<AttributeData>.Empty;
    }

    private static void Collect(ImmutableArray<AttributeData> attributes, KnownTypes types, ref ImmutableArray<AttributeData>.Builder? found)
    {
        foreach (var attribute in attributes)
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, types.BackpressureAttribute))
            {
                (found ??= ImmutableArray.CreateBuilder<AttributeData>()).Add(attribute);
            }
        }
    }

    internal static TypedConstant? NamedArgument(AttributeData attribute, string name)
    {
        foreach (var pair in attribute.NamedArguments)
        {
            if (pair.Key == name)
            {
                return pair.Value;
            }
        }

        return null;
    }

    /// <summary>The expression written for a named attribute argument, for a precise diagnostic location.</summary>
    internal static ExpressionSyntax? NamedArgumentSyntax(AttributeData attribute, string name, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax { ArgumentList: { } list })
        {
            return null;
        }

        foreach (var argument in list.Arguments)
        {
            if (argument.NameEquals?.Name.Identifier.ValueText == name)
            {
                return argument.Expression;
            }
        }

        return null;
    }

    internal static Location AttributeLocation(AttributeData attribute, ISymbol owner, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()
        ?? (owner.Locations.IsEmpty ? Location.None : owner.Locations[0]);

    /// <summary>The type whose static method <c>Degrader = nameof(M)</c> names: the annotated type or the member's type.</summary>
    internal static INamedTypeSymbol? DegraderOwner(ISymbol annotated) =>
        annotated as INamedTypeSymbol ?? annotated.ContainingType;
}
