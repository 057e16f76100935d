using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators;

namespace Reactive.Streams.Analyzers.Tests.Snippets;

/// <summary>
/// The generator's rule pages (docs/rules/RXS1001-RXS1008) show their bad and good code under <c>## Example</c>, after a
/// <c>Bad:</c> or <c>Good:</c> line: every line of a bad fence marked <c>// RXS1nnn</c> gets that diagnostic from the
/// generator exactly once and the fence gets no other generator diagnostic, and a good fence gets none at all. Neither kind
/// of fence compiles with an error (the user sees the generator's diagnostic, never a compiler error in generated code).
/// The snippets are compiled as <see cref="SnippetTests"/> compiles them.
/// </summary>
public sealed class GeneratorRulePageExampleTests
{
    private static readonly string[] s_ids = { "RXS1001", "RXS1002", "RXS1003", "RXS1004", "RXS1005", "RXS1006", "RXS1007", "RXS1008" };

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
    public void Every_generator_rule_page_has_a_bad_and_a_good_example()
    {
        var examples = RuleExamples();
        foreach (var id in s_ids)
        {
            Assert.Contains(examples, e => e.Snippet.File == $"docs/rules/{id}.md" && e.Section == "Bad");
            Assert.Contains(examples, e => e.Snippet.File == $"docs/rules/{id}.md" && e.Section == "Good");
        }
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void The_example_shows_what_the_generator_reports(string key)
    {
        var (snippet, section) = RuleExamples().Single(e => e.Snippet.Key == key);
        var id = Path.GetFileNameWithoutExtension(snippet.File);
        var (diagnostics, errors) = GeneratorDiagnostics(snippet);
        var reported = diagnostics
            .Select(d => (d.Id, Line: d.Location.GetMappedLineSpan().StartLinePosition.Line + 1, Message: d.GetMessage(CultureInfo.InvariantCulture)))
            .ToList();
        Assert.True(errors.IsEmpty, $"{key}: compiles with " + string.Join("; ", errors));

        if (section == "Good")
        {
            Assert.True(reported.Count == 0, $"{key}: a good example gets " + string.Join("; ", reported));
            return;
        }

        var lines = snippet.Code.Split('\n');
        var marked = Enumerable.Range(0, lines.Length).Where(i => lines[i].Contains("// " + id, StringComparison.Ordinal)).Select(i => snippet.FirstLine + i).ToList();
        Assert.NotEmpty(marked);
        foreach (var line in marked)
        {
            Assert.True(reported.Count(r => r.Id == id && r.Line == line) == 1, $"{key}: line {line} is marked {id} but gets " + string.Join("; ", reported));
        }

        // Nothing else: a reader who copies the example sees the rule it is about, not another rule's diagnostic too.
        var unexpected = reported.Where(r => r.Id != id || !marked.Contains(r.Line)).ToList();
        Assert.True(unexpected.Count == 0, $"{key}: unmarked lines or other rules get " + string.Join("; ", unexpected));
    }

    private static (ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Errors) GeneratorDiagnostics(MarkdownSnippet snippet)
    {
        var trees = SnippetCompiler.SyntaxTrees(snippet);
        var isProgram = trees.Any(t => t.GetCompilationUnitRoot().Members.Any(m => m is Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax));
        var compilation = CSharpCompilation.Create(
            "Snippet",
            trees,
            SnippetCompiler.References,
            new CSharpCompilationOptions(isProgram ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator(), SnippetCompiler.JsonSourceGenerator.Value], parseOptions: (CSharpParseOptions)trees[0].Options)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out var diagnostics);
        var errors = generated.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        return (diagnostics.Where(d => d.Id.StartsWith("RXS1", StringComparison.Ordinal)).ToImmutableArray(), errors);
    }

    // The fences after a "Bad:" or "Good:" line under "## Example" of the generator rules' pages (RXS1001-RXS1999).
    private static IReadOnlyList<(MarkdownSnippet Snippet, string Section)> RuleExamples()
    {
        var examples = new List<(MarkdownSnippet, string)>();
        foreach (var page in MarkdownSnippets.Pages().Where(p => p.StartsWith("docs/rules/RXS1", StringComparison.Ordinal)))
        {
            var lines = File.ReadAllLines(Path.Combine(MarkdownSnippets.Root, page));
            foreach (var snippet in MarkdownSnippets.Read(page))
            {
                // FirstLine is the first line of code; the lines above its fence, back to the heading, say which it is.
                var above = lines.Take(snippet.FirstLine - 2).Reverse().TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)).ToList();
                var heading = lines.Take(snippet.FirstLine - 2).LastOrDefault(l => l.StartsWith("## ", StringComparison.Ordinal))?[3..].Trim();
                var label = above.Select(l => l.Trim()).FirstOrDefault(l => l is "Bad:" or "Good:");
                if (heading == "Example" && label is not null)
                {
                    examples.Add((snippet, label.TrimEnd(':')));
                }
            }
        }

        return examples;
    }
}
