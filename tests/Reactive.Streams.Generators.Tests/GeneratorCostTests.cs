using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Reactive.Streams.Generators.Internal;
using Reactive.Streams.Generators.Tests.Infrastructure;
using Reactive.Streams.Generators.Unions;

namespace Reactive.Streams.Generators.Tests;

/// <summary>
/// A project without <c>[EventUnion]</c> or <c>[StreamSink]</c> pays close to nothing: no step of the generator binds
/// its records and classes, however many have base lists. Every semantic step is downstream of
/// <c>ForAttributeWithMetadataName</c> or of a syntactic match on a union's name; the driver records a step's runs only
/// on the way to an output, so the binding step (StrayVariant) is collected with its empty verdicts and each record it
/// binds is one recorded run.
/// </summary>
public sealed class GeneratorCostTests
{
    private const int Files = 500;

    private const string Union = """
        using Reactive.Streams;
        namespace Shapes;
        [EventUnion]
        public abstract partial record Event
        {
            public sealed record Inside(int X) : Event;
        }
        """;

    [Fact]
    public void Five_hundred_records_and_classes_with_base_lists_and_no_attributes_run_no_semantic_step()
    {
        var compilation = TestCompilation.Create(PlainSources());
        var binds = Binding.Count();
        var result = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation).GetRunResult().Results.Single();

        // The generator asks for semantic models only through Binding (the direct members are banned in its project), so
        // a transform that binds the records (the old semantic CreateSyntaxProvider) counts here; tracked steps alone
        // would not show it, because a step whose items are all filtered out records no runs.
        Assert.Equal(0, binds.Value);
        Assert.Null(result.Exception);
        Assert.Empty(result.GeneratedSources);
        Assert.Empty(result.Diagnostics);
        foreach (var semantic in new[] { TrackingNames.StrayVariant, TrackingNames.UnionResult, TrackingNames.SinkResult, TrackingNames.UnionNames })
        {
            Assert.Equal(0, Runs(result, semantic));
        }
    }

    [Fact]
    public void Beside_a_union_only_the_record_deriving_from_it_outside_it_is_bound()
    {
        // 250 records with base lists, none named like the union's base: none of them is bound.
        var sources = PlainSources().Append(Union).Append("namespace Shapes; public sealed record Outside(int X) : Event;").ToArray();
        var compilation = TestCompilation.Create(sources);
        var binds = Binding.Count();

        var result = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation).GetRunResult().Results.Single();

        Assert.Equal(1, binds.Value);
        Assert.Equal(1, Runs(result, TrackingNames.StrayVariant));
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("RXS1002", diagnostic.Id);
        Assert.Contains("'Outside'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_whose_base_has_a_union_s_name_but_is_another_type_is_bound_and_not_reported()
    {
        var sources = new[] { Union, "namespace Other; public record Event(int Y); public sealed record Child(int Y) : Event(Y);" };

        var result = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(TestCompilation.Create(sources)).GetRunResult().Results.Single();

        Assert.Equal(1, Runs(result, TrackingNames.StrayVariant));
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void The_syntactic_half_names_the_base_and_skips_variants_nested_in_a_type_of_that_name()
    {
        var records = CSharpSyntaxTree.ParseText(Union + "\npublic sealed record Outside(int X) : Shapes.Event;\npublic sealed record Aliased(int X) : global::Shapes.Event;", TestCompilation.ParseOptions)
            .GetRoot().DescendantNodes().OfType<RecordDeclarationSyntax>()
            .Where(static r => UnionParser.IsRecordWithBaseList(r, CancellationToken.None))
            .ToDictionary(static r => r.Identifier.ValueText, static r => UnionParser.StrayCandidateOf(r)?.BaseName);

        Assert.Equal(new Dictionary<string, string?> { ["Inside"] = null, ["Outside"] = "Event", ["Aliased"] = "Event" }, records);
    }

    private static int Runs(GeneratorRunResult result, string step) =>
        result.TrackedSteps.TryGetValue(step, out var runs) ? runs.Length : 0;

    // Half records deriving from records, half classes implementing interfaces and deriving from classes; none annotated.
    private static string[] PlainSources() =>
        Enumerable.Range(0, Files).Select(static i => i % 2 == 0
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
                """).ToArray();
}
