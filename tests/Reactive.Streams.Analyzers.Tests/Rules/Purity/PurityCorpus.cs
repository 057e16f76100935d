using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// The purity corpus: degraders of every shape users write, each with the verdict the prover must reach and, for an
/// impure one, the message. Grouped by what they exercise; names are unique and say what the case shows.
/// </summary>
internal static class PurityCorpus
{
    internal static IReadOnlyList<PurityCase> All { get; } =
    [
        .. Generics(),
        .. Dispatch(),
        .. CallPaths(),
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
}
