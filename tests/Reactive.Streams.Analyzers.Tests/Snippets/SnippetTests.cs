using Microsoft.CodeAnalysis;

namespace Reactive.Streams.Analyzers.Tests.Snippets;

/// <summary>
/// The house rule "every C# snippet in README.md and docs/ compiles": each ```csharp fence is one test case, named by its
/// page and fence line. Conventions (contexts, members-of, elided bodies, skips) are in CONTRIBUTING.md.
/// </summary>
public sealed class SnippetTests
{
    public static TheoryData<string> Snippets()
    {
        var data = new TheoryData<string>();
        foreach (var snippet in MarkdownSnippets.All())
        {
            data.Add(snippet.Key);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void Snippet_compiles(string snippet)
    {
        var found = MarkdownSnippets.All().Single(s => s.Key == snippet);
        var errors = SnippetCompiler.Errors(found);
        Assert.True(errors.Count == 0, $"{snippet} does not compile:\n" + string.Join('\n', errors.Select(Format)));
        var warnings = WarningsInTheFence(found);
        Assert.True(warnings.Count == 0, $"{snippet} compiles with warnings, errors in a project that treats warnings as errors:\n" + string.Join('\n', warnings.Select(Format)));
    }

    /// <summary>
    /// The compiler's warnings on the fence's own lines (what a reader copies into a project that, like this one, treats
    /// warnings as errors), but for those a snippet cannot avoid: a local function shown for the reader to call (CS8321),
    /// and on RXS0006's and RXSP0001's pages the compiler's CS8509 on a union switch without a discard, which is what those
    /// pages are about (the suppressor does not run here; <see cref="RulePageExampleTests"/> runs it on their examples).
    /// A context's lines are not the reader's code, and RXS diagnostics do not run (the rule pages' Bad examples trigger
    /// them on purpose).
    /// </summary>
    internal static IReadOnlyList<Diagnostic> WarningsInTheFence(MarkdownSnippet snippet)
    {
        var lines = snippet.Code.Count(c => c == '\n');
        return SnippetCompiler.Compile(snippet, []).GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Warning && d.Id != "CS8321" && !(d.Id == "CS8509" && snippet.File is "docs/rules/RXS0006.md" or "docs/rules/RXSP0001.md"))
            .Where(d => d.Location.GetMappedLineSpan() is { HasMappedPath: true } span && span.Path == snippet.File
                && span.StartLinePosition.Line + 1 >= snippet.FirstLine && span.StartLinePosition.Line + 1 < snippet.FirstLine + lines)
            .ToArray();
    }

    [Fact]
    public void A_warning_in_the_fence_fails_but_one_in_its_hidden_context_does_not()
    {
        var unread = new MarkdownSnippet("warn.md", 10, "sealed class Sink(Uri url)\n{\n    public string Name => \"sink\";\n}\n", []);
        var warning = Assert.Single(WarningsInTheFence(unread));
        Assert.Equal("CS9113", warning.Id);
        Assert.Equal(10, warning.Location.GetMappedLineSpan().StartLinePosition.Line + 1);

        var inContext = new MarkdownSnippet("warn.md", 10, "Console.WriteLine(1);\n", [new SnippetContext("sealed class Sink(Uri url) { }\n", 3, null)]);
        Assert.Empty(WarningsInTheFence(inContext));
    }

    [Fact]
    public void The_readme_using_the_pieces_block_compiles_as_shown_with_no_hidden_context()
    {
        var snippet = MarkdownSnippets.Read("README.md").Single(s => s.Code.Contains("BoundedStream.DegradeQuality<Reading>", StringComparison.Ordinal));

        Assert.Empty(snippet.Contexts);
        Assert.Empty(SnippetCompiler.Errors(snippet));
    }

    [Fact]
    public void Snippets_are_found_on_every_page_that_has_csharp_fences()
    {
        var pages = MarkdownSnippets.Pages();
        Assert.Contains("README.md", pages);
        Assert.Contains("docs/stream-log.md", pages);
        Assert.Contains("docs/hosting.md", pages);
        Assert.Contains("docs/testing.md", pages);
        Assert.Contains("src/Reactive.Streams.Hosting/README.md", pages);
        Assert.Contains("src/Reactive.Streams.Core/README.md", pages);
        var snippets = MarkdownSnippets.All();
        Assert.NotEmpty(snippets);
        foreach (var page in pages)
        {
            var fences = File.ReadAllLines(Path.Combine(MarkdownSnippets.Root, page)).Count(l => l.TrimStart().StartsWith("```csharp", StringComparison.Ordinal));
            Assert.True(snippets.Count(s => s.File == page) == fences, $"{page} has {fences} ```csharp fences but {snippets.Count(s => s.File == page)} were read");
        }
    }

    [Fact]
    public void Every_markdown_page_of_the_repository_with_a_csharp_fence_is_compiled()
    {
        // Counted apart from the reader: every .md file of the clone (not only the folders the reader walks), every
        // top-level fence opened by backticks or tildes whose language is C# in any case. A page the reader does not
        // walk, or a fence it does not see, would otherwise escape the "every snippet compiles" rule unnoticed.
        var pages = MarkdownSnippets.Pages();
        var snippets = MarkdownSnippets.All();
        var found = 0;
        foreach (var path in MarkdownFiles(MarkdownSnippets.Root))
        {
            var page = Path.GetRelativePath(MarkdownSnippets.Root, path).Replace('\\', '/');
            var fences = CSharpFences(File.ReadAllLines(path));
            if (fences == 0)
            {
                continue;
            }

            found += fences;
            Assert.True(pages.Contains(page), $"{page} has {fences} C# fence(s), but the snippet tests do not read it");
            Assert.True(snippets.Count(s => s.File == page) == fences, $"{page} has {fences} C# fences but {snippets.Count(s => s.File == page)} were read");
        }

        Assert.Equal(snippets.Count, found);
    }

    [Fact]
    public void Tilde_fences_and_any_case_of_the_language_are_read_as_csharp()
    {
        var page = Path.Combine(Path.GetTempPath(), $"snippet-fences-{Guid.NewGuid():N}.md");
        File.WriteAllText(page, "~~~csharp\nvar a = 1;\n~~~\n\n```CSharp\nvar b = 2;\n```\n\n````markdown\n```csharp\nnot read: inside a markdown fence\n```\n````\n");
        try
        {
            var read = MarkdownSnippets.Read(page);
            Assert.Equal(["var a = 1;\n", "var b = 2;\n"], read.Select(s => s.Code));
            Assert.Equal(2, CSharpFences(File.ReadAllLines(page)));
        }
        finally
        {
            File.Delete(page);
        }
    }

    private static IEnumerable<string> MarkdownFiles(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*.md"))
        {
            yield return file;
        }

        foreach (var child in Directory.EnumerateDirectories(directory))
        {
            var name = Path.GetFileName(child);
            if (name.StartsWith('.') || name is "bin" or "obj" or "artifacts" or "TestResults" or "node_modules")
            {
                continue;
            }

            foreach (var file in MarkdownFiles(child))
            {
                yield return file;
            }
        }
    }

    /// <summary>The top-level fences of a page whose language is C# (CommonMark's fences: three or more backticks or tildes).</summary>
    private static int CSharpFences(string[] lines)
    {
        var count = 0;
        string? open = null;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            var marker = line.StartsWith("```", StringComparison.Ordinal) ? '`' : line.StartsWith("~~~", StringComparison.Ordinal) ? '~' : '\0';
            if (marker == '\0')
            {
                continue;
            }

            var run = new string(marker, line.TakeWhile(c => c == marker).Count());
            if (open is not null)
            {
                if (run[0] == open[0] && run.Length >= open.Length && line.Length == run.Length)
                {
                    open = null;
                }

                continue;
            }

            open = run;
            var language = line[run.Length..].Trim().Split(' ', 2)[0];
            if (language.ToLowerInvariant() is "csharp" or "cs" or "c#")
            {
                count++;
            }
        }

        return count;
    }

