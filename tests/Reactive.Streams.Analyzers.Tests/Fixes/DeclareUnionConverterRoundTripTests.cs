using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;
using Reactive.Streams.Analyzers.Tests.Snippets;
using Reactive.Streams.Generators;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// RXS0007's remedies, compiled with both source generators (ours and System.Text.Json's, as an SDK project runs them)
/// and run: the context writes and reads a union, held directly, in a property, a list, a dictionary, an array, or
/// behind a member's own converter, to the same bytes as the reflection-based serializer, and the rule is silent.
/// </summary>
public sealed class DeclareUnionConverterRoundTripTests
{
    private const string Source = """
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using Reactive.Streams;

        namespace Shop;

        // What the RXS0007 fix writes: the converter declared on the union.
        [EventUnion]
        [JsonConverter(typeof(EventUnionConverter<Order>))]
        public abstract partial record Order
        {
            public sealed record Placed(string Id, Address ShipTo) : Order;
            public sealed record Cancelled(string Id, string Reason) : Order;
        }

        public sealed record Address(string Street, string City);

        // No converter on this union: the members that hold it declare one of their own.
        [EventUnion]
        public abstract partial record Refund
        {
            public sealed record Issued(string Id, decimal Amount) : Refund;
            public sealed record Denied(string Id) : Refund;
        }

        public sealed class Book
        {
            public Order? Last { get; set; }
            public List<Order> All { get; set; } = new();
            public Dictionary<string, Order> ById { get; set; } = new();
            public Order[] Array { get; set; } = [];
            [JsonConverter(typeof(EventUnionConverter<Refund>))] public Refund? Refund { get; set; }
        }

        public sealed record Receipt([property: JsonConverter(typeof(EventUnionConverter<Refund>))] Refund Current, int Count);

        [JsonSerializable(typeof(Order))]
        [JsonSerializable(typeof(Address))] // a type in a variant's parameters, as the rule page says
        [JsonSerializable(typeof(Book))]
        [JsonSerializable(typeof(Receipt))]
        public partial class Ctx : JsonSerializerContext;

        public static class Samples
        {
            public static (object Value, System.Type Declared)[] All()
            {
                var placed = new Order.Placed("o-1", new Address("Main St", "Oslo"));
                var cancelled = new Order.Cancelled("o-2", "out of stock");
                return
                [
                    (placed, typeof(Order)),
                    (cancelled, typeof(Order)),
                    (new Book
                    {
                        Last = cancelled,
                        All = [placed, cancelled],
                        ById = new() { ["o-1"] = placed, ["o-2"] = cancelled },
                        Array = [cancelled, placed],
                        Refund = new Refund.Issued("r-1", 12.5m),
                    }, typeof(Book)),
                    (new Receipt(new Refund.Denied("r-2"), 3), typeof(Receipt)),
                ];
            }
        }
        """;

    [Fact]
    public async Task The_context_round_trips_unions_like_the_reflection_based_serializer_and_the_rule_is_silent()
    {
        var parse = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Shop.RoundTrip" + Guid.NewGuid().ToString("N"),
            [CSharpSyntaxTree.ParseText(Source, parse)],
            TestReferences.Runtime.AddRange(TestReferences.Library),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator(), SnippetCompiler.JsonSourceGenerator.Value], parseOptions: parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));

        var rxs0007 = await generated.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new JsonContextUnionAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        Assert.Empty(rxs0007);

        using var image = new MemoryStream();
        var emitted = generated.Emit(image);
        Assert.True(emitted.Success, string.Join(Environment.NewLine, emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        Assert.Empty(emitted.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));

        var assembly = System.Reflection.Assembly.Load(image.ToArray());
        var context = (JsonSerializerContext)assembly.GetType("Shop.Ctx", throwOnError: true)!
            .GetProperty("Default")!.GetValue(null)!;
        var samples = ((object Value, Type Declared)[])assembly.GetType("Shop.Samples", throwOnError: true)!
            .GetMethod("All")!.Invoke(null, null)!;
        var reflection = new JsonSerializerOptions();
        foreach (var (value, declared) in samples)
        {
            var viaContext = JsonSerializer.Serialize(value, declared, context);
            Assert.Equal(JsonSerializer.Serialize(value, declared, reflection), viaContext);
            Assert.DoesNotContain("{}", viaContext, StringComparison.Ordinal);

            var read = JsonSerializer.Deserialize(viaContext, declared, context);
            Assert.NotNull(read);
            Assert.Equal(viaContext, JsonSerializer.Serialize(read, declared, context));
            Assert.Equal(viaContext, JsonSerializer.Serialize(JsonSerializer.Deserialize(viaContext, declared, reflection), declared, reflection));
        }
    }
}
