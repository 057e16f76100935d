using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// A sink over a union declared in a referenced assembly: one whose assembly was built with the generator (it has its
/// fallback variant), an [Obsolete] one, and one whose assembly was built without the generator (its [EventUnion] has no
/// generated members): never an error in generated code.
/// </summary>
public sealed class SinkMetadataUnionTests
{
    private const string Library = """
        #pragma warning disable CS1591
        using Reactive.Streams;
        namespace Contracts;
        [EventUnion]
        public abstract partial record Order
        {
            public sealed record Placed(string Id) : Order;
            public sealed record Done : Order;
        }
        """;

    private const string Sink = """
        #pragma warning disable CS1591, CS0612, CS0618
        using Reactive.Streams;
        using Contracts;
        namespace Shop;
        [StreamSink(typeof(Order))]
        [Backpressure(BackpressurePolicy.DropOldest, Capacity = 4)]
        public sealed partial class OrderSink
        {
            public void OnPlaced(Order.Placed item) { }
            public void OnDone(Order.Done item) { }
        }
        """;

    [Theory]
    [InlineData("")]
    [InlineData("[System.Obsolete(\"Use Contracts.V2.\")]")]
    public void A_sink_over_a_generated_union_of_a_referenced_assembly_compiles_warning_free(string attribute)
    {
        var library = TestCompilation.Run(Library.Replace("[EventUnion]", attribute + "\n[EventUnion]", StringComparison.Ordinal));
        var run = Consumer(library.Output);

        Assert.Empty(run.Diagnostics);
        Assert.Contains("Shop.OrderSink.StreamSink.g.cs", run.Sources);
        Assert.Empty(run.Output.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void A_sink_over_a_union_whose_assembly_was_built_without_the_generator_is_RXS1001_and_gets_no_code_that_fails()
    {
        var run = Consumer(TestCompilation.Create(Library));

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("RXS1001", diagnostic.Id);
        Assert.Contains("built without the Reactive.Streams generator", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
        Assert.DoesNotContain(run.Output.GetDiagnostics(), static d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true);
    }

    private static (Compilation Output, IReadOnlyList<Diagnostic> Diagnostics, IReadOnlyList<string> Sources) Consumer(Compilation library)
    {
        using var image = new MemoryStream();
        var emitted = library.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var consumer = TestCompilation.Create(Sink).AddReferences(MetadataReference.CreateFromImage(image.ToArray()));
        var driver = TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(consumer, out var output, out var diagnostics);
        return (output, diagnostics, driver.GetRunResult().Results.Single().GeneratedSources.Select(static s => s.HintName).ToList());
    }
}
