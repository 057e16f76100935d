using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// The purity corpus: degraders of every shape users write, each with the verdict the prover must reach and, for an
/// impure one, the message. Grouped by what they exercise; names are unique and say what the case shows.
/// </summary>
internal static partial class PurityCorpus
{
    internal static IReadOnlyList<PurityCase> All { get; } =
    [
        .. Generics(),
        .. Dispatch(),
        .. CallPaths(),
        .. MoreGenerics(),
        .. State(),
        .. Bcl(),
        .. Language(),
        .. AsyncAndIterators(),
        .. Shapes(),
        .. Audit(),
        .. Modern(),
        .. CreatedInside(),
        .. Declarations(),
        .. Implicit(),
        .. Construction(),
        .. Initializers(),
        .. Audit3(),
        .. Audit4(),
        .. Audit5(),
        .. Audit6(),
        .. Audit7(),
    ];

    private static IEnumerable<PurityCase> Generics()
    {
        const string H = """
            static class H
            {
                public static T Same<T>(T x) => x;
                public static T Wrap<T>(this T x) => x;
            }

            static class GenericUtil<T>
            {
                public static T Id(T x) => x;
            }

            sealed class Calc<T>
            {
                public T Twice(T x) => x;
            }
            """;
        yield return Pure("generic static method", "int", "static x => H.Same(x)", H);
        yield return Pure("generic method with explicit type argument", "int", "static x => H.Same<int>(x)", H);
        yield return Pure("method of a constructed generic type", "int", "static x => GenericUtil<int>.Id(x)", H);
        yield return Pure("instance method of a generic type on a fresh receiver", "string", "static x => new Calc<string>().Twice(x)", H);
        yield return Pure("generic extension method", "int", "static x => x.Wrap()", H);
        yield return Pure("generic method group", "int", "H.Same", H);
    }

