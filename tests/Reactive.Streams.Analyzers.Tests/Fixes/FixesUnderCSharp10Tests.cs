using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// Every code fix in a project on <c>LangVersion 10</c> (the oldest C# the package's generated code supports), in a file
/// with a file-scoped namespace and <c>#nullable disable</c>: the fixed file compiles with no error and no new warning
/// (a <c>?</c> annotation or a newer language feature written into it would be CS8632 or a language-version error).
/// </summary>
public sealed class FixesUnderCSharp10Tests
{
    private const string Union = """

        [EventUnion]
        public abstract partial record Lease
        {
            public sealed partial record Acquired(string Id) : Lease;
            public sealed partial record Revoked(string Id, string By) : Lease;
        }
        """;

    [Fact]
    public Task RXS0001_adds_the_attribute_and_a_degrader() =>
        FixAsync<MissingBackpressureAttributeAnalyzer, AddBackpressureAttributeCodeFix>(
            """
            #nullable disable
            using Reactive.Streams;

            namespace App;

            [StreamSink(typeof(Lease))]
            public partial class {|RXS0001:Sink|}
            {
                public void OnAcquired(Lease.Acquired e) { }
            }
            """ + Union,
            """
            #nullable disable
            using Reactive.Streams;

            namespace App;

            [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Degrade))]
            [StreamSink(typeof(Lease))]
            public partial class Sink
            {
                public void OnAcquired(Lease.Acquired e) { }

                private static Lease Degrade(Lease item) => item;
            }
            """ + Union,
            nameof(AddBackpressureAttributeCodeFix) + "DegradeQuality");

    [Fact]
    public Task RXS0002_rewrites_ObserveOn_and_an_unbounded_channel() =>
        FixAsync<UnboundedBoundaryAnalyzer, UnboundedBoundaryCodeFix>(
            """
            #nullable disable
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using System.Threading.Channels;

            namespace App;

            class C
            {
                Channel<string> Lane = Channel.{|RXS0002:CreateUnbounded|}<string>();

                IObservable<string> M(IObservable<string> source, IScheduler scheduler) => source.{|RXS0002:ObserveOn|}(scheduler);
            }
            """,
            """
            #nullable disable
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using System.Threading.Channels;
            using Reactive.Streams;

            namespace App;

            class C
            {
                Channel<string> Lane = BackpressureChannel.Create<string>(BackpressurePolicy.DegradeQuality, 1024, static item => item);

                IObservable<string> M(IObservable<string> source, IScheduler scheduler) => source.DegradeQuality(1024, static item => item, scheduler);
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DegradeQuality"));

    // `$"{suffix}!"` over a const string is a constant from C# 10 on, so `marked` can be const too.
    [Fact]
    public Task RXS0004_makes_the_lambda_static_and_the_locals_const() =>
        FixAsync<ImpureDegraderAnalyzer, MakeDegraderStaticCodeFix>(
            """
            #nullable disable
            using Reactive.Streams;

            namespace App;

            class C
            {
                void M()
                {
                    var factor = 3;
                    const string suffix = "~";
                    string marked = $"{suffix}!";
                    StubFactory.DegradeQuality<string>(4, {|RXS0004:s => s.Substring(factor) + marked|});
                }
            }
            """,
            """
            #nullable disable
            using Reactive.Streams;

            namespace App;

            class C
            {
                void M()
                {
                    const int factor = 3;
                    const string suffix = "~";
                    const string marked = $"{suffix}!";
                    StubFactory.DegradeQuality<string>(4, static s => s.Substring(factor) + marked);
                }
            }
            """,
            nameof(MakeDegraderStaticCodeFix));

    [Fact]
    public Task RXS0006_adds_the_missing_arms() =>
        FixAsync<NonExhaustiveUnionSwitchAnalyzer, AddMissingUnionArmsCodeFix>(
            """
            #nullable disable
            using System;
            using Reactive.Streams;

            namespace App;

            class C
            {
                string M(Lease e) => e {|RXS0006:switch|}
                {
                    Lease.Acquired a => a.Id,
                };
            }
            """ + Union,
            """
            #nullable disable
            using System;
            using Reactive.Streams;

            namespace App;

            class C
            {
                string M(Lease e) => e switch
                {
                    Lease.Acquired a => a.Id,
                    Lease.Revoked => throw new NotImplementedException(),
                };
            }
            """ + Union,
            nameof(AddMissingUnionArmsCodeFix),
            DiagnosticResult.CompilerWarning("CS8509").WithSpan(9, 28, 9, 34).WithArguments("_"));

    private static Task FixAsync<TAnalyzer, TCodeFix>(string source, string fixedSource, string equivalenceKey, params DiagnosticResult[] compilerWarnings)
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = equivalenceKey,
            CompilerDiagnostics = CompilerDiagnostics.Warnings,
        };
        test.ExpectedDiagnostics.AddRange(compilerWarnings);

        // Nullable is on for the project (as in the library's stubs) and off in each test file, as `#nullable disable` does.
        test.SolutionTransforms.Add((solution, projectId) =>
        {
            var project = solution.GetProject(projectId)!;
            return solution
                .WithProjectParseOptions(projectId, ((CSharpParseOptions)project.ParseOptions!).WithLanguageVersion(LanguageVersion.CSharp10).WithDocumentationMode(DocumentationMode.None))
                .WithProjectCompilationOptions(projectId, ((CSharpCompilationOptions)project.CompilationOptions!).WithNullableContextOptions(NullableContextOptions.Enable));
        });
        foreach (var state in new[] { test.TestState, test.FixedState })
        {
            state.ReferenceAssemblies = TestReferences.None;
            state.AdditionalReferences.AddRange(TestReferences.Runtime);
            state.AdditionalReferences.AddRange(TestReferences.Library);
            state.Sources.Add(("/0/Stubs.cs", Stubs.Source));
        }

        return test.RunAsync();
    }
}
