using ImpureVerifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.ImpureDegraderAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// Degraders written in the shapes configuration code takes: a degrader chosen by a condition, a switch expression or
/// <c>??</c> (each lambda is proved where it is written), and a <c>Degrader</c> set with <c>??=</c>.
/// </summary>
public sealed class DegraderChoiceTests
{
    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult Impure(int location, string why) =>
        ImpureVerifier.Diagnostic(DiagnosticIds.ImpureDegrader).WithLocation(location).WithArguments("lambda", why)
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations);

    [Fact]
    public Task Each_lambda_a_condition_a_switch_or_a_coalescing_chooses_between_is_proved() =>
        ImpureVerifier.AnalyzerAsync("""
            using System;
            using Reactive.Streams;

            static class Counter { public static int N; }

            class C
            {
                static bool Coarse;
                static int Mode;
                static Func<int, int>? Configured;

                void M()
                {
                    StubFactory.DegradeQuality<int>(4, Coarse ? static x => x / 2 : {|#0:static x => { Counter.N++; return x; }|});
                    StubFactory.DegradeQuality<int>(4, Mode switch { 0 => static x => x, _ => {|#1:static x => x + Counter.N++|} });
                    StubFactory.DegradeQuality<int>(4, Configured ?? ({|#2:static x => x + Counter.N++|}));
                    StubFactory.DegradeQuality<int>(4, Coarse ? static x => x / 2 : static x => x / 4);
                }
            }
            """,
            Impure(0, "lambda \u2192 writes static field 'Counter.N' (Test0.cs:14)"),
            Impure(1, "lambda \u2192 writes static field 'Counter.N' (Test0.cs:15)"),
            Impure(2, "lambda \u2192 writes static field 'Counter.N' (Test0.cs:16)"));

    [Fact]
    public Task A_Degrader_set_with_a_coalescing_assignment_is_proved() =>
        ImpureVerifier.AnalyzerAsync("""
            using System;
            using Reactive.Streams;

            static class Counter { public static int N; }

            class C
            {
                void M(BoundedStreamOptions<int> options)
                {
                    options.Degrader ??= {|#0:static x => x + Counter.N++|};
                    options.Degrader ??= static x => x / 2;
                }
            }
            """,
            Impure(0, "lambda \u2192 writes static field 'Counter.N' (Test0.cs:10)"));

    [Fact]
    public Task A_chosen_lambda_reading_a_constant_captured_local_gets_the_make_static_fix() =>
        ImpureVerifier.CodeFixAsync<Reactive.Streams.Analyzers.CodeFixes.Fixes.MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                static bool Coarse;

                void M()
                {
                    var factor = 4;
                    StubFactory.DegradeQuality<int>(4, Coarse ? {|RXS0004:x => x / factor|} : static x => x / 2);
                }
            }
            """,
            """
            using Reactive.Streams;

            class C
            {
                static bool Coarse;

                void M()
                {
                    const int factor = 4;
                    StubFactory.DegradeQuality<int>(4, Coarse ? static x => x / factor : static x => x / 2);
                }
            }
            """);
}
