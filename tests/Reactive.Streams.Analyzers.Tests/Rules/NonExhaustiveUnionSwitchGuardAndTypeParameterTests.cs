using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Reactive.Streams.Analyzers.Tests.Infrastructure;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.NonExhaustiveUnionSwitchAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXS0006 where the compiler is the oracle of what an arm handles: a constant-true <c>when</c> is no guard (the
/// compiler's exhaustiveness ignores it, so must the rule), a constant-false one handles nothing; and a switch over a
/// type parameter constrained to a union switches over that union's variants.
/// </summary>
public sealed class NonExhaustiveUnionSwitchGuardAndTypeParameterTests
{
    private const string Union = """

        [EventUnion]
        public abstract partial record Lease
        {
            public sealed record Acquired(string Id) : Lease;
            public sealed record Revoked(string Id, string By) : Lease;
            public sealed record Expired(string Id) : Lease;
        }
        """;

    [Fact]
    public Task A_constant_true_when_is_no_guard_and_a_constant_false_one_handles_nothing() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                const bool Always = true;

                int Literal(Lease e) => e switch
                {
                    Lease.Acquired when true => 1,
                    Lease.Revoked => 2,
                    Lease.Expired => 3,
                };

                int Constant(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked when Always => 2,
                    Lease.Expired when !false => 3,
                };

                void Statement(Lease e)
                {
                    switch (e)
                    {
                        case Lease.Acquired when true:
                        case Lease.Revoked:
                        case Lease.Expired when Always:
                            break;
                    }
                }

                int Never(Lease e) => e {|#0:switch|}
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Expired when false => 3,
                };
            }
            """ + Union,
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(0).WithArguments("Lease", "'Expired'"));

    [Fact]
    public Task A_switch_over_a_type_parameter_constrained_to_a_union_is_judged_on_the_union_s_variants() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                static int Missing<T>(T e) where T : Lease => e {|#0:switch|}
                {
                    Lease.Acquired => 1,
                };

                static int Complete<T>(T e) where T : Lease => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Expired => 3,
                };

                static void Statement<TEvent>(TEvent e) where TEvent : Lease
                {
                    {|#1:switch|} (e)
                    {
                        case Lease.Expired:
                            break;
                    }
                }

                // Through another type parameter.
                static int Nested<T, U>(U e) where T : Lease where U : T => e {|#2:switch|}
                {
                    Lease.Revoked => 2,
                    Lease.Expired => 3,
                };

                // Not constrained to a union: not judged.
                static int Open<T>(T e) => e switch
                {
                    Lease.Acquired => 1,
                    _ => 0,
                };
            }
            """ + Union,
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(0).WithArguments("Lease", "'Revoked', 'Expired'"),
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(1).WithArguments("Lease", "'Acquired', 'Revoked'"),
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(2).WithArguments("Lease", "'Acquired'"));

    // `T t` on a T is the default arm of that switch, as `Lease l` is on a Lease.
    [Fact]
    public Task A_pattern_on_the_type_parameter_itself_handles_every_variant() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                static int Declaration<T>(T e) where T : Lease => e switch
                {
                    Lease.Acquired => 1,
                    T other => 2,
                };

                static int Type<T>(T e) where T : Lease => e switch
                {
                    Lease.Acquired => 1,
                    T => 2,
                };

                static int Property<T>(T e) where T : Lease => e switch
                {
                    Lease.Acquired => 1,
                    T { } => 2,
                };

                static void Statement<T>(T e) where T : Lease
                {
                    switch (e)
                    {
                        case Lease.Revoked:
                            break;
                        case T:
                            break;
                    }
                }
            }
            """ + Union);

    [Fact]
    public Task The_fix_adds_the_missing_arms_to_a_switch_over_a_type_parameter() =>
        Verifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            """
            using System;
            using Reactive.Streams;

            class C
            {
                static int Missing<T>(T e) where T : Lease => e {|RXS0006:switch|}
                {
                    Lease.Acquired => 1,
                };
            }
            """ + Union,
            """
            using System;
            using Reactive.Streams;

            class C
            {
                static int Missing<T>(T e) where T : Lease => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => throw new NotImplementedException(),
                    Lease.Expired => throw new NotImplementedException(),
                };
            }
            """ + Union);
}
