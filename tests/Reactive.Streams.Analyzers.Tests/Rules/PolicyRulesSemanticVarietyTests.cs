using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;
using Capacity = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.CapacityAnalyzer>;
using Degrader = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.MissingDegraderAnalyzer>;
using Sink = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.MissingBackpressureAttributeAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXS0001, RXS0002, RXS0003 and RXS0005 as a large solution meets them: names reached through aliases, static usings
/// and <c>global::</c>; the library's factories instantiated with type parameters, in interfaces' default members,
/// record structs, ref structs and lambdas; constants of another assembly and constant expressions of every kind;
/// generated code; severities set in .editorconfig and findings suppressed with <c>[SuppressMessage]</c>; and no AD0001.
/// Each finding is compared as <c>ID@line</c> (1-based), whatever the analyzer that reports it.
/// </summary>
public sealed class PolicyRulesSemanticVarietyTests
{
    private static readonly ImmutableArray<DiagnosticAnalyzer> s_rules = ImmutableArray.Create<DiagnosticAnalyzer>(
        new MissingBackpressureAttributeAnalyzer(), new UnboundedBoundaryAnalyzer(), new MissingDegraderAnalyzer(), new CapacityAnalyzer());

    [Fact]
    public async Task Aliases_static_usings_and_global_qualified_names_reach_the_library_calls()
    {
        var found = await FindingsAsync("""
            using System.Threading.Channels;
            using BS = Reactive.Streams.BoundedStream;
            using Policy = Reactive.Streams.BackpressurePolicy;
            using static Reactive.Streams.BackpressurePolicy;
            using static Reactive.Streams.BackpressureChannel;
            using Unbounded = System.Threading.Channels.Channel;

            static class C
            {
                static object[] M() =>
                [
                    BS.DropOldest<int>(0),
                    Create<int>(DropOldest, -1),
                    global::Reactive.Streams.BoundedStream.Fail<int>(0),
                    Create<int>(DegradeQuality, 4),
                    global::Reactive.Streams.BackpressureChannel.Create<int>(Policy.DegradeQuality, 4),
                    Unbounded.CreateUnbounded<int>(),
                    global::System.Threading.Channels.Channel.CreateUnbounded<int>(),
                    BS.DropOldest<int>(1),
                    Create<int>(DegradeQuality, 4, static x => x / 2),
                ];
            }
            """);

        Assert.Equal(["RXS0005@12", "RXS0005@13", "RXS0005@14", "RXS0003@15", "RXS0003@16", "RXS0002@17", "RXS0002@18"], found);
    }

    [Fact]
    public async Task Streams_held_by_generic_types_interfaces_record_structs_ref_structs_and_lambdas_are_judged()
    {
        var found = await FindingsAsync("""
            using System;
            using System.Threading.Channels;
            using Reactive.Streams;

            interface IFeed
            {
                BoundedStream<int> Open() => BoundedStream.DropOldest<int>(0);
            }

            sealed class Pipe<T>
            {
                public BoundedStream<T> Stream { get; } = BoundedStream.DropOldest<T>(0);
                public Channel<T> Lane { get; } = BackpressureChannel.Create<T>(BackpressurePolicy.DegradeQuality, 4);
                public static BoundedStream<TItem> Make<TItem>() => BoundedStream.Fail<TItem>(-1);
            }

            record struct Holder(int N)
            {
                public Channel<int> Lane { get; } = Channel.CreateUnbounded<int>();
            }

            ref struct Lease
            {
                public Lease(int n) => _ = BackpressureChannel.Create<int>(BackpressurePolicy.DegradeQuality, n);
            }

            record Settings
            {
                public BoundedStreamOptions<int> Options { get; init; } = new(BackpressurePolicy.DegradeQuality, 0);
            }

            static class Factories
            {
                static Func<BoundedStream<int>> Lazy = () => BoundedStream.DegradeQuality<int>(4, null!);

                static BoundedStream<string> Local()
                {
                    return Make();

                    static BoundedStream<string> Make() => BoundedStream.PauseUpstream<string>(0);
                }
            }
            """);

        Assert.Equal(
            ["RXS0005@7", "RXS0005@12", "RXS0003@13", "RXS0005@14", "RXS0002@19", "RXS0003@24", "RXS0003@29", "RXS0005@29", "RXS0003@34", "RXS0005@40"],
            found);
    }

