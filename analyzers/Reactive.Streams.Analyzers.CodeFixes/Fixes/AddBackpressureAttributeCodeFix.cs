using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Reactive.Streams.Analyzers.CodeFixes.Fixes;

/// <summary>
/// RXS0001: adds <c>[Backpressure(BackpressurePolicy.X)]</c>, one fix per policy. The DegradeQuality fix also adds an
/// identity degrader <c>private static U Degrade(U item) => item;</c> (pure, so RXS0003/RXS0004 stay quiet) for the
/// user to replace with a real one.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddBackpressureAttributeCodeFix))]
[Shared]
public sealed class AddBackpressureAttributeCodeFix : CodeFixProvider
{
    private const string DegraderName = "Degrade";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.MissingBackpressureAttribute);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => MergingFixAll.Provider;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindToken(context.Span.Start).Parent?.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } declaration)
        {
            return;
        }

        // The attribute and the policy by their simple names, or with global:: where those would bind to another type.
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (model is null
            || LibraryNames.At(model, declaration.SpanStart, context.CancellationToken, "Reactive.Streams.BackpressureAttribute", "Reactive.Streams.BackpressurePolicy") is not { } names)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            foreach (var policy in Edits.Policies)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Add [Backpressure(BackpressurePolicy." + policy + ")]",
                        ct => AddAsync(context.Document, declaration, policy, names, ct),
                        equivalenceKey: nameof(AddBackpressureAttributeCodeFix) + policy),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> AddAsync(Document document, TypeDeclarationSyntax declaration, string policy, LibraryNames names, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var arguments = "(" + names.Name("BackpressurePolicy") + "." + policy;
        MemberDeclarationSyntax? degrader = null;
        if (policy == "DegradeQuality")
        {
            var item = UnionType(model, declaration, cancellationToken);
            var name = FreeDegraderName(model.GetDeclaredSymbol(declaration, cancellationToken));
            arguments += ", Degrader = nameof(" + name + ")";
            degrader = SyntaxFactory.ParseMemberDeclaration("private static " + item + " " + name + "(" + item + " item) => item;");
        }

        var newline = Edits.NewLine(root);
        var attribute = SyntaxFactory.Attribute(SyntaxFactory.ParseName(names.Name("Backpressure")), SyntaxFactory.ParseAttributeArgumentList(arguments + ")"));

        // The new attribute list goes first, taking over the declaration's leading trivia (indentation, doc comment).
        var leading = declaration.AttributeLists.Count > 0
            ? declaration.AttributeLists[0].GetLeadingTrivia()
            : declaration.GetLeadingTrivia();
        var list = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute))
            .WithLeadingTrivia(leading)
            .WithTrailingTrivia(newline);
        var indentation = leading.Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault();
        TypeDeclarationSyntax updated;
        if (declaration.AttributeLists.Count > 0)
        {
            var first = declaration.AttributeLists[0].WithLeadingTrivia(indentation == default ? SyntaxTriviaList.Empty : SyntaxFactory.TriviaList(indentation));
            updated = declaration.WithAttributeLists(declaration.AttributeLists.Replace(declaration.AttributeLists[0], first).Insert(0, list));
        }
        else
        {
            updated = declaration.WithoutLeadingTrivia().WithAttributeLists(SyntaxFactory.SingletonList(list));
            updated = updated.WithModifiers(updated.Modifiers.Count > 0
                ? updated.Modifiers.Replace(updated.Modifiers[0], updated.Modifiers[0].WithLeadingTrivia(indentation))
                : updated.Modifiers);
        }

        var bodiless = declaration.OpenBraceToken.IsKind(SyntaxKind.None) && declaration.SemicolonToken.IsKind(SyntaxKind.SemicolonToken);
        if (degrader is not null && bodiless)
        {
            // A body-less part (`partial class Sink;`, `partial record Sink(int X);`) gets a body for the degrader.
            updated = WithBody(updated, indentation, newline);
        }

        if (degrader is not null && bodiless)
        {
            var memberIndentation = SyntaxFactory.Whitespace((indentation == default ? string.Empty : indentation.ToString()) + "    ");
            updated = updated.AddMembers(degrader.WithLeadingTrivia(memberIndentation).WithTrailingTrivia(newline));
        }
        else if (degrader is not null && !declaration.OpenBraceToken.TrailingTrivia.Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia)))
        {
            // A body written on one line stays on one line.
            updated = updated.AddMembers(degrader.WithTrailingTrivia(SyntaxFactory.Space));
        }
        else if (degrader is not null)
        {
            // Indented like the other members (or one level in), after a blank line.
            var memberIndentation = declaration.Members.Count > 0
                ? declaration.Members[0].GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault()
                : SyntaxFactory.Whitespace((indentation == default ? string.Empty : indentation.ToString()) + "    ");
            var leadingTrivia = declaration.Members.Count > 0 ? SyntaxFactory.TriviaList(newline) : SyntaxFactory.TriviaList();
            if (memberIndentation != default)
            {
                leadingTrivia = leadingTrivia.Add(memberIndentation);
            }

            updated = updated.AddMembers(degrader.WithLeadingTrivia(leadingTrivia).WithTrailingTrivia(newline));
        }

        var newRoot = root.ReplaceNode(declaration, updated);
        var annotated = newRoot.FindNode(new Microsoft.CodeAnalysis.Text.TextSpan(declaration.SpanStart, 0));
        return document.WithSyntaxRoot(names.NeedsUsing ? Edits.EnsureLibraryUsing(newRoot, annotated, model.Compilation) : newRoot);
    }

    // `partial class Sink;` becomes `partial class Sink` and an empty body on the lines below, indented like the
    // declaration; what followed the semicolon (a comment) follows the closing brace.
    private static TypeDeclarationSyntax WithBody(TypeDeclarationSyntax declaration, SyntaxTrivia indentation, SyntaxTrivia newline)
    {
        var semicolon = declaration.SemicolonToken;
        var last = semicolon.GetPreviousToken();
        var indent = indentation == default ? SyntaxFactory.TriviaList() : SyntaxFactory.TriviaList(indentation);
        var trailing = last.TrailingTrivia.Reverse().SkipWhile(static t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse();
        return declaration
            .ReplaceToken(last, last.WithTrailingTrivia(SyntaxFactory.TriviaList(trailing).Add(newline)))
            .WithSemicolonToken(default)
            .WithOpenBraceToken(SyntaxFactory.Token(indent, SyntaxKind.OpenBraceToken, SyntaxFactory.TriviaList(newline)))
            .WithCloseBraceToken(SyntaxFactory.Token(indent, SyntaxKind.CloseBraceToken, semicolon.TrailingTrivia));
    }

    // "Degrade", or "Degrade2", "Degrade3"... when the sink (any of its parts) already has a member of that name, or
    // inherits one it can see (a new member would hide it: CS0108).
    private static string FreeDegraderName(INamedTypeSymbol? sink)
    {
        var name = DegraderName;
        for (var i = 2; sink is not null && Taken(sink, name); i++)
        {
            name = DegraderName + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }

    private static bool Taken(INamedTypeSymbol sink, string name)
    {
        if (sink.Name == name || sink.MemberNames.Contains(name))
        {
            return true;
        }

        for (var type = sink.BaseType; type is not null; type = type.BaseType)
        {
            if (type.GetMembers(name).Any(static m => m.DeclaredAccessibility != Accessibility.Private))
            {
                return true;
            }
        }

        return false;
    }

    // The union named by [StreamSink(typeof(U))], written as the user can refer to it.
    private static string UnionType(SemanticModel model, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        if (model.GetDeclaredSymbol(declaration, cancellationToken) is { } type)
        {
            foreach (var attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass?.Name == "StreamSinkAttribute"
                    && attribute.ConstructorArguments.Length == 1
                    && attribute.ConstructorArguments[0].Value is ITypeSymbol union)
                {
                    return union.ToMinimalDisplayString(model, declaration.SpanStart);
                }
            }
        }

        return "object";
    }
}
