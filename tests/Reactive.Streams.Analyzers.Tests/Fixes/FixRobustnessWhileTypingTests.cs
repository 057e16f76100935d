using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// The code fixes on code being typed: the IDE asks for fixes (and their previews) on every diagnostic while the line
/// is incomplete. Every fix of every diagnostic the rules report on half-written boundaries, sinks and degraders is
/// registered and computed, and none throws (an exception there is a crash report in the IDE, and the fix is lost).
/// </summary>
public sealed class FixRobustnessWhileTypingTests
{
    private static readonly ImmutableArray<DiagnosticAnalyzer> s_analyzers = typeof(DiagnosticIds).Assembly.GetTypes()
        .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    private static readonly ImmutableArray<CodeFixProvider> s_fixes = typeof(UnboundedBoundaryCodeFix).Assembly.GetTypes()
        .Where(t => typeof(CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract)
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static TheoryData<string> WhileTyping() => new()
    {
        // ObserveOn in each form, its arguments half written.
        "class C { System.IObservable<int>? M(System.IObservable<int>? s, System.Reactive.Concurrency.IScheduler k) => s?.ObserveOn(k; }",
        "class C { System.IObservable<int> M(System.IObservable<int> s, System.Reactive.Concurrency.IScheduler k) => System.Reactive.Linq.Observable.ObserveOn(s, ); }",
        "class C { System.IObservable<int> M(System.IObservable<int> s, System.Reactive.Concurrency.IScheduler k) => System.Reactive.Linq.Observable.ObserveOn(scheduler: k, source: ); }",
        "using System.Reactive.Linq; class C { object M(System.IObservable<int> s, System.Reactive.Concurrency.IScheduler k) => s.ObserveOn(k).Select(x => ; }",
        // ObserveOn where the project has a PauseUpstream of its own (the fix calls the operator statically), half written.
        "namespace N { static class E { public static System.IObservable<T> PauseUpstream<T>(this System.IObservable<T> s, int c, System.Reactive.Concurrency.IScheduler k) => s; } class C { System.IObservable<int> M(System.IObservable<int> s, System.Reactive.Concurrency.IScheduler k) => s.ObserveOn(k; } }",
        "namespace N { static class E { public static System.IObservable<T> PauseUpstream<T>(this System.IObservable<T> s, int c, System.Reactive.Concurrency.IScheduler k) => s; } class C { System.IObservable<int> M(System.IObservable<int> s, System.Reactive.Concurrency.IScheduler k) => s.ObserveOn(scheduler: ); } }",
        "namespace N { static class E { public static object PauseUpstream(this object s) => s; } class C { System.IObservable<int>? M(System.IObservable<int>? s, System.Reactive.Concurrency.IScheduler k) => s?.ObserveOn(k).; } }",
        // Switches over a type parameter constrained to a union, and guards, half written.
        "using Reactive.Streams; [EventUnion] public abstract partial record Ev { public sealed partial record A : Ev; public sealed partial record B : Ev; } class C { int M<T>(T e) where T : Ev => e switch { Ev.A => 1, Ev. }; }",
        "using Reactive.Streams; [EventUnion] public abstract partial record Ev { public sealed partial record A : Ev; public sealed partial record B : Ev; } class C { int M<T, U>(U e) where T : Ev where U : T, => e switch { Ev.A when => 1 }; }",
        "using Reactive.Streams; [EventUnion] public abstract partial record Ev { public sealed partial record A : Ev; public sealed partial record B : Ev; } class C { void M<T>(T e) where T : Ev, Missing { switch (e) { case Ev.A when true: break; case } } }",
        // Channels and blocks.
        "class C { object A = System.Threading.Channels.Channel.CreateUnbounded<>(); }",
        "class C { object A = System.Threading.Channels.Channel.CreateUnbounded<int>(; }",
        "using System.Threading.Tasks.Dataflow; class C { object A = new ActionBlock<int>(x => { }, new ExecutionDataflowBlockOptions { BoundedCapacity = , }); }",
        "using System.Threading.Tasks.Dataflow; class C { BufferBlock<int>? _q = new BufferBlock<int>(); void M() { _q. } }",
        "using System.Threading.Tasks.Dataflow; class C { object A = new BatchBlock<int>(, new GroupingDataflowBlockOptions { }); }",
        // Sinks without a body, a semicolon or a union.
        "using Reactive.Streams; [StreamSink(typeof(Ev))] public partial class Sink",
        "using Reactive.Streams; [StreamSink(typeof(Ev))] public partial record Sink(int Id",
        "using Reactive.Streams; [StreamSink(typeof(Missing))] public partial class Sink;",
        "using Reactive.Streams; [StreamSink(typeof(Ev))] public partial class Sink; [EventUnion] public abstract partial record Ev { public sealed partial record A : Ev; }",
        // Degraders capturing locals, half written.
        "using Reactive.Streams; class C { void M() { var f = 2; StubFactory.DegradeQuality<int>(4, x => x / f } }",
        "using Reactive.Streams; class C { void M() { var f = ; StubFactory.DegradeQuality<int>(4, x => x / f); } }",
        "using Reactive.Streams; var f = 2; StubFactory.DegradeQuality<int>(4, x => x / f + ",
    };

    [Theory]
    [MemberData(nameof(WhileTyping))]
    public Task No_fix_throws_on_code_being_typed(string source) => ComputeEveryFixAsync(source);

    // The cases reach the fixes (a case whose diagnostics had no fix would test nothing of them).
    [Fact]
    public async Task The_cases_get_fixes_to_compute()
    {
        var computed = 0;
        foreach (var source in WhileTyping())
        {
            computed += await ComputeEveryFixAsync(source);
        }

        Assert.True(computed >= 20, $"only {computed} fixes computed");
    }

    // Registers and computes every fix of every diagnostic; returns how many were computed.
    private static async Task<int> ComputeEveryFixAsync(string source)
    {
        var computed = 0;
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Default,
            "Test",
            "Test",
            LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            metadataReferences: TestReferences.Runtime.AddRange(TestReferences.Library)));
        solution = solution
            .AddDocument(DocumentId.CreateNewId(projectId), "Test0.cs", source, filePath: "/0/Test0.cs")
            .AddDocument(DocumentId.CreateNewId(projectId), "Stubs.cs", Stubs.Source, filePath: "/0/Stubs.cs");
        var project = solution.GetProject(projectId)!;
        var compilation = (await project.GetCompilationAsync())!;
        var diagnostics = await compilation.WithAnalyzers(s_analyzers).GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");

        foreach (var diagnostic in diagnostics.Where(d => d.Location.IsInSource))
        {
            var document = project.GetDocument(diagnostic.Location.SourceTree)!;
            var actions = new List<CodeAction>();
            foreach (var fix in s_fixes.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
            }

            foreach (var action in actions)
            {
                await action.GetOperationsAsync(CancellationToken.None);
                computed++;
            }
        }

        return computed;
    }
}
