using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Reactive.Streams.Tests.Docs;

/// <summary>
/// Every <c>```csharp</c> block of the guides listed here compiles, on its own, as a console program with the SDK's
/// implicit usings against this build of the library, so the guides cannot drift from the API.
/// </summary>
public partial class DocSnippetTests
{
    private static readonly string[] ImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(
            [
                typeof(ICanal<>).Assembly.Location,
                typeof(Reactive.Streams.Testing.TestScheduler).Assembly.Location,
                typeof(Microsoft.Extensions.Time.Testing.FakeTimeProvider).Assembly.Location,
                typeof(System.Reactive.Linq.Observable).Assembly.Location,
            ])
            .Distinct(StringComparer.Ordinal)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());

    public static TheoryData<string, int> Snippets()
    {
        var data = new TheoryData<string, int>();
        foreach (var page in new[] { "canal.md", "delivery.md" })
        {
            var count = Extract(page).Count;
            Assert.True(count > 0, $"docs/{page} has no C# snippet");
            for (var i = 0; i < count; i++)
            {
                data.Add(page, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void The_snippet_compiles(string page, int index)
    {
        var snippet = Extract(page)[index];
        var usings = string.Concat(ImplicitUsings.Select(u => $"global using {u};\n"));
        var compilation = CSharpCompilation.Create(
            $"snippet_{Path.GetFileNameWithoutExtension(page)}_{index}",
            [
                CSharpSyntaxTree.ParseText(usings, new CSharpParseOptions(LanguageVersion.Latest)),
                CSharpSyntaxTree.ParseText(snippet, new CSharpParseOptions(LanguageVersion.Latest)),
            ],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

        Assert.True(errors.Count == 0, $"docs/{page}, C# snippet {index + 1}:\n{string.Join("\n", errors)}\n\n{snippet}");
    }

    private static List<string> Extract(string page)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", page));
        return [.. CSharpBlock().Matches(text).Select(m => m.Groups["code"].Value)];
    }

    [GeneratedRegex(@"^```csharp\r?\n(?<code>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();
}
