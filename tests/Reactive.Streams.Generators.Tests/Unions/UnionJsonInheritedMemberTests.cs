using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// Members every variant inherits, from the union's own positional parameters or from a record the union derives from:
/// System.Text.Json writes them on each variant of the same hierarchy under <c>[JsonPolymorphic]</c>, so the union's
/// converter either writes the same bytes or the generator refuses the union (RXS1008); it never drops them silently.
/// </summary>
public sealed class UnionJsonInheritedMemberTests
{
    [Theory]
    [InlineData("public abstract record Base { public string Source { get; init; } = \"base\"; }", "", "Account.Source", "is a member of 'Base', which the union derives from")]
    [InlineData("public abstract record Base { public virtual string Label => \"l\"; }", "", "Account.Label", "is a member of 'Base', which the union derives from")]
    [InlineData("public abstract record Base { [JsonInclude] internal string Secret { get; init; } = \"s\"; }", "", "Account.Secret", "is a member of 'Base', which the union derives from")]
    [InlineData("public abstract record Base { public int Counter; }", "", "Account.Counter", "(under the options' IncludeFields)")]
    [InlineData("public abstract record Base { public int Hidden { private get; init; } }", "", "Account.Hidden", "is a member of 'Base', which the union derives from")]
    [InlineData("public abstract record Base(string Origin = \"o\");", "", "Account.Origin", "is a member of 'Base', which the union derives from")]
    [InlineData("public abstract record Base;", "string Source = \"here\"", "Account.Source", "is a positional parameter of the union")]
    // A variant's positional parameter of the same name does not make up for it: the record uses the inherited property,
    // which System.Text.Json writes after the variant's own properties.
    [InlineData("public abstract record Base { public string Id { get; init; } = \"base\"; }", "", "Account.Id", "is a member of 'Base', which the union derives from")]
    [InlineData("public abstract record Base;", "string Id = \"here\"", "Account.Id", "is a positional parameter of the union")]
    public void A_member_every_variant_inherits_and_STJ_writes_is_refused(string baseRecord, string unionParameters, string name, string reason)
    {
        var run = TestCompilation.Run(Source(baseRecord, unionParameters, "public sealed record Opened(string Id) : Account;"));

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1008", diagnostic.Id);
        Assert.StartsWith($"'{name}' in event union 'Account' ", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains(reason, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    // What the generator accepts is written as System.Text.Json writes the same hierarchy.
    [Theory]
    [InlineData("public abstract record Base { [JsonIgnore] public string Source { get; init; } = \"base\"; }", "")]
    [InlineData("public abstract record Base { [JsonIgnore(Condition = JsonIgnoreCondition.Always)] public virtual string Label => \"l\"; internal int Inner { get; init; } }", "")]
    [InlineData("public abstract record Base;", "[property: JsonIgnore] string Source = \"here\"")]
    public void An_inherited_member_the_generator_accepts_is_written_as_STJ_writes_it(string baseRecord, string unionParameters)
    {
        var run = JsonGenerator.Run(Source(baseRecord, unionParameters, "public sealed record Opened(string Id, int Qty) : Account;") + Mirror(baseRecord, unionParameters));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(JsonGenerator.Errors(run));
        var assembly = JsonGenerator.Load(run.Output);
        Assert.Equal(JsonGenerator.Call(assembly, "Theirs"), JsonGenerator.Call(assembly, "Ours"));
    }

    private static string Source(string baseRecord, string unionParameters, string variant) => $$"""
        #pragma warning disable CS1591, CS8907
        using System.Text.Json.Serialization;
        using Reactive.Streams;

        {{baseRecord}}

        [EventUnion]
        public abstract partial record Account{{(unionParameters.Length > 0 ? "(" + unionParameters + ")" : string.Empty)}} : Base
        {
            public sealed record Closed(string Id) : Account;
            {{variant}}
        }

        """;

    private static string Mirror(string baseRecord, string unionParameters) => $$"""
        [JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
        [JsonDerivedType(typeof(Closed), "closed")]
        [JsonDerivedType(typeof(Opened), "opened")]
        public abstract record Mirror{{(unionParameters.Length > 0 ? "(" + unionParameters + ")" : string.Empty)}} : Base
        {
            public sealed record Closed(string Id) : Mirror;
            public sealed record Opened(string Id, int Qty) : Mirror;
        }

        public static class Probe
        {
            private static System.Text.Json.JsonSerializerOptions Options(bool mirror) => new()
            {
                TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
                PropertyNamingPolicy = mirror ? System.Text.Json.JsonNamingPolicy.SnakeCaseLower : null,
            };

            public static string Ours() => System.Text.Json.JsonSerializer.Serialize<Account[]>([new Account.Opened("o-1", 2), new Account.Closed("c-1")], Options(mirror: false));

            public static string Theirs() => System.Text.Json.JsonSerializer.Serialize<Mirror[]>([new Mirror.Opened("o-1", 2), new Mirror.Closed("c-1")], Options(mirror: true));
        }
        """;
}
