using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// Degraders written in ordinary modern C#: records with init accessors, spans and stackalloc, interpolation handlers,
/// params spans, generic math, primary constructors, switch expressions and static lambdas.
/// </summary>
internal static partial class PurityCorpus
{
    private static IEnumerable<PurityCase> Modern()
    {
        yield return Pure("record with init property and with", "R", "static r => r with { Name = r.Name.ToUpperInvariant(), Count = checked(r.Count + 1) }", """
            sealed record R { public string Name { get; init; } = ""; public int Count { get; init; } }
            """);
        yield return Pure("init accessor with validation", "R", "static r => r with { Count = Math.Clamp(r.Count, 0, 10) }", """
            sealed record R { private readonly int _count; public int Count { get => _count; init => _count = value < 0 ? throw new ArgumentOutOfRangeException(nameof(value)) : value; } }
            """);
        yield return Pure("params span helper", "int", "static x => H.Sum(x, 1, 2)", """
            static class H { public static int Sum(params ReadOnlySpan<int> xs) { var s = 0; foreach (var x in xs) s += x; return s; } }
            """);
        yield return Pure("params span BCL", "string", "static s => string.Concat(s, \"-\", s)");
        yield return Pure("Math.Max params span", "int[]", "static xs => [.. xs, Math.Max(1, 2)]");
        yield return Pure("generic math sum", "double", "static x => H.Sum<double>([x, 1.0, 2.0])", """
            static class H { public static T Sum<T>(ReadOnlySpan<T> xs) where T : System.Numerics.INumber<T> { var s = T.Zero; foreach (var x in xs) s += x; return s; } }
            """);
        yield return Pure("generic math clamp", "int", "static x => H.Clamp(x)", """
            static class H { public static T Clamp<T>(T x) where T : System.Numerics.INumber<T> => T.Clamp(x, T.Zero, T.CreateChecked(100)); }
            """);
        yield return Pure("ReadOnlySpan slicing of string", "string", "static s => s.AsSpan().Trim().Slice(0, Math.Min(3, s.Length)).ToString()");
        yield return Pure("span IndexOf and range", "string", "static s => s.AsSpan()[..s.AsSpan().IndexOf(',')].ToString()");
        yield return Pure("stackalloc and Span.Fill", "int", "static x => { Span<int> buf = stackalloc int[4]; buf.Fill(x); buf[1..].Clear(); int s = 0; foreach (var b in buf) s += b; return s; }");
        yield return Pure("interpolated string with alignment and format", "double", "static x => double.Parse($\"{x,10:F2}\".Trim(), System.Globalization.CultureInfo.InvariantCulture)");
        yield return Pure("string.Create with invariant culture handler", "double", "static x => double.Parse(string.Create(System.Globalization.CultureInfo.InvariantCulture, $\"{x:F1}\"), System.Globalization.CultureInfo.InvariantCulture)");
        // span.TryWrite($"...") builds a handler whose constructor reports through `out bool shouldAppend`, a compiler temporary.
        yield return Pure("interpolated TryWrite into stackalloc", "int", "static x => { Span<char> buf = stackalloc char[32]; return buf.TryWrite($\"{x}\", out var n) ? n : 0; }");
        yield return Pure("interpolated TryWrite with a provider into a new array", "double", "static x => { var buf = new char[32]; return buf.AsSpan().TryWrite(System.Globalization.CultureInfo.InvariantCulture, $\"{x:F2}\", out var n) ? double.Parse(buf.AsSpan(0, n), provider: System.Globalization.CultureInfo.InvariantCulture) : x; }");
        yield return Impure("interpolated TryWrite into a parameter array", "char[]", "static cs => { /*!*/cs.AsSpan().TryWrite($\"{cs.Length}\", out _); return cs; }", "",
            "lambda \u2192 mutates 'cs.AsSpan()' ('MemoryExtensions.TryWrite'), which was not created inside the degrader");
        // MemoryExtensions members that write into a `destination` span they are handed.
        yield return Impure("ToUpperInvariant into a parameter array", "char[]", "static cs => { /*!*/\"abc\".AsSpan().ToUpperInvariant(cs); return cs; }", "",
            "lambda \u2192 mutates 'cs' ('MemoryExtensions.ToUpperInvariant'), which was not created inside the degrader");
        yield return Impure("span Split into a parameter array of ranges", "Range[]", "static rs => { /*!*/\"a,b\".AsSpan().Split(rs, ','); return rs; }", "",
            "lambda \u2192 mutates 'rs' ('MemoryExtensions.Split'), which was not created inside the degrader");
        yield return Impure("span Replace from a source into a parameter array", "char[]", "static cs => { /*!*/MemoryExtensions.Replace(\"a-b\".AsSpan(), cs, '-', '+'); return cs; }", "",
            "lambda \u2192 mutates 'cs' ('MemoryExtensions.Replace'), which was not created inside the degrader");
        yield return Pure("span Split and ToUpperInvariant into stackalloc", "string", "static s => { Span<Range> parts = stackalloc Range[4]; var n = s.AsSpan().Split(parts, ','); Span<char> up = stackalloc char[s.Length]; s.AsSpan().ToUpperInvariant(up); return n > 1 ? up[parts[0]].ToString() : s; }");
        yield return Pure("pattern matching with switch expression on tuple", "(int, int)", "static t => t switch { (0, _) => (1, 1), ( > 0, var y) when y < 0 => (t.Item1, -y), _ => t }");
        yield return Pure("static local function", "int", "static x => { return Twice(x); static int Twice(int v) => v * 2; }");
        yield return Pure("LINQ over local array", "int", "static x => new[] { x, 2, 3 }.Where(v => v > 1).Sum()");
        yield return Pure("collection expression into list", "int", "static x => { List<int> l = [x, 1]; l.Add(2); return l.Count; }");
        yield return Pure("collection expression into ReadOnlySpan", "int", "static x => { ReadOnlySpan<int> s = [x, 1, 2]; return s[0] + s.Length; }");
        yield return Pure("collection expression into IEnumerable", "int", "static x => { IEnumerable<int> s = [x, 1, 2]; return s.Sum(); }");
        yield return Pure("collection expression into IReadOnlyList", "int", "static x => { IReadOnlyList<int> s = [x, 1, 2]; return s[0]; }");
        yield return Pure("collection expression into ImmutableArray", "int", "static x => { ImmutableArray<int> s = [x, 1, 2]; return s[0]; }");
        yield return Pure("checked conversion", "long", "static x => checked((int)x)");
        yield return Pure("MathF", "float", "static x => MathF.Round(MathF.Sqrt(MathF.Abs(x)), 2)");
        yield return Pure("record struct with", "P", "static p => p with { X = p.X + 1 }", """
            record struct P(int X, int Y);
            """);
        yield return Pure("readonly record struct with", "P", "static p => p with { X = p.X * 2 }", """
            readonly record struct P(int X, int Y);
            """);
        yield return Pure("nameof in interpolation", "R", "static r => r.X > 0 ? r : throw new ArgumentException($\"{nameof(R.X)} must be positive\")", """
            sealed record R(int X);
            """);
        yield return Pure("constants", "int", "static x => x * H.Factor + H.Offset", """
            static class H { public const int Factor = 2; public const int Offset = Factor + 1; }
            """);
        yield return Pure("tuple deconstruction and swap", "(int, int)", "static t => { var (a, b) = t; (a, b) = (b, a); return (a, b); }");
        yield return Pure("list pattern on span", "int[]", "static xs => xs.AsSpan() is [var first, .., var last] ? [first, last] : xs");
        yield return Pure("is not and or patterns", "string", "static s => s is not (null or \"\") and { Length: > 3 } ? s[..3] : s");
        yield return Pure("Math with tuples", "(double, double)", "static t => (Math.Round(t.Item1, 2), Math.Floor(t.Item2))");
        yield return Pure("Index and Range from end on array", "int[]", "static xs => xs[^2..]");
        yield return Pure("string.Join with span", "string[]", "static xs => [string.Join(',', xs)]");
        yield return Pure("local record created", "int", "static x => new Pair(x, x).Sum", """
            sealed record Pair(int A, int B) { public int Sum => A + B; }
            """);
        yield return Pure("required init members", "R", "static r => new R { Name = r.Name, Tag = r.Tag + 1 }", """
            sealed class R { public required string Name { get; init; } public int Tag { get; init; } }
            """);
        yield return Pure("span Sort of stackalloc", "int", "static x => { Span<int> s = stackalloc int[] { x, 3, 1 }; s.Sort(); return s[0]; }");
        yield return Pure("utf8 literal", "int", "static x => x + \"abc\"u8.Length");
        yield return Pure("ReadOnlySpan of bytes literal indexing", "int", "static x => { ReadOnlySpan<byte> t = [1, 2, 3]; return t[x & 1]; }");
        yield return Pure("pattern on a type parameter number", "int", "static x => H.Sign(x)", """
            static class H { public static int Sign<T>(T v) where T : System.Numerics.INumber<T> => T.IsNegative(v) ? -1 : T.IsZero(v) ? 0 : 1; }
            """);
        yield return Pure("generic math operators on INumber", "decimal", "static x => H.Avg(x, 2m)", """
            static class H { public static T Avg<T>(T a, T b) where T : System.Numerics.INumber<T> => (a + b) / T.CreateChecked(2); }
            """);
        yield return Pure("switch statement with goto case", "int", "static x => { switch (x) { case 0: return 1; case 1: goto case 0; default: return x; } }");
        yield return Pure("Enumerable.Range with Select", "int", "static x => Enumerable.Range(0, 4).Select(i => i * x).Max()");
        yield return Pure("Dictionary created and TryAdd", "int", "static x => { var d = new Dictionary<int, int>(); d.TryAdd(x, 1); d[x]++; return d[x]; }");
        yield return Pure("ref struct local helper", "int", "static x => new Cursor(x).Next()", """
            ref struct Cursor { private int _v; public Cursor(int v) { _v = v; } public int Next() => ++_v; }
            """);
        yield return Pure("record equality with with", "R", "static r => (r with { X = 0 }) == r ? r : r with { X = 0 }", """
            sealed record R(int X, string Y);
            """);
        yield return Pure("Span of a new array passed to own helper", "int", "static x => { var a = new int[3]; H.Fill(a, x); return a[2]; }", """
            static class H { public static void Fill(Span<int> s, int v) { s.Fill(v); } }
            """);
        yield return Pure("stackalloc passed to own helper", "int", "static x => { Span<int> a = stackalloc int[3]; H.Fill(a, x); return a[2]; }", """
            static class H { public static void Fill(Span<int> s, int v) { for (var i = 0; i < s.Length; i++) s[i] = v; } }
            """);
        yield return Pure("ToString with format provider", "decimal", "static x => decimal.Parse(x.ToString(\"N2\", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture)");
        yield return Pure("static lambda inside", "int[]", "static xs => Array.ConvertAll(xs, static x => x * 2)");
        yield return Pure("Array.Empty and IsDefaultOrEmpty", "ImmutableArray<int>", "static xs => xs.IsDefaultOrEmpty ? ImmutableArray<int>.Empty : xs.RemoveAt(0)");
        // A primary constructor's parameter is state of the instance: its members read it like a field.
        yield return Pure("primary constructor parameter read by a member of a new object", "int", "static x => new Scaler(2).Apply(x)", """
            sealed class Scaler(int factor) { public int Apply(int v) => v * factor; }
            """);
        yield return Pure("primary constructor parameter read by a member of a shared object", "int", "static x => H.Double.Apply(x)", """
            sealed class Scaler(int factor) { public int Apply(int v) => v * factor; }
            static class H { public static readonly Scaler Double = new(2); }
            """);
        yield return Pure("primary constructor parameter written by a member of a new object", "int", "static x => new Counter(x).Next()", """
            sealed class Counter(int n) { public int Next() => ++n; }
            """);
        yield return Impure("primary constructor parameter written by a member of a shared object", "int", "static x => H.Shared.Next() + x", """
            sealed class Counter(int n) { public int Next() => /*!*/++n; }
            static class H { public static readonly Counter Shared = new(0); }
            """, "lambda \u2192 Next \u2192 writes primary constructor parameter 'n'");
        yield return Impure("lambda reading the enclosing type's primary constructor parameter", "int", "x => x * /*!*/factor", """
            sealed partial class Probe(int factor);
            """, "lambda \u2192 reads captured parameter 'factor'");
        yield return Pure("throw helpers", "string", "static s => { ArgumentNullException.ThrowIfNull(s); ArgumentException.ThrowIfNullOrEmpty(s); ArgumentOutOfRangeException.ThrowIfGreaterThan(s.Length, 100); return s; }");
        yield return Pure("numeric statics", "double", "static x => double.IsNaN(x) ? 0 : double.Clamp(x, 0, 1) + int.Clamp(3, 0, 2) + double.Max(x, 1)");
        yield return Pure("char ascii", "string", "static s => s.Length > 0 && char.IsAsciiDigit(s[0]) ? s : \"0\" + s");
        yield return Pure("TimeSpan statics", "TimeSpan", "static t => TimeSpan.FromMilliseconds(Math.Round(t.TotalMilliseconds)) + TimeSpan.FromSeconds(1)");
        yield return Pure("Enum.IsDefined generic", "DayOfWeek", "static d => Enum.IsDefined(d) ? d : DayOfWeek.Monday");
        yield return Pure("string.Join params span", "string", "static s => string.Join(\",\", s, s)");
        yield return Pure("Index from end and range on string", "string", "static s => s.Length > 2 ? s[^2..] + s[..1] : s");
        yield return Pure("Math.DivRem tuple", "int", "static x => { var (q, r) = Math.DivRem(x, 3); return q + r; }");
        yield return Pure("Array.IndexOf on parameter", "int[]", "static xs => Array.IndexOf(xs, 0) >= 0 ? xs[1..] : xs");
        yield return Pure("span SequenceEqual and StartsWith", "string", "static s => s.AsSpan().StartsWith(\"ab\") && s.AsSpan(2).SequenceEqual(\"cd\") ? \"\" : s");
        yield return Pure("MemoryExtensions Count and ContainsAny", "string", "static s => s.AsSpan().Count(',') > 2 || s.AsSpan().ContainsAny('x', 'y') ? s : s.Trim()");
        yield return Pure("switch expression with relational and property patterns on record", "R", "static r => r switch { { X: > 100 } => r with { X = 100 }, { X: < 0, Y: not null } => r with { X = 0 }, _ => r }", """
            sealed record R(int X, string? Y);
            """);
        yield return Pure("generic math with IBinaryInteger", "long", "static x => H.Log(x)", """
            static class H { public static T Log<T>(T v) where T : System.Numerics.IBinaryInteger<T> => T.Log2(v) + T.PopCount(v) + T.TrailingZeroCount(v); }
            """);
        yield return Pure("IComparable generic max", "string", "static s => H.Max(s, \"m\")", """
            static class H { public static T Max<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b) >= 0 ? a : b; }
            """);
        yield return Pure("EqualityComparer default", "string", "static s => EqualityComparer<string>.Default.Equals(s, \"\") ? \"-\" : s");
        yield return Pure("Comparer default on ints", "int[]", "static xs => xs.Order().ToArray()");
        yield return Pure("record struct ToString", "P", "static p => p.ToString().Length > 10 ? default : p", """
            readonly record struct P(int X, int Y);
            """);
    }
}
