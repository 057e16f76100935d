using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// Our generator and System.Text.Json's together, in memory, on a consumer's <c>JsonSerializerContext</c> used as is: the
/// union serializes only with a <c>[JsonConverter]</c> in its own declaration, and the generator never adds a second one.
/// </summary>
public sealed class UnionJsonContextCompilationTests
{
    private const string Probe = """
        public static class Probe
        {
            private static readonly Order s_order = new Order.Placed("o-1", new Address("1 Main St", "Springfield"));

            public static string ThroughContext() => JsonSerializer.Serialize(s_order, Ctx.Default.Order);

            public static string ThroughConverter()
                => JsonSerializer.Serialize(s_order, new JsonSerializerOptions { Converters = { new OrderJsonConverter() } });

            public static string RoundTrip()
                => (JsonSerializer.Deserialize(ThroughContext(), Ctx.Default.Order) == s_order).ToString();

            public static string Status() => JsonSerializer.Serialize<Status>(new Status.Open(), Ctx.Default.Status);
        }
        """;

    private static string Source(string orderAttribute, string statusAttribute = "") => $$"""
        #pragma warning disable CS1591
        using System.Text.Json;
        using System.Text.Json.Serialization;
        using Reactive.Streams;

        [EventUnion]
        {{orderAttribute}}
        public abstract partial record Order
        {
            public sealed record Placed(string Id, Address ShipTo) : Order;
            public sealed record Cancelled(string Id, string Reason) : Order;
        }

        [EventUnion]
        {{statusAttribute}}
        public abstract partial record Status
        {
            public sealed record Open : Status;
            public sealed record Closed : Status;
        }

        public sealed record Address(string Street, string City);

        [JsonSerializable(typeof(Order))]
        [JsonSerializable(typeof(Status))]
        [JsonSerializable(typeof(Address))]
        public partial class Ctx : JsonSerializerContext;

        {{Probe}}
        """;

    [Fact]
    public void With_EventUnionConverter_declared_a_context_used_as_is_writes_the_converters_bytes_and_reads_them_back()
    {
        var run = JsonGenerator.Run(Source(
            "[JsonConverter(typeof(EventUnionConverter<Order>))]",
            "[JsonConverter(typeof(EventUnionConverter<Status>))]"));

        Assert.Empty(JsonGenerator.Errors(run));
        var assembly = JsonGenerator.Load(run.Output);
        var json = JsonGenerator.Call(assembly, "ThroughContext");
        Assert.Equal("""{"type":"placed","id":"o-1","ship_to":{"Street":"1 Main St","City":"Springfield"}}""", json);
        Assert.Equal(JsonGenerator.Call(assembly, "ThroughConverter"), json);
        Assert.Equal("True", JsonGenerator.Call(assembly, "RoundTrip"));
        Assert.Equal("\"open\"", JsonGenerator.Call(assembly, "Status"));
    }

    [Fact]
    public void The_generator_adds_no_JsonConverter_to_a_union_that_declares_one()
    {
        var run = JsonGenerator.Run(Source(
            "[JsonConverter(typeof(EventUnionConverter<Order>))]",
            "[JsonConverter(typeof(StatusConverter))]") + """

            public sealed class StatusConverter : JsonConverter<Status>
            {
                public override Status Read(ref Utf8JsonReader reader, System.Type typeToConvert, JsonSerializerOptions options) => new Status.Open();
                public override void Write(Utf8JsonWriter writer, Status value, JsonSerializerOptions options) => writer.WriteStringValue("mine");
            }
            """);

        Assert.Empty(JsonGenerator.Errors(run));   // no CS0579
        Assert.All(run.Sources.Where(static s => s.Key.EndsWith(".EventUnion.g.cs", StringComparison.Ordinal)),
            static s => Assert.DoesNotContain("Serialization.JsonConverter(typeof(", s.Value, StringComparison.Ordinal));
        // The user's own converter is the user's choice, and it is the one used.
        Assert.Equal("\"mine\"", JsonGenerator.Call(JsonGenerator.Load(run.Output), "Status"));
    }

    [Fact]
    public void Without_a_declared_converter_a_context_used_as_is_writes_an_empty_object()
    {
        // The defect RXS0007 reports at compile time: System.Text.Json's generator cannot see the [JsonConverter] ours
        // adds, and treats the abstract union as an object with no properties.
        var run = JsonGenerator.Run(Source(string.Empty));

        Assert.Empty(JsonGenerator.Errors(run));
        Assert.Contains("JsonConverter(typeof(OrderJsonConverter))", run.Sources.Single(static s => s.Key.EndsWith("Order.EventUnion.g.cs", StringComparison.Ordinal)).Value, StringComparison.Ordinal);
        Assert.Equal("{}", JsonGenerator.Call(JsonGenerator.Load(run.Output), "ThroughContext"));
    }
}
