using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;
using Reactive.Streams.Generators;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXSP0001 as a project configures it and beside the compiler's other "not exhaustive" warning. Roslyn turns a
/// suppressor off only through the compilation's options (<c>NoWarn</c>); a <c>dotnet_diagnostic.RXSP0001.severity =
/// none</c> in <c>.editorconfig</c> or <c>.globalconfig</c> is the way every other rule of the package is turned off, so
/// the suppressor reads it itself, file by file. CS8846 is CS8509 where a guarded arm might match the value the compiler
/// thinks unhandled: on a switch that handles every variant and the fallback without a guard it is as wrong as CS8509.
/// Each case is compiled in a workspace (which reads the configuration files, as a build does) with the generator.
/// </summary>
public sealed class ExhaustiveUnionSwitchSuppressorConfigurationTests
{
    private static readonly CSharpParseOptions s_parse = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    private const string Lease = ExhaustiveUnionSwitchSuppressorTests.Lease;

    private const string Complete = """
        class C
        {
            int Describe(Lease e) => e switch
            {
                Lease.Acquired => 1,
                Lease.Revoked => 2,
                Lease.Unknown => 3,
            };
        }
        """;

    private const string Other = """
        class D
        {
            int Describe(Lease e) => e switch
            {
                Lease.Acquired => 1,
                Lease.Revoked => 2,
                Lease.Unknown => 3,
            };
        }
        """;

    [Fact]
    public async Task Without_configuration_CS8509_is_suppressed_in_both_files()
    {
        var found = await FindingsAsync(editorConfig: null, globalConfig: null);

        Assert.Equal(["App.cs: CS8509@11 suppressed", "Other.cs: CS8509@3 suppressed"], found);
    }

    [Fact]
    public async Task An_editorconfig_severity_of_none_turns_the_suppressor_off_for_the_files_it_covers()
    {
        var found = await FindingsAsync(
            editorConfig: """
                root = true

                [*.cs]
                dotnet_diagnostic.RXSP0001.severity = none
                """,
            globalConfig: null);

        Assert.Equal(["App.cs: CS8509@11", "Other.cs: CS8509@3"], found);
    }

    [Fact]
    public async Task An_editorconfig_section_turns_it_off_for_its_files_only()
    {
        var found = await FindingsAsync(
            editorConfig: """
                root = true

                [Other.cs]
                dotnet_diagnostic.RXSP0001.severity = none
                """,
            globalConfig: null);

        Assert.Equal(["App.cs: CS8509@11 suppressed", "Other.cs: CS8509@3"], found);
    }

    // Any other severity leaves it on: a suppressor has no severity of its own, only on or off.
    [Theory]
    [InlineData("warning")]
    [InlineData("suggestion")]
    [InlineData("default")]
    public async Task An_editorconfig_severity_other_than_none_leaves_it_on(string severity)
    {
        var found = await FindingsAsync(
            editorConfig: "root = true\n\n[*.cs]\ndotnet_diagnostic.RXSP0001.severity = " + severity + "\n",
            globalConfig: null);

        Assert.Equal(["App.cs: CS8509@11 suppressed", "Other.cs: CS8509@3 suppressed"], found);
    }

    [Fact]
    public async Task A_globalconfig_severity_of_none_turns_it_off_in_the_whole_project()
    {
        var found = await FindingsAsync(
            editorConfig: null,
            globalConfig: """
                is_global = true

                dotnet_diagnostic.RXSP0001.severity = none
                """);

        Assert.Equal(["App.cs: CS8509@11", "Other.cs: CS8509@3"], found);
    }

    // A guarded arm that might match what the compiler thinks unhandled turns CS8509 into CS8846; every variant and the
    // fallback are handled without a guard, so the switch is as complete as in the CS8509 case.
    [Fact]
    public async Task CS8846_on_a_switch_that_handles_every_variant_and_the_fallback_is_suppressed()
    {
        var found = await FindingsAsync(
            editorConfig: null,
            globalConfig: null,
            app: """
                class C
                {
                    static bool Skip(Lease e) => false;

                    int Sampled(Lease e) => e switch
                    {
                        var x when Skip(x) => 0,
                        Lease.Acquired => 1,
                        Lease.Revoked => 2,
                        Lease.Unknown => 3,
                    };

                    int Missing(Lease e) => e switch
                    {
                        var x when Skip(x) => 0,
                        Lease.Acquired => 1,
                        Lease.Revoked => 2,
                    };
                }
                """);

        Assert.Equal(["App.cs: CS8846@13 suppressed", "App.cs: CS8846@21", "Other.cs: CS8509@3 suppressed"], found);
    }

    // `when true` is no guard to the compiler, nor to RXS0006 and RXSP0001.
    [Fact]
    public async Task A_constant_true_guard_is_no_guard_to_the_suppressor()
    {
        var found = await FindingsAsync(
            editorConfig: null,
            globalConfig: null,
            app: """
                class C
                {
                    int Describe(Lease e) => e switch
                    {
                        Lease.Acquired when true => 1,
                        Lease.Revoked => 2,
                        Lease.Unknown => 3,
                    };
                }
                """);

        Assert.Equal(["App.cs: CS8509@11 suppressed", "Other.cs: CS8509@3 suppressed"], found);
    }

    private static async Task<string[]> FindingsAsync(string? editorConfig, string? globalConfig, string app = Complete)
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Default,
            "App",
            "App",
            LanguageNames.CSharp,
            filePath: "/app/App.csproj",
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: s_parse,
            metadataReferences: TestReferences.Runtime.AddRange(TestReferences.Library)));
        solution = solution
            .AddDocument(DocumentId.CreateNewId(projectId), "App.cs", SourceText.From(Lease + app), filePath: "/app/App.cs")
            .AddDocument(DocumentId.CreateNewId(projectId), "Other.cs", SourceText.From(Other), filePath: "/app/Other.cs");
        if (editorConfig is not null)
        {
            solution = solution.AddAnalyzerConfigDocument(DocumentId.CreateNewId(projectId), ".editorconfig", SourceText.From(editorConfig), filePath: "/app/.editorconfig");
        }

        if (globalConfig is not null)
        {
            solution = solution.AddAnalyzerConfigDocument(DocumentId.CreateNewId(projectId), ".globalconfig", SourceText.From(globalConfig), filePath: "/app/.globalconfig");
        }

        var project = solution.GetProject(projectId)!;
        var compilation = (await project.GetCompilationAsync())!;
        CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator()], parseOptions: s_parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics.Select(static d => d.ToString()));
        Assert.Empty(generated.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Error).Select(static d => d.ToString()));

        var options = new CompilationWithAnalyzersOptions(
            project.AnalyzerOptions, onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: true);
        var diagnostics = await generated
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ExhaustiveUnionSwitchSuppressor(), new NonExhaustiveUnionSwitchAnalyzer()), options)
            .GetAllDiagnosticsAsync();
        Assert.DoesNotContain(diagnostics, static d => d.Id == "AD0001");
        return diagnostics
            .Where(static d => d.Id is "CS8509" or "CS8846" && d.Location.IsInSource)
            .OrderBy(static d => d.Location.SourceTree!.FilePath, StringComparer.Ordinal).ThenBy(static d => d.Location.SourceSpan.Start)
            .Select(static d => Path.GetFileName(d.Location.SourceTree!.FilePath) + ": " + d.Id + "@" + (d.Location.GetLineSpan().StartLinePosition.Line + 1)
                + (d.IsSuppressed ? " suppressed" : string.Empty))
            .ToArray();
    }
}
