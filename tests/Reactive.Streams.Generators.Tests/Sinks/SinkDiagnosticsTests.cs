using Reactive.Streams.Generators.Tests.Infrastructure;
using static Reactive.Streams.Generators.Tests.Unions.UnionDiagnosticsTests;

namespace Reactive.Streams.Generators.Tests.Sinks;

public sealed class SinkDiagnosticsTests
{
    private const string Header = """
        #pragma warning disable CS1591
        using System.Threading;
        using System.Threading.Tasks;
        using Reactive.Streams;
        using Consumer.Leases;

        """;

    [Fact]
    public void RXS1004_reports_each_variant_without_a_handler()
    {
        const string Sink = Header + """
            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            public partial class PartialSink
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, Sink);

        Assert.Equal(new[] { "RXS1004", "RXS1004" }, run.GeneratorDiagnosticIds);
        Assert.Equal(
            new[]
            {
                "Stream sink 'PartialSink' has no handler 'OnRenewed' for variant 'Renewed' of event union 'LeaseHistoryEvent'",
                "Stream sink 'PartialSink' has no handler 'OnRevoked' for variant 'Revoked' of event union 'LeaseHistoryEvent'",
            },
            run.GeneratorDiagnostics.Select(static d => d.GetMessage()));
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal("PartialSink", SourceAt(run, d)));
    }

    [Theory]
    [InlineData("public Task OnRenewed(LeaseHistoryEvent.Renewed item) => Task.CompletedTask;", "returns 'System.Threading.Tasks.Task'")]
    [InlineData("public void OnRenewed(LeaseHistoryEvent.Acquired item) { }", "its first parameter is 'Consumer.Leases.LeaseHistoryEvent.Acquired'")]
    [InlineData("public void OnRenewed(LeaseHistoryEvent.Renewed item, int attempt) { }", "its second parameter is 'int'")]
    [InlineData("public static void OnRenewed(LeaseHistoryEvent.Renewed item) { }", "it is static")]
    [InlineData("public void OnRenewed() { }", "it takes 0 parameters")]
    [InlineData("public void OnRenewed(ref LeaseHistoryEvent.Renewed item) { }", "its first parameter")]
    [InlineData("public void OnRenewed(in LeaseHistoryEvent.Renewed item) { }", "its first parameter")]
    [InlineData("public void OnRenewed(out LeaseHistoryEvent.Renewed item) { item = null!; }", "its first parameter")]
    [InlineData("public void OnRenewed(LeaseHistoryEvent.Renewed item, in CancellationToken cancellationToken) { }", "its second parameter")]
    [InlineData("public void OnRenewed(params LeaseHistoryEvent.Renewed[] items) { }", "its first parameter")]
    [InlineData("public ValueTask<int> OnRenewed(LeaseHistoryEvent.Renewed item) => default;", "returns 'System.Threading.Tasks.ValueTask<int>'")]
    [InlineData("public ValueTask? OnRenewed(LeaseHistoryEvent.Renewed item) => default;", "returns 'System.Threading.Tasks.ValueTask?'")]
    [InlineData("public void OnRenewed<T>(LeaseHistoryEvent.Renewed item) { }", "it is generic")]
    [InlineData("[System.Diagnostics.Conditional(\"DEBUG\")] public void OnRenewed(LeaseHistoryEvent.Renewed item) { }", "it is [Conditional]")]
    public void RXS1005_reports_a_handler_with_a_wrong_signature(string handler, string reason)
    {
        var sink = Header + $$"""
            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            public partial class WrongSink
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                {{handler}}
                public ValueTask OnRevoked(LeaseHistoryEvent.Revoked item, CancellationToken cancellationToken) => default;
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, sink);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1005", diagnostic.Id);
        Assert.Equal("OnRenewed", SourceAt(run, diagnostic));
        Assert.Contains(reason, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.DoesNotContain(run.Sources.Keys, static k => k.Contains("WrongSink", StringComparison.Ordinal));
    }

