using System.Collections.Immutable;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators;

namespace Reactive.Streams.Benchmarks.Generators;

/// <summary>
/// Issue 19's corpora, compiled in process on one thread (binding and emit, as csc /parallel- does): 200 unions of 5
/// variants, and a 500-file project with records and classes with base lists and no union.
/// </summary>
internal static class UnionCorpus
{
    public const int Unions = 200;

    public static readonly CSharpParseOptions Parse = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    private static readonly CSharpCompilationOptions s_options = new(
        OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, concurrentBuild: false);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(static () =>
    {
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == frameworkDirectory)
            .Append(typeof(EventUnionAttribute).Assembly.Location)
            .Select(static p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    });

    /// <summary>One union of 5 variants of 5 positional parameters (3 shared); without the package, the same records unannotated.</summary>
    public static string Union(int i, bool annotated, string countType = "int")
    {
        var source = new StringBuilder();
        source.AppendLine("using System;");
        if (annotated)
        {
            source.AppendLine("using Reactive.Streams;");
        }

        source.AppendLine("namespace Bench;");
        if (annotated)
        {
            source.AppendLine("[EventUnion]");
        }

        source.AppendLine($"public abstract partial record Union{i}");
        source.AppendLine("{");
        for (var v = 0; v < 5; v++)
        {
            source.AppendLine($"    public sealed record Variant{v}(long Cursor, string ExecutionId, DateTimeOffset At, {(v == 3 ? countType : "int")} Count{v}, string? Note{v}) : Union{i};");
        }

        source.AppendLine("}");
        return source.ToString();
    }

    /// <summary>Half records deriving from records, half classes implementing interfaces and deriving from classes.</summary>
    public static string Plain(int i) => i % 2 == 0
        ? $$"""
            namespace Plain.N{{i}};
            public abstract record Base{{i}}(int Id);
            public sealed record Derived{{i}}(int Id, string Name) : Base{{i}}(Id), System.IComparable<Derived{{i}}>
            {
                public int CompareTo(Derived{{i}}? other) => Id.CompareTo(other?.Id ?? 0);
            }
            """
        : $$"""
            namespace Plain.N{{i}};
            public class Service{{i}} : System.IDisposable
            {
                public void Dispose() { }
            }
            public sealed class Special{{i}} : Service{{i}}, System.IEquatable<Special{{i}}>
            {
                public bool Equals(Special{{i}}? other) => ReferenceEquals(this, other);
                public override bool Equals(object? obj) => Equals(obj as Special{{i}});
                public override int GetHashCode() => 0;
            }
            """;

    public static SyntaxTree Tree(string source, string path) => CSharpSyntaxTree.ParseText(source, Parse, path);

    public static CSharpCompilation Compilation(IEnumerable<SyntaxTree> trees) => CSharpCompilation.Create("Bench", trees, s_references.Value, s_options);

    public static GeneratorDriver Driver() => CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator()], parseOptions: Parse);

    /// <summary>Binds and emits; throws on an error so a broken corpus is not timed.</summary>
    public static long Emit(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        return result.Success ? stream.Length : throw new InvalidOperationException(string.Join('\n', result.Diagnostics.Where(static d => d.Severity == DiagnosticSeverity.Error).Take(5)));
    }

    /// <summary>Runs the generator, then binds and emits the user's code with its output.</summary>
    public static long GenerateAndEmit(CSharpCompilation compilation)
    {
        Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return diagnostics.IsEmpty ? Emit(output) : throw new InvalidOperationException(string.Join('\n', diagnostics.Take(5)));
    }
}

/// <summary>
/// Target (issue 19): 200 unions of 5 variants compile in at most 1.5x the time of the same records without the package.
/// Baseline: the same records, unannotated, compiled alone. Each benchmark parses its trees afresh.
/// </summary>
[MemoryDiagnoser]
public class UnionCorpusBuildBenchmarks
{
    [Benchmark(Baseline = true)]
    public long WithoutPackage()
        => UnionCorpus.Emit(UnionCorpus.Compilation(Enumerable.Range(0, UnionCorpus.Unions).Select(static i => UnionCorpus.Tree(UnionCorpus.Union(i, annotated: false), $"Union{i}.cs"))));

