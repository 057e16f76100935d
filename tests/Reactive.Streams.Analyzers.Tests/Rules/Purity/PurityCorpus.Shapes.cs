using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// Degrader shapes beyond the first corpus: generic math, checked arithmetic, tuples and list patterns, spans and local
/// storage, ref locals, formatting and interpolation, records' generated members, implicit calls (Deconstruct, foreach,
/// using), compiled method groups and unsafe code, each with the verdict the rule page gives.
/// </summary>
internal static partial class PurityCorpus
{
    private static IEnumerable<PurityCase> Shapes()
    {
        // Generic math and numerics.
        const string GenericMath = """
            static class GM
            {
                public static T Half<T>(T x) where T : System.Numerics.INumber<T> => x / (T.One + T.One);
            }
            """;
        yield return Pure("generic math operators and constants", "int", "static x => GM.Half(x)", GenericMath);
        yield return Pure("unchecked expression", "int", "static x => unchecked(x * 31 + 7)");
        yield return Pure("checked block", "int", "static x => { checked { var y = x + 1; return y * 2; } }");
        yield return Pure("tuple swap of locals", "int", "static x => { var a = x; var b = 1; (a, b) = (b, a); return a - b; }");
        yield return Pure("tuple element of a parameter copy written", "(int, string)", "static t => { t.Item1 = 0; return t; }");
        yield return Pure("named tuple local written", "int", "static x => { (int Lo, int Hi) r = (x, x); r.Hi++; return r.Hi; }");
        yield return Pure("list pattern with slice", "int[]", "static xs => xs switch { [] => xs, [var a] => new[] { a }, [_, .. var rest] => rest }");
        yield return Pure("list pattern on a list", "List<int>", "static xs => xs is [_, _, ..] ? xs.GetRange(0, 2) : xs");
        yield return Pure("array range", "int[]", "static xs => xs.Length > 1 ? xs[1..] : xs");
        yield return Pure("switch statement with when clauses", "object", "static o => { switch (o) { case int n when n > 0: return n - 1; case string { Length: 0 }: return \"-\"; default: return o; } }");
        yield return Pure("relational and logical patterns", "double", "static x => x is >= 0 and <= 1 or double.NaN ? 0 : x");

        // Spans and local storage.
        yield return Pure("stackalloc slice filled", "int", "static x => { Span<int> s = stackalloc int[4]; s.Slice(1).Fill(x); return s[1]; }");
        yield return Pure("stackalloc range filled", "int", "static x => { Span<int> s = stackalloc int[4]; s[1..].Fill(x); return s[2]; }");
        yield return Pure("span local sliced from stackalloc written", "int", "static x => { Span<int> s = stackalloc int[4]; Span<int> t = s.Slice(2); t[0] = x; return s[2]; }");
        yield return Pure("collection expression into a span written", "int", "static x => { Span<int> s = [x, 1, 2]; s[0] = 3; s.Reverse(); return s[0]; }");
        yield return Pure("BitConverter into a stackalloc span", "int", "static x => { Span<byte> b = stackalloc byte[4]; BitConverter.TryWriteBytes(b, x); return BitConverter.ToInt32(b); }");
        yield return Impure("BitConverter into a parameter array", "byte[]", "static xs => { /*!*/BitConverter.TryWriteBytes(xs, 1); return xs; }", "",
            "lambda \u2192 mutates 'xs' ('BitConverter.TryWriteBytes'), which was not created inside the degrader");
        yield return Impure("TryFormat into a parameter array", "char[]", "static cs => { /*!*/42.TryFormat(cs, out _); return cs; }", "",
            "lambda \u2192 mutates 'cs' ('Int32.TryFormat'), which was not created inside the degrader");
        yield return Impure("string CopyTo into a parameter array", "char[]", "static cs => { /*!*/\"ab\".CopyTo(0, cs, 0, 2); return cs; }", "",
            "lambda \u2192 mutates 'cs' ('String.CopyTo'), which was not created inside the degrader");
        yield return Pure("string.Create", "string", "static s => string.Create(s.Length, s, static (span, st) => { st.AsSpan().CopyTo(span); span.Reverse(); })");
        yield return Pure("ToCharArray reversed", "string", "static s => { var cs = s.ToCharArray(); Array.Reverse(cs); return new string(cs); }");
        yield return Pure("Split result written", "string", "static s => { var parts = s.Split(','); parts[0] = \"x\"; return string.Join(\",\", parts); }");
        yield return Pure("cloned array written", "int[]", "static xs => { var copy = (int[])xs.Clone(); copy[0] = 0; return copy; }");
        yield return Pure("ImmutableArray builder created inside", "ImmutableArray<int>", "static a => { var b = ImmutableArray.CreateBuilder<int>(); b.AddRange(a); b.Add(0); return b.ToImmutable(); }");
        yield return Pure("ImmutableArray ToBuilder", "ImmutableArray<int>", "static a => { var b = a.ToBuilder(); b.RemoveAt(0); return b.ToImmutable(); }");
        yield return Pure("ImmutableList builder", "ImmutableList<int>", "static a => { var b = a.ToBuilder(); b.Add(1); return b.ToImmutable(); }");
        yield return Pure("local list from a ToList written", "List<int>", "static xs => { var l = xs.ToList(); l.Add(1); return l; }");
        yield return Impure("field list mutated", "int", "/*!*/x => { _seen.Add(x); return x; }", """
            sealed partial class Probe { private readonly List<int> _seen = new(); }
            """, "lambda \u2192 mutates '_seen' ('List.Add'), which was not created inside the degrader");
        yield return Pure("dictionary lookups on a parameter", "Dictionary<string, int>", "static d => d.TryGetValue(\"k\", out var v) && d.ContainsKey(\"j\") ? new Dictionary<string, int> { [\"k\"] = v + d.GetValueOrDefault(\"j\") } : d");

        yield return Impure("array stored in a dictionary parameter written", "Dictionary<string, int[]>", "static d => { var a = d.GetValueOrDefault(\"k\")!; /*!*/a[0] = 1; return d; }", "",
            "lambda \u2192 writes an element of array 'a', which was not created inside the degrader");
        yield return Impure("slice of a parameter array written", "int[]", "static xs => { Span<int> t = xs.AsSpan(1); /*!*/t[0] = 1; return xs; }", "",
            "lambda \u2192 writes an element of 't', which was not created inside the degrader");
        yield return Impure("string.Create action writing a static", "string", "static s => string.Create(s.Length, s, static (span, st) => { /*!*/Holder.Count++; st.AsSpan().CopyTo(span); })",
            "static class Holder { public static int Count; }", "lambda \u2192 writes static field 'Holder.Count'");
        yield return Impure("BitConverter into a slice of a parameter", "byte[]", "static xs => { /*!*/BitConverter.TryWriteBytes(xs.AsSpan(2), 1); return xs; }", "",
            "lambda \u2192 mutates 'xs.AsSpan(2)' ('BitConverter.TryWriteBytes'), which was not created inside the degrader");

        // ref, in, out.
        yield return Pure("ref local to a local", "int", "static x => { var a = x; ref var r = ref a; r = a * 2; return a; }");
        yield return Pure("ref local to an element of a new array", "int", "static x => { var arr = new int[2]; ref var r = ref arr[0]; r = x; return arr[0]; }");
        yield return Impure("ref local to a static field", "int", "static x => { ref var r = ref Holder.Count; /*!*/r = x; return x; }", "static class Holder { public static int Count; }",
            "lambda \u2192 writes through ref local 'r'");
        yield return Impure("ref local rebound to a static field", "int", "static x => { var a = x; ref var r = ref a; r = ref Holder.Count; /*!*/r = x; return a; }", "static class Holder { public static int Count; }",
            "lambda \u2192 writes through ref local 'r'");
        yield return Impure("ref return to a static field written", "int", "static x => { /*!*/H.Slot() = x; return x; }", """
            static class H { static int s_slot; public static ref int Slot() => ref s_slot; }
            """, "lambda \u2192 writes 'H.Slot()'");
        yield return Pure("in parameter", "P", "static p => new P(H.Sum(in p), 0)", """
            readonly record struct P(int X, int Y);
            static class H { public static int Sum(in P p) => p.X + p.Y; }
            """);
        yield return Pure("out into a local from a BCL call", "string", "static s => double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var d) ? (d / 2).ToString(System.Globalization.CultureInfo.InvariantCulture) : s");

        // Local functions and lambdas.
        yield return Pure("local function capturing the degrader's locals", "int", "static x => { var k = 2; var n = 0; Bump(); return x * k + n; void Bump() => n++; }");
        yield return Impure("local function reading a captured field", "int", "x => { return F(x); int F(int y) => y + /*!*/_bias; }", """
            sealed partial class Probe { int _bias = 1; }
            """, "lambda \u2192 F \u2192 reads captured field 'Probe._bias'");
        yield return Impure("local function writing a static", "int", "static x => { F(); return x; static void F() => /*!*/Holder.Count++; }", "static class Holder { public static int Count; }",
            "lambda \u2192 F \u2192 writes static field 'Holder.Count'");

        // Method groups and metadata.
        yield return Impure("metadata method group doing file I/O", "string", "/*!*/System.IO.File.ReadAllText", "",
            "ReadAllText \u2192 performs file I/O ('File.ReadAllText')");
        yield return Impure("metadata method group reading the environment", "string", "/*!*/Environment.ExpandEnvironmentVariables", "",
            "ExpandEnvironmentVariables \u2192 reads the environment ('Environment.ExpandEnvironmentVariables')");
        yield return Impure("metadata method group not known to be pure", "string", "/*!*/System.IO.Path.GetFullPath", "",
            "GetFullPath \u2192 calls 'Path.GetFullPath', which is not known to be pure");
        yield return Pure("metadata method group known pure", "int", "Math.Abs");
        yield return Pure("string method group", "string", "string.Intern");
        yield return Impure("instance method group reading a field", "int", "Scale", """
            sealed partial class Probe { int _k = 2; int Scale(int x) => x * /*!*/_k; }
            """, "Scale \u2192 reads captured field 'Probe._k'");
        yield return Pure("instance method group not touching this", "int", "Halve", "sealed partial class Probe { int Halve(int x) => x / 2; }");

        // BCL.
        yield return Pure("FormattableString.Invariant", "double", "static x => double.Parse(FormattableString.Invariant($\"{x:F2}\"), System.Globalization.CultureInfo.InvariantCulture)");
        yield return Pure("Enum methods", "DayOfWeek", "static d => Enum.GetName(d) is { } n && Enum.TryParse<DayOfWeek>(n, out var p) && p.HasFlag(DayOfWeek.Monday) ? p : d");
        yield return Impure("TimeProvider", "DateTimeOffset", "/*!*/static t => TimeProvider.System.GetUtcNow()", "", "lambda \u2192 reads the clock ('TimeProvider.GetUtcNow')");
        yield return Impure("Stopwatch.StartNew", "long", "/*!*/static t => System.Diagnostics.Stopwatch.StartNew().ElapsedTicks", "", "lambda \u2192 reads the clock ('Stopwatch.ElapsedTicks')");
        yield return Impure("new Random", "int", "/*!*/static x => new Random(x).Next()", "", "lambda \u2192 uses randomness ('Random.Next')");
        yield return Impure("DateTime.Today", "DateTime", "/*!*/static d => DateTime.Today", "", "lambda \u2192 reads the clock ('DateTime.Today')");
        yield return Impure("Environment.ProcessorCount", "int", "/*!*/static x => x / Environment.ProcessorCount", "", "lambda \u2192 reads the environment ('Environment.ProcessorCount')");
        yield return Impure("Console.Error", "int", "static x => { /*!*/Console.Error.WriteLine(x); return x; }", "", "lambda \u2192 performs stream I/O ('TextWriter.WriteLine')");
        yield return Impure("Trace.WriteLine", "int", "static x => { /*!*/System.Diagnostics.Trace.WriteLine(x); return x; }", "", "lambda \u2192 writes diagnostics output ('Trace.WriteLine')");
        yield return Impure("Debug.Assert", "int", "static x => { /*!*/System.Diagnostics.Debug.Assert(x > 0); return x; }", "", "lambda \u2192 writes diagnostics output ('Debug.Assert')");
        yield return Impure("Volatile.Read of a static", "int", "/*!*/static x => System.Threading.Volatile.Read(ref Holder.Count) + x", "static class Holder { public static int Count; }",
            "lambda \u2192 performs a volatile access ('Volatile.Read')");
        yield return Impure("Interlocked on a local", "int", "static x => { var n = x; /*!*/System.Threading.Interlocked.Increment(ref n); return n; }", "",
            "lambda \u2192 performs an interlocked operation ('Interlocked.Increment')");
        yield return Impure("lock on a new object", "int", "static x => { /*!*/lock (new object()) { return x; } }", "", "lambda \u2192 takes a lock");
        yield return Pure("Lazy value of a static readonly", "int", "static x => Cache.L.Value + x", "static class Cache { public static readonly Lazy<int> L = new(() => 3); }");
        yield return Pure("mutable static field read", "int", "static x => x + Holder.Count", "static class Holder { public static int Count; }");
        yield return Pure("exception thrown", "int", "static x => x >= 0 ? x : throw new InvalidOperationException(nameof(x))");
        yield return Pure("exception of the compilation thrown", "int", "static x => x >= 0 ? x : throw new BadValue(x)", "sealed class BadValue(int v) : Exception(v.ToString());");

        // Records, structs, dispatch.
        yield return Pure("struct copy mutated", "Pt", "static p => { var q = p; q.X++; return q; }", "public struct Pt { public int X; }");
        yield return Pure("readonly struct method", "Pt", "static p => p.Moved(1)", "public readonly struct Pt { public readonly int X; public Pt(int x) => X = x; public Pt Moved(int d) => new(X + d); }");
        yield return Pure("static interface method with a body", "int", "static x => IH.Twice(x)", "interface IH { static int Twice(int x) => x * 2; }");

        // Implicit calls.
        yield return Pure("unimplemented partial method call is removed", "int", "static x => P.Scale(x)", """
            static partial class P
            {
                static partial void OnScaled(int x);
                public static int Scale(int x) { OnScaled(x); return x / 2; }
            }
            """);
        yield return Impure("user Deconstruct with an effect", "Pair", "static p => { var (a, b) = p; return new Pair { A = b, B = a }; }", """
            sealed class Pair
            {
                public static int N;
                public int A, B;
                public void Deconstruct(out int a, out int b) { /*!*/N++; a = A; b = B; }
            }
            """, "lambda \u2192 Deconstruct \u2192 writes static field 'Pair.N'");
        yield return Impure("foreach over a user enumerator with an effect", "int", "static x => { var s = 0; foreach (var i in new Bag()) { s += i; } return s + x; }", """
            sealed class Bag
            {
                public static int N;
                public Enumerator GetEnumerator() { /*!*/N++; return new Enumerator(); }
                public struct Enumerator { int _i; public int Current => _i; public bool MoveNext() => ++_i < 3; }
            }
            """, "lambda \u2192 GetEnumerator \u2192 writes static field 'Bag.N'");
        yield return Impure("using a user disposable with an effect", "int", "static x => { using (var r = new Res()) { return x; } }", """
            sealed class Res : IDisposable { public static int Disposed; public void Dispose() => /*!*/Disposed++; }
            """, "lambda \u2192 Dispose \u2192 writes static field 'Res.Disposed'");
        yield return Impure("user operator true with an effect", "Flag", "static f => f ? f : default", """
            readonly struct Flag
            {
                public static int Tests;
                public static bool operator true(Flag f) { /*!*/Tests++; return true; }
                public static bool operator false(Flag f) => false;
            }
            """, "lambda \u2192 op_True \u2192 writes static field 'Flag.Tests'");
        yield return Impure("indexer getter with an effect", "int", "static x => new Grid()[x]", """
            sealed class Grid { public static int Reads; public int this[int i] { get { /*!*/Reads++; return i; } } }
            """, "lambda \u2192 this[] \u2192 writes static field 'Grid.Reads'");
        yield return Impure("implicit conversion with an effect", "Celsius", "static c => c.V > 0 ? c : 0.0", """
            readonly record struct Celsius(double V)
            {
                public static int Made;
                public static implicit operator Celsius(double d) { /*!*/Made++; return new(d); }
            }
            """, "lambda \u2192 op_Implicit \u2192 writes static field 'Celsius.Made'");

        yield return Pure("deconstruction, foreach and using over pure members of the compilation", "int", "static x => { var (a, b) = new Pair(x, 1); var s = 0; foreach (var i in new Bag()) { s += i; } foreach (var (c, d) in new[] { new Pair(1, 2) }) { s += c + d; } using (var r = new Res()) { s++; } using var q = new Res(); return a + b + s; }", """
            sealed record Pair(int A, int B);
            sealed class Bag
            {
                public Enumerator GetEnumerator() => new();
                public struct Enumerator { int _i; public int Current => _i; public bool MoveNext() => ++_i < 3; }
            }
            sealed class Res : IDisposable { bool _done; public void Dispose() => _done = true; }
            """);

        // Formatting calls the compiler makes: interpolation and concatenation call the value's ToString (or the
        // IFormattable/ISpanFormattable members).
        yield return Impure("interpolated value with an impure ToString", "W", "static w => $\"{w}\".Length > 0 ? w : w", """
            sealed class W { public static int N; public override string ToString() { /*!*/N++; return "w"; } }
            """, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Impure("interpolated value with an impure IFormattable.ToString", "W", "static w => $\"{w,5:x}\".Length > 0 ? w : w", """
            sealed class W : IFormattable
            {
                public static int N;
                public string ToString(string? f, IFormatProvider? p) { /*!*/N++; return "w"; }
            }
            """, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Impure("interpolated value with an impure TryFormat", "W", "static w => $\"{w}\".Length > 0 ? w : w", """
            readonly struct W : ISpanFormattable
            {
                public static int N;
                public string ToString(string? f, IFormatProvider? p) => "w";
                public bool TryFormat(Span<char> d, out int n, ReadOnlySpan<char> f, IFormatProvider? p) { /*!*/N++; n = 0; return true; }
            }
            """, "lambda \u2192 TryFormat \u2192 writes static field 'W.N'");
        yield return Impure("concatenated value with an impure ToString", "W", "static w => (\"a\" + w).Length > 0 ? w : w", """
            sealed class W { public static int N; public override string ToString() { /*!*/N++; return "w"; } }
            """, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Impure("interpolated value handed to a handler with an impure ToString", "W", "static w => { var b = new StringBuilder(); b.Append($\"{w}\"); return w; }", """
            sealed class W { public static int N; public override string ToString() { /*!*/N++; return "w"; } }
            """, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Pure("interpolated values with pure formatting", "W", "static w => $\"{w}{w,3:x}{1.5:F2}{DateTime.MinValue}\" + w + 2 == \"\" ? w : w", """
            sealed class W : IFormattable { public override string ToString() => "w"; public string ToString(string? f, IFormatProvider? p) => f ?? ""; }
            """);

        // Members the compiler generates for records run the members the user declared.
        yield return Impure("record ToString with a user PrintMembers", "R", "static r => r.ToString().Length > 0 ? r : r", """
            sealed record R(int X)
            {
                public static int N;
                private bool PrintMembers(StringBuilder b) { /*!*/N++; return false; }
            }
            """, "lambda \u2192 PrintMembers \u2192 writes static field 'R.N'");
        yield return Impure("record interpolated with a user PrintMembers", "R", "static r => $\"{r}\".Length > 0 ? r : r", """
            sealed record R(int X)
            {
                public static int N;
                private bool PrintMembers(StringBuilder b) { /*!*/N++; return false; }
            }
            """, "lambda \u2192 PrintMembers \u2192 writes static field 'R.N'");
        yield return Impure("record ToString reading a property with an impure getter", "R", "static r => r.ToString().Length > 0 ? r : r", """
            sealed record R(int X)
            {
                public static int N;
                public int Y { get { /*!*/N++; return X; } }
            }
            """, "lambda \u2192 Y \u2192 writes static field 'R.N'");
        yield return Impure("record with and a user copy constructor", "R", "static r => r with { X = 1 }", """
            record R(int X)
            {
                public static int N;
                protected R(R other) { /*!*/N++; X = other.X; }
            }
            """, "lambda \u2192 R \u2192 writes static field 'R.N'");
        yield return Impure("record == with a user Equals", "R", "static r => r == new R(1) ? r : r", """
            sealed record R(int X)
            {
                public static int N;
                public bool Equals(R? other) { /*!*/N++; return other is not null && other.X == X; }
                public override int GetHashCode() => X;
            }
            """, "lambda \u2192 Equals \u2192 writes static field 'R.N'");
        yield return Impure("record Equals(object) with a user Equals", "R", "static r => r.Equals((object)new R(1)) ? r : r", """
            sealed record R(int X)
            {
                public static int N;
                public bool Equals(R? other) { /*!*/N++; return other is not null && other.X == X; }
                public override int GetHashCode() => X;
            }
            """, "lambda \u2192 Equals \u2192 writes static field 'R.N'");
        yield return Impure("record != with a user Equals", "R", "static r => r != new R(1) ? r : r", """
            sealed record R(int X)
            {
                public static int N;
                public bool Equals(R? other) { /*!*/N++; return other is not null && other.X == X; }
                public override int GetHashCode() => X;
            }
            """, "lambda \u2192 Equals \u2192 writes static field 'R.N'");
        yield return Impure("record GetHashCode declared by the user", "R", "static r => r.GetHashCode() > 0 ? r : r", """
            sealed record R(int X)
            {
                public static int N;
                public override int GetHashCode() { /*!*/N++; return X; }
            }
            """, "lambda \u2192 GetHashCode \u2192 writes static field 'R.N'");
        yield return Impure("record ToString formatting a member with an impure ToString", "R", "static r => $\"{r}\".Length > 0 ? r : r", """
            sealed class W { public static int N; public override string ToString() { /*!*/N++; return "w"; } }
            sealed record R(W Value);
            """, "lambda \u2192 ToString \u2192 writes static field 'W.N'");
        yield return Impure("derived record with of a base with a user copy constructor", "D", "static d => d with { Y = 1 }", """
            record B(int X) { public static int N; protected B(B other) { /*!*/N++; X = other.X; } }
            sealed record D(int X, int Y) : B(X);
            """, "lambda \u2192 B \u2192 writes static field 'B.N'");
        yield return Pure("record generated members with pure user members", "R", "static r => r == (r with { X = 2 }) && r.Equals((object)r) && r.ToString() != $\"{r}\" && r.GetHashCode() > 0 ? r : r", """
            sealed record R(int X)
            {
                public int Y => X * 2;
                public bool Equals(R? other) => other is not null && other.X == X;
                public override int GetHashCode() => X;
                private bool PrintMembers(StringBuilder b) { b.Append(X); return true; }
            }
            """);

        // Tuple equality compares the elements with their operators.
        yield return Impure("tuple equality with a user operator ==", "M", "static m => (m, 1) == (m, 1) ? m : m", """
            sealed class M
            {
                public static int N;
                public static bool operator ==(M? a, M? b) { /*!*/N++; return true; }
                public static bool operator !=(M? a, M? b) => false;
                public override bool Equals(object? o) => true;
                public override int GetHashCode() => 0;
            }
            """, "lambda \u2192 op_Equality \u2192 writes static field 'M.N'");
        yield return Impure("tuple inequality with a user operator != in a nested tuple", "M", "static m => (1, (m, 2)) != (1, (m, 2)) ? m : m", """
            sealed class M
            {
                public static int N;
                public static bool operator ==(M? a, M? b) => true;
                public static bool operator !=(M? a, M? b) { /*!*/N++; return false; }
                public override bool Equals(object? o) => true;
                public override int GetHashCode() => 0;
            }
            """, "lambda \u2192 op_Inequality \u2192 writes static field 'M.N'");
        yield return Pure("tuple equality with pure operators", "M", "static m => (m, 1, \"a\") == (m, 1, \"a\") ? m : m", """
            sealed class M
            {
                public static bool operator ==(M? a, M? b) => true;
                public static bool operator !=(M? a, M? b) => false;
                public override bool Equals(object? o) => true;
                public override int GetHashCode() => 0;
            }
            """);

        // Generic math through a type parameter.
        yield return Pure("generic math static members through a type parameter", "int", "static x => GM.Clamp(x)", """
            static class GM
            {
                public static T Clamp<T>(T x) where T : System.Numerics.INumber<T>, System.Numerics.IMinMaxValue<T> =>
                    T.Max(T.Min(x, T.MaxValue), T.Zero) + T.CreateChecked(1) - T.One + (T.IsNegative(x) ? T.Abs(x) : x) * T.CreateChecked(T.Sign(x)) is var y && y.CompareTo(x) >= 0 && y.Equals(x) ? y : x;
            }
            """);
        yield return Pure("floating-point generic math through a type parameter", "double", "static x => GM.Round(x)", """
            static class GM
            {
                public static T Round<T>(T x) where T : System.Numerics.IFloatingPoint<T> => T.Round(T.Floor(x) + T.Ceiling(x)) / T.CreateTruncating(2);
            }
            """);

        // Unsafe.
        yield return Impure("pointer write to a static", "int", "static x => H.Poke(x)", """
            static unsafe class H { static int s_v; public static int Poke(int x) { fixed (int* p = &s_v) { /*!*/*p = x; } return x; } }
            """, "lambda \u2192 Poke \u2192 writes '*p'");
    }
}
