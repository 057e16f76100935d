using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Reactive.Streams.Generators;

namespace Reactive.Streams.Analyzers.Tests.Snippets;

/// <summary>
/// The code fixes on the rule pages' own bad examples (docs/rules/RXS0001-RXS0005), as a user meets them: every fix
/// offered for a diagnostic of the page's rule, applied alone, leaves code that compiles (with the generators running)
/// and that gets that diagnostic once fewer and no diagnostic of any rule it did not have before. The fixes' own tests
/// write their input; these run them on the code the pages show.
/// </summary>
public sealed class RulePageFixTests
{
    private static readonly ImmutableArray<DiagnosticAnalyzer> s_analyzers = typeof(DiagnosticIds).Assembly.GetTypes()
        .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    private static readonly ImmutableArray<CodeFixProvider> s_fixes = typeof(UnboundedBoundaryCodeFix).Assembly.GetTypes()
        .Where(t => typeof(CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract)
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    private static readonly string[] s_rules = ["RXS0001", "RXS0002", "RXS0003", "RXS0004", "RXS0005"];

    public static TheoryData<string> BadExamples()
    {
        var data = new TheoryData<string>();
        foreach (var snippet in BadSnippets())
        {
            data.Add(snippet.Key);
        }

        return data;
    }

    [Fact]
    public async Task The_pages_that_say_they_have_a_code_fix_have_one_for_their_bad_example()
    {
        foreach (var id in new[] { "RXS0001", "RXS0002" })
        {
            var offered = 0;
            foreach (var snippet in BadSnippets().Where(s => s.File == $"docs/rules/{id}.md"))
            {
                var (project, diagnostics) = await OpenAsync(snippet);
                foreach (var diagnostic in diagnostics.Where(d => d.Id == id))
                {
                    offered += (await ActionsAsync(project, diagnostic)).Count;
                }
            }

            Assert.True(offered > 0, $"docs/rules/{id}.md says the rule has a code fix, and its bad example gets none");
        }
    }

    [Theory]
    [MemberData(nameof(BadExamples))]
    public async Task Every_fix_offered_on_the_bad_example_compiles_and_adds_no_diagnostic(string key)
    {
        var snippet = BadSnippets().Single(s => s.Key == key);
        var id = Path.GetFileNameWithoutExtension(snippet.File);
        var (project, diagnostics) = await OpenAsync(snippet);
        var before = Count(await AnalyzeAsync(project));
        foreach (var diagnostic in diagnostics.Where(d => d.Id == id))
        {
            foreach (var action in await ActionsAsync(project, diagnostic))
            {
                var what = $"{key}: '{action.Title}' on line {diagnostic.Location.GetMappedLineSpan().StartLinePosition.Line + 1}";
                var fixedProject = (await action.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single()
                    .ChangedSolution.GetProject(project.Id)!;
                var (errors, after) = await CompileAsync(fixedProject);
                Assert.True(errors.Count == 0, what + " leaves errors: " + string.Join("; ", errors));
                var counts = Count(after);
                Assert.True(counts.GetValueOrDefault(id) < before[id], what + " leaves the diagnostic it fixes");
                var added = counts.Where(c => c.Value > before.GetValueOrDefault(c.Key)).Select(c => c.Key).ToList();
                Assert.True(added.Count == 0, what + " adds " + string.Join(", ", added));
            }
        }
    }

    // What `dotnet format analyzers --diagnostics ID` does with the page: the first fix of the first diagnostic gives the
    // equivalence key, and one fix-all applies it to every diagnostic of the rule. The result compiles, has none of
    // them left that a fix was offered for, and gets no diagnostic it did not have.
    [Theory]
    [MemberData(nameof(BadExamples))]
    public async Task Fix_all_with_the_first_fix_on_the_bad_example_compiles_and_adds_no_diagnostic(string key)
    {
        var snippet = BadSnippets().Single(s => s.Key == key);
        var id = Path.GetFileNameWithoutExtension(snippet.File);
        var (project, diagnostics) = await OpenAsync(snippet);
        var ofRule = diagnostics.Where(d => d.Id == id).OrderBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
        var fixer = s_fixes.FirstOrDefault(f => f.FixableDiagnosticIds.Contains(id));
        if (fixer is null || ofRule.IsEmpty || (await ActionsAsync(project, ofRule[0])).FirstOrDefault() is not { } first)
        {
            return;
        }

        var fixable = 0;
        foreach (var diagnostic in ofRule)
        {
            fixable += (await ActionsAsync(project, diagnostic)).Any(a => a.EquivalenceKey == first.EquivalenceKey) ? 1 : 0;
        }

        var before = Count(await AnalyzeAsync(project));
        var document = project.GetDocument(ofRule[0].Location.SourceTree)!;
        var fixAll = await fixer.GetFixAllProvider()!.GetFixAsync(new FixAllContext(
            document, fixer, FixAllScope.Project, first.EquivalenceKey!, [id], new Listed(ofRule), CancellationToken.None));
        Assert.NotNull(fixAll);
        var fixedProject = (await fixAll.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single()
            .ChangedSolution.GetProject(project.Id)!;
        var (errors, after) = await CompileAsync(fixedProject);
        Assert.True(errors.Count == 0, $"{key}: fix-all '{first.Title}' leaves errors: " + string.Join("; ", errors));
        var counts = Count(after);
        Assert.True(counts.GetValueOrDefault(id) <= before[id] - fixable, $"{key}: fix-all '{first.Title}' leaves {counts.GetValueOrDefault(id)} of {before[id]} {id}, {fixable} of them fixable");
        var added = counts.Where(c => c.Key != id && c.Value > before.GetValueOrDefault(c.Key)).Select(c => c.Key).ToList();
        Assert.True(added.Count == 0, $"{key}: fix-all '{first.Title}' adds " + string.Join(", ", added));
    }

    private static IEnumerable<MarkdownSnippet> BadSnippets()
    {
        foreach (var id in s_rules)
        {
            var page = $"docs/rules/{id}.md";
            var lines = File.ReadAllLines(Path.Combine(MarkdownSnippets.Root, page));
            foreach (var snippet in MarkdownSnippets.Read(page))
            {
                if (lines.Take(snippet.FirstLine - 2).LastOrDefault(l => l.StartsWith("## ", StringComparison.Ordinal)) == "## Bad")
                {
                    yield return snippet;
                }
            }
        }
    }

    // The snippet as the documents of a project (the code fixes work on documents), and the analyzers' diagnostics on it.
    private static async Task<(Project Project, ImmutableArray<Diagnostic> Diagnostics)> OpenAsync(MarkdownSnippet snippet)
    {
        var trees = SnippetCompiler.SyntaxTrees(snippet);
        var isProgram = trees.Any(t => t.GetCompilationUnitRoot().Members.Any(m => m is Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax));
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Default,
            "Snippet",
            "Snippet",
            LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(isProgram ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: trees[0].Options,
            metadataReferences: SnippetCompiler.References));
        foreach (var tree in trees)
        {
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), Path.GetFileName(tree.FilePath), (await tree.GetTextAsync()).ToString(), filePath: tree.FilePath);
        }

        var project = solution.GetProject(projectId)!;
        var compilation = (await project.GetCompilationAsync())!;
        return (project, await compilation.WithAnalyzers(s_analyzers).GetAnalyzerDiagnosticsAsync());
    }

