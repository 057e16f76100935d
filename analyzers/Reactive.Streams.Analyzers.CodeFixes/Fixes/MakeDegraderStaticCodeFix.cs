using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Reactive.Streams.Analyzers.Rules;

namespace Reactive.Streams.Analyzers.CodeFixes.Fixes;

/// <summary>
/// RXS0004, when the only effect is a lambda reading captured locals: if every captured local is initialised with a
/// constant and never written again, the fix makes those locals <c>const</c> and the lambda <c>static</c>, so the degrader
/// reads no state at all. (A lambda that reads fields, <c>this</c> or mutable locals gets no fix: making it static would
/// not compile, and the read is a real dependency the user has to remove.)
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeDegraderStaticCodeFix))]
[Shared]
public sealed class MakeDegraderStaticCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ImpureDegrader);

    /// <summary>
    /// Fix-all computes every fix on the original document and merges their edits, an identical one once: degraders that
    /// share a local all become static and the local const once, in one run.
    /// </summary>
    public override FixAllProvider? GetFixAllProvider() => MergingFixAll.Provider;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.ContainsKey(ImpureDegraderAnalyzer.CapturedReadProperty)
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<AnonymousFunctionExpressionSyntax>() is not { } lambda
                || lambda.Modifiers.Any(SyntaxKind.StaticKeyword))
            {
                continue;
            }

            var locals = ConstantCapturedLocals(model, lambda, context.CancellationToken);
            if (locals.IsDefaultOrEmpty || !await LeavesPureDegraderAsync(context.Document, lambda, locals, context.CancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Make the degrader static (and " + string.Join(", ", locals.Select(l => "'" + l.Symbol.Name + "'")) + " const)",
                    ct => FixAsync(context.Document, lambda, locals, ct),
                    equivalenceKey: nameof(MakeDegraderStaticCodeFix)),
                diagnostic);
        }
    }

    /// <summary>
    /// Whether the degrader is pure once fixed. The diagnostic names the first effect the prover met; a captured read
    /// may come before another effect (<c>r =&gt; r with { Value = r.Value / factor, At = DateTime.UtcNow }</c>), which
    /// the fix would leave, RXS0004 still reported. The fixed document is analyzed again, off the analyzer's path (only
    /// when a fix is asked for).
    /// </summary>
    private static async Task<bool> LeavesPureDegraderAsync(
        Document document,
        AnonymousFunctionExpressionSyntax lambda,
        ImmutableArray<(ILocalSymbol Symbol, LocalDeclarationStatementSyntax Declaration)> locals,
        CancellationToken cancellationToken)
    {
        var annotation = new SyntaxAnnotation();
        var fixedDocument = await FixAsync(document, lambda, locals, cancellationToken, annotation).ConfigureAwait(false);
        var root = await fixedDocument.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await fixedDocument.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root?.GetAnnotatedNodes(annotation).FirstOrDefault() is not { } fixedLambda || model is null)
        {
            return false;
        }

        var analysis = new CompilationWithAnalyzers(
            model.Compilation,
            ImmutableArray.Create<DiagnosticAnalyzer>(new ImpureDegraderAnalyzer()),
            new CompilationWithAnalyzersOptions(document.Project.AnalyzerOptions, onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false));
        var diagnostics = await analysis.GetAnalyzerSemanticDiagnosticsAsync(model, filterSpan: null, cancellationToken).ConfigureAwait(false);
        return !diagnostics.Any(d => d.Id == DiagnosticIds.ImpureDegrader
            && d.Location.SourceTree == model.SyntaxTree
            && d.Location.SourceSpan.IntersectsWith(fixedLambda.Span));
    }

    /// <summary>The captured locals, when every capture is a local with a constant initializer that is never written.</summary>
    private static ImmutableArray<(ILocalSymbol Symbol, LocalDeclarationStatementSyntax Declaration)> ConstantCapturedLocals(
        SemanticModel model, AnonymousFunctionExpressionSyntax lambda, CancellationToken cancellationToken)
    {
        var flow = model.AnalyzeDataFlow(lambda);
        if (flow is null || !flow.Succeeded || flow.CapturedInside.IsEmpty)
        {
            return default;
        }

        var builder = ImmutableArray.CreateBuilder<(ILocalSymbol, LocalDeclarationStatementSyntax)>();
        foreach (var captured in flow.CapturedInside)
        {
            if (captured is not ILocalSymbol { IsConst: false, IsRef: false } local
                || (local.Type.SpecialType is SpecialType.None or SpecialType.System_Object or SpecialType.System_IntPtr or SpecialType.System_UIntPtr
                    && local.Type.TypeKind != TypeKind.Enum)
                || local.DeclaringSyntaxReferences.Length != 1
                || local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } value } declarator
                || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax declaration }
                || !model.GetConstantValue(value, cancellationToken).HasValue
                || IsWrittenAfterDeclaration(model, local, declaration, cancellationToken))
            {
                return default;
            }

            builder.Add((local, declaration));
        }

        return builder.ToImmutable();
    }

    private static bool IsWrittenAfterDeclaration(SemanticModel model, ILocalSymbol local, LocalDeclarationStatementSyntax declaration, CancellationToken cancellationToken)
    {
        // The whole file, not the declaration's parent: a top-level statement's local is used by the statements after it
        // (each a global statement of its own), and a switch section's local by every section of the switch.
        var scope = declaration.SyntaxTree.GetRoot(cancellationToken);
        foreach (var identifier in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (identifier.Identifier.ValueText != local.Name
                || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, local))
            {
                continue;
            }

            var operation = model.GetOperation(identifier, cancellationToken);
            var parent = operation?.Parent;

            // `(factor, other) = (4, 5)`: an element of a deconstruction's target tuple is written too.
            var target = operation;
            while (parent is ITupleOperation)
            {
                target = parent;
                parent = parent.Parent;
            }

            if (parent is IDeconstructionAssignmentOperation deconstruction && ReferenceEquals(deconstruction.Target, target))
            {
                return true;
            }

            parent = operation?.Parent;
            if (parent is IAssignmentOperation assignment && ReferenceEquals(assignment.Target, operation)
                || parent is IIncrementOrDecrementOperation
                || parent is IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out }
                // Passed with an explicit `in` or `ref`: a const cannot be (`Twice(in factor)` is CS8156 once factor is
                // const); `Twice(factor)` to an `in` parameter passes a copy and stays valid.
                || identifier.Parent is ArgumentSyntax { RefKindKeyword.RawKind: not 0 }
                || identifier.Parent is RefExpressionSyntax)
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<Document> FixAsync(
        Document document,
        AnonymousFunctionExpressionSyntax lambda,
        ImmutableArray<(ILocalSymbol Symbol, LocalDeclarationStatementSyntax Declaration)> locals,
        CancellationToken cancellationToken,
        SyntaxAnnotation? lambdaAnnotation = null)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var replacements = new Dictionary<SyntaxNode, SyntaxNode>();
        foreach (var (symbol, declaration) in locals)
        {
            // `var x = 3;` becomes `const int x = 3;`: const needs an explicit type, written as it binds there (an enum
            // of another namespace or nested in another type is qualified as needed).
            var type = declaration.Declaration.Type.IsVar
                ? SyntaxFactory.ParseTypeName(symbol.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToMinimalDisplayString(model, declaration.SpanStart)).WithTriviaFrom(declaration.Declaration.Type)
                : declaration.Declaration.Type;
            var constKeyword = SyntaxFactory.Token(SyntaxKind.ConstKeyword).WithTrailingTrivia(SyntaxFactory.Space);
            var updated = declaration
                .WithDeclaration(declaration.Declaration.WithType(type.WithLeadingTrivia()))
                .WithModifiers(declaration.Modifiers.Insert(0, constKeyword.WithLeadingTrivia(declaration.GetLeadingTrivia())))
                .WithLeadingTrivia(declaration.GetLeadingTrivia());
            replacements[declaration] = updated;
        }

        var staticKeyword = SyntaxFactory.Token(SyntaxKind.StaticKeyword).WithTrailingTrivia(SyntaxFactory.Space);
        if (lambda is ParenthesizedLambdaExpressionSyntax { AttributeLists.Count: > 0 } attributed)
        {
            // `[A] (int x) => ...`: the modifiers come after the attributes, which keep the lambda's leading trivia.
            replacements[lambda] = attributed.WithModifiers(attributed.Modifiers.Insert(0, staticKeyword));
        }
        else
        {
            var first = lambda.GetFirstToken();
            replacements[lambda] = lambda
                .ReplaceToken(first, first.WithLeadingTrivia())
                .WithModifiers(lambda.Modifiers.Insert(0, staticKeyword.WithLeadingTrivia(first.LeadingTrivia)));
        }

        if (lambdaAnnotation is not null)
        {
            replacements[lambda] = replacements[lambda].WithAdditionalAnnotations(lambdaAnnotation);
        }

        return document.WithSyntaxRoot(root.ReplaceNodes(replacements.Keys, (original, _) => replacements[original]));
    }
}
