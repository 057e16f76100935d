using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using Reactive.Streams.Analyzers.Infrastructure;
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
        // The union, or the union a type parameter is constrained to (`where T : Lease`).
        if (root is null
            || model is null
            || KnownTypes.TryCreate(model.Compilation) is not { EventUnionAttribute: { } eventUnion }
            || NonExhaustiveUnionSwitchAnalyzer.UnionOf(model.GetTypeInfo(governing, cancellationToken).Type, eventUnion) is not { } union)
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

    // The added tokens carry explicit trivia only (no elastic trivia), so that the formatter leaves the user's lines as
    // they are: their indentation (tabs or spaces) and line breaks (CRLF or LF) are copied from the switch and its file.
    private static SyntaxNode AddExpressionArms(SwitchExpressionSyntax expression, List<ExpressionSyntax> variants)
    {
        var arms = expression.Arms;
        var braceIndentation = LineIndentation(expression.OpenBraceToken);
        var indentation = arms.Count > 0 && IsFirstOnLine(arms[arms.Count - 1].GetFirstToken())
            ? Indentation(arms[arms.Count - 1].GetLeadingTrivia())
            : braceIndentation.AddRange(IndentationUnit(braceIndentation));
        var newline = Edits.NewLine(expression.SyntaxTree.GetRoot());
        var nodes = new List<SwitchExpressionArmSyntax>(arms);
        var separators = new List<SyntaxToken>(arms.GetSeparators());
        var openBrace = expression.OpenBraceToken;
        if (nodes.Count == 0)
        {
            openBrace = EndLine(openBrace, newline);
        }
        else if (separators.Count < nodes.Count)
        {
            // The last existing arm had no trailing comma; it gets one, and its line break moves after it.
            var last = nodes[nodes.Count - 1];
            nodes[nodes.Count - 1] = last.WithTrailingTrivia();
            separators.Add(EndLine(Token(SyntaxKind.CommaToken, last.GetTrailingTrivia()), newline));
        }
        else
        {
            separators[separators.Count - 1] = EndLine(separators[separators.Count - 1], newline);
        }

        var (moved, closeBrace) = SplitAfterDirectives(expression.CloseBraceToken, braceIndentation);
        foreach (var variant in variants)
        {
            var arm = SyntaxFactory.SwitchExpressionArm(
                    SyntaxFactory.ConstantPattern(variant),
                    SyntaxFactory.ThrowExpression(SyntaxFactory.ObjectCreationExpression(
                        SyntaxFactory.ParseTypeName("global::System.NotImplementedException").WithAdditionalAnnotations(Simplifier.Annotation),
                        SyntaxFactory.ArgumentList(),
                        null)))
                .NormalizeWhitespace()
                .WithLeadingTrivia(moved.AddRange(indentation));
            moved = SyntaxTriviaList.Empty;
            nodes.Add(arm);
            separators.Add(Token(SyntaxKind.CommaToken, SyntaxFactory.TriviaList(newline)));
        }

        return expression
            .WithOpenBraceToken(openBrace)
            .WithArms(SyntaxFactory.SeparatedList(nodes, separators))
            .WithCloseBraceToken(closeBrace);
    }

    private static SyntaxNode AddStatementSections(SwitchStatementSyntax statement, List<ExpressionSyntax> variants)
    {
        var sections = statement.Sections;
        var braceIndentation = LineIndentation(statement.OpenBraceToken);
        var labelIndentation = sections.Count > 0 && IsFirstOnLine(sections[sections.Count - 1].GetFirstToken())
            ? Indentation(sections[sections.Count - 1].GetLeadingTrivia())
            : braceIndentation.AddRange(IndentationUnit(braceIndentation));
        var bodyIndentation = sections.Count > 0 && sections[sections.Count - 1].Statements.Count > 0
            && IsFirstOnLine(sections[sections.Count - 1].Statements[0].GetFirstToken())
            ? Indentation(sections[sections.Count - 1].Statements[0].GetLeadingTrivia())
            : labelIndentation.AddRange(IndentationUnit(labelIndentation));
        var newline = Edits.NewLine(statement.SyntaxTree.GetRoot());
        var openBrace = statement.OpenBraceToken;
        if (sections.Count == 0)
        {
            openBrace = EndLine(openBrace, newline);
        }
        else
        {
            // The new sections start on a line of their own, also after a one-line switch.
            var lastToken = sections[sections.Count - 1].GetLastToken();
            sections = sections.Replace(
                sections[sections.Count - 1],
                sections[sections.Count - 1].ReplaceToken(lastToken, EndLine(lastToken, newline)));
        }

        var (moved, closeBrace) = SplitAfterDirectives(statement.CloseBraceToken, braceIndentation);
        var added = new List<SwitchSectionSyntax>();
        foreach (var variant in variants)
        {
            added.Add(SyntaxFactory.SwitchSection(
                SyntaxFactory.SingletonList<SwitchLabelSyntax>(SyntaxFactory.CaseSwitchLabel(
                    SyntaxFactory.Token(moved.AddRange(labelIndentation), SyntaxKind.CaseKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space)),
                    variant,
                    Token(SyntaxKind.ColonToken, SyntaxFactory.TriviaList(newline)))),
                SyntaxFactory.SingletonList<StatementSyntax>(SyntaxFactory.BreakStatement(
                    SyntaxFactory.Token(bodyIndentation, SyntaxKind.BreakKeyword, SyntaxTriviaList.Empty),
                    Token(SyntaxKind.SemicolonToken, SyntaxFactory.TriviaList(newline))))));
            moved = SyntaxTriviaList.Empty;
        }

        return statement
            .WithOpenBraceToken(openBrace)
            .WithSections(sections.AddRange(added))
            .WithCloseBraceToken(closeBrace);
    }

    private static SyntaxToken Token(SyntaxKind kind, SyntaxTriviaList trailing) =>
        SyntaxFactory.Token(SyntaxTriviaList.Empty, kind, trailing);

    // The token with its line ended: trailing whitespace dropped and a line break added, unless it has one already.
    private static SyntaxToken EndLine(SyntaxToken token, SyntaxTrivia newline)
    {
        var trailing = token.TrailingTrivia;
        if (trailing.Any(static t => t.IsKind(SyntaxKind.EndOfLineTrivia)))
        {
            return token;
        }

        while (trailing.Count > 0 && trailing[trailing.Count - 1].IsKind(SyntaxKind.WhitespaceTrivia))
        {
            trailing = trailing.RemoveAt(trailing.Count - 1);
        }

        return token.WithTrailingTrivia(trailing.Add(newline));
    }

    /// <summary>
    /// Splits the closing brace's leading trivia after its last preprocessor directive: what comes before (an
    /// <c>#endif</c> that closes a region of arms, say) goes before the added arms, so that they land after the region
    /// and not inside it. A brace that shares its line with the last arm goes on a line of its own, indented like the
    /// line of the opening brace.
    /// </summary>
    private static (SyntaxTriviaList Moved, SyntaxToken CloseBrace) SplitAfterDirectives(SyntaxToken closeBrace, SyntaxTriviaList braceIndentation)
    {
        if (!IsFirstOnLine(closeBrace))
        {
            return (SyntaxTriviaList.Empty, closeBrace.WithLeadingTrivia(braceIndentation));
        }

        var leading = closeBrace.LeadingTrivia;
        var lastDirective = -1;
        for (var i = 0; i < leading.Count; i++)
        {
            if (leading[i].IsDirective)
            {
                lastDirective = i;
            }
        }

        if (lastDirective < 0)
        {
            return (SyntaxTriviaList.Empty, closeBrace);
        }

        return (
            SyntaxFactory.TriviaList(leading.Take(lastDirective + 1)),
            closeBrace.WithLeadingTrivia(leading.Skip(lastDirective + 1)));
    }

    // Whether only whitespace stands before the token on its line.
    private static bool IsFirstOnLine(SyntaxToken token)
    {
        var text = token.SyntaxTree?.GetText();
        if (text is null)
        {
            return true;
        }

        var line = text.Lines.GetLineFromPosition(token.SpanStart);
        for (var i = line.Start; i < token.SpanStart; i++)
        {
            if (text[i] is not (' ' or '\t'))
            {
                return false;
            }
        }

        return true;
    }

    // One level of indentation in the style of the given one: a tab where the line is indented with tabs.
    private static SyntaxTriviaList IndentationUnit(SyntaxTriviaList indentation) =>
        SyntaxFactory.TriviaList(SyntaxFactory.Whitespace(indentation.ToFullString().Contains('\t') ? "\t" : "    "));

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
