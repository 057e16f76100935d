using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>Incomplete and erroneous code must not crash any rule (the harness fails on AD0001).</summary>
public sealed class RobustnessTests
{
    private const string Broken = """
        using System;
        using System.Reactive.Linq;
        using System.Threading.Channels;
        using System.Threading.Tasks.Dataflow;
        using Reactive.Streams;

        [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = , Degrader = nameof(Missing))]
        [StreamSink(typeof(Nope))]
        public partial class Sink
        {
            static int Halve(int x) => Undefined(x) + ;

            void M(IObservable<int> s)
            {
                s.ObserveOn();
                Channel.CreateUnbounded<>();
                new ActionBlock<int>(;
                StubFactory.DegradeQuality<int>(, x => Halve(x) + y);
                StubFactory.Create<int>(BackpressurePolicy.DegradeQuality, "x", static x => Recurse(x));
                StubFactory.DegradeQuality<int>(4, Halve
                var e = default(Lease) switch { Lease.Acquired => 1, };
                switch (default(Lease)) { case Lease. : break; }
            }

            static int Recurse(int x) => Recurse(
        }

        [EventUnion]
        public abstract partial record Lease
        {
            public sealed partial record Acquired(string Id) : Lease;
            public sealed partial record Revoked( : Lease;
        }

        public sealed record Holder(Lease? Last, System.Collections.Generic.List<> Items, Nope Other);

        [System.Text.Json.Serialization.JsonSerializable(typeof(Holder))]
        [System.Text.Json.Serialization.JsonSerializable(typeof())]
        [System.Text.Json.Serialization.JsonSerializable(typeof(Nope<Lease>[]))]
        [System.Text.Json.Serialization.JsonSerializable]
        public partial class Ctx : System.Text.Json.Serialization.JsonSerializerContext;
        """;

    [Fact]
    public Task MissingBackpressureAttribute_survives_broken_code() => Run<MissingBackpressureAttributeAnalyzer>();

    [Fact]
    public Task UnboundedBoundary_survives_broken_code() => Run<UnboundedBoundaryAnalyzer>();

    [Fact]
    public Task MissingDegrader_survives_broken_code() => Run<MissingDegraderAnalyzer>();

    [Fact]
    public Task ImpureDegrader_survives_broken_code() => Run<ImpureDegraderAnalyzer>();

    [Fact]
    public Task Capacity_survives_broken_code() => Run<CapacityAnalyzer>();

    [Fact]
    public Task NonExhaustiveUnionSwitch_survives_broken_code() => Run<NonExhaustiveUnionSwitchAnalyzer>();

    [Fact]
    public Task JsonContextUnion_survives_broken_code() => Run<JsonContextUnionAnalyzer>();

    [Fact]
    public async Task No_rule_reports_anything_in_code_that_does_not_reference_the_library()
    {
        // Look-alikes of every violation, with the library's names declared locally instead of referenced.
        const string source = """
            using System;
            using System.Reactive.Linq;
            using System.Threading.Channels;
            using System.Threading.Tasks.Dataflow;

            namespace Reactive.Streams
            {
                public enum BackpressurePolicy { DropOldest, DegradeQuality }
                public sealed class StreamSinkAttribute : Attribute { public StreamSinkAttribute(Type t) { } }
                public sealed class EventUnionAttribute : Attribute { }
                public static class Factory { public static int Create<T>(BackpressurePolicy policy, int capacity, Func<T, T>? degrader = null) => 0; }

                [StreamSink(typeof(Ev))]
                public partial class Sink
                {
                    static int Count;

                    void M(IObservable<int> source)
                    {
                        Channel.CreateUnbounded<int>();
                        new BufferBlock<int>();
                        Factory.Create<int>(BackpressurePolicy.DegradeQuality, 0, x => Count++);
                        Factory.Create<int>(BackpressurePolicy.DegradeQuality, 0);
                        _ = default(Ev) switch { Ev.A => 1 };
                    }
                }

                [EventUnion]
                public abstract record Ev { public sealed record A : Ev; public sealed record B : Ev; }

                [System.Text.Json.Serialization.JsonSerializable(typeof(Ev))]
                public abstract partial class Ctx : System.Text.Json.Serialization.JsonSerializerContext
                {
                    protected Ctx() : base(null) { }
                }
            }
            """;
        var analyzers = typeof(DiagnosticIds).Assembly.GetTypes()
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();
        Assert.Equal(8, analyzers.Length); // RXS0001-RXS0007 and the RXSP0001 suppressor

        var diagnostics = await AnalyzerRunner.RunAsync(analyzers, withLibrary: false, source);

        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task The_runner_surfaces_an_analyzer_exception_as_AD0001()
    {
        var diagnostics = await AnalyzerRunner.RunAsync(new ThrowingAnalyzer(), "class C { }");
        Assert.Contains(diagnostics, d => d.Id == "AD0001");
    }

    // Whatever the rules report on broken code is fine; an analyzer exception (AD0001) is not.
    private static async Task Run<TAnalyzer>()
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var diagnostics = await AnalyzerRunner.RunAsync(new TAnalyzer(), Broken);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }
}

#pragma warning disable RS1036, RS1025, RS1026, RS1038, RS1041, RS2008 // a deliberately broken test-only analyzer
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class ThrowingAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new("TST0001", "t", "t", "t", DiagnosticSeverity.Warning, true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context) =>
        context.RegisterSyntaxTreeAction(_ => throw new InvalidOperationException("boom"));
}
