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
    private const string LoudKey = "sealed class Key { public static int N; public override int GetHashCode() { /*!*/N++; return 1; } public override bool Equals(object? o) => o is Key; }";

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

        // Format providers and custom formatters of the compilation are called back by the framework.
        const string Fmt = """
            sealed class Fmt : IFormatProvider, ICustomFormatter
            {
                public static int N;
                public object? GetFormat(Type? t) => t == typeof(ICustomFormatter) ? this : null;
                public string Format(string? f, object? a, IFormatProvider? p) { /*!*/N++; return "x"; }
            }
            """;
        yield return Impure("string.Format with a custom formatter of the compilation", "int", "static x => string.Format(new Fmt(), \"{0}\", x).Length", Fmt,
            "lambda \u2192 Fmt.Format \u2192 writes static field 'Fmt.N'");
        const string Provider = "sealed class Prov : IFormatProvider { public static int N; public object? GetFormat(Type? t) { /*!*/N++; return null; } }";
        yield return Impure("int.ToString with a format provider of the compilation", "int", "static x => x.ToString(new Prov()).Length", Provider,
            "lambda \u2192 Prov.GetFormat \u2192 writes static field 'Prov.N'");
        yield return Impure("string.Create with a format provider of the compilation", "int", "static x => string.Create(new Prov(), $\"{x}\").Length", Provider,
            "lambda \u2192 Prov.GetFormat \u2192 writes static field 'Prov.N'");
        yield return Pure("a pure custom formatter and the invariant culture", "int", "static x => string.Format(new Fmt(), \"{0}\", x).Length + x.ToString(System.Globalization.CultureInfo.InvariantCulture).Length",
            Fmt.Replace("{ /*!*/N++; return \"x\"; }", "=> a?.ToString() ?? \"\";", StringComparison.Ordinal));

        // A delegate value handed to framework code that invokes it (a lambda or method group is judged where it is made).
        yield return Impure("Select over a Func held in a static field", "int[]", "/*!*/static xs => xs.Select(H.F).ToArray()",
            "static class H { public static int N; public static readonly Func<int, int> F = x => N++; }",
            "lambda \u2192 hands delegate 'H.F', which cannot be proved pure, to 'Enumerable.Select'");
        yield return Impure("Select over a delegate the item carries", "R", "/*!*/static r => r with { Xs = r.Xs.Select(r.Map).ToArray() }",
            "sealed record R(int[] Xs, Func<int, int> Map);",
            "lambda \u2192 hands delegate 'r.Map', which cannot be proved pure, to 'Enumerable.Select'");
        yield return Impure("Array.Sort of the degrader's copy with a Comparison held in a static", "int[]", "static xs => { var c = (int[])xs.Clone(); /*!*/Array.Sort(c, H.Cmp); return c; }",
            "static class H { public static readonly Comparison<int> Cmp = (a, b) => a - b; }",
            "lambda \u2192 hands delegate 'H.Cmp', which cannot be proved pure, to 'Array.Sort'");
        yield return Impure("a helper passing its delegate parameter on to Where", "int[]", "static xs => H.Keep(xs, x => x > 0)",
            "static class H { public static int[] Keep(int[] xs, Func<int, bool> p) => /*!*/xs.Where(p).ToArray(); }",
            "lambda \u2192 Keep \u2192 hands delegate 'p', which cannot be proved pure, to 'Enumerable.Where'");
        yield return Pure("lambdas and method groups handed to LINQ are judged where they are made", "int[]", "static xs => xs.Select(x => x + 1).Where(H.Positive).OrderBy(static x => x).ToArray()",
            "static class H { public static bool Positive(int x) => x > 0; }");
        yield return Pure("a delegate stored in the degrader's own list is not invoked", "int", "static x => { var l = new List<Func<int, int>>(); l.Add(H.F); return x + l.Count; }",
            "static class H { public static readonly Func<int, int> F = x => x; }");

        // A ref field refers to a variable someone else owns: writing through it writes that variable.
        const string Slot = """
            static class H { public static int S; public static int Set(Slot s, int x) { /*?*/s.V = x; return x; } }
            ref struct Slot { public ref int V; public Slot(int _) { V = ref H.S; } }
            """;
        yield return Impure("ref field pointed at a static by its constructor, then written", "int", "static x => { var s = new Slot(0); /*!*/s.V = x; return x; }",
            Slot.Replace("/*?*/", "", StringComparison.Ordinal), "lambda \u2192 writes through ref field 'Slot.V'");
        yield return Impure("ref field written by a helper handed the ref struct", "int", "static x => H.Set(new Slot(0), x)",
            Slot.Replace("/*?*/", "/*!*/", StringComparison.Ordinal), "lambda \u2192 Set \u2192 writes through ref field 'Slot.V'");
        yield return Impure("ref field incremented", "int", "static x => { var s = new Slot(0); /*!*/s.V++; return x; }",
            Slot.Replace("/*?*/", "", StringComparison.Ordinal), "lambda \u2192 writes through ref field 'Slot.V'");
        yield return Impure("ref local taken of a ref field and written", "int", "static x => { var s = new Slot(0); ref var r = ref s.V; /*!*/r = x; return x; }",
            Slot.Replace("/*?*/", "", StringComparison.Ordinal), "lambda \u2192 writes through ref local 'r'");
        yield return Pure("ref field read", "int", "static x => new Slot(0).V + x", Slot.Replace("/*?*/", "", StringComparison.Ordinal));

        // foreach by reference writes the elements of the span it iterates.
        yield return Pure("foreach by ref over a span of the degrader's own array", "int[]", "static xs => { var a = (int[])xs.Clone(); foreach (ref var e in a.AsSpan()) e *= 2; return a; }");
        yield return Pure("foreach by ref over stackalloc", "int", "static x => { Span<int> s = stackalloc int[4]; foreach (ref int e in s) e = x; return s[0]; }");
        yield return Impure("foreach by ref over a static array's span", "int", "static x => { foreach (ref var e in H.A.AsSpan()) /*!*/e = x; return x; }",
            "static class H { public static readonly int[] A = new int[3]; }", "lambda \u2192 writes through ref local 'e'");
        yield return Impure("foreach by ref over a span local viewing a static array", "int", "static x => { var s = H.A.AsSpan(1); foreach (ref var e in s) /*!*/e += x; return x; }",
            "static class H { public static readonly int[] A = new int[3]; }", "lambda \u2192 writes through ref local 'e'");
        yield return Impure("foreach by ref over the item's array", "R", "static r => { foreach (ref var e in r.Xs.AsSpan()) /*!*/e = 0; return r; }",
            "sealed record R(int[] Xs);", "lambda \u2192 writes through ref local 'e'");

        // Frozen collections are immutable, and a keyed factory hashes the keys its selector returns.
        yield return Pure("ToFrozenSet and ToFrozenDictionary of ints", "int[]", "static xs => System.Collections.Frozen.FrozenSet.ToFrozenSet(xs).Contains(1) && System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(xs, x => x).ContainsKey(2) ? xs : xs");
        yield return Impure("ToFrozenDictionary keyed by keys with an impure GetHashCode", "int[]", "static xs => System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(xs, x => new Key()).Count > 0 ? xs : xs",
            LoudKey, "lambda \u2192 Key.GetHashCode \u2192 writes static field 'Key.N'");
        yield return Impure("ToImmutableDictionary keyed by a selector of keys with an impure GetHashCode", "int[]", "static xs => xs.ToImmutableDictionary(x => new Key(), x => x).Count > 0 ? xs : xs",
            LoudKey, "lambda \u2192 Key.GetHashCode \u2192 writes static field 'Key.N'");
        yield return Pure("ToImmutableDictionary of values with an impure GetHashCode keyed by ints", "Key[]", "static xs => xs.ToImmutableDictionary(k => 1, k => k).Count > 1 ? xs : xs",
            LoudKey.Replace("/*!*/", "", StringComparison.Ordinal));

        // Ambient state: reads are reads, writes are writes.
        yield return Pure("Environment.NewLine is the platform's constant", "string", "static s => s + Environment.NewLine + string.Join(Environment.NewLine, s, s)");
        yield return Impure("Environment.ProcessorCount reads the environment", "int", "/*!*/static x => x % Environment.ProcessorCount", "",
            "lambda \u2192 reads the environment ('Environment.ProcessorCount')");
    }
}