    private static IEnumerable<PurityCase> Dispatch()
    {
        const string Internal = """
            class Shape { public virtual int Describe(int w) => w; public virtual int Size => 1; }
            class Quiet : Shape { public override int Describe(int w) => w + 1; }
            sealed class Loud : Shape
            {
                public static int Calls;
                public override int Describe(int w) { /*!*/Calls++; return w; }
                public override int Size { get { Calls++; return 2; } }
            }
            sealed record R(Shape S, int W);
            """;
        yield return Impure("impure override behind a virtual call", "R", "static r => r with { W = r.S.Describe(r.W) }", Internal,
            "lambda \u2192 Loud.Describe \u2192 writes static field 'Loud.Calls'");
        yield return Impure("impure override behind a virtual property", "R", "static r => r with { W = r.S.Size }", Internal.Replace("/*!*/", "").Replace("get { Calls++", "get { /*!*/Calls++"),
            "lambda \u2192 Loud.Size \u2192 writes static field 'Loud.Calls'");
        yield return Pure("virtual call on a new object runs that type's override", "int", "static x => new Quiet().Describe(x)", Internal);
        yield return Pure("virtual call on a sealed receiver runs its override", "int", "static x => Pick(new Quiet()).Describe(x)",
            Internal + "\nstatic partial class Helpers { }\n" + "sealed partial class Probe { static Quiet Pick(Quiet q) => q; }");
        yield return Pure("virtual call in an internal hierarchy whose overrides are all pure", "int", "static x => Pick().Describe(x)", """
            class Shape { public virtual int Describe(int w) => w; }
            class Square : Shape { public override int Describe(int w) => w * w; }
            sealed partial class Probe { static Shape Pick() => new Square(); }
            """);
        yield return Impure("virtual call on a public type that outside code can extend", "int", "/*!*/static x => Pick().Describe(x)", """
            public class Shape { public virtual int Describe(int w) => w; }
            sealed partial class Probe { static Shape Pick() => new Shape(); }
            """, "lambda \u2192 calls virtual 'Shape.Describe', which a type outside this compilation can override");
        yield return Pure("virtual call on a public type with only internal constructors", "int", "static x => Shape.Default.Describe(x)", """
            public class Shape
            {
                internal Shape() { }
                public static readonly Shape Default = new();
                public virtual int Describe(int w) => w;
            }
            """);
        yield return Impure("virtual call on an internal type visible to a friend assembly", "int", "/*!*/static x => Pick().Describe(x)", """
            [assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Friend")]
            class Shape { public virtual int Describe(int w) => w; }
            sealed partial class Probe { static Shape Pick() => new Shape(); }
            """, "lambda \u2192 calls virtual 'Shape.Describe', which a type outside this compilation can override");
        yield return Pure("sealed override on a public type cannot be overridden again", "int", "static x => Pick().Describe(x)", """
            public class Shape { internal Shape() { } public virtual int Describe(int w) => w; }
            public class Square : Shape { public sealed override int Describe(int w) => w * w; }
            sealed partial class Probe { static Square Pick() => new Square(); }
            """);
        yield return Pure("abstract method whose overrides in the compilation are all pure", "int", "static x => Pick(x).Area(x)", """
            abstract class Figure { public abstract int Area(int side); }
            sealed class Sq : Figure { public override int Area(int side) => side * side; }
            sealed class Tri : Figure { public override int Area(int side) => side * side / 2; }
            sealed partial class Probe { static Figure Pick(int x) => x > 0 ? new Sq() : new Tri(); }
            """);
        yield return Impure("abstract method with one impure override", "int", "static x => Pick(x).Area(x)", """
            abstract class Figure { public abstract int Area(int side); }
            sealed class Sq : Figure { public override int Area(int side) => side * side; }
            sealed class Tri : Figure { public override int Area(int side) => /*!*/Console.Read() + side; }
            sealed partial class Probe { static Figure Pick(int x) => x > 0 ? new Sq() : new Tri(); }
            """, "lambda \u2192 Tri.Area \u2192 performs console I/O ('Console.Read')");
        yield return Impure("abstract method on a public type that outside code can extend", "int", "/*!*/static x => Pick().Area(x)", """
            public abstract class Figure { public abstract int Area(int side); }
            sealed class Sq : Figure { public override int Area(int side) => side * side; }
            sealed partial class Probe { static Figure Pick() => new Sq(); }
            """, "lambda \u2192 calls virtual 'Figure.Area', which a type outside this compilation can override");
        yield return Pure("base call inside an override does not dispatch", "int", "static x => new Quiet().Twice(x)", """
            public class Shape { public virtual int Describe(int w) => w; }
            sealed class Quiet : Shape
            {
                public override int Describe(int w) => w + 1;
                public int Twice(int w) => base.Describe(w) * 2;
            }
            """);
        yield return Impure("virtual call on this inside a helper dispatches", "int", "static x => Pick().Run(x)", """
            class Job
            {
                public int Run(int x) => Step(x);
                protected virtual int Step(int x) => x;
            }
            sealed class Noisy : Job { public static int Count; protected override int Step(int x) => /*!*/Count = x; }
            sealed partial class Probe { static Job Pick() => new Job(); }
            """, "lambda \u2192 Run \u2192 Noisy.Step \u2192 writes static field 'Noisy.Count'");
        yield return Impure("override in a closed generic hierarchy", "int", "static x => Pick().Map(x)", """
            class Mapper<T> { public virtual T Map(T x) => x; }
            sealed class IntMapper : Mapper<int> { public static int Last; public override int Map(int x) { /*!*/Last = x; return x; } }
            sealed partial class Probe { static Mapper<int> Pick() => new IntMapper(); }
            """, "lambda \u2192 IntMapper.Map \u2192 writes static field 'IntMapper.Last'");
        yield return Impure("interface call", "int", "/*!*/static x => Pick().Scale(x)", """
            interface IScaler { int Scale(int x); }
            sealed class Half : IScaler { public int Scale(int x) => x / 2; }
            sealed partial class Probe { static IScaler Pick() => new Half(); }
            """, "lambda \u2192 calls 'IScaler.Scale', which has no body to prove");
        yield return Pure("interface method called on the sealed implementing type", "int", "static x => new Half().Scale(x)", """
            interface IScaler { int Scale(int x); }
            sealed class Half : IScaler { public int Scale(int x) => x / 2; }
            """);
        yield return Impure("delegate held in a static field", "int", "/*!*/static x => Hooks.F(x)", """
            static class Hooks { public static readonly Func<int, int> F = x => x; }
            """, "lambda \u2192 invokes delegate 'Hooks.F', which cannot be proved pure");
        yield return Impure("delegate passed in as a parameter of a helper", "int", "static x => H.Apply(x, y => y)", """
            static class H { public static int Apply(int x, Func<int, int> f) => /*!*/f(x); }
            """, "lambda \u2192 Apply \u2192 invokes delegate 'f', which cannot be proved pure");
        yield return Pure("ToString of a public unsealed record is the generated one", "Rec", "static r => r with { Text = r.ToString() }", """
            public record Rec(string Text, int N);
            """);
        yield return Pure("Equals and GetHashCode of a record", "Rec", "static r => r.Equals(r with { N = 1 }) ? r : r with { N = r.GetHashCode() }", """
            public record Rec(string Text, int N);
            """);
        yield return Impure("user ToString override on a sealed record that writes state", "Rec", "static r => r with { Text = r.ToString() }", """
            sealed record Rec(string Text, int N)
            {
                public static int Printed;
                public override string ToString() { /*!*/Printed++; return Text; }
            }
            """, "lambda \u2192 ToString \u2192 writes static field 'Rec.Printed'");
        yield return Impure("static abstract interface member through a type parameter", "int", "static x => H.Zero<Num>() + x", """
            interface IZero<TSelf> where TSelf : IZero<TSelf> { /*!*/static abstract int Zero { get; } }
            sealed class Num : IZero<Num> { public static int Zero => 0; }
            static class H { public static int Zero<T>() where T : IZero<T> => T.Zero; }
            """, "lambda \u2192 Zero \u2192 Zero \u2192 calls 'IZero.Zero', which has no body to prove");
    }