    [Fact]
    public void RXS1005_reports_an_OnUnknown_handler_with_a_wrong_signature()
    {
        const string Sink = Header + """
            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            public partial class UnknownSink
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
                public int OnUnknown(LeaseHistoryEvent.Unknown item) => 0;
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, Sink);

        Assert.Equal("RXS1005", Assert.Single(run.GeneratorDiagnostics).Id);
    }

    [Theory]
    [InlineData("[StreamSink(typeof(LeaseHistoryEvent))] public class NotPartial { }", "partial")]
    [InlineData("[StreamSink(typeof(string))] public partial class NotAUnion { }", "[EventUnion]")]
    [InlineData("[StreamSink(typeof(LeaseHistoryEvent))] public partial class Generic<T> { }", "non-generic")]
    [InlineData("public partial class Host<T> { [StreamSink(typeof(LeaseHistoryEvent))] public partial class Inner { } }", "non-generic")]
    [InlineData("public class Host { [StreamSink(typeof(LeaseHistoryEvent))] public partial class Inner { } }", "'Host' is not one")]
    [InlineData("[StreamSink(typeof(LeaseHistoryEvent))] public partial record RecordSink;", "a partial class")]
    [InlineData("[StreamSink(typeof(LeaseHistoryEvent))] public static partial class StaticSink { }", "a partial class")]
    public void RXS1001_reports_a_sink_that_is_not_partial_or_names_no_union(string declaration, string reason)
    {
        var run = TestCompilation.Run(Sources.LeaseHistory, Header + declaration);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1001", diagnostic.Id);
        Assert.Contains(reason, diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("public abstract record Refused", "RXS1001")]
    [InlineData("public abstract partial record Refused", "RXS1006", "public sealed record @class(int X) : Refused;", "public void Onclass(Refused.@class item) { }")]
    [InlineData("public abstract partial record Refused", "RXS1008", "public sealed record Closed(int X) : Refused { public string? Reason { get; init; } }", "public void OnClosed(Refused.Closed item) { }")]
    public void A_sink_over_a_union_the_generator_refused_gets_no_code_instead_of_code_that_does_not_compile(string union, string id, string variant = "", string handler = "")
    {
        var source = Header + $$"""
            [EventUnion]
            {{union}}
            {
                public sealed record Opened(int X) : Refused;
                {{variant}}
            }

            [StreamSink(typeof(Refused))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            public partial class RefusedSink
            {
                public void OnOpened(Refused.Opened item) { }
                {{handler}}
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, source);

        Assert.Equal(id, Assert.Single(run.GeneratorDiagnostics).Id);
        Assert.DoesNotContain(run.Sources.Keys, static k => k.Contains("RefusedSink", StringComparison.Ordinal));
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void A_sink_and_its_containing_type_named_with_keywords_compile()
    {
        const string Sink = Header + """
            public partial class @struct
            {
                [StreamSink(typeof(LeaseHistoryEvent))]
                [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
                public partial class @event
                {
                    public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                    public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                    public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
                }
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, Sink);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("struct.event.StreamSink.g.cs", run.Sources.Keys);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Theory]
    [InlineData("internal", "", "public", "", true)]
    [InlineData("internal", "", "protected", "", true)]
    [InlineData("internal", "", "protected internal", "", true)]
    [InlineData("public", "internal", "public", "", true)]
    [InlineData("internal", "", "internal", "", false)]
    [InlineData("internal", "", "private protected", "", false)]
    [InlineData("internal", "", "private", "", false)]
    [InlineData("internal", "", "public", "private", false)]
    [InlineData("public", "internal", "public", "internal", false)]
    [InlineData("public", "", "public", "", false)]
    public void A_sink_more_accessible_than_its_union_is_RXS1001_and_any_other_compiles(string unionAccess, string unionHostAccess, string sinkAccess, string wrapperAccess, bool reported)
    {
        // The union is in Host, or in a type of its own inside Host when unionHostAccess is given; the sink is in Host,
        // or in a Wrapper inside Host when wrapperAccess is given.
        var union = $$"""
            [EventUnion]
            {{unionAccess}} abstract partial record Scoped
            {
                public sealed record Opened(int X) : Scoped;
            }
            """;
        var unionName = unionHostAccess.Length > 0 ? "UnionHost.Scoped" : "Scoped";
        var sink = $$"""
            [StreamSink(typeof({{unionName}}))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            {{sinkAccess}} partial class ScopedSink
            {
                void OnOpened({{unionName}}.Opened item) { }
            }
            """;
        var source = Header + $$"""
            public partial class Host
            {
                {{(unionHostAccess.Length > 0 ? unionHostAccess + " partial class UnionHost { " + union + " }" : union)}}

                {{(wrapperAccess.Length > 0 ? wrapperAccess + " partial class Wrapper { " + sink + " }" : sink)}}
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, source);

        if (reported)
        {
            var diagnostic = Assert.Single(run.GeneratorDiagnostics);
            Assert.Equal("RXS1001", diagnostic.Id);
            Assert.Equal("'ScopedSink' must be no more accessible than its event union 'Scoped', which the generated public members take; no code is generated for it", diagnostic.GetMessage());
        }
        else
        {
            Assert.Empty(run.GeneratorDiagnostics);
            Assert.Contains(run.Sources.Keys, static k => k.Contains("ScopedSink.StreamSink", StringComparison.Ordinal));
        }

        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void A_file_local_sink_is_RXS1001()
    {
        var run = TestCompilation.Run(Sources.LeaseHistory, Header + """
            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            file partial class LocalSink
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }
            """);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1001", diagnostic.Id);
        Assert.Contains("not file-local", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void A_sink_nested_in_a_file_local_class_is_RXS1001()
    {
        var run = TestCompilation.Run(Sources.LeaseHistory, Header + """
            file static partial class Holder
            {
                [StreamSink(typeof(LeaseHistoryEvent))]
                [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
                public partial class LocalSink
                {
                    public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                    public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                    public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
                }
            }
            """);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1001", diagnostic.Id);
        Assert.Equal("'LocalSink' must be declared in types that are not file-local ('Holder' is one); no code is generated for it", diagnostic.GetMessage());
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void A_sink_without_Backpressure_gets_DispatchAsync_only_and_leaves_RXS0001_to_the_analyzer()
    {
        const string Sink = Header + """
            [StreamSink(typeof(LeaseHistoryEvent))]
            public partial class NoPolicySink
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, Sink);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        var generated = run.Sources["NoPolicySink.StreamSink.g.cs"];
        Assert.Contains("DispatchAsync", generated, StringComparison.Ordinal);
        Assert.DoesNotContain("CreateObserver", generated, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("public object? Target { get; set; }", "Target")]
    [InlineData("public void DispatchAsync() { }", "DispatchAsync")]
    [InlineData("public sealed class Observer { }", "Observer")]
    public void RXS1006_reports_a_sink_member_named_like_a_generated_one(string member, string name)
    {
        var sink = Header + $$"""
            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            public partial class CollidingSink
            {
                {{member}}
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, sink);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1006", diagnostic.Id);
        Assert.Equal($"'{name}' in stream sink 'CollidingSink' is the name of a member the generator adds to the sink; no code is generated for it", diagnostic.GetMessage());
        Assert.DoesNotContain(run.Sources.Keys, static k => k.Contains("CollidingSink", StringComparison.Ordinal));
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Theory]
    [InlineData("Observer", "")]
    [InlineData("Target", "")]
    [InlineData("DeliverySink", "")]
    [InlineData("Sink", "public object? Target { get; set; }")]
    [InlineData("Sink", "public sealed class Observer { }")]
    [InlineData("Sink", "protected void DispatchAsync() { }")]
    public void RXS1006_reports_a_sink_named_like_a_generated_member_or_inheriting_one(string sinkName, string baseMember)
    {
        var sink = Header + $$"""
            public class SinkBase
            {
                {{baseMember}}

                // Private: the sink cannot see it, so the generated CreateObserver hides nothing.
                private int CreateObserver = 0;

                public int Unused => CreateObserver;
            }

            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            public partial class {{sinkName}} : SinkBase
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, sink);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1006", diagnostic.Id);
        Assert.Equal(sinkName, SourceAt(run, diagnostic));
        Assert.DoesNotContain(run.Sources.Keys, k => k.Contains(sinkName + ".StreamSink", StringComparison.Ordinal));
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Theory]
    [InlineData("static LeaseHistoryEvent.Renewed Coarsen(LeaseHistoryEvent.Renewed e) => e;", "its parameter is 'Consumer.Leases.LeaseHistoryEvent.Renewed'")]
    [InlineData("LeaseHistoryEvent Coarsen(LeaseHistoryEvent e) => e;", "it is not static")]
    [InlineData("static object Coarsen(LeaseHistoryEvent e) => e;", "it returns 'object'")]
    [InlineData("static LeaseHistoryEvent Coarsen(LeaseHistoryEvent e, int by) => e;", "it takes 2 parameters")]
    [InlineData("static LeaseHistoryEvent Other(LeaseHistoryEvent e) => e;", "the sink has no method of that name")]
    public void RXS1007_reports_a_degrader_that_the_sink_cannot_call(string degrader, string reason)
    {
        var sink = Header + $$"""
            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = "Coarsen")]
            public partial class DegradingSink
            {
                {{degrader}}
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, sink);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1007", diagnostic.Id);
        Assert.StartsWith("Degrader 'Coarsen' of stream sink 'DegradingSink' must be a static method 'Consumer.Leases.LeaseHistoryEvent Coarsen(Consumer.Leases.LeaseHistoryEvent item)'; ", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.EndsWith(reason, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.DoesNotContain(run.Sources.Keys, static k => k.Contains("DegradingSink", StringComparison.Ordinal));
    }

    [Fact]
    public void An_obsolete_handler_and_an_overloaded_degrader_compile_warning_free()
    {
        var sink = Header + """
            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = nameof(Coarsen))]
            public partial class LegacySink
            {
                static LeaseHistoryEvent Coarsen(LeaseHistoryEvent e) => e;
                static string Coarsen(string text) => text;
                [System.Obsolete("Renewals are ignored from v3.")]
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                [System.Obsolete]
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, sink);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("LegacySink.StreamSink.g.cs", run.Sources.Keys);
        Assert.Empty(run.CompilationDiagnostics);
    }

    // [Experimental] is an error by default, in the declaring assembly too; unlike an [Obsolete] error it can be
    // suppressed, and the handler is the sink's own, so the generated call suppresses it.
    [Fact]
    public void Experimental_handlers_compile_and_only_the_ids_the_handlers_carry_are_suppressed()
    {
        var sink = Header + """
            public class SinkBase
            {
                [System.Diagnostics.CodeAnalysis.Experimental("LEASEEXP2")]
                public virtual void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }

            [System.Diagnostics.CodeAnalysis.Experimental("LEASEEXP3")]
            public class ExperimentalBase
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
            }

            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            #pragma warning disable LEASEEXP3
            public partial class TrialSink : ExperimentalBase
            #pragma warning restore LEASEEXP3
            {
                [System.Diagnostics.CodeAnalysis.Experimental("LEASEEXP1")]
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }

            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            public partial class OverridingSink : SinkBase
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                #pragma warning disable LEASEEXP2
                public override void OnRevoked(LeaseHistoryEvent.Revoked item) { }
                #pragma warning restore LEASEEXP2
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, sink);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        var trial = run.Sources.Single(s => s.Key.EndsWith("TrialSink.StreamSink.g.cs", StringComparison.Ordinal)).Value;
        var overriding = run.Sources.Single(s => s.Key.EndsWith("OverridingSink.StreamSink.g.cs", StringComparison.Ordinal)).Value;
        Assert.Contains("#pragma warning disable CS0612, CS0618, LEASEEXP1, LEASEEXP3", trial, StringComparison.Ordinal);
        Assert.Contains("#pragma warning disable CS0612, CS0618, LEASEEXP2", overriding, StringComparison.Ordinal);
    }

    // CS0619 (an [Obsolete] error) cannot be suppressed by the generated code's #pragma: the sink is refused instead.
    [Theory]
    [InlineData("[System.Obsolete(\"Renewals are ignored from v3.\", error: true)]")]
    [InlineData("[System.Obsolete(\"Renewals are ignored from v3.\", true)]")]
    [InlineData("[System.Obsolete(error: true, message: \"Renewals are ignored from v3.\")]")]
    public void RXS1005_reports_a_handler_marked_obsolete_as_an_error_and_nothing_that_does_not_compile_is_generated(string obsolete)
    {
        var sink = Header + $$"""
            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            public partial class LegacySink
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                {{obsolete}}
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, sink);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1005", diagnostic.Id);
        Assert.Equal("OnRenewed", SourceAt(run, diagnostic));
        Assert.Equal(
            "Handler 'OnRenewed' of stream sink 'LegacySink' must be an instance method 'void OnRenewed(Consumer.Leases.LeaseHistoryEvent.Renewed item)' or " +
            "'ValueTask OnRenewed(Consumer.Leases.LeaseHistoryEvent.Renewed item)', optionally with a trailing CancellationToken; " +
            "it is marked [Obsolete] as an error, so the generated code that calls it would not compile (CS0619)",
            diagnostic.GetMessage());
        Assert.DoesNotContain(run.Sources.Keys, static k => k.Contains("LegacySink", StringComparison.Ordinal));
        Assert.Empty(run.CompilationDiagnostics);
    }

    // The generated call binds to the method an override overrides first: its [Obsolete] is the one the compiler applies.
    [Fact]
    public void RXS1005_reports_a_handler_overriding_a_method_marked_obsolete_as_an_error()
    {
        var sink = Header + """
            public abstract class LegacyBase
            {
                [System.Obsolete("Renewals are ignored from v3.", true)]
                public virtual void OnRenewed(LeaseHistoryEvent.Renewed item) { }
            }

            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            public partial class LegacySink : LegacyBase
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
            #pragma warning disable CS0672 // overrides an obsolete member
                public override void OnRenewed(LeaseHistoryEvent.Renewed item) { }
            #pragma warning restore CS0672
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, sink);

        var diagnostics = run.GeneratorDiagnostics.OrderBy(static d => d.Location.SourceSpan.Start).ToArray();
        Assert.Equal(new[] { "RXS1005", "RXS1005" }, diagnostics.Select(static d => d.Id));
        Assert.All(diagnostics, d => Assert.Equal("OnRenewed", SourceAt(run, d)));
        Assert.EndsWith("; it is marked [Obsolete] as an error, so the generated code that calls it would not compile (CS0619)", diagnostics[0].GetMessage(), StringComparison.Ordinal);
        Assert.EndsWith("; it overrides 'LegacyBase.OnRenewed', which is marked [Obsolete] as an error, so the generated code that calls it would not compile (CS0619)", diagnostics[1].GetMessage(), StringComparison.Ordinal);
        Assert.DoesNotContain(run.Sources.Keys, static k => k.Contains("LegacySink", StringComparison.Ordinal));
        Assert.Empty(run.CompilationDiagnostics);
    }

    // Where the compiler reports no CS0619 for the generated call, the sink is generated: another overload is the
    // handler, the [Obsolete] is on an override (the compiler ignores it there), or the sink itself is obsolete.
    [Fact]
    public void A_handler_obsolete_as_an_error_that_the_generated_call_does_not_reach_is_not_reported()
    {
        var sink = Header + """
            public abstract class LeaseBase
            {
                public virtual void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }

            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            public partial class OverloadedSink : LeaseBase
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                [System.Obsolete("Pass the token.", error: true)]
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                public void OnRenewed(LeaseHistoryEvent.Renewed item, CancellationToken cancellationToken) { }
            #pragma warning disable CS0809 // obsolete member overrides a non-obsolete one
                [System.Obsolete("Revocations move to the audit log.", error: true)]
                public override void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            #pragma warning restore CS0809
            }

            [System.Obsolete("Replaced by the v3 projection.")]
            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            public partial class ObsoleteSink
            {
                [System.Obsolete("Renewals are ignored from v3.", error: true)]
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, sink);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("OverloadedSink.StreamSink.g.cs", run.Sources.Keys);
        Assert.Contains("ObsoleteSink.StreamSink.g.cs", run.Sources.Keys);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void A_degrader_from_union_to_union_is_used()
    {
        var sink = Header + """
            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = nameof(Coarsen))]
            public partial class DegradingSink
            {
                static LeaseHistoryEvent Coarsen(LeaseHistoryEvent e) => e;
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
            }
            """;

        var run = TestCompilation.Run(Sources.LeaseHistory, sink);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("Degrader = Coarsen", run.Sources.Single(static s => s.Key.Contains("DegradingSink", StringComparison.Ordinal)).Value, StringComparison.Ordinal);
        Assert.Empty(run.CompilationDiagnostics);
    }
}

public sealed class SinkOverReferencedUnionTests
{
    [Fact]
    public void A_sink_over_unions_from_a_referenced_assembly_finds_their_fallback_variants()
    {
        var library = TestCompilation.Run(Sources.LeaseHistory, Sources.Completion);
        using var image = new MemoryStream();
        Assert.True(library.Output.Emit(image).Success);
        const string Sinks = """
            #pragma warning disable CS1591
            using Reactive.Streams;
            using Consumer.Completion;
            using Consumer.Leases;

            [StreamSink(typeof(LeaseHistoryEvent))]
            [Backpressure(BackpressurePolicy.Fail, Capacity = 4)]
            public partial class RemoteLeaseSink
            {
                public void OnAcquired(LeaseHistoryEvent.Acquired item) { }
                public void OnRenewed(LeaseHistoryEvent.Renewed item) { }
                public void OnRevoked(LeaseHistoryEvent.Revoked item) { }
                public void OnUnknown(LeaseHistoryEvent.Unknown item) { }
            }

            [StreamSink(typeof(CompletionOutcome))]
            [Backpressure(BackpressurePolicy.DropOldest, Capacity = 4)]
            public partial class RemoteOutcomeSink
            {
                public void OnSuccess(CompletionOutcome.Success item) { }
                public void OnFailure(CompletionOutcome.Failure item) { }
                public void OnCancelled(CompletionOutcome.Cancelled item) { }
                public void OnOther(CompletionOutcome.Other item) { }
            }
            """;
        var consumer = TestCompilation.Create(Sinks).AddReferences(Microsoft.CodeAnalysis.MetadataReference.CreateFromImage(image.ToArray()));

        TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(consumer, out var output, out var diagnostics);

        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(static d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning));
    }
}