    // A method of your own that takes a capacity or a policy and passes it on is not followed into: the rules judge what
    // is written at a call of the library (docs/rules/RXS0003.md, RXS0005.md). Inside the wrapper the value is a parameter.
    [Fact]
    public async Task A_wrapper_of_your_own_is_not_followed_into_and_is_judged_where_it_calls_the_library()
    {
        var found = await FindingsAsync("""
            using System;
            using System.Reactive.Concurrency;
            using Reactive.Streams;

            static class MyStreams
            {
                public static IObservable<T> Buffered<T>(this IObservable<T> source, int capacity) =>
                    source.DropOldest(capacity, ImmediateScheduler.Instance);

                public static BoundedStream<T> Open<T>(BackpressurePolicy policy, int capacity) =>
                    BoundedStream.Create<T>(new BoundedStreamOptions<T>(policy, capacity));

                public static IObservable<T> Coarse<T>(this IObservable<T> source) =>
                    source.DropOldest(0, ImmediateScheduler.Instance);
            }

            static class Use
            {
                static object[] M(IObservable<int> source) => [source.Buffered(0), MyStreams.Open<int>(BackpressurePolicy.DegradeQuality, 0)];
            }
            """);

        Assert.Equal(["RXS0005@14"], found);
    }

    [Fact]
    public async Task Constants_of_another_assembly_are_read_like_constants_of_this_one()
    {
        var other = CSharpCompilation.Create(
            "Contoso.Limits",
            [CSharpSyntaxTree.ParseText("""
                namespace Contoso;

                public static class Limits
                {
                    public const int None = 0;
                    public const short Tiny = 0;
                    public const int Plenty = 64;
                    public const Reactive.Streams.BackpressurePolicy Coarse = Reactive.Streams.BackpressurePolicy.DegradeQuality;
                    public const Reactive.Streams.BackpressurePolicy Lossless = Reactive.Streams.BackpressurePolicy.PauseUpstream;
                }
                """)],
            TestReferences.Runtime.AddRange(TestReferences.Library),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var image = new MemoryStream();
        var emitted = other.Emit(image);
        Assert.True(emitted.Success, string.Join(Environment.NewLine, emitted.Diagnostics));

        var found = await FindingsAsync(
            [MetadataReference.CreateFromImage(image.ToArray())],
            """
            using Contoso;
            using Reactive.Streams;

            [StreamSink(typeof(Ev))]
            [Backpressure(Limits.Coarse, Capacity = Limits.Tiny)]
            public partial class Sink
            {
                public void OnA(Ev.A e) { }

                static object[] M() =>
                [
                    BoundedStream.DropOldest<int>(Limits.None),
                    BackpressureChannel.Create<int>(Limits.Coarse, Limits.Plenty),
                    new BoundedStreamOptions<int>(Limits.Lossless, Limits.Plenty - Limits.Plenty),
                    BoundedStream.DropOldest<int>(Limits.Plenty),
                    BackpressureChannel.Create<int>(Limits.Lossless, Limits.Plenty),
                ];
            }

            [EventUnion]
            public abstract partial record Ev
            {
                public sealed record A(int X) : Ev;
            }
            """);

        Assert.Equal(["RXS0003@5", "RXS0005@5", "RXS0005@12", "RXS0003@13", "RXS0005@14"], found);
    }

    // checked/unchecked, a wrap-around, default, a constant choice, an enum, a char, a narrower type and int? targets.
    [Fact]
    public async Task Constant_capacities_of_every_constant_expression_form_are_judged_by_their_value()
    {
        var found = await FindingsAsync("""
            using Reactive.Streams;

            enum Size { None, One }

            [Backpressure(BackpressurePolicy.Fail, Capacity = unchecked((int)Sink.Big))]
            partial class Sink
            {
                internal const long Big = 4294967296L;
                const bool Small = true;

                static object[] M() =>
                [
                    BoundedStream.DropOldest<int>(unchecked((int)Big)),
                    BoundedStream.DropOldest<int>(unchecked(int.MaxValue + 1)),
                    BoundedStream.DropOldest<int>(default),
                    BoundedStream.DropOldest<int>(Small ? 0 : 8),
                    BoundedStream.DropOldest<int>((int)Size.None),
                    BoundedStream.DropOldest<int>('\0'),
                    new DeliverySinkOptions { QueueCapacity = (byte)0 },
                    new DeliverySinkOptions { QueueCapacity = (int?)-3 },
                    BoundedStream.DropOldest<int>(checked(2 - 1)),
                    BoundedStream.DropOldest<int>((int)Size.One),
                    BoundedStream.DropOldest<int>(unchecked((int)(Big + 1))),
                    BoundedStream.DropOldest<int>(Small ? 8 : 0),
                    new DeliverySinkOptions { QueueCapacity = default },
                    new DeliverySinkOptions { QueueCapacity = null },
                ];
            }
            """);

        Assert.Equal(
            ["RXS0005@5", "RXS0005@13", "RXS0005@14", "RXS0005@15", "RXS0005@16", "RXS0005@17", "RXS0005@18", "RXS0005@19", "RXS0005@20"],
            found);
    }

    // The rules do not analyze generated code: a file marked <auto-generated> (or named *.g.cs) and a type marked
    // [GeneratedCode]. The same code written by hand is reported (the control).
    [Theory]
    [InlineData("// <auto-generated/>", "", "Sinks.cs")]
    [InlineData("", "", "Sinks.g.cs")]
    [InlineData("", "[System.CodeDom.Compiler.GeneratedCode(\"tool\", \"1.0\")]", "Sinks.cs")]
    [InlineData("", "", "Sinks.cs")]
    public async Task Generated_code_is_not_analyzed(string header, string attribute, string path)
    {
        var source = header + "\n" + $$"""
            using System.Threading.Channels;
            using Reactive.Streams;

            {{attribute}}
            [StreamSink(typeof(Ev))]
            [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 0)]
            public partial class Sink
            {
                public void OnA(Ev.A e) { }
            }

            {{attribute}}
            [StreamSink(typeof(Ev))]
            public partial class Bare
            {
                public void OnA(Ev.A e) { }
            }

            {{attribute}}
            public static class Lanes
            {
                public static object[] All() =>
                [
                    Channel.CreateUnbounded<int>(),
                    BackpressureChannel.Create<int>(BackpressurePolicy.DegradeQuality, 0),
                ];
            }
            """;
        const string Union = """
            using Reactive.Streams;

            [EventUnion]
            public abstract partial record Ev
            {
                public sealed record A(int X) : Ev;
            }
            """;

        var found = await FindingsAsync([], [(path, source), ("Union.cs", Union)]);

        var handWritten = header.Length == 0 && attribute.Length == 0 && path == "Sinks.cs";
        Assert.Equal(
            handWritten ? ["RXS0003@7", "RXS0005@7", "RXS0001@15", "RXS0002@25", "RXS0003@26", "RXS0005@26"] : [],
            found);
    }

    [Fact]
    public Task An_editorconfig_severity_applies_to_each_rule() =>
        Capacity.AnalyzerAsync(
            """
            using Reactive.Streams;

            static class C
            {
                static object M() => BoundedStream.DropOldest<int>({|#0:0|});
            }
            """,
            withLibrary: true,
            editorConfig: "dotnet_diagnostic.RXS0005.severity = warning\n",
            CapacityAnalyzerTests.BelowOne(0, "Capacity", 0).WithSeverity(DiagnosticSeverity.Warning));

    [Fact]
    public Task An_editorconfig_severity_of_none_turns_a_rule_off() =>
        Sink.AnalyzerAsync(
            """
            using Reactive.Streams;

            [StreamSink(typeof(Ev))]
            public partial class Sink
            {
                public void OnA(Ev.A e) { }
            }

            [EventUnion]
            public abstract partial record Ev
            {
                public sealed record A(int X) : Ev;
            }
            """,
            withLibrary: true,
            editorConfig: "dotnet_diagnostic.RXS0001.severity = none\n");

    [Fact]
    public Task SuppressMessage_on_a_member_on_a_type_and_in_the_assembly_and_a_pragma_are_honoured() =>
        Degrader.AnalyzerAsync("""
            using System.Diagnostics.CodeAnalysis;
            using Reactive.Streams;

            [assembly: SuppressMessage("Reactive.Streams.Backpressure", "RXS0003", Scope = "member", Target = "~M:Assembly.M")]

            static class Member
            {
                [SuppressMessage("Reactive.Streams.Backpressure", "RXS0003:DegradeQuality without a degrader", Justification = "fails fast by design")]
                static object M() => BackpressureChannel.Create<int>(BackpressurePolicy.DegradeQuality, 4);
            }

            [SuppressMessage("Reactive.Streams.Backpressure", "RXS0003")]
            static class Type
            {
                static object M() => BackpressureChannel.Create<int>(BackpressurePolicy.DegradeQuality, 4);
            }

            static class Assembly
            {
                static object M() => BackpressureChannel.Create<int>(BackpressurePolicy.DegradeQuality, 4);
            }

            static class Pragma
            {
            #pragma warning disable RXS0003 // fails fast by design
                static object M() => BackpressureChannel.Create<int>(BackpressurePolicy.DegradeQuality, 4);
            }
            """);

    // #if regions: what the build's symbols leave out is not code; what they keep is judged. #nullable changes nothing.
    [Fact]
    public async Task Only_the_active_branch_of_an_if_region_is_judged_and_nullable_contexts_change_nothing()
    {
        var found = await FindingsAsync("""
            #nullable disable
            using Reactive.Streams;

            static class C
            {
                static object[] M() =>
                [
            #if DEBUG
                    BoundedStream.DropOldest<int>(0),
            #else
                    BoundedStream.DropOldest<int>(-1),
            #endif
            #nullable enable
                    BackpressureChannel.Create<string?>(BackpressurePolicy.DegradeQuality, 4, null),
            #nullable restore
                ];
            }
            """);

        Assert.Equal(["RXS0005@11", "RXS0003@14"], found);
    }

    // `dynamic` defers binding to run time: there is no call of the library to judge, and nothing crashes.
    [Fact]
    public async Task Dynamic_arguments_are_not_judged_and_nothing_crashes()
    {
        var found = await FindingsAsync(
            [],
            [("Test0.cs", """
                using Reactive.Streams;

                static class C
                {
                    static object[] M(dynamic capacity, dynamic policy) =>
                    [
                        BoundedStream.DropOldest<int>(capacity),
                        BackpressureChannel.Create<int>(policy, 4),
                        new BoundedStreamOptions<int>(policy, (dynamic)0),
                        BoundedStream.DropOldest<int>((dynamic)0),
                    ];
                }
                """)],
            allowErrors: true);

        Assert.Empty(found);
    }

    // A project whose own code declares Reactive.Streams' attribute and policy (a copy of an older version of the
    // library, or a renamed assembly): the rules key on the names, and judge it like the library.
    [Fact]
    public async Task An_older_copy_of_the_library_is_judged_by_its_names()
    {
        var found = await FindingsAsync(
            [],
            [
                ("Test0.cs", """
                    using Reactive.Streams;

                    [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 0)]
                    public sealed class Legacy { }
                    """),
                ("OldCore.cs", OldCore),
            ],
            allowErrors: false,
            withLibrary: false);

        Assert.Equal(["RXS0003@3", "RXS0005@3"], found);
    }

    /// <summary>
    /// An older Reactive.Streams.Core: the policy vocabulary and its attribute, none of the operators, channels or blocks
    /// the fixes write (<c>ObservableBackpressureExtensions</c>, <c>BackpressureChannel</c>, <c>BackpressureBlock&lt;T&gt;</c>).
    /// </summary>
    internal const string OldCore = """
        namespace Reactive.Streams
        {
            public enum BackpressurePolicy { DropOldest = 0, DegradeQuality = 1, PauseUpstream = 2, Fail = 3 }

            [System.AttributeUsage(System.AttributeTargets.Class | System.AttributeTargets.Field | System.AttributeTargets.Property)]
            public sealed class BackpressureAttribute : System.Attribute
            {
                public BackpressureAttribute(BackpressurePolicy policy) => Policy = policy;
                public BackpressurePolicy Policy { get; }
                public int Capacity { get; set; } = 1024;
                public string? Degrader { get; set; }
            }
        }
        """;

    private static Task<string[]> FindingsAsync(string source) => FindingsAsync([], source);

    private static Task<string[]> FindingsAsync(MetadataReference[] references, string source) =>
        FindingsAsync(references, [("Test0.cs", source)]);

    private static async Task<string[]> FindingsAsync(
        MetadataReference[] references, (string Path, string Source)[] sources, bool allowErrors = false, bool withLibrary = true)
    {
        var parseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest).WithPreprocessorSymbols("DEBUG_OFF");
        var compilation = CSharpCompilation.Create(
            "Test",
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Source, parseOptions, path: s.Path)),
            (withLibrary ? TestReferences.Runtime.AddRange(TestReferences.Library) : TestReferences.Runtime)
                .AddRange(references),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        if (!allowErrors)
        {
            Assert.Empty(compilation.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Error).Select(static d => d.ToString()));
        }

        var diagnostics = await compilation.WithAnalyzers(s_rules).GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(diagnostics, static d => d.Id == "AD0001");
        return diagnostics
            .OrderBy(static d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(static d => d.Location.SourceSpan.Start)
            .ThenBy(static d => d.Id, StringComparer.Ordinal)
            .Select(static d => d.Id + "@" + (d.Location.GetLineSpan().StartLinePosition.Line + 1))
            .ToArray();
    }
}
