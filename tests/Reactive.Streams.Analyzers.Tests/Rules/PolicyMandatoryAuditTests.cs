using Boundary = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;
using Degrader = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.MissingDegraderAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// The policy-mandatory rules through the surfaces their other tests do not write: aliases, options
/// of a user type built in place, and a DegradeQuality policy or missing degrader spelled as a constant, a cast, named
/// arguments out of order or <c>default</c>.
/// </summary>
public sealed class PolicyMandatoryAuditTests
{
    private const string BlockAdvice = "set BoundedCapacity or use BackpressureBlock<T> with a policy";
    private const string TargetAdvice = "set BoundedCapacity (a BackpressureBlock<T> linked in front of it then applies a policy other than waiting)";

    private const string ObserveOnAdvice =
        "use a policy operator with a capacity (DropOldest, PauseUpstream, FailOnOverflow, DegradeQuality or WithBackpressure)";

    [Fact]
    public Task An_aliased_block_and_an_aliased_Observable_are_reported_once_on_the_name() =>
        Boundary.AnalyzerAsync("""
            using System;
            using System.Reactive.Concurrency;
            using Rx = System.Reactive.Linq.Observable;
            using Queue = System.Threading.Tasks.Dataflow.BufferBlock<int>;

            class C
            {
                object A = new {|#0:Queue|}();
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) => Rx.{|#1:ObserveOn|}(source, scheduler);
            }
            """,
            Boundary.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(0).WithArguments("'BufferBlock' without a BoundedCapacity", BlockAdvice),
            Boundary.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(1).WithArguments("'ObserveOn'", ObserveOnAdvice));

    [Fact]
    public Task Options_of_a_user_type_built_in_place_are_not_judged() =>
        Boundary.AnalyzerAsync("""
            using System.Threading.Tasks.Dataflow;

            sealed class WorkerOptions : ExecutionDataflowBlockOptions
            {
                public WorkerOptions() { BoundedCapacity = 8; }
            }

            class C
            {
                object A = new ActionBlock<int>(x => { }, new WorkerOptions());
                object B = new TransformBlock<int, int>(x => x, new WorkerOptions { MaxDegreeOfParallelism = 2 });
                object D = new {|#0:ActionBlock<int>|}(x => { }, new WorkerOptions { BoundedCapacity = DataflowBlockOptions.Unbounded });
            }
            """,
            Boundary.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(0).WithArguments("'ActionBlock' without a BoundedCapacity", TargetAdvice));

    [Fact]
    public Task A_constant_or_cast_policy_named_arguments_and_a_default_degrader_are_reported() =>
        Degrader.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                const BackpressurePolicy Coarse = BackpressurePolicy.DegradeQuality;

                void M()
                {
                    StubFactory.Create<int>({|#0:Coarse|}, 16);
                    StubFactory.Create<int>({|#1:(BackpressurePolicy)BackpressurePolicy.DegradeQuality|}, 16);
                    StubFactory.Create<int>(capacity: 16, policy: {|#2:BackpressurePolicy.DegradeQuality|});
                    StubFactory.Create<int>({|#3:BackpressurePolicy.DegradeQuality|}, 16, default);
                }
            }
            """,
            Degrader.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(0).WithArguments("'StubFactory.Create'"),
            Degrader.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(1).WithArguments("'StubFactory.Create'"),
            Degrader.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(2).WithArguments("'StubFactory.Create'"),
            Degrader.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(3).WithArguments("'StubFactory.Create'"));

    [Fact]
    public Task Named_arguments_with_a_degrader_are_not_reported() =>
        Degrader.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                void M() => StubFactory.Create<int>(degrader: static x => x / 2, capacity: 16, policy: BackpressurePolicy.DegradeQuality);
            }
            """);
}
