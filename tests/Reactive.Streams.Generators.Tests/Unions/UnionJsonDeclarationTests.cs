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
    public void Declarations_the_converter_follows_generate_and_compile(string variant)
    {
        var run = TestCompilation.Run(Union(variant));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.NotEmpty(run.Sources);
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
