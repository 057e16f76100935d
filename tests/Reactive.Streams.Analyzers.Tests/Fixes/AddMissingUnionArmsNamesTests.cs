using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Reactive.Streams.Analyzers.Tests.Rules;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.NonExhaustiveUnionSwitchAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// RXS0006's fix names each variant so that the arm binds to it where it is written: a member of the enclosing class
/// with a variant's name (a <c>bool Expired</c> beside <c>using static Lease;</c>) would otherwise turn the added arm into
/// a constant pattern on that member, which does not compile.
/// </summary>
public sealed class AddMissingUnionArmsNamesTests
{
    [Fact]
    public Task A_variant_shadowed_by_a_member_of_the_class_is_qualified_in_a_switch_expression() =>
        Verifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            """
            using System;
            using Reactive.Streams;
            using static Lease;

            class LeaseView
            {
                public bool Expired { get; init; }

                int M(Lease e) => e {|RXS0006:switch|}
                {
                    Acquired => 1,
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            """
            using System;
            using Reactive.Streams;
            using static Lease;

            class LeaseView
            {
                public bool Expired { get; init; }

                int M(Lease e) => e switch
                {
                    Acquired => 1,
                    Revoked => throw new NotImplementedException(),
                    Lease.Expired => throw new NotImplementedException(),
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union);

    [Fact]
    public Task A_variant_shadowed_by_a_member_of_the_class_is_qualified_in_a_switch_statement_inside_a_lambda() =>
        Verifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            """
            using System;
            using Reactive.Streams;
            using static Lease;

            class LeaseView
            {
                const int Revoked = 2;

                Action<Lease?> M() => e =>
                {
                    {|RXS0006:switch|} (e)
                    {
                        case null:
                            break;
                        case Acquired:
                            break;
                    }
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            """
            using System;
            using Reactive.Streams;
            using static Lease;

            class LeaseView
            {
                const int Revoked = 2;

                Action<Lease?> M() => e =>
                {
                    switch (e)
                    {
                        case null:
                            break;
                        case Acquired:
                            break;
                        case Lease.Revoked:
                            break;
                        case Expired:
                            break;
                    }
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union);
}
