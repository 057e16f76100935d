using System.Text.RegularExpressions;
using Reactive.Streams.Tests;

namespace Reactive.Streams.Analyzers.Tests.Snippets;

/// <summary>A hidden context from a <c>&lt;!-- snippet-context ... --&gt;</c> comment: C# code and the markdown line of its first line.</summary>
internal sealed record SnippetContext(string Code, int FirstLine, string? MembersOf);

/// <summary>
/// One fenced C# block of a markdown page: its code, the markdown line of its first code line (1-based) and the contexts
/// that apply to it (the page's, then its own). Every one is compiled: there is no way to skip one.
/// </summary>
internal sealed record MarkdownSnippet(string File, int FirstLine, string Code, IReadOnlyList<SnippetContext> Contexts)
{
    /// <summary>The fence's line, as <c>file:line</c>: the test case's name.</summary>
    public string Key => $"{File}:{FirstLine - 1}";

    /// <summary>The type the snippet's members belong to, when a context says so (<c>members-of=Name</c>).</summary>
    public string? MembersOf => Contexts.Select(c => c.MembersOf).LastOrDefault(m => m is not null);
}

/// <summary>
/// Finds the documentation pages (README.md, docs/**/*.md and src/*/README.md from the repository root) and reads their C# fences with
/// the conventions that CONTRIBUTING.md ("Code snippets in the docs") describes.
/// </summary>
internal static partial class MarkdownSnippets
{
    /// <summary>The repository root: the nearest folder above the test's output that holds Reactive.Streams.sln.</summary>
    internal static string Root => RepositoryFiles.Root;

    /// <summary>
    /// README.md, every markdown page under docs/ and each package's README (src/*/README.md, shown on nuget.org), as
    /// paths relative to the root with '/' separators, in order.
    /// </summary>
    internal static IReadOnlyList<string> Pages()
    {
        var pages = new List<string> { "README.md" };
        pages.AddRange(Directory.EnumerateFiles(Path.Combine(Root, "src"), "README.md", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(Root, path).Replace('\\', '/'))
            .Where(path => path.Count(c => c == '/') == 2)
            .Order(StringComparer.Ordinal));
        pages.AddRange(Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(Root, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal));
        return pages;
    }

    /// <summary>Every C# fence of every page.</summary>
    internal static IReadOnlyList<MarkdownSnippet> All() => Pages().SelectMany(Read).ToArray();

    /// <summary>The C# fences of one page (a path relative to the root).</summary>
    internal static IReadOnlyList<MarkdownSnippet> Read(string page)
    {
        var lines = File.ReadAllLines(Path.Combine(Root, page));
        var snippets = new List<MarkdownSnippet>();
        var pageContexts = new List<SnippetContext>();
        var pending = new List<SnippetContext>();
        var pendingSince = 0;   // the line of the first pending marker, for the error when no fence follows it

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var trimmed = line.Trim();
            if (trimmed.StartsWith("<!-- snippet-skip", StringComparison.Ordinal))
            {
                // Every C# fence compiles: code that cannot is not fenced as C# (inline code or a list instead).
                throw new InvalidDataException($"{page}:{i + 1}: snippets are not skipped; give the fence a context, or do not fence as C# what is not C# that compiles");
            }

            if (trimmed.StartsWith("<!-- snippet-context", StringComparison.Ordinal))
            {
                var header = trimmed["<!-- snippet-context".Length..];
                var oneLine = header.EndsWith("-->", StringComparison.Ordinal);
                header = oneLine ? header[..^3] : header;
                var words = header.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var isPage = false;
                string? membersOf = null;
                foreach (var word in words)
                {
                    if (word == "page")
                    {
                        isPage = true;
                    }
                    else if (word.StartsWith("members-of=", StringComparison.Ordinal))
                    {
                        membersOf = word["members-of=".Length..];
                    }
                    else
                    {
                        throw new InvalidDataException($"{page}:{i + 1}: unknown snippet-context option '{word}' (known: page, members-of=Type)");
                    }
                }

                var start = i + 1;
                var body = new List<string>();
                if (!oneLine)
                {
                    for (i++; i < lines.Length && lines[i].Trim() != "-->"; i++)
                    {
                        body.Add(lines[i]);
                    }

                    if (i == lines.Length)
                    {
                        throw new InvalidDataException($"{page}:{start}: snippet-context is not closed by a line '-->'");
                    }
                }

                var context = new SnippetContext(string.Join('\n', body) + "\n", start + 1, membersOf);
                if (isPage)
                {
                    pageContexts.Add(context);
                }
                else
                {
                    pending.Add(context);
                    pendingSince = pendingSince == 0 ? start : pendingSince;
                }

                continue;
            }

            var fence = Fence().Match(line);
            if (fence.Success)
            {
                var indent = fence.Groups["indent"].Value.Length;
                var ticks = fence.Groups["ticks"].Value;
                var language = fence.Groups["info"].Value.Trim().Split(' ', 2)[0];
                var fenceLine = i + 1;
                var code = new List<string>();
                for (i++; i < lines.Length && !IsClosingFence(lines[i], ticks); i++)
                {
                    code.Add(lines[i].Length >= indent && string.IsNullOrWhiteSpace(lines[i][..indent]) ? lines[i][indent..] : lines[i].TrimStart());
                }

                if (IsCSharp(language))
                {
                    snippets.Add(new MarkdownSnippet(page, fenceLine + 1, string.Join('\n', code) + "\n", [.. pending]));
                }
                else if (pending.Count > 0)
                {
                    throw new InvalidDataException($"{page}:{pendingSince}: a snippet marker is followed by a '{language}' fence, not a C# one");
                }

                pending.Clear();
                pendingSince = 0;
                continue;
            }

            if (trimmed.Length > 0 && (pending.Count > 0))
            {
                throw new InvalidDataException($"{page}:{pendingSince}: a snippet marker must be followed by its fence (only blank lines between)");
            }
        }

        if (pending.Count > 0)
        {
            throw new InvalidDataException($"{page}:{pendingSince}: a snippet marker is not followed by a fence");
        }

        // Page contexts apply to every fence, also to those above the comment, before the fence's own.
        return snippets.Select(s => s with { Contexts = [.. pageContexts, .. s.Contexts] }).ToArray();
    }

    /// <summary>A fence's language names C# (as GitHub reads an info string: case does not matter).</summary>
    internal static bool IsCSharp(string language) =>
        language.Equals("csharp", StringComparison.OrdinalIgnoreCase) || language.Equals("cs", StringComparison.OrdinalIgnoreCase)
        || language.Equals("c#", StringComparison.OrdinalIgnoreCase);

    private static bool IsClosingFence(string line, string ticks)
    {
        // CommonMark: the same character as the opening fence, at least as many, and nothing else on the line.
        var trimmed = line.Trim();
        return trimmed.StartsWith(ticks, StringComparison.Ordinal) && trimmed.TrimEnd(ticks[0]).Length == 0;
    }

    // A backtick fence's info string holds no backtick; a tilde fence's may (CommonMark).
    [GeneratedRegex(@"^(?<indent>\s*)(?:(?<ticks>```+)(?<info>[^`]*)|(?<ticks>~~~+)(?<info>.*))$")]
    private static partial Regex Fence();
}
