using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>JSON metadata the generated converter would not follow (RXS1008): refused, and nothing is generated.</summary>
public sealed class UnionJsonDeclarationTests
{
    [Theory]
    [InlineData("public sealed record Opened(string Id, [property: JsonIgnore] string Password) : Account;", "Opened.Password", "has [JsonIgnore]")]
    [InlineData("public sealed record Opened(string Id, [property: JsonConverter(typeof(JsonStringEnumConverter))] System.DayOfWeek Day) : Account;", "Opened.Day", "has [JsonConverter]")]
    [InlineData("public sealed record Opened(string Id) : Account { public string? Note { get; init; } }", "Opened.Note", "not a positional parameter")]
    [InlineData("public sealed record Opened(string Id) : Account { public string? Note { get; set; } }", "Opened.Note", "not a positional parameter")]
    [InlineData("public sealed record Opened(string Id) : Account { public int Counter; }", "Opened.Counter", "is a public field")]
    [InlineData("public sealed record Opened(string Id) : Account { public readonly int Counter = 1; }", "Opened.Counter", "is a public field")]
    [InlineData("public sealed record Opened(string Id) : Account { [JsonIgnore] public required string Note { get; init; } }", "Opened.Note", "is a required member, which the union's converter cannot set")]
    [InlineData("public sealed record Opened(string Id) : Account { [JsonIgnore] public required string Note; }", "Opened.Note", "is a required member, which the union's converter cannot set")]
    [InlineData("public sealed record Opened(string Id) : Account; [JsonIgnore] public required string Source { get; init; }", "Account.Source", "is a required member of the union")]
    [InlineData("public sealed record Opened : Account; public sealed record Frozen : Account; [JsonIgnore] public required string Source { get; init; }", "Account.Source", "is a required member of the union")]
    [InlineData("public sealed record Opened(string Id) : Account; [JsonIgnore] public required string Source;", "Account.Source", "is a required member of the union")]
    [InlineData("public sealed record Opened(string Id) : Account { [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Note { get; init; } }", "Opened.Note", "has [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)], under which System.Text.Json writes it")]
    [InlineData("public sealed record Opened(string Id) : Account { [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Note { get; set; } }", "Opened.Note", "has [JsonIgnore(Condition = JsonIgnoreCondition.Never)]")]
    [InlineData("public sealed record Opened(string Id) : Account { [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public int Length => Id.Length; }", "Opened.Length", "has [JsonIgnore(Condition = JsonIgnoreCondition.Never)]")]
    [InlineData("public sealed record Opened(string Id) : Account { [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int Length => Id.Length; }", "Opened.Length", "has [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]")]
    [InlineData("public sealed record Opened(string Id) : Account { [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int Counter; }", "Opened.Counter", "is a public field with [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]")]
    [InlineData("public sealed record Opened(string Id, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Note) : Account;", "Opened.Note", "has [JsonIgnore]")]
    [InlineData("public sealed record Opened(string Id) : Account; [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Source { get; init; }", "Account.Source", "is a property of the union")]
    // A positional parameter whose property is redeclared non-public, or with a non-public getter: System.Text.Json neither
    // writes it nor can bind the parameter to a property it sees (it refuses the type), and the generated converter could not
    // read it (CS0122, CS0271 in generated code).
    [InlineData("public sealed record Opened(string Id, string Secret) : Account { private string Secret { get; init; } = Secret; }", "Opened.Secret", "is a positional parameter whose property is not public or has no public getter")]
    [InlineData("public sealed record Opened(string Id, string Secret) : Account { internal string Secret { get; init; } = Secret; }", "Opened.Secret", "is a positional parameter whose property is not public or has no public getter")]
    [InlineData("public sealed record Opened(string Id, string Secret) : Account { public string Secret { private get; init; } = Secret; }", "Opened.Secret", "is a positional parameter whose property is not public or has no public getter")]
    [InlineData("public sealed record Opened(string Id, string Secret) : Account { private readonly string Secret = Secret; }", "Opened.Secret", "is a positional parameter redeclared as a non-public field")]
    public void JSON_the_converter_would_not_write_as_declared_is_refused(string variant, string name, string reason)
    {
        var run = TestCompilation.Run(Union(variant));

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1008", diagnostic.Id);
        Assert.StartsWith($"'{name}' in event union 'Account' ", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains(reason, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Theory]
    [InlineData("public sealed record Opened(string Id) : Account { [JsonIgnore] public string? Note { get; init; } }")]
    [InlineData("public sealed record Opened(string Id) : Account { public int Length => Id.Length; }")]
    [InlineData("public sealed record Opened(string Id, [property: JsonPropertyName(\"identifier\")] string Name) : Account;")]
    [InlineData("public sealed record Opened(string Id) : Account { [JsonIgnore] public int Counter; public const int Max = 3; public static int Count; }")]
    [InlineData("public sealed record Opened(string Id) : Account { [JsonIgnore(Condition = JsonIgnoreCondition.Always)] public string? Note { get; init; } [JsonIgnore(Condition = JsonIgnoreCondition.Always)] public int Counter; }")]
    public void Declarations_the_converter_follows_generate_and_compile(string variant)
    {
        var run = TestCompilation.Run(Union(variant));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.NotEmpty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    // Found by UnionJsonDifferentialTests: the names were pasted into XML documentation (CS1570 for '<' or '&') and into
    // a string literal of the Unknown variant's accessors (CS1010 for '"', CS1003 for a line break, a format error for '{').
    [Theory]
    [InlineData("a<b>")]
    [InlineData("fish & chips")]
    [InlineData("q\"uote")]
    [InlineData("{brace}")]
    [InlineData("line\nbreak")]
    [InlineData("back\\slash")]
    public void A_wire_name_or_a_JSON_name_of_any_text_compiles_in_the_generated_code(string name)
    {
        var literal = Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(name, quote: true);
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using System.Text.Json.Serialization;
            using Reactive.Streams;

            namespace Bank;

            [EventUnion]
            public abstract partial record Account
            {
                [WireName({{literal}})]
                public sealed record Opened([property: JsonPropertyName({{literal}})] string Id) : Account;
                public sealed record Closed([property: JsonPropertyName({{literal}})] string Id) : Account;
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
    }

    // Found by UnionJsonDifferentialTests: the Unknown variant kept a "has a value" flag for a nullable shared property
    // too, which nothing reads (CS0414, an error under warnings-as-errors).
    [Fact]
    public void A_nullable_property_every_variant_has_compiles_without_warnings()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;

            namespace Bank;

            [EventUnion]
            public abstract partial record Account
            {
                public sealed record Opened(string Id, int? Attempt, string? Note) : Account;
                public sealed record Closed(string Id, int? Attempt, string? Note) : Account;
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
    }

    private static string Union(string variant) => $$"""
        #pragma warning disable CS1591
        using System.Text.Json.Serialization;
        using Reactive.Streams;

        namespace Bank;

        [EventUnion]
        public abstract partial record Account
        {
            public sealed record Closed(string Id) : Account;
            {{variant}}
        }
        """;
}