    private static IEnumerable<PurityCase> CallPaths()
    {
        yield return Impure("local function on the call path", "int", "static x => H.Outer(x)", """
            static class Counter { public static int N; }
            static class H
            {
                public static int Outer(int x)
                {
                    return Inner(x);
                    int Inner(int y) { /*!*/Counter.N++; return y; }
                }
            }
            """, "lambda \u2192 Outer \u2192 Inner \u2192 writes static field 'Counter.N'");
        yield return Impure("local function inside the lambda", "int", "static x => { return Local(x); static int Local(int y) => /*!*/Environment.TickCount + y; }", "",
            "lambda \u2192 Local \u2192 reads the environment ('Environment.TickCount')");
        yield return Impure("nested local functions", "int", "static x => H.Outer(x)", """
            static class H
            {
                public static int Outer(int x)
                {
                    return A(x);
                    static int A(int y) => B(y);
                    static int B(int y) => /*!*/Random.Shared.Next(y);
                }
            }
            """, "lambda \u2192 Outer \u2192 A \u2192 B \u2192 uses randomness ('Random.Next')");
        yield return Pure("recursive local function", "int", "static x => { return F(x); static int F(int n) => n <= 1 ? 1 : n * F(n - 1); }");
        yield return Impure("await two calls deep", "int", "static x => H.A(x)", """
            static class H
            {
                public static int A(int x) => B(x).Result;
                static async Task<int> B(int x) { /*!*/await Task.Yield(); return x; }
            }
            """, "lambda \u2192 A \u2192 B \u2192 awaits");
        yield return Impure("await two calls deep through GetResult", "int", "static x => H.A(x)", """
            static class H
            {
                public static int A(int x) => B(x).GetAwaiter().GetResult();
                static async Task<int> B(int x) { /*!*/await Task.Yield(); return x; }
            }
            """, "lambda \u2192 A \u2192 B \u2192 awaits");
        yield return Impure("await in a helper of a helper", "int", "static x => H.A(x)", """
            static class H
            {
                public static int A(int x) => B(x);
                static int B(int x) => C(x).Result;
                static async Task<int> C(int x) { /*!*/await Task.Delay(1); return x; }
            }
            """, "lambda \u2192 A \u2192 B \u2192 C \u2192 awaits");
        yield return Impure("await of a ValueTask in a helper", "int", "static x => H.A(x).AsTask().Result", """
            static class H
            {
                public static async ValueTask<int> A(int x) { /*!*/await Task.Yield(); return x; }
            }
            """, "lambda \u2192 A \u2192 awaits");
        yield return Impure("blocking on a completed task", "int", "/*!*/static x => H.Done(x).Result", """
            static class H { public static Task<int> Done(int x) => null!; }
            """, "lambda \u2192 blocks on a task ('Task.Result')");
        yield return Impure("await inside an async lambda degrader", "Task<int>", "static async t => /*!*/await t", "",
            "lambda \u2192 awaits");
        yield return Impure("constructor on the call path", "int", "static x => new Counter(x).Value", """
            sealed class Counter
            {
                public static int Made;
                public Counter(int v) { Value = v; /*!*/Made++; }
                public int Value { get; }
            }
            """, "lambda \u2192 new Counter \u2192 writes static field 'Counter.Made'");
        yield return Impure("property getter on the call path", "int", "static x => Config.Scale * x", """
            static class Config
            {
                public static int Reads;
                public static int Scale { get { /*!*/Reads++; return 2; } }
            }
            """, "lambda \u2192 Scale \u2192 writes static field 'Config.Reads'");
        yield return Impure("mutual recursion with an effect", "int", "static x => H.Ping(x)", """
            static class H
            {
                public static int Calls;
                public static int Ping(int x) => x <= 0 ? 0 : Pong(x - 1);
                public static int Pong(int x) { /*!*/Calls = x; return Ping(x); }
            }
            """, "lambda \u2192 Ping \u2192 Pong \u2192 writes static field 'H.Calls'");
        yield return Pure("mutual recursion without effects", "int", "static x => H.IsEven(x) ? 1 : 0", """
            static class H
            {
                public static bool IsEven(int n) => n == 0 || IsOdd(n - 1);
                public static bool IsOdd(int n) => n != 0 && IsEven(n - 1);
            }
            """);
        yield return Impure("effect in a partial method implementation", "int", "static x => P.Scale(x)", """
            static partial class P
            {
                public static partial int Scale(int x);
                public static partial int Scale(int x) { /*!*/Console.WriteLine(x); return x; }
            }
            """, "lambda \u2192 Scale \u2192 performs console I/O ('Console.WriteLine')");
    }

