using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// A union, a variant or a sink named like a BCL type or namespace, or like a member the generated converter inherits
/// (<c>JsonConverter&lt;T&gt;.Type</c>, <c>Read</c>, <c>Write</c>, ...): the generated code names everything it uses
/// fully qualified, so it compiles without a diagnostic, with payloads and without.
/// </summary>
public sealed class UnionBclNameTests
{
    public static TheoryData<string> Names => new()
    {
        "Type", "Read", "Write", "Create", "CreateUnknown", "WriteVariant", "SetShared", "CanConvert", "HandleNull",
        "ReadAsPropertyName", "WriteAsPropertyName", "FromWireText", "ToWireText",
        "Task", "ValueTask", "Action", "Func", "Object", "String", "Exception", "ArgumentNullException", "ArgumentException",
        "JsonException", "Utf8JsonReader", "Utf8JsonWriter", "JsonSerializerOptions", "JsonElement", "CancellationToken",
        "Nullable", "Enum", "IEventUnion", "EventUnion", "Attribute", "Array", "TimeProvider", "EqualityComparer",
        "System", "Reactive", "Text", "Json", "Threading", "Tasks", "Serialization", "CodeDom", "Collections",
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void A_union_named_like_a_BCL_type_or_an_inherited_converter_member_compiles_with_its_sink(string name)
    {
        foreach (var payload in new[] { "(string Id)", string.Empty })
        {
            var run = TestCompilation.Run($$"""
                #pragma warning disable CS1591
                using Reactive.Streams;
                namespace Shop;
                [EventUnion]
                public abstract partial record {{name}}
                {
                    public sealed record Placed{{payload}} : {{name}};
                    public sealed record Done{{payload}} : {{name}};
                }
                [StreamSink(typeof({{name}}))]
                [Backpressure(BackpressurePolicy.DropOldest)]
                public partial class OrderSink
                {
                    public void OnPlaced({{name}}.Placed item) { }
                    public void OnDone({{name}}.Done item) { }
                }
                """);

            Assert.Empty(run.GeneratorDiagnostics);
            UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_variant_named_like_a_BCL_type_compiles_with_its_sink(string name)
    {
        foreach (var payload in new[] { "(string Id)", string.Empty })
        {
            var run = TestCompilation.Run($$"""
                #pragma warning disable CS1591
                using Reactive.Streams;
                namespace Shop;
                [EventUnion]
                public abstract partial record Order
                {
                    public sealed record {{name}}{{payload}} : Order;
                    public sealed record Done{{payload}} : Order;
                }
                [StreamSink(typeof(Order))]
                [Backpressure(BackpressurePolicy.DropOldest)]
                public partial class OrderSink
                {
                    public void On{{name}}(Order.{{name}} item) { }
                    public void OnDone(Order.Done item) { }
                }
                """);

            Assert.Empty(run.GeneratorDiagnostics);
            UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
        }
    }

    [Theory]
    [InlineData("Name")]
    [InlineData("Policy")]
    [InlineData("Capacity")]
    [InlineData("Completion")]
    [InlineData("Options")]
    [InlineData("GetMetrics")]
    [InlineData("WriteAsync")]
    [InlineData("HandleAsync")]
    [InlineData("Unroutable")]
    [InlineData("Task")]
    [InlineData("TimeProvider")]
    [InlineData("System")]
    [InlineData("Shop")]
    public void A_sink_named_like_a_member_of_its_nested_adapters_or_a_BCL_type_compiles(string name)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Shop;
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
                public sealed record Done(string Id) : Order;
            }
            public partial class Host
            {
                [StreamSink(typeof(Order))]
                [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Degrade))]
                public partial class {{name}}
                {
                    public void OnPlaced(Order.Placed item) { }
                    public void OnDone(Order.Done item) { }
                    private static Order Degrade(Order item) => item;
                }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
    }
}
