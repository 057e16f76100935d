using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Reactive.Streams.Analyzers.Infrastructure;
using Reactive.Streams.Analyzers.Rules;

namespace Reactive.Streams.Analyzers.CodeFixes.Fixes;

/// <summary>
/// RXS0002: rewrites <c>ObserveOn(scheduler)</c> to a policy operator (<c>DropOldest</c>, <c>PauseUpstream</c>,
/// <c>FailOnOverflow</c>, or <c>DegradeQuality</c> with an identity degrader to replace), <c>Channel.CreateUnbounded</c>
/// to <c>BackpressureChannel.Create</c> with a policy, adds <c>BoundedCapacity</c> to a Dataflow block's options (a
/// bounded Dataflow block postpones, which is PauseUpstream), and replaces an unbounded <c>BufferBlock</c> with a
/// <c>BackpressureBlock</c> of the policy the user picks. The capacity written is the library default, 1024.
/// A fix with the same policy has the same equivalence key whatever it rewrites (<see cref="PolicyKey"/>), so one
/// fix-all run (<c>dotnet format analyzers</c> takes the first fix of the first diagnostic) bounds the Rx, Channels and
/// Dataflow boundaries together; the first fix offered everywhere is PauseUpstream, which a bounded Dataflow block is.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnboundedBoundaryCodeFix))]
[Shared]
public sealed class UnboundedBoundaryCodeFix : CodeFixProvider
{
    private const string IdentityDegrader = "static item => item";
    private const string OperatorsMetadataName = "Reactive.Streams.ObservableBackpressureExtensions";