    private static IEnumerable<PurityCase> MoreGenerics()
    {
        yield return Pure("generic method with a constraint calling a BCL interface on T", "int", "static x => H.Max(x, 3)", """
            static class H { public static T Max<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b) >= 0 ? a : b; }
            """);
        yield return Pure("generic method of a generic type", "string", "static x => Pair<string>.Make<int>(x, 1).First", """
            sealed record Pair<T>(T First, object Second) { public static Pair<T> Make<U>(T first, U second) => new(first, second!); }
            """);
        yield return Pure("generic struct method", "int", "static x => new Box<int>(x).Get()", """
            readonly struct Box<T> { private readonly T _value; public Box(T value) => _value = value; public T Get() => _value; }
            """);
        yield return Pure("nested generic types", "int", "static x => Outer<int>.Inner<string>.Pick(x, \"a\")", """
            static class Outer<T> { public static class Inner<U> { public static T Pick(T t, U u) => t; } }
            """);
        yield return Pure("generic recursion", "int", "static x => H.Depth<int>(x)", """
            static class H { public static int Depth<T>(int n) => n <= 0 ? 0 : 1 + Depth<T>(n - 1); }
            """);
        yield return Pure("generic local function", "int", "static x => { return Id(x); static T Id<T>(T v) => v; }");
        yield return Pure("generic extension on a constructed receiver", "List<int>", "static xs => xs.Twice()", """
            static class H { public static List<T> Twice<T>(this List<T> xs) => xs.Concat(xs).ToList(); }
            """);
        yield return Impure("generic method writing a static of its generic type", "int", "static x => Cache<int>.Remember(x)", """
            static class Cache<T> { public static T? Last; public static T Remember(T x) { /*!*/Last = x; return x; } }
            """, "lambda \u2192 Remember \u2192 writes static field 'Cache.Last'");
        yield return Impure("generic method with an impure body through a constructed call", "int", "static x => H.Log(x)", """
            static class H { public static T Log<T>(T x) { /*!*/Console.WriteLine(x); return x; } }
            """, "lambda \u2192 Log \u2192 performs console I/O ('Console.WriteLine')");
        yield return Pure("default of a type parameter", "int", "static x => H.OrDefault(x, false)", """
            static class H { public static T? OrDefault<T>(T x, bool keep) => keep ? x : default; }
            """);
        yield return Pure("new T() in a generic helper", "int", "static x => H.Fresh<List<int>>().Count + x", """
            static class H { public static T Fresh<T>() where T : new() => new T(); }
            """);
        yield return Pure("generic method group with explicit type arguments", "string", "H.Same<string>", """
            static class H { public static T Same<T>(T x) => x; }
            """);
        yield return Pure("extension method group", "int", "H.Halve", """
            static class H { public static int Halve(this int x) => x / 2; }
            """);
        yield return Impure("generic interface constraint call", "int", "static x => H.Scale(new Half(), x)", """
            interface IScaler { int Scale(int x); }
            sealed class Half : IScaler { public int Scale(int x) => x / 2; }
            static class H { public static int Scale<T>(T s, int x) where T : IScaler => /*!*/s.Scale(x); }
            """, "lambda \u2192 Scale \u2192 calls 'IScaler.Scale', which has no body to prove");
        yield return Pure("generic type with a static readonly field read", "int", "static x => Defaults<int>.Value + x", """
            static class Defaults<T> { public static readonly int Value = 3; }
            """);
    }

    private static IEnumerable<PurityCase> State()
    {
        const string Holder = """
            sealed class Holder
            {
                public static int Count;
                public static int Limit { get; set; } = 10;
                public static readonly int[] Shared = new int[4];
                public static readonly List<int> Seen = new();
                public const int Step = 2;
                public int Instance;
            }
            """;
        yield return Impure("static field write", "int", "/*!*/static x => Holder.Count = x", Holder, "lambda \u2192 writes static field 'Holder.Count'");
        yield return Impure("static field increment", "int", "static x => { /*!*/Holder.Count++; return x; }", Holder, "lambda \u2192 writes static field 'Holder.Count'");
        yield return Impure("static field compound assignment", "int", "static x => { /*!*/Holder.Count += x; return x; }", Holder, "lambda \u2192 writes static field 'Holder.Count'");
        yield return Impure("static property write", "int", "static x => { /*!*/Holder.Limit = x; return x; }", Holder, "lambda \u2192 writes static property 'Holder.Limit'");
        yield return Pure("static property read", "int", "static x => Math.Min(x, Holder.Limit)", Holder);
        yield return Pure("const read", "int", "static x => x * Holder.Step", Holder);
        yield return Impure("element of a static array write", "int", "static x => { /*!*/Holder.Shared[0] = x; return x; }", Holder,
            "lambda \u2192 writes an element of array 'Holder.Shared', which was not created inside the degrader");
        yield return Pure("element of a static array read", "int", "static x => Holder.Shared[0] + x", Holder);
        yield return Impure("static list mutation", "int", "static x => { /*!*/Holder.Seen.Add(x); return x; }", Holder,
            "lambda \u2192 mutates 'Holder.Seen' ('List.Add'), which was not created inside the degrader");
        yield return Pure("static list read", "int", "static x => Holder.Seen.Count + x", Holder);
        yield return Impure("instance field of a parameter written", "Holder", "static h => { /*!*/h.Instance = 1; return h; }", Holder,
            "lambda \u2192 writes field 'Holder.Instance'");
        yield return Pure("instance field of a new object written", "Holder", "static h => { var copy = new Holder(); copy.Instance = h.Instance + 1; return copy; }", Holder);
        yield return Impure("captured field read", "int", "/*!*/x => x + _bias", """
            sealed partial class Probe { int _bias = 1; }
            """, "lambda \u2192 reads captured field 'Probe._bias'");
        yield return Impure("static field of the enclosing type written", "int", "/*!*/x => (Probe.Total = x)", """
            sealed partial class Probe { public static int Total; }
            """, "lambda \u2192 writes static field 'Probe.Total'");
        yield return Impure("captured this method call", "int", "/*!*/x => Twice(x)", """
            sealed partial class Probe { int Twice(int x) => x * 2; }
            """, "lambda \u2192 calls captured instance method 'Probe.Twice'");
        yield return Pure("static method of the enclosing type", "int", "static x => Twice(x)", """
            sealed partial class Probe { static int Twice(int x) => x * 2; }
            """);
        // A helper writing through `ref` or `out` writes the variable its caller handed it: here the degrader's own.
        yield return Pure("ref parameter write in a helper", "int", "static x => { H.Bump(ref x); return x; }", """
            static class H { public static void Bump(ref int v) => v++; }
            """);
        yield return Pure("out parameter write in a helper", "int", "static x => H.TryHalf(x, out var h) ? h : x", """
            static class H { public static bool TryHalf(int x, out int half) { half = x / 2; return true; } }
            """);
        yield return Pure("BCL out parameter into a local", "string", "static s => int.TryParse(s, out var n) ? (n / 2).ToString() : s");
        yield return Impure("ref local write", "int[]", "static xs => { ref int first = ref xs[0]; /*!*/first = 1; return xs; }", "",
            "lambda \u2192 writes through ref local 'first'");
        yield return Impure("parameter array element write", "int[]", "static xs => { /*!*/xs[0] = 1; return xs; }", "",
            "lambda \u2192 writes an element of array 'xs', which was not created inside the degrader");
        yield return Pure("copied array element write", "int[]", "static xs => { var copy = (int[])xs.Clone(); return copy; }");
        yield return Pure("new array element write", "int[]", "static xs => { var copy = new int[xs.Length]; copy[0] = 1; return copy; }");
        yield return Impure("dictionary parameter mutation", "Dictionary<string, int>", "static d => { /*!*/d[\"k\"] = 1; return d; }", "",
            "lambda \u2192 writes an element of 'd', which was not created inside the degrader");
        yield return Pure("new dictionary mutation", "Dictionary<string, int>", "static d => { var copy = new Dictionary<string, int>(d); copy[\"k\"] = 1; copy.Remove(\"x\"); return copy; }");
        yield return Impure("lock statement", "int", "static x => { lock (Gate.Lock) { return x; } }".Replace("lock (", "/*!*/lock ("), """
            static class Gate { public static readonly object Lock = new(); }
            """, "lambda \u2192 takes a lock");
        yield return Impure("event subscription", "int", "static x => { /*!*/Bus.Changed += () => { }; return x; }", """
            static class Bus { public static event Action? Changed; public static void Raise() => Changed?.Invoke(); }
            """, "lambda \u2192 subscribes to event 'Bus.Changed'");
        yield return Impure("struct parameter mutated is a copy but a static write is not", "Point", "static p => { p.X = 1; /*!*/Holder.Count = p.X; return p; }", Holder + "\npublic struct Point { public int X; }",
            "lambda \u2192 writes static field 'Holder.Count'");
        yield return Pure("struct parameter mutated locally", "Point", "static p => { p.X /= 2; return p; }", "public struct Point { public int X; }");
        yield return Impure("static auto-property increment in a helper", "int", "static x => H.Next() + x", """
            static class H { public static int Seq { get; private set; } public static int Next() => /*!*/++Seq; }
            """, "lambda \u2192 Next \u2192 writes static property 'H.Seq'");
        yield return Impure("tuple deconstruction into a static", "int", "static x => { /*!*/(Holder.Count, var y) = (x, x); return y; }", Holder,
            "lambda \u2192 writes static field 'Holder.Count'");
        yield return Pure("tuple deconstruction into locals", "int", "static x => { var (a, b) = (x, x + 1); return a + b; }");
        yield return Impure("thread-static field write", "int", "static x => { /*!*/Slots.Current = x; return x; }", """
            static class Slots { [ThreadStatic] public static int Current; }
            """, "lambda \u2192 writes static field 'Slots.Current'");
    }

