using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.CapacityAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXS0005 on a capacity set by a deconstruction (<c>(options.QueueCapacity, attempts) = (0, 3);</c>), a statement
/// like <c>options.QueueCapacity = 0</c>: each element is judged with the value written in its place, nested tuples too.
/// </summary>
public sealed class CapacityDeconstructionTests
{
    [Fact]
    public Task A_capacity_set_by_a_deconstruction_is_judged_element_by_element() =>
        Verifier.AnalyzerAsync("""
            using System.Threading.Tasks.Dataflow;
            using Reactive.Streams;

            static class C
            {
                static void M(DeliverySinkOptions sink, ExecutionDataflowBlockOptions block, (int, int) pair)
                {
                    int attempts;
                    (sink.QueueCapacity, attempts) = ({|#0:0|}, 3);
                    (attempts, (block.BoundedCapacity, sink.QueueCapacity)) = (1, ({|#1:-2|}, {|#2:(byte)0|}));
                    (sink.QueueCapacity, block.BoundedCapacity) = (8, -1);
                    (sink.QueueCapacity, attempts) = pair;
                    _ = attempts;
                }
            }
            """,
            CapacityAnalyzerTests.BelowOne(0, "QueueCapacity", 0),
            CapacityAnalyzerTests.DataflowCapacity(1, -2),
            CapacityAnalyzerTests.BelowOne(2, "QueueCapacity", 0));
}
