using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Reactive.Streams.Analyzers.CodeFixes.Fixes;

/// <summary>
/// RXS0007: adds <c>[JsonConverter(typeof(EventUnionConverter&lt;Order&gt;))]</c> after the attributes of the union's
/// declaration that carries <c>[EventUnion]</c> (the diagnostic's additional location, usually another document than the
/// context's), with the usings it needs. Offered from C# 11, where the generator implements <c>IEventUnion&lt;T&gt;</c>.
/// The fix-all adds the attribute once per union, however many contexts or attributes reach it.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DeclareUnionConverterCodeFix))]
[Shared]
public sealed class DeclareUnionConverterCodeFix : CodeFixProvider
{
    private const string SerializationNamespace = "System.Text.Json.Serialization";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.UnionConverterHiddenFromJsonContext);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => FixAll.Instance;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            var target = await TargetAsync(context.Document.Project.Solution, diagnostic, context.CancellationToken).ConfigureAwait(false);
            if (target is not { } found)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Declare [JsonConverter(typeof(EventUnionConverter<" + found.Declaration.Identifier.Text + ">))] on the union",
                    ct => ApplyAsync(context.Document.Project.Solution, new[] { found }, ct),
                    equivalenceKey: nameof(DeclareUnionConverterCodeFix)),
                diagnostic);
        }
    }

    // The union's declaration the diagnostic points at, when the fix applies there (C# 11 or later).
    private static async Task<(DocumentId Document, TypeDeclarationSyntax Declaration)?> TargetAsync(Solution solution, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (diagnostic.AdditionalLocations.Count == 0 || diagnostic.AdditionalLocations[0] is not { SourceTree: { } tree } location
            || tree.Options is not CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp11 }
            || solution.GetDocument(tree) is not { } document)
        {
            return null;
        }

        var root = await tree.GetRootAsync(cancellationToken).ConfigureAwait(false);
        if (root.FindToken(location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } declaration)
        {
            return null;
        }

        // A [JsonConverter] on another part of the union (naming the generated converter, or the rule would not report):
        // the fix replaces one on the declaration it edits, and one elsewhere would make the added one a duplicate (CS0579).
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (model?.GetDeclaredSymbol(declaration, cancellationToken) is INamedTypeSymbol union
            && union.GetAttributes().Any(a => a.AttributeClass is { Name: "JsonConverterAttribute" }
                && a.ApplicationSyntaxReference is { } reference
                && (reference.SyntaxTree != tree || !declaration.AttributeLists.Any(l => l.Span.Contains(reference.Span)))))
        {
            return null;
        }

        return (document.Id, declaration);
    }

    private static async Task<Solution> ApplyAsync(Solution solution, IEnumerable<(DocumentId Document, TypeDeclarationSyntax Declaration)> targets, CancellationToken cancellationToken)
    {
        foreach (var group in targets.GroupBy(static t => t.Document))
        {
            var document = solution.GetDocument(group.Key);
            var root = document is null ? null : await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (document is null || root is null)
            {
                continue;
            }

            // A global using elsewhere in the project already gives the namespace: another using would be redundant
            // (IDE0005, a build error where that rule is a warning).
            var compilation = await document.Project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
            var declarations = group.Select(static t => t.Declaration).Distinct().ToList();
            var annotation = new SyntaxAnnotation();
            var newRoot = root.ReplaceNodes(declarations, (original, _) => AddAttribute(original).WithAdditionalAnnotations(annotation));
            foreach (var ns in new[] { SerializationNamespace, Edits.LibraryNamespace })
            {
                newRoot = Edits.EnsureUsing(newRoot, newRoot.GetAnnotatedNodes(annotation).First(), ns, compilation);
            }

            solution = solution.WithDocumentSyntaxRoot(group.Key, newRoot);
        }

        return solution;
    }

    // [JsonConverter(typeof(EventUnionConverter<Name>))] after the last attribute list, on its own line when the lists are;
    // a [JsonConverter] already there (naming the generated converter) gets the new argument instead.
    private static TypeDeclarationSyntax AddAttribute(TypeDeclarationSyntax declaration)
    {
        var arguments = SyntaxFactory.ParseAttributeArgumentList("(typeof(EventUnionConverter<" + declaration.Identifier.Text + ">))");
        var existing = declaration.AttributeLists.SelectMany(static l => l.Attributes).FirstOrDefault(static a => IsJsonConverter(a.Name));
        if (existing is not null)
        {
            return declaration.ReplaceNode(existing, existing.WithArgumentList(
                existing.ArgumentList is { } old ? arguments!.WithTriviaFrom(old) : arguments));
        }

        var attribute = SyntaxFactory.Attribute(SyntaxFactory.ParseName("JsonConverter"), arguments);
        var list = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute));
        if (declaration.AttributeLists.Count == 0)
        {
            var indentation = declaration.GetLeadingTrivia().Where(static t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault();
            var newline = Edits.NewLine(declaration.SyntaxTree.GetRoot());
            return declaration.WithAttributeLists(SyntaxFactory.SingletonList(list
                .WithLeadingTrivia(declaration.GetLeadingTrivia())
                .WithTrailingTrivia(newline)))
                .WithModifiers(declaration.Modifiers.Count > 0
                    ? declaration.Modifiers.Replace(declaration.Modifiers[0], declaration.Modifiers[0].WithLeadingTrivia(indentation))
                    : declaration.Modifiers);
        }

        // The new list ends its line as the last one does, without a copy of a comment that follows the last one.
        var last = declaration.AttributeLists[declaration.AttributeLists.Count - 1];
        var lineBreak = last.GetTrailingTrivia().FirstOrDefault(static t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        var ownLine = lineBreak != default;
        var lastIndentation = last.GetLeadingTrivia().Where(static t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault();
        list = list
            .WithLeadingTrivia(ownLine && lastIndentation != default ? SyntaxFactory.TriviaList(lastIndentation) : SyntaxFactory.TriviaList())
            .WithTrailingTrivia(ownLine ? lineBreak : SyntaxFactory.Space);
        return declaration.WithAttributeLists(declaration.AttributeLists.Add(list));
    }

    private static bool IsJsonConverter(NameSyntax name)
    {
        var simple = name switch
        {
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            SimpleNameSyntax plain => plain.Identifier.ValueText,
            _ => string.Empty,
        };
        return simple is "JsonConverter" or "JsonConverterAttribute";
    }

    /// <summary>Adds the attribute once per union for every diagnostic in scope, in one solution change.</summary>
    private sealed class FixAll : FixAllProvider
    {
        internal static readonly FixAll Instance = new();

        public override IEnumerable<FixAllScope> GetSupportedFixAllScopes()
            => new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

        public override Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
            => Task.FromResult<CodeAction?>(CodeAction.Create(
                "Declare [JsonConverter(typeof(EventUnionConverter<...>))] on every union",
                ct => FixAllAsync(fixAllContext, ct),
                equivalenceKey: fixAllContext.CodeActionEquivalenceKey));

        private static async Task<Solution> FixAllAsync(FixAllContext context, CancellationToken cancellationToken)
        {
            var solution = context.Solution;
            var documents = context.Scope switch
            {
                FixAllScope.Document when context.Document is not null => new[] { context.Document },
                FixAllScope.Project => context.Project.Documents.ToArray(),
                _ => solution.Projects.SelectMany(static p => p.Documents).ToArray(),
            };

            var targets = new Dictionary<(DocumentId, int), (DocumentId Document, TypeDeclarationSyntax Declaration)>();
            foreach (var document in documents)
            {
                foreach (var diagnostic in await context.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false))
                {
                    if (await TargetAsync(solution, diagnostic, cancellationToken).ConfigureAwait(false) is { } target)
                    {
                        targets[(target.Document, target.Declaration.SpanStart)] = target;
                    }
                }
            }

            return await ApplyAsync(solution, targets.Values, cancellationToken).ConfigureAwait(false);
        }
    }
}
