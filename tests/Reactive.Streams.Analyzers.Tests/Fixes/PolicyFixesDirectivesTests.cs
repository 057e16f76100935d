using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Boundary = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;
using Sink = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.MissingBackpressureAttributeAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// The RXS0001 and RXS0002 fixes around preprocessor directives: <c>#region</c>, <c>#if</c> branches (the inactive one
/// is not code and stays as written), <c>#nullable</c> and <c>#pragma</c> lines keep their places.
/// </summary>
public sealed class PolicyFixesDirectivesTests
{
    private const string Union = """


        [EventUnion]
        public abstract partial record Ev
        {
            public sealed record A(int X) : Ev;
        }
        """;

    [Fact]
    public Task The_attribute_goes_inside_the_region_after_the_doc_comment_and_before_an_if_branch() =>
        Sink.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            #region Sinks
            #nullable disable
            /// <summary>Audits the leases.</summary>
            [StreamSink(typeof(Ev))]
            #if LEGACY
            [System.Obsolete]
            #endif
            public partial class {|RXS0001:Sink|}
            {
                public void OnA(Ev.A e) { }
            }
            #nullable restore
            #endregion
            """ + Union,
            """
            using Reactive.Streams;

            #region Sinks
            #nullable disable
            /// <summary>Audits the leases.</summary>
            [Backpressure(BackpressurePolicy.PauseUpstream)]
            [StreamSink(typeof(Ev))]
            #if LEGACY
            [System.Obsolete]
            #endif
            public partial class Sink
            {
                public void OnA(Ev.A e) { }
            }
            #nullable restore
            #endregion
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + "PauseUpstream");

    [Fact]
    public Task The_DegradeQuality_degrader_goes_after_the_members_and_before_a_trailing_if_branch() =>
        Sink.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            [StreamSink(typeof(Ev))]
            public partial class {|RXS0001:Sink|}
            {
                public void OnA(Ev.A e) { }
            #if LEGACY
                public void OnB(Ev.A e) { }
            #endif
            }
            """ + Union,
            """
            using Reactive.Streams;

            [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Degrade))]
            [StreamSink(typeof(Ev))]
            public partial class Sink
            {
                public void OnA(Ev.A e) { }

                private static Ev Degrade(Ev item) => item;
            #if LEGACY
                public void OnB(Ev.A e) { }
            #endif
            }
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + "DegradeQuality");

    // Only the active branch is code; the inactive one keeps its unbounded channel as written.
    [Fact]
    public Task Only_the_active_if_branch_is_rewritten() =>
        Boundary.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Channels;

            class C
            {
            #if LEGACY
                Channel<int> Ch = Channel.CreateUnbounded<int>();
            #else
                Channel<int> Ch = Channel.{|RXS0002:CreateUnbounded|}<int>(); // the hot path
            #endif
            }
            """,
            """
            using System.Threading.Channels;
            using Reactive.Streams;

            class C
            {
            #if LEGACY
                Channel<int> Ch = Channel.CreateUnbounded<int>();
            #else
                Channel<int> Ch = BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, 1024); // the hot path
            #endif
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // The new BoundedCapacity goes after the last active entry, before the #if that ends the initializer.
    [Fact]
    public Task BoundedCapacity_goes_before_an_if_branch_at_the_end_of_the_initializer() =>
        Boundary.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object Block = new {|RXS0002:ActionBlock<int>|}(static x => { }, new ExecutionDataflowBlockOptions
                {
                    MaxDegreeOfParallelism = 2,
            #if LEGACY
                    EnsureOrdered = false,
            #endif
                });
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object Block = new ActionBlock<int>(static x => { }, new ExecutionDataflowBlockOptions
                {
                    MaxDegreeOfParallelism = 2,
                    BoundedCapacity = 1024,
            #if LEGACY
                    EnsureOrdered = false,
            #endif
                });
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    [Fact]
    public Task ObserveOn_under_a_pragma_keeps_the_pragma_lines() =>
        Boundary.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            class C
            {
            #pragma warning disable CS0618 // an obsolete scheduler
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) =>
                    source
            #if LEGACY
                        .Where(x => x > 0)
            #endif
                        .{|RXS0002:ObserveOn|}(scheduler);
            #pragma warning restore CS0618
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
            #pragma warning disable CS0618 // an obsolete scheduler
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) =>
                    source
            #if LEGACY
                        .Where(x => x > 0)
            #endif
                        .PauseUpstream(1024, scheduler);
            #pragma warning restore CS0618
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));
}
