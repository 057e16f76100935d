using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// A project that references Reactive.Streams.Core and another assembly defining types of the same full names (a test
/// double, a library that embeds an internal copy of the attribute, an older copy referenced under an extern alias):
/// <c>Compilation.GetTypeByMetadataName</c> answers null for a name two references define, which switched every rule
/// off silently. The rules take the library's types from the assembly named Reactive.Streams.Core and judge the code
/// as they do without the other assembly.
/// </summary>
public sealed class DuplicateLibraryTypesTests
{
    private static readonly CSharpParseOptions s_parse = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    // The library's names, as a double or an embedded copy declares them ({0}: their accessibility).
    private const string Copy = """
        namespace Reactive.Streams
        {
            {0} enum BackpressurePolicy { DropOldest = 0, DegradeQuality = 1, PauseUpstream = 2, Fail = 3 }

            [System.AttributeUsage(System.AttributeTargets.All)]
            {0} sealed class BackpressureAttribute : System.Attribute
            {
                public BackpressureAttribute(BackpressurePolicy policy) { }
                public int Capacity { get; set; }
                public string? Degrader { get; set; }
            }

            [System.AttributeUsage(System.AttributeTargets.Class)]
            {0} sealed class EventUnionAttribute : System.Attribute { }

            [System.AttributeUsage(System.AttributeTargets.Class)]
            {0} sealed class StreamSinkAttribute : System.Attribute
            {
                public StreamSinkAttribute(System.Type union) { }
            }

            {0} static class ObservableBackpressureExtensions { }
        }
        """;

    private const string App = """
        using System;
        using System.Reactive.Concurrency;
        using System.Reactive.Linq;
        using Reactive.Streams;

        [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 0)]
        public sealed class Legacy { }

        [EventUnion]
        public abstract partial record Lease
        {
            public sealed record Acquired(string Id) : Lease;
            public sealed record Revoked(string Id) : Lease;
        }

        static class C
        {
            static IObservable<int> M(IObservable<int> source, IScheduler scheduler) => source.ObserveOn(scheduler);

            static void N(Lease e)
            {
                switch (e)
                {
                    case Lease.Acquired:
                        break;
                }
            }
        }
        """;

    private static readonly string[] s_expected =
    [
        "RXS0003@6", "RXS0005@6", "RXS0002@18: 'ObserveOn' queues without bound; use a policy operator with a capacity (DropOldest, PauseUpstream, FailOnOverflow, DegradeQuality or WithBackpressure)", "RXS0006@22",
    ];

    [Fact]
    public async Task The_control_without_a_second_assembly_is_judged()
    {
        Assert.Equal(s_expected, await FindingsAsync(App));
    }

    // A library that embeds the attribute internally (as polyfill attributes are embedded): invisible to the app's code,
    // but its metadata name is defined twice.
    [Fact]
    public async Task An_internal_copy_in_another_reference_does_not_switch_the_rules_off()
    {
        var copy = Compile("Contoso.Embedded", Copy.Replace("{0}", "internal"), aliases: []);

        Assert.Equal(s_expected, await FindingsAsync(App, copy));
    }

    // A public test double (or an older Core) referenced under an extern alias, so that the app's names stay unambiguous.
    [Fact]
    public async Task A_public_copy_under_an_extern_alias_does_not_switch_the_rules_off()
    {
        var copy = Compile("Contoso.TestDoubles", Copy.Replace("{0}", "public"), aliases: ["Doubles"]);

        Assert.Equal(s_expected, await FindingsAsync(App, copy));
    }

    // The double's own attribute is not the library's: a [Backpressure] of the double's declares nothing to the rules.
    [Fact]
    public async Task The_copy_s_own_attribute_is_not_taken_for_the_library_s()
    {
        var copy = Compile("Contoso.TestDoubles", Copy.Replace("{0}", "public"), aliases: ["Doubles"]);

        var found = await FindingsAsync(
            """
            extern alias Doubles;

            [Doubles::Reactive.Streams.Backpressure(Doubles::Reactive.Streams.BackpressurePolicy.DegradeQuality, Capacity = 0)]
            public sealed class Doubled { }

            [Reactive.Streams.Backpressure(Reactive.Streams.BackpressurePolicy.DegradeQuality, Capacity = 0)]
            public sealed class Real { }
            """,
            copy);

        Assert.Equal(["RXS0003@6", "RXS0005@6"], found);
    }

    // The RXS0002 fixes write the library's operators and names (BackpressurePolicy, BackpressureChannel) beside the copy.
    [Fact]
    public async Task The_fixes_are_offered_beside_an_internal_copy()
    {
        var copy = Compile("Contoso.Embedded", Copy.Replace("{0}", "internal"), aliases: []);
        var test = new CSharpCodeFixTest<UnboundedBoundaryAnalyzer, UnboundedBoundaryCodeFix, DefaultVerifier>
        {
            TestCode = """
                using System;
                using System.Reactive.Concurrency;
                using System.Reactive.Linq;
                using System.Threading.Channels;

                static class C
                {
                    static IObservable<int> M(IObservable<int> source, IScheduler scheduler) => source.{|RXS0002:ObserveOn|}(scheduler);
                    static Channel<int> N() => Channel.{|RXS0002:CreateUnbounded|}<int>();
                }
                """,
            FixedCode = """
                using System;
                using System.Reactive.Concurrency;
                using System.Reactive.Linq;
                using System.Threading.Channels;
                using Reactive.Streams;

                static class C
                {
                    static IObservable<int> M(IObservable<int> source, IScheduler scheduler) => source.PauseUpstream(1024, scheduler);
                    static Channel<int> N() => BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, 1024);
                }
                """,
            CodeActionEquivalenceKey = UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"),
        };
        foreach (var state in new[] { test.TestState, test.FixedState })
        {
            state.ReferenceAssemblies = TestReferences.None;
            state.AdditionalReferences.AddRange(TestReferences.Runtime);
            state.AdditionalReferences.AddRange(TestReferences.Library);
            state.AdditionalReferences.Add(copy);
        }

        await test.RunAsync();
    }

    private static MetadataReference Compile(string assemblyName, string source, ImmutableArray<string> aliases)
    {
        var compilation = CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(source, s_parse)],
            TestReferences.Runtime,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join(Environment.NewLine, emitted.Diagnostics));
        return MetadataReference.CreateFromImage(image.ToArray()).WithAliases(aliases);
    }

    private static async Task<string[]> FindingsAsync(string source, params MetadataReference[] more)
    {
        var compilation = CSharpCompilation.Create(
            "App",
            [CSharpSyntaxTree.ParseText(source, s_parse, path: "App.cs")],
            TestReferences.Runtime.AddRange(TestReferences.Library).AddRange(more),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        Assert.Empty(compilation.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Error).Select(static d => d.ToString()));

        var analyzers = typeof(DiagnosticIds).Assembly.GetTypes()
            .Where(static t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract && !typeof(DiagnosticSuppressor).IsAssignableFrom(t))
            .Select(static t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();
        var diagnostics = await compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(diagnostics, static d => d.Id == "AD0001");
        return diagnostics
            .OrderBy(static d => d.Location.SourceSpan.Start)
            .ThenBy(static d => d.Id, StringComparer.Ordinal)
            .Select(static d => d.Id + "@" + (d.Location.GetLineSpan().StartLinePosition.Line + 1) + (d.Id == "RXS0002" ? ": " + d.GetMessage() : string.Empty))
            .ToArray();
    }
}
