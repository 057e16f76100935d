using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// RXS0002 on <c>ObserveOn</c> in the forms a user writes beyond <c>source.ObserveOn(s)</c>: on a nullable source
/// (<c>?.</c>), as the static method it is (<c>Observable.ObserveOn(source, s)</c>, named arguments in any order), with
/// its arguments on lines of their own, and in initializers, lambdas and local functions. Each is reported once on the
/// name and rewritten to code that compiles.
/// </summary>
public sealed class ObserveOnFormsCodeFixTests
{
    // The diagnostic covered `.ObserveOn` (the dot included) and no fix was offered.
    [Fact]
    public Task ObserveOn_on_a_nullable_source_is_reported_on_its_name_and_rewritten() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            class C
            {
                IObservable<int>? M(IObservable<int>? source, IScheduler s) => source?.{|RXS0002:ObserveOn|}(s);
                IDisposable? N(IObservable<int>? source, IScheduler s) => source?.Select(x => x + 1).{|RXS0002:ObserveOn|}(s).Subscribe();
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int>? M(IObservable<int>? source, IScheduler s) => source?.PauseUpstream(1024, s);
                IDisposable? N(IObservable<int>? source, IScheduler s) => source?.Select(x => x + 1).PauseUpstream(1024, s).Subscribe();
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // No fix was offered for the static form.
    [Theory]
    [InlineData("PauseUpstream", "PauseUpstream(source, 1024, s)", "PauseUpstream(scheduler: s, source: source, capacity: 1024)", "PauseUpstream(")]
    [InlineData("DegradeQuality", "DegradeQuality(source, 1024, static item => item, s)", "DegradeQuality(scheduler: s, source: source, capacity: 1024, degrader: static item => item)", "DegradeQuality(")]
    public Task ObserveOn_called_as_a_static_method_becomes_the_operator_called_the_same_way(string policy, string positional, string named, string open) =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Rx = System.Reactive.Linq.Observable;

            class C
            {
                IObservable<int> A(IObservable<int> source, IScheduler s) => Observable.{|RXS0002:ObserveOn|}(source, s);
                IObservable<int> B(IObservable<int> source, IScheduler s) => Rx.{|RXS0002:ObserveOn|}(scheduler: s, source: source);
                IObservable<int> D(IObservable<int> source, IScheduler s) => Observable.{|RXS0002:ObserveOn|}(
                    source,
                    s);
            }
            """,
            $$"""
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;
            using Rx = System.Reactive.Linq.Observable;

            class C
            {
                IObservable<int> A(IObservable<int> source, IScheduler s) => ObservableBackpressureExtensions.{{positional}};
                IObservable<int> B(IObservable<int> source, IScheduler s) => ObservableBackpressureExtensions.{{named}};
                IObservable<int> D(IObservable<int> source, IScheduler s) => ObservableBackpressureExtensions.{{open}}
                    source,
                    1024, {{(policy == "DegradeQuality" ? "static item => item, " : string.Empty)}}s);
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey(policy));

    [Fact]
    public Task ObserveOn_on_a_SynchronizationContext_called_as_a_static_method_gets_no_rewrite() =>
        Verifier.NoCodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Linq;
            using System.Threading;