    private static readonly (string Policy, string Operator)[] s_operators =
    {
        ("PauseUpstream", "PauseUpstream"), ("DropOldest", "DropOldest"), ("Fail", "FailOnOverflow"), ("DegradeQuality", "DegradeQuality"),
    };

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.UnboundedBoundary);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => MergingFixAll.Provider;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            diagnostic.Properties.TryGetValue(UnboundedBoundaryAnalyzer.KindProperty, out var kind);
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            switch (kind)
            {
                case UnboundedBoundaryAnalyzer.ObserveOnKind
                    when node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } invocation
                        && await TakesSchedulerAsync(context, invocation).ConfigureAwait(false) is { } form:
                    await RegisterObserveOnAsync(context, diagnostic, invocation, form).ConfigureAwait(false);
                    break;
                case UnboundedBoundaryAnalyzer.ChannelKind
                    when node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { ArgumentList.Arguments.Count: 0 } invocation
                        && invocation.Expression is MemberAccessExpressionSyntax { Name: GenericNameSyntax { Identifier.ValueText: "CreateUnbounded", TypeArgumentList.Arguments.Count: 1 } }:
                    await RegisterChannelAsync(context, diagnostic, invocation).ConfigureAwait(false);
                    break;
                case UnboundedBoundaryAnalyzer.DataflowKind
                    when node.FirstAncestorOrSelf<BaseObjectCreationExpressionSyntax>() is { } creation
                        && await HasKnownBatchSizeAsync(context, creation).ConfigureAwait(false):
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            "Set BoundedCapacity = " + Edits.DefaultCapacity,
                            ct => BoundDataflowAsync(context.Document, creation, ct),
                            equivalenceKey: PolicyKey("PauseUpstream")),
                        diagnostic);
                    await RegisterPolicyBlockAsync(context, diagnostic, creation).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>
    /// A <c>BufferBlock</c> is a pure buffer, so a <c>BackpressureBlock</c> (also an <c>IPropagatorBlock</c> and an
    /// <c>IReceivableSourceBlock</c>) takes its place one for one, with every policy rather than only the postponing that
    /// <c>BoundedCapacity</c> gives. Offered only where nothing else changes meaning: no options but an inline
    /// <c>BoundedCapacity</c> (a cancellation token or task scheduler would be lost), and a place typed as an interface,
    /// <c>object</c> or <c>var</c>, or a declaration whose <c>BufferBlock</c> type the fix rewrites with it.
    /// </summary>
    private static async Task RegisterPolicyBlockAsync(CodeFixContext context, Diagnostic diagnostic, BaseObjectCreationExpressionSyntax creation)
    {
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (model is null
            || model.GetTypeInfo(creation, context.CancellationToken) is not { Type: INamedTypeSymbol { Name: "BufferBlock", TypeArguments.Length: 1 } type } typeInfo
            || type.ContainingNamespace?.ToDisplayString() != "System.Threading.Tasks.Dataflow"
            || KnownTypes.Resolve(model.Compilation, "Reactive.Streams.BackpressureBlock`1", KnownTypes.LibraryAssembly) is not { } policyBlock
            || LibraryNames.At(model, creation.SpanStart, context.CancellationToken, "Reactive.Streams.BackpressureBlock`1", "Reactive.Streams.BackpressurePolicy") is not { } names
            || !OnlyBoundsItsCapacity(creation))
        {
            return;
        }

        var declaredType = DeclaredBufferBlockType(creation, type, model, context.CancellationToken);
        if (declaredType is null && SymbolEqualityComparer.Default.Equals(typeInfo.ConvertedType, type) && !InitializesVar(creation))
        {
            // Typed as BufferBlock somewhere the fix cannot retype (an argument, a return, an assignment).
            return;
        }

        if ((declaredType is not null || InitializesVar(creation))
            && !EveryUseTakesPolicyBlock(creation, type, policyBlock, model, context.CancellationToken))
        {
            // The variable becomes a BackpressureBlock: a use that needs a BufferBlock would no longer compile.
            return;
        }

        var item = type.TypeArguments[0].ToMinimalDisplayString(model, creation.SpanStart);
        // PauseUpstream is what BoundedCapacity (offered first) does; the block's PauseUpstream fix keeps a key of its own.
        var block = names.Name("BackpressureBlock");
        RegisterPerPolicy(context, diagnostic, "Use BackpressureBlock with BackpressurePolicy.", static policy => policy == "PauseUpstream" ? nameof(UnboundedBoundaryCodeFix) + "BlockPauseUpstream" : PolicyKey(policy), creation.SpanStart, names.NeedsUsing, (root, policy) =>
        {
            var replacement = SyntaxFactory.ParseExpression("new " + block + "<" + item + ">(" + PolicyArguments(policy, names) + ")").WithTriviaFrom(creation);
            return declaredType is null
                ? root.ReplaceNode(creation, replacement)
                : root.ReplaceNodes(
                    new SyntaxNode[] { creation, declaredType },
                    // A declaration written `BufferBlock<T>?` keeps its annotation.
                    (original, _) => original == creation
                        ? replacement
                        : SyntaxFactory.ParseTypeName(block + "<" + item + ">" + (original is NullableTypeSyntax ? "?" : string.Empty)).WithTriviaFrom(original));
        });
    }

    /// <summary>The equivalence key of the fixes that bound a boundary with <paramref name="policy"/>, whatever the boundary.</summary>
    internal static string PolicyKey(string policy) => nameof(UnboundedBoundaryCodeFix) + policy;

    /// <summary>
    /// One fix per policy; <paramref name="rewrite"/> makes the new root, and the using is added at <paramref name="anchor"/>
    /// when <paramref name="addUsing"/> (not when the fix writes the library's names qualified).
    /// </summary>
    private static void RegisterPerPolicy(CodeFixContext context, Diagnostic diagnostic, string title, Func<string, string> key, int anchor, bool addUsing, Func<SyntaxNode, string, SyntaxNode> rewrite)
    {
        foreach (var policy in Edits.Policies)
        {
            context.RegisterCodeFix(
                CodeAction.Create(
                    title + policy,
                    async ct =>
                    {
                        var root = await context.Document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
                        var newRoot = rewrite(root!, policy);
                        if (!addUsing)
                        {
                            return context.Document.WithSyntaxRoot(newRoot);
                        }

                        var compilation = await context.Document.Project.GetCompilationAsync(ct).ConfigureAwait(false);
                        return context.Document.WithSyntaxRoot(
                            Edits.EnsureLibraryUsing(newRoot, newRoot.FindNode(new Microsoft.CodeAnalysis.Text.TextSpan(anchor, 0)), compilation));
                    },
                    equivalenceKey: key(policy)),
                diagnostic);
        }
    }

    // The (policy, capacity[, degrader]) arguments shared by the policy channel factory and the policy block's constructor.
    private static string PolicyArguments(string policy, LibraryNames names) =>
        names.Name("BackpressurePolicy") + "." + policy + ", " + Edits.DefaultCapacity + (policy == "DegradeQuality" ? ", " + IdentityDegrader : string.Empty);

    // No arguments, or inline options that set BoundedCapacity and nothing else.
    private static bool OnlyBoundsItsCapacity(BaseObjectCreationExpressionSyntax creation) =>
        creation.ArgumentList is null
        || creation.ArgumentList.Arguments.Count == 0
        || (creation.ArgumentList.Arguments.Count == 1
            && creation.ArgumentList.Arguments[0].Expression is BaseObjectCreationExpressionSyntax { ArgumentList: null or { Arguments.Count: 0 } } options
            && (options.Initializer is null || options.Initializer.Expressions.All(e =>
                e is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "BoundedCapacity" } })));

    /// <summary>
    /// Whether the variable <paramref name="creation"/> initializes can become a <c>BackpressureBlock</c>: a private field
    /// or a local every use of which takes one as well. A use takes it when it calls a member the policy block has too
    /// (or an extension or interface member), or converts the variable to another type (an interface, <c>object</c>);
    /// not when it needs a <c>BufferBlock</c> (an argument, a return, another variable of that type) or assigns the
    /// variable another block.
    /// </summary>
    private static bool EveryUseTakesPolicyBlock(BaseObjectCreationExpressionSyntax creation, ITypeSymbol bufferBlock, INamedTypeSymbol policyBlock, SemanticModel model, CancellationToken cancellationToken)
    {
        if (creation.Parent?.Parent is not VariableDeclaratorSyntax declarator)
        {
            return false;
        }

        IEnumerable<SyntaxNode> scopes;
        switch (model.GetDeclaredSymbol(declarator, cancellationToken))
        {
            case IFieldSymbol { DeclaredAccessibility: Accessibility.Private } field:
                scopes = field.ContainingType.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken));
                break;
            case ILocalSymbol:
                scopes = new[] { (SyntaxNode?)declarator.FirstAncestorOrSelf<MemberDeclarationSyntax>() is { } member and not GlobalStatementSyntax ? member : declarator.SyntaxTree.GetRoot(cancellationToken) };
                break;
            default:
                return false;
        }

        var variable = model.GetDeclaredSymbol(declarator, cancellationToken)!;
        foreach (var scope in scopes)
        {
            var scopeModel = scope.SyntaxTree == model.SyntaxTree ? model : model.Compilation.GetSemanticModel(scope.SyntaxTree);
            foreach (var name in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (name.Identifier.ValueText == variable.Name
                    && SymbolEqualityComparer.Default.Equals(scopeModel.GetSymbolInfo(name, cancellationToken).Symbol?.OriginalDefinition, variable.OriginalDefinition)
                    && !TakesPolicyBlock(name, bufferBlock, policyBlock, scopeModel, cancellationToken))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool TakesPolicyBlock(IdentifierNameSyntax name, ITypeSymbol bufferBlock, INamedTypeSymbol policyBlock, SemanticModel model, CancellationToken cancellationToken)
    {
        // nameof(buffer) reads only the name.
        if (name.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } }
            && model.GetOperation(invocation, cancellationToken) is INameOfOperation)
        {
            return true;
        }

        ExpressionSyntax use = name.Parent is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } qualified && qualified.Name == name ? qualified : name;
        SimpleNameSyntax? member = use.Parent switch
        {
            MemberAccessExpressionSyntax access when access.Expression == use => access.Name,
            ConditionalAccessExpressionSyntax conditional when conditional.Expression == use =>
                conditional.WhenNotNull.DescendantNodesAndSelf().OfType<MemberBindingExpressionSyntax>().FirstOrDefault()?.Name,
            _ => null,
        };
        if (member is not null)
        {
            return model.GetSymbolInfo(member, cancellationToken).Symbol is { } symbol
                && (symbol is IMethodSymbol { ReducedFrom: not null }
                    || symbol.ContainingType?.TypeKind == TypeKind.Interface
                    || policyBlock.GetMembers(member.Identifier.ValueText).Any(static m => m.DeclaredAccessibility == Accessibility.Public));
        }

        if (use.Parent is AssignmentExpressionSyntax assignment && assignment.Left == use)
        {
            return false;
        }

        return model.GetTypeInfo(use, cancellationToken).ConvertedType is { } converted
            && !SymbolEqualityComparer.Default.Equals(converted, bufferBlock);
    }

    private static bool InitializesVar(BaseObjectCreationExpressionSyntax creation) =>
        creation.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Type.IsVar: true } } };

    // The explicit BufferBlock<T> type of the field or local this creation initializes, if any; null for var.
    private static TypeSyntax? DeclaredBufferBlockType(BaseObjectCreationExpressionSyntax creation, ITypeSymbol type, SemanticModel model, CancellationToken cancellationToken) =>
        creation.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Type: { IsVar: false } declared } } }
            && SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(declared, cancellationToken).Type, type)
            ? declared
            : null;

    // A BatchBlock needs BoundedCapacity >= batchSize; without a constant batch size the fix cannot pick a bound.
    private static async Task<bool> HasKnownBatchSizeAsync(CodeFixContext context, BaseObjectCreationExpressionSyntax creation)
    {
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (model?.GetTypeInfo(creation, context.CancellationToken).Type is not { Name: "BatchBlock" })
        {
            return true;
        }

        return BatchSize(model, creation, context.CancellationToken) is not null;
    }

    // The syntax of the argument passed for a parameter, by name or by position (named arguments may come in any order).
    private static ArgumentSyntax? ArgumentFor(SemanticModel model, BaseObjectCreationExpressionSyntax creation, Func<IParameterSymbol, bool> parameter, CancellationToken cancellationToken)
    {
        if (model.GetOperation(creation, cancellationToken) is IObjectCreationOperation operation)
        {
            foreach (var argument in operation.Arguments)
            {
                if (argument.ArgumentKind == ArgumentKind.Explicit && argument.Parameter is { } p && parameter(p) && argument.Syntax is ArgumentSyntax syntax)
                {
                    return syntax;
                }
            }
        }

        return null;
    }

    // The options object created in place for an options argument (through parentheses and casts), if it is one.
    private static BaseObjectCreationExpressionSyntax? InlineOptions(ArgumentSyntax argument)
    {
        var expression = argument.Expression;
        while (true)
        {
            switch (expression)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    expression = parenthesized.Expression;
                    break;
                case CastExpressionSyntax cast:
                    expression = cast.Expression;
                    break;
                default:
                    return expression as BaseObjectCreationExpressionSyntax;
            }
        }
    }

    // A BatchBlock's constant batch size, if it has one.
    private static int? BatchSize(SemanticModel model, BaseObjectCreationExpressionSyntax creation, CancellationToken cancellationToken) =>
        ArgumentFor(model, creation, static p => p.Name == "batchSize", cancellationToken) is { } batchSize
            && model.GetConstantValue(batchSize.Expression, cancellationToken) is { HasValue: true, Value: int size }
            ? size
            : null;

    // How an ObserveOn call is written: on its source (`source.ObserveOn(s)`, `source?.ObserveOn(s)`), or as the static
    // method it is (`Observable.ObserveOn(source, s)`, also through an alias of Observable).
    private enum ObserveOnForm
    {
        Extension,
        Static,
    }

    // The policy operators take an IScheduler; ObserveOn(SynchronizationContext) has no mechanical rewrite. The overload
    // bound says which (the argument's own type may be a type parameter constrained to IScheduler).
    private static async Task<ObserveOnForm?> TakesSchedulerAsync(CodeFixContext context, InvocationExpressionSyntax invocation)
    {
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (model?.GetSymbolInfo(invocation, context.CancellationToken).Symbol is not IMethodSymbol method
            || method.Parameters.Length == 0
            || method.Parameters[method.Parameters.Length - 1].Type is not { Name: "IScheduler" } type
            || type.ContainingNamespace?.ToDisplayString() != "System.Reactive.Concurrency")
        {
            return null;
        }

        return (method.MethodKind, invocation.Expression, invocation.ArgumentList.Arguments.Count) switch
        {
            (MethodKind.ReducedExtension, MemberAccessExpressionSyntax or MemberBindingExpressionSyntax, 1) => ObserveOnForm.Extension,
            (MethodKind.Ordinary, MemberAccessExpressionSyntax, 2) => ObserveOnForm.Static,
            _ => null,
        };
    }

    // The operators are offered where the referenced library has them (an older one may not). Called on its source, an
    // operator needs `using Reactive.Streams;`: none is offered where that using would make a name of the file ambiguous.
    // Where the project has a method of the operator's name that applies to the source (an extension method in scope,
    // an instance method of the source's type), `source.Op(...)` would be ambiguous (CS0121) or call that method: the
    // operator is then called as the static method it is, `ObservableBackpressureExtensions.Op(source, ...)`, or, on a
    // `?.` (which that form cannot keep), not offered.
    private static async Task RegisterObserveOnAsync(CodeFixContext context, Diagnostic diagnostic, InvocationExpressionSyntax invocation, ObserveOnForm form)
    {
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (model is null
            || LibraryNames.At(model, invocation.SpanStart, context.CancellationToken, OperatorsMetadataName) is not { } names
            || (form == ObserveOnForm.Extension && !names.CanImport))
        {
            return;
        }

        var operators = KnownTypes.Resolve(model.Compilation, OperatorsMetadataName, KnownTypes.LibraryAssembly)!;
        var receiverType = form == ObserveOnForm.Extension ? ReceiverType(model, invocation, context.CancellationToken) : null;
        foreach (var (policy, op) in s_operators)
        {
            if (operators.GetMembers(op).IsEmpty)
            {
                continue;
            }

            var written = form;
            if (form == ObserveOnForm.Extension && IsNameTaken(model, invocation.SpanStart, receiverType, op, operators))
            {
                if (invocation.Expression is not MemberAccessExpressionSyntax)
                {
                    continue;
                }

                written = ObserveOnForm.Static;
            }

            var addUsing = written == ObserveOnForm.Extension || names.NeedsUsing;
            context.RegisterCodeFix(
                CodeAction.Create(
                    "Replace ObserveOn with " + op + "(" + Edits.DefaultCapacity + (policy == "DegradeQuality" ? ", " + IdentityDegrader : string.Empty) + ", scheduler)",
                    async ct =>
                    {
                        var root = await context.Document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
                        var operatorsName = names.Name("ObservableBackpressureExtensions");
                        var updated = written == form
                            ? invocation
                                .WithExpression(OperatorName(invocation.Expression, op, form, operatorsName))
                                .WithArgumentList(OperatorArguments(invocation.ArgumentList, policy, form))
                            : invocation
                                .WithExpression(SyntaxFactory.ParseExpression(operatorsName + "." + op).WithTriviaFrom(invocation.Expression))
                                .WithArgumentList(OperatorArguments(WithSourceArgument(invocation), policy, ObserveOnForm.Static));
                        var newRoot = root!.ReplaceNode(invocation, updated);
                        if (!addUsing)
                        {
                            return context.Document.WithSyntaxRoot(newRoot);
                        }

                        var compilation = await context.Document.Project.GetCompilationAsync(ct).ConfigureAwait(false);
                        return context.Document.WithSyntaxRoot(Edits.EnsureLibraryUsing(newRoot, newRoot.FindNode(invocation.Span), compilation));
                    },
                    equivalenceKey: PolicyKey(policy)),
                diagnostic);
        }
    }

    // The type of what ObserveOn is called on: the expression before the dot, or (after `?.`, where no expression stands
    // for it) the type the extension method was reduced to.
    private static ITypeSymbol? ReceiverType(SemanticModel model, InvocationExpressionSyntax invocation, CancellationToken cancellationToken) =>
        invocation.Expression is MemberAccessExpressionSyntax access
            ? model.GetTypeInfo(access.Expression, cancellationToken).Type
            : (model.GetSymbolInfo(invocation, cancellationToken).Symbol as IMethodSymbol)?.ReceiverType;

    // Whether a member named `op` other than the library's operator applies to the receiver at the position: an
    // instance member of its type or an extension method in scope.
    private static bool IsNameTaken(SemanticModel model, int position, ITypeSymbol? receiverType, string op, INamedTypeSymbol operators) =>
        receiverType is not null
        && model.LookupSymbols(position, receiverType, op, includeReducedExtensionMethods: true).Any(symbol =>
            !SymbolEqualityComparer.Default.Equals(((symbol as IMethodSymbol)?.ReducedFrom ?? symbol).ContainingType, operators));

    // `source.ObserveOn(args)`'s arguments with the source first, as the static method takes them.
    private static ArgumentListSyntax WithSourceArgument(InvocationExpressionSyntax invocation)
    {
        var source = ((MemberAccessExpressionSyntax)invocation.Expression).Expression.WithoutTrivia();
        var list = invocation.ArgumentList;
        return list.WithArguments(SyntaxFactory.SeparatedList(
            new[] { SyntaxFactory.Argument(source) }.Concat(list.Arguments),
            new[] { SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space) }.Concat(list.Arguments.GetSeparators())));
    }

    // `source.Op`, `source?.Op`, or `ObservableBackpressureExtensions.Op` for the static form, with the name's trivia.
    private static ExpressionSyntax OperatorName(ExpressionSyntax expression, string op, ObserveOnForm form, string operators)
    {
        switch (expression)
        {
            case MemberAccessExpressionSyntax memberAccess when form == ObserveOnForm.Extension:
                return memberAccess.WithName(SyntaxFactory.IdentifierName(op).WithTriviaFrom(memberAccess.Name));
            case MemberBindingExpressionSyntax memberBinding:
                return memberBinding.WithName(SyntaxFactory.IdentifierName(op).WithTriviaFrom(memberBinding.Name));
            default:
                return SyntaxFactory.ParseExpression(operators + "." + op).WithTriviaFrom(expression);
        }
    }

    // The scheduler (and, in the static form, the source before it) as written, with the capacity (and the identity
    // degrader) inserted before the scheduler: positionally where every argument is in its position (named or not), by
    // name after the others when a named one is out of its position. The capacity takes the scheduler's place in the
    // layout (a line of its own), the scheduler follows it on the same line.
    private static ArgumentListSyntax OperatorArguments(ArgumentListSyntax list, string policy, ObserveOnForm form)
    {
        var arguments = list.Arguments;
        var positions = form == ObserveOnForm.Static ? new[] { "source", "scheduler" } : new[] { "scheduler" };
        var named = arguments.Select((a, i) => a.NameColon is { } name && name.Name.Identifier.ValueText != positions[i]).Any(static outOfPlace => outOfPlace);
        var inserted = new List<ArgumentSyntax>
        {
            SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(Edits.DefaultCapacity))),
        };
        if (policy == "DegradeQuality")
        {
            inserted.Add(SyntaxFactory.Argument(SyntaxFactory.ParseExpression(IdentityDegrader)));
        }

        if (named)
        {
            inserted[0] = inserted[0].WithNameColon(NameColon("capacity"));
            if (inserted.Count > 1)
            {
                inserted[1] = inserted[1].WithNameColon(NameColon("degrader"));
            }
        }

        // Inserted before the last argument (the scheduler), or after every argument when they are named.
        var at = named ? arguments.Count : arguments.Count - 1;
        var anchor = arguments[Math.Min(at, arguments.Count - 1)];
        var result = new List<ArgumentSyntax>(arguments);
        var separators = new List<SyntaxToken>(arguments.GetSeparators());
        if (at < arguments.Count)
        {
            inserted[0] = inserted[0].WithLeadingTrivia(anchor.GetLeadingTrivia());
            result[at] = anchor.WithLeadingTrivia();
            result.InsertRange(at, inserted);
            separators.InsertRange(at, inserted.Select(static _ => Comma()));
        }
        else
        {
            result[at - 1] = anchor.WithoutTrailingTrivia();
            inserted[inserted.Count - 1] = inserted[inserted.Count - 1].WithTrailingTrivia(anchor.GetTrailingTrivia());
            result.AddRange(inserted);
            separators.AddRange(inserted.Select(static _ => Comma()));
        }

        return list.WithArguments(SyntaxFactory.SeparatedList(result, separators));

        static SyntaxToken Comma() => SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space);

        static NameColonSyntax NameColon(string name) =>
            SyntaxFactory.NameColon(name).WithTrailingTrivia(SyntaxFactory.Space);
    }

    private static async Task RegisterChannelAsync(CodeFixContext context, Diagnostic diagnostic, InvocationExpressionSyntax invocation)
    {
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (model is null
            || LibraryNames.At(model, invocation.SpanStart, context.CancellationToken, "Reactive.Streams.BackpressureChannel", "Reactive.Streams.BackpressurePolicy") is not { } names)
        {
            return;
        }

        var item = ((GenericNameSyntax)((MemberAccessExpressionSyntax)invocation.Expression).Name).TypeArgumentList.Arguments[0];
        var factory = names.Name("BackpressureChannel");
        RegisterPerPolicy(context, diagnostic, "Use BackpressureChannel.Create with BackpressurePolicy.", PolicyKey, invocation.SpanStart, names.NeedsUsing, (root, policy) =>
            root.ReplaceNode(invocation, SyntaxFactory.ParseExpression(factory + ".Create<" + item + ">(" + PolicyArguments(policy, names) + ")").WithTriviaFrom(invocation)));
    }

    private static async Task<Document> BoundDataflowAsync(Document document, BaseObjectCreationExpressionSyntax creation, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || model.GetSymbolInfo(creation, cancellationToken).Symbol is not IMethodSymbol constructor)
        {
            return document;
        }

        // A BatchBlock's bounded capacity must hold at least one batch.
        var bound = Edits.DefaultCapacity;
        if (constructor.ContainingType.Name == "BatchBlock" && BatchSize(model, creation, cancellationToken) is { } size)
        {
            bound = Math.Max(bound, size);
        }

        var capacity = SyntaxFactory.AssignmentExpression(
            SyntaxKind.SimpleAssignmentExpression,
            SyntaxFactory.IdentifierName("BoundedCapacity"),
            SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(bound)));

        // Options created right there: add (or replace an Unbounded) BoundedCapacity in their initializer.
        if (ArgumentFor(model, creation, static p => IsOptions(p.Type), cancellationToken) is { } optionsArgument)
        {
            if (InlineOptions(optionsArgument) is { } options)
            {
                var initializer = options.Initializer;
                var existing = initializer?.Expressions.OfType<AssignmentExpressionSyntax>()
                    .FirstOrDefault(a => a.Left is IdentifierNameSyntax { Identifier.ValueText: "BoundedCapacity" });
                BaseObjectCreationExpressionSyntax updatedOptions;
                if (existing is not null)
                {
                    updatedOptions = options.ReplaceNode(existing.Right, capacity.Right.WithTriviaFrom(existing.Right));
                }
                else if (initializer is not null)
                {
                    updatedOptions = options.WithInitializer(AddAssignment(initializer, capacity, Edits.NewLine(root)));
                }
                else
                {
                    updatedOptions = options.WithInitializer(SyntaxFactory.InitializerExpression(
                        SyntaxKind.ObjectInitializerExpression, SyntaxFactory.SingletonSeparatedList<ExpressionSyntax>(capacity)))
                        .WithAdditionalAnnotations(Formatter.Annotation);
                    if (updatedOptions is ObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: 0 } explicitCreation)
                    {
                        updatedOptions = explicitCreation.WithArgumentList(null).WithType(explicitCreation.Type.WithTrailingTrivia(SyntaxFactory.Space));
                    }
                }

                // Only what the fix writes is formatted: the user's options and arguments stay as they were written.
                return document.WithSyntaxRoot(root.ReplaceNode(options, updatedOptions));
            }

            return document;
        }

        // No options: pass new XxxDataflowBlockOptions { BoundedCapacity = 1024 } to the overload that takes them.
        var withOptions = constructor.ContainingType.InstanceConstructors.FirstOrDefault(c =>
            c.Parameters.Length == constructor.Parameters.Length + 1
            && IsOptions(c.Parameters[c.Parameters.Length - 1].Type)
            && c.Parameters.Take(constructor.Parameters.Length).Select(p => p.Type).SequenceEqual(constructor.Parameters.Select(p => p.Type), SymbolEqualityComparer.Default));
        if (withOptions is null)
        {
            return document;
        }

        var optionsType = withOptions.Parameters[withOptions.Parameters.Length - 1].Type;
        var newOptions = SyntaxFactory.ObjectCreationExpression(
                SyntaxFactory.ParseTypeName(optionsType.ToMinimalDisplayString(model, creation.SpanStart)).WithTrailingTrivia(SyntaxFactory.Space))
            .WithInitializer(SyntaxFactory.InitializerExpression(
                SyntaxKind.ObjectInitializerExpression,
                SyntaxFactory.SingletonSeparatedList<ExpressionSyntax>(capacity)))
            .WithAdditionalAnnotations(Formatter.Annotation);
        var argumentList = creation.ArgumentList ?? SyntaxFactory.ArgumentList();
        var newArgument = SyntaxFactory.Argument(newOptions);
        if (argumentList.Arguments.Any(static a => a.NameColon is not null))
        {
            // After named arguments the new one is named too (they may not be in their parameters' positions).
            newArgument = newArgument.WithNameColon(SyntaxFactory.NameColon(withOptions.Parameters[withOptions.Parameters.Length - 1].Name).WithTrailingTrivia(SyntaxFactory.Space));
        }

        var newArguments = argumentList.Arguments.Count == 0
            ? argumentList.WithArguments(SyntaxFactory.SingletonSeparatedList(newArgument))
            : argumentList.WithArguments(SyntaxFactory.SeparatedList(
                argumentList.Arguments.Add(newArgument),
                argumentList.Arguments.GetSeparators().Append(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space))));
        var updated = creation.WithArgumentList(newArguments.WithTrailingTrivia(argumentList.GetTrailingTrivia()));
        return document.WithSyntaxRoot(root.ReplaceNode(creation, updated));
    }

    // Appends an assignment to an initializer in its own layout: on the same line, or on a line of its own when the
    // last one ends its line, and with a trailing comma when the initializer has one. A comment after the last entry
    // stays with that entry and is not copied to the new one: on one line the comma follows the comment
    // (`A = 2 /* why */, BoundedCapacity = 1024 }`); when the comment ends the line the comma goes before it (a line
    // comment would swallow it) and the new assignment on the next line.
    private static InitializerExpressionSyntax AddAssignment(InitializerExpressionSyntax initializer, ExpressionSyntax assignment, SyntaxTrivia newline)
    {
        var expressions = initializer.Expressions;
        assignment = assignment.WithAdditionalAnnotations(Formatter.Annotation);
        if (expressions.Count == 0)
        {
            return initializer.WithExpressions(SyntaxFactory.SingletonSeparatedList(assignment));
        }

        if (expressions.SeparatorCount == expressions.Count)
        {
            // A trailing comma: the new assignment goes after it and its comments, and gets a comma too, followed by
            // the line break or the space before the brace (not the comments).
            var trailing = expressions.GetSeparator(expressions.SeparatorCount - 1).TrailingTrivia;
            var layout = EndsLine(trailing) ? SyntaxFactory.TriviaList(newline) : SplitTrailingWhitespace(trailing, out _);
            return initializer.WithExpressions(SyntaxFactory.SeparatedList(
                expressions.Add(assignment),
                expressions.GetSeparators().Append(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(layout))));
        }

        var last = expressions[expressions.Count - 1];
        var lastTrailing = last.GetTrailingTrivia();
        if (EndsLine(lastTrailing))
        {
            return initializer.WithExpressions(SyntaxFactory.SeparatedList(
                expressions.Replace(last, last.WithoutTrailingTrivia()).Add(assignment.WithTrailingTrivia(newline)),
                expressions.GetSeparators().Append(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(lastTrailing))));
        }

        // One line: the entry keeps its comments, and the space before the brace moves after the new assignment.
        var space = SplitTrailingWhitespace(lastTrailing, out var comments);
        return initializer.WithExpressions(SyntaxFactory.SeparatedList(
            expressions.Replace(last, last.WithTrailingTrivia(comments)).Add(assignment.WithTrailingTrivia(space)),
            expressions.GetSeparators().Append(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space))));
    }

    private static bool EndsLine(SyntaxTriviaList trivia) => trivia.Any(static t => t.IsKind(SyntaxKind.EndOfLineTrivia));

    // Splits trailing trivia into what comes before its final whitespace (comments and the spaces between them) and
    // that whitespace; returns the whitespace.
    private static SyntaxTriviaList SplitTrailingWhitespace(SyntaxTriviaList trivia, out SyntaxTriviaList comments)
    {
        var end = trivia.Count;
        while (end > 0 && trivia[end - 1].IsKind(SyntaxKind.WhitespaceTrivia))
        {
            end--;
        }

        comments = SyntaxFactory.TriviaList(trivia.Take(end));
        return SyntaxFactory.TriviaList(trivia.Skip(end));
    }

    private static bool IsOptions(ITypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.Name == "DataflowBlockOptions" && current.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks.Dataflow")
            {
                return true;
            }
        }

        return false;
    }
}
