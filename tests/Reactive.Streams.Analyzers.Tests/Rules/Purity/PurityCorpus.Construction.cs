using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// What <c>new T(...)</c> runs besides the constructor's body: field and property initializers (of a primary
/// constructor, a positional record, an explicit or an implicit constructor) and the base type's constructor; and the
/// named APIs reached through <c>using static</c>, a helper or a shared object.
/// </summary>
internal static partial class PurityCorpus
{
    private static IEnumerable<PurityCase> Construction()
    {
        yield return Impure("property initializer of a primary-constructor class", "int", "static x => new Tagged(x).X",
            "/*!*/sealed class Tagged(int x) { public Guid Id { get; } = Guid.NewGuid(); public int X => x; }",
            "lambda \u2192 new Tagged \u2192 creates a random GUID ('Guid.NewGuid')");
        yield return Impure("property initializer of a positional record", "int", "static x => new Stamped(x).X",
            "/*!*/sealed record Stamped(int X) { public long At { get; } = DateTime.UtcNow.Ticks; }",
            "lambda \u2192 new Stamped \u2192 reads the clock ('DateTime.UtcNow')");
        yield return Impure("field initializer of a class with an explicit constructor", "int", "static x => new Counted(x).X",
            "/*!*/sealed class Counted { public static int N; private readonly int _n = N++; public Counted(int x) { X = x + _n; } public int X { get; } }",
            "lambda \u2192 new Counted \u2192 writes static field 'Counted.N'");
        yield return Impure("implicit base constructor writing a static", "int", "static x => new Derived(x).X",
            "/*!*/class Base { public static int N; public Base() { N++; } } sealed class Derived(int x) : Base { public int X => x; }",
            "lambda \u2192 new Derived \u2192 new Base \u2192 writes static field 'Base.N'");
        yield return Impure("implicit constructors running a base field initializer", "int", "static x => new Leaf().Y + x",
            "/*!*/class Root { public static int N; protected int Z = N++; } sealed class Leaf : Root { public int Y => Z; }",
            "lambda \u2192 new Leaf \u2192 new Root \u2192 writes static field 'Root.N'");
        yield return Pure("pure initializers, base constructors and a constructor chained with this", "int", "static x => new Child(x).Sum + new Plain().Z",
            """
            class Parent { protected readonly List<int> Items = new() { 1 }; public int Count { get; } public Parent() { Count = Items.Count; } }
            sealed class Child : Parent { private readonly int _x; public Child(int x) : this(x, 1) { } private Child(int x, int y) { _x = x + y; } public int Sum => _x + Items.Count; }
            sealed class Plain { public int Z { get; } = Math.Max(1, 2); private readonly string _s = nameof(Plain); }
            """);
        yield return Impure("object initializer setting an impure setter", "int", "static x => new Box { V = x }.V",
            "/*!*/sealed class Box { public static int Writes; private int _v; public int V { get => _v; set { _v = value; Writes++; } } }",
            "lambda \u2192 V \u2192 writes static field 'Box.Writes'");
        yield return Impure("HttpClient created", "string", "/*!*/static s => new System.Net.Http.HttpClient().BaseAddress is null ? s : s", "",
            "lambda \u2192 performs network I/O ('HttpClient.BaseAddress')");
        yield return Impure("Environment variable", "string", "/*!*/static s => Environment.GetEnvironmentVariable(s) ?? s", "",
            "lambda \u2192 reads the environment ('Environment.GetEnvironmentVariable')");
        yield return Impure("event raised on a shared object", "int", "static x => { Hub.Instance.Raise(x); return x; }",
            "sealed class Hub { public static readonly Hub Instance = new(); public event Action<int>? Changed; public void Raise(int v) => /*!*/Changed?.Invoke(v); }",
            "lambda \u2192 Raise \u2192 invokes delegate 'Changed', which cannot be proved pure");
        yield return Impure("indexer setter of a shared object", "int", "/*!*/static x => { Grid.Shared[0] = x; return x; }",
            "sealed class Grid { public static readonly Grid Shared = new(); private readonly int[] _a = new int[4]; public int this[int i] { get => _a[i]; set => _a[i] = value; } }",
            "lambda \u2192 writes an element of 'Grid.Shared', which was not created inside the degrader");
        yield return Impure("Interlocked through using static", "int", "static x => H.Next(x)",
            "using static System.Threading.Interlocked;\nstatic class H { static int s_n; public static int Next(int x) => /*!*/Increment(ref s_n) + x; }",
            "lambda \u2192 Next \u2192 performs an interlocked operation ('Interlocked.Increment')");
        yield return Impure("Console through using static", "int", "static x => H.Log(x)",
            "using static System.Console;\nstatic class H { public static int Log(int x) { /*!*/WriteLine(x); return x; } }",
            "lambda \u2192 Log \u2192 performs console I/O ('Console.WriteLine')");
        yield return Impure("clock in a throw expression", "int", "/*!*/static x => x > 0 ? x : throw new InvalidOperationException(DateTime.Now.ToString())", "",
            "lambda \u2192 reads the clock ('DateTime.Now')");
        yield return Impure("static lambda with an attribute and a natural type invoked", "int",
            "static x => { var f = [System.Diagnostics.Contracts.Pure] static (int v) => v * 2; return /*!*/f(x); }", "",
            "lambda \u2192 invokes delegate 'f', which cannot be proved pure");
    }
}