            class C
            {
                IObservable<int> M(IObservable<int> source, SynchronizationContext context) => Observable.{|RXS0002:ObserveOn|}(source, context);
            }
            """);

    // The capacity went to the start of the line (`PauseUpstream(\n1024,     s)`): the scheduler's indentation was left
    // behind it.
    [Fact]
    public Task A_scheduler_on_a_line_of_its_own_keeps_its_indentation_for_the_capacity() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler s) => source.{|RXS0002:ObserveOn|}(
                    s);
                IObservable<int> N(IObservable<int> source, IScheduler s) => source.{|RXS0002:ObserveOn|}(
                    scheduler: s /* the UI loop */);
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler s) => source.DropOldest(
                    1024, s);
                IObservable<int> N(IObservable<int> source, IScheduler s) => source.DropOldest(
                    1024, scheduler: s /* the UI loop */);
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    [Fact]
    public Task ObserveOn_in_initializers_lambdas_local_functions_and_switch_arms_is_rewritten_in_place() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C(IObservable<int> source, IScheduler s)
            {
                IObservable<int> P { get; } = source.{|RXS0002:ObserveOn|}(s);
                Func<IObservable<int>> F => () => source.{|RXS0002:ObserveOn|}(s);
                IObservable<int> W(int k) => k switch { 0 => source.{|RXS0002:ObserveOn|}(s), _ => source };
                IObservable<int> L()
                {
                    return Local();
                    IObservable<int> Local() => source.{|RXS0002:ObserveOn|}(s);
                }
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C(IObservable<int> source, IScheduler s)
            {
                IObservable<int> P { get; } = source.FailOnOverflow(1024, s);
                Func<IObservable<int>> F => () => source.FailOnOverflow(1024, s);
                IObservable<int> W(int k) => k switch { 0 => source.FailOnOverflow(1024, s), _ => source };
                IObservable<int> L()
                {
                    return Local();
                    IObservable<int> Local() => source.FailOnOverflow(1024, s);
                }
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("Fail"));

    // The identity degrader's parameter may shadow a local of the same name (a static lambda's parameters may).
    [Fact]
    public Task The_identity_degrader_compiles_beside_a_local_named_item() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Collections.Generic;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                void M(List<IObservable<int>> sources, IScheduler s)
                {
                    foreach (var item in sources)
                    {
                        item.{|RXS0002:ObserveOn|}(s).Subscribe();
                    }
                }
            }
            """,
            """
            using System;
            using System.Collections.Generic;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                void M(List<IObservable<int>> sources, IScheduler s)
                {
                    foreach (var item in sources)
                    {
                        item.DegradeQuality(1024, static item => item, s).Subscribe();
                    }
                }
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DegradeQuality"));

    // Every form takes the fix-all's one choice: the first fix (PauseUpstream) everywhere, in one run.
    [Fact]
    public Task Fix_all_rewrites_every_form_with_the_same_policy() =>
        Verifier.CodeFixAndFixAllAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            class C
            {
                IObservable<int>? A(IObservable<int>? source, IScheduler s) => source?.{|RXS0002:ObserveOn|}(s);
                IObservable<int> B(IObservable<int> source, IScheduler s) => Observable.{|RXS0002:ObserveOn|}(source, s);
                IObservable<int> D(IObservable<int> source, IScheduler s) => source.{|RXS0002:ObserveOn|}(s);
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int>? A(IObservable<int>? source, IScheduler s) => source?.PauseUpstream(1024, s);
                IObservable<int> B(IObservable<int> source, IScheduler s) => ObservableBackpressureExtensions.PauseUpstream(source, 1024, s);
                IObservable<int> D(IObservable<int> source, IScheduler s) => source.PauseUpstream(1024, s);
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int>? A(IObservable<int>? source, IScheduler s) => source?.PauseUpstream(1024, s);
                IObservable<int> B(IObservable<int> source, IScheduler s) => ObservableBackpressureExtensions.PauseUpstream(source, 1024, s);
                IObservable<int> D(IObservable<int> source, IScheduler s) => source.PauseUpstream(1024, s);
            }
            """,
            diagnostics: 3);

    // Two hops in one chain, and one static call nested in another: fix-all rewrites both in one run.
    [Fact]
    public Task Fix_all_rewrites_chained_and_nested_ObserveOn_calls_in_one_run() =>
        Verifier.CodeFixAndFixAllAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            class C
            {
                IObservable<int> A(IObservable<int> source, IScheduler pool, IScheduler ui) =>
                    source.{|RXS0002:ObserveOn|}(pool).Select(x => x * 2).{|RXS0002:ObserveOn|}(ui);
                IObservable<int> B(IObservable<int> source, IScheduler pool, IScheduler ui) =>
                    Observable.{|RXS0002:ObserveOn|}(Observable.{|RXS0002:ObserveOn|}(source, pool), ui);
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int> A(IObservable<int> source, IScheduler pool, IScheduler ui) =>
                    source.PauseUpstream(1024, pool).Select(x => x * 2).PauseUpstream(1024, ui);
                IObservable<int> B(IObservable<int> source, IScheduler pool, IScheduler ui) =>
                    ObservableBackpressureExtensions.PauseUpstream(ObservableBackpressureExtensions.PauseUpstream(source, 1024, pool), 1024, ui);
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int> A(IObservable<int> source, IScheduler pool, IScheduler ui) =>
                    source.PauseUpstream(1024, pool).Select(x => x * 2).PauseUpstream(1024, ui);
                IObservable<int> B(IObservable<int> source, IScheduler pool, IScheduler ui) =>
                    ObservableBackpressureExtensions.PauseUpstream(ObservableBackpressureExtensions.PauseUpstream(source, 1024, pool), 1024, ui);
            }
            """,
            diagnostics: 4);
}
