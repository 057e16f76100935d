using Microsoft.CodeAnalysis.Testing;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.JsonContextUnionAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXS0007 on the members System.Text.Json writes beyond public properties: a <c>[JsonIgnore]</c> that ignores only
/// sometimes, <c>[JsonInclude]</c> members and fields under <c>IncludeFields</c>.
/// </summary>
public sealed class JsonContextUnionMembersTests
{
    private const string Usings = """
        using System.Text.Json.Serialization;
        using Reactive.Streams;

        """;

    private static DiagnosticResult Rxs0007(int marker, string path, string context = "Ctx") =>
        Verifier.Diagnostic("RXS0007").WithLocation(marker).WithArguments(context, "Order", " through '" + path + "'").WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);

    // Only JsonIgnoreCondition.Always (the attribute's default) keeps a member out of the JSON; WhenWritingNull and
    // WhenWritingDefault write it whenever it holds an order, Never always does.
    [Fact]
    public Task A_JsonIgnore_with_a_condition_other_than_Always_still_writes_the_union() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed class Holder
            {
                [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Order? Last { get; init; }
            }

            public sealed class Quiet
            {
                [JsonIgnore(Condition = JsonIgnoreCondition.Always)] public Order? Last { get; init; }
                [JsonIgnore] public Order? First { get; init; }
            }

            [{|#0:JsonSerializable(typeof(Holder))|}]
            [JsonSerializable(typeof(Quiet))]
            public partial class Ctx : JsonSerializerContext;
            """ + JsonContextUnionAnalyzerTests.Union,
            Rxs0007(0, "Holder.Last"));

    [Fact]
    public Task Members_marked_JsonInclude_and_fields_under_IncludeFields_are_walked() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            public sealed class Included
            {
                [JsonInclude] internal Order? Last { get; init; }
            }

            public sealed class Field
            {
                [JsonInclude] public Order? Last;
            }

            public sealed class PlainField
            {
                public Order? Last;
            }

            [{|#0:JsonSerializable(typeof(Included))|}]
            [{|#1:JsonSerializable(typeof(Field))|}]
            [JsonSerializable(typeof(PlainField))]
            public partial class Ctx : JsonSerializerContext;

            [JsonSourceGenerationOptions(IncludeFields = true)]
            [{|#2:JsonSerializable(typeof(PlainField))|}]
            public partial class FieldsCtx : JsonSerializerContext;
            """ + JsonContextUnionAnalyzerTests.Union,
            Rxs0007(0, "Included.Last"),
            Rxs0007(1, "Field.Last"),
            Rxs0007(2, "PlainField.Last", "FieldsCtx"));

    // A polymorphic base: System.Text.Json writes each listed derived type with its own members.
    [Fact]
    public Task A_union_reached_through_a_JsonDerivedType_is_reported() =>
        Verifier.AnalyzerWithGeneratorAsync(Usings + """
            [JsonPolymorphic]
            [JsonDerivedType(typeof(Shipment), "shipment")]
            public abstract class Message;

            public sealed class Shipment : Message
            {
                public Order? Last { get; init; }
            }

            [{|#0:JsonSerializable(typeof(Message))|}]
            public partial class Ctx : JsonSerializerContext;
            """ + JsonContextUnionAnalyzerTests.Union,
            Rxs0007(0, "Shipment.Last"));
}
