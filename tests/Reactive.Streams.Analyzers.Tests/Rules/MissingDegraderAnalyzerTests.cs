using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.MissingDegraderAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

public sealed class MissingDegraderAnalyzerTests
{
    [Fact]
    public Task DegradeQuality_attribute_without_Degrader_is_reported_on_the_attribute() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            [{|#0:Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 8)|}]
            public partial class Sink
            {
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(0).WithArguments("[Backpressure] on 'Sink'"));

    [Fact]
    public Task DegradeQuality_attribute_with_Degrader_is_not_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Halve))]
            public partial class Sink
            {
                static int Halve(int x) => x / 2;
            }
            """);

    [Fact]
    public Task Constant_DegradeQuality_policy_without_degrader_argument_is_reported_on_the_policy() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    StubFactory.Create<int>({|#0:BackpressurePolicy.DegradeQuality|}, 16);
                    StubFactory.Create<int>({|#1:BackpressurePolicy.DegradeQuality|}, 16, null);
                    StubFactory.Policy({|#2:BackpressurePolicy.DegradeQuality|});
                }
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(0).WithArguments("'StubFactory.Create'"),
            Verifier.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(1).WithArguments("'StubFactory.Create'"),
            Verifier.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(2).WithArguments("'StubFactory.Policy'"));

    [Fact]
    public Task Options_with_constant_DegradeQuality_need_a_Degrader_in_the_initializer() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                object Missing = new StubOptions<int>({|#0:BackpressurePolicy.DegradeQuality|}, 4) { Name = "x" };
                object NullDegrader = new StubOptions<int>({|#1:BackpressurePolicy.DegradeQuality|}, 4) { Degrader = null };
                object Present = new StubOptions<int>(BackpressurePolicy.DegradeQuality, 4) { Degrader = static x => x / 2 };
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(0).WithArguments("'new StubOptions'"),
            Verifier.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(1).WithArguments("'new StubOptions'"));

    [Fact]
    public Task DegradeQuality_shorthand_with_a_null_degrader_is_reported_on_the_null() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                int M() => StubFactory.DegradeQuality<int>(4, {|#0:null|}!);
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(0).WithArguments("'StubFactory.DegradeQuality'"));

    [Fact]
    public Task Other_policies_and_non_constant_policies_are_not_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            [Backpressure(BackpressurePolicy.DropOldest)]
            class C
            {
                void M(BackpressurePolicy policy)
                {
                    StubFactory.Create<int>(BackpressurePolicy.Fail, 16);
                    StubFactory.Create<int>(policy, 16);
                    StubFactory.Create<int>(BackpressurePolicy.DegradeQuality, 16, x => x / 2);
                    StubFactory.DegradeQuality<int>(16, x => x / 2);
                }
            }
            """);
}