    private static IEnumerable<PurityCase> Bcl()
    {
        yield return Pure("Math functions", "double", "static x => Math.Round(Math.Sqrt(Math.Abs(x)) * Math.PI, 2) + Math.Clamp(x, 0, 1)");
        yield return Pure("MathF functions", "float", "static x => MathF.Floor(x) + MathF.Max(x, 1f)");
        yield return Pure("string members", "string", "static s => s.Trim().ToUpperInvariant().Replace(\"a\", \"b\").Substring(0, Math.Min(3, s.Length)).PadLeft(5)");
        yield return Pure("string static members", "string", "static s => string.Join(\",\", s.Split(',').Reverse()) + string.Concat(s, \"!\") + string.IsNullOrEmpty(s)");
        yield return Pure("string format with invariant culture", "double", "static x => double.Parse(x.ToString(\"F1\", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture)");
        yield return Pure("char members", "string", "static s => new string(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray())");
        yield return Pure("StringBuilder created inside", "string", "static s => { var b = new StringBuilder(); b.Append(s).Append('!'); b.Insert(0, '>'); return b.ToString(); }");
        yield return Pure("StringBuilder fluent chain assigned to a local", "string", "static s => { var b = new StringBuilder().Append(s); b.Append('.'); return b.ToString(); }");
        yield return Impure("StringBuilder parameter mutated", "StringBuilder", "static b => /*!*/b.Append('x')", "",
            "lambda \u2192 mutates 'b' ('StringBuilder.Append'), which was not created inside the degrader");
        yield return Impure("static StringBuilder mutated", "string", "static s => /*!*/Shared.B.Append(s).ToString()", """
            static class Shared { public static readonly StringBuilder B = new(); }
            """, "lambda \u2192 mutates 'Shared.B' ('StringBuilder.Append'), which was not created inside the degrader");
        yield return Pure("StringBuilder ToString on a parameter", "StringBuilder", "static b => new StringBuilder(b.ToString())");
        yield return Pure("Span over a new array", "int[]", "static xs => { Span<int> s = new int[xs.Length]; xs.CopyTo(s); s.Reverse(); return s.ToArray(); }");
        yield return Pure("ReadOnlySpan of a string", "string", "static s => s.AsSpan().Trim().ToString()");
        yield return Pure("stackalloc span", "int", "static x => { Span<int> s = stackalloc int[4]; s[0] = x; return s[0]; }");
        yield return Impure("span over a parameter array written", "int[]", "static xs => { Span<int> s = xs; /*!*/s[0] = 1; return xs; }", "",
            "lambda \u2192 writes an element of 's', which was not created inside the degrader");
        yield return Impure("span parameter written in a helper", "int[]", "static xs => { H.Zero(xs); return xs; }", """
            static class H { public static void Zero(Span<int> s) => /*!*/s[0] = 0; }
            """, "lambda \u2192 Zero \u2192 writes an element of 's', which was not created inside the degrader");
        yield return Impure("reversing a parameter through AsSpan", "int[]", "static xs => { /*!*/xs.AsSpan().Reverse(); return xs; }", "",
            "lambda \u2192 mutates 'xs.AsSpan()' ('MemoryExtensions.Reverse'), which was not created inside the degrader");
        yield return Impure("copying into a parameter array", "int[]", "static xs => { /*!*/new[] { 1 }.CopyTo(xs, 0); return xs; }", "",
            "lambda \u2192 mutates 'xs' ('Array.CopyTo'), which was not created inside the degrader");
        yield return Pure("stackalloc span filled and cleared", "int", "static x => { Span<int> s = stackalloc int[4]; s.Fill(x); s.Clear(); return s[0]; }");
        yield return Pure("span over a new array copied into", "int[]", "static xs => { Span<int> s = new int[xs.Length]; xs.AsSpan().CopyTo(s); return s.ToArray(); }");
        yield return Pure("ImmutableArray operations", "ImmutableArray<int>", "static a => a.Add(1).RemoveAt(0).Sort().Insert(0, a.Length)");
        yield return Pure("ImmutableList and ImmutableDictionary", "ImmutableDictionary<string, int>", "static d => d.SetItem(\"k\", d.Count).Remove(\"x\")");
        yield return Impure("ImmutableArray builder not created inside", "ImmutableArray<int>.Builder", "static b => { /*!*/b.Add(1); return b; }", "",
            "lambda \u2192 mutates 'b' ('Builder.Add'), which was not created inside the degrader");
        yield return Pure("LINQ query operators", "int[]", "static xs => xs.Where(x => x > 0).Select(x => x * 2).OrderBy(x => x).Take(3).ToArray()");
        yield return Pure("LINQ query syntax", "int[]", "static xs => (from x in xs where x % 2 == 0 orderby x descending select x / 2).ToArray()");
        yield return Pure("LINQ aggregates", "int[]", "static xs => new[] { xs.Sum(), xs.Max(), xs.Count(x => x > 1), (int)xs.Average() }");
        yield return Pure("LINQ grouping and dictionaries", "string[]", "static xs => xs.GroupBy(x => x.Length).ToDictionary(g => g.Key, g => g.Count()).Keys.Select(k => k.ToString()).ToArray()");
        yield return Impure("LINQ lambda writing a static", "int[]", "static xs => xs.Select(x => { /*!*/Holder.N++; return x; }).ToArray()", """
            static class Holder { public static int N; }
            """, "lambda \u2192 writes static field 'Holder.N'");
        yield return Impure("LINQ lambda reading the clock", "DateTime[]", "static xs => xs.Select(x => /*!*/DateTime.Now).ToArray()", "",
            "lambda \u2192 reads the clock ('DateTime.Now')");
        yield return Pure("TimeSpan and DateTime arithmetic", "DateTime", "static t => t.AddMinutes(1).Date + TimeSpan.FromSeconds(30)");
        yield return Pure("DateTimeOffset conversions", "DateTimeOffset", "static t => t.ToUniversalTime().AddTicks(-t.Ticks % TimeSpan.TicksPerSecond)");
        yield return Impure("DateTime.UtcNow", "DateTime", "/*!*/static t => DateTime.UtcNow", "", "lambda \u2192 reads the clock ('DateTime.UtcNow')");
        yield return Impure("DateTimeOffset.Now", "DateTimeOffset", "/*!*/static t => DateTimeOffset.Now", "", "lambda \u2192 reads the clock ('DateTimeOffset.Now')");
        yield return Impure("Stopwatch", "long", "/*!*/static t => System.Diagnostics.Stopwatch.GetTimestamp()", "", "lambda \u2192 reads the clock ('Stopwatch.GetTimestamp')");
        yield return Impure("Guid.NewGuid", "Guid", "/*!*/static g => Guid.NewGuid()", "", "lambda \u2192 creates a random GUID ('Guid.NewGuid')");
        yield return Pure("Guid parsing and formatting", "string", "static s => Guid.TryParse(s, out var g) ? g.ToString(\"N\") : s");
        yield return Impure("Random.Shared", "int", "/*!*/static x => Random.Shared.Next(x)", "", "lambda \u2192 uses randomness ('Random.Next')");
        yield return Impure("Environment.MachineName is the environment", "string", "/*!*/static s => s + Environment.MachineName", "", "lambda \u2192 reads the environment ('Environment.MachineName')");
        yield return Impure("Console.Out", "string", "/*!*/static s => { Console.Out.Write(s); return s; }", "", "lambda \u2192 performs stream I/O ('TextWriter.Write')");
        yield return Impure("File.Exists", "string", "/*!*/static s => System.IO.File.Exists(s) ? s : \"\"", "", "lambda \u2192 performs file I/O ('File.Exists')");
        yield return Impure("Interlocked in a helper", "int", "static x => H.Add(x)", """
            static class H { static int s_total; public static int Add(int x) => /*!*/System.Threading.Interlocked.Add(ref s_total, x); }
            """, "lambda \u2192 Add \u2192 performs an interlocked operation ('Interlocked.Add')");
        yield return Impure("Task.Run", "int", "/*!*/static x => Task.Run(() => x).Result", "", "lambda \u2192 schedules a task ('Task.Run')");
        yield return Impure("Debug.WriteLine", "int", "static x => { /*!*/System.Diagnostics.Debug.WriteLine(x); return x; }", "",
            "lambda \u2192 writes diagnostics output ('Debug.WriteLine')");
        yield return Impure("Path.Combine is not known pure", "string", "/*!*/static s => System.IO.Path.Combine(s, \"x\")", "",
            "lambda \u2192 calls 'Path.Combine', which is not known to be pure");
        yield return Pure("Convert and BitConverter", "int", "static x => Convert.ToInt32(BitConverter.ToString(BitConverter.GetBytes(x)).Length)");
        yield return Pure("Enum members", "DayOfWeek", "static d => Enum.IsDefined(d) ? d : DayOfWeek.Monday");
        yield return Pure("Nullable members", "int?", "static x => x.HasValue ? x.GetValueOrDefault() / 2 : null");
        yield return Pure("tuples and value tuples", "(int, string)", "static t => (t.Item1 * 2, t.Item2.ToUpperInvariant())");
        yield return Pure("KeyValuePair", "KeyValuePair<string, int>", "static kv => KeyValuePair.Create(kv.Key, kv.Value / 2)");
        yield return Pure("HashSet created inside", "int[]", "static xs => { var set = new HashSet<int>(xs); set.Add(0); set.UnionWith(xs); return set.ToArray(); }");
        yield return Pure("Queue and Stack created inside", "int", "static x => { var q = new Queue<int>(); q.Enqueue(x); var s = new Stack<int>(); s.Push(q.Dequeue()); return s.Pop(); }");
        yield return Pure("Array static helpers on a new array", "int[]", "static xs => { var copy = new int[xs.Length]; Array.Copy(xs, copy, xs.Length); Array.Sort(copy); return copy; }");
        yield return Impure("Array.Sort on a parameter", "int[]", "static xs => { /*!*/Array.Sort(xs); return xs; }", "",
            "lambda \u2192 mutates 'xs' ('Array.Sort'), which was not created inside the degrader");
        yield return Pure("ToString, Equals and GetHashCode on values", "int", "static x => x.ToString().GetHashCode() + (x.Equals(1) ? 1 : 0)");
    }

