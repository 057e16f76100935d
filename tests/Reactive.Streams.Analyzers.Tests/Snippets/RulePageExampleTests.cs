using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Generators;

namespace Reactive.Streams.Analyzers.Tests.Snippets;

/// <summary>
/// The analyzer rule pages (docs/rules/RXS0001-RXS0007) show what the rule does: every line of a <c>## Bad</c> example
/// marked <c>// RXSnnnn</c> gets that diagnostic exactly once and no unmarked line does, and a <c>## Good</c> example gets no
/// diagnostic of any analyzer rule. The suppressor pages (docs/rules/RXSP0001) show what stays: every line of a
/// <c>## Bad</c> example marked <c>// CSnnnn</c> keeps that compiler warning, unsuppressed. No <c>## Good</c> example of
/// either keeps a CS8509 (a switch expression over a union that is not exhaustive). The snippets are compiled as
/// <see cref="SnippetTests"/> compiles them, with every analyzer and suppressor of the package running.
/// </summary>
public sealed class RulePageExampleTests
{
    private static readonly ImmutableArray<DiagnosticAnalyzer> s_analyzers = typeof(DiagnosticIds).Assembly.GetTypes()
        .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var (snippet, _) in RuleExamples())
        {
            data.Add(snippet.Key);
        }

        return data;
    }

    [Fact]
    public void Every_analyzer_rule_page_has_a_bad_and_a_good_example()
    {
        var examples = RuleExamples();
        foreach (var id in new[] { "RXS0001", "RXS0002", "RXS0003", "RXS0004", "RXS0005", "RXS0006", "RXS0007", "RXSP0001" })
        {
            Assert.Contains(examples, e => e.Snippet.File == $"docs/rules/{id}.md" && e.Section == "Bad");
            Assert.Contains(examples, e => e.Snippet.File == $"docs/rules/{id}.md" && e.Section == "Good");
        }
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task The_example_shows_what_the_rule_reports(string key)
    {
        var (snippet, section) = RuleExamples().Single(e => e.Snippet.Key == key);
        var id = Path.GetFileNameWithoutExtension(snippet.File);
        var diagnostics = await AnalyzerDiagnosticsAsync(snippet);
        var reported = diagnostics.Where(d => d.Id.StartsWith("RXS", StringComparison.Ordinal))
            .Select(d => (d.Id, Line: d.Location.GetMappedLineSpan().StartLinePosition.Line + 1, Message: d.GetMessage(CultureInfo.InvariantCulture)))
            .ToList();
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        var lines = snippet.Code.Split('\n');
        var compiler = diagnostics
            .Where(d => d.Id.StartsWith("CS", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Warning)
            .Select(d => (d.Id, Line: d.Location.GetMappedLineSpan().StartLinePosition.Line + 1))
            .Where(d => d.Line >= snippet.FirstLine && d.Line < snippet.FirstLine + lines.Length)
            .ToList();

        if (section == "Good")
        {
            Assert.True(reported.Count == 0, $"{key}: a good example gets " + string.Join("; ", reported));
            Assert.DoesNotContain(compiler, d => d.Id == "CS8509");
            return;
        }

        if (id.StartsWith("RXSP", StringComparison.Ordinal))
        {
            // A suppressor's bad example: the compiler's warnings it marks stay, once each, and nothing else is marked.
            var kept = Enumerable.Range(0, lines.Length)
                .Select(i => (Line: snippet.FirstLine + i, Match: System.Text.RegularExpressions.Regex.Match(lines[i], @"// (CS\d{4})")))
                .Where(m => m.Match.Success)
                .ToList();
            Assert.NotEmpty(kept);
            foreach (var (line, match) in kept)
            {
                Assert.True(
                    compiler.Count(d => d.Id == match.Groups[1].Value && d.Line == line) == 1,
                    $"{key}: line {line} is marked {match.Groups[1].Value}, which the suppressor must leave, but gets " + string.Join("; ", compiler));
            }

            return;
        }

        var marked = Enumerable.Range(0, lines.Length).Where(i => lines[i].Contains("// " + id, StringComparison.Ordinal)).Select(i => snippet.FirstLine + i).ToList();
        Assert.NotEmpty(marked);
        foreach (var line in marked)
        {
            Assert.True(reported.Any(r => r.Id == id && r.Line == line), $"{key}: line {line} is marked {id} but gets " + string.Join("; ", reported));

            // Once: a boundary or a policy reported twice is a double squiggle and a fix offered twice.
            Assert.True(reported.Count(r => r.Id == id && r.Line == line) == 1, $"{key}: line {line} gets {id} more than once: " + string.Join("; ", reported));
        }

        var unexpected = reported.Where(r => r.Id == id && !marked.Contains(r.Line)).ToList();
        Assert.True(unexpected.Count == 0, $"{key}: unmarked lines get " + string.Join("; ", unexpected));
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzerDiagnosticsAsync(MarkdownSnippet snippet)
    {
        var trees = SnippetCompiler.SyntaxTrees(snippet);
        var isProgram = trees.Any(t => t.GetCompilationUnitRoot().Members.Any(m => m is Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax));
        var compilation = CSharpCompilation.Create(
            "Snippet",
            trees,
            SnippetCompiler.References,
            new CSharpCompilationOptions(isProgram ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator(), SnippetCompiler.JsonSourceGenerator.Value], parseOptions: (CSharpParseOptions)trees[0].Options)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);
        Assert.Empty(generated.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        // Every diagnostic, the compiler's included, with the suppressor's suppressions applied (suppressed ones left out).
        return await generated.WithAnalyzers(s_analyzers).GetAllDiagnosticsAsync();
    }

    // The fences under "## Bad" and "## Good" of the analyzer rules' pages (RXS0001-RXS0999) and the suppressors' (RXSP).
    private static IReadOnlyList<(MarkdownSnippet Snippet, string Section)> RuleExamples()
    {
        var examples = new List<(MarkdownSnippet, string)>();
        foreach (var page in MarkdownSnippets.Pages().Where(p => p.StartsWith("docs/rules/RXS0", StringComparison.Ordinal) || p.StartsWith("docs/rules/RXSP", StringComparison.Ordinal)))
        {
            var lines = File.ReadAllLines(Path.Combine(MarkdownSnippets.Root, page));
            foreach (var snippet in MarkdownSnippets.Read(page))
            {
                // The heading above the fence's opening line (FirstLine is the first line of code).
                var heading = lines.Take(snippet.FirstLine - 2).LastOrDefault(l => l.StartsWith("## ", StringComparison.Ordinal))?[3..].Trim();
                if (heading is "Bad" or "Good")
                {
                    examples.Add((snippet, heading));
                }
            }
        }

        return examples;
    }
}
