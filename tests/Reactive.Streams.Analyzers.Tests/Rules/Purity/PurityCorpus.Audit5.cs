using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// The fifth audit: ref-returning methods written through, and what a custom interpolated string handler built over a
/// caller's builder writes (the handler is the compiler's own, what it holds is not).
/// </summary>
internal static partial class PurityCorpus
{
    private static IEnumerable<PurityCase> Audit5()
    {
        // A ref-returning method hands out a variable: writing through it writes that variable.
        yield return Impure("assignment through a ref-returning method to a static", "int", "static x => { /*!*/H.Slot() = x; return x; }",
            "static class H { static int s_v; public static ref int Slot() => ref s_v; }",
            "lambda \u2192 writes 'H.Slot()'");
        yield return Impure("ref local from a ref-returning method to a static", "int", "static x => { ref var r = ref H.Slot(); /*!*/r = x; return x; }",
            "static class H { static int s_v; public static ref int Slot() => ref s_v; }",
            "lambda \u2192 writes through ref local 'r'");

        // A handler built over a builder the caller passes writes that builder.
        yield return Impure("custom handler appending to a shared builder", "int", "static x => H.Log(H.Shared, $\"n={x}\")", """
            [System.Runtime.CompilerServices.InterpolatedStringHandler]
            ref struct Into
            {
                private readonly StringBuilder _sb;
                public Into(int literalLength, int formattedCount, StringBuilder sb) { _sb = sb; }
                public void AppendLiteral(string s) => /*!*/_sb.Append(s);
                public void AppendFormatted<T>(T value) => _sb.Append(value);
            }
            static class H
            {
                public static readonly StringBuilder Shared = new();
                public static int Log(StringBuilder sb, [System.Runtime.CompilerServices.InterpolatedStringHandlerArgument("sb")] ref Into into) => sb.Length;
            }
            """, "lambda \u2192 AppendLiteral \u2192 mutates '_sb' ('StringBuilder.Append'), which was not created inside the degrader");
    }
}
