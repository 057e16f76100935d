using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// The seventh audit (the prover's third pass): values formatted through a <c>params</c> span (string.Join, Concat,
/// Format and StringBuilder.AppendJoin/AppendFormat bind to one on .NET 9 and later), format providers and custom
/// formatters of the compilation, delegates handed to framework code that invokes them, writes through <c>ref</c> fields,
/// <c>foreach</c> by reference, frozen collections and keyed factories, and the verdicts the rule page now states for
/// ambient state, once-only initialization, unsafe writes, hashing and formatting that vary by process or culture.
/// </summary>
internal static partial class PurityCorpus
{
    private const string LoudToString = "sealed class W { public static int N; public override string ToString() { /*!*/N++; return \"w\"; } }";
    private const string LoudFormattable = "sealed class W : IFormattable { public static int N; public string ToString(string? f, IFormatProvider? p) { /*!*/N++; return \"w\"; } }";

    private static IEnumerable<PurityCase> Audit7()
    {
        // Formatting through a params span: each value is formatted with its own members, as through a params array.
        yield return Impure("string.Join over several values formats each with its ToString", "W", "static w => string.Join(\",\", w, w, w).Length > 0 ? w : w",
            LoudToString, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Impure("string.Concat of five values formats each with its ToString", "W", "static w => string.Concat(w, w, w, w, w).Length > 0 ? w : w",
            LoudToString, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Impure("string.Format with four holes formats with IFormattable", "W", "static w => string.Format(\"{0:x}{1}{2}{3}\", w, 1, 2, 3).Length > 0 ? w : w",
            LoudFormattable, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Impure("StringBuilder.AppendJoin over several values", "W", "static w => new StringBuilder().AppendJoin(',', w, w).Length > 0 ? w : w",
            LoudToString, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Impure("StringBuilder.AppendFormat with four holes", "W", "static w => new StringBuilder().AppendFormat(\"{0}{1}{2}{3}\", 1, 2, 3, w).Length > 0 ? w : w",
            LoudFormattable, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Pure("string.Join and Format over several pure values of the compilation", "R", "static r => r with { S = string.Join(\",\", r, r, r) + string.Format(\"{0}{1}{2}{3}\", r, r, 1, 2) }",
            "sealed record R(string S);");
    }
}