    private static async Task<List<CodeAction>> ActionsAsync(Project project, Diagnostic diagnostic)
    {
        var document = project.GetDocument(diagnostic.Location.SourceTree)!;
        var actions = new List<CodeAction>();
        foreach (var fix in s_fixes.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
        {
            await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        }

        return actions;
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Project project) => (await CompileAsync(project)).Analyzer;

    // As a build sees the project: the event union and System.Text.Json generators run, then the analyzers.
    private static async Task<(IReadOnlyList<Diagnostic> Errors, ImmutableArray<Diagnostic> Analyzer)> CompileAsync(Project project)
    {
        var compilation = (await project.GetCompilationAsync())!;
        CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator(), SnippetCompiler.JsonSourceGenerator.Value], parseOptions: (CSharpParseOptions)project.ParseOptions!)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);
        var errors = generated.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        return (errors, await generated.WithAnalyzers(s_analyzers).GetAnalyzerDiagnosticsAsync());
    }

    private static Dictionary<string, int> Count(ImmutableArray<Diagnostic> diagnostics) =>
        diagnostics.Where(d => d.Id.StartsWith("RXS", StringComparison.Ordinal) || d.Id == "AD0001")
            .GroupBy(d => d.Id).ToDictionary(g => g.Key, g => g.Count());

    private sealed class Listed(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult(diagnostics.Where(d => d.Location.SourceTree?.FilePath == document.FilePath));

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);
    }
}
