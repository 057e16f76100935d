using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
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

        if (context.Operation is IObjectCreationOperation creation && IsGivenDegraderLater(creation))
        {
            return;
        }

        // The constant policy is what asks for a degrader; the shorthand asks by its name, and then the null is the culprit.
        var location = isConstantDegradeQuality ? policy!.Value.Syntax.GetLocation() : degrader!.Value.Syntax.GetLocation();
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.MissingDegrader, location, "'" + PolicyCalls.Describe(method) + "'"));
    }

    // `var options = new BoundedStreamOptions<T>(DegradeQuality, n); options.Degrader = ...;`: the options object is
    // stored in a local that the same body, further down, gives a degrader (a Degrader property set to something other
    // than null). The object may reach the local through a choice (`c ? new(...) : other`, `given ?? new(...)`) or a
    // `??=`: the statement that gives the local a degrader gives it to whichever object the local holds.
    private static bool IsGivenDegraderLater(IObjectCreationOperation creation)
    {
        IOperation value = creation;
        while (value.Parent is IConversionOperation or IParenthesizedOperation
               || (value.Parent is IConditionalOperation choice && choice.Condition != value)
               || (value.Parent is ICoalesceOperation coalesce && coalesce.WhenNull == value))
        {
            value = value.Parent;
        }

        ISymbol? member = value.Parent switch
        {
            IFieldInitializerOperation { InitializedFields.Length: 1 } field => field.InitializedFields[0],
            IPropertyInitializerOperation { InitializedProperties.Length: 1 } property => property.InitializedProperties[0],
            IAssignmentOperation { Target: IFieldReferenceOperation target } assignment when IsStored(assignment, value) => target.Field,
            IAssignmentOperation { Target: IPropertyReferenceOperation target } assignment when IsStored(assignment, value) => target.Property,
            _ => null,
        };
        if (member is not null)
        {
            return IsGivenDegraderInType(creation, member);
        }

        // A local, or a parameter the body stores the options in (`options ??= new(...)`).
        ISymbol? local = value.Parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            IAssignmentOperation { Target: ILocalReferenceOperation target } assignment when IsStored(assignment, value) => target.Local,
            IAssignmentOperation { Target: IParameterReferenceOperation target } assignment when IsStored(assignment, value) => target.Parameter,
            _ => null,
        };
        if (local is null)
        {
            return false;
        }

        IOperation root = creation;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        foreach (var descendant in root.Descendants())
        {
            var instance = GivenDegrader(descendant) switch
            {
                ILocalReferenceOperation reference => reference.Local,
                IParameterReferenceOperation reference => (ISymbol)reference.Parameter,
                _ => null,
            };
            if (SymbolEqualityComparer.Default.Equals(instance, local)
                && descendant.Syntax.SpanStart > creation.Syntax.SpanStart)
            {
                return true;
            }
        }

        return false;
    }

    // `x = value` or `x ??= value`: the assignment stores value in x.
    private static bool IsStored(IAssignmentOperation assignment, IOperation value) =>
        assignment is ISimpleAssignmentOperation or ICoalesceAssignmentOperation && assignment.Value == value;

    // `options.Degrader = f` or `options.Degrader ??= f` with f not null, also null-conditional (C# 14:
    // `options?.Degrader = f`): the options object (`options`), else null.
    private static IOperation? GivenDegrader(IOperation? operation) =>
        operation switch
        {
            ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: PolicyCalls.DegraderProperty } target } set
                when !PolicyCalls.IsMissingOrNull(set.Value) => Receiver(target.Instance),
            ICoalesceAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: PolicyCalls.DegraderProperty } target } set
                when !PolicyCalls.IsMissingOrNull(set.Value) => Receiver(target.Instance),
            _ => null,
        };

    // In `options?.Degrader = f` the property's instance stands for what the nearest `?.` tested: `options`.
    private static IOperation? Receiver(IOperation? instance)
    {
        if (instance is IConditionalAccessInstanceOperation)
        {
            for (var current = instance.Parent; current is not null; current = current.Parent)
            {
                if (current is IConditionalAccessOperation access)
                {
                    return access.Operation;
                }
            }
        }

        return instance;
    }

    // Options held in a field or property (`_options = new(DegradeQuality, n)`, in its initializer or a constructor) and
    // given a degrader by a member of the same type (`_options.Degrader = ...`), in the declaration at hand (the part of a
    // partial type that declares the creation).
    private static bool IsGivenDegraderInType(IObjectCreationOperation creation, ISymbol member)
    {
        if (creation.SemanticModel is not { } model || member.ContainingType is not { } type)
        {
            return false;
        }

        var tree = creation.Syntax.SyntaxTree;
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree != tree)
            {
                continue;
            }

            foreach (var node in reference.GetSyntax().DescendantNodes())
            {
                if (node is not AssignmentExpressionSyntax
                    {
                        Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: PolicyCalls.DegraderProperty }
                            or MemberBindingExpressionSyntax { Name.Identifier.ValueText: PolicyCalls.DegraderProperty },
                    }
                    || GivenDegrader(model.GetOperation(node)) is not { } instance)
                {
                    continue;
                }

                ISymbol? held = instance switch
                {
                    IFieldReferenceOperation field => field.Field,
                    IPropertyReferenceOperation property => property.Property,
                    _ => null,
                };
                if (SymbolEqualityComparer.Default.Equals(held?.OriginalDefinition, member.OriginalDefinition))
                {
                    return true;
                }
            }
        }

        return false;
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
