using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;
using Reactive.Streams.Analyzers.Tests.Rules;
using Boundary = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;
using Sink = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.MissingBackpressureAttributeAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// The RXS0001 and RXS0002 fixes where a large solution's names get in the way: another <c>BackpressurePolicy</c> (a
/// home-grown one a migration has not removed yet) in scope, a file whose names <c>using Reactive.Streams;</c> would make
/// ambiguous, the library written with <c>global::</c> or through aliases only, an older library without the types a
/// fix writes, and a fix-all across two projects. Every fixed document compiles with no new diagnostic.
/// </summary>
public sealed class PolicyFixesSemanticVarietyTests
{
    private const string Union = """


        [global::Reactive.Streams.EventUnion]
        public abstract partial record Ev
        {
            public sealed record A(int X) : Ev;
        }
        """;

    private const string LegacyFlow = """


        namespace Legacy.Flow
        {
            public enum BackpressurePolicy { Block, Drop }

            public sealed record StreamFrame(int Sequence);
        }
        """;

    // `using Reactive.Streams;` would make the file's BackpressurePolicy ambiguous (CS0104): the fix writes the
    // library's names with global:: and adds no using.
    [Fact]
    public Task A_channel_in_a_file_that_uses_another_BackpressurePolicy_is_rewritten_with_qualified_names() =>
        Boundary.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Channels;
            using Legacy.Flow;

            class C
            {
                BackpressurePolicy Mode = BackpressurePolicy.Block;
                Channel<int> Ch = Channel.{|RXS0002:CreateUnbounded|}<int>();
            }
            """ + LegacyFlow,
            """
            using System.Threading.Channels;
            using Legacy.Flow;

