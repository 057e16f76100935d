using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// A project with nullable reference types off (no <c>&lt;Nullable&gt;</c>, the default of an older project), documentation
/// required and warnings as errors: a union and a sink of every policy with a degrader, whose types carry no annotation,
/// compile without a warning in generated code.
/// </summary>
public sealed class SinkNullableDisabledProjectTests
{
    [Fact]
    public void Unions_and_sinks_compile_warning_free_in_a_project_without_nullable_reference_types()
    {
        const string Source = """
            #pragma warning disable CS1591
            using System.Threading;
            using System.Threading.Tasks;
            using Reactive.Streams;
            namespace Shop;
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id, string Note = null, int? Qty = null) : Order;
                public sealed record Shipped(string Id, string Note) : Order;
            }
            [StreamSink(typeof(Order))]
            [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = nameof(Coarsen))]
            public sealed partial class DegradingSink
            {
                static Order Coarsen(Order item) => item is Order.Placed placed ? placed with { Note = null } : item;
                public void OnPlaced(Order.Placed item) { }
                public ValueTask OnShipped(Order.Shipped item, CancellationToken cancellationToken) => default;
                public void OnUnknown(Order.Unknown item) { }
            }
            [StreamSink(typeof(Order))]
            [Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 4)]
            public sealed partial class PausingSink
            {
                public void OnPlaced(Order.Placed item) { }
                public void OnShipped(Order.Shipped item) { }
            }
            """;
        var compilation = TestCompilation.Create(Source).WithOptions(
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable, generalDiagnosticOption: ReportDiagnostic.Error));

        TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);

        Assert.Empty(diagnostics);
        Assert.Equal(3, output.SyntaxTrees.Count() - 1);
        Assert.Empty(output.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning).Select(static d => d.ToString()));
    }
}
