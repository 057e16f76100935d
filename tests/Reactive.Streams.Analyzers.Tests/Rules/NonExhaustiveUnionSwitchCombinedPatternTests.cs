using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.NonExhaustiveUnionSwitchAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>RXS0006 on arms that combine <c>or</c>, <c>and</c>, <c>not</c>, positional and guarded patterns.</summary>
public sealed class NonExhaustiveUnionSwitchCombinedPatternTests
{
    [Fact]
    public Task Combined_or_and_not_positional_and_guarded_arms_that_cover_every_variant_are_not_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                int A(Lease e) => e switch
                {
                    Lease.Acquired or Lease.Expired => 1,
                    Lease.Revoked and { By: var b } => 2,
                };
                int B(Lease e) => e switch
                {
                    not Lease.Revoked { By: "x" } => 1,
                    Lease.Revoked => 2,
                };
                int C1(Lease e) => e switch
                {
                    Lease.Revoked(_, _) => 1,
                    Lease.Acquired(var id) => 2,
                    Lease.Expired { } => 3,
                };
                int D(Lease e) => e switch
                {
                    (Lease.Revoked) => 1,
                    Lease.Acquired and not null => 2,
                    { } => 3,
                };
                void S(Lease e)
                {
                    switch (e)
                    {
                        case Lease.Acquired or Lease.Expired:
                            break;
                        case Lease.Revoked { Id: _ }:
                            break;
                    }
                }
                int E(Lease e) => e switch
                {
                    Lease.Revoked r when r.By == "" => 0,
                    Lease l => 1,
                };
                int F((Lease, int) t) => t.Item1 switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Expired => 3,
                };
                int G(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked or Lease.Expired when e.ToString() != "" => 2,
                    var x => 3,
                };
                int H(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Expired { Id: var id } when id.Length > 0 => 3,
                    Lease.Expired => 4,
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union);

    [Fact]
    public Task Combined_arms_that_leave_a_variant_to_a_refutable_pattern_are_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                int A(Lease e) => e {|#0:switch|}
                {
                    Lease.Acquired or Lease.Expired => 1,
                    Lease.Revoked and { By: "x" } => 2,
                };
                int B(Lease e) => e {|#1:switch|}
                {
                    not Lease.Revoked => 1,
                    Lease.Revoked { By: "x" } => 2,
                };
                int C1(Lease e) => e {|#2:switch|}
                {
                    Lease.Revoked(_, "x") => 1,
                    Lease.Acquired(var id) => 2,
                    Lease.Expired { } => 3,
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(0).WithArguments("Lease", "'Revoked'"),
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(1).WithArguments("Lease", "'Revoked'"),
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(2).WithArguments("Lease", "'Revoked'"));
}
