using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// A sink whose union or degrader is <c>[Obsolete]</c> or <c>[Experimental]</c>, or whose degrader is named through a
/// keyword or returns a nullable union: the generated sink compiles warning-free (the union's own generated file
/// suppresses those warnings, and the sink's names the same types), or the generator reports an RXS diagnostic and
/// generates nothing that fails.
/// </summary>
public sealed class SinkDeprecationTests
{
    private const string Header = "#pragma warning disable CS1591\nusing Reactive.Streams;\nnamespace Shop;\n";

    private static string Program(string unionAttributes, string backpressure, string members) => Header + $$"""
        {{unionAttributes}}
        [EventUnion]
        public abstract partial record Order
        {
            public sealed record Placed(string Id) : Order;

            public sealed record Done : Order;
        }

        #pragma warning disable CS0612, CS0618, EX1
        [StreamSink(typeof(Order))]
        {{backpressure}}
        public sealed partial class OrderSink
        {
            public void OnPlaced(Order.Placed item) { }

            public void OnDone(Order.Done item) { }

            {{members}}
        }
        """;

    [Theory]
    [InlineData("[System.Obsolete(\"Use Order2.\")]")]
    [InlineData("[System.Obsolete]")]
    [InlineData("[System.Diagnostics.CodeAnalysis.Experimental(\"EX1\")]")]
    public void A_sink_of_an_obsolete_or_experimental_union_compiles_warning_free(string attribute)
    {
        var run = TestCompilation.Run(Program(attribute, "[Backpressure(BackpressurePolicy.DropOldest, Capacity = 4)]", string.Empty));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("Shop.OrderSink.StreamSink.g.cs", run.Sources.Keys);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Theory]
    [InlineData("[System.Obsolete(\"Coarser data is no longer kept.\")]")]
    [InlineData("[System.Diagnostics.CodeAnalysis.Experimental(\"EX1\")]")]
    public void An_obsolete_or_experimental_degrader_compiles_warning_free(string attribute)
    {
        var run = TestCompilation.Run(Program(
            string.Empty,
            "[Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = nameof(Coarsen))]",
            attribute + " private static Order Coarsen(Order item) => item;"));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("Degrader = Coarsen,", run.Sources["Shop.OrderSink.StreamSink.g.cs"], StringComparison.Ordinal);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void A_degrader_marked_obsolete_as_an_error_is_RXS1007_and_generates_nothing_that_fails()
    {
        var run = TestCompilation.Run(Program(
            string.Empty,
            "[Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = nameof(Coarsen))]",
            "[System.Obsolete(\"Gone.\", true)] private static Order Coarsen(Order item) => item;"));

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1007", diagnostic.Id);
        Assert.Contains("[Obsolete] as an error", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.DoesNotContain(run.CompilationDiagnostics, static d => d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void A_degrader_whose_name_is_a_keyword_is_written_escaped()
    {
        var run = TestCompilation.Run(Program(
            string.Empty,
            "[Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = nameof(@fixed))]",
            "private static Order @fixed(Order item) => item;"));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("Degrader = @fixed,", run.Sources["Shop.OrderSink.StreamSink.g.cs"], StringComparison.Ordinal);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void A_degrader_that_may_return_null_is_RXS1007_and_one_that_takes_a_nullable_union_is_used()
    {
        var refused = TestCompilation.Run(Program(
            string.Empty,
            "[Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = nameof(Coarsen))]",
            "private static Order? Coarsen(Order item) => null;"));
        var accepted = TestCompilation.Run(Program(
            string.Empty,
            "[Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = nameof(Coarsen))]",
            "private static Order Coarsen(Order? item) => item!;"));

        var diagnostic = Assert.Single(refused.GeneratorDiagnostics);
        Assert.Equal("RXS1007", diagnostic.Id);
        Assert.EndsWith("it returns 'Shop.Order?'", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.DoesNotContain(refused.CompilationDiagnostics, static d => d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true);
        Assert.Empty(accepted.GeneratorDiagnostics);
        Assert.Empty(accepted.CompilationDiagnostics);
    }
}
