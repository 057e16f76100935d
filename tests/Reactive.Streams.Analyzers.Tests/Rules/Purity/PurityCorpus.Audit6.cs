using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// The sixth audit (the prover's second pass): defensive copies of readonly structs, whose mutating methods work on
/// a copy the compiler makes.
/// </summary>
internal static partial class PurityCorpus
{
    private static IEnumerable<PurityCase> Audit6()
    {
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
    }
}
