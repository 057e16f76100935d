using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests;

/// <summary>
/// The generator's steps stay cached when an edit does not touch an annotated type, and an edit to one union re-emits
/// that union only.
/// </summary>
public sealed class IncrementalityTests
{
    private const string SecondUnion = """
        #pragma warning disable CS1591
        using Reactive.Streams;

        namespace Consumer.Tags;

        [EventUnion]
        public abstract partial record TagEvent
        {
            public sealed record Attached(string Key, string Value) : TagEvent;

            public sealed record Cleared(string Key) : TagEvent;
        }
        """;

    private static readonly string[] s_steps =
    {
        TrackingNames.UnionResult, TrackingNames.UnionModel, TrackingNames.StrayVariant,
        TrackingNames.SinkResult, TrackingNames.SinkModel,
    };

    [Fact]
    public void An_edit_to_an_unrelated_file_leaves_every_step_cached_or_unchanged_and_emits_nothing_again()
    {
        var compilation = TestCompilation.Create(Sources.LeaseHistory, Sources.Completion, Sources.LeaseSink, SecondUnion, Sources.Unrelated);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var unrelated = compilation.SyntaxTrees.Single(static t => t.FilePath == "Source4.cs");

        var edited = compilation.ReplaceSyntaxTree(
            unrelated,
            CSharpSyntaxTree.ParseText(Sources.Unrelated.Replace("value * 2", "value + value", StringComparison.Ordinal), TestCompilation.ParseOptions, "Source4.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.Empty(result.Diagnostics);
        Assert.Equal(4, result.GeneratedSources.Length);
        foreach (var step in s_steps)
        {
            AssertAllCachedOrUnchanged(result, step);
        }

        var emitted = result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs).ToList();
        Assert.NotEmpty(emitted);
        Assert.All(emitted, static o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void With_200_unions_of_6_variants_an_unrelated_edit_re_runs_no_emit_step()
    {
        var sources = Enumerable.Range(0, 200).Select(LargeUnion).Append(Sources.Unrelated).ToArray();
        var compilation = TestCompilation.Create(sources);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var unrelated = compilation.SyntaxTrees.Single(static t => t.FilePath == "Source200.cs");

        var edited = compilation.ReplaceSyntaxTree(
            unrelated,
            CSharpSyntaxTree.ParseText(Sources.Unrelated.Replace("value * 2", "value << 1", StringComparison.Ordinal), TestCompilation.ParseOptions, "Source200.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.Equal(200, result.GeneratedSources.Length);
        var emitted = result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs).ToList();

        // One output per union, and the stray-variant check's one collected (and here empty) set of diagnostics.
        Assert.Equal(201, emitted.Count);
        Assert.Equal(0, emitted.Count(static o => o.Reason is not IncrementalStepRunReason.Cached));
        AssertAllCachedOrUnchanged(result, TrackingNames.UnionModel);
    }

    [Fact]
    public void With_200_unions_an_edit_to_one_re_models_and_re_emits_that_union_only()
    {
        var sources = Enumerable.Range(0, 200).Select(LargeUnion).ToArray();
        var compilation = TestCompilation.Create(sources);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single(static t => t.FilePath == "Source17.cs");

        var edited = compilation.ReplaceSyntaxTree(
            tree,
            CSharpSyntaxTree.ParseText(LargeUnion(17).Replace("int Count3", "long Count3", StringComparison.Ordinal), TestCompilation.ParseOptions, "Source17.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.Equal(200, result.GeneratedSources.Length);

        // Roslyn re-runs the attribute step's transform for every union when the compilation changes; each union's
        // result is compared with its last one, so the 199 untouched unions stop there, Unchanged.
        var parsed = result.TrackedSteps[TrackingNames.UnionResult].SelectMany(static s => s.Outputs).ToList();
        Assert.Equal(200, parsed.Count);
        Assert.Equal(1, parsed.Count(static o => o.Reason == IncrementalStepRunReason.Modified));
        Assert.Equal(199, parsed.Count(static o => o.Reason == IncrementalStepRunReason.Unchanged));

        var models = result.TrackedSteps[TrackingNames.UnionModel].SelectMany(static s => s.Outputs).ToList();
        Assert.Equal(200, models.Count);
        Assert.Equal(1, models.Count(static o => o.Reason == IncrementalStepRunReason.Modified));
        Assert.Equal(199, models.Count(static o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

        // One union's source is emitted again; every other output (199 unions, the stray-variant check) is cached.
        var emitted = result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs).ToList();
        Assert.Equal(1, emitted.Count(static o => o.Reason == IncrementalStepRunReason.Modified));
        Assert.Equal(emitted.Count - 1, emitted.Count(static o => o.Reason == IncrementalStepRunReason.Cached));
        Assert.Contains("Of<long>(\"Count3\"", result.GeneratedSources.Single(static s => s.HintName == "Bench.Union17.EventUnion.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Moving_a_union_down_a_line_re_emits_nothing()
    {
        var compilation = TestCompilation.Create(Sources.LeaseHistory, SecondUnion);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single(static t => t.FilePath == "Source1.cs");

        var edited = compilation.ReplaceSyntaxTree(
            tree,
            CSharpSyntaxTree.ParseText(SecondUnion.Replace("[EventUnion]", "\n[EventUnion]", StringComparison.Ordinal), TestCompilation.ParseOptions, "Source1.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAllCachedOrUnchanged(result, TrackingNames.UnionModel);
        var emitted = result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs).ToList();
        Assert.All(emitted, static o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
    }

    [Fact]
    public void An_edit_to_one_union_re_emits_that_union_only()
    {
        var compilation = TestCompilation.Create(Sources.LeaseHistory, SecondUnion, Sources.Completion);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var before = driver.GetRunResult().Results.Single().GeneratedSources.ToDictionary(static s => s.HintName, static s => s.SourceText.ToString());
        var tree = compilation.SyntaxTrees.Single(static t => t.FilePath == "Source1.cs");

        var edited = compilation.ReplaceSyntaxTree(
            tree,
            CSharpSyntaxTree.ParseText(
                SecondUnion.Replace("public sealed record Cleared(string Key) : TagEvent;", "public sealed record Cleared(string Key) : TagEvent;\n    public sealed record Renamed(string Key, string NewKey) : TagEvent;", StringComparison.Ordinal),
                TestCompilation.ParseOptions,
                "Source1.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var models = result.TrackedSteps[TrackingNames.UnionModel].SelectMany(static s => s.Outputs).ToList();
        Assert.Equal(3, models.Count);
        Assert.Single(models, static o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Equal(2, models.Count(static o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

        var emitted = result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs).ToList();
        Assert.Single(emitted, static o => o.Reason == IncrementalStepRunReason.Modified);

        var after = result.GeneratedSources.ToDictionary(static s => s.HintName, static s => s.SourceText.ToString());
        var changed = after.Where(kv => before[kv.Key] != kv.Value).Select(static kv => kv.Key).ToList();
        Assert.Equal(new[] { "Consumer.Tags.TagEvent.EventUnion.g.cs" }, changed);
        Assert.Contains("Renamed", after["Consumer.Tags.TagEvent.EventUnion.g.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void Parsing_the_same_source_twice_gives_equal_models()
    {
        var first = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(TestCompilation.Create(Sources.LeaseHistory, Sources.LeaseSink)).GetRunResult().Results.Single();
        var second = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(TestCompilation.Create(Sources.LeaseHistory, Sources.LeaseSink)).GetRunResult().Results.Single();

        foreach (var step in new[] { TrackingNames.UnionModel, TrackingNames.SinkModel })
        {
            var a = first.TrackedSteps[step].SelectMany(static s => s.Outputs).Select(static o => o.Value).ToList();
            var b = second.TrackedSteps[step].SelectMany(static s => s.Outputs).Select(static o => o.Value).ToList();
            Assert.NotEmpty(a);
            Assert.Equal(a, b);
            Assert.Equal(a.Select(static v => v.GetHashCode()), b.Select(static v => v.GetHashCode()));
        }
    }

    [Theory]
    [InlineData("[")]
    [InlineData("[X")]
    [InlineData("[X]")]
    [InlineData("[X(")]
    [InlineData("namespace Consumer.Other;\n[Obsolete")]
    public void Typing_an_attribute_into_an_unrelated_file_keeps_every_output(string typed)
    {
        var compilation = TestCompilation.Create(string.Empty, Sources.LeaseHistory, Sources.Completion, Sources.LeaseSink);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var expected = Generated(driver);
        Assert.Equal(3, expected.Count);
        var tree = compilation.SyntaxTrees.First();

        // The user types the attribute one character at a time, then deletes it again.
        foreach (var text in Enumerable.Range(1, typed.Length).Select(n => typed.Substring(0, n)).Append(string.Empty))
        {
            var edited = CSharpSyntaxTree.ParseText(text, TestCompilation.ParseOptions, tree.FilePath);
            compilation = compilation.ReplaceSyntaxTree(tree, edited);
            tree = edited;
            driver = driver.RunGenerators(compilation);

            Assert.Equal(expected, Generated(driver));
        }
    }

    [Fact]
    public void A_cancelled_run_throws_OperationCanceledException_and_the_next_run_generates_everything()
    {
        var compilation = TestCompilation.Create(Sources.LeaseHistory, Sources.Completion, Sources.LeaseSink);
        var driver = TestCompilation.CreateDriver(trackSteps: true);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => driver.RunGeneratorsAndUpdateCompilation(compilation, out _, out _, cancelled.Token));

        // The driver a cancelled run leaves behind is the one it started from: running it again generates in full.
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        Assert.Empty(diagnostics);
        Assert.Equal(Generated(TestCompilation.CreateDriver().RunGenerators(compilation)), Generated(driver));
        Assert.Equal(3, Generated(driver).Count);
        Assert.Empty(output.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void A_run_cancelled_after_a_complete_one_leaves_the_driver_able_to_run_the_edit()
    {
        var compilation = TestCompilation.Create(Sources.LeaseHistory, Sources.Completion, Sources.LeaseSink);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single(static t => t.FilePath == "Source1.cs");
        var edited = compilation.ReplaceSyntaxTree(
            tree,
            CSharpSyntaxTree.ParseText(Sources.Completion.Replace("Cancelled : CompletionOutcome;", "Cancelled : CompletionOutcome;\n    public sealed record TimedOut : CompletionOutcome;", StringComparison.Ordinal), TestCompilation.ParseOptions, "Source1.cs"));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => driver.RunGenerators(edited, cancelled.Token));

        var after = Generated(driver.RunGenerators(edited));
        Assert.Equal(Generated(TestCompilation.CreateDriver().RunGenerators(edited)), after);
        Assert.Contains("TimedOut", after["Consumer.Completion.CompletionOutcome.EventUnion.g.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void Removing_a_union_removes_its_output_only_and_renaming_a_variant_re_emits_it()
    {
        var compilation = TestCompilation.Create(Sources.LeaseHistory, SecondUnion, Sources.Completion);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var tags = compilation.SyntaxTrees.Single(static t => t.FilePath == "Source1.cs");

        var renamed = compilation.ReplaceSyntaxTree(tags, CSharpSyntaxTree.ParseText(SecondUnion.Replace("Cleared", "Wiped", StringComparison.Ordinal), TestCompilation.ParseOptions, "Source1.cs"));
        var result = driver.RunGenerators(renamed).GetRunResult().Results.Single();
        var emitted = result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs).ToList();
        Assert.Single(emitted, static o => o.Reason == IncrementalStepRunReason.Modified);
        var tagSource = result.GeneratedSources.Single(static s => s.HintName == "Consumer.Tags.TagEvent.EventUnion.g.cs").SourceText.ToString();
        Assert.Contains("Wiped", tagSource, StringComparison.Ordinal);
        Assert.DoesNotContain("Cleared", tagSource, StringComparison.Ordinal);

        var removed = compilation.ReplaceSyntaxTree(tags, CSharpSyntaxTree.ParseText(Sources.Unrelated, TestCompilation.ParseOptions, "Source1.cs"));
        var before = Generated(driver);
        var after = Generated(driver.RunGenerators(removed));
        Assert.Equal(before.Keys.Where(static k => k != "Consumer.Tags.TagEvent.EventUnion.g.cs").Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        Assert.All(after, kv => Assert.Equal(before[kv.Key], kv.Value));
    }

    [Theory]
    [InlineData("// a comment\n")]
    [InlineData("   \n\n")]
    [InlineData("using System.Linq;\n")]
    public void A_comment_whitespace_or_a_using_in_a_union_s_file_re_emits_nothing(string prefix)
    {
        var compilation = TestCompilation.Create(Sources.LeaseHistory, SecondUnion, Sources.LeaseSink);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var before = Generated(driver);
        var tree = compilation.SyntaxTrees.Single(static t => t.FilePath == "Source1.cs");

        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(prefix + SecondUnion, TestCompilation.ParseOptions, "Source1.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in s_steps)
        {
            AssertAllCachedOrUnchanged(result, step);
        }

        var emitted = result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs).ToList();
        Assert.All(emitted, static o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.Equal(before, result.GeneratedSources.ToDictionary(static s => s.HintName, static s => s.SourceText.ToString()));
    }

    [Fact]
    public void A_new_reference_no_union_uses_and_a_new_unrelated_file_re_emit_nothing()
    {
        var compilation = TestCompilation.Create(Sources.LeaseHistory, SecondUnion, Sources.LeaseSink);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var before = Generated(driver);
        var library = CSharpCompilation.Create("Library", new[] { CSharpSyntaxTree.ParseText("namespace Library; public static class Tool { public static int One => 1; }", TestCompilation.ParseOptions) }, TestCompilation.References, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

        var edited = compilation
            .AddReferences(library.ToMetadataReference())
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Consumer.Other; [System.Obsolete] public static class Added { }", TestCompilation.ParseOptions, "Added.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in s_steps)
        {
            AssertAllCachedOrUnchanged(result, step);
        }

        var emitted = result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs).ToList();
        Assert.NotEmpty(emitted);
        Assert.All(emitted, static o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.Equal(before, result.GeneratedSources.ToDictionary(static s => s.HintName, static s => s.SourceText.ToString()));
    }

    private static Dictionary<string, string> Generated(GeneratorDriver driver)
        => driver.GetRunResult().Results.Single().GeneratedSources.ToDictionary(static s => s.HintName, static s => s.SourceText.ToString());

    private static string LargeUnion(int i)
    {
        var variants = string.Join("\n", Enumerable.Range(0, 6).Select(v =>
            $"    public sealed record Variant{v}(long Cursor, string ExecutionId, System.DateTimeOffset At, int Count{v}, string? Note{v}) : Union{i};"));
        return $"#pragma warning disable CS1591\nusing Reactive.Streams;\nnamespace Bench;\n[EventUnion]\npublic abstract partial record Union{i}\n{{\n{variants}\n}}\n";
    }

    private static void AssertAllCachedOrUnchanged(GeneratorRunResult result, string step)
    {
        if (!result.TrackedSteps.TryGetValue(step, out var runs))
        {
            return;
        }

        var outputs = runs.SelectMany(static r => r.Outputs).ToList();
        Assert.All(outputs, o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"Step '{step}' output was {o.Reason}."));
    }
}
