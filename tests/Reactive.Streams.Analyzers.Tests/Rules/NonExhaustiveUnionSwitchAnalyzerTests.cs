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

    /// <summary>A union with the fallback variant the generator adds, as the generator declares it.</summary>
    internal const string UnionWithFallback = """

        [EventUnion]
        public abstract partial record Shape
        {
            public sealed partial record Circle(double R) : Shape;
            public sealed partial record Square(double Side) : Shape;
        }

        public abstract partial record Shape
        {
            [System.CodeDom.Compiler.GeneratedCode("Reactive.Streams.Generators", "1.0.0")]
            public sealed record Unknown(string WireName) : Shape;
        }
        """;

    [Fact]
    public Task The_generated_fallback_variant_is_not_required() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                int Expression(Shape s) => s switch
                {
                    Shape.Circle => 1,
                    Shape.Square => 2,
                };

                int WithFallback(Shape s) => s switch
                {
                    Shape.Circle => 1,
                    Shape.Square => 2,
                    Shape.Unknown u => u.WireName.Length,
                };

                void Statement(Shape s)
                {
                    switch (s)
                    {
                        case Shape.Circle:
                        case Shape.Square:
                            break;
                    }
                }
            }
            """ + UnionWithFallback);

    [Fact]
    public Task A_missing_variant_is_reported_without_the_generated_fallback() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                int M(Shape s) => s {|#0:switch|}
                {
                    Shape.Circle => 1,
                };
            }
            """ + UnionWithFallback,
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(0).WithArguments("Shape", "'Square'"));

    [Fact]
    public Task A_variant_named_Unknown_that_the_user_declared_is_required() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            [EventUnion]
            public abstract partial record Reply
            {
                public sealed partial record Known(int Code) : Reply;
                public sealed partial record Unknown(int Code) : Reply;
            }

            class C
            {
                int M(Reply r) => r {|#0:switch|}
                {
                    Reply.Known k => k.Code,
                };
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(0).WithArguments("Reply", "'Unknown'"));

    [Fact]
    public Task Negated_patterns_cover_every_variant_they_cannot_match() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                int Not(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    not Lease.Acquired => 2,
                };

                int NotNull(Lease e) => e switch
                {
                    not null => 1,
                };

                int NotOr(Lease e) => e switch
                {
                    Lease.Revoked or Lease.Expired => 1,
                    not (Lease.Revoked or Lease.Expired) => 2,
                };

                int NotWithProperty(Lease e) => e {|#0:switch|}
                {
                    Lease.Acquired => 1,
                    not Lease.Revoked { By: "admin" } => 2,
                };

                int NotAnother(Lease e) => e {|#1:switch|}
                {
                    Lease.Acquired => 1,
                    not Lease.Expired => 2,
                };

                int And(Lease e) => e {|#2:switch|}
                {
                    Lease.Acquired and not null => 1,
                    Lease and not Lease.Acquired and not Lease.Revoked => 2,
                };
            }
            """ + Union,
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(0).WithArguments("Lease", "'Revoked'"),
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(1).WithArguments("Lease", "'Expired'"),
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(2).WithArguments("Lease", "'Revoked'"));

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
