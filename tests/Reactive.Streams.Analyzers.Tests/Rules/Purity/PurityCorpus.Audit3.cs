using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// The third audit: BCL container members that mutate the collection they are handed (extension mutators, taking,
/// draining), the known-impure APIs reached through <c>using static</c> and method groups, and the effects of modern C#
/// forms (checked operators, ref locals, ThreadStatic, events, indexers) the other groups do not show.
/// </summary>
internal static partial class PurityCorpus
{
    private static IEnumerable<PurityCase> Audit3()
    {
        // CollectionExtensions' mutators write the dictionary or list they extend, like the instance members.
        yield return Impure("CollectionExtensions.TryAdd on a dictionary parameter", "IDictionary<int, int>", "static d => { /*!*/d.TryAdd(1, 2); return d; }", "",
            "lambda \u2192 mutates 'd' ('CollectionExtensions.TryAdd'), which was not created inside the degrader");
        yield return Impure("CollectionExtensions.Remove with out on a dictionary parameter", "IDictionary<int, int>", "static d => { /*!*/d.Remove(1, out _); return d; }", "",
            "lambda \u2192 mutates 'd' ('CollectionExtensions.Remove'), which was not created inside the degrader");
        yield return Impure("CollectionExtensions.TryAdd on a shared dictionary", "int", "static x => /*!*/H.D.TryAdd(x, x) ? x : 0", "static class H { public static readonly IDictionary<int, int> D = new Dictionary<int, int>(); }",
            "lambda \u2192 mutates 'H.D' ('CollectionExtensions.TryAdd'), which was not created inside the degrader");
        yield return Pure("CollectionExtensions mutators on the degrader's own dictionary", "int", "static x => { IDictionary<int, int> d = new Dictionary<int, int>(); d.TryAdd(x, 1); d.Remove(x, out var v); return v + d.Count; }");
        yield return Pure("CollectionExtensions reads on a parameter", "IReadOnlyDictionary<int, int>", "static d => d.GetValueOrDefault(1) > 0 ? d : d");
        yield return Impure("List.AddRange of a span on a parameter", "List<int>", "static l => { /*!*/l.AddRange([1, 2]); return l; }", "",
            "lambda \u2192 mutates 'l' ('List.AddRange'), which was not created inside the degrader");

        // Container members that take items out or put them in, under names other than Add and Remove.
        yield return Impure("BlockingCollection.Take on a shared collection", "int", "static x => x + /*!*/H.Q.Take()", "static class H { public static readonly System.Collections.Concurrent.BlockingCollection<int> Q = new(); }",
            "lambda \u2192 mutates 'H.Q' ('BlockingCollection.Take'), which was not created inside the degrader");
        yield return Impure("ConcurrentBag.TryTake on a shared bag", "int", "static x => /*!*/H.Q.TryTake(out var y) ? y : x", "static class H { public static readonly System.Collections.Concurrent.ConcurrentBag<int> Q = new(); }",
            "lambda \u2192 mutates 'H.Q' ('ConcurrentBag.TryTake'), which was not created inside the degrader");
        yield return Impure("PriorityQueue.EnqueueDequeue on a shared queue", "int", "static x => /*!*/H.Q.EnqueueDequeue(x, x)", "static class H { public static readonly PriorityQueue<int, int> Q = new(); }",
            "lambda \u2192 mutates 'H.Q' ('PriorityQueue.EnqueueDequeue'), which was not created inside the degrader");
        yield return Impure("ImmutableArray builder drained", "int", "static x => /*!*/H.B.DrainToImmutable().Length + x", "static class H { public static readonly ImmutableArray<int>.Builder B = ImmutableArray.CreateBuilder<int>(); }",
            "lambda \u2192 mutates 'H.B' ('Builder.DrainToImmutable'), which was not created inside the degrader");
        yield return Pure("PriorityQueue and builder of the degrader's own", "int", "static x => { var q = new PriorityQueue<int, int>(); q.EnqueueRange([x, 1], 0); var b = ImmutableArray.CreateBuilder<int>(); b.Add(q.EnqueueDequeue(x, 1)); return b.DrainToImmutable()[0]; }");

        // A compiled method handed a collection of the compilation as a sequence enumerates it with the collection's members.
        yield return Impure("LINQ over a collection whose GetEnumerator writes a static", "Bag", "static b => b.Count() > 0 ? b : b", """
            sealed class Bag : IEnumerable<int>
            {
                public static int N;
                public IEnumerator<int> GetEnumerator() { /*!*/N++; yield break; }
                System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
            }
            """, "lambda \u2192 GetEnumerator \u2192 writes static field 'Bag.N'");
        yield return Impure("List constructed from a collection whose enumerator's MoveNext writes a static", "Bag", "static b => new List<int>(b).Count > 0 ? b : b", """
            sealed class Bag : IEnumerable<int>
            {
                public Walker GetEnumerator() => new();
                IEnumerator<int> IEnumerable<int>.GetEnumerator() => GetEnumerator();
                System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
            }
            sealed class Walker : IEnumerator<int>
            {
                public static int N;
                public int Current => 0;
                object System.Collections.IEnumerator.Current => Current;
                public bool MoveNext() { /*!*/N++; return false; }
                public void Reset() { }
                public void Dispose() { }
            }
            """, "lambda \u2192 MoveNext \u2192 writes static field 'Walker.N'");
        yield return Pure("LINQ over a collection with pure enumeration", "Bag", "static b => b.Sum() > 0 && b.ToList().Count > 1 ? b : b", """
            sealed class Bag : IEnumerable<int>
            {
                private readonly int[] _items = [1, 2];
                public IEnumerator<int> GetEnumerator() { foreach (var x in _items) { yield return x; } }
                System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
            }
            """);

        // Writes the page lists, reached through forms the other groups do not use.
        yield return Impure("out argument of a compiled method into a static field", "string", "static s => /*!*/int.TryParse(s, out H.Last) ? s : \"\"", "static class H { public static int Last; }",
            "lambda \u2192 writes static field 'H.Last'");
        yield return Impure("ImmutableInterlocked.Update of a static", "int", "static x => { /*!*/ImmutableInterlocked.Update(ref H.S, a => a.Add(x)); return x; }", "static class H { public static ImmutableList<int> S = ImmutableList<int>.Empty; }",
            "lambda \u2192 writes static field 'H.S'");
        yield return Impure("LinkedListNode.Value set on a shared list", "int", "static x => { /*!*/H.L.First!.Value = x; return x; }", "static class H { public static readonly LinkedList<int> L = new(); }",
            "lambda \u2192 writes property 'LinkedListNode.Value'");
        yield return Impure("ThreadStatic field written", "int", "static x => { /*!*/H.T = x; return x; }", "static class H { [ThreadStatic] public static int T; }",
            "lambda \u2192 writes static field 'H.T'");
        yield return Pure("static readonly and mutable static fields read", "int", "static x => x + H.R + H.M", "static class H { public static readonly int R = 1; public static int M = 2; }");
        yield return Impure("ref local to a static written", "int", "static x => { ref int r = ref H.V; /*!*/r = x; return x; }", "static class H { public static int V; }",
            "lambda \u2192 writes through ref local 'r'");
        yield return Impure("deconstruction into a static field", "(int, int)", "static t => { /*!*/(H.A, _) = t; return t; }", "static class H { public static int A; }",
            "lambda \u2192 writes static field 'H.A'");
        yield return Impure("compound assignment to a static property", "int", "static x => { /*!*/H.P += x; return x; }", "static class H { public static int P { get; set; } }",
            "lambda \u2192 writes static property 'H.P'");
        yield return Impure("CultureInfo.CurrentCulture set", "int", "static x => { /*!*/System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture; return x; }", "",
            "lambda \u2192 writes static property 'CultureInfo.CurrentCulture'");
        yield return Impure("event raised by a helper", "int", "static x => { H.Raise(x); return x; }", "static class H { public static event Action<int>? E; public static void Raise(int x) => /*!*/E?.Invoke(x); }",
            "lambda \u2192 Raise \u2192 invokes delegate 'E', which cannot be proved pure");
        yield return Impure("subscription to an event with custom accessors", "int", "static x => { /*!*/H.E += static _ => { }; return x; }", "static class H { public static event Action<int>? E { add { } remove { } } }",
            "lambda \u2192 subscribes to event 'H.E'");
        yield return Impure("indexer setter on a shared object", "int", "static x => { /*!*/H.G[0] = x; return x; }", "sealed class Grid { public int this[int i] { get => 0; set { } } } static class H { public static readonly Grid G = new(); }",
            "lambda \u2192 writes an element of 'H.G', which was not created inside the degrader");

        // User-defined operators the compiler picks from the context.
        yield return Impure("user-defined checked operator in a checked expression", "M", "static m => checked(m + m)", """
            readonly struct M
            {
                public static int N;
                public readonly int V;
                public M(int v) => V = v;
                public static M operator +(M a, M b) => new(a.V + b.V);
                public static M operator checked +(M a, M b) { /*!*/N++; return new(checked(a.V + b.V)); }
            }
            """, "lambda \u2192 op_CheckedAddition \u2192 writes static field 'M.N'");
        yield return Impure("user-defined explicit conversion in a cast", "double", "static d => ((Meters)d).V", """
            readonly struct Meters
            {
                public static int N;
                public readonly double V;
                public Meters(double v) => V = v;
                public static explicit operator Meters(double d) { /*!*/N++; return new(d); }
            }
            """, "lambda \u2192 op_Explicit \u2192 writes static field 'Meters.N'");
        yield return Impure("user-defined increment operator", "M", "static m => { m++; return m; }",
            "readonly struct M { public static int N; public readonly int V; public M(int v) => V = v; public static M operator ++(M a) { /*!*/N++; return new(a.V + 1); } }",
            "lambda \u2192 op_Increment \u2192 writes static field 'M.N'");

        // Known-impure APIs however they are named.
        yield return Impure("DateTime.Now through using static", "long", "static x => x + /*!*/Now.Ticks", "using static System.DateTime;",
            "lambda \u2192 reads the clock ('DateTime.Now')");
        yield return Impure("Console.WriteLine through using static", "int", "static x => { /*!*/WriteLine(x); return x; }", "using static System.Console;",
            "lambda \u2192 performs console I/O ('Console.WriteLine')");
        yield return Impure("Guid.NewGuid in a nested lambda", "Guid", "static g => new[] { 1 }.Select(_ => /*!*/Guid.NewGuid()).First()", "",
            "lambda \u2192 creates a random GUID ('Guid.NewGuid')");
        yield return Impure("Stopwatch.GetTimestamp", "long", "static x => x + /*!*/System.Diagnostics.Stopwatch.GetTimestamp()", "", "lambda \u2192 reads the clock ('Stopwatch.GetTimestamp')");
        yield return Impure("Task.Run blocked on", "int", "static x => /*!*/Task.Run(() => x).Result", "", "lambda \u2192 schedules a task ('Task.Run')");
        yield return Impure("HttpClient created and disposed", "int", "static x => { using var c = /*!*/new System.Net.Http.HttpClient(); return x; }", "", "lambda \u2192 performs network I/O ('new HttpClient')");
        yield return Impure("lock on a new System.Threading.Lock", "int", "static x => { /*!*/lock (new System.Threading.Lock()) { return x; } }", "", "lambda \u2192 takes a lock");
        yield return Impure("Interlocked on the degrader's own local", "int", "static x => { var n = x; /*!*/System.Threading.Interlocked.Increment(ref n); return n; }", "",
            "lambda \u2192 performs an interlocked operation ('Interlocked.Increment')");
        yield return Impure("ArrayPool.Shared", "int", "static x => /*!*/System.Buffers.ArrayPool<int>.Shared.Rent(x).Length", "",
            "lambda \u2192 calls 'ArrayPool.Rent', which has no body to prove");
        yield return Impure("Process.GetCurrentProcess", "int", "static x => x + /*!*/System.Diagnostics.Process.GetCurrentProcess().Id", "",
            "lambda \u2192 starts or inspects a process ('Process.Id')");
        yield return Impure("await in a static local function blocked on", "int", "static x => { return F(x).Result; static async Task<int> F(int v) { /*!*/await Task.Yield(); return v; } }", "",
            "lambda \u2192 F \u2192 awaits");
    }
}
