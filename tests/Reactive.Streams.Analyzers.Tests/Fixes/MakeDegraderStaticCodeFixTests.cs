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

    [Fact]
    public Task No_fix_when_a_top_level_local_is_written_by_a_later_statement() =>
        Verifier.CodeFixProgramAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            var factor = 3;
            StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
            factor = 4;
            System.Console.WriteLine(factor);
            """,
            """
            using Reactive.Streams;

            var factor = 3;
            StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
            factor = 4;
            System.Console.WriteLine(factor);
            """);

    [Fact]
    public Task A_top_level_local_never_written_becomes_const() =>
        Verifier.CodeFixProgramAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            var factor = 3;
            StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
            System.Console.WriteLine(factor);
            """,
            """
            using Reactive.Streams;

            const int factor = 3;
            StubFactory.DegradeQuality<int>(4, static x => x / factor);
            System.Console.WriteLine(factor);
            """);

    [Fact]
    public Task No_fix_when_a_local_of_a_switch_section_is_written_in_another_section() =>
        Verifier.CodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                void M(int k)
                {
                    switch (k)
                    {
                        case 0:
                            var factor = 3;
                            StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
                            break;
                        case 1:
                            factor = 4;
                            System.Console.WriteLine(factor);
                            break;
                    }
                }
            }
            """,
            """
            using Reactive.Streams;

            class C
            {
                void M(int k)
                {
                    switch (k)
                    {
                        case 0:
                            var factor = 3;
                            StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
                            break;
                        case 1:
                            factor = 4;
                            System.Console.WriteLine(factor);
                            break;
                    }
                }
            }
            """);

    [Fact]
    public Task No_fix_when_the_local_is_passed_with_in() =>
        Verifier.CodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                static int Twice(in int v) => v * 2;

                void M()
                {
                    var factor = 3;
                    System.Console.WriteLine(Twice(in factor));
                    StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
                }
            }
            """,
            """
            using Reactive.Streams;

            class C
            {
                static int Twice(in int v) => v * 2;

                void M()
                {
                    var factor = 3;
                    System.Console.WriteLine(Twice(in factor));
                    StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
                }
            }
            """);

    [Fact]
    public Task A_lambda_with_an_explicit_return_type_gets_static_before_it() =>
        Verifier.CodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    var factor = 3;
                    StubFactory.DegradeQuality<int>(4, {|RXS0004:int (int x) => x / factor|});
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
                    StubFactory.DegradeQuality<int>(4, static int (int x) => x / factor);
                }
            }
            """);

    [Fact]
    public Task A_local_passed_to_an_in_parameter_without_the_modifier_still_becomes_const() =>
        Verifier.CodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                static int Twice(in int v) => v * 2;

                void M()
                {
                    var factor = 3;
                    System.Console.WriteLine(Twice(factor));
                    StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
                }
            }
            """,
            """
            using Reactive.Streams;

            class C
            {
                static int Twice(in int v) => v * 2;

                void M()
                {
                    const int factor = 3;
                    System.Console.WriteLine(Twice(factor));
                    StubFactory.DegradeQuality<int>(4, static x => x / factor);
                }
            }
            """);

    [Fact]
    public Task No_fix_when_the_captured_local_is_written_by_a_deconstruction() =>
        Verifier.NoCodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    var factor = 3;
                    StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor|});
                    (factor, _) = (4, 5);
                }
            }
            """);

    [Fact]
    public Task A_var_string_local_becomes_a_const_string_without_a_nullable_annotation() =>
        Verifier.CodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            #nullable enable
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    var suffix = "~";
                    StubFactory.DegradeQuality<string>(4, {|RXS0004:s => s + suffix|});
                }
            }
            """,
            """
            #nullable enable
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    const string suffix = "~";
                    StubFactory.DegradeQuality<string>(4, static s => s + suffix);
                }
            }
            """);

    [Fact]
    public Task A_parenthesized_lambda_becomes_static() =>
        Verifier.CodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    var factor = 3;
                    StubFactory.DegradeQuality<int>(4, ({|RXS0004:x => x / factor|}));
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
                    StubFactory.DegradeQuality<int>(4, (static x => x / factor));
                }
            }
            """);

    // The diagnostic names the first effect met, the captured read; the fix was offered, and left RXS0004 on the clock
    // read (docs/rules/RXS0004.md's own bad example). It is offered only when the fixed degrader is pure.
    [Fact]
    public Task No_fix_when_the_degrader_has_another_effect_after_the_captured_read() =>
        Verifier.NoCodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using System;
            using Reactive.Streams;

            record Reading(double Value, DateTime At);

            class C
            {
                void M()
                {
                    var factor = 2;
                    StubFactory.DegradeQuality<Reading>(4, {|RXS0004:r => r with { Value = r.Value / factor, At = DateTime.UtcNow }|});
                    StubFactory.DegradeQuality<int>(4, {|RXS0004:x => x / factor + Environment.ProcessorCount|});
                }
            }
            """);

    [Fact]
    public Task The_fix_is_still_offered_when_reading_the_const_leaves_only_pure_calls() =>
        Verifier.CodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using System;
            using Reactive.Streams;

            record Reading(double Value, DateTime At);

            class C
            {
                void M()
                {
                    var factor = 2;
                    StubFactory.DegradeQuality<Reading>(4, {|RXS0004:r => r with { Value = Math.Round(r.Value / factor) }|});
                }
            }
            """,
            """
            using System;
            using Reactive.Streams;

            record Reading(double Value, DateTime At);

            class C
            {
                void M()
                {
                    const int factor = 2;
                    StubFactory.DegradeQuality<Reading>(4, static r => r with { Value = Math.Round(r.Value / factor) });
                }
            }
            """);

    // An enum local can be const like a number: the fix was not offered (only the special types were).
    [Fact]
    public Task A_var_enum_local_becomes_const_with_its_type_written_as_it_binds() =>
        Verifier.CodeFixAsync<MakeDegraderStaticCodeFix>(
            """
            using Reactive.Streams;

            namespace Imaging
            {
                public static class Codec
                {
                    public enum Quality { Low, High }
                    public static int Encode(int x, Quality q) => q == Quality.Low ? x / 2 : x;
                }
            }

            namespace App
            {
                class C
                {
                    void M()
                    {
                        var quality = Imaging.Codec.Quality.Low;
                        StubFactory.DegradeQuality<int>(4, {|RXS0004:x => Imaging.Codec.Encode(x, quality)|});
                    }
                }
            }
            """,
            """
            using Reactive.Streams;

            namespace Imaging
            {
                public static class Codec
                {
                    public enum Quality { Low, High }
                    public static int Encode(int x, Quality q) => q == Quality.Low ? x / 2 : x;
                }
            }

            namespace App
            {
                class C
                {
                    void M()
                    {
                        const Imaging.Codec.Quality quality = Imaging.Codec.Quality.Low;
                        StubFactory.DegradeQuality<int>(4, static x => Imaging.Codec.Encode(x, quality));
                    }
                }
            }
            """);
}