    [Benchmark]
    public long WithGenerator()
        => UnionCorpus.GenerateAndEmit(UnionCorpus.Compilation(Enumerable.Range(0, UnionCorpus.Unions).Select(static i => UnionCorpus.Tree(UnionCorpus.Union(i, annotated: true), $"Union{i}.cs"))));
}

/// <summary>
/// Target (issue 19): after an edit to one of 200 unions, the warm driver costs at most 0.1 of a fresh one.
/// Baseline: a fresh driver on the edited compilation.
/// </summary>
[MemoryDiagnoser]
public class UnionDriverBenchmarks
{
    private GeneratorDriver _warm = null!;
    private GeneratorDriver _warmLookup = null!;
    private SyntaxTree[] _trees = [];
    private string _edited = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _trees = Enumerable.Range(0, UnionCorpus.Unions).Select(static i => UnionCorpus.Tree(UnionCorpus.Union(i, annotated: true), $"Union{i}.cs")).ToArray();
        _warm = UnionCorpus.Driver().RunGenerators(UnionCorpus.Compilation(_trees));
        _warmLookup = CSharpGeneratorDriver.Create([new AttributeLookupOnly().AsSourceGenerator()], parseOptions: UnionCorpus.Parse)
            .RunGenerators(UnionCorpus.Compilation(_trees));
        _edited = UnionCorpus.Union(17, annotated: true, countType: "long");
    }

    // Each iteration edits union 17 on a new compilation of the same trees, as an IDE does after a keystroke.
    private CSharpCompilation Edited()
    {
        var compilation = UnionCorpus.Compilation(_trees);
        return compilation.ReplaceSyntaxTree(_trees[17], UnionCorpus.Tree(_edited, "Union17.cs"));
    }

    [Benchmark(Baseline = true)]
    public int FreshDriver() => UnionCorpus.Driver().RunGenerators(Edited()).GetRunResult().GeneratedTrees.Length;

    [Benchmark]
    public int WarmDriverAfterOneUnionEdit() => _warm.RunGenerators(Edited()).GetRunResult().GeneratedTrees.Length;

    /// <summary>
    /// The floor under the warm driver: the same edit, warm, with a generator whose only step is
    /// <c>ForAttributeWithMetadataName</c> on <c>[EventUnion]</c> with a transform that reads the union's name. What it
    /// costs (the new compilation's declarations, a semantic model per file, binding each union's attribute and declared
    /// symbol) every generator on that attribute pays after every edit.
    /// </summary>
    [Benchmark]
    public int WarmAttributeLookupOnly() => _warmLookup.RunGenerators(Edited()).GetRunResult().Results.Length;

    private sealed class AttributeLookupOnly : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var names = context.SyntaxProvider.ForAttributeWithMetadataName(
                "Reactive.Streams.EventUnionAttribute",
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                static (c, _) => c.TargetSymbol.Name);
            context.RegisterSourceOutput(names, static (_, _) => { });
        }
    }
}

/// <summary>
/// Target (issue 19): on a 500-file project without unions the generator costs at most 1% of compile time. Baseline:
/// the same project compiled without the generator.
/// </summary>
[MemoryDiagnoser]
public class NoUnionProjectBenchmarks
{
    private const int Files = 500;

    [Benchmark(Baseline = true)]
    public long WithoutGenerator() => UnionCorpus.Emit(UnionCorpus.Compilation(Trees()));

    [Benchmark]
    public long WithGenerator() => UnionCorpus.GenerateAndEmit(UnionCorpus.Compilation(Trees()));

    private SyntaxTree[] _parsed = [];

    [GlobalSetup]
    public void Setup() => _parsed = Trees().ToArray();

    /// <summary>The generator's own share: a fresh driver on a new compilation of the parsed files (csc parses them
    /// anyway). A difference of 1% between the two compiles above is below the noise of a shared machine; this is not.</summary>
    [Benchmark]
    public int GeneratorAlone() => UnionCorpus.Driver().RunGenerators(UnionCorpus.Compilation(_parsed)).GetRunResult().GeneratedTrees.Length;

    private static IEnumerable<SyntaxTree> Trees() => Enumerable.Range(0, Files).Select(static i => UnionCorpus.Tree(UnionCorpus.Plain(i), $"Plain{i}.cs"));
}
