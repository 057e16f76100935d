using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

public sealed class UnboundedBoundaryAnalyzerTests
{
    private const string ObserveOnAdvice =
        "use a policy operator with a capacity (DropOldest, PauseUpstream, FailOnOverflow, DegradeQuality or WithBackpressure)";

    private const string BlockAdvice = "set BoundedCapacity or use BackpressureBlock<T> with a policy";

    [Fact]
    public Task ObserveOn_is_reported_on_its_name() =>
        Verifier.AnalyzerAsync("""
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) =>
                    source.Select(x => x + 1).{|#0:ObserveOn|}(scheduler);

                IObservable<int> N(IObservable<int> source) => Observable.{|#1:ObserveOn|}(source, System.Threading.SynchronizationContext.Current!);
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(0).WithArguments("'ObserveOn'", ObserveOnAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(1).WithArguments("'ObserveOn'", ObserveOnAdvice));

    [Fact]
    public Task Channel_CreateUnbounded_is_reported() =>
        Verifier.AnalyzerAsync("""
            using System.Threading.Channels;

            class C
            {
                Channel<int> A = Channel.{|#0:CreateUnbounded|}<int>();
                Channel<int> B = Channel.{|#1:CreateUnbounded|}<int>(new UnboundedChannelOptions { SingleReader = true });
                Channel<int> Bounded = Channel.CreateBounded<int>(10);
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(0).WithArguments("'Channel.CreateUnbounded'", "use BackpressureChannel.Create with a policy and a capacity"),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(1).WithArguments("'Channel.CreateUnbounded'", "use BackpressureChannel.Create with a policy and a capacity"));

    [Fact]
    public Task Dataflow_blocks_without_BoundedCapacity_or_with_Unbounded_are_reported() =>
        Verifier.AnalyzerAsync("""
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|#0:BufferBlock<int>|}();
                object B = new {|#1:ActionBlock<int>|}(x => { }, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2 });
                object D = new {|#2:TransformBlock<int, int>|}(x => x, new ExecutionDataflowBlockOptions { BoundedCapacity = DataflowBlockOptions.Unbounded });
                object E = new {|#3:TransformManyBlock<int, int>|}(x => new[] { x });
                object F = new {|#4:BatchBlock<int>|}(10);
                object G = new {|#5:BroadcastBlock<int>|}(x => x);
                BufferBlock<int> H = {|#6:new()|};
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(0).WithArguments("'BufferBlock' without a BoundedCapacity", BlockAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(1).WithArguments("'ActionBlock' without a BoundedCapacity", BlockAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(2).WithArguments("'TransformBlock' without a BoundedCapacity", BlockAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(3).WithArguments("'TransformManyBlock' without a BoundedCapacity", BlockAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(4).WithArguments("'BatchBlock' without a BoundedCapacity", BlockAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(5).WithArguments("'BroadcastBlock' without a BoundedCapacity", BlockAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(6).WithArguments("'BufferBlock' without a BoundedCapacity", BlockAdvice));

    [Fact]
    public Task Bounded_blocks_and_options_built_elsewhere_are_not_reported() =>
        Verifier.AnalyzerAsync("""
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 100 });
                object B = new ActionBlock<int>(x => { }, new ExecutionDataflowBlockOptions { BoundedCapacity = 8, MaxDegreeOfParallelism = 2 });
                object D = new BatchBlock<int>(10, new GroupingDataflowBlockOptions { BoundedCapacity = 10 });

                object M(ExecutionDataflowBlockOptions options) => new TransformBlock<int, int>(x => x, options);
            }
            """);

    [Fact]
    public Task Nothing_is_reported_when_the_library_is_not_referenced() =>
        Verifier.AnalyzerAsync(
            """
            using System.Threading.Channels;
            using System.Threading.Tasks.Dataflow;

            class C
            {
                Channel<int> A = Channel.CreateUnbounded<int>();
                object B = new BufferBlock<int>();
            }
            """,
            withLibrary: false,
            editorConfig: null);
}
