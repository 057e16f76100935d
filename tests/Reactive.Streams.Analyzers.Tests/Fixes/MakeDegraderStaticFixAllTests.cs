using Microsoft.CodeAnalysis.Testing;
using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.ImpureDegraderAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// RXS0004's fix where the testing package's own checks apply: a fix-all over degraders that share their constant locals
/// converges in one run, and locals whose type cannot be <c>const</c> get no fix.
/// </summary>
public sealed class MakeDegraderStaticFixAllTests
{
    [Fact]
    public void The_fix_offers_a_fix_all()
    {
        // Without a provider the IDE offers no Fix All and `dotnet format analyzers --diagnostics RXS0004` fixes nothing;
        // the testing package skips its fix-all checks then, so the tests below would pass without one.
        Assert.NotNull(new MakeDegraderStaticCodeFix().GetFixAllProvider());
    }

    [Fact]
    public Task A_nullable_local_is_not_made_const_and_gets_no_fix() =>
        Verifier.NoCodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    int? factor = 3;
                    StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor.Value|});
                }
            }
            """);

    [Fact]
    public Task Fix_all_makes_every_degrader_static_in_one_run() =>
        Verifier.FixAllInOneRunAsync<MakeDegraderStaticCodeFix>(
            [
                """
                using Reactive.Streams;

                class C
                {
                    void M()
                    {
                        // the factor every stream divides by
                        var factor = 3;
                        StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
                    #region longs
                        var shift = 1;
                        StubFactory.DegradeQuality<long>(4, {|RXS0004:x => x >> shift|});
                    #endregion
                    }
                }
                """,
                """
                using Reactive.Streams;

                class D
                {
                    void N()
                    {
                        var half = 2;
                        StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / half|});
                    }
                }
                """,
            ],
            [
                """
                using Reactive.Streams;

                class C
                {
                    void M()
                    {
                        // the factor every stream divides by
                        const int factor = 3;
                        StubFactory.DegradeQuality<int>(4, static x => x / factor);
                    #region longs
                        const int shift = 1;
                        StubFactory.DegradeQuality<long>(4, static x => x >> shift);
                    #endregion
                    }
                }
                """,
                """
                using Reactive.Streams;

                class D
                {
                    void N()
                    {
                        const int half = 2;
                        StubFactory.DegradeQuality<int>(4, static x => x / half);
                    }
                }
                """,
            ],
            diagnostics: 3);

    [Fact]
    public Task Fix_all_makes_both_degraders_sharing_a_local_static_where_one_fix_leaves_the_second_pure() =>
        Verifier.CodeFixAndFixAllAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    var factor = 3;
                    StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
                    StubFactory.DegradeQuality<long>(4, {|RXS0004:x => x / factor|});
                }
            }
            """,
            """
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    const int factor = 3;
                    StubFactory.DegradeQuality<int>(4, static x => x / factor);
                    StubFactory.DegradeQuality<long>(4, x => x / factor);
                }
            }
            """,
            """
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    const int factor = 3;
                    StubFactory.DegradeQuality<int>(4, static x => x / factor);
                    StubFactory.DegradeQuality<long>(4, static x => x / factor);
                }
            }
            """,
            diagnostics: 1);
}
