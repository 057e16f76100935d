using Microsoft.CodeAnalysis.Testing;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.JsonContextUnionAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXS0007 on what System.Text.Json reads and writes beyond classes with getters: a type of the project that implements
/// <c>IEnumerable&lt;T&gt;</c> without deriving from a collection is written as a collection of <c>T</c> (its elements,
/// not its members), and a property with a setter only is read (the union in it could not be).
/// </summary>
public sealed class JsonContextUnionCollectionTests
{
    private const string Usings = """
        using System.Collections;
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using Reactive.Streams;

        """;

    private static DiagnosticResult Rxs0007(int marker, string path) =>
        Verifier.Diagnostic("RXS0007").WithLocation(marker).WithArguments("Ctx", "Order", path).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);

    [Fact]
    public Task A_type_of_the_project_implementing_IEnumerable_of_the_union_is_walked_as_a_collection() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed class History : IEnumerable<Order>
            {
                private readonly List<Order> _items = new();

                public void Add(Order order) => _items.Add(order);

                public IEnumerator<Order> GetEnumerator() => _items.GetEnumerator();

                IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
            }

            public sealed class Ledger : IReadOnlyDictionary<string, Order>
            {
                private readonly Dictionary<string, Order> _items = new();

                public Order this[string key] => _items[key];
                public IEnumerable<string> Keys => _items.Keys;
                public IEnumerable<Order> Values => _items.Values;
                public int Count => _items.Count;
                public bool ContainsKey(string key) => _items.ContainsKey(key);
                public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Order value) => _items.TryGetValue(key, out value);
                public IEnumerator<KeyValuePair<string, Order>> GetEnumerator() => _items.GetEnumerator();
                IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
            }

            public sealed class Shop
            {
                public History Orders { get; init; } = new();
            }

            [{|#0:JsonSerializable(typeof(History))|}]
            [{|#1:JsonSerializable(typeof(Ledger))|}]
            [{|#2:JsonSerializable(typeof(Shop))|}]
            public partial class Ctx : JsonSerializerContext;
            """ + JsonContextUnionAnalyzerTests.Union,
            Rxs0007(0, string.Empty),
            Rxs0007(1, string.Empty),
            Rxs0007(2, " through 'Shop.Orders'"));

    // System.Text.Json writes a collection's elements and nothing else: a property of the collection class is not written.
    [Fact]
    public Task The_members_of_a_collection_of_the_project_are_not_written() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed class Names : IEnumerable<string>
            {
                public Order? Last { get; init; }

                public IEnumerator<string> GetEnumerator() { yield break; }

                IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
            }

            [JsonSerializable(typeof(Names))]
            public partial class Ctx : JsonSerializerContext;
            """ + JsonContextUnionAnalyzerTests.Union);

    // A public setter without a getter: the context reads the member, and reading a union it sees no converter for fails.
    [Fact]
    public Task A_set_only_property_is_walked() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed class Inbox
            {
                private Order? _last;

                public Order? Last { set => _last = value; }

                public bool HasLast => _last is not null;
            }

            [{|#0:JsonSerializable(typeof(Inbox))|}]
            public partial class Ctx : JsonSerializerContext;
            """ + JsonContextUnionAnalyzerTests.Union,
            Rxs0007(0, " through 'Inbox.Last'"));
}
