using System.Collections.Immutable;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators;

namespace Reactive.Streams.Benchmarks.Generators;

/// <summary>
/// Target: for 200 unions of 6 variants, running the generator costs at most 10% of compiling the code (the user's and
/// the generated), and re-running it after an unrelated edit is cheaper still (every step cached; the tests prove no
/// emit step runs). Baseline: the compiler's own binding and emit of the same code.
/// </summary>
[MemoryDiagnoser]
public class GeneratorCostBenchmarks
{
    private const int Unions = 200;

    private static readonly CSharpParseOptions s_parse = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);
    private static readonly CSharpCompilationOptions s_options = new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);

    private ImmutableArray<MetadataReference> _references;
    private SyntaxTree[] _userTrees = [];
    private SyntaxTree[] _generatedTrees = [];
    private GeneratorDriver _warmDriver = null!;
    private CSharpCompilation _editedCompilation = null!;

    [GlobalSetup]
    public void Setup()
    {
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        _references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == frameworkDirectory)
            .Append(typeof(EventUnionAttribute).Assembly.Location)
            .Select(static p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();

        _userTrees = Enumerable.Range(0, Unions)
            .Select(i => CSharpSyntaxTree.ParseText(UnionSource(i), s_parse, $"Union{i}.cs"))
            .Append(CSharpSyntaxTree.ParseText("namespace Bench; public static class Unrelated { public static int F() => 1; }", s_parse, "Unrelated.cs"))
            .ToArray();

        var compilation = Compilation(_userTrees);
        _warmDriver = CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator()], parseOptions: s_parse).RunGenerators(compilation);
        _generatedTrees = _warmDriver.GetRunResult().GeneratedTrees.ToArray();
        if (_generatedTrees.Length != Unions)
        {
            throw new InvalidOperationException($"Expected {Unions} generated files, got {_generatedTrees.Length}.");
        }

        var unrelated = _userTrees[^1];
        _editedCompilation = compilation.ReplaceSyntaxTree(
            unrelated,
            CSharpSyntaxTree.ParseText("namespace Bench; public static class Unrelated { public static int F() => 2; }", s_parse, "Unrelated.cs"));
    }

    /// <summary>The compiler binding and emitting the user's code plus the generated code.</summary>
    [Benchmark(Baseline = true)]
    public long Compile()
    {
        using var stream = new MemoryStream();
        var result = Compilation([.. _userTrees, .. _generatedTrees]).Emit(stream);
        return result.Success ? stream.Length : throw new InvalidOperationException(string.Join('\n', result.Diagnostics.Take(5)));
    }

    /// <summary>The generator on a fresh compilation: parse every union into a model, emit every file.</summary>
    [Benchmark]
    public int Generate()
        => CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator()], parseOptions: s_parse)
            .RunGenerators(Compilation(_userTrees))
            .GetRunResult().GeneratedTrees.Length;

    /// <summary>The generator again after an edit to a file with no annotated type.</summary>
    [Benchmark]
    public int RegenerateAfterUnrelatedEdit()
        => _warmDriver.RunGenerators(_editedCompilation).GetRunResult().GeneratedTrees.Length;

    private CSharpCompilation Compilation(IEnumerable<SyntaxTree> trees) => CSharpCompilation.Create("Bench", trees, _references, s_options);

    internal static string UnionSource(int i)
    {
        var source = new StringBuilder();
        source.AppendLine("using System;");
        source.AppendLine("using Reactive.Streams;");
        source.AppendLine("namespace Bench;");
        source.AppendLine($"[EventUnion] public abstract partial record Union{i}");
        source.AppendLine("{");
        for (var v = 0; v < 6; v++)
        {
            source.AppendLine($"    public sealed record Variant{v}(long Cursor, string ExecutionId, DateTimeOffset At, int Count{v}, string? Note{v}) : Union{i};");
        }

        source.AppendLine("}");
        return source.ToString();
    }
}
