using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// <c>reactive_streams.pure_members</c> as the RXS0004 page documents it: third-party members (or whole types) a user
/// declares pure, as <c>Namespace.Type</c> or <c>Namespace.Type.Member</c>, comma-separated, in .editorconfig. The
/// third-party code here is a compiled library, as a NuGet package is; the names are the ones the rule's message shows
/// (<c>calls 'Cache.Get', which is not known to be pure</c>), qualified by namespace.
/// </summary>
public sealed class PureMembersConfigurationTests
{
    private const string Library = """
        namespace Contoso.Imaging;

        public static class Downsampler
        {
            public static int Half(int x) => x / 2;
            public static int Quarter(int x) => x / 4;
            public static T Same<T>(T x) => x;
        }

        public sealed class Cache<T>
        {
            public T Get(T x) => x;
            public T Peek(T x) => x;
            public static T Shared(T x) => x;
        }

        public sealed class Pair<TKey, TValue>
        {
            public static TKey Key(TKey k) => k;
        }

        public static class Outer<T>
        {
            public static class Inner
            {
                public static int Scale(int x) => x * 2;
            }
        }
        """;

    private static readonly Lazy<MetadataReference> s_library = new(() =>
    {
        var compilation = CSharpCompilation.Create(
            "Contoso.Imaging",
            [CSharpSyntaxTree.ParseText(Library, CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest))],
            TestReferences.Runtime,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join(Environment.NewLine, emitted.Diagnostics));
        return MetadataReference.CreateFromImage(image.ToArray());
    });

    private static DiagnosticResult Impure(int location, string name, string why) =>
        new DiagnosticResult(DiagnosticIds.ImpureDegrader, DiagnosticSeverity.Error).WithLocation(location).WithArguments(name, why)
            .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);

    [Fact]
    public Task Without_configuration_the_library_s_members_are_reported_with_the_names_a_user_then_declares() =>
        RunAsync(
            """
            using Contoso.Imaging;
            using Reactive.Streams;

            class C
            {
                object A() => StubFactory.DegradeQuality<int>(4, {|#0:static x => new Cache<int>().Get(x)|});
                object B() => StubFactory.DegradeQuality<int>(4, {|#1:static x => Pair<int, string>.Key(x)|});
                object D() => StubFactory.DegradeQuality<int>(4, {|#2:static x => Outer<string>.Inner.Scale(x)|});
            }
            """,
            editorConfig: null,
            Impure(0, "lambda", "lambda \u2192 calls 'Cache.Get', which is not known to be pure (Test0.cs:6)"),
            Impure(1, "lambda", "lambda \u2192 calls 'Pair.Key', which is not known to be pure (Test0.cs:7)"),
            Impure(2, "lambda", "lambda \u2192 calls 'Inner.Scale', which is not known to be pure (Test0.cs:8)"));

    [Fact]
    public Task A_generic_type_is_declared_pure_by_its_name_as_a_type_or_with_a_member() =>
        // `Contoso.Imaging.Cache<T>` cannot be written: the list is split at spaces and commas, so `Pair<TKey, TValue>`
        // would be two entries. The name without type parameters is the one a user can write and the one C# uses in
        // `nameof(Cache<int>)` and cref-free prose.
        RunAsync(
            """
            using Contoso.Imaging;
            using Reactive.Streams;

            class C
            {
                object A() => StubFactory.DegradeQuality<int>(4, static x => new Cache<int>().Get(x));
                object B() => StubFactory.DegradeQuality<int>(4, {|#0:static x => new Cache<int>().Peek(x)|});
                object E() => StubFactory.DegradeQuality<int>(4, static x => Pair<int, string>.Key(x));
                object F() => StubFactory.DegradeQuality<int>(4, static x => Outer<string>.Inner.Scale(x));
                object G() => StubFactory.DegradeQuality<string>(4, static s => Cache<string>.Shared(s));
            }
            """,
            "reactive_streams.pure_members = Contoso.Imaging.Cache.Get, Contoso.Imaging.Cache.Shared, Contoso.Imaging.Pair, Contoso.Imaging.Outer.Inner.Scale\n",
            Impure(0, "lambda", "lambda \u2192 calls 'Cache.Peek', which is not known to be pure (Test0.cs:7)"));

    [Fact]
    public Task A_declared_member_is_trusted_as_a_call_and_as_a_method_group_and_its_neighbours_are_not() =>
        RunAsync(
            """
            using Contoso.Imaging;
            using Reactive.Streams;

            class C
            {
                object A() => StubFactory.DegradeQuality<int>(4, static x => Downsampler.Half(x) + Downsampler.Same(x));
                object B() => StubFactory.DegradeQuality<int>(4, Downsampler.Half);
                object D() => StubFactory.DegradeQuality<int>(4, {|#0:Downsampler.Quarter|});
            }
            """,
            "reactive_streams.pure_members = Contoso.Imaging.Downsampler.Half,Contoso.Imaging.Downsampler.Same\n",
            Impure(0, "Quarter", "Quarter \u2192 calls 'Downsampler.Quarter', which is not known to be pure (Test0.cs:8)"));

    [Fact]
    public Task The_declaration_applies_to_the_files_its_section_matches_and_a_global_config_applies_everywhere()
    {
        const string Degraders = """
            using Contoso.Imaging;
            using Reactive.Streams;

            class InDegraders
            {
                object A() => StubFactory.DegradeQuality<int>(4, static x => Downsampler.Half(x));
                object B() => StubFactory.DegradeQuality<int>(4, {|#1:static x => Downsampler.Quarter(x)|});
            }
            """;
        const string Elsewhere = """
            using Contoso.Imaging;
            using Reactive.Streams;

            class Elsewhere
            {
                object A() => StubFactory.DegradeQuality<int>(4, {|#0:static x => Downsampler.Half(x)|});
                object B() => StubFactory.DegradeQuality<int>(4, static x => Downsampler.Quarter(x));
            }
            """;
        var test = NewTest(editorConfig: null, ("/0/Degraders.cs", Degraders), ("/0/Elsewhere.cs", Elsewhere));
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[Degraders.cs]\nreactive_streams.pure_members = Contoso.Imaging.Downsampler.Half\n"));
        test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\nreactive_streams.pure_members = Contoso.Imaging.Downsampler.Quarter\n"));

        // A key set in an .editorconfig section replaces the global config's value for the files the section matches.
        test.ExpectedDiagnostics.Add(Impure(1, "lambda", "lambda \u2192 calls 'Downsampler.Quarter', which is not known to be pure (Degraders.cs:7)"));
        test.ExpectedDiagnostics.Add(Impure(0, "lambda", "lambda \u2192 calls 'Downsampler.Half', which is not known to be pure (Elsewhere.cs:6)"));
        return test.RunAsync();
    }

    private static Task RunAsync(string source, string? editorConfig, params DiagnosticResult[] expected)
    {
        var test = NewTest(editorConfig, ("/0/Test0.cs", source));
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    private static CSharpAnalyzerTest<ImpureDegraderAnalyzer, DefaultVerifier> NewTest(string? editorConfig, params (string Path, string Source)[] sources)
    {
        var test = new CSharpAnalyzerTest<ImpureDegraderAnalyzer, DefaultVerifier>();
        foreach (var source in sources)
        {
            test.TestState.Sources.Add(source);
        }

        test.TestState.ReferenceAssemblies = TestReferences.None;
        test.TestState.AdditionalReferences.AddRange(TestReferences.Runtime);
        test.TestState.AdditionalReferences.AddRange(TestReferences.Library);
        test.TestState.AdditionalReferences.Add(s_library.Value);
        test.TestState.Sources.Add(("/0/Stubs.cs", Stubs.Source));
        if (editorConfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*.cs]\n" + editorConfig));
        }

        return test;
    }
}