            class C
            {
                BackpressurePolicy Mode = BackpressurePolicy.Block;
                Channel<int> Ch = global::Reactive.Streams.BackpressureChannel.Create<int>(global::Reactive.Streams.BackpressurePolicy.PauseUpstream, 1024);
            }
            """ + LegacyFlow,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // The file already imports both: the library's BackpressurePolicy is ambiguous there, its attribute is not.
    [Fact]
    public Task A_sink_in_a_file_that_imports_another_BackpressurePolicy_gets_the_policy_qualified() =>
        Sink.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Legacy.Flow;
            using Reactive.Streams;

            [StreamSink(typeof(Ev))]
            public partial class {|RXS0001:Sink|}
            {
                public void OnA(Ev.A e) { }
            }
            """ + LegacyFlow + Union,
            """
            using Legacy.Flow;
            using Reactive.Streams;

            [Backpressure(global::Reactive.Streams.BackpressurePolicy.PauseUpstream)]
            [StreamSink(typeof(Ev))]
            public partial class Sink
            {
                public void OnA(Ev.A e) { }
            }
            """ + LegacyFlow + Union,
            nameof(AddBackpressureAttributeCodeFix) + "PauseUpstream");

    // The sink's namespace declares an attribute named like the library's: it would bind first.
    [Fact]
    public Task A_sink_whose_namespace_declares_a_Backpressure_type_gets_the_attribute_qualified() =>
        Sink.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            namespace Contoso
            {
                sealed class Backpressure : System.Attribute { }

                [StreamSink(typeof(Ev))]
                public partial class {|RXS0001:Sink|}
                {
                    public void OnA(Ev.A e) { }
                }
            }
            """ + Union,
            """
            using Reactive.Streams;

            namespace Contoso
            {
                sealed class Backpressure : System.Attribute { }

                [global::Reactive.Streams.Backpressure(BackpressurePolicy.PauseUpstream)]
                [StreamSink(typeof(Ev))]
                public partial class Sink
                {
                    public void OnA(Ev.A e) { }
                }
            }
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + "PauseUpstream");

    // The class's own members are in scope in its attributes' arguments: a property named BackpressurePolicy (of
    // another type) would bind there.
    [Fact]
    public Task A_sink_with_a_member_named_BackpressurePolicy_gets_the_policy_qualified() =>
        Sink.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            using Reactive.Streams;

            [StreamSink(typeof(Ev))]
            public partial class {|RXS0001:Sink|}
            {
                public string BackpressurePolicy => "pause";
                public void OnA(Ev.A e) { }
            }
            """ + Union,
            """
            using Reactive.Streams;

            [Backpressure(global::Reactive.Streams.BackpressurePolicy.PauseUpstream)]
            [StreamSink(typeof(Ev))]
            public partial class Sink
            {
                public string BackpressurePolicy => "pause";
                public void OnA(Ev.A e) { }
            }
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + "PauseUpstream");

    // An extension call needs the using, and the using would make StreamFrame ambiguous: no fix rather than one that breaks.
    [Fact]
    public Task ObserveOn_in_a_file_whose_names_the_library_using_would_make_ambiguous_gets_no_rewrite() =>
        Boundary.NoCodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Legacy.Flow;

            class C
            {
                StreamFrame Last = new(0);
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) => source.{|RXS0002:ObserveOn|}(scheduler);
            }
            """ + LegacyFlow);

    [Fact]
    public Task ObserveOn_called_statically_in_such_a_file_is_rewritten_with_the_qualified_class() =>
        Boundary.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Legacy.Flow;

            class C
            {
                StreamFrame Last = new(0);
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) => Observable.{|RXS0002:ObserveOn|}(source, scheduler);
            }
            """ + LegacyFlow,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Legacy.Flow;

            class C
            {
                StreamFrame Last = new(0);
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) => global::Reactive.Streams.ObservableBackpressureExtensions.DropOldest(source, 1024, scheduler);
            }
            """ + LegacyFlow,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    // A BufferBlock stored as object becomes a BackpressureBlock, qualified for the same reason.
    [Fact]
    public Task A_policy_block_in_such_a_file_is_written_with_qualified_names() =>
        Boundary.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;
            using Legacy.Flow;

            class C
            {
                BackpressurePolicy Mode = BackpressurePolicy.Drop;
                object Queue = new {|RXS0002:BufferBlock<int>|}();
            }
            """ + LegacyFlow,
            """
            using System.Threading.Tasks.Dataflow;
            using Legacy.Flow;

            class C
            {
                BackpressurePolicy Mode = BackpressurePolicy.Drop;
                object Queue = new global::Reactive.Streams.BackpressureBlock<int>(global::Reactive.Streams.BackpressurePolicy.DropOldest, 1024);
            }
            """ + LegacyFlow,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    // The sink names the library with global:: only, in a file-scoped namespace whose name has a Reactive segment.
    [Fact]
    public Task A_sink_written_with_global_qualified_names_gets_the_attribute_and_the_using() =>
        Sink.CodeFixAsync<AddBackpressureAttributeCodeFix>(
            """
            namespace Contoso.Reactive.Sinks;

            [global::Reactive.Streams.StreamSink(typeof(Ev))]
            public partial class {|RXS0001:Sink|}
            {
                public void OnA(Ev.A e) { }
            }
            """ + Union,
            """
            using Reactive.Streams;

            namespace Contoso.Reactive.Sinks;

            [Backpressure(BackpressurePolicy.PauseUpstream)]
            [global::Reactive.Streams.StreamSink(typeof(Ev))]
            public partial class Sink
            {
                public void OnA(Ev.A e) { }
            }
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + "PauseUpstream");

    // Dataflow reached only through an alias: the options type is written so that it binds without a using.
    [Fact]
    public Task A_block_reached_through_an_alias_gets_options_written_so_they_bind() =>
        Boundary.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using Queue = System.Threading.Tasks.Dataflow.BufferBlock<int>;

            class C
            {
                Queue Pending = new {|RXS0002:Queue|}();
            }
            """,
            """
            using Queue = System.Threading.Tasks.Dataflow.BufferBlock<int>;

            class C
            {
                Queue Pending = new Queue(new System.Threading.Tasks.Dataflow.DataflowBlockOptions { BoundedCapacity = 1024 });
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // An older Reactive.Streams.Core has no policy operators, channels or blocks: the fixes that would write them are
    // not offered (the code would not compile); a Dataflow block is still bounded.
    [Fact]
    public async Task With_an_older_library_only_the_fixes_whose_types_exist_are_offered()
    {
        const string Source = """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using System.Threading.Channels;
            using System.Threading.Tasks.Dataflow;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) => source.{|RXS0002:ObserveOn|}(scheduler);
                IObservable<int> N(IObservable<int> source, IScheduler scheduler) => Observable.{|RXS0002:ObserveOn|}(source, scheduler);
                Channel<int> Ch = Channel.{|RXS0002:CreateUnbounded|}<int>();
                object Queue = new {|RXS0002:BufferBlock<int>|}();
            }
            """;
        const string Fixed = """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using System.Threading.Channels;
            using System.Threading.Tasks.Dataflow;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) => source.{|RXS0002:ObserveOn|}(scheduler);
                IObservable<int> N(IObservable<int> source, IScheduler scheduler) => Observable.{|RXS0002:ObserveOn|}(source, scheduler);
                Channel<int> Ch = Channel.{|RXS0002:CreateUnbounded|}<int>();
                object Queue = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1024 });
            }
            """;
        foreach (var policy in Edits.Policies)
        {
            var test = new OlderLibraryTest(Source, policy == "PauseUpstream" ? Fixed : Source)
            {
                CodeActionEquivalenceKey = UnboundedBoundaryCodeFix.PolicyKey(policy),
            };
            await test.RunAsync();
        }
    }

    // dotnet format (or a solution-wide fix-all in the IDE) over a library project and an app that references it.
    [Fact]
    public async Task A_fix_all_in_the_solution_fixes_the_boundaries_of_both_projects()
    {
        var (core, app) = await FixAllInTwoProjectsAsync(
            new UnboundedBoundaryAnalyzer(),
            new UnboundedBoundaryCodeFix(),
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"),
            expected: 3,
            """
            using System.Threading.Channels;

            namespace Core;

            public static class Lanes
            {
                public static Channel<int> Open() => Channel.CreateUnbounded<int>();
            }
            """,
            """
            using System.Threading.Channels;
            using System.Threading.Tasks.Dataflow;

            namespace App;

            public sealed class Worker
            {
                private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
                private readonly ActionBlock<int> _sink = new(static x => { });
                public Channel<int> Lane { get; } = Core.Lanes.Open();
            }
            """);

        Assert.Equal("""
            using System.Threading.Channels;
            using Reactive.Streams;

            namespace Core;

            public static class Lanes
            {
                public static Channel<int> Open() => BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, 1024);
            }
            """, core);
        Assert.Equal("""
            using System.Threading.Channels;
            using System.Threading.Tasks.Dataflow;
            using Reactive.Streams;

            namespace App;

            public sealed class Worker
            {
                private readonly Channel<string> _lines = BackpressureChannel.Create<string>(BackpressurePolicy.PauseUpstream, 1024);
                private readonly ActionBlock<int> _sink = new(static x => { }, new ExecutionDataflowBlockOptions { BoundedCapacity = 1024 });
                public Channel<int> Lane { get; } = Core.Lanes.Open();
            }
            """, app);
    }

    [Fact]
    public async Task A_fix_all_in_the_solution_declares_the_policy_of_the_sinks_of_both_projects()
    {
        var (core, app) = await FixAllInTwoProjectsAsync(
            new MissingBackpressureAttributeAnalyzer(),
            new AddBackpressureAttributeCodeFix(),
            nameof(AddBackpressureAttributeCodeFix) + "PauseUpstream",
            expected: 2,
            """
            using Reactive.Streams;

            namespace Core;

            [EventUnion]
            public abstract partial record Ev
            {
                public sealed record A(int X) : Ev;
            }

            [StreamSink(typeof(Ev))]
            public partial class Audit
            {
                public void OnA(Ev.A e) { }
            }
            """,
            """
            namespace App;

            [global::Reactive.Streams.StreamSink(typeof(Core.Ev))]
            public partial class Mirror
            {
                public void OnA(Core.Ev.A e) { }
            }
            """);

        Assert.Equal("""
            using Reactive.Streams;

            namespace Core;

            [EventUnion]
            public abstract partial record Ev
            {
                public sealed record A(int X) : Ev;
            }

            [Backpressure(BackpressurePolicy.PauseUpstream)]
            [StreamSink(typeof(Ev))]
            public partial class Audit
            {
                public void OnA(Ev.A e) { }
            }
            """, core);
        Assert.Equal("""
            using Reactive.Streams;

            namespace App;

            [Backpressure(BackpressurePolicy.PauseUpstream)]
            [global::Reactive.Streams.StreamSink(typeof(Core.Ev))]
            public partial class Mirror
            {
                public void OnA(Core.Ev.A e) { }
            }
            """, app);
    }

    // Two projects, App referencing Core, one document each; the first diagnostic's document starts a solution-wide
    // fix-all with `key`. Both projects must compile after it with no warning and no diagnostic of the rule left.
    private static async Task<(string Core, string App)> FixAllInTwoProjectsAsync(
        DiagnosticAnalyzer analyzer, CodeFixProvider fix, string key, int expected, string coreSource, string appSource)
    {
        using var workspace = new AdhocWorkspace();
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var references = TestReferences.Runtime.AddRange(TestReferences.Library);
        var core = ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Default, "Core", "Core", LanguageNames.CSharp,
            compilationOptions: options, parseOptions: parse, metadataReferences: references);
        var app = ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Default, "App", "App", LanguageNames.CSharp,
            compilationOptions: options, parseOptions: parse, metadataReferences: references,
            projectReferences: [new ProjectReference(core.Id)]);
        var coreDoc = DocumentId.CreateNewId(core.Id);
        var appDoc = DocumentId.CreateNewId(app.Id);
        var solution = workspace.CurrentSolution.AddProject(core).AddProject(app)
            .AddDocument(coreDoc, "Core.cs", coreSource, filePath: "/Core/Core.cs")
            .AddDocument(appDoc, "App.cs", appSource, filePath: "/App/App.cs");

        var diagnostics = ImmutableArray<Diagnostic>.Empty;
        foreach (var project in solution.Projects)
        {
            var compilation = (await project.GetCompilationAsync())!;
            Assert.Empty(compilation.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Error));
            diagnostics = diagnostics.AddRange(await compilation.WithAnalyzers([analyzer]).GetAnalyzerDiagnosticsAsync());
        }

        Assert.Equal(expected, diagnostics.Length);
        var first = diagnostics.OrderBy(static d => d.Location.SourceTree!.FilePath, StringComparer.Ordinal).First();
        var action = await fix.GetFixAllProvider()!.GetFixAsync(new FixAllContext(
            solution.GetDocument(first.Location.SourceTree)!, fix, FixAllScope.Solution, key, fix.FixableDiagnosticIds,
            new Listed(diagnostics), CancellationToken.None));
        Assert.NotNull(action);
        var fixedSolution = (await action.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        foreach (var project in fixedSolution.Projects)
        {
            var compilation = (await project.GetCompilationAsync())!;
            Assert.Empty(compilation.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning).Select(static d => d.ToString()));
            Assert.Empty(await compilation.WithAnalyzers([analyzer]).GetAnalyzerDiagnosticsAsync());
        }

        return ((await fixedSolution.GetDocument(coreDoc)!.GetTextAsync()).ToString(), (await fixedSolution.GetDocument(appDoc)!.GetTextAsync()).ToString());
    }

    private sealed class Listed(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(diagnostics.Where(d => project.GetDocument(d.Location.SourceTree) is not null));

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult(diagnostics.Where(d => d.Location.SourceTree?.FilePath == document.FilePath));

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(Enumerable.Empty<Diagnostic>());
    }

    // The runtime, System.Reactive and an older Core compiled from source (PolicyRulesSemanticVarietyTests.OldCore).
    private sealed class OlderLibraryTest : CSharpCodeFixTest<UnboundedBoundaryAnalyzer, UnboundedBoundaryCodeFix, DefaultVerifier>
    {
        internal OlderLibraryTest(string source, string fixedSource)
        {
            TestState.Sources.Add(("/0/Test0.cs", source));
            FixedState.Sources.Add(("/0/Test0.cs", fixedSource));
            FixedState.MarkupHandling = MarkupMode.Allow;
            foreach (var state in new[] { TestState, FixedState })
            {
                state.ReferenceAssemblies = TestReferences.None;
                state.AdditionalReferences.AddRange(TestReferences.Runtime);
                state.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(System.Reactive.Linq.Observable).Assembly.Location));
                state.Sources.Add(("/0/OldCore.cs", PolicyRulesSemanticVarietyTests.OldCore));
            }
        }
    }
}
