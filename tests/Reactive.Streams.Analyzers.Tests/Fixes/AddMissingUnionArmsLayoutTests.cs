using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Reactive.Streams.Analyzers.Tests.Rules;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.NonExhaustiveUnionSwitchAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>RXS0006's fix on empty and nested switches: where the arms go, how they are indented, and fix-all in one run.</summary>
public sealed class AddMissingUnionArmsLayoutTests
{
    [Fact]
    public Task Fix_all_completes_nested_switch_expressions_in_one_run() =>
        Verifier.FixAllInOneRunAsync<AddMissingUnionArmsCodeFix>(
            ["""
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Lease a, Lease b) => a {|RXS0006:switch|}
                {
                    Lease.Acquired => b {|RXS0006:switch|}
                    {
                        Lease.Acquired => 1
                    }
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union],
            ["""
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Lease a, Lease b) => a switch
                {
                    Lease.Acquired => b switch
                    {
                        Lease.Acquired => 1,
                        Lease.Revoked => throw new NotImplementedException(),
                        Lease.Expired => throw new NotImplementedException(),
                    },
                    Lease.Revoked => throw new NotImplementedException(),
                    Lease.Expired => throw new NotImplementedException(),
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union],
            2);

    [Fact]
    public Task Fix_all_completes_nested_switch_statements_in_one_run() =>
        Verifier.FixAllInOneRunAsync<AddMissingUnionArmsCodeFix>(
            ["""
            using Reactive.Streams;

            class C
            {
                void M(Lease a, Lease b)
                {
                    {|RXS0006:switch|} (a)
                    {
                        case Lease.Acquired:
                            {|RXS0006:switch|} (b)
                            {
                                case Lease.Acquired:
                                    break;
                            }
                            break;
                    }
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union],
            ["""
            using Reactive.Streams;

            class C
            {
                void M(Lease a, Lease b)
                {
                    switch (a)
                    {
                        case Lease.Acquired:
                            switch (b)
                            {
                                case Lease.Acquired:
                                    break;
                                case Lease.Revoked:
                                    break;
                                case Lease.Expired:
                                    break;
                            }
                            break;
                        case Lease.Revoked:
                            break;
                        case Lease.Expired:
                            break;
                    }
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union],
            2);

    [Fact]
    public Task An_empty_switch_expression_gets_arms_indented_one_level_below_its_brace() =>
        Verifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            """
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Lease e)
                {
                    return e {|RXS0006:switch|}
                    {
                    };
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            """
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Lease e)
                {
                    return e switch
                    {
                        Lease.Acquired => throw new NotImplementedException(),
                        Lease.Revoked => throw new NotImplementedException(),
                        Lease.Expired => throw new NotImplementedException(),
                    };
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union);

    [Fact]
    public Task An_empty_switch_statement_gets_sections_indented_one_level_below_its_brace() =>
        Verifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                void M(Lease e)
                {
                    {|RXS0006:switch|} (e)
                    {
                    }
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            """
            using Reactive.Streams;

            class C
            {
                void M(Lease e)
                {
                    switch (e)
                    {
                        case Lease.Acquired:
                            break;
                        case Lease.Revoked:
                            break;
                        case Lease.Expired:
                            break;
                    }
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union);

    [Fact]
    public Task A_section_after_a_block_or_a_one_line_section_is_indented_like_the_labels() =>
        Verifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                void M(Lease e)
                {
                    {|RXS0006:switch|} (e)
                    {
                        case Lease.Acquired:
                        {
                            break;
                        }
                        case Lease.Revoked: return; // done
                    }
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            """
            using Reactive.Streams;

            class C
            {
                void M(Lease e)
                {
                    switch (e)
                    {
                        case Lease.Acquired:
                        {
                            break;
                        }
                        case Lease.Revoked: return; // done
                        case Lease.Expired:
                            break;
                    }
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union);
}
