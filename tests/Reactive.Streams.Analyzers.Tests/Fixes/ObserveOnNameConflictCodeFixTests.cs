using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;
using Reactive.Streams.Analyzers.Tests.Rules;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// RXS0002's <c>ObserveOn</c> rewrite where the project has a <c>PauseUpstream</c> or <c>DropOldest</c> of its own that
/// applies to the source (an extension method of a namespace the file imports or of the file's own namespace, an
/// instance method of the source's type): <c>source.PauseUpstream(1024, s)</c> would then be ambiguous (CS0121) or call
/// the project's method. The fix calls the library's operator as the static method it is instead. And RXS0002's
/// message names only the operators the referenced library has.
/// </summary>
public sealed class ObserveOnNameConflictCodeFixTests
{
    private const string Homegrown = """


        namespace Legacy.Rx
        {
            public static class FlowExtensions
            {
                public static System.IObservable<T> PauseUpstream<T>(this System.IObservable<T> source, int capacity, System.Reactive.Concurrency.IScheduler scheduler) => source;
            }
        }
        """;

    // Before: `source.PauseUpstream(1024, s)` with `using Reactive.Streams;` added: CS0121 between the two.
    [Fact]
    public Task An_extension_of_an_imported_namespace_with_the_operator_s_name_makes_the_fix_call_it_statically() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Legacy.Rx;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler s) => source.Where(x => x > 0).{|RXS0002:ObserveOn|}(s);
            }
            """ + Homegrown,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Legacy.Rx;
            using Reactive.Streams;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler s) => ObservableBackpressureExtensions.PauseUpstream(source.Where(x => x > 0), 1024, s);
            }
            """ + Homegrown,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // Only the operator whose name is taken is called statically.
    [Fact]
    public Task Another_operator_keeps_the_call_on_its_source() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Legacy.Rx;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler s) => source.{|RXS0002:ObserveOn|}(s);
            }
            """ + Homegrown,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Legacy.Rx;
            using Reactive.Streams;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler s) => source.DropOldest(1024, s);
            }
            """ + Homegrown,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    // Before: `source.PauseUpstream(1024, s)` compiled and called the project's own method (found in the file's namespace
    // before the using's), not the library's operator.
    [Fact]
    public Task An_extension_of_the_file_s_own_namespace_is_not_silently_called_instead_of_the_operator() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            namespace Legacy.Rx
            {
                class C
                {
                    IObservable<int> M(IObservable<int> source, IScheduler s) => source.{|RXS0002:ObserveOn|}(scheduler: s);
                }
            }
            """ + Homegrown,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            namespace Legacy.Rx
            {
                class C
                {
                    IObservable<int> M(IObservable<int> source, IScheduler s) => ObservableBackpressureExtensions.PauseUpstream(source, 1024, scheduler: s);
                }
            }
            """ + Homegrown,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // An instance method of the source's own type wins over every extension method.
    [Fact]
    public Task An_instance_method_of_the_source_s_type_with_the_operator_s_name_makes_the_fix_call_it_statically() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            sealed class Feed : IObservable<int>
            {
                public IDisposable Subscribe(IObserver<int> observer) => throw new NotSupportedException();
                public Feed DropOldest(int capacity, IScheduler scheduler) => this;
            }

            class C
            {
                IObservable<int> M(Feed feed, IScheduler s) => feed.{|RXS0002:ObserveOn|}(s);
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            sealed class Feed : IObservable<int>
            {
                public IDisposable Subscribe(IObserver<int> observer) => throw new NotSupportedException();
                public Feed DropOldest(int capacity, IScheduler scheduler) => this;
            }

            class C
            {
                IObservable<int> M(Feed feed, IScheduler s) => ObservableBackpressureExtensions.DropOldest(feed, 1024, s);
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    // One fix-all (the first fix, PauseUpstream, everywhere) over a boundary whose operator name is taken and two that
    // are not: each gets its own form, and one using.
    [Fact]
    public Task A_fix_all_writes_each_boundary_in_the_form_its_names_allow() =>
        Verifier.CodeFixAndFixAllAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            sealed class Feed : IObservable<int>
            {
                public IDisposable Subscribe(IObserver<int> observer) => throw new NotSupportedException();
                public Feed PauseUpstream(int capacity, IScheduler scheduler) => this;
            }

            class C
            {
                IObservable<int> A(Feed feed, IScheduler s) => feed.{|RXS0002:ObserveOn|}(s);
                IObservable<int> B(IObservable<int> source, IScheduler s) => source.{|RXS0002:ObserveOn|}(s);
                IObservable<int> D(Feed feed, IScheduler s) => feed.Select(x => x).{|RXS0002:ObserveOn|}(s);
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            sealed class Feed : IObservable<int>
            {
                public IDisposable Subscribe(IObserver<int> observer) => throw new NotSupportedException();
                public Feed PauseUpstream(int capacity, IScheduler scheduler) => this;
            }

            class C
            {
                IObservable<int> A(Feed feed, IScheduler s) => ObservableBackpressureExtensions.PauseUpstream(feed, 1024, s);
                IObservable<int> B(IObservable<int> source, IScheduler s) => source.PauseUpstream(1024, s);
                IObservable<int> D(Feed feed, IScheduler s) => feed.Select(x => x).PauseUpstream(1024, s);
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            sealed class Feed : IObservable<int>
            {
                public IDisposable Subscribe(IObserver<int> observer) => throw new NotSupportedException();
                public Feed PauseUpstream(int capacity, IScheduler scheduler) => this;
            }

            class C
            {
                IObservable<int> A(Feed feed, IScheduler s) => ObservableBackpressureExtensions.PauseUpstream(feed, 1024, s);
                IObservable<int> B(IObservable<int> source, IScheduler s) => source.PauseUpstream(1024, s);
                IObservable<int> D(Feed feed, IScheduler s) => feed.Select(x => x).PauseUpstream(1024, s);
            }
            """,
            diagnostics: 3);

    // `source?.PauseUpstream(...)` has no static form that keeps the `?.`: that operator is not offered there.
    [Fact]
    public Task On_a_nullable_source_an_operator_whose_name_is_taken_is_not_offered() =>
        Verifier.NoCodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Legacy.Rx;

            class C
            {
                IObservable<int>? M(IObservable<int>? source, IScheduler s) => source?.{|RXS0002:ObserveOn|}(s);
            }
            """ + Homegrown,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // An older library without the policy operators: the message named five operators the project could not call.
    [Fact]
    public async Task With_an_older_library_the_message_names_only_the_operators_it_has()
    {
        const string Source = """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler s) => source.{|#0:ObserveOn|}(s);
            }
            """;

        await RunOlderAsync(
            Source,
            PolicyRulesSemanticVarietyTests.OldCore,
            "bound it with a policy operator (DropOldest, PauseUpstream, FailOnOverflow, DegradeQuality or WithBackpressure), which needs a later version of Reactive.Streams than the one referenced");
        await RunOlderAsync(
            Source,
            PolicyRulesSemanticVarietyTests.OldCore + """


                namespace Reactive.Streams
                {
                    public static class ObservableBackpressureExtensions
                    {
                        public static System.IObservable<T> DropOldest<T>(this System.IObservable<T> source, int capacity, System.Reactive.Concurrency.IScheduler scheduler) => source;
                        public static System.IObservable<T> PauseUpstream<T>(this System.IObservable<T> source, int capacity, System.Reactive.Concurrency.IScheduler scheduler) => source;
                    }
                }
                """,
            "use a policy operator with a capacity (DropOldest or PauseUpstream)");
    }

    private static async Task RunOlderAsync(string source, string oldCore, string advice)
    {
        var test = new CSharpAnalyzerTest<UnboundedBoundaryAnalyzer, DefaultVerifier> { TestCode = source };
        test.TestState.Sources.Add(("/0/OldCore.cs", oldCore));
        test.TestState.ReferenceAssemblies = TestReferences.None;
        test.TestState.AdditionalReferences.AddRange(TestReferences.Runtime);
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(System.Reactive.Linq.Observable).Assembly.Location));
        test.ExpectedDiagnostics.Add(Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(0).WithArguments("'ObserveOn'", advice));
        await test.RunAsync();
    }
}
