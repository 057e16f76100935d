using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Reactive.Streams.Analyzers.Infrastructure;

namespace Reactive.Streams.Analyzers.Rules;

/// <summary>
/// RXS0002: an asynchronous boundary with an unbounded queue: Rx <c>ObserveOn</c>, a Dataflow block without
/// <c>BoundedCapacity</c> (or with <c>DataflowBlockOptions.Unbounded</c>), <c>Channel.CreateUnbounded</c>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnboundedBoundaryAnalyzer : DiagnosticAnalyzer
{
    internal const string KindProperty = "Kind";
    internal const string ObserveOnKind = "ObserveOn";
    internal const string DataflowKind = "Dataflow";
    internal const string ChannelKind = "Channel";

    private const string DataflowNamespace = "System.Threading.Tasks.Dataflow";

    // JoinBlock (both arities) buffers without bound by default as BatchBlock does, even non-greedy (its output queue
    // grows while each target has an item on offer). BatchedJoinBlock is left out: the runtime refuses it any bounded
    // capacity (ArgumentException), so a warning on it could not be acted on.
    private static readonly ImmutableHashSet<string> s_blocks = ImmutableHashSet.Create(
        StringComparer.Ordinal, "BufferBlock", "ActionBlock", "TransformBlock", "TransformManyBlock", "BatchBlock", "BroadcastBlock", "JoinBlock");

    // The Rx policy operators, in the order the message names them.
    private static readonly string[] s_observeOnOperators = { "DropOldest", "PauseUpstream", "FailOnOverflow", "DegradeQuality", "WithBackpressure" };

    private static readonly ImmutableDictionary<string, string?> s_observeOnProperties =
        ImmutableDictionary<string, string?>.Empty.Add(KindProperty, ObserveOnKind);

    private static readonly ImmutableDictionary<string, string?> s_dataflowProperties =
        ImmutableDictionary<string, string?>.Empty.Add(KindProperty, DataflowKind);

    private static readonly ImmutableDictionary<string, string?> s_channelProperties =
        ImmutableDictionary<string, string?>.Empty.Add(KindProperty, ChannelKind);

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.UnboundedBoundary);

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

            if (types.Observable is not null || types.Channel is not null)
            {
                var observeOnAdvice = ObserveOnAdvice(types.ObservableBackpressureExtensions);
                start.RegisterOperationAction(c => AnalyzeInvocation(c, types, observeOnAdvice), OperationKind.Invocation);
            }

            if (types.DataflowBlockOptions is not null)
            {
                start.RegisterOperationAction(c => AnalyzeCreation(c, types), OperationKind.ObjectCreation);
            }
        });
    }

    /// <summary>
    /// What the message of an <c>ObserveOn</c> recommends: the policy operators the referenced library has (an older
    /// version has fewer, or none: it then says which a later version has).
    /// </summary>
    private static string ObserveOnAdvice(INamedTypeSymbol? operators)
    {
        var present = s_observeOnOperators.Where(op => operators is not null && !operators.GetMembers(op).IsEmpty).ToList();
        if (present.Count == 0)
        {
            return "bound it with a policy operator (" + List(s_observeOnOperators) + "), which needs a later version of Reactive.Streams than the one referenced";
        }

        return "use a policy operator with a capacity (" + List(present) + ")";

        static string List(IReadOnlyList<string> names) =>
            names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[names.Count - 1];
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, KnownTypes types, string observeOnAdvice)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (method.Name == "ObserveOn" && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Observable))
        {
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.UnboundedBoundary,
                NameLocation(invocation),
                s_observeOnProperties,
                "'ObserveOn'",
                observeOnAdvice));
        }
        else if (method.Name.StartsWith("CreateUnbounded", StringComparison.Ordinal)
            && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Channel))
        {
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.UnboundedBoundary,
                NameLocation(invocation),
                s_channelProperties,
                "'Channel." + method.Name + "'",
                "use BackpressureChannel.Create with a policy and a capacity"));
        }
    }

    private static void AnalyzeCreation(OperationAnalysisContext context, KnownTypes types)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        if (creation.Type is not INamedTypeSymbol type || !s_blocks.Contains(type.Name)
            || !KnownTypes.IsNamespace(type.ContainingNamespace, DataflowNamespace))
        {
            return;
        }

        IOperation? options = null;
        foreach (var argument in creation.Arguments)
        {
            if (argument.Parameter?.Type is { } parameterType && (SymbolEqualityComparer.Default.Equals(parameterType, types.DataflowBlockOptions) || KnownTypes.DerivesFrom(parameterType, types.DataflowBlockOptions!)))
            {
                options = argument.Value;
            }
        }

        if (!IsProvablyUnbounded(options))
        {
            return;
        }

        var location = creation.Syntax is ObjectCreationExpressionSyntax { Type: var typeSyntax }
            ? typeSyntax.GetLocation()
            : creation.Syntax.GetLocation();
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.UnboundedBoundary,
            location,
            s_dataflowProperties,
            "'" + type.Name + "' without a BoundedCapacity",
            // A BackpressureBlock<T> replaces a BufferBlock; in front of any other block it applies its policy only
            // once that block is bounded (an unbounded target accepts every offer, so the policy block never fills).
            type.Name == "BufferBlock"
                ? "set BoundedCapacity or use BackpressureBlock<T> with a policy"
                : "set BoundedCapacity (a BackpressureBlock<T> linked in front of it then applies a policy other than waiting)"));
    }

    // Only what is visible at the call site counts: no options, DataflowBlockOptions.Unbounded as the capacity, or an
    // options object created right there without a bounded capacity. Options built elsewhere are not judged.
    private static bool IsProvablyUnbounded(IOperation? options)
    {
        while (options is IConversionOperation conversion)
        {
            options = conversion.Operand;
        }

        switch (options)
        {
            case null:
                return true;
            case IObjectCreationOperation creation:
                var capacity = PolicyCalls.FindInitializerAssignment(creation.Initializer, PolicyCalls.BoundedCapacityProperty);
                if (capacity is not null)
                {
                    return capacity.Value.ConstantValue is { HasValue: true, Value: PolicyCalls.DataflowUnbounded };
                }

                // Options of the user's own type derived from Dataflow's may set the capacity in their constructor.
                return creation.Type is { } optionsType && KnownTypes.IsNamespace(optionsType.ContainingNamespace, DataflowNamespace);
            default:
                return false;
        }
    }

    private static Location NameLocation(IInvocationOperation invocation) =>
        invocation.Syntax is InvocationExpressionSyntax { Expression: var expression }
            ? expression switch
            {
                MemberAccessExpressionSyntax memberAccess => memberAccess.Name.Identifier.GetLocation(),
                MemberBindingExpressionSyntax memberBinding => memberBinding.Name.Identifier.GetLocation(),
                SimpleNameSyntax name => name.Identifier.GetLocation(),
                _ => expression.GetLocation(),
            }
            : invocation.Syntax.GetLocation();
}