    private static IEnumerable<PurityCase> Language()
    {
        yield return Pure("with expression on a record", "R", "static r => r with { N = r.N / 2 }", "sealed record R(string S, int N);");
        yield return Pure("with expression on a struct", "P", "static p => p with { X = 0 }", "public record struct P(int X, int Y);");
        yield return Pure("with on an anonymous type", "int", "static x => (new { A = x, B = 2 } with { B = 3 }).B");
        yield return Pure("collection expression", "int[]", "static xs => [.. xs, 0]");
        yield return Pure("collection expression into a list then mutated", "List<int>", "static xs => { List<int> copy = [.. xs]; copy.Add(1); return copy; }");
        yield return Pure("collection expression of an immutable array", "ImmutableArray<int>", "static a => [.. a, a.Length]");
        yield return Pure("string interpolation", "string", "static s => $\"{s,-10}|{s.Length:D4}|{1.5:F2}\"");
        yield return Pure("interpolated string handler into a StringBuilder created inside", "string", "static s => new StringBuilder().Append($\"[{s}]\").ToString()");
        yield return Pure("raw string literal", "string", "static s => s + \"\"\"\n    ok\n    \"\"\"");
        yield return Pure("switch expression with patterns", "int", "static x => x switch { < 0 => -x, 0 => 0, > 100 and < 200 => 100, _ => x }");
        yield return Pure("is patterns with declarations", "object", "static o => o is string { Length: > 2 } s ? s[..2] : o");
        yield return Pure("list patterns", "int[]", "static xs => xs is [var first, .., var last] ? new[] { first, last } : xs");
        yield return Pure("ranges and indices", "string", "static s => s.Length > 2 ? s[1..^1] : s");
        yield return Pure("null-coalescing and conditional access", "string", "static s => s?.Trim() ?? \"\"");
        yield return Pure("checked arithmetic", "int", "static x => checked(x + 1)");
        yield return Pure("throw expression", "string", "static s => s.Length > 0 ? s : throw new ArgumentException(\"empty\")");
        yield return Pure("try catch finally without effects", "int", "static x => { try { return checked(x * 2); } catch (OverflowException) { return int.MaxValue; } finally { } }");
        yield return Pure("loops over locals", "int", "static x => { var sum = 0; for (var i = 0; i < x; i++) { sum += i; } while (sum > 100) { sum -= 100; } return sum; }");
        yield return Pure("foreach over a parameter array", "int[]", "static xs => { var total = 0; foreach (var x in xs) { total += x; } return new[] { total }; }");
        yield return Pure("record positional construction and deconstruction", "R", "static r => { var (s, n) = r; return new R(s, n + 1); }", "sealed record R(string S, int N);");
        yield return Pure("record equality operators", "R", "static r => r == new R(\"a\", 1) ? r : r with { N = 0 }", "sealed record R(string S, int N);");
        yield return Pure("record ToString, Equals, GetHashCode, Deconstruct", "R", "static r => r.Equals(r) && r.GetHashCode() != 0 ? r with { S = r.ToString() } : r", "sealed record R(string S, int N);");
        yield return Impure("record with an impure init accessor", "R", "static r => r with { N = 1 }", """
            sealed record R(string S)
            {
                public static int Sets;
                private readonly int _n;
                public int N { get => _n; init { /*!*/Sets++; _n = value; } }
            }
            """, "lambda \u2192 N \u2192 writes static field 'R.Sets'");
        yield return Pure("anonymous types", "int", "static x => new { A = x, B = x * 2 }.B");
        yield return Pure("local constant and static local function", "int", "static x => { const int K = 3; return Scale(x); static int Scale(int v) => v * K; }");
        yield return Pure("nameof and typeof", "string", "static s => nameof(String) + typeof(int).Name + s");
        yield return Pure("default literal and is null", "string", "static s => s is null ? default! : s");
        yield return Pure("nested lambdas inside LINQ over a parameter", "int[][]", "static xss => xss.Select(xs => xs.Select(x => x + 1).ToArray()).ToArray()");
        yield return Impure("dynamic", "object", "/*!*/static o => ((dynamic)o).ToString()", "", "lambda \u2192 uses dynamic, which cannot be proved pure");
        yield return Pure("user-defined operator", "Money", "static m => m + m", """
            readonly record struct Money(decimal Amount) { public static Money operator +(Money a, Money b) => new(a.Amount + b.Amount); }
            """);
        yield return Impure("user-defined operator with an effect", "Money", "static m => m + m", """
            readonly record struct Money(decimal Amount)
            {
                public static int Adds;
                public static Money operator +(Money a, Money b) { /*!*/Adds++; return new(a.Amount + b.Amount); }
            }
            """, "lambda \u2192 op_Addition \u2192 writes static field 'Money.Adds'");
        yield return Pure("compiled operators of types outside the pure list", "Type", "static t => t == typeof(int) ? t : typeof(string)");
        yield return Pure("compiled vector operators", "System.Numerics.Vector3", "static v => (v + System.Numerics.Vector3.One) * 0.5f");
        yield return Pure("user-defined conversion", "Celsius", "static c => (Celsius)(double)c", """
            readonly record struct Celsius(double Value)
            {
                public static explicit operator double(Celsius c) => c.Value;
                public static explicit operator Celsius(double d) => new(d);
            }
            """);
        yield return Pure("indexer of a type in the compilation", "int", "static x => new Grid()[x]", """
            sealed class Grid { public int this[int i] => i * 2; }
            """);
        yield return Impure("function pointer", "int", "static x => H.Call(x)", """
            static unsafe class H { public static int Call(int x) { delegate*<int, int> f = &Id; return /*!*/f(x); } static int Id(int v) => v; }
            """, "lambda \u2192 Call \u2192 calls a function pointer, which cannot be proved pure");
    }

