using Microsoft.CodeAnalysis.Testing;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.CapacityAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

public sealed class CapacityAnalyzerTests
{
    /// <summary>RXS0005 at marker <paramref name="location"/>: a library capacity <paramref name="value"/> set through <paramref name="name"/>.</summary>
    internal static DiagnosticResult BelowOne(int location, string name, int value) =>
        Verifier.Diagnostic(DiagnosticIds.CapacityBelowOne).WithLocation(location)
            .WithArguments(name, value, "it must be 1 or more (every buffer holds at least one item)");

    /// <summary>RXS0005 at marker <paramref name="location"/>: a Dataflow <c>BoundedCapacity</c> of <paramref name="value"/>.</summary>
    internal static DiagnosticResult DataflowCapacity(int location, int value) =>
        Verifier.Diagnostic(DiagnosticIds.CapacityBelowOne).WithLocation(location)
            .WithArguments("BoundedCapacity", value, "Dataflow accepts 1 or more, or DataflowBlockOptions.Unbounded (-1)");

    [Fact]
    public Task Constant_capacity_below_one_in_an_attribute_is_reported_on_the_value() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            [Backpressure(BackpressurePolicy.DropOldest, Capacity = {|#0:0|})]
            public partial class Sink
            {
            }
            """,
            BelowOne(0, "Capacity", 0));

    [Fact]
    public Task Constant_capacity_below_one_passed_to_a_library_capacity_parameter_is_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                const int Size = -5;

                void M()
                {
                    StubFactory.DropOldest<int>({|#0:0|});
                    StubFactory.Create<int>(BackpressurePolicy.Fail, capacity: {|#1:Size|});
                    StubFactory.Create<int>(BackpressurePolicy.Fail, {|#2:1 - 2|});
                }
            }
            """,
            BelowOne(0, "Capacity", 0),
            BelowOne(1, "Capacity", -5),
            BelowOne(2, "Capacity", -1));

    [Fact]
    public Task Constant_capacity_below_one_in_an_options_constructor_and_initializer_is_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                object A = new StubOptions<int>(BackpressurePolicy.Fail, {|#0:0|});
                object B = new StubBlockOptions { Capacity = {|#1:0|} };
            }
            """,
            BelowOne(0, "Capacity", 0),
            BelowOne(1, "Capacity", 0));

    [Fact]
    public Task Constant_capacity_below_one_set_on_the_library_s_options_anywhere_is_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                const int None = 0;

                void M(DeliverySinkOptions sink)
                {
                    var delivery = new DeliveryOptions<int> { QueueCapacity = {|#0:0|} };
                    var perSink = new DeliverySinkOptions { QueueCapacity = {|#1:-1|} };
                    delivery.QueueCapacity = {|#2:None|};
                    sink.QueueCapacity = {|#3:0|};
                    delivery.QueueCapacity = 1;
                    sink.QueueCapacity = null;
                    perSink.QueueCapacity = 2;
                }
            }
            """,
            BelowOne(0, "QueueCapacity", 0),
            BelowOne(1, "QueueCapacity", -1),
            BelowOne(2, "QueueCapacity", 0),
            BelowOne(3, "QueueCapacity", 0));

    [Fact]
    public Task Capacities_of_one_and_more_and_non_constant_capacities_are_not_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            [Backpressure(BackpressurePolicy.DropOldest, Capacity = 1)]
            class C
            {
                void M(int n)
                {
                    StubFactory.DropOldest<int>(1);
                    StubFactory.DropOldest<int>(n);
                    StubFactory.Create<int>(BackpressurePolicy.Fail, n - 10);
                    Other.Take(capacity: 0);
                }
            }

            static class Other
            {
                public static void Take(int capacity) { }
                public static int Capacity { get; set; }
                static void Set() => Capacity = 0;
            }
            """);

    [Fact]
    public Task Dataflow_BoundedCapacity_that_Dataflow_rejects_is_reported_in_initializers_and_statements() =>
        Verifier.AnalyzerAsync("""
            using System.Threading.Tasks.Dataflow;

            class C
            {
                const int None = 0;

                void M(DataflowBlockOptions options, ExecutionDataflowBlockOptions execution)
                {
                    var a = new ExecutionDataflowBlockOptions { BoundedCapacity = {|#0:0|} };
                    var b = new DataflowBlockOptions { BoundedCapacity = {|#1:-2|} };
                    var d = new GroupingDataflowBlockOptions { Greedy = true, BoundedCapacity = {|#2:None|} };
                    var e = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = {|#3:int.MinValue|} });
                    options.BoundedCapacity = {|#4:0|};
                    execution.BoundedCapacity = {|#5:-1 - 1|};
                }
            }
            """,
            DataflowCapacity(0, 0),
            DataflowCapacity(1, -2),
            DataflowCapacity(2, 0),
            DataflowCapacity(3, int.MinValue),
            DataflowCapacity(4, 0),
            DataflowCapacity(5, -2));

    // -1 is DataflowBlockOptions.Unbounded, which Dataflow accepts: whether it belongs at a boundary is RXS0002's call.
    [Fact]
    public Task Dataflow_BoundedCapacity_unbounded_positive_or_not_constant_is_not_reported() =>
        Verifier.AnalyzerAsync("""
            using System.Threading.Tasks.Dataflow;

            class C
            {
                void M(DataflowBlockOptions options, int n)
                {
                    var a = new ExecutionDataflowBlockOptions { BoundedCapacity = DataflowBlockOptions.Unbounded };
                    var b = new DataflowBlockOptions { BoundedCapacity = -1 };
                    var d = new GroupingDataflowBlockOptions { BoundedCapacity = 1 };
                    options.BoundedCapacity = n - 10;
                    options.BoundedCapacity = DataflowBlockOptions.Unbounded;
                    options.BoundedCapacity = 1024;
                    Other.BoundedCapacity = 0;
                    _ = new Other { Bounded = new Other.Options { BoundedCapacity = 0 } };
                }
            }

            class Other
            {
                public static int BoundedCapacity { get; set; }
                public Options? Bounded { get; set; }
                public sealed class Options { public int BoundedCapacity { get; set; } }
            }
            """);

    [Fact]
    public Task A_capacity_written_as_a_narrower_constant_or_with_a_coalescing_assignment_is_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                const byte None = 0;

                void M(DeliverySinkOptions sink)
                {
                    BoundedStream.DropOldest<int>({|#0:None|});
                    BoundedStream.DropOldest<int>({|#1:'\0'|});
                    sink.QueueCapacity = {|#2:(short)0|};
                    new DeliveryOptions<int> { QueueCapacity = {|#3:(sbyte)-1|} };
                    sink.QueueCapacity ??= {|#4:0|};
                    sink.QueueCapacity ??= 16;
                }
            }
            """,
            BelowOne(0, "Capacity", 0),
            BelowOne(1, "Capacity", 0),
            BelowOne(2, "QueueCapacity", 0),
            BelowOne(3, "QueueCapacity", -1),
            BelowOne(4, "QueueCapacity", 0));
}
