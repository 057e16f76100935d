using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.ImpureDegraderAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>RXS0004's static fix on lambda shapes the first tests do not write: attributes, comments, regions.</summary>
public sealed class MakeDegraderStaticShapeTests
{
    [Fact]
    public Task A_lambda_with_an_attribute_gets_static_after_the_attribute_and_keeps_its_line() =>
        Verifier.CodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using System.Diagnostics.CodeAnalysis;
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    var factor = 3;
                    StubFactory.DegradeQuality<int>(4,
                        {|RXS0004:[return: NotNull] (int x) => x / factor|});
                }
            }
            """,
            """
            using System.Diagnostics.CodeAnalysis;
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    const int factor = 3;
                    StubFactory.DegradeQuality<int>(4,
                        [return: NotNull] static (int x) => x / factor);
                }
            }
            """);

    [Fact]
    public Task Comments_and_regions_before_the_local_and_the_lambda_are_kept() =>
        Verifier.CodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    #region settings
                    // how much to keep
                    var factor = 3; // a third
                    #endregion
                    StubFactory.DegradeQuality<int>(4,
                        /* coarse */ {|RXS0004:x => x / factor|});
                }
            }
            """,
            """
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    #region settings
                    // how much to keep
                    const int factor = 3; // a third
                    #endregion
                    StubFactory.DegradeQuality<int>(4,
                        /* coarse */ static x => x / factor);
                }
            }
            """);
}
