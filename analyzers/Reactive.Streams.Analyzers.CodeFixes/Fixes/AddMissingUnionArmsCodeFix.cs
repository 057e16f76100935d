using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using Reactive.Streams.Analyzers.Rules;

namespace Reactive.Streams.Analyzers.CodeFixes.Fixes;

/// <summary>
/// RXS0006: adds one arm per missing variant, after the existing ones and indented like them. A switch expression
/// arm throws <c>NotImplementedException</c> (as the IDE's own "add missing cases" does: an expression arm needs a value
/// the fix cannot invent); a switch statement section is <c>case Variant: break;</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddMissingUnionArmsCodeFix))]
[Shared]
public sealed class AddMissingUnionArmsCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.NonExhaustiveUnionSwitch);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
            if (!diagnostic.Properties.TryGetValue(NonExhaustiveUnionSwitchAnalyzer.MissingVariantsProperty, out var names) || string.IsNullOrEmpty(names))
            {
                continue;
            }

            var missing = names!.Split(NonExhaustiveUnionSwitchAnalyzer.VariantSeparator);
            var node = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent;
            if (node is SwitchExpressionSyntax or SwitchStatementSyntax)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Add the missing arms (" + string.Join(", ", missing) + ")",
                        ct => AddArmsAsync(context.Document, node, missing, ct),
                        equivalenceKey: nameof(AddMissingUnionArmsCodeFix)),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> AddArmsAsync(Document document, SyntaxNode switchNode, string[] missing, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var governing = switchNode is SwitchExpressionSyntax e ? e.GoverningExpression : ((SwitchStatementSyntax)switchNode).Expression;
        if (root is null || model?.GetTypeInfo(governing, cancellationToken).Type is not INamedTypeSymbol union)
        {
            return document;
        }

        var variants = missing
            .Select(name => union.GetTypeMembers(name).FirstOrDefault())
            .Where(v => v is not null)
            // Parsed as an expression, as the parser reads `case Lease.Revoked:` and `Lease.Revoked =>`.
            .Select(v => SyntaxFactory.ParseExpression(v!.ToMinimalDisplayString(model, switchNode.SpanStart)))
            .ToList();

        var updated = switchNode is SwitchExpressionSyntax expression
            ? AddExpressionArms(expression, variants)
            : AddStatementSections((SwitchStatementSyntax)switchNode, variants);
        return document.WithSyntaxRoot(root.ReplaceNode(switchNode, updated));
    }

    private static SyntaxNode AddExpressionArms(SwitchExpressionSyntax expression, List<ExpressionSyntax> variants)
    {
        var arms = expression.Arms;
        var indentation = arms.Count > 0
            ? Indentation(arms[arms.Count - 1].GetLeadingTrivia())
            : LineIndentation(expression.OpenBraceToken).Add(SyntaxFactory.Whitespace("    "));
        var newline = Edits.NewLine(expression);
        var nodes = new List<SwitchExpressionArmSyntax>(arms);
        var separators = new List<SyntaxToken>(arms.GetSeparators());
        if (separators.Count < nodes.Count)
        {
            // The last existing arm had no trailing comma; it gets one, and its line break moves after it.
            var last = nodes[nodes.Count - 1];
            nodes[nodes.Count - 1] = last.WithTrailingTrivia();
            var trailing = last.GetTrailingTrivia();
            separators.Add(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(
                trailing.Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) ? trailing : trailing.Add(newline)));
        }

        foreach (var variant in variants)
        {
            var arm = SyntaxFactory.SwitchExpressionArm(
                    SyntaxFactory.ConstantPattern(variant),
                    SyntaxFactory.ThrowExpression(SyntaxFactory.ObjectCreationExpression(
                        SyntaxFactory.ParseTypeName("global::System.NotImplementedException").WithAdditionalAnnotations(Simplifier.Annotation),
                        SyntaxFactory.ArgumentList(),
                        null)))
                .NormalizeWhitespace()
                .WithLeadingTrivia(indentation);
            nodes.Add(arm);
            separators.Add(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(newline));
        }

        return expression.WithArms(SyntaxFactory.SeparatedList(nodes, separators));
    }

    private static SyntaxNode AddStatementSections(SwitchStatementSyntax statement, List<ExpressionSyntax> variants)
    {
        var sections = statement.Sections;
        var labelIndentation = sections.Count > 0
            ? Indentation(sections[sections.Count - 1].GetLeadingTrivia())
            : LineIndentation(statement.OpenBraceToken).Add(SyntaxFactory.Whitespace("    "));
        var bodyIndentation = sections.Count > 0 && sections[sections.Count - 1].Statements.Count > 0
            ? Indentation(sections[sections.Count - 1].Statements[0].GetLeadingTrivia())
            : labelIndentation.Add(SyntaxFactory.Whitespace("    "));
        var newline = Edits.NewLine(statement);
        var added = variants.Select(variant => SyntaxFactory.SwitchSection(
            SyntaxFactory.SingletonList<SwitchLabelSyntax>(SyntaxFactory.CaseSwitchLabel(
                SyntaxFactory.Token(SyntaxKind.CaseKeyword).WithLeadingTrivia(labelIndentation).WithTrailingTrivia(SyntaxFactory.Space),
                variant,
                SyntaxFactory.Token(SyntaxKind.ColonToken).WithTrailingTrivia(newline))),
            SyntaxFactory.SingletonList<StatementSyntax>(SyntaxFactory.BreakStatement().WithLeadingTrivia(bodyIndentation).WithTrailingTrivia(newline))));
        return statement.WithSections(sections.AddRange(added));
    }

    // The indentation of the line the token stands on: an empty switch's arms go one level deeper than its brace's line
    // (the governing expression of `return e switch` has no indentation of its own).
    private static SyntaxTriviaList LineIndentation(SyntaxToken token)
    {
        var text = token.SyntaxTree?.GetText();
        if (text is null)
        {
            return SyntaxTriviaList.Empty;
        }

        var line = text.Lines.GetLineFromPosition(token.SpanStart);
        var end = line.Start;
        while (end < line.End && text[end] is ' ' or '\t')
        {
            end++;
        }

        return end == line.Start ? SyntaxTriviaList.Empty : SyntaxFactory.TriviaList(SyntaxFactory.Whitespace(text.ToString(Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(line.Start, end))));
    }

    private static SyntaxTriviaList Indentation(SyntaxTriviaList leading)
    {
        var whitespace = leading.LastOrDefault(t => t.IsKind(SyntaxKind.WhitespaceTrivia));
        return whitespace == default ? SyntaxTriviaList.Empty : SyntaxFactory.TriviaList(whitespace);
    }
}
