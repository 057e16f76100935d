using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Reactive.Streams.Analyzers.Tests;

public sealed class DescriptorTests
{
    private static readonly DiagnosticDescriptor[] s_descriptors = typeof(DiagnosticIds).Assembly.GetTypes()
        .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
        .SelectMany(t => ((DiagnosticAnalyzer)Activator.CreateInstance(t)!).SupportedDiagnostics)
        .ToArray();

    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var descriptor in s_descriptors)
        {
            data.Add(descriptor.Id);
        }

        return data;
    }

    [Fact]
    public void Every_id_constant_has_exactly_one_descriptor()
    {
        var constants = typeof(DiagnosticIds).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).Order().ToArray();
        Assert.Equal(["RXS0001", "RXS0002", "RXS0003", "RXS0004", "RXS0005", "RXS0006", "RXS0007"], constants);
        Assert.Equal(constants, s_descriptors.Select(d => d.Id).Order().ToArray());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Help_link_points_at_the_rule_page_which_exists(string id)
    {
        var descriptor = s_descriptors.Single(d => d.Id == id);
        Assert.EndsWith("/docs/rules/" + id + ".md", descriptor.HelpLinkUri, StringComparison.Ordinal);
        var page = Path.Combine(AppContext.BaseDirectory, "rules", id + ".md");
        Assert.True(File.Exists(page), $"{descriptor.HelpLinkUri} has no page at docs/rules/{id}.md");
        var text = File.ReadAllText(page);
        Assert.StartsWith("# " + id + ":", text, StringComparison.Ordinal);
        Assert.Contains("## Bad", text, StringComparison.Ordinal);
        Assert.Contains("## Good", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_diagnostic." + id + ".severity", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Rule_page_states_the_descriptor_s_title_severity_category_and_whether_a_fix_is_offered(string id)
    {
        var descriptor = s_descriptors.Single(d => d.Id == id);
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "rules", id + ".md"));
        Assert.Equal("# " + id + ": " + descriptor.Title, lines[0].Replace("`", string.Empty, StringComparison.Ordinal));
        Assert.Contains("| Severity | " + descriptor.DefaultSeverity + " |", lines);
        Assert.Contains("| Category | " + descriptor.Category + " |", lines);
        Assert.True(descriptor.IsEnabledByDefault, id + " is not enabled by default");

        var fixRow = Assert.Single(lines, l => l.StartsWith("| Code fix | ", StringComparison.Ordinal));
        var hasFix = typeof(Reactive.Streams.Analyzers.CodeFixes.Fixes.AddBackpressureAttributeCodeFix).Assembly.GetTypes()
            .Where(t => typeof(Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract)
            .Any(t => ((Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider)Activator.CreateInstance(t)!).FixableDiagnosticIds.Contains(id));
        Assert.True(hasFix == fixRow.StartsWith("| Code fix | Yes", StringComparison.Ordinal), $"{id}: the page says '{fixRow}', a code fix {(hasFix ? "exists" : "does not exist")}");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Release_tracking_lists_the_rule_with_its_default_severity(string id)
    {
        var descriptor = s_descriptors.Single(d => d.Id == id);
        var unshipped = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "AnalyzerReleases.Unshipped.md"));
        var shipped = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "AnalyzerReleases.Shipped.md"));
        var line = new Regex("^" + id + @"\s*\|\s*" + Regex.Escape(descriptor.Category) + @"\s*\|\s*" + descriptor.DefaultSeverity + @"\s*\|", RegexOptions.Multiline);
        Assert.True(line.IsMatch(unshipped) || line.IsMatch(shipped), $"{id} is not tracked as {descriptor.Category}/{descriptor.DefaultSeverity}");
    }

    [Fact]
    public void The_readme_diagnostics_table_lists_every_rule_with_its_default_severity()
    {
        // README.md's table is what a user reads first: one row per analyzer rule, and one row for the generator's range.
        var rows = File.ReadAllLines(Path.Combine(Snippets.MarkdownSnippets.Root, "README.md"))
            .Select(l => Regex.Match(l, @"^\| \[(?<ids>RXS\d{4}(?:-RXS\d{4})?)\]\((?<link>[^)]+)\) \| (?<severity>\w+) \|"))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups["ids"].Value, m => (Link: m.Groups["link"].Value, Severity: m.Groups["severity"].Value));

        foreach (var descriptor in s_descriptors)
        {
            Assert.True(rows.TryGetValue(descriptor.Id, out var row), $"README.md's diagnostics table has no row for {descriptor.Id}");
            Assert.Equal($"docs/rules/{descriptor.Id}.md", row.Link);
            Assert.Equal(descriptor.DefaultSeverity.ToString().ToLowerInvariant(), row.Severity);
        }

        var generator = typeof(Reactive.Streams.Generators.EventUnionGenerator).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .OrderBy(d => d.Id, StringComparer.Ordinal)
            .ToArray();
        Assert.NotEmpty(generator);
        var range = Assert.Single(rows, r => r.Key.Contains('-', StringComparison.Ordinal));
        Assert.Equal($"{generator[0].Id}-{generator[^1].Id}", range.Key);
        Assert.Equal(generator.Length, int.Parse(generator[^1].Id[3..], System.Globalization.CultureInfo.InvariantCulture) - int.Parse(generator[0].Id[3..], System.Globalization.CultureInfo.InvariantCulture) + 1);
        Assert.All(generator, d => Assert.Equal(DiagnosticSeverity.Error, d.DefaultSeverity));
        Assert.Equal("error", range.Value.Severity);
        Assert.All(generator, d => Assert.True(File.Exists(Path.Combine(Snippets.MarkdownSnippets.Root, "docs", "rules", d.Id + ".md")), $"{d.Id} has no page"));
    }
}
