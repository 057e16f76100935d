using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Reactive.Streams.Analyzers.Tests.Rules;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.NonExhaustiveUnionSwitchAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

public sealed class AddMissingUnionArmsCodeFixTests
{
    [Fact]
    public Task Switch_expression_gets_one_throwing_arm_per_missing_variant() =>
        Verifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            """
            using System;
            using Reactive.Streams;

            class C
            {
                string M(Lease e) => e {|RXS0006:switch|}
                {
                    Lease.Acquired a => a.Id, // first
                    Lease.Expired x when x.Id == "" => "none"
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            """
            using System;
            using Reactive.Streams;

            class C
            {
                string M(Lease e) => e switch
                {
                    Lease.Acquired a => a.Id, // first
                    Lease.Expired x when x.Id == "" => "none",
                    Lease.Revoked => throw new NotImplementedException(),
                    Lease.Expired => throw new NotImplementedException(),
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union);

    [Fact]
    public Task The_fix_adds_the_missing_variants_and_no_arm_for_the_generated_fallback() =>
        Verifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            """
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Shape s) => s {|RXS0006:switch|}
                {
                    Shape.Circle => 1,
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.UnionWithFallback,
            """
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Shape s) => s switch
                {
                    Shape.Circle => 1,
                    Shape.Square => throw new NotImplementedException(),
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.UnionWithFallback);

    [Fact]
    public Task Switch_statement_gets_one_case_per_missing_variant() =>
        Verifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                int Count;

                void M(Lease e)
                {
                    {|RXS0006:switch|} (e)
                    {
                        case Lease.Acquired:
                            Count++;
                            break;
                    }
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            """
            using Reactive.Streams;

            class C
            {
                int Count;

                void M(Lease e)
                {
                    switch (e)
                    {
                        case Lease.Acquired:
                            Count++;
                            break;
                        case Lease.Revoked:
                            break;
                        case Lease.Expired:
                            break;
                    }
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union);
}
