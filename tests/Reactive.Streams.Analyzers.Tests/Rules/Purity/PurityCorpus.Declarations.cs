using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// Pure degraders over the declarations of modern C#: primary constructors, <c>in</c> parameters,
/// partial and file-local types, nullable annotations, interpolation, generic methods, and anonymous methods.
/// </summary>
internal static partial class PurityCorpus
{
    private static IEnumerable<PurityCase> Declarations()
    {
        yield return Pure("primary constructor parameter read by a method", "int", "static x => new Scaler(2).Scale(x)", """
            sealed class Scaler(int factor) { public int Scale(int x) => x * factor; }
            """);
        yield return Pure("readonly struct passed with in", "V", "static v => H.Half(in v)", """
            readonly struct V { public V(int x) { X = x; } public int X { get; } }
            static class H { public static V Half(in V v) => new V(v.X / 2); }
            """);
        yield return Pure("method calling into another part of a partial class", "int", "static x => P2.A(x)", """
            static partial class P2 { public static int A(int x) => B(x) + 1; }
            static partial class P2 { static int B(int x) => x * 2; }
            """);
        yield return Pure("file-local type", "int", "static x => F.Twice(x)", """
            file static class F { public static int Twice(int x) => x * 2; }
            """);
        yield return Pure("nullable string trimmed", "string?", "static s => s?.Trim() ?? string.Empty");
        yield return Pure("record formatted in an interpolated string", "string", "static s => $\"{new R(s)}\"", """
            sealed record R(string S);
            """);
        yield return Pure("generic method constrained to IComparable", "int", "static x => H.Pick(x, 0)", """
            static class H { public static T Pick<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b) > 0 ? a : b; }
            """);
        yield return Pure("anonymous method", "int", "delegate (int x) { return x / 2; }");
    }
}
