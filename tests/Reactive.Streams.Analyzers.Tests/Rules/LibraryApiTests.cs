using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>The rules on Core's real factories, options and channel (not the stubs).</summary>
public sealed class LibraryApiTests
{
    [Fact]
    public Task Capacity_below_one_on_BoundedStream_BackpressureChannel_and_options_is_reported() =>
        Verify<CapacityAnalyzer>.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    BoundedStream.DropOldest<int>({|#0:0|});
                    BoundedStream.Fail<int>({|#1:-1|}, "orders");
                    BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, {|#2:0|});
                    _ = new BoundedStreamOptions<int>(BackpressurePolicy.Fail, {|#3:0|});
                    BoundedStream.PauseUpstream<int>(1);
                }
            }
            """,
            CapacityAnalyzerTests.BelowOne(0, "Capacity", 0),
            CapacityAnalyzerTests.BelowOne(1, "Capacity", -1),
            CapacityAnalyzerTests.BelowOne(2, "Capacity", 0),
            CapacityAnalyzerTests.BelowOne(3, "Capacity", 0));

    [Fact]
    public Task DegradeQuality_without_degrader_on_channel_and_options_is_reported() =>
        Verify<MissingDegraderAnalyzer>.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    BackpressureChannel.Create<int>({|#0:BackpressurePolicy.DegradeQuality|}, 8);
                    BoundedStream.Create(new BoundedStreamOptions<int>({|#1:BackpressurePolicy.DegradeQuality|}, 8) { Name = "n" });
                    BoundedStream.Create(new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 8) { Degrader = static x => x / 2 });
                    BackpressureChannel.Create<int>(BackpressurePolicy.DegradeQuality, 8, static x => x / 2);
                }
            }
            """,
            Verify<MissingDegraderAnalyzer>.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(0).WithArguments("'BackpressureChannel.Create'"),
            Verify<MissingDegraderAnalyzer>.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(1).WithArguments("'new BoundedStreamOptions'"));

    [Fact]
    public Task Impure_degraders_on_BoundedStream_channel_and_options_are_reported() =>
        Verify<ImpureDegraderAnalyzer>.AnalyzerAsync("""
            using System;
            using Reactive.Streams;

            class C
            {
                static int Dropped;

                void M()
                {
                    BoundedStream.DegradeQuality<int>(8, {|#0:static x => x + Dropped++|});
                    BackpressureChannel.Create<long>(BackpressurePolicy.DegradeQuality, 8, {|#1:static x => DateTime.Now.Ticks|});
                    _ = new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 8) { Degrader = {|#2:static x => x + Random.Shared.Next()|} };
                    BoundedStream.DegradeQuality<double>(8, static x => Math.Floor(x / 2));
                }
            }
            """,
            Verify<ImpureDegraderAnalyzer>.Diagnostic(DiagnosticIds.ImpureDegrader).WithLocation(0)
                .WithArguments("lambda", "lambda \u2192 writes static field 'C.Dropped' (Test0.cs:10)")
                .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations),
            Verify<ImpureDegraderAnalyzer>.Diagnostic(DiagnosticIds.ImpureDegrader).WithLocation(1)
                .WithArguments("lambda", "lambda \u2192 reads the clock ('DateTime.Now') (Test0.cs:11)")
                .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations),
            Verify<ImpureDegraderAnalyzer>.Diagnostic(DiagnosticIds.ImpureDegrader).WithLocation(2)
                .WithArguments("lambda", "lambda \u2192 uses randomness ('Random.Next') (Test0.cs:12)")
                .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));

    [Fact]
    public Task DegradeQuality_options_given_a_degrader_by_a_later_statement_are_not_reported() =>
        Verify<MissingDegraderAnalyzer>.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                BoundedStream<int> M()
                {
                    var options = new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 8);
                    options.Degrader = static x => x / 2;
                    var other = new BoundedStreamOptions<int>({|#0:BackpressurePolicy.DegradeQuality|}, 8);
                    other.Degrader = null;
                    options = new BoundedStreamOptions<int>({|#1:BackpressurePolicy.DegradeQuality|}, 8) { Name = "later" };
                    return new BoundedStream<int>(other);
                }
            }
            """,
            Verify<MissingDegraderAnalyzer>.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(0).WithArguments("'new BoundedStreamOptions'"),
            Verify<MissingDegraderAnalyzer>.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(1).WithArguments("'new BoundedStreamOptions'"));

    [Fact]
    public Task A_degrader_set_on_options_by_a_statement_is_proved() =>
        Verify<ImpureDegraderAnalyzer>.AnalyzerAsync("""
            using System;
            using Reactive.Streams;

            class C
            {
                static int Dropped;

                BoundedStream<int> M()
                {
                    var options = new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 8);
                    options.Degrader = {|#0:static x => Dropped++|};
                    return new BoundedStream<int>(options);
                }
            }
            """,
            Verify<ImpureDegraderAnalyzer>.Diagnostic(DiagnosticIds.ImpureDegrader).WithLocation(0)
                .WithArguments("lambda", "lambda \u2192 writes static field 'C.Dropped' (Test0.cs:11)")
                .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
}

/// <summary>The rules on the Rx policy operators (Core's own once it has them; the design's signatures until then).</summary>
public sealed class RxOperatorTests
{
    [Fact]
    public Task Policy_operators_are_checked_for_capacity_degrader_and_purity()
    {
        const string source = """
            using System;
            using System.Reactive.Concurrency;
            using Reactive.Streams;

            class C
            {
                static int Hits;

                void M(IObservable<int> source, IScheduler scheduler)
                {
                    source.WithBackpressure({|#0:BackpressurePolicy.DegradeQuality|}, 8, scheduler);
                    source.WithBackpressure(BackpressurePolicy.Fail, {|#1:0|}, scheduler);
                    source.DegradeQuality(16, {|#2:x => x + Hits++|}, scheduler);
                    source.DropOldest({|#3:-3|}, scheduler);
                    source.WithBackpressure(BackpressurePolicy.DegradeQuality, 8, static x => x / 2, scheduler);
                    source.PauseUpstream(64, scheduler);
                }
            }
            """;
        return Task.WhenAll(
            Verify<MissingDegraderAnalyzer>.AnalyzerAsync(
                source.Replace("{|#1:0|}", "0").Replace("{|#2:x => x + Hits++|}", "x => x + Hits++").Replace("{|#3:-3|}", "-3"),
                Verify<MissingDegraderAnalyzer>.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(0).WithArguments("'ObservableBackpressureExtensions.WithBackpressure'")),
            Verify<CapacityAnalyzer>.AnalyzerAsync(
                source.Replace("{|#0:BackpressurePolicy.DegradeQuality|}", "BackpressurePolicy.DegradeQuality").Replace("{|#2:x => x + Hits++|}", "x => x + Hits++"),
                CapacityAnalyzerTests.BelowOne(1, "Capacity", 0),
                CapacityAnalyzerTests.BelowOne(3, "Capacity", -3)),
            Verify<ImpureDegraderAnalyzer>.AnalyzerAsync(
                source.Replace("{|#0:BackpressurePolicy.DegradeQuality|}", "BackpressurePolicy.DegradeQuality").Replace("{|#1:0|}", "0").Replace("{|#3:-3|}", "-3"),
                Verify<ImpureDegraderAnalyzer>.Diagnostic(DiagnosticIds.ImpureDegrader).WithLocation(2)
                    .WithArguments("lambda", "lambda \u2192 writes static field 'C.Hits' (Test0.cs:13)")
                    .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations)));
    }
}
