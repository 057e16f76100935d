using Microsoft.CodeAnalysis.Testing;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.JsonContextUnionAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXS0007 on generic types of the project: what System.Text.Json writes of <c>Page&lt;Order&gt;</c> is its members, so a
/// type argument used by no written member (a strongly typed id <c>EntityId&lt;Order&gt;</c>) reaches nothing, and a
/// class deriving from a collection (<c>OrderList : List&lt;Order&gt;</c>) is written as that collection.
/// </summary>
public sealed class JsonContextUnionGenericTests
{
    private const string Usings = """
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using Reactive.Streams;

        """;

    private static DiagnosticResult Rxs0007(int marker, string path) =>
        Verifier.Diagnostic("RXS0007").WithLocation(marker).WithArguments("Ctx", "Order", path).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);

    [Fact]
    public Task A_type_argument_that_no_written_member_uses_reaches_nothing() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed record EntityId<T>(string Value);

            public sealed class Envelope<T>
            {
                public string Kind { get; init; } = "";
                [JsonIgnore] public T? Payload { get; init; }
            }

            public sealed class Customer
            {
                public EntityId<Order>? LastOrder { get; init; }
            }

            [JsonSerializable(typeof(Customer))]
            [JsonSerializable(typeof(Envelope<Order>))]
            public partial class Ctx : JsonSerializerContext;
            """ + JsonContextUnionAnalyzerTests.Union);

    [Fact]
    public Task A_generic_type_of_the_project_is_walked_through_its_members_and_its_collection_base() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed class Page<T>
            {
                public List<T> Items { get; init; } = new();
            }

            public sealed class OrderList : List<Order>;

            [{|#0:JsonSerializable(typeof(Page<Order>))|}]
            [{|#1:JsonSerializable(typeof(OrderList))|}]
            public partial class Ctx : JsonSerializerContext;
            """ + JsonContextUnionAnalyzerTests.Union,
            Rxs0007(0, " through 'Page.Items'"),
            Rxs0007(1, ""));
}
