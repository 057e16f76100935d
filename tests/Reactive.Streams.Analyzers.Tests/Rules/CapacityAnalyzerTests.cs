using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.CapacityAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

public sealed class CapacityAnalyzerTests
{
    [Fact]
    public Task Constant_capacity_below_one_in_an_attribute_is_reported_on_the_value() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            [Backpressure(BackpressurePolicy.DropOldest, Capacity = {|#0:0|})]
            public partial class Sink
            {
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.CapacityBelowOne).WithLocation(0).WithArguments(0));

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
            Verifier.Diagnostic(DiagnosticIds.CapacityBelowOne).WithLocation(0).WithArguments(0),
            Verifier.Diagnostic(DiagnosticIds.CapacityBelowOne).WithLocation(1).WithArguments(-5),
            Verifier.Diagnostic(DiagnosticIds.CapacityBelowOne).WithLocation(2).WithArguments(-1));

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
            Verifier.Diagnostic(DiagnosticIds.CapacityBelowOne).WithLocation(0).WithArguments(0),
            Verifier.Diagnostic(DiagnosticIds.CapacityBelowOne).WithLocation(1).WithArguments(0));

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
            Verifier.Diagnostic(DiagnosticIds.CapacityBelowOne).WithLocation(0).WithArguments(0),
            Verifier.Diagnostic(DiagnosticIds.CapacityBelowOne).WithLocation(1).WithArguments(-1),
            Verifier.Diagnostic(DiagnosticIds.CapacityBelowOne).WithLocation(2).WithArguments(0),
            Verifier.Diagnostic(DiagnosticIds.CapacityBelowOne).WithLocation(3).WithArguments(0));

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
}
