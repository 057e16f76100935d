using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// Degraders calling into another project of the same solution. A command-line build sees that project as a compiled
/// image; the IDE (and any in-process host) hands the analyzer a reference to its compilation, whose symbols still carry
/// syntax. The prover reads bodies only of its own compilation, so both must give the same verdicts, and neither may read
/// the other project's source as if it were this one's.
/// </summary>
public sealed class PurityAcrossProjectsTests
{
    private const string Library = """
        namespace Contoso.Imaging;

        public static class Downsampler
        {
            public static int Calls;
            public static int Half(int x) => x / 2;
            public static int Counted(int x) { Calls++; return x; }
            public static int Depth { get { Calls++; return 1; } }
        }

        public record Reading(int Value);

        public class Shape { public virtual int Area(int side) => side * side; }
        """;

    private const string Consumer = """
        using Contoso.Imaging;
        using Reactive.Streams;

        sealed class Local : Shape { public static int N; public override int Area(int side) { N++; return side; } }

        sealed class Probe
        {
            object A() => StubFactory.DegradeQuality<int>(4, static x => Downsampler.Half(x));
            object B() => StubFactory.DegradeQuality<int>(4, static x => Downsampler.Counted(x));
            object C() => StubFactory.DegradeQuality<int>(4, Downsampler.Half);
            object D() => StubFactory.DegradeQuality<Reading>(4, static r => r with { Value = r.Value / 2 + r.GetHashCode() % 2 });
            object E() => StubFactory.DegradeQuality<int>(4, static x => x + Downsampler.Depth);
            object F() => StubFactory.DegradeQuality<Shape>(4, static s => s.Area(2) > 0 ? s : s);
        }
        """;

    private static readonly string[] s_expected =
    [
        "8: Degrader 'lambda' is not pure: lambda \u2192 calls 'Downsampler.Half', which is not known to be pure (Test0.cs:8)",
        "9: Degrader 'lambda' is not pure: lambda \u2192 calls 'Downsampler.Counted', which is not known to be pure (Test0.cs:9)",
        "10: Degrader 'Half' is not pure: Half \u2192 calls 'Downsampler.Half', which is not known to be pure (Test0.cs:10)",
        "13: Degrader 'lambda' is not pure: lambda \u2192 calls 'Shape.Area', which is not known to be pure (Test0.cs:13)",
    ];

    [Fact]
    public async Task A_project_referenced_as_a_compiled_image_has_its_members_judged_as_compiled_code()
    {
        var library = LibraryCompilation();
        using var image = new MemoryStream();
        Assert.True(library.Emit(image).Success);

        Assert.Equal(s_expected, await FindingsAsync(MetadataReference.CreateFromImage(image.ToArray())));
    }

    [Fact]
    public async Task A_project_referenced_as_a_compilation_gets_the_same_verdicts_as_its_compiled_image()
    {
        // Its symbols have syntax, in trees that are not this compilation's: not read as this project's source.
        Assert.Equal(s_expected, await FindingsAsync(LibraryCompilation().ToMetadataReference()));
    }

    private static CSharpCompilation LibraryCompilation() =>
        CSharpCompilation.Create(
            "Contoso.Imaging",
            [CSharpSyntaxTree.ParseText(Library, CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest), path: "Library.cs")],
            TestReferences.Runtime,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    private static async Task<string[]> FindingsAsync(MetadataReference library)
    {
        var parse = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Test",
            [CSharpSyntaxTree.ParseText(Consumer, parse, path: "Test0.cs"), CSharpSyntaxTree.ParseText(Stubs.Source, parse, path: "Stubs.cs")],
            TestReferences.Runtime.AddRange(TestReferences.Library).Add(library),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ImpureDegraderAnalyzer())).GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return diagnostics
            .OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => (d.Location.GetLineSpan().StartLinePosition.Line + 1).ToString(CultureInfo.InvariantCulture) + ": " + d.GetMessage(CultureInfo.InvariantCulture))
            .ToArray();
    }
}
