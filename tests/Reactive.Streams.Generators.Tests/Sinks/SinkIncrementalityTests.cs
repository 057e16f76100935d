using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// A sink's output depends on its model only: an edit to the sink's file that does not change what the generated code
/// calls (a handler's body, a parameter's name, a comment, a helper member, the lines above it) re-emits nothing, and an
/// edit that does (a handler's return type, the capacity, a new variant with its handler) re-emits that sink.
/// </summary>
public sealed class SinkIncrementalityTests
{
    private const string SinkHint = "Consumer.Leases.LeaseSink.StreamSink.g.cs";
    private const string UnionHint = "Consumer.Leases.LeaseHistoryEvent.EventUnion.g.cs";

    [Theory]
    [InlineData("public void OnAcquired(LeaseHistoryEvent.Acquired item) { }", "public void OnAcquired(LeaseHistoryEvent.Acquired item) { System.Console.WriteLine(item.ExecutionId); }")]
    [InlineData("public ValueTask OnRevoked(LeaseHistoryEvent.Revoked item) => default;", "public ValueTask OnRevoked(LeaseHistoryEvent.Revoked revoked) => revoked.Reasons.Count > 0 ? default : ValueTask.CompletedTask;")]
    [InlineData("private static LeaseHistoryEvent Degrade(LeaseHistoryEvent item) => item;", "private static LeaseHistoryEvent Degrade(LeaseHistoryEvent item) => item is LeaseHistoryEvent.Renewed r ? r with { Attempt = null } : item;\n\n    private int _seen;\n\n    public int Seen => _seen;")]
    [InlineData("namespace Consumer.Leases;", "namespace Consumer.Leases;\n\n// The sink that projects lease history.\n// (two lines more above it)")]
    public void An_edit_that_does_not_change_what_the_generated_code_calls_re_emits_nothing(string before, string after)
    {
        var (result, changed) = Edit(Sources.LeaseSink, Sources.LeaseSink.Replace(before, after, StringComparison.Ordinal), union: null);

        Assert.Empty(result.Diagnostics);
        Assert.Empty(changed);
        foreach (var step in new[] { TrackingNames.SinkResult, TrackingNames.SinkModel })
        {
            Assert.All(result.TrackedSteps[step].SelectMany(static s => s.Outputs), o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }

        Assert.All(result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs), static o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Theory]
    [InlineData("public void OnAcquired(LeaseHistoryEvent.Acquired item) { }", "public ValueTask OnAcquired(LeaseHistoryEvent.Acquired item) => default;", "return OnAcquired(__item);")]
    [InlineData("public void OnAcquired(LeaseHistoryEvent.Acquired item) { }", "public void OnAcquired(LeaseHistoryEvent.Acquired item, CancellationToken cancellationToken) { }", "OnAcquired(__item, cancellationToken);")]
    [InlineData("Capacity = 16", "Capacity = 32", "DegradeQuality, 32)")]
    public void An_edit_to_what_the_generated_code_calls_re_emits_the_sink_only(string before, string after, string emitted)
    {
        var (result, changed) = Edit(Sources.LeaseSink, Sources.LeaseSink.Replace(before, after, StringComparison.Ordinal), union: null);

        Assert.Empty(result.Diagnostics);
        Assert.Equal(new[] { SinkHint }, changed);
        Assert.Contains(emitted, result.GeneratedSources.Single(static s => s.HintName == SinkHint).SourceText.ToString(), StringComparison.Ordinal);
        Assert.Single(result.TrackedSteps[TrackingNames.SinkModel].SelectMany(static s => s.Outputs), static o => o.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void A_variant_added_to_the_union_with_its_handler_re_emits_the_union_and_the_sink()
    {
        var union = Sources.LeaseHistory.Replace(
            "public sealed record Acquired(",
            "public sealed record Expired(Cursor Cursor, string ExecutionId) : LeaseHistoryEvent;\n\n    public sealed record Acquired(",
            StringComparison.Ordinal);
        var sink = Sources.LeaseSink.Replace(
            "public void OnAcquired(",
            "public void OnExpired(LeaseHistoryEvent.Expired item) { }\n\n    public void OnAcquired(",
            StringComparison.Ordinal);

        var (result, changed) = Edit(sink, sink, union);

        Assert.Empty(result.Diagnostics);
        Assert.Equal(new[] { UnionHint, SinkHint }, changed.Order(StringComparer.Ordinal));
        var generated = result.GeneratedSources.Single(static s => s.HintName == SinkHint).SourceText.ToString();
        Assert.Contains("case global::Consumer.Leases.LeaseHistoryEvent.Expired __item:", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void A_variant_added_to_the_union_without_a_handler_takes_the_sink_s_code_away_with_RXS1004()
    {
        var union = Sources.LeaseHistory.Replace(
            "public sealed record Acquired(",
            "public sealed record Expired(Cursor Cursor, string ExecutionId) : LeaseHistoryEvent;\n\n    public sealed record Acquired(",
            StringComparison.Ordinal);

        var (result, _) = Edit(Sources.LeaseSink, Sources.LeaseSink, union);

        Assert.Equal("RXS1004", Assert.Single(result.Diagnostics).Id);
        Assert.DoesNotContain(result.GeneratedSources, static s => s.HintName == SinkHint);
        Assert.Contains(result.GeneratedSources, static s => s.HintName == UnionHint);
    }

    [Theory]
    // The inherited handler's shape changes in the base class's own file: the sink's file is untouched.
    [InlineData("public void OnAcquired(LeaseHistoryEvent.Acquired item) { }", "public ValueTask OnAcquired(LeaseHistoryEvent.Acquired item) => default;", "return OnAcquired(__item);")]
    [InlineData("public void OnAcquired(LeaseHistoryEvent.Acquired item) { }", "public void OnAcquired(LeaseHistoryEvent.Acquired item, CancellationToken cancellationToken) { }", "OnAcquired(__item, cancellationToken);")]
    public void An_edit_to_an_inherited_handler_in_another_file_re_emits_the_sink(string before, string after, string emitted)
    {
        const string Handlers = """
            #pragma warning disable CS1591
            using System.Threading;
            using System.Threading.Tasks;
            namespace Consumer.Leases;
            public abstract class LeaseHandlers
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
            }
            """;
        var sink = Sources.LeaseSink
            .Replace("public sealed partial class LeaseSink", "public sealed partial class LeaseSink : LeaseHandlers", StringComparison.Ordinal)
            .Replace("public void OnAcquired(LeaseHistoryEvent.Acquired item) { }", string.Empty, StringComparison.Ordinal);
        var compilation = TestCompilation.Create(Sources.LeaseHistory, sink, Handlers);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        Assert.Contains("OnAcquired(__item);\n", Generated(driver.GetRunResult().Results.Single()), StringComparison.Ordinal);

        var edited = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.Single(static t => t.FilePath == "Source2.cs"),
            CSharpSyntaxTree.ParseText(Handlers.Replace(before, after, StringComparison.Ordinal), TestCompilation.ParseOptions, "Source2.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.Empty(result.Diagnostics);
        Assert.Contains(emitted, Generated(result), StringComparison.Ordinal);
        Assert.Single(result.TrackedSteps[TrackingNames.SinkModel].SelectMany(static s => s.Outputs), static o => o.Reason == IncrementalStepRunReason.Modified);
    }

    private static string Generated(GeneratorRunResult result)
        => result.GeneratedSources.Single(static s => s.HintName == SinkHint).SourceText.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>Runs the generator over the union, the sink and an unrelated file, edits, runs again; returns the second run and the hint names whose text changed.</summary>
    private static (GeneratorRunResult Result, List<string> Changed) Edit(string sink, string editedSink, string? union)
    {
        var compilation = TestCompilation.Create(Sources.LeaseHistory, sink, Sources.Unrelated);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var before = driver.GetRunResult().Results.Single().GeneratedSources.ToDictionary(static s => s.HintName, static s => s.SourceText.ToString());
        Assert.Contains(SinkHint, before.Keys);

        var edited = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.Single(static t => t.FilePath == "Source1.cs"),
            CSharpSyntaxTree.ParseText(editedSink, TestCompilation.ParseOptions, "Source1.cs"));
        if (union is not null)
        {
            edited = edited.ReplaceSyntaxTree(
                edited.SyntaxTrees.Single(static t => t.FilePath == "Source0.cs"),
                CSharpSyntaxTree.ParseText(union, TestCompilation.ParseOptions, "Source0.cs"));
        }

        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        var changed = result.GeneratedSources
            .Where(s => !before.TryGetValue(s.HintName, out var text) || text != s.SourceText.ToString())
            .Select(static s => s.HintName)
            .ToList();
        return (result, changed);
    }
}
