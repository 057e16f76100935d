using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// Collections a degrader creates and fills itself (pure, whatever the local's declared type or how it got the new
/// object), and the framework's collection interfaces, whose mutators are effects on storage from outside.
/// </summary>
internal static partial class PurityCorpus
{
    private static IEnumerable<PurityCase> CreatedInside()
    {
        yield return Pure("local list filled in a loop", "int[]", "static xs => { var items = new List<int>(); foreach (var x in xs) items.Add(x * 2); return items.ToArray(); }");
        yield return Pure("local list held as IList", "int[]", "static xs => { IList<int> items = new List<int>(); items.Add(1); return items.ToArray(); }");
        yield return Pure("local list held as ICollection", "int[]", "static xs => { ICollection<int> items = new List<int>(); items.Add(1); return items.ToArray(); }");
        yield return Pure("local dictionary held as IDictionary, written", "int", "static x => { IDictionary<int, int> d = new Dictionary<int, int>(); d[x] = 1; d.Add(2, 3); return d.Count; }");
        yield return Pure("local list created with target-typed new", "int[]", "static xs => { List<int> items = new(); items.Add(1); return items.ToArray(); }");
        yield return Pure("local list declared then assigned", "int[]", "static xs => { List<int> items; items = new List<int>(); items.Add(1); return items.ToArray(); }");
        yield return Pure("local list written through another local", "int[]", "static xs => { var items = new List<int>(); var same = items; same.Add(1); return items.ToArray(); }");
        yield return Pure("local list added to in a nested lambda", "int[]", "static xs => { var items = new List<int>(); Array.ForEach(xs, x => items.Add(x)); return items.ToArray(); }");
        yield return Pure("local list from ToList or new", "List<int>", "static xs => { var items = xs?.ToList() ?? new List<int>(); items.Add(1); return items; }");
        yield return Pure("local list from either of two creations", "int", "static x => { var items = x > 0 ? new List<int>() : new List<int>(4); items.Add(x); return items.Count; }");
        yield return Pure("local HashSet, Queue, Stack, LinkedList and SortedDictionary", "int", "static x => { var s = new HashSet<int>(); s.Add(x); var q = new Queue<int>(); q.Enqueue(x); var st = new Stack<int>(); st.Push(x); var ll = new LinkedList<int>(); ll.AddLast(x); var sd = new SortedDictionary<int,int>(); sd[x] = x; return s.Count + q.Count + st.Count + ll.Count + sd.Count; }");
        yield return Pure("local list in a method group degrader", "int[]", "H.Double", """
            static class H { public static int[] Double(int[] xs) { var items = new List<int>(xs.Length); foreach (var x in xs) { items.Add(x * 2); } return items.ToArray(); } }
            """);
        yield return Pure("local list in a record's instance method", "R", "static r => r.Doubled()", """
            sealed record R(int[] Xs) { public R Doubled() { var items = new List<int>(); foreach (var x in Xs) items.Add(x * 2); return this with { Xs = items.ToArray() }; } }
            """);
        yield return Pure("local list with a collection initializer then added to", "int[]", "static xs => { var items = new List<int> { 1, 2 }; items.Add(3); return items.ToArray(); }");
        yield return Pure("local list sorted, reversed, cleared", "int", "static x => { var items = new List<int>(); for (var i = 0; i < x; i++) { items.Add(i); } items.Sort(); items.Reverse(); items.RemoveAt(0); items.Insert(0, 1); items.Clear(); return items.Count; }");
        yield return Pure("local list from Select ToList", "int", "static x => { var items = Enumerable.Range(0, x).Select(i => i).ToList(); items.Add(1); return items.Count; }");
        yield return Pure("local list of records filled from LINQ", "R[]", "static rs => { var kept = new List<R>(); foreach (var r in rs.Where(r => r.V > 0)) kept.Add(r with { V = r.V / 2 }); return kept.ToArray(); }", """
            sealed record R(int V);
            """);
        yield return Pure("local list in a switch section", "int", "static x => { switch (x) { case > 0: var l = new List<int>(); l.Add(x); return l.Count; default: return 0; } }");
        yield return Pure("local dictionary of new lists", "int", "static x => { var d = new Dictionary<int, List<int>>(); d[x] = new List<int>(); return d.Count; }");
        yield return Pure("local list handed to a helper that fills it", "int[]", "static xs => { var items = new List<int>(); H.Fill(items, xs); return items.ToArray(); }", """
            static class H { public static void Fill(List<int> items, int[] xs) { foreach (var x in xs) items.Add(x); } }
            """);
        yield return Pure("local list declared in a for initializer", "int", "static x => { var n = 0; for (var l = new List<int>(); n < x; n++) { l.Add(n); } return n; }");
        yield return Pure("local StringBuilder and list", "string", "static s => { var parts = new List<string>(); var sb = new StringBuilder(); parts.Add(s); sb.AppendJoin(',', parts); return sb.ToString(); }");
        yield return Pure("local ImmutableArray builder", "int", "static x => { var b = ImmutableArray.CreateBuilder<int>(); b.Add(x); return b.Count; }");
        yield return Pure("enumerator of a local list in a using declaration", "int", "static x => { using var e = new List<int> { x }.GetEnumerator(); return e.MoveNext() ? e.Current : 0; }");
        yield return Pure("local list AddRange and RemoveAll", "int", "static x => { var l = new List<int>(); l.AddRange(new[] { x, x }); l.RemoveAll(v => v > 3); return l.Count; }");
        yield return Pure("local dictionary counting", "string", "static s => { var counts = new Dictionary<char, int>(); foreach (var c in s) { counts.TryGetValue(c, out var n); counts[c] = n + 1; } return string.Join(',', counts.Select(kv => kv.Key + \"=\" + kv.Value)); }");
        yield return Pure("local array filled in a loop", "int[]", "static xs => { var copy = new int[xs.Length]; for (var i = 0; i < xs.Length; i++) copy[i] = xs[i] / 2; return copy; }");
        yield return Pure("local list matched by a pattern", "int", "static x => { object o = new List<int>(); if (o is List<int> l) { return l.Count; } return 0; }");
        yield return Pure("local list from a deconstructed tuple", "int", "static x => { var (n, list) = (x, new List<int>()); list.Add(n); return list.Count; }");
        yield return Pure("local lists from a nested deconstruction", "int", "static x => { List<int> a, b; (a, (b, _)) = (new List<int>(), (new List<int>(), x)); a.Add(x); b.Add(x); return a.Count + b.Count; }");
        yield return Impure("local list deconstructed from a parameter", "List<int>", "static xs => { var (n, list) = (1, xs); /*!*/list.Add(n); return list; }", "",
            "lambda \u2192 mutates 'list' ('List.Add'), which was not created inside the degrader");
        yield return Impure("local list deconstructed from a call", "List<int>", "static xs => { var (n, list) = H.Pair(xs); /*!*/list.Add(n); return list; }", """
            static class H { public static (int, List<int>) Pair(List<int> xs) => (1, xs); }
            """, "lambda \u2192 mutates 'list' ('List.Add'), which was not created inside the degrader");
        yield return Impure("IList parameter added to", "IList<int>", "static xs => { /*!*/xs.Add(1); return xs; }", "",
            "lambda \u2192 mutates 'xs' ('ICollection.Add'), which was not created inside the degrader");
        yield return Impure("ICollection field added to", "int", "static x => { /*!*/Probe.Seen.Add(x); return x; }", """
            sealed partial class Probe { internal static readonly ICollection<int> Seen = new List<int>(); }
            """, "lambda \u2192 mutates 'Probe.Seen' ('ICollection.Add'), which was not created inside the degrader");
        yield return Impure("IDictionary field removed from", "int", "static x => { /*!*/Probe.Seen.Remove(x); return x; }", """
            sealed partial class Probe { internal static readonly IDictionary<int, int> Seen = new Dictionary<int, int>(); }
            """, "lambda \u2192 mutates 'Probe.Seen' ('IDictionary.Remove'), which was not created inside the degrader");
        yield return Pure("IReadOnlyDictionary field read", "int", "static x => Probe.Table.TryGetValue(x, out var v) ? v : x", """
            sealed partial class Probe { internal static readonly IReadOnlyDictionary<int, int> Table = new Dictionary<int, int>(); }
            """);
    }
}