    private static IEnumerable<PurityCase> AsyncAndIterators()
    {
        yield return Pure("iterator method consumed with LINQ", "int", "static x => H.Range(x).Sum()", """
            static class H { public static IEnumerable<int> Range(int n) { for (var i = 0; i < n; i++) { yield return i; } } }
            """);
        yield return Impure("iterator method with an effect", "int", "static x => H.Count(x).Sum()", """
            static class H
            {
                public static int Yielded;
                public static IEnumerable<int> Count(int n) { for (var i = 0; i < n; i++) { /*!*/Yielded++; yield return i; } }
            }
            """, "lambda \u2192 Count \u2192 writes static field 'H.Yielded'");
        yield return Pure("local iterator function", "int[]", "static xs => { return Doubled(xs).ToArray(); static IEnumerable<int> Doubled(int[] v) { foreach (var x in v) { yield return x * 2; } } }");
        yield return Impure("async lambda awaiting", "Task<int>", "static async t => /*!*/await t + 1", "", "lambda \u2192 awaits");
        yield return Impure("async helper returning a task", "Task<int>", "static t => H.Next(t)", """
            static class H { public static async Task<int> Next(Task<int> t) => /*!*/await t + 1; }
            """, "lambda \u2192 Next \u2192 awaits");
        yield return Impure("Task.Wait on a helper task", "int", "static x => { H.Work(x).Wait(); return x; }", """
            static class H { public static async Task Work(int x) { /*!*/await Task.Yield(); } }
            """, "lambda \u2192 Work \u2192 awaits");
        yield return Impure("ConfigureAwait then GetResult on a helper task", "int", "static x => H.Work(x).ConfigureAwait(false).GetAwaiter().GetResult()", """
            static class H { public static async Task<int> Work(int x) { /*!*/await Task.Yield(); return x; } }
            """, "lambda \u2192 Work \u2192 awaits");
        yield return Impure("await foreach", "IAsyncEnumerable<int>", "static s => H.Copy(s)", """
            static class H
            {
                public static async IAsyncEnumerable<int> Copy(IAsyncEnumerable<int> s)
                {
                    /*!*/await foreach (var x in s) { yield return x; }
                }
            }
            """, "lambda \u2192 Copy \u2192 awaits");
    }
}
