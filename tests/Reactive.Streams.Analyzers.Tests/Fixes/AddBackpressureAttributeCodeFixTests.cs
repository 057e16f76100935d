using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.MissingBackpressureAttributeAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

public sealed class AddBackpressureAttributeCodeFixTests
{
    private const string Union = """

        [EventUnion]
        public abstract partial record Ev
        {
            public sealed partial record A(int X) : Ev;
        }
        """;

    [Theory]
    [InlineData("DropOldest")]
    [InlineData("PauseUpstream")]
    [InlineData("Fail")]
    public Task Adds_the_attribute_with_the_chosen_policy_above_the_existing_ones(string policy) =>
        Verifier.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            namespace App;

            /// <summary>Handles events.</summary>
            [StreamSink(typeof(Ev))]
            public partial class {|RXS0001:Sink|}
            {
            }
            """ + Union,
            $$"""
            using Reactive.Streams;

            namespace App;

            /// <summary>Handles events.</summary>
            [Backpressure(BackpressurePolicy.{{policy}})]
            [StreamSink(typeof(Ev))]
            public partial class Sink
            {
            }
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + policy);

    [Fact]
    public Task DegradeQuality_adds_a_pure_identity_degrader_to_replace() =>
        Verifier.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            [StreamSink(typeof(Ev))]
            public partial class {|RXS0001:Sink|}
            {
                public void OnA(Ev.A a) { }
            }
            """ + Union,
            """
            using Reactive.Streams;

            [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Degrade))]
            [StreamSink(typeof(Ev))]
            public partial class Sink
            {
                public void OnA(Ev.A a) { }

                private static Ev Degrade(Ev item) => item;
            }
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + "DegradeQuality");

    [Fact]
    public Task Adds_the_using_when_the_attribute_was_written_qualified() =>
        Verifier.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            namespace App
            {
                [Reactive.Streams.StreamSink(typeof(Ev))]
                public partial class {|RXS0001:Sink|}
                {
                }

                [Reactive.Streams.EventUnion]
                public abstract partial record Ev
                {
                    public sealed partial record A(int X) : Ev;
                }
            }
            """,
            """
            using Reactive.Streams;

            namespace App
            {
                [Backpressure(BackpressurePolicy.Fail)]
                [Reactive.Streams.StreamSink(typeof(Ev))]
                public partial class Sink
                {
                }

                [Reactive.Streams.EventUnion]
                public abstract partial record Ev
                {
                    public sealed partial record A(int X) : Ev;
                }
            }
            """,
            nameof(AddBackpressureAttributeCodeFix) + "Fail");

    [Fact]
    public Task Fix_all_adds_the_first_policy_to_every_sink_in_one_run() =>
        Verifier.FixAllInOneRunAsync<AddBackpressureAttributeCodeFix>(
            [
                """
                namespace App;

                [Reactive.Streams.StreamSink(typeof(Ev))]
                public partial class {|RXS0001:First|}
                {
                }

                [Reactive.Streams.StreamSink(typeof(Ev))]
                public partial class {|RXS0001:Second|}
                {
                }
                """,
                """
                using Reactive.Streams;

                [StreamSink(typeof(App.Ev))]
                public partial class {|RXS0001:Third|}
                {
                }
                """,
                "using Reactive.Streams;\n\nnamespace App;\n" + Union,
            ],
            [
                """
                using Reactive.Streams;

                namespace App;

                [Backpressure(BackpressurePolicy.PauseUpstream)]
                [Reactive.Streams.StreamSink(typeof(Ev))]
                public partial class First
                {
                }

                [Backpressure(BackpressurePolicy.PauseUpstream)]
                [Reactive.Streams.StreamSink(typeof(Ev))]
                public partial class Second
                {
                }
                """,
                """
                using Reactive.Streams;

                [Backpressure(BackpressurePolicy.PauseUpstream)]
                [StreamSink(typeof(App.Ev))]
                public partial class Third
                {
                }
                """,
                "using Reactive.Streams;\n\nnamespace App;\n" + Union,
            ],
            diagnostics: 3);

    // The sink may already have a member named Degrade (in any of its parts): the added degrader takes a free name.
    [Fact]
    public Task DegradeQuality_names_its_degrader_after_the_members_the_sink_already_has() =>
        Verifier.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            [StreamSink(typeof(Ev))]
            public partial class {|RXS0001:Sink|}
            {
                public void OnA(Ev.A a) { }

                private static Ev Degrade(Ev item) => item;
            }

            public partial class Sink
            {
                private int Degrade2 { get; set; }
            }
            """ + Union,
            """
            using Reactive.Streams;

            [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Degrade3))]
            [StreamSink(typeof(Ev))]
            public partial class Sink
            {
                public void OnA(Ev.A a) { }

                private static Ev Degrade(Ev item) => item;

                private static Ev Degrade3(Ev item) => item;
            }

            public partial class Sink
            {
                private int Degrade2 { get; set; }
            }
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + "DegradeQuality");

    // A member the sink inherits and can see is taken too (a new one would hide it: CS0108); a private one is not.
    [Fact]
    public Task DegradeQuality_names_its_degrader_after_the_members_the_sink_inherits() =>
        Verifier.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            public class SinkBase
            {
                protected void Degrade() { }

                private void Degrade2() { }
            }

            [StreamSink(typeof(Ev))]
            public partial class {|RXS0001:Sink|} : SinkBase
            {
                public void OnA(Ev.A a) { }
            }
            """ + Union,
            """
            using Reactive.Streams;

            public class SinkBase
            {
                protected void Degrade() { }

                private void Degrade2() { }
            }

            [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Degrade2))]
            [StreamSink(typeof(Ev))]
            public partial class Sink : SinkBase
            {
                public void OnA(Ev.A a) { }

                private static Ev Degrade2(Ev item) => item;
            }
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + "DegradeQuality");

    // A sink written on one line: the fix threw a NullReferenceException (no indentation to copy).
    [Fact]
    public Task DegradeQuality_adds_the_degrader_to_a_sink_written_on_one_line() =>
        Verifier.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            [StreamSink(typeof(Ev))] public partial class {|RXS0001:Sink|} { public void OnA(Ev.A a) { } }
            """ + Union,
            """
            using Reactive.Streams;

            [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Degrade))]
            [StreamSink(typeof(Ev))] public partial class Sink { public void OnA(Ev.A a) { } private static Ev Degrade(Ev item) => item; }
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + "DegradeQuality");

    // A part declared without a body (`partial class Sink;`, its handlers in another part): the fix wrote the degrader
    // after the name, `public partial class Sinkprivate static Ev Degrade(Ev item) => item; ;`, which does not compile.
    [Fact]
    public Task DegradeQuality_gives_a_body_less_sink_part_a_body_for_the_degrader() =>
        Verifier.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            [StreamSink(typeof(Ev))]
            public partial class {|RXS0001:Sink|};

            public partial class Sink
            {
                public void OnA(Ev.A a) { }
            }
            """ + Union,
            """
            using Reactive.Streams;

            [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Degrade))]
            [StreamSink(typeof(Ev))]
            public partial class Sink
            {
                private static Ev Degrade(Ev item) => item;
            }

            public partial class Sink
            {
                public void OnA(Ev.A a) { }
            }
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + "DegradeQuality");

    [Fact]
    public Task DegradeQuality_gives_a_nested_positional_record_sink_a_body_and_keeps_its_comment() =>
        Verifier.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            namespace App
            {
                public static partial class Outer
                {
                    [StreamSink(typeof(Ev))]
                    public partial record {|RXS0001:Sink|}(int Id) ; // audit

                    public partial record Sink
                    {
                        public void OnA(Ev.A a) { }
                    }
                }

                [EventUnion]
                public abstract partial record Ev
                {
                    public sealed partial record A(int X) : Ev;
                }
            }
            """,
            """
            using Reactive.Streams;

            namespace App
            {
                public static partial class Outer
                {
                    [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Degrade))]
                    [StreamSink(typeof(Ev))]
                    public partial record Sink(int Id)
                    {
                        private static Ev Degrade(Ev item) => item;
                    } // audit

                    public partial record Sink
                    {
                        public void OnA(Ev.A a) { }
                    }
                }

                [EventUnion]
                public abstract partial record Ev
                {
                    public sealed partial record A(int X) : Ev;
                }
            }
            """,
            nameof(AddBackpressureAttributeCodeFix) + "DegradeQuality");

    [Fact]
    public Task The_other_policies_add_only_the_attribute_to_a_body_less_sink_part() =>
        Verifier.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            [StreamSink(typeof(Ev))]
            public partial class {|RXS0001:Sink|};

            public partial class Sink
            {
                public void OnA(Ev.A a) { }
            }
            """ + Union,
            """
            using Reactive.Streams;

            [Backpressure(BackpressurePolicy.PauseUpstream)]
            [StreamSink(typeof(Ev))]
            public partial class Sink;

            public partial class Sink
            {
                public void OnA(Ev.A a) { }
            }
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + "PauseUpstream");

    // `using Reactive.Streams;` among the usings of `namespace Contoso.Reactive.Audit;` would bind to Contoso.Reactive.
    [Fact]
    public Task The_using_added_in_a_file_scoped_namespace_with_a_Reactive_segment_is_global_qualified() =>
        Verifier.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            namespace Contoso.Reactive.Audit;

            using System;

            [global::Reactive.Streams.StreamSink(typeof(Ev))]
            public partial class {|RXS0001:Sink|}
            {
                public void OnA(Ev.A a) => Console.WriteLine(a);
            }

            [global::Reactive.Streams.EventUnion]
            public abstract partial record Ev
            {
                public sealed partial record A(int X) : Ev;
            }
            """,
            """
            namespace Contoso.Reactive.Audit;

            using System;
            using global::Reactive.Streams;

            [Backpressure(BackpressurePolicy.PauseUpstream)]
            [global::Reactive.Streams.StreamSink(typeof(Ev))]
            public partial class Sink
            {
                public void OnA(Ev.A a) => Console.WriteLine(a);
            }

            [global::Reactive.Streams.EventUnion]
            public abstract partial record Ev
            {
                public sealed partial record A(int X) : Ev;
            }
            """,
            nameof(AddBackpressureAttributeCodeFix) + "PauseUpstream");
}
