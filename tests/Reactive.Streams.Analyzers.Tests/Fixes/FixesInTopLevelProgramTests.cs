using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Arms = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.NonExhaustiveUnionSwitchAnalyzer>;
using Boundary = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;
using Sink = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.MissingBackpressureAttributeAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// The RXS0001, RXS0002 and RXS0006 fixes in a Program.cs of top-level statements (compiled as an executable), where
/// the first member of the file is a statement: the using goes above the statements, and the fixed program compiles.
/// </summary>
public sealed class FixesInTopLevelProgramTests
{
    [Fact]
    public Task ObserveOn_and_an_unbounded_channel_in_statements_are_rewritten() =>
        Boundary.CodeFixProgramAsync<UnboundedBoundaryCodeFix>(
            """
            // The program.
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            var lane = System.Threading.Channels.Channel.{|RXS0002:CreateUnbounded|}<int>();
            var ticks = Observable.Range(0, 3).{|RXS0002:ObserveOn|}(TaskPoolScheduler.Default);
            Console.WriteLine(lane.Reader.Count + ticks.ToString()!.Length);
            """,
            """
            // The program.
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            var lane = BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, 1024);
            var ticks = Observable.Range(0, 3).PauseUpstream(1024, TaskPoolScheduler.Default);
            Console.WriteLine(lane.Reader.Count + ticks.ToString()!.Length);
            """);

    [Fact]
    public Task A_switch_in_statements_gets_the_missing_arms() =>
        Arms.CodeFixProgramAsync<AddMissingUnionArmsCodeFix>(
            """
            using System;
            using Reactive.Streams;

            Lease lease = new Lease.Acquired("a");
            var text = lease {|RXS0006:switch|}
            {
                Lease.Acquired a => a.Id,
            };
            Console.WriteLine(text);

            [EventUnion]
            public abstract partial record Lease
            {
                public sealed partial record Acquired(string Id) : Lease;
                public sealed partial record Revoked(string Id) : Lease;
            }
            """,
            """
            using System;
            using Reactive.Streams;

            Lease lease = new Lease.Acquired("a");
            var text = lease switch
            {
                Lease.Acquired a => a.Id,
                Lease.Revoked => throw new NotImplementedException(),
            };
            Console.WriteLine(text);

            [EventUnion]
            public abstract partial record Lease
            {
                public sealed partial record Acquired(string Id) : Lease;
                public sealed partial record Revoked(string Id) : Lease;
            }
            """);

    [Fact]
    public Task A_sink_declared_below_the_statements_gets_the_attribute_and_the_using() =>
        Sink.CodeFixProgramAsync<AddBackpressureAttributeCodeFix>(
            """
            System.Console.WriteLine(new Sink());

            [Reactive.Streams.StreamSink(typeof(Ev))]
            public partial class {|RXS0001:Sink|}
            {
                public void OnA(Ev.A e) { }
            }

            [Reactive.Streams.EventUnion]
            public abstract partial record Ev
            {
                public sealed partial record A(int X) : Ev;
            }
            """,
            """
            using Reactive.Streams;

            System.Console.WriteLine(new Sink());

            [Backpressure(BackpressurePolicy.PauseUpstream)]
            [Reactive.Streams.StreamSink(typeof(Ev))]
            public partial class Sink
            {
                public void OnA(Ev.A e) { }
            }

            [Reactive.Streams.EventUnion]
            public abstract partial record Ev
            {
                public sealed partial record A(int X) : Ev;
            }
            """);
}
