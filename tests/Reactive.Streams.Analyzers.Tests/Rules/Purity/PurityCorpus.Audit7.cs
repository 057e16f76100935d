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

        // A comparer derived from the framework's Comparer<T> or EqualityComparer<T>, or held as its interface.
        const string ByPrice = "sealed class ByPrice : Comparer<int> { public static int N; public override int Compare(int a, int b) { /*!*/N++; return a - b; } }";
        yield return Impure("OrderBy with a comparer derived from Comparer<T>", "int[]", "static xs => xs.OrderBy(x => x, new ByPrice()).ToArray()", ByPrice,
            "lambda \u2192 ByPrice.Compare \u2192 writes static field 'ByPrice.N'");
        yield return Impure("HashSet with a comparer derived from EqualityComparer<T>", "string[]", "static xs => new HashSet<string>(xs, new Ci()).ToArray()",
            "sealed class Ci : EqualityComparer<string> { public static int N; public override bool Equals(string? a, string? b) { /*!*/N++; return a == b; } public override int GetHashCode(string s) => s.Length; }",
            "lambda \u2192 Ci.Equals \u2192 writes static field 'Ci.N'");
        yield return Impure("OrderBy with a comparer held in a static as IComparer<T>", "int[]", "static xs => xs.OrderBy(x => x, H.Cmp).ToArray()",
            "sealed class Cmp : IComparer<int> { public static int N; public int Compare(int a, int b) { /*!*/N++; return a - b; } }\nstatic class H { public static readonly IComparer<int> Cmp = new Cmp(); }",
            "lambda \u2192 Cmp.Compare \u2192 writes static field 'Cmp.N'");
        yield return Impure("a format provider held in a static as IFormatProvider", "string", "static s => double.Parse(s, H.P).ToString()",
            "sealed class Prov : IFormatProvider { public static int N; public object? GetFormat(Type? t) { /*!*/N++; return null; } }\nstatic class H { public static readonly IFormatProvider P = new Prov(); }",
            "lambda \u2192 Prov.GetFormat \u2192 writes static field 'Prov.N'");
        yield return Pure("framework comparers held as their interface", "string[]", "static xs => xs.Order(H.Cmp).Distinct(H.Eq).ToArray()",
            "static class H { public static readonly IComparer<string> Cmp = StringComparer.Ordinal; public static readonly IEqualityComparer<string> Eq = StringComparer.OrdinalIgnoreCase; }");
        yield return Pure("a pure comparer of the compilation held as IComparer<T>", "int[]", "static xs => xs.OrderBy(x => x, H.Cmp).ToArray()",
            "sealed class Cmp : IComparer<int> { public int Compare(int a, int b) => a.CompareTo(b); }\nstatic class H { public static readonly IComparer<int> Cmp = new Cmp(); }");

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
        yield return Impure("AsyncLocal written", "int", "static x => { /*!*/H.L.Value = x; return x; }",
            "static class H { public static readonly System.Threading.AsyncLocal<int> L = new(); }", "lambda \u2192 writes property 'AsyncLocal.Value'");
        yield return Pure("AsyncLocal read like a static", "int", "static x => H.L.Value + x",
            "static class H { public static readonly System.Threading.AsyncLocal<int> L = new(); }");
        yield return Impure("ThreadLocal written", "int", "static x => { /*!*/H.L.Value = x; return x; }",
            "static class H { public static readonly System.Threading.ThreadLocal<int> L = new(); }", "lambda \u2192 writes property 'ThreadLocal.Value'");

        // Once-only initialization is not the degrader's: a static constructor, a static field initializer, a Lazy factory.
        yield return Pure("static constructor with console output runs once per process, not per call", "int", "static x => H.V + x",
            "static class H { public static readonly int V = 1; static H() { Console.WriteLine(\"init\"); } }");
        yield return Pure("static field initializer writing another static runs once", "int", "static x => H.V + x",
            "static class H { public static readonly int V = G.Bump(); } static class G { public static int N; public static int Bump() => ++N; }");
        yield return Pure("Lazy factory reading the clock runs once", "long", "static x => H.L.Value + x",
            "static class H { public static readonly Lazy<long> L = new(() => DateTime.UtcNow.Ticks); }");

        // Unsafe writes are reported whatever they point to.
        yield return Impure("Unsafe.As written over a static", "int", "static x => { /*!*/System.Runtime.CompilerServices.Unsafe.As<int, uint>(ref H.S) = 1; return x; }",
            "static class H { public static int S; }", "lambda \u2192 writes 'System.Runtime.CompilerServices.Unsafe.As<int, uint>(ref H.S)'");
        yield return Impure("pointer to the degrader's own local written", "int", "static x => { unsafe { int n = 0; int* p = &n; /*!*/*p = x; return n; } }", "",
            "lambda \u2192 writes '*p'");
        yield return Impure("stackalloc pointer written", "int", "static x => { unsafe { int* p = stackalloc int[4]; /*!*/p[0] = x; return p[0]; } }", "",
            "lambda \u2192 writes 'p[0]'");

        // By-reference writes into statics, however they are spelled.
        yield return Impure("ref extension method on a static", "int", "static x => { H.S.Inc(); return x; }",
            "static class H { public static int S; public static void Inc(this ref int v) => /*!*/v++; }", "lambda \u2192 Inc \u2192 writes ref parameter 'v'");
        yield return Impure("int.TryParse into a static", "string", "static s => /*!*/int.TryParse(s, out H.N) ? s : s",
            "static class H { public static int N; }", "lambda \u2192 writes static field 'H.N'");
        yield return Pure("Math.DivRem into the degrader's own out variable", "int", "static x => { var q = Math.DivRem(x, 3, out var r); return q + r; }");

        // Values that vary by process or culture but not within one: pure, as the rule page says.
        yield return Pure("string.GetHashCode, randomized per process", "string", "static s => s.GetHashCode() % 2 == 0 ? s : s + HashCode.Combine(s, 1)");
        yield return Pure("enum ToString and a flags enum interpolated", "Mode", "static m => m.ToString().Length > 1 && $\"{m}\".Contains(',') ? Mode.A : m",
            "[Flags] enum Mode { A = 1, B = 2 }");
        yield return Pure("double formatted and parsed in the current culture", "double", "static d => double.Parse(d.ToString()) + double.Parse($\"{d:F2}\")");

        // Shapes the earlier groups did not show.
        yield return Impure("target-typed new of a type with an impure constructor", "int", "static x => H.Use(new(x))",
            "sealed class C { public static int N; public int V; public C(int v) { /*!*/N++; V = v; } } static class H { public static int Use(C c) => c.V; }",
            "lambda \u2192 new C \u2192 writes static field 'C.N'");
        yield return Impure("default interface member through a constrained type parameter", "int", "static x => H.Run(new S(), x)",
            "interface IScale { int Scale(int x) => x * 2; } struct S : IScale { } static class H { public static int Run<T>(T t, int x) where T : IScale => /*!*/t.Scale(x); }",
            "lambda \u2192 Run \u2192 calls 'IScale.Scale', which has no body to prove");
        yield return Impure("checked user operator", "M", "static m => checked(m + m)",
            "readonly struct M { public static int N; public static M operator +(M a, M b) => a; public static M operator checked +(M a, M b) { /*!*/N++; return a; } }",
            "lambda \u2192 op_CheckedAddition \u2192 writes static field 'M.N'");
        yield return Impure("unsubscription through custom event accessors", "int", "static x => { /*!*/H.E -= H.Handler; return x; }",
            "static class H { public static void Handler(int _) { } public static event Action<int> E { add { } remove { } } }",
            "lambda \u2192 unsubscribes from event 'H.E'");
        yield return Pure("record struct with ==, with and GetHashCode", "P", "static p => p == default ? p with { X = p.GetHashCode() } : p", "record struct P(int X);");
        yield return Pure("generic helper formatting a T is proved once, whatever T", "int", "static x => H.Show(x).Length + x",
            "static class H { public static string Show<T>(T t) => $\"{t}\" + t?.GetHashCode(); }");
        yield return Pure("StringBuilder chunks of the degrader's own builder", "string", "static s => { var sb = new StringBuilder(s).Append('!'); var n = 0; foreach (var m in sb.GetChunks()) n += m.Length; return sb.ToString() + n; }");
        yield return Impure("StringBuilder held in a static inserted into", "string", "static s => { /*!*/H.B.Insert(0, s); return s; }",
            "static class H { public static readonly StringBuilder B = new(); }", "lambda \u2192 mutates 'H.B' ('StringBuilder.Insert'), which was not created inside the degrader");
        yield return Impure("ImmutableArray builder held in a static added to", "int", "static x => { /*!*/H.B.Add(x); return x; }",
            "static class H { public static readonly ImmutableArray<int>.Builder B = ImmutableArray.CreateBuilder<int>(); }",
            "lambda \u2192 mutates 'H.B' ('Builder.Add'), which was not created inside the degrader");
        yield return Impure("partial property whose implementing getter writes a static", "int", "static x => new P().V + x",
            "partial class P { public partial int V { get; } }\npartial class P { public static int N; public partial int V { get { /*!*/N++; return 1; } } }",
            "lambda \u2192 V \u2192 writes static field 'P.N'");
        yield return Impure("partial property whose implementing setter an initializer runs", "int", "static x => new P { V = x }.V",
            "partial class P { public partial int V { get; set; } }\npartial class P { public static int N; private int _v; public partial int V { get => _v; set { /*!*/N++; _v = value; } } }",
            "lambda \u2192 V \u2192 writes static field 'P.N'");
        yield return Impure("Volatile.Write on the degrader's own local is still a volatile access", "int", "static x => { var n = 0; /*!*/System.Threading.Volatile.Write(ref n, x); return n; }", "",
            "lambda \u2192 performs a volatile access ('Volatile.Write')");
        yield return Pure("ImmutableArray chain", "ImmutableArray<int>", "static a => a.Add(1).RemoveAt(0).Sort().Select(x => x * 2).ToImmutableArray()");
        yield return Pure("Math and MathF", "double", "static d => Math.Clamp(Math.Round(d, 2, MidpointRounding.AwayFromZero), 0, Math.PI) + Math.FusedMultiplyAdd(d, 2, 1) + MathF.Sqrt(2f) + Math.BigMul(2, 3) + Math.CopySign(d, -1)");
        yield return Pure("span of the degrader's own: copy, sort, reverse", "int[]", "static xs => { Span<int> s = stackalloc int[xs.Length]; xs.CopyTo(s); s.Sort(); s.Reverse(); return s.ToArray(); }");
    }
}
