using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// The sixth audit (the prover's second pass): defensive copies of readonly structs, whose mutating methods work on
/// a copy the compiler makes; framework code calling back into the compilation (comparers handed to it, the Equals,
/// GetHashCode and CompareTo of the elements it hashes or orders); the generated members of records (Deconstruct,
/// Equals over the fields' values); user conversions the compiler inserts, generic virtual dispatch and ref readonly
/// parameters.
/// </summary>
internal static partial class PurityCorpus
{
    private static IEnumerable<PurityCase> Audit6()
    {
        // Framework code handed a comparer of the compilation calls it.
        yield return Impure("OrderBy with a comparer of the compilation writing a static", "int[]", "static xs => xs.OrderBy(x => x, new Cmp()).ToArray()",
            "sealed class Cmp : IComparer<int> { public static int N; public int Compare(int a, int b) { /*!*/N++; return a - b; } }",
            "lambda \u2192 Cmp.Compare \u2192 writes static field 'Cmp.N'");
        yield return Impure("Distinct over keys with an impure GetHashCode", "Key[]", "static xs => xs.Distinct().ToArray()",
            "sealed class Key { public static int N; public override int GetHashCode() { /*!*/N++; return 1; } public override bool Equals(object? o) => o is Key; }",
            "lambda \u2192 Key.GetHashCode \u2192 writes static field 'Key.N'");
        yield return Impure("own List sorted over elements with an impure CompareTo", "Key[]", "static xs => { var l = new List<Key>(xs); l.Sort(); return l.ToArray(); }",
            "sealed class Key : IComparable<Key> { public static int N; public int CompareTo(Key? o) { /*!*/N++; return 0; } }",
            "lambda \u2192 Key.CompareTo \u2192 writes static field 'Key.N'");

        yield return Impure("own HashSet added to with keys of an impure GetHashCode", "Key", "static k => { var set = new HashSet<Key>(); set.Add(k); return k; }",
            "sealed class Key { public static int N; public override int GetHashCode() { /*!*/N++; return 1; } public override bool Equals(object? o) => o is Key; }",
            "lambda \u2192 Key.GetHashCode \u2192 writes static field 'Key.N'");
        yield return Impure("HashSet built from a sequence with a comparer of the compilation", "string[]", "static xs => new HashSet<string>(xs, new Ci()).ToArray()",
            "sealed class Ci : IEqualityComparer<string> { public static int N; public bool Equals(string? a, string? b) { /*!*/N++; return a == b; } public int GetHashCode(string s) => s.Length; }",
            "lambda \u2192 Ci.Equals \u2192 writes static field 'Ci.N'");
        yield return Pure("OrderBy with a pure comparer of the compilation and Distinct over a pure record", "R[]", "static xs => xs.Distinct().OrderBy(r => r.X, new Cmp()).ToArray()",
            "sealed class Cmp : IComparer<int> { public int Compare(int a, int b) => a.CompareTo(b); } sealed record R(int X);");
        yield return Pure("Select over keys with an impure GetHashCode does not hash them", "Key[]", "static xs => xs.Select(k => k).Where(k => k is not null).ToArray()",
            "sealed class Key { public static int N; public override int GetHashCode() { N++; return 1; } public override bool Equals(object? o) => o is Key; }");
        yield return Pure("Contains and SequenceEqual over keys whose only impure member is GetHashCode do not hash", "Key[]", "static xs => xs.Contains(xs[0]) && xs.SequenceEqual(xs) ? xs : xs",
            "sealed class Key { public static int N; public override int GetHashCode() { N++; return 1; } public override bool Equals(object? o) => o is Key; }");
        yield return Impure("Array.Sort of the degrader's copy over keys with an impure CompareTo", "Key[]", "static xs => { var c = (Key[])xs.Clone(); Array.Sort(c); return c; }",
            "sealed class Key : IComparable { public static int N; public int CompareTo(object? o) { /*!*/N++; return 0; } }",
            "lambda \u2192 Key.CompareTo \u2192 writes static field 'Key.N'");
        yield return Pure("dictionary values of a type with an impure Equals are not compared", "int", "static x => { var d = new Dictionary<int, Key>(); d[x] = new Key(); return d.Count; }",
            "sealed class Key { public static int N; public override bool Equals(object? o) { N++; return false; } public override int GetHashCode() => 1; }");
        yield return Pure("record holding itself compared with ==", "Node", "static n => n == new Node(1, null) ? n : n", "sealed record Node(int V, Node? Next);");

        const string ImpureKey = "sealed class Key { public static int N; public override int GetHashCode() { /*!*/N++; return 1; } public override bool Equals(object? o) => o is Key; }";
        yield return Impure("collection expression into a HashSet of keys with an impure GetHashCode", "Key", "static k => { HashSet<Key> set = [k]; return set.Count > 0 ? k : k; }",
            ImpureKey, "lambda \u2192 Key.GetHashCode \u2192 writes static field 'Key.N'");
        yield return Impure("own dictionary indexed by keys with an impure GetHashCode", "Key", "static k => { var d = new Dictionary<Key, int>(); d[k] = 1; return k; }",
            ImpureKey, "lambda \u2192 Key.GetHashCode \u2192 writes static field 'Key.N'");
        yield return Impure("dictionary initializer indexed by a key with an impure GetHashCode", "Key", "static k => new Dictionary<Key, int> { [k] = 1 }.Count > 0 ? k : k",
            ImpureKey, "lambda \u2192 Key.GetHashCode \u2192 writes static field 'Key.N'");
        yield return Pure("own dictionary and set of records and tuples", "R", "static r => { var d = new Dictionary<(R, int), int> { [(r, 1)] = 1 }; HashSet<R> s = [r]; return d.ContainsKey((r, 1)) && s.Contains(r) ? r : r; }",
            "sealed record R(int X);");
        yield return Impure("dictionary parameter read by a key with an impure GetHashCode", "Dictionary<Key, int>", "static d => d[new Key()] > 0 ? d : d",
            ImpureKey, "lambda \u2192 Key.GetHashCode \u2192 writes static field 'Key.N'");
        yield return Impure("tuple keys holding a key with an impure GetHashCode", "(Key, int)[]", "static xs => xs.Distinct().ToArray()",
            ImpureKey, "lambda \u2192 Key.GetHashCode \u2192 writes static field 'Key.N'");
        yield return Impure("non-record struct with through an impure init accessor", "P", "static p => p with { X = 1 }",
            "struct P { public static int N; private int _x; public int X { get => _x; init { /*!*/N++; _x = value; } } }",
            "lambda \u2192 X \u2192 writes static field 'P.N'");

        yield return Pure("records holding one another many times over compared and hashed", "A", "static a => a == new A(null, null, null, null, null) && a.GetHashCode() > 0 ? a : a",
            "sealed record A(A? A1, A? A2, B? B1, B? B2, B? B3); sealed record B(A? A1, A? A2, B? B1, B? B2, B? B3, (A?, B?) T);");
        yield return Impure("records holding one another over a key with an impure Equals", "A", "static a => a == new A(null, null) ? a : a",
            "sealed record A(A? Next, B? Other); sealed record B(A? Back, Key K);\nsealed class Key { public static int N; public override bool Equals(object? o) { /*!*/N++; return o is Key; } public override int GetHashCode() => 1; }",
            "lambda \u2192 A.Equals \u2192 B.Equals \u2192 Key.Equals \u2192 writes static field 'Key.N'");

        // Records: the generated Deconstruct reads the properties through their getters.
        yield return Impure("record deconstructed through a declared property with an impure getter", "R", "static r => { var (x, y) = r; return new R(y, x); }", """
            sealed record R(int X, int Y)
            {
                public static int N;
                private readonly int _x = X;
                public int X { get { /*!*/N++; return _x; } init => _x = value; }
            }
            """, "lambda \u2192 X \u2192 writes static field 'R.N'");
        yield return Impure("record matched by a positional pattern through a declared property with an impure getter", "R", "static r => r is (> 0, _) ? r : new R(0, 0)", """
            sealed record R(int X, int Y)
            {
                public static int N;
                private readonly int _y = Y;
                public int Y { get { /*!*/N++; return _y; } init => _y = value; }
            }
            """, "lambda \u2192 Y \u2192 writes static field 'R.N'");
        yield return Pure("record deconstructed through declared properties with pure getters", "R", "static r => { var (x, y) = r; return new R(y, x); }", """
            sealed record R(int X, int Y)
            {
                private readonly int _x = X;
                public int X { get => _x; init => _x = value; }
            }
            """);
        yield return Impure("record compared with == over a field whose type has an impure Equals", "R", "static r => r == new R(new Key()) ? r : r", """
            sealed class Key { public static int N; public override bool Equals(object? o) { /*!*/N++; return o is Key; } public override int GetHashCode() => 1; }
            sealed record R(Key K);
            """, "lambda \u2192 Key.Equals \u2192 writes static field 'Key.N'");

        // A readonly static struct: a mutating call works on a defensive copy.
        yield return Pure("mutating method on a static readonly struct runs on a copy", "int", "static x => { H.C.Inc(); return H.C.N + x; }",
            StructCounter + "\nstatic class H { public static readonly Counter C; }");
        yield return Pure("mutating method on a struct a static property returns runs on a copy", "int", "static x => { H.C.Inc(); return x; }",
            StructCounter + "\nstatic class H { public static Counter C { get; } }");
        yield return Pure("mutating method on an in parameter runs on a copy", "int", "static x => H.Peek(new Counter()) + x",
            StructCounter + "\nstatic class H { public static int Peek(in Counter c) { c.Inc(); return c.N; } }");
        yield return Impure("mutating method on a static readonly struct that also writes a static", "int", "static x => { H.C.Inc(); return x; }",
            StructCounter.Replace("public void Inc() => N++;", "public static int Calls; public void Inc() { N++; /*!*/Calls++; }", StringComparison.Ordinal) + "\nstatic class H { public static readonly Counter C; }",
            "lambda \u2192 Inc \u2192 writes static field 'Counter.Calls'");

        yield return Impure("mutating method on a static readonly struct adding to the list it shares", "int", "static x => { H.C.Add(x); return x; }", """
            struct Bag { public Bag() { } public readonly List<int> Items = new(); public void Add(int x) => /*!*/Items.Add(x); }
            static class H { public static readonly Bag C = new(); }
            """, "lambda \u2192 Add \u2192 mutates 'Items' ('List.Add'), which was not created inside the degrader");

        // Implicit user conversions the compiler inserts.
        yield return Impure("degrader's return converted through an impure implicit conversion", "Meters", "static m => m.Value / 2", """
            readonly struct Meters { public static int N; public Meters(double v) { Value = v; } public double Value { get; } public static implicit operator Meters(double v) { /*!*/N++; return new Meters(v); } }
            """, "lambda \u2192 op_Implicit \u2192 writes static field 'Meters.N'");
        yield return Impure("implicit conversion to string inside an interpolation hole", "int", "static x => $\"{(x > 0 ? new Tag() : \"none\")}\".Length", """
            sealed class Tag { public static int N; public static implicit operator string(Tag t) { /*!*/N++; return "t"; } }
            """, "lambda \u2192 op_Implicit \u2192 writes static field 'Tag.N'");
        yield return Impure("implicit conversion to bool in an if", "int", "static x => { if (new Flag()) return x; return 0; }", """
            sealed class Flag { public static int N; public static implicit operator bool(Flag f) { /*!*/N++; return true; } }
            """, "lambda \u2192 op_Implicit \u2192 writes static field 'Flag.N'");

        // Generic virtual dispatch.
        yield return Impure("abstract method of a generic base reached through a generic helper", "int", "static x => H.Run(new Box<int>[0], x)", """
            abstract class Base<T> { internal Base() { } public abstract T M(T x); }
            sealed class Loud : Base<int> { public static int N; public override int M(int x) { /*!*/N++; return x; } }
            sealed class Box<T> { public Base<T>? B; }
            static class H { public static T Run<T>(Box<T>[] bs, T x) => bs.Length > 0 && bs[0].B is { } b ? b.M(x) : x; }
            """, "lambda \u2192 Run \u2192 Loud.M \u2192 writes static field 'Loud.N'");

        // ref readonly parameters are read, not written.
        yield return Pure("ref readonly parameter handed a static", "int", "static x => H.Read(in H.S) + x",
            "static class H { public static int S; public static int Read(ref readonly int v) => v + 1; }");
        yield return Pure("generic math Add through INumber on a double", "double", "static x => H.Add(x, 1.0)",
            "static class H { public static T Add<T>(T a, T b) where T : System.Numerics.INumber<T> => T.CreateChecked(a + b); }");
        yield return Impure("local function in a helper on the path", "int", "static x => H.F(x)",
            "static class H { public static int N; public static int F(int x) { return G(x); int G(int y) { /*!*/N++; return y; } } }",
            "lambda \u2192 F \u2192 G \u2192 writes static field 'H.N'");
        yield return Impure("string.Create state lambda reading a static into a shared list", "int", "static x => string.Create(2, x, static (span, n) => { span.Fill('a'); /*!*/H.L.Add(n); }).Length",
            "static class H { public static readonly List<int> L = new(); }",
            "lambda \u2192 mutates 'H.L' ('List.Add'), which was not created inside the degrader");
    }
}
