using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>The fixes on code shaped as users write it: other namespaces, named arguments, fields, target-typed options.</summary>
public sealed class FixShapeTests
{
    [Fact]
    public Task Missing_arms_of_a_one_line_switch_over_a_union_of_another_namespace_are_qualified_and_compile() =>
        Verify<Reactive.Streams.Analyzers.Rules.NonExhaustiveUnionSwitchAnalyzer>.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            """
            using System;

            namespace App
            {
                class C
                {
                    int M(Events.Ev e) => e {|RXS0006:switch|} { Events.Ev.A => 1 };
                }
            }

            namespace Events
            {
                [Reactive.Streams.EventUnion]
                public abstract partial record Ev
                {
                    public sealed record A : Ev;
                    public sealed record B : Ev;
                }
            }
            """,
            """
            using System;

            namespace App
            {
                class C
                {
                    int M(Events.Ev e) => e switch { Events.Ev.A => 1,
                        Events.Ev.B => throw new NotImplementedException(),
                    };
                }
            }

            namespace Events
            {
                [Reactive.Streams.EventUnion]
                public abstract partial record Ev
                {
                    public sealed record A : Ev;
                    public sealed record B : Ev;
                }
            }
            """);

    [Fact]
    public Task ObserveOn_with_a_named_scheduler_argument_keeps_the_name() =>
        Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler s) => source.{|RXS0002:ObserveOn|}(scheduler: s);
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler s) => source.PauseUpstream(1024, scheduler: s);
            }
            """);

    [Fact]
    public Task An_unbounded_channel_in_a_Channel_field_becomes_a_policy_channel_the_field_still_holds() =>
        Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Channels;

            class C
            {
                private readonly Channel<int> _channel = Channel.{|RXS0002:CreateUnbounded|}<int>();
                bool Write(int x) => _channel.Writer.TryWrite(x);
            }
            """,
            """
            using System.Threading.Channels;
            using Reactive.Streams;

            class C
            {
                private readonly Channel<int> _channel = BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, 1024);
                bool Write(int x) => _channel.Writer.TryWrite(x);
            }
            """);

    [Fact]
    public Task Target_typed_Dataflow_options_get_BoundedCapacity() =>
        Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                ActionBlock<int> M() => new {|RXS0002:ActionBlock<int>|}(x => { }, new() { MaxDegreeOfParallelism = 2 });
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                ActionBlock<int> M() => new ActionBlock<int>(x => { }, new() { MaxDegreeOfParallelism = 2, BoundedCapacity = 1024 });
            }
            """);

    [Fact]
    public Task The_DegradeQuality_attribute_fix_names_a_union_of_another_namespace_and_keeps_the_doc_comment_first() =>
        Verify<Reactive.Streams.Analyzers.Rules.MissingBackpressureAttributeAnalyzer>.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            namespace Sinks
            {
                /// <summary>Audit.</summary>
                [StreamSink(typeof(Events.Ev))]
                public partial class {|RXS0001:Audit|}
                {
                    public void OnA(Events.Ev.A a) { }
                }
            }

            namespace Events
            {
                [EventUnion]
                public abstract partial record Ev
                {
                    public sealed record A : Ev;
                }
            }
            """,
            """
            using Reactive.Streams;

            namespace Sinks
            {
                /// <summary>Audit.</summary>
                [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Degrade))]
                [StreamSink(typeof(Events.Ev))]
                public partial class Audit
                {
                    public void OnA(Events.Ev.A a) { }

                    private static Events.Ev Degrade(Events.Ev item) => item;
                }
            }

            namespace Events
            {
                [EventUnion]
                public abstract partial record Ev
                {
                    public sealed record A : Ev;
                }
            }
            """,
            "AddBackpressureAttributeCodeFixDegradeQuality");
}
