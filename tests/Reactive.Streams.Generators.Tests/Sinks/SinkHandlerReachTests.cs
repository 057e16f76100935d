using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// Handlers a sink inherits, and sinks in containers of every kind: a handler the generated dispatch could not call (one
/// a base class in another assembly keeps to itself) is reported, never called from code that does not compile, and every
/// handler it can call is used.
/// </summary>
public sealed class SinkHandlerReachTests
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

        public abstract class OrderHandlers
        {
            public void OnDone(Order.Done item) { }
            ACCESS void OnPlaced(Order.Placed item) { }
        }
        """;

    private const string Sink = """
        #pragma warning disable CS1591
        using Reactive.Streams;
        using Contracts;
        namespace Shop;
        [StreamSink(typeof(Order))]
        [Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 4)]
        public sealed partial class OrderSink : OrderHandlers
        {
        }
        """;

    [Theory]
    [InlineData("internal")]
    [InlineData("private protected")]
    public void A_handler_a_base_class_in_another_assembly_keeps_to_itself_is_RXS1004_and_nothing_that_fails_is_generated(string access)
    {
        var (output, diagnostics, sources) = Consumer(Library.Replace("ACCESS", access, StringComparison.Ordinal), Sink);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("RXS1004", diagnostic.Id);
        Assert.Contains("'OnPlaced'", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(sources);
        Assert.DoesNotContain(output.GetDiagnostics(), static d => d.Severity == DiagnosticSeverity.Error);
    }

    [Theory]
    [InlineData("protected")]
    [InlineData("protected internal")]
    [InlineData("public")]
    public void A_handler_a_base_class_in_another_assembly_lets_the_sink_call_is_used(string access)
    {
        var (output, diagnostics, sources) = Consumer(Library.Replace("ACCESS", access, StringComparison.Ordinal), Sink);

        Assert.Empty(diagnostics);
        Assert.Equal(new[] { "Shop.OrderSink.StreamSink.g.cs" }, sources);
        Assert.Empty(output.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void A_handler_a_base_class_in_another_assembly_shares_through_InternalsVisibleTo_is_used()
    {
        var library = Library.Replace("ACCESS", "internal", StringComparison.Ordinal)
            .Replace("namespace Contracts;", "[assembly: System.Runtime.CompilerServices.InternalsVisibleTo(\"Consumer\")]\nnamespace Contracts;", StringComparison.Ordinal);

        var (output, diagnostics, sources) = Consumer(library, Sink);

        Assert.Empty(diagnostics);
        Assert.Equal(new[] { "Shop.OrderSink.StreamSink.g.cs" }, sources);
        Assert.Empty(output.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void Handlers_inherited_from_a_generic_base_class_are_used()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using System.Threading;
            using System.Threading.Tasks;
            using Reactive.Streams;
            namespace Shop;
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
                public sealed record Done : Order;
            }
            public abstract class Handles<TPlaced>
            {
                public ValueTask OnPlaced(TPlaced item, CancellationToken cancellationToken) => default;
            }
            [StreamSink(typeof(Order))]
            [Backpressure(BackpressurePolicy.DropOldest, Capacity = 4)]
            public sealed partial class OrderSink : Handles<Order.Placed>
            {
                public void OnDone(Order.Done item) { }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("OnPlaced(__item, cancellationToken)", run.Sources["Shop.OrderSink.StreamSink.g.cs"], StringComparison.Ordinal);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Theory]
    [InlineData("public partial interface Host")]
    [InlineData("public partial struct Host")]
    [InlineData("public partial record struct Host")]
    [InlineData("public partial record Host")]
    [InlineData("public static partial class Host")]
    public void A_sink_nested_in_a_container_of_any_kind_compiles(string host)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
                public sealed record Done : Order;
            }
            {{host}}
            {
                [StreamSink(typeof(Order))]
                [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = nameof(Degrade))]
                public sealed partial class OrderSink
                {
                    public void OnPlaced(Order.Placed item) { }
                    public void OnDone(Order.Done item) { }
                    public void OnUnknown(Order.Unknown item) { }
                    private static Order Degrade(Order item) => item;
                }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("Host.OrderSink.StreamSink.g.cs", run.Sources.Keys);
        Assert.Empty(run.CompilationDiagnostics);
    }

    private static (Compilation Output, IReadOnlyList<Diagnostic> Diagnostics, IReadOnlyList<string> Sources) Consumer(string librarySource, string sinkSource)
    {
        var library = TestCompilation.Create(librarySource).WithAssemblyName("Contracts");
        TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(library, out var generated, out _);
        using var image = new MemoryStream();
        var emitted = generated.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var consumer = TestCompilation.Create(sinkSource).AddReferences(MetadataReference.CreateFromImage(image.ToArray()));
        var driver = TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(consumer, out var output, out var diagnostics);
        return (output, diagnostics, driver.GetRunResult().Results.Single().GeneratedSources.Select(static s => s.HintName).ToList());
    }
}
