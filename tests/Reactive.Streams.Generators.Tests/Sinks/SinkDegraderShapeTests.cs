using System.Globalization;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// Degraders of shapes the buffer cannot take: each is RXS1007 at the <c>[Backpressure]</c> attribute with a message
/// that says what is wrong with the method, and nothing that fails to compile is generated.
/// </summary>
public sealed class SinkDegraderShapeTests
{
    private static string Program(string members, string bases = "") => $$"""
        #pragma warning disable CS1591
        using Reactive.Streams;
        namespace Shop;

        [EventUnion]
        public abstract partial record Order
        {
            public sealed record Placed(string Id) : Order;
        }

        public class SinkBase
        {
            protected static Order Inherited(Order item) => item;
        }

        [StreamSink(typeof(Order))]
        [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = "D")]
        public sealed partial class OrderSink {{bases}}
        {
            internal static Order s_last = null!;

            public void OnPlaced(Order.Placed item) { }

            {{members}}
        }
        """;

    // A ref return converted to Func<Order, Order> is CS8189 in the generated options; a ref, in or out parameter was
    // reported as "its parameter is 'Shop.Order'", the very type the message asks for.
    [Theory]
    [InlineData("private static ref Order D(Order item) => ref s_last;", "it returns by reference ('ref Shop.Order')")]
    [InlineData("private static ref readonly Order D(Order item) => ref s_last;", "it returns by reference ('ref readonly Shop.Order')")]
    [InlineData("private static Order D(in Order item) => item;", "its parameter is 'in Shop.Order'")]
    [InlineData("private static Order D(ref Order item) => item;", "its parameter is 'ref Shop.Order'")]
    [InlineData("private static Order D(out Order item) { item = s_last; return item; }", "its parameter is 'out Shop.Order'")]
    [InlineData("private static Order D(Order.Placed item) => item;", "its parameter is 'Shop.Order.Placed'")]
    public void A_degrader_that_passes_by_reference_is_RXS1007_naming_how(string degrader, string problem)
    {
        var run = TestCompilation.Run(Program(degrader));

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1007", diagnostic.Id);
        Assert.EndsWith(problem, diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.DoesNotContain(run.Sources.Keys, static k => k.Contains("StreamSink", StringComparison.Ordinal));
        Assert.Empty(run.CompilationDiagnostics);
    }

    // The degrader must be the sink's own (docs/rules/RXS1007.md); one the sink inherits was reported as if there were no
    // method of that name at all.
    [Fact]
    public void A_degrader_the_sink_inherits_is_RXS1007_saying_where_it_is_declared()
    {
        var run = TestCompilation.Run(Program(string.Empty, ": SinkBase").Replace("Degrader = \"D\"", "Degrader = \"Inherited\"", StringComparison.Ordinal));

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1007", diagnostic.Id);
        Assert.EndsWith("'Inherited' is declared in 'SinkBase', not in the sink", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(run.CompilationDiagnostics);
    }
}
