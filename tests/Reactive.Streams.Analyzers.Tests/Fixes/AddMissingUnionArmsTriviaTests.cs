using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Reactive.Streams.Analyzers.Tests.Rules;
using ArmsVerifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.NonExhaustiveUnionSwitchAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// RXS0006's fix on the trivia users have: CRLF files, tabs, one-line switches, <c>#if</c> regions. The fixed file must
/// read as if its author had written the arms, and the lines around them stay as they were.
/// </summary>
public sealed class AddMissingUnionArmsTriviaTests
{
    [Fact]
    public Task A_one_line_switch_in_a_CRLF_file_gets_CRLF_line_breaks() =>
        ArmsVerifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            Crlf("""
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Lease e) => e {|RXS0006:switch|} { Lease.Acquired => 1, Lease.Revoked => 2 };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union),
            Crlf("""
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Lease e) => e switch { Lease.Acquired => 1, Lease.Revoked => 2,
                    Lease.Expired => throw new NotImplementedException(),
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union));

    [Fact]
    public Task A_one_line_switch_statement_in_a_CRLF_file_gets_CRLF_line_breaks() =>
        ArmsVerifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            Crlf("""
            using Reactive.Streams;

            class C
            {
                void M(Lease e)
                {
                    {|RXS0006:switch|} (e) { case Lease.Acquired: case Lease.Revoked: break; }
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union),
            Crlf("""
            using Reactive.Streams;

            class C
            {
                void M(Lease e)
                {
                    switch (e) { case Lease.Acquired: case Lease.Revoked: break;
                        case Lease.Expired:
                            break;
                    }
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union));

    [Fact]
    public Task Arms_added_after_an_if_region_go_after_its_endif() =>
        ArmsVerifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            """
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Lease e) => e {|RXS0006:switch|}
                {
                    Lease.Acquired => 1,
            #if !LEGACY
                    Lease.Revoked => 2,
            #endif
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            """
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Lease e) => e switch
                {
                    Lease.Acquired => 1,
            #if !LEGACY
                    Lease.Revoked => 2,
            #endif
                    Lease.Expired => throw new NotImplementedException(),
                };
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union);

    [Fact]
    public Task Sections_added_after_an_if_region_go_after_its_endif() =>
        ArmsVerifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                void M(Lease e)
                {
                    {|RXS0006:switch|} (e)
                    {
                        case Lease.Acquired:
                            break;
            #if !LEGACY
                        case Lease.Revoked:
                            break;
            #endif
                        // more to come
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
            #if !LEGACY
                        case Lease.Revoked:
                            break;
            #endif
                        case Lease.Expired:
                            break;
                        // more to come
                    }
                }
            }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union);

    [Fact]
    public Task Tab_indented_switches_get_tab_indented_arms() =>
        ArmsVerifier.CodeFixAsync<AddMissingUnionArmsCodeFix>(
            Tabs("""
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Lease e) => e {|RXS0006:switch|}
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                };

                int Empty(Lease e)
                {
                    return e {|RXS0006:switch|}
                    {
                    };
                }

                void N(Lease e)
                {
                    {|RXS0006:switch|} (e)
                    {
                    }
                }
            }
            """) + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            Tabs("""
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Expired => throw new NotImplementedException(),
                };

                int Empty(Lease e)
                {
                    return e switch
                    {
                        Lease.Acquired => throw new NotImplementedException(),
                        Lease.Revoked => throw new NotImplementedException(),
                        Lease.Expired => throw new NotImplementedException(),
                    };
                }

                void N(Lease e)
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
            """) + NonExhaustiveUnionSwitchAnalyzerTests.Union);

    // dotnet format's run: one fix-all over the project and the solution completes the switches of every document,
    // each in its own file's style (one file CRLF and tabs, the other LF and spaces).
    [Fact]
    public Task Fix_all_completes_switches_in_several_documents_each_in_its_own_style() =>
        ArmsVerifier.FixAllInOneRunAsync<AddMissingUnionArmsCodeFix>(
            [
                Crlf(Tabs("""
                using System;
                using Reactive.Streams;

                class A
                {
                    int M(Lease e) => e {|RXS0006:switch|}
                    {
                        Lease.Acquired => 1,
                    };
                }
                """)),
                """
                using Reactive.Streams;

                class B
                {
                    void M(Lease e)
                    {
                        {|RXS0006:switch|} (e)
                        {
                            case Lease.Revoked:
                                break;
                        }
                    }
                }
                """ + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            ],
            [
                Crlf(Tabs("""
                using System;
                using Reactive.Streams;

                class A
                {
                    int M(Lease e) => e switch
                    {
                        Lease.Acquired => 1,
                        Lease.Revoked => throw new NotImplementedException(),
                        Lease.Expired => throw new NotImplementedException(),
                    };
                }
                """)),
                """
                using Reactive.Streams;

                class B
                {
                    void M(Lease e)
                    {
                        switch (e)
                        {
                            case Lease.Revoked:
                                break;
                            case Lease.Acquired:
                                break;
                            case Lease.Expired:
                                break;
                        }
                    }
                }
                """ + NonExhaustiveUnionSwitchAnalyzerTests.Union,
            ],
            2);

    private static string Crlf(string text) => text.ReplaceLineEndings("\r\n");

    // Every run of four leading spaces becomes a tab.
    private static string Tabs(string text) => string.Join(
        "\n",
        text.Split('\n').Select(line =>
        {
            var spaces = line.Length - line.TrimStart(' ').Length;
            return new string('\t', spaces / 4) + new string(' ', spaces % 4) + line.TrimStart(' ');
        }));
}
