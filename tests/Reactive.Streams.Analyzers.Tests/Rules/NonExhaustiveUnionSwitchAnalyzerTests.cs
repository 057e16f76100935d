using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.NonExhaustiveUnionSwitchAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

public sealed class NonExhaustiveUnionSwitchAnalyzerTests
{
    internal const string Union = """

        [EventUnion]
        public abstract partial record Lease
        {
            public sealed partial record Acquired(string Id) : Lease;
            public sealed partial record Revoked(string Id, string By) : Lease;
            public sealed partial record Expired(string Id) : Lease;
        }
        """;

    [Fact]
    public Task Switch_expression_missing_variants_is_reported_on_the_switch_keyword() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                string M(Lease e) => e {|#0:switch|}
                {
                    Lease.Acquired a => a.Id,
                };
            }
            """ + Union,
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(0).WithArguments("Lease", "'Revoked', 'Expired'"));

    [Fact]
    public Task Switch_statement_missing_a_variant_is_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                void M(Lease e)
                {
                    {|#0:switch|} (e)
                    {
                        case Lease.Acquired:
                            break;
                        case Lease.Revoked { By: "admin" }:
                            break;
                        case Lease.Expired x when x.Id.Length > 0:
                            break;
                    }
                }
            }
            """ + Union,
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(0).WithArguments("Lease", "'Revoked', 'Expired'"));

    [Fact]
    public Task Exhaustive_switches_and_switches_with_a_default_arm_are_not_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                string All(Lease e) => e switch
                {
                    Lease.Acquired a => a.Id,
                    Lease.Revoked { Id: var id } => id,
                    Lease.Expired or null => "",
                };

                string Discard(Lease e) => e switch
                {
                    Lease.Acquired a => a.Id,
                    _ => "",
                };

                string Var(Lease e) => e switch
                {
                    Lease.Acquired a => a.Id,
                    var other => other.ToString(),
                };

                void Statement(Lease e)
                {
                    switch (e)
                    {
                        case Lease.Acquired:
                            break;
                        default:
                            break;
                    }

                    switch (e)
                    {
                        case Lease.Acquired:
                        case Lease.Revoked:
                        case Lease.Expired:
                            break;
                    }
                }
            }
            """ + Union);

    [Fact]
    public Task Switches_over_types_that_are_not_unions_are_not_reported() =>
        Verifier.AnalyzerAsync("""
            abstract record Shape
            {
                public sealed record Circle : Shape;
                public sealed record Square : Shape;
            }

            class C
            {
                int M(Shape s) => s switch
                {
                    Shape.Circle => 1,
                    _ => 2,
                };

                void N(Shape s)
                {
                    switch (s)
                    {
                        case Shape.Circle:
                            break;
                    }
                }
            }
            """);
}
