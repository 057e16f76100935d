using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// The RXS0002 fix on a <c>JoinBlock</c> is the one every Dataflow block gets: <c>BoundedCapacity = 1024</c>, in
/// <c>new GroupingDataflowBlockOptions { ... }</c> passed to the overload that takes options, or in options created in
/// place. The fixed code compiles and has no RXS0002 left (the verifier checks both).
/// </summary>
public sealed class UnboundedJoinBlockCodeFixTests
{
    [Fact]
    public Task A_JoinBlock_of_either_arity_without_options_gets_grouping_options_with_a_bounded_capacity() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|RXS0002:JoinBlock<int, string>|}();
                object B = new {|RXS0002:JoinBlock<int, string, long>|}();
                JoinBlock<int, string> D = {|RXS0002:new()|};
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new JoinBlock<int, string>(new GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
                object B = new JoinBlock<int, string, long>(new GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
                JoinBlock<int, string> D = new(new GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    [Fact]
    public Task Options_created_in_place_get_or_replace_BoundedCapacity() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|RXS0002:JoinBlock<int, string>|}(new GroupingDataflowBlockOptions { MaxNumberOfGroups = 10 });
                object B = new {|RXS0002:JoinBlock<int, string, long>|}(new GroupingDataflowBlockOptions { BoundedCapacity = DataflowBlockOptions.Unbounded });
                object D = new {|RXS0002:JoinBlock<int, string>|}(new GroupingDataflowBlockOptions { Greedy = false });
                object E = new {|RXS0002:JoinBlock<int, string>|}(new GroupingDataflowBlockOptions());
                JoinBlock<int, string, long> F = {|RXS0002:new(dataflowBlockOptions: new() { BoundedCapacity = -1 })|};
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new JoinBlock<int, string>(new GroupingDataflowBlockOptions { MaxNumberOfGroups = 10, BoundedCapacity = 1024 });
                object B = new JoinBlock<int, string, long>(new GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
                object D = new JoinBlock<int, string>(new GroupingDataflowBlockOptions { Greedy = false, BoundedCapacity = 1024 });
                object E = new JoinBlock<int, string>(new GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
                JoinBlock<int, string, long> F = new(dataflowBlockOptions: new() { BoundedCapacity = 1024 });
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // Where a join block is written: through an alias with no Dataflow using (the options are written in full), passed
    // straight to a method in a lambda, over several lines with a comment, and with options in parentheses and a cast.
    [Fact]
    public Task The_fix_bounds_a_JoinBlock_wherever_it_is_written() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using Pairs = System.Threading.Tasks.Dataflow.JoinBlock<int, string>;

            class C
            {
                object A = new {|RXS0002:Pairs|}();
                Func<object> B = () => Keep(new {|RXS0002:Pairs|}());
                object D = new {|RXS0002:System.Threading.Tasks.Dataflow.JoinBlock<int, string, long>|}(
                    (System.Threading.Tasks.Dataflow.GroupingDataflowBlockOptions)(new() { MaxNumberOfGroups = 4 })); // four tuples at most
                object E = new {|RXS0002:Pairs|}( /* defaults */ );

                static object Keep(Pairs pairs) => pairs;
            }
            """,
            """
            using System;
            using Pairs = System.Threading.Tasks.Dataflow.JoinBlock<int, string>;

            class C
            {
                object A = new Pairs(new System.Threading.Tasks.Dataflow.GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
                Func<object> B = () => Keep(new Pairs(new System.Threading.Tasks.Dataflow.GroupingDataflowBlockOptions { BoundedCapacity = 1024 }));
                object D = new System.Threading.Tasks.Dataflow.JoinBlock<int, string, long>(
                    (System.Threading.Tasks.Dataflow.GroupingDataflowBlockOptions)(new() { MaxNumberOfGroups = 4, BoundedCapacity = 1024 })); // four tuples at most
                object E = new Pairs( /* defaults */ new System.Threading.Tasks.Dataflow.GroupingDataflowBlockOptions { BoundedCapacity = 1024 });

                static object Keep(Pairs pairs) => pairs;
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // One fix-all bounds the join blocks with the other Dataflow blocks and ObserveOn in one run, as dotnet format does.
    [Fact]
    public Task Fix_all_bounds_join_blocks_with_the_other_boundaries() =>
        Verifier.CodeFixAndFixAllAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|RXS0002:JoinBlock<int, string>|}();
                object B = new {|RXS0002:BatchBlock<int>|}(16);
                object D = new {|RXS0002:JoinBlock<int, string, long>|}(new GroupingDataflowBlockOptions { Greedy = false });

                IObservable<int> M(IObservable<int> source, IScheduler scheduler)
                {
                    var pairs = new {|RXS0002:JoinBlock<int, int>|}();
                    return source.{|RXS0002:ObserveOn|}(scheduler);
                }
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using System.Threading.Tasks.Dataflow;
            using Reactive.Streams;

            class C
            {
                object A = new JoinBlock<int, string>(new GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
                object B = new BatchBlock<int>(16, new GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
                object D = new JoinBlock<int, string, long>(new GroupingDataflowBlockOptions { Greedy = false, BoundedCapacity = 1024 });

                IObservable<int> M(IObservable<int> source, IScheduler scheduler)
                {
                    var pairs = new JoinBlock<int, int>(new GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
                    return source.PauseUpstream(1024, scheduler);
                }
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using System.Threading.Tasks.Dataflow;
            using Reactive.Streams;

            class C
            {
                object A = new JoinBlock<int, string>(new GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
                object B = new BatchBlock<int>(16, new GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
                object D = new JoinBlock<int, string, long>(new GroupingDataflowBlockOptions { Greedy = false, BoundedCapacity = 1024 });

                IObservable<int> M(IObservable<int> source, IScheduler scheduler)
                {
                    var pairs = new JoinBlock<int, int>(new GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
                    return source.PauseUpstream(1024, scheduler);
                }
            }
            """,
            diagnostics: 5);

    // The BackpressureBlock swap is a BufferBlock's alone: a JoinBlock (two or three targets, tuple output) gets only
    // BoundedCapacity, and no fix is offered under another policy's key.
    [Theory]
    [InlineData("DropOldest")]
    [InlineData("Fail")]
    [InlineData("DegradeQuality")]
    public Task A_JoinBlock_has_no_fix_under_another_policy(string policy) =>
        Verifier.NoCodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|RXS0002:JoinBlock<int, string>|}();
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey(policy));
}
