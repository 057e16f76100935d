using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// The fourth audit: value-type copies (a struct parameter, a copy of a static, a <c>this ref</c> extension),
/// <c>out</c> and <c>ref</c> arguments of the compilation's methods, custom interpolated string handlers, side-effecting
/// getters reached by patterns, pointers and <c>fixed</c>, and <c>throw</c>.
/// </summary>
internal static partial class PurityCorpus
{
    private const string StructCounter = """
        struct Counter
        {
            public int N;
            public void Inc() => N++;
        }
        static class CounterExtensions
        {
            public static void Bump(this ref Counter c) => c.N++;
        }
        """;

    private static IEnumerable<PurityCase> Audit4()
    {
        // A struct is copied when passed by value or read into a local: mutating the copy changes nothing outside.
        yield return Pure("mutating method on a struct parameter passed by value", "Counter", "static c => { c.Inc(); return c; }", StructCounter);
        yield return Pure("mutating method on a local copy of a static struct", "int", "static x => { var c = H.C; c.Inc(); return c.N + x; }", StructCounter + "\nstatic class H { public static Counter C; }");
        yield return Pure("ref extension on a local struct", "int", "static x => { var c = new Counter(); c.Bump(); return c.N + x; }", StructCounter);
        yield return Impure("mutating method on a static struct field", "int", "static x => { H.C.Inc(); return x; }",
            StructCounter.Replace("public void Inc() => N++;", "public void Inc() => /*!*/N++;", StringComparison.Ordinal) + "\nstatic class H { public static Counter C; }",
            "lambda \u2192 Inc \u2192 writes field 'Counter.N'");
        yield return Impure("ref extension on a static struct field", "int", "static x => { H.C.Bump(); return x; }",
            StructCounter.Replace("c.N++;", "/*!*/c.N++;", StringComparison.Ordinal) + "\nstatic class H { public static Counter C; }",
            "lambda \u2192 Bump \u2192 writes field 'Counter.N'");


        // out and ref arguments of the compilation's methods write what the caller hands them.
        yield return Pure("out argument into the degrader's own local", "int", "static x => H.TryHalf(x, out var y) ? y : x",
            "static class H { public static bool TryHalf(int x, out int y) { y = x / 2; return x > 0; } }");
        yield return Pure("ref argument of the degrader's own local", "int", "static x => { var n = x; H.Inc(ref n); return n; }",
            "static class H { public static void Inc(ref int n) => n++; }");
        yield return Pure("ref argument handed on to another method", "int", "static x => { var n = x; H.Outer(ref n); return n; }",
            "static class H { public static void Outer(ref int n) { n *= 2; Inner(ref n); } static void Inner(ref int n) => n++; }");
        yield return Pure("out argument of a record built by the callee", "string", "static s => H.TryRead(s, out var r) ? r.Name : s",
            "sealed record Reading(string Name); static class H { public static bool TryRead(string s, out Reading r) { r = new Reading(s.Trim()); return s.Length > 0; } }");
        yield return Impure("out argument of a list the callee fills from shared state", "int", "static x => H.TryGet(out var l) ? l.Count + x : x",
            "static class H { static readonly List<int> Shared = new(); public static bool TryGet(out List<int> l) { l = Shared; /*!*/l.Add(1); return true; } }",
            "lambda \u2192 TryGet \u2192 mutates 'l' ('List.Add'), which was not created inside the degrader");
        yield return Impure("ref argument of an own local to a method that also writes a static", "int", "static x => { var n = x; H.Inc(ref n); return n; }",
            "static class H { public static int Calls; public static void Inc(ref int n) { n++; /*!*/Calls++; } }",
            "lambda \u2192 Inc \u2192 writes static field 'H.Calls'");
        yield return Pure("ref extension on a struct parameter passed by value", "Counter", "static c => { c.Bump(); return c; }", StructCounter);
        yield return Pure("ref argument of a field of the degrader's own struct", "int", "static x => { var c = new Counter(); H.Inc(ref c.N); return c.N + x; }",
            StructCounter + "\nstatic class H { public static void Inc(ref int n) => n++; }");
        yield return Pure("ref argument of an element of the degrader's own array", "int", "static x => { var a = new int[2]; H.Inc(ref a[0]); return a[0] + x; }",
            "static class H { public static void Inc(ref int n) => n++; }");
        yield return Impure("ref argument of an element of a parameter array", "int[]", "static a => { H.Inc(ref a[0]); return a; }",
            "static class H { public static void Inc(ref int n) => /*!*/n++; }",
            "lambda \u2192 Inc \u2192 writes ref parameter 'n'");
        yield return Impure("ref argument of a field of a static struct", "int", "static x => { H.Inc(ref H.C.N); return x; }",
            StructCounter + "\nstatic class H { public static Counter C; public static void Inc(ref int n) => /*!*/n++; }",
            "lambda \u2192 Inc \u2192 writes ref parameter 'n'");
        yield return Pure("recursive helper handing its ref parameter on", "int", "static x => { var n = x; H.Down(ref n); return n; }",
            "static class H { public static void Down(ref int n) { if (n > 0) { n--; Down(ref n); } } }");
        yield return Pure("recursive helper handing the degrader's own builder on", "int", "static x => { var sb = new StringBuilder(); H.Fill(sb, x); return sb.Length; }",
            "static class H { public static void Fill(StringBuilder sb, int n) { if (n > 0) { sb.Append('.'); Fill(sb, n - 1); } } }");
        yield return Impure("recursive helper handing a shared builder on in place of the degrader's own", "int", "static x => { var sb = new StringBuilder(); H.Fill(sb, x); return sb.Length; }",
            "static class H { public static readonly StringBuilder Shared = new(); public static void Fill(StringBuilder sb, int n) { if (n > 0) { /*!*/sb.Append('.'); Fill(Shared, n - 1); } } }",
            "lambda \u2192 Fill \u2192 Fill \u2192 mutates 'sb' ('StringBuilder.Append'), which was not created inside the degrader");
        yield return Impure("ref argument of a static field", "int", "static x => { H.Inc(ref H.N); return x; }",
            "static class H { public static int N; public static void Inc(ref int n) => /*!*/n++; }",
            "lambda \u2192 Inc \u2192 writes ref parameter 'n'");

        // A custom interpolated string handler runs its constructor and Append methods at the degrader's site.
        yield return Impure("custom interpolated string handler writing a static", "int", "static x => H.Render($\"n={x}\")", """
            [System.Runtime.CompilerServices.InterpolatedStringHandler]
            ref struct Tally
            {
                public static int Holes;
                private int _n;
                public Tally(int literalLength, int formattedCount) { _n = literalLength; }
                public void AppendLiteral(string s) => _n += s.Length;
                public void AppendFormatted<T>(T value) { /*!*/Holes++; }
                public readonly int Length => _n;
            }
            static class H { public static int Render(ref Tally t) => t.Length; }
            """, "lambda \u2192 AppendFormatted \u2192 writes static field 'Tally.Holes'");
        yield return Pure("custom interpolated string handler writing only itself", "int", "static x => H.Render($\"n={x}\")", """
            [System.Runtime.CompilerServices.InterpolatedStringHandler]
            ref struct Tally
            {
                private int _n;
                public Tally(int literalLength, int formattedCount) { _n = literalLength; }
                public void AppendLiteral(string s) => _n += s.Length;
                public void AppendFormatted<T>(T value) => _n++;
                public readonly int Length => _n;
            }
            static class H { public static int Render(ref Tally t) => t.Length; }
            """);

        // Getters run by patterns.
        yield return Impure("property pattern running a getter that writes a static", "Shape", "static s => s switch { { Area: > 1 } => s, _ => s }", """
            sealed class Shape
            {
                public static int Reads;
                public int Area { get { /*!*/Reads++; return 2; } }
            }
            """, "lambda \u2192 Area \u2192 writes static field 'Shape.Reads'");

        // Pointers.
        yield return Impure("fixed over a static array written through the pointer", "int", "static x => { unsafe { fixed (int* p = H.A) { /*!*/*p = x; } } return x; }",
            "static class H { public static readonly int[] A = new int[2]; }", "lambda \u2192 writes '*p'");

        // Throwing is control flow, not an effect: a user exception's construction is proved like any.
        yield return Pure("throw statement of a user exception", "int", "static x => { if (x < 0) { throw new BadValue(x); } return x; }",
            "sealed class BadValue(int value) : Exception(\"bad \" + value);");

        // Recursion and LINQ over an ImmutableArray.
        yield return Pure("recursive method", "int", "static x => H.Fib(x)", "static class H { public static int Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2); }");
        yield return Pure("LINQ over an ImmutableArray parameter", "ImmutableArray<int>", "static a => a.Where(v => v > 0).Select(v => v * 2).ToImmutableArray()");
        yield return Pure("Array.Resize of the degrader's own array", "int", "static x => { var a = new int[1]; Array.Resize(ref a, 4); return a.Length + x; }");
        yield return Impure("Array.Fill on a parameter", "int[]", "static a => { /*!*/Array.Fill(a, 0); return a; }", "",
            "lambda \u2192 mutates 'a' ('Array.Fill'), which was not created inside the degrader");
        yield return Pure("Span over stackalloc filled and reversed", "int", "static x => { Span<int> s = stackalloc int[4]; s.Fill(x); s.Reverse(); return s[0]; }");
        yield return Impure("event raised through a helper", "int", "static x => { H.Raise(x); return x; }",
            "static class H { public static event Action<int>? Changed; public static void Raise(int x) => /*!*/Changed?.Invoke(x); }",
            "lambda \u2192 Raise \u2192 invokes delegate 'Changed', which cannot be proved pure");
    }
}
