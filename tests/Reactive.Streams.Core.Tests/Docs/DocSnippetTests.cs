using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Reactive.Streams.Tests.Docs;

/// <summary>
/// The C# snippets of the guides listed here compile against this build of the library, as console programs with the
/// SDK's implicit usings, so the guides cannot drift from the API. Each snippet is a program of its own, unless an HTML
/// comment right before it says <c>&lt;!-- snippet: continues --&gt;</c>: then it is appended to the program of the
/// snippet above (a guide that builds on one example). <c>prelude: code</c> in the same comment puts hidden code
/// before the snippet (a variable the text only describes).
/// </summary>
public partial class DocSnippetTests
{
    private static readonly string[] Pages = ["canal.md", "delivery.md", "stream-log.md"];

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

    public static TheoryData<string, int> Programs()
    {
        var data = new TheoryData<string, int>();
        foreach (var page in Pages)
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
    [MemberData(nameof(Programs))]
    public void The_snippets_compile(string page, int index)
    {
        var program = Extract(page)[index];
        var usings = string.Concat(ImplicitUsings.Select(u => $"global using {u};\n"));
        var compilation = CSharpCompilation.Create(
            $"snippet_{Path.GetFileNameWithoutExtension(page).Replace('-', '_')}_{index}",
            [
                CSharpSyntaxTree.ParseText(usings, new CSharpParseOptions(LanguageVersion.Latest)),
                CSharpSyntaxTree.ParseText(program, new CSharpParseOptions(LanguageVersion.Latest)),
            ],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

        Assert.True(errors.Count == 0, $"docs/{page}, program {index + 1}:\n{string.Join("\n", errors)}\n\n{program}");
    }

    /// <summary>The page's programs: its snippets, each on its own or appended to the one above as its comment says.</summary>
    private static List<string> Extract(string page)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", page));
        var programs = new List<string>();
        foreach (Match block in CSharpBlock().Matches(text))
        {
            var code = block.Groups["code"].Value;
            var directive = block.Groups["directive"];
            var prelude = block.Groups["prelude"];
            if (prelude.Success)
            {
                code = prelude.Value + "\n" + code;
            }

            if (directive.Success && programs.Count > 0)
            {
                programs[^1] += "\n{\n" + code + "}\n";
            }
            else
            {
                programs.Add(code);
            }
        }

        return programs;
    }

    [GeneratedRegex(@"(?:^<!-- snippet: (?<directive>continues)(?:; prelude: (?<prelude>.*?))? -->\r?\n)?^```csharp\r?\n(?<code>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();
}
