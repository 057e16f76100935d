using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.ImpureDegraderAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

public sealed class MakeDegraderStaticCodeFixTests
{
    [Fact]
    public Task A_lambda_reading_constant_captured_locals_becomes_static_and_the_locals_const() =>
        Verifier.CodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    var factor = 3;
                    string suffix = "~";
                    StubFactory.DegradeQuality<string>(4, {|RXS0004:s => s.Substring(factor) + suffix|});
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
                    const string suffix = "~";
                    StubFactory.DegradeQuality<string>(4, static s => s.Substring(factor) + suffix);
                }
            }
            """);

    [Fact]
    public Task No_fix_when_the_captured_local_is_written_or_a_field_is_read() =>
        Verifier.CodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                int _scale = 2;

                void M()
                {
                    var factor = 3;
                    factor++;
                    StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
                    StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / _scale|});
                }
            }
            """,
            """
            using Reactive.Streams;

            class C
            {
                int _scale = 2;

                void M()
                {
                    var factor = 3;
                    factor++;
                    StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
                    StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / _scale|});
                }
            }
            """);
}
