using static Reactive.Streams.Analyzers.Tests.Rules.Purity.PurityCase;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// Nested object and collection initializers (<c>new H { Items = { x }, Inner = { V = x } }</c>) write into the value of
/// a member of the new object: its own state when the member is a field or an auto-property, anything a getter with a
/// body hands out otherwise.
/// </summary>
internal static partial class PurityCorpus
{
    private static IEnumerable<PurityCase> Initializers()
    {
        yield return Impure("nested collection initializer adding to a shared list", "int", "static x => /*!*/new Holder { Items = { x } }.Items.Count", """
            static class Shared { public static readonly List<int> L = new(); }
            sealed class Holder { public List<int> Items => Shared.L; }
            """, "lambda \u2192 mutates 'Items' ('List.Add'), which was not created inside the degrader");
        yield return Impure("nested member initializer writing a shared object", "int", "static x => /*!*/new Outer { Inner = { V = x } }.Inner.V", """
            sealed class Inner { public int V; }
            static class Shared { public static readonly Inner I = new(); }
            sealed class Outer { public Inner Inner => Shared.I; }
            """, "lambda \u2192 writes field 'Inner.V'");
        yield return Pure("nested initializers of auto-properties and fields of a new object", "int", "static x => new Holder { Items = { x, 2 }, Inner = { V = x }, Named = { [\"a\"] = x } }.Items.Count", """
            sealed class Inner { public int V; }
            sealed class Holder
            {
                public List<int> Items { get; } = new();
                public readonly Inner Inner = new();
                public Dictionary<string, int> Named { get; set; } = new();
            }
            """);
    }
}
