using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// Degrader shapes found in an audit of the prover against the rule page: method groups handed to LINQ, framework
/// virtual members that dispatch to the compilation's overrides, nameof, positional patterns, compound assignment through
/// user conversions, local functions filling the degrader's own containers, and pins of behaviour the page states.
/// </summary>
internal static partial class PurityCorpus
{
    private static IEnumerable<PurityCase> Audit()
    {
        // Method groups converted to delegates inside the degrader run like the lambdas they stand for.
        yield return Impure("method group of the compilation handed to LINQ", "int[]", "static xs => xs.Select(H.Bump).ToArray()", """
            static class H { public static int N; public static int Bump(int x) { /*!*/N++; return x; } }
            """, "lambda \u2192 Bump \u2192 writes static field 'H.N'");
        yield return Impure("compiled method group handed to LINQ", "string[]", "static xs => xs.Select(/*!*/System.IO.File.ReadAllText).ToArray()", "",
            "lambda \u2192 performs file I/O ('File.ReadAllText')");
        yield return Impure("compiled method group not known pure handed to LINQ", "string[]", "static xs => xs.Select(/*!*/System.IO.Path.GetFullPath).ToArray()", "",
            "lambda \u2192 calls 'Path.GetFullPath', which is not known to be pure");
        yield return Impure("local function method group handed to LINQ", "int[]", "static xs => { return xs.Select(F).ToArray(); static int F(int x) => /*!*/H.N++; }", """
            static class H { public static int N; }
            """, "lambda \u2192 F \u2192 writes static field 'H.N'");
        yield return Impure("instance method group of the enclosing type handed to LINQ", "int[]", "xs => xs.Select(/*!*/Twice).ToArray()", """
            sealed partial class Probe { int Twice(int x) => x * 2; }
            """, "lambda \u2192 calls captured instance method 'Probe.Twice'");
        yield return Pure("pure method groups handed to LINQ", "int[]", "static xs => xs.Select(H.Half).Where(H.IsEven).Select(Math.Abs).OrderBy(H.Key).ToArray()", """
            static class H { public static int Half(int x) => x / 2; public static bool IsEven(int x) => x % 2 == 0; public static int Key(int x) => -x; }
            """);
        yield return Pure("method group stored in a local and not invoked", "int", "static x => { Func<int, int> f = H.Half; return f.Method.Name.Length + x; }", """
            static class H { public static int Half(int x) => x / 2; }
            """);

        // nameof does not evaluate its argument.
        yield return Pure("nameof an impure member", "int", "static x => x > 0 ? x : throw new ArgumentOutOfRangeException(nameof(DateTime.Now))");
        yield return Pure("nameof a field of the enclosing instance", "int", "x => x > 0 ? x : throw new ArgumentOutOfRangeException(nameof(_limit))", """
            sealed partial class Probe { int _limit = 1; }
            """);
        yield return Pure("nameof a property with an impure getter", "R", "static r => r.X >= 0 ? r : throw new ArgumentException(\"negative\", nameof(R.Y))", """
            sealed record R(int X) { public static int N; public int Y { get { N++; return X; } } }
            """);

        // Framework virtual members (ToString, Equals, GetHashCode) dispatch to the overrides the compilation declares.
        const string Shapes = """
            abstract class Shape { }
            sealed class Square : Shape { public override string ToString() => "square"; }
            sealed class Loud : Shape
            {
                public static int N;
                public override string ToString() { /*!*/N++; return "loud"; }
                public override bool Equals(object? o) { N++; return false; }
                public override int GetHashCode() { N++; return 0; }
            }
            """;
        yield return Impure("ToString on a base type dispatching to an impure override", "Shape", "static s => s.ToString().Length > 0 ? s : s", Shapes,
            "lambda \u2192 Loud.ToString \u2192 writes static field 'Loud.N'");
        yield return Impure("interpolated base type dispatching to an impure override", "Shape", "static s => $\"{s}\".Length > 0 ? s : s", Shapes,
            "lambda \u2192 Loud.ToString \u2192 writes static field 'Loud.N'");
        yield return Impure("Equals on a base type dispatching to an impure override", "Shape", "static s => s.Equals(null) ? s : s",
            Shapes.Replace("/*!*/", "").Replace("{ N++; return false; }", "{ /*!*/N++; return false; }"),
            "lambda \u2192 Loud.Equals \u2192 writes static field 'Loud.N'");
        yield return Impure("GetHashCode on a base type dispatching to an impure override", "Shape", "static s => s.GetHashCode() > 0 ? s : s",
            Shapes.Replace("/*!*/", "").Replace("{ N++; return 0; }", "{ /*!*/N++; return 0; }"),
            "lambda \u2192 Loud.GetHashCode \u2192 writes static field 'Loud.N'");
        yield return Pure("ToString on a base type whose overrides are all pure", "Shape", "static s => $\"{s}{s.ToString()}\".Length > 0 && s.Equals(s) ? s : s", """
            abstract class Shape { }
            sealed class Square : Shape { public override string ToString() => "square"; public override bool Equals(object? o) => ReferenceEquals(this, o); public override int GetHashCode() => 1; }
            """);
        yield return Pure("ToString on a public type without overrides is the framework's", "Open", "static o => o.ToString().Length > 0 && o.Equals(o) ? o : o", """
            public class Open { }
            """);
        yield return Impure("interpolated base record dispatching to a derived PrintMembers", "Event", "static e => $\"{e}\".Length > 0 ? e : e", """
            abstract record Event;
            sealed record Tick(int N) : Event;
            sealed record Click(int X) : Event
            {
                public static int Printed;
                protected override bool PrintMembers(StringBuilder b) { /*!*/Printed++; return false; }
            }
            """, "lambda \u2192 Click.ToString \u2192 PrintMembers \u2192 writes static field 'Click.Printed'");

        // Positional patterns call Deconstruct; property patterns call getters.
        yield return Impure("positional pattern with an impure Deconstruct", "Pair", "static p => p is (0, _) ? p : p", """
            sealed class Pair
            {
                public static int N;
                public int A, B;
                public void Deconstruct(out int a, out int b) { /*!*/N++; a = A; b = B; }
            }
            """, "lambda \u2192 Deconstruct \u2192 writes static field 'Pair.N'");
        yield return Impure("switch arm with a positional pattern and an impure Deconstruct", "Pair", "static p => p switch { (0, var b) => new Pair { B = b }, _ => p }", """
            sealed class Pair
            {
                public static int N;
                public int A, B;
                public void Deconstruct(out int a, out int b) { /*!*/N++; a = A; b = B; }
            }
            """, "lambda \u2192 Deconstruct \u2192 writes static field 'Pair.N'");
        yield return Impure("property pattern with an impure getter", "R", "static r => r is { Y: > 0 } ? r : r", """
            sealed record R(int X) { public static int N; public int Y { get { /*!*/N++; return X; } } }
            """, "lambda \u2192 Y \u2192 writes static field 'R.N'");
        yield return Pure("positional pattern on a record", "R", "static r => r is (> 0, _) ? r : r with { X = 0 }", "sealed record R(int X, int Y);");
        yield return Impure("switch when clause calling an impure helper", "int", "static x => x switch { > 0 when H.Seen(x) => x, _ => 0 }", """
            static class H { public static int N; public static bool Seen(int x) { /*!*/N++; return true; } }
            """, "lambda \u2192 Seen \u2192 writes static field 'H.N'");

        // Compound assignment through user-defined conversions runs them.
        yield return Impure("compound assignment converting through an impure implicit conversion", "Meters", "static m => { m += 0.5; return m; }", """
            readonly struct Meters
            {
                public static int N;
                public readonly double V;
                public Meters(double v) => V = v;
                public static implicit operator double(Meters m) { /*!*/N++; return m.V; }
                public static implicit operator Meters(double d) => new(d);
            }
            """, "lambda \u2192 op_Implicit \u2192 writes static field 'Meters.N'");
        yield return Pure("compound assignment converting through pure implicit conversions", "Meters", "static m => { m += 0.5; m *= 2; return m; }", """
            readonly struct Meters
            {
                public readonly double V;
                public Meters(double v) => V = v;
                public static implicit operator double(Meters m) => m.V;
                public static implicit operator Meters(double d) => new(d);
            }
            """);

        // The degrader's own containers filled by its local functions.
        yield return Pure("local function appending to the degrader's StringBuilder", "int[]", "static xs => { var sb = new StringBuilder(); foreach (var x in xs) { Add(x); } return sb.ToString().Select(c => (int)c).ToArray(); void Add(int v) => sb.Append(v).Append(','); }");
        yield return Pure("local function adding to the degrader's list", "int[]", "static xs => { var kept = new List<int>(); foreach (var x in xs) { Keep(x); } return kept.ToArray(); void Keep(int v) { if (v > 0) { kept.Add(v); } } }");
        yield return Impure("local function adding to a parameter list", "List<int>", "static xs => { Keep(1); return xs; void Keep(int v) => /*!*/xs.Add(v); }", "",
            "lambda \u2192 Keep \u2192 mutates 'xs' ('List.Add'), which was not created inside the degrader");

        // BCL shapes the page's "Math" and "arithmetic" cover.
        yield return Pure("HashCode.Combine", "R", "static r => HashCode.Combine(r.A, r.B) % 2 == 0 ? r : r with { B = 0 }", "sealed record R(int A, int B);");
        yield return Pure("HashCode built locally", "int", "static x => { var h = new HashCode(); h.Add(x); h.Add(1); return h.ToHashCode(); }");
        yield return Pure("BitOperations", "uint", "static x => System.Numerics.BitOperations.RoundUpToPowerOf2(x) >> System.Numerics.BitOperations.Log2(x) + System.Numerics.BitOperations.PopCount(x)");
        yield return Pure("Vector3 methods", "System.Numerics.Vector3", "static v => System.Numerics.Vector3.Lerp(v, System.Numerics.Vector3.Zero, 0.5f) * System.Numerics.Vector3.Normalize(v).Length()");

        // Pins of what the page states.
        yield return Impure("lazily cached static behind a getter", "int", "static x => Lookup.Table[x % 4]", """
            static class Lookup
            {
                static int[]? s_table;
                public static int[] Table => /*!*/s_table ??= new[] { 1, 2, 3, 4 };
            }
            """, "lambda \u2192 Table \u2192 writes static field 'Lookup.s_table'");
        yield return Impure("static lambda in a local invoked", "int", "static x => { Func<int, int> f = static y => y * 2; return /*!*/f(x); }", "",
            "lambda \u2192 invokes delegate 'f', which cannot be proved pure");
        yield return Pure("culture-dependent formatting of framework types", "string", "static s => s + 1.5.ToString() + DateTime.MinValue.ToString() + 2.5m.ToString(\"C\") + $\"{3.5}\"");
        yield return Pure("sizeof, typeof, default and const", "int", "static x => { const int K = sizeof(long); return x * K + (typeof(int) == typeof(long) ? 1 : default(int)); }");
        yield return Impure("Console.WriteLine", "int", "static x => { /*!*/Console.WriteLine(x); return x; }", "", "lambda \u2192 performs console I/O ('Console.WriteLine')");
        yield return Impure("Environment.TickCount", "int", "/*!*/static x => x + Environment.TickCount", "", "lambda \u2192 reads the environment ('Environment.TickCount')");
        yield return Impure("Volatile.Write to a static", "int", "static x => { /*!*/System.Threading.Volatile.Write(ref Holder.Count, x); return x; }", "static class Holder { public static int Count; }",
            "lambda \u2192 performs a volatile access ('Volatile.Write')");
        yield return Impure("default interface method called through the interface", "int", "/*!*/static x => H.Pick().Twice(x)", """
            interface ITwice { int Twice(int x) => x * 2; }
            sealed class T2 : ITwice { }
            static class H { public static ITwice Pick() => new T2(); }
            """, "lambda \u2192 calls 'ITwice.Twice', which has no body to prove");
        yield return Pure("extension method on an interface not calling it", "int", "static x => H.Pick().Describe(x)", """
            interface IShape { }
            sealed class Sq : IShape { }
            static class H { public static IShape Pick() => new Sq(); public static int Describe(this IShape s, int x) => s is Sq ? x : -x; }
            """);
        yield return Impure("extension method on an interface calling it", "int", "static x => H.Pick().Twice(x)", """
            interface IScaler { int Scale(int x); }
            sealed class Half : IScaler { public int Scale(int x) => x / 2; }
            static class H { public static IScaler Pick() => new Half(); public static int Twice(this IScaler s, int x) => /*!*/s.Scale(x) * 2; }
            """, "lambda \u2192 Twice \u2192 calls 'IScaler.Scale', which has no body to prove");
        yield return Pure("virtual call on a private nested type of a public class", "int", "static x => Outer.Make().Describe(x)", """
            public sealed class Outer
            {
                internal static Base Make() => new Impl();
                internal abstract class Base { public abstract int Describe(int x); }
                private sealed class Impl : Base { public override int Describe(int x) => x + 1; }
            }
            """);
        yield return Impure("static virtual interface member with a default body through a type parameter", "int", "static x => H.Apply<Big>(x)", """
            interface IScale<TSelf> where TSelf : IScale<TSelf> { static virtual int Factor => 1; }
            sealed class Big : IScale<Big> { public static int N; public static int Factor { get { N++; return 10; } } }
            static class H { public static int Apply<T>(int x) where T : IScale<T> => /*!*/x * T.Factor; }
            """, "lambda \u2192 Apply \u2192 calls static virtual 'IScale.Factor', which the type argument can implement");
        yield return Pure("static virtual interface member called on the concrete type", "int", "static x => x * Big.Factor", """
            interface IScale<TSelf> where TSelf : IScale<TSelf> { static virtual int Factor => 1; }
            sealed class Big : IScale<Big> { public static int Factor => 10; }
            """);
        yield return Impure("throwing an exception whose constructor writes a static", "int", "static x => x >= 0 ? x : throw new Bad()", """
            sealed class Bad : Exception { public static int Made; public Bad() { /*!*/Made++; } }
            """, "lambda \u2192 new Bad \u2192 writes static field 'Bad.Made'");

        // Storage the degrader creates, however it is spelled.
        yield return Pure("stackalloc or a new array chosen by a condition", "int", "static x => { Span<int> buf = x <= 16 ? stackalloc int[16] : new int[x]; buf[0] = x; buf.Reverse(); return buf[^1]; }");
        yield return Impure("span chosen by a condition over a parameter array", "int[]", "static xs => { Span<int> buf = xs.Length <= 16 ? stackalloc int[16] : xs; /*!*/buf[0] = 1; return xs; }", "",
            "lambda \u2192 writes an element of 'buf', which was not created inside the degrader");
        yield return Pure("List.ToArray result written", "List<int>", "static xs => { var copy = xs.ToArray(); copy[0] = 0; return new List<int>(copy); }");
        yield return Pure("List.GetRange result mutated", "List<int>", "static xs => { var part = xs.GetRange(0, 1); part.Add(0); return part; }");
        yield return Pure("helper filling a StringBuilder it created", "R", "static r => r with { S = H.Render(r) }", """
            sealed record R(string S, int N);
            static class H
            {
                public static string Render(R r) { var sb = new StringBuilder(); AppendFields(sb, r); return sb.ToString(); }
                static void AppendFields(StringBuilder sb, R r) => sb.Append(r.S).Append('=').Append(r.N);
            }
            """);
        yield return Impure("helper filling a StringBuilder it was handed by a caller outside", "R", "static r => r with { S = H.Shared(r) }", """
            sealed record R(string S, int N);
            static class H
            {
                static readonly StringBuilder s_sb = new();
                public static string Shared(R r) { AppendFields(s_sb, r); return s_sb.ToString(); }
                static void AppendFields(StringBuilder sb, R r) => /*!*/sb.Append(r.S);
            }
            """, "lambda \u2192 Shared \u2192 AppendFields \u2192 mutates 'sb' ('StringBuilder.Append'), which was not created inside the degrader");

        // Collection expressions of the compilation's collection types run their constructor, Add or builder method.
        yield return Impure("collection expression of a user collection with an impure Add", "int", "static x => { Bag b = [x, 1]; return b.Count; }", """
            sealed class Bag : System.Collections.IEnumerable
            {
                public static int N;
                readonly List<int> _items = new();
                public int Count => _items.Count;
                public void Add(int x) { /*!*/N++; _items.Add(x); }
                public System.Collections.IEnumerator GetEnumerator() => _items.GetEnumerator();
            }
            """, "lambda \u2192 Add \u2192 writes static field 'Bag.N'");
        yield return Impure("collection expression of a user collection builder with an effect", "int", "static x => { Bag b = [x, 1]; return b.Count; }", """
            [System.Runtime.CompilerServices.CollectionBuilder(typeof(BagBuilder), nameof(BagBuilder.Create))]
            sealed class Bag
            {
                public int Count;
                public IEnumerator<int> GetEnumerator() { yield break; }
            }
            static class BagBuilder { public static int N; public static Bag Create(ReadOnlySpan<int> xs) { /*!*/N++; return new Bag { Count = xs.Length }; } }
            """, "lambda \u2192 Create \u2192 writes static field 'BagBuilder.N'");
        yield return Pure("collection expression of a pure user collection", "int", "static x => { Bag b = [x, 1]; return b.Count + b.Sum; }", """
            sealed class Bag : System.Collections.IEnumerable
            {
                public int Count, Sum;
                public void Add(int x) { Count++; Sum += x; }
                public System.Collections.IEnumerator GetEnumerator() => Array.Empty<int>().GetEnumerator();
            }
            """);
        yield return Impure("spread of a user enumerable with an impure GetEnumerator", "int", "static x => { int[] a = [.. new Bag(), x]; return a.Length; }", """
            sealed class Bag
            {
                public static int N;
                public Enumerator GetEnumerator() { /*!*/N++; return new Enumerator(); }
                public struct Enumerator { int _i; public int Current => _i; public bool MoveNext() => ++_i < 3; }
            }
            """, "lambda \u2192 GetEnumerator \u2192 writes static field 'Bag.N'");

        // Framework formatting of a value of the compilation calls its ToString.
        yield return Impure("string.Join over values with an impure ToString", "List<W>", "static ws => string.Join(\",\", ws).Length > 0 ? ws : ws", """
            sealed class W { public static int N; public override string ToString() { /*!*/N++; return "w"; } }
            """, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Impure("StringBuilder.Append of a value with an impure ToString", "W", "static w => new StringBuilder().Append(w).Length > 0 ? w : w", """
            sealed class W { public static int N; public override string ToString() { /*!*/N++; return "w"; } }
            """, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Impure("string.Format of a value with an impure ToString", "W", "static w => string.Format(\"{0}\", w).Length > 0 ? w : w", """
            sealed class W { public static int N; public override string ToString() { /*!*/N++; return "w"; } }
            """, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Pure("string.Join over records and framework values", "R[]", "static rs => string.Join(\",\", rs.AsEnumerable()) + string.Join(\";\", rs.Select(r => r.N)) + string.Concat(rs[0], 1) == \"\" ? rs : rs", "sealed record R(int N);");

        // Pins.
        yield return Pure("LINQ lambda capturing a local of the degrader", "int[]", "static xs => { var k = xs.Length; return xs.Select(x => x * k).Where(x => x > k).ToArray(); }");
        yield return Pure("union-style switch over derived records", "Event", "static e => e switch { Click c => c with { X = c.X / 2 }, Tick t when t.N > 1 => t with { N = 1 }, _ => e }", """
            abstract record Event;
            sealed record Tick(int N) : Event;
            sealed record Click(int X) : Event;
            """);
    }
}
