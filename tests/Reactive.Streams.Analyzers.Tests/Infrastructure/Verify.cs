using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Reactive.Streams.Analyzers.Tests.Infrastructure;

/// <summary>Runs an analyzer (and optionally a code fix) over raw C# with <c>[|...|]</c>/<c>{|ID:...|}</c> markers.</summary>
internal static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    internal static DiagnosticResult Diagnostic(string id) => new DiagnosticResult(id, DiagnosticSeverity.Hidden).WithSeverity(Severity(id));

    /// <summary>The source compiles with no errors and the analyzer reports exactly <paramref name="expected"/>.</summary>
    internal static Task AnalyzerAsync(string source, params DiagnosticResult[] expected) =>
        AnalyzerAsync(source, withLibrary: true, editorConfig: null, expected);

    internal static async Task AnalyzerAsync(string source, bool withLibrary, string? editorConfig, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest { TestCode = source };
        Configure(test.TestState, withLibrary, editorConfig);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    /// <summary>Like <see cref="AnalyzerAsync(string, DiagnosticResult[])"/> but compiler errors are allowed (incomplete code).</summary>
    internal static async Task AnalyzerAllowingErrorsAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest { TestCode = source, CompilerDiagnostics = CompilerDiagnostics.None };
        Configure(test.TestState, withLibrary: true, editorConfig: null);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    /// <summary>Applies the code fix registered with <paramref name="equivalenceKey"/> and compares the whole output.</summary>
    internal static async Task CodeFixAsync<TCodeFix>(string source, string fixedSource, string? equivalenceKey = null, params DiagnosticResult[] expected)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new CodeFixTest<TCodeFix>
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = equivalenceKey,
        };
        Configure(test.TestState, withLibrary: true, editorConfig: null);
        Configure(test.FixedState, withLibrary: true, editorConfig: null);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    /// <summary>
    /// Applies the first fix diagnostic by diagnostic (<paramref name="diagnostics"/> times) to reach
    /// <paramref name="fixedSource"/>, and one fix-all in the document, the project and the solution to reach
    /// <paramref name="batchFixedSource"/> in one run: where a fix makes a later diagnostic disappear, the two differ.
    /// </summary>
    internal static async Task CodeFixAndFixAllAsync<TCodeFix>(string source, string fixedSource, string batchFixedSource, int diagnostics)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new CodeFixTest<TCodeFix>
        {
            TestCode = source,
            FixedCode = fixedSource,
            BatchFixedCode = batchFixedSource,
            CodeActionIndex = 0,
            NumberOfIncrementalIterations = diagnostics,
            NumberOfFixAllIterations = 1,
            NumberOfFixAllInDocumentIterations = 1,
            NumberOfFixAllInProjectIterations = 1,
        };
        Configure(test.TestState, withLibrary: true, editorConfig: null);
        Configure(test.FixedState, withLibrary: true, editorConfig: null);
        Configure(test.BatchFixedState, withLibrary: true, editorConfig: null);
        await test.RunAsync();
    }

    /// <summary>Like <see cref="CodeFixAsync{TCodeFix}"/> for a program with top-level statements (compiled as an executable).</summary>
    internal static async Task CodeFixProgramAsync<TCodeFix>(string source, string fixedSource)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new CodeFixTest<TCodeFix> { TestCode = source, FixedCode = fixedSource };
        test.TestState.OutputKind = OutputKind.ConsoleApplication;
        test.FixedState.OutputKind = OutputKind.ConsoleApplication;
        Configure(test.TestState, withLibrary: true, editorConfig: null);
        Configure(test.FixedState, withLibrary: true, editorConfig: null);
        await test.RunAsync();
    }

    /// <summary>
    /// What <c>dotnet format analyzers</c> does: takes the first fix of the first diagnostic and fixes all with its
    /// equivalence key, in the project and the solution, which must reach <paramref name="fixedSources"/>
    /// in one run. Applying the first fix diagnostic by diagnostic (<paramref name="diagnostics"/> times) must reach it too.
    /// </summary>
    internal static async Task FixAllInOneRunAsync<TCodeFix>(string[] sources, string[] fixedSources, int diagnostics)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new CodeFixTest<TCodeFix>
        {
            CodeActionIndex = 0,
            NumberOfIncrementalIterations = diagnostics,
            NumberOfFixAllIterations = 1,
            NumberOfFixAllInProjectIterations = 1,

            // A fix-all in one document leaves the others as they were; the project and solution runs are the ones checked.
            CodeFixTestBehaviors = CodeFixTestBehaviors.SkipFixAllInDocumentCheck,
        };
        for (var i = 0; i < sources.Length; i++)
        {
            test.TestState.Sources.Add(($"/0/Test{i}.cs", sources[i]));
            test.FixedState.Sources.Add(($"/0/Test{i}.cs", fixedSources[i]));
            test.BatchFixedState.Sources.Add(($"/0/Test{i}.cs", fixedSources[i]));
        }

        Configure(test.TestState, withLibrary: true, editorConfig: null);
        Configure(test.FixedState, withLibrary: true, editorConfig: null);
        Configure(test.BatchFixedState, withLibrary: true, editorConfig: null);
        await test.RunAsync();
    }

    /// <summary>
    /// Exactly what <c>dotnet format analyzers --diagnostics ID</c> does with the diagnostics it found: the first fix of the
    /// first diagnostic (in file and position order here) gives the equivalence key, <see langword="null"/> when that
    /// diagnostic has no fix, and one solution-wide fix-all runs with it. The unmarked <paramref name="sources"/> must
    /// become <paramref name="fixedSources"/>.
    /// </summary>
    internal static async Task DotnetFormatAsync<TCodeFix>(string[] sources, string[] fixedSources)
        where TCodeFix : CodeFixProvider, new()
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Default,
            "Test",
            "Test",
            LanguageNames.CSharp,
            compilationOptions: new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: new Microsoft.CodeAnalysis.CSharp.CSharpParseOptions(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest),
            metadataReferences: TestReferences.Runtime.AddRange(TestReferences.Library)));
        var documentIds = new DocumentId[sources.Length];
        for (var i = 0; i < sources.Length; i++)
        {
            documentIds[i] = DocumentId.CreateNewId(projectId);
            solution = solution.AddDocument(documentIds[i], $"Test{i}.cs", sources[i], filePath: $"/0/Test{i}.cs");
        }

        var project = solution.GetProject(projectId)!;
        var compilation = (await project.GetCompilationAsync())!;
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var diagnostics = (await compilation.WithAnalyzers([new TAnalyzer()]).GetAnalyzerDiagnosticsAsync())
            .OrderBy(d => d.Location.SourceTree!.FilePath, StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
        Assert.NotEmpty(diagnostics);

        var codeFix = new TCodeFix();
        var first = diagnostics[0];
        var document = project.GetDocument(first.Location.SourceTree)!;
        Microsoft.CodeAnalysis.CodeActions.CodeAction? action = null;
        await codeFix.RegisterCodeFixesAsync(new CodeFixContext(document, first, (a, _) => action ??= a, CancellationToken.None));
        var fixAll = await codeFix.GetFixAllProvider()!.GetFixAsync(new FixAllContext(
            document, codeFix, FixAllScope.Solution, action?.EquivalenceKey!, codeFix.FixableDiagnosticIds, new ListedDiagnostics(diagnostics), CancellationToken.None));
        Assert.NotNull(fixAll);
        var operations = await fixAll.GetOperationsAsync(CancellationToken.None);
        var fixedSolution = operations.OfType<Microsoft.CodeAnalysis.CodeActions.ApplyChangesOperation>().Single().ChangedSolution;
        for (var i = 0; i < sources.Length; i++)
        {
            Assert.Equal(fixedSources[i], (await fixedSolution.GetDocument(documentIds[i])!.GetTextAsync()).ToString());
        }
    }

    /// <summary>Like <see cref="AnalyzerAsync(string, DiagnosticResult[])"/>, with the event union and System.Text.Json generators running, as in a consumer's build.</summary>
    internal static async Task AnalyzerWithGeneratorAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest { TestCode = source, RunGenerator = true, TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck };
        Configure(test.TestState, withLibrary: true, editorConfig: null);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    /// <summary>
    /// Applies the first code fix to <paramref name="sources"/> (one file each, with markers) with the event union generator
    /// running, one diagnostic at a time and as a fix-all, and compares every file with <paramref name="fixedSources"/>.
    /// </summary>
    internal static async Task CodeFixWithGeneratorAsync<TCodeFix>(string[] sources, string[] fixedSources, params DiagnosticResult[] expected)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new CodeFixTest<TCodeFix> { RunGenerator = true, TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck, CodeActionIndex = 0 };
        for (var i = 0; i < sources.Length; i++)
        {
            test.TestState.Sources.Add(($"/0/Test{i}.cs", sources[i]));
            test.FixedState.Sources.Add(($"/0/Test{i}.cs", fixedSources[i]));
        }

        Configure(test.TestState, withLibrary: true, editorConfig: null);
        Configure(test.FixedState, withLibrary: true, editorConfig: null);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    /// <summary>
    /// Like <see cref="CodeFixWithGeneratorAsync{TCodeFix}(string[], string[], DiagnosticResult[])"/>, where the fixed code
    /// gets exactly <paramref name="fixedExpected"/> (compiler and generator warnings of the original code that the fix
    /// removes are not carried over to the fixed state).
    /// </summary>
    internal static async Task CodeFixWithGeneratorAsync<TCodeFix>(string[] sources, string[] fixedSources, DiagnosticResult[] expected, DiagnosticResult[] fixedExpected)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new CodeFixTest<TCodeFix> { RunGenerator = true, TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck, CodeActionIndex = 0 };
        test.FixedState.InheritanceMode = StateInheritanceMode.Explicit;
        for (var i = 0; i < sources.Length; i++)
        {
            test.TestState.Sources.Add(($"/0/Test{i}.cs", sources[i]));
            test.FixedState.Sources.Add(($"/0/Test{i}.cs", fixedSources[i]));
        }

        Configure(test.TestState, withLibrary: true, editorConfig: null);
        Configure(test.FixedState, withLibrary: true, editorConfig: null);
        test.ExpectedDiagnostics.AddRange(expected);
        test.FixedState.ExpectedDiagnostics.AddRange(fixedExpected);
        await test.RunAsync();
    }

    /// <summary>The code fix offers no action with <paramref name="equivalenceKey"/> (or none at all) for <paramref name="source"/>.</summary>
    internal static Task NoCodeFixAsync<TCodeFix>(string source, string? equivalenceKey = null)
        where TCodeFix : CodeFixProvider, new() =>
        CodeFixAsync<TCodeFix>(source, source, equivalenceKey);

    private static DiagnosticSeverity Severity(string id) =>
        new TAnalyzer().SupportedDiagnostics.First(d => d.Id == id).DefaultSeverity;

    private static void Configure(SolutionState state, bool withLibrary, string? editorConfig)
    {
        state.ReferenceAssemblies = TestReferences.None;
        state.AdditionalReferences.AddRange(TestReferences.Runtime);
        if (withLibrary)
        {
            state.AdditionalReferences.AddRange(TestReferences.Library);
        }

        if (withLibrary)
        {
            state.Sources.Add(("/0/Stubs.cs", Stubs.Source));
            if (Stubs.RxOperatorsSource is { } rx)
            {
                state.Sources.Add(("/0/RxStubs.cs", rx));
            }
        }

        if (editorConfig is not null)
        {
            state.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*.cs]\n" + editorConfig));
        }
    }

    // Ours and System.Text.Json's, which the SDK runs on every .NET project.
    private static Type[] Generators => [typeof(Reactive.Streams.Generators.EventUnionGenerator), Snippets.SnippetCompiler.JsonSourceGeneratorType.Value];

    // dotnet format's provider: the diagnostics it found, by project and by document.
    private sealed class ListedDiagnostics(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult(diagnostics.Where(d => d.Location.SourceTree?.FilePath == document.FilePath));

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);
    }

    private sealed class AnalyzerTest : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        /// <summary>Runs the event union and System.Text.Json generators (code as a consumer's build sees it).</summary>
        internal bool RunGenerator { get; init; }

        protected override IEnumerable<Type> GetSourceGenerators()
            => RunGenerator ? Generators : base.GetSourceGenerators();
    }

    private sealed class CodeFixTest<TCodeFix> : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        where TCodeFix : CodeFixProvider, new()
    {
        /// <summary>Runs the event union and System.Text.Json generators (code as a consumer's build sees it).</summary>
        internal bool RunGenerator { get; init; }

        protected override IEnumerable<Type> GetSourceGenerators()
            => RunGenerator ? Generators : base.GetSourceGenerators();
    }
}
