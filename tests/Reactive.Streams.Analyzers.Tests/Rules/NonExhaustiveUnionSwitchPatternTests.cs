using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.NonExhaustiveUnionSwitchAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>RXS0006 on arms that match a variant only in part, and on arms that cover every value.</summary>
public sealed class NonExhaustiveUnionSwitchPatternTests
{
    [Fact]
    public Task Arms_guarded_by_when_or_a_property_pattern_do_not_cover_their_variant() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                int When(Lease e) => e {|#0:switch|}
                {
                    Lease.Acquired => 1,
                    Lease.Revoked r when r.By == "admin" => 2,
                    Lease.Expired => 3,
                };

                int Property(Lease e) => e {|#1:switch|}
                {
                    Lease.Acquired => 1,
                    Lease.Revoked { By: "admin" } => 2,
                    Lease.Expired => 3,
                };

                void Statement(Lease e)
                {
                    {|#2:switch|} (e)
                    {
                        case Lease.Acquired:
                        case Lease.Revoked r when r.By.Length > 0:
                        case Lease.Expired:
                            break;
                    }
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(0).WithArguments("Lease", "'Revoked'"),
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(1).WithArguments("Lease", "'Revoked'"),
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(2).WithArguments("Lease", "'Revoked'"));

    [Fact]
    public Task Arms_that_cover_every_variant_are_not_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                int Or(Lease e) => e switch
                {
                    Lease.Acquired or (Lease.Revoked or Lease.Expired) => 1,
                };

                int Var(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    var other => 2,
                };

                int Base(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease => 2,
                };

                int PropertyThenAll(Lease e) => e switch
                {
                    Lease.Revoked { By: "admin" } => 1,
                    Lease.Revoked => 2,
                    Lease.Acquired => 3,
                    Lease.Expired => 4,
                };

                int Nullable(Lease? e) => e switch
                {
                    null => 0,
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Expired => 3,
                };

                int FallbackByNot(Shape s) => s switch
                {
                    Shape.Circle => 1,
                    not Shape.Circle => 2,
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union + NonExhaustiveUnionSwitchAnalyzerTests.UnionWithFallback);
}
