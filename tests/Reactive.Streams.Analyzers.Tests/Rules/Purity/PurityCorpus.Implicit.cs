using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// Members of the compilation that the compiler calls without a call in the source: user-defined increment, unary,
/// checked and short-circuit operators, the Count and indexer behind <c>^1</c>, the Slice behind <c>1..</c>, the members
/// a list pattern reads, the Add of a params collection, a conversion in a foreach, and a conditional access on shared
/// state.
/// </summary>
internal static partial class PurityCorpus
{
    private const string Counter = "static class Counter { public static int N; }";

    private static IEnumerable<PurityCase> Implicit()
    {
        yield return Impure("user increment operator with an effect", "M", "static m => { var n = m; n++; return n; }", Counter + """

            struct M { public int V; public static M operator ++(M m) { /*!*/Counter.N++; return new M { V = m.V + 1 }; } }
            """, "lambda \u2192 op_Increment \u2192 writes static field 'Counter.N'");
        yield return Impure("user unary minus with an effect", "M", "static m => -m", Counter + """

            struct M { public int V; public static M operator -(M m) { /*!*/Counter.N++; return new M { V = -m.V }; } }
            """, "lambda \u2192 op_UnaryNegation \u2192 writes static field 'Counter.N'");
        yield return Impure("user checked operator with an effect", "M", "static m => checked(m + m)", Counter + """

            struct M
            {
                public int V;
                public static M operator +(M a, M b) => new M { V = a.V + b.V };
                public static M operator checked +(M a, M b) { /*!*/Counter.N++; return new M { V = checked(a.V + b.V) }; }
            }
            """, "lambda \u2192 op_CheckedAddition \u2192 writes static field 'Counter.N'");
        yield return Impure("user short-circuit and with an effect in operator false", "B", "static b => b && b", Counter + """

            readonly struct B
            {
                public static B operator &(B a, B b) => a;
                public static bool operator true(B b) => true;
                public static bool operator false(B b) { /*!*/Counter.N++; return false; }
            }
            """, "lambda \u2192 op_False \u2192 writes static field 'Counter.N'");
        yield return Impure("index from end on a user type with an impure Count", "C", "static c => c[^1] > 0 ? c : c", Counter + """

            sealed class C
            {
                public int Count { get { /*!*/Counter.N++; return 3; } }
                public int this[int i] => i;
            }
            """, "lambda \u2192 Count \u2192 writes static field 'Counter.N'");
        yield return Impure("range on a user type with an impure Slice", "C", "static c => c[1..]", Counter + """

            sealed class C
            {
                public int Length => 3;
                public C Slice(int start, int length) { /*!*/Counter.N++; return this; }
            }
            """, "lambda \u2192 Slice \u2192 writes static field 'Counter.N'");
        yield return Impure("list pattern on a user type with an impure indexer", "C", "static c => c is [var a, ..] && a > 0 ? c : c", Counter + """

            sealed class C
            {
                public int Length => 3;
                public int this[int i] { get { /*!*/Counter.N++; return i; } }
            }
            """, "lambda \u2192 this[] \u2192 writes static field 'Counter.N'");
        yield return Impure("params collection of a user type with an impure Add", "int", "static x => H.Sum(x, 1)", Counter + """

            sealed class Bag : System.Collections.Generic.IEnumerable<int>
            {
                private readonly List<int> _items = new();
                public void Add(int x) { /*!*/Counter.N++; _items.Add(x); }
                public System.Collections.Generic.IEnumerator<int> GetEnumerator() => _items.GetEnumerator();
                System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
            }
            static class H { public static int Sum(params Bag xs) => xs.Sum(); }
            """, "lambda \u2192 Add \u2192 writes static field 'Counter.N'");
        yield return Impure("conditional access adding to a shared list", "int", "static x => { /*!*/Shared.L?.Add(x); return x; }", """
            static class Shared { public static List<int>? L = new(); }
            """, "lambda \u2192 mutates 'Shared.L' ('List.Add'), which was not created inside the degrader");
        yield return Impure("explicit user conversion in a foreach", "int", "static x => { var s = 0; foreach (M m in new[] { 1.0, 2.0 }) s += m.V; return s + x; }", Counter + """

            struct M { public int V; public static explicit operator M(double d) { /*!*/Counter.N++; return new M { V = (int)d }; } }
            """, "lambda \u2192 op_Explicit \u2192 writes static field 'Counter.N'");
        yield return Impure("compound assignment to a property of a new object with an impure getter", "int", "static x => { var g = new Grid(); g.P += x; return x; }", """
            sealed class Grid { public static int N; public int P { get => /*!*/N++; set { } } }
            """, "lambda \u2192 P \u2192 writes static field 'Grid.N'");
        yield return Impure("increment of a property of a new object with an impure getter", "int", "static x => { var g = new Grid(); g.P++; return x; }", """
            sealed class Grid { public static int N; public int P { get => /*!*/N++; set { } } }
            """, "lambda \u2192 P \u2192 writes static field 'Grid.N'");
        yield return Impure("index from end written on a new user object with an impure setter", "int", "static x => { var d = new C(); d[^1] = x; return x; }", """
            sealed class C { public static int N; public int Count => 3; public int this[int i] { get => i; set => /*!*/N = value; } }
            """, "lambda \u2192 this[] \u2192 writes static field 'C.N'");
        yield return Pure("index from end written on a new user object with a pure setter", "int", "static x => { var d = new C(); d[^1] = x; d[^2] += x; return d[^1]; }", """
            sealed class C { private int _last; public int Count => 3; public int this[int i] { get => _last + i; set => _last = value; } }
            """);
        yield return Pure("pure user short-circuit operators", "B", "static b => b || b && b", """
            readonly struct B
            {
                public static B operator &(B a, B b) => a;
                public static B operator |(B a, B b) => b;
                public static bool operator true(B b) => true;
                public static bool operator false(B b) => false;
            }
            """);
        yield return Pure("pure user operators, index, range and list pattern", "C", "static c => c is [_, ..] ? c[1..] : c", """
            sealed class C
            {
                public int Length => 3;
                public int this[int i] => i;
                public C Slice(int start, int length) => this;
            }
            """);
        yield return Pure("extension method reached through using static", "int", "static x => Twice(x) + x.Half()", """
            using static Ext;
            static class Ext { public static int Twice(int x) => x * 2; public static int Half(this int x) => x / 2; }
            """);
    }
}
