using Reactive.Streams.Analyzers.Tests.Infrastructure;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.NonExhaustiveUnionSwitchAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXS0006 on subpatterns the compiler itself knows always match (a type pattern of a member's own non-nullable value
/// type, <c>{ }</c> or a positional pattern of <c>var</c>s on a struct), and on switches the rule does not claim.
/// </summary>
public sealed class NonExhaustiveUnionSwitchSubpatternTests
{
    private const string Union = """

        public readonly record struct Point(int X, int Y);

        [EventUnion]
        public abstract partial record Figure
        {
            public sealed partial record Circle(double R, Point Center) : Figure;
            public sealed partial record Label(string Text, int Size) : Figure;
        }
        """;

    // The compiler's own oracle: `c switch { Figure.Circle(double r, _) => r }` on a Circle has no CS8509, because a
    // double always matches `double r`; the union switch that uses the same arm covers Circle just as well.
    [Fact]
    public Task A_subpattern_of_the_members_own_value_type_or_an_irrefutable_struct_pattern_covers_the_variant() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                double Oracle(Figure.Circle c) => c switch { Figure.Circle(double r, _) => r };

                double Positional(Figure f) => f switch
                {
                    Figure.Circle(double r, Point p) => r,
                    Figure.Label(_, int size) => size,
                };

                double Property(Figure f) => f switch
                {
                    Figure.Circle { R: double r, Center: { } } => r,
                    Figure.Label { Size: int size, Text: var t } => size,
                };

                int Nested(Figure f) => f switch
                {
                    Figure.Circle(_, (var x, var y)) => x + y,
                    Figure.Label(var t, _) => 0,
                };

                int NestedProperty(Figure f) => f switch
                {
                    Figure.Circle { Center: { X: var x } } => x,
                    Figure.Label(var t, _) => 0,
                };

                void Statement(Figure f)
                {
                    switch (f)
                    {
                        case Figure.Circle { Center: Point p }:
                            break;
                        case Figure.Label(_, int s):
                            break;
                    }
                }
            }
            """ + Union);

    // A reference-typed member can be null: `string t` and `{ }` do not match it, so the arm does not cover its variant
    // (the compiler agrees: `l switch { Figure.Label(string t, _) => 1 }` is CS8509 on a Label).
    [Fact]
    public Task A_subpattern_that_does_not_match_null_on_a_reference_member_does_not_cover_the_variant() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                int Typed(Figure f) => f {|#0:switch|}
                {
                    Figure.Circle => 1,
                    Figure.Label(string t, _) => 2,
                };

                int Braces(Figure f) => f {|#1:switch|}
                {
                    Figure.Circle => 1,
                    Figure.Label { Text: { } } => 2,
                };

                int Constant(Figure f) => f {|#2:switch|}
                {
                    Figure.Circle(double r, _) => 1,
                    Figure.Label(_, 12) => 2,
                };
            }
            """ + Union,
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(0).WithArguments("Figure", "'Label'"),
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(1).WithArguments("Figure", "'Label'"),
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(2).WithArguments("Figure", "'Label'"));

    // The rule claims switches whose governing expression has the union's type: one over object or an interface that
    // holds a union at run time is the compiler's (CS8509 on the expression), and so is an `is` chain.
    [Fact]
    public Task Switches_over_object_an_interface_or_is_chains_are_not_claimed() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            public interface IShape { }

            class C
            {
                int OverObject(object o) => o switch
                {
                    Figure.Circle => 1,
                    _ => 0,
                };

                void OverObjectStatement(object o)
                {
                    switch (o)
                    {
                        case Figure.Circle:
                            break;
                    }
                }

                int IsChain(Figure f)
                {
                    if (f is Figure.Circle)
                    {
                        return 1;
                    }

                    return 0;
                }
            }
            """ + Union);
}