    [Fact]
    public void Snippets_are_checked_for_real()
    {
        // A snippet that cannot compile must fail, mapped to its page and line (the test is not vacuous).
        var bad = new MarkdownSnippet("bad.md", 10, "using Reactive.Streams;\nvar s = BoundedStream.NoSuchFactory<int>(1);\n", []);
        var error = Assert.Single(SnippetCompiler.Errors(bad));
        Assert.Equal("CS0117", error.Id);
        Assert.Equal("bad.md", error.Location.GetMappedLineSpan().Path);
        Assert.Equal(11, error.Location.GetMappedLineSpan().StartLinePosition.Line + 1);

        var withContext = new MarkdownSnippet(
            "ctx.md", 20, "using System.Text;\nvar n = Encoding.UTF8.GetByteCount(Name) + undefinedName;\n",
            [new SnippetContext("using Reactive.Streams;\nstring Name = nameof(BoundedStream);\nrecord R;\n", 3, null)]);
        error = Assert.Single(SnippetCompiler.Errors(withContext));
        Assert.Equal("CS0103", error.Id);
        Assert.Equal(21, error.Location.GetMappedLineSpan().StartLinePosition.Line + 1);
    }

    [Fact]
    public void Snippets_see_what_the_generator_adds()
    {
        var snippet = new MarkdownSnippet(
            "gen.md", 1, "Console.WriteLine(new LeaseHistoryEvent.Acquired(\"x\").WireName);\n",
            [new SnippetContext("using Reactive.Streams;\n[EventUnion]\npublic abstract partial record LeaseHistoryEvent\n{\n    public sealed record Acquired(string ExecutionId) : LeaseHistoryEvent;\n}\n", 1, null)]);
        Assert.Empty(SnippetCompiler.Errors(snippet));
    }

    [Fact]
    public void Snippets_see_what_System_Text_Json_source_generator_adds()
    {
        // A source-generated context is abstract until the SDK's generator writes its members: the AOT snippets need it.
        var snippet = new MarkdownSnippet(
            "json.md", 1, "using System.Text.Json.Serialization;\nConsole.WriteLine(NumbersContext.Default.Int32.Type);\n[JsonSerializable(typeof(int))]\npartial class NumbersContext : JsonSerializerContext;\n", []);
        Assert.Empty(SnippetCompiler.Errors(snippet));
    }

    [Fact]
    public void A_skip_marker_fails_instead_of_leaving_a_fence_out()
    {
        var page = Path.Combine(Path.GetTempPath(), $"snippet-skip-{Guid.NewGuid():N}.md");
        File.WriteAllText(page, "<!-- snippet-skip: not compilable -->\n```csharp\nnot C#\n```\n");
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => MarkdownSnippets.Read(page));
            Assert.Contains("not skipped", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(page);
        }
    }

    [Fact]
    public void Elided_bodies_compile_as_empty_or_throwing_bodies()
    {
        Assert.Equal("class C { } ValueTask M(int x) { throw null!; }", SnippetCompiler.Elide("class C { ... } ValueTask M(int x) { ... }"));
    }

    private static string Format(Diagnostic d)
    {
        var span = d.Location.GetMappedLineSpan();
        return $"{span.Path}:{span.StartLinePosition.Line + 1}:{span.StartLinePosition.Character + 1}: {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}
