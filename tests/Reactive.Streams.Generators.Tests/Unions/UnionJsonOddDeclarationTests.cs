using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// Odd parameter types, defaults and names, declared in every variant (so each is a shared accessor the generated
/// <c>Unknown</c> reads too): the generator either refuses the declaration with an RXS diagnostic or generates code that
/// compiles without a warning.
/// </summary>
public sealed class UnionJsonOddDeclarationTests
{
    [Theory]
    [InlineData("System.Text.Json.JsonElement Data, System.Text.Json.JsonElement? Extra = null")]
    [InlineData("System.Text.Json.Nodes.JsonNode? Node, System.Text.Json.Nodes.JsonObject Obj")]
    [InlineData("object Payload, object? Maybe = null")]
    [InlineData("byte[] Bytes, ReadOnlyMemory<byte> Memory, Memory<int>? Other = null")]
    [InlineData("Half H, Int128 Big, UInt128 Unsigned")]
    [InlineData("DateOnly Day, TimeOnly Time = default, TimeSpan? Span = null")]
    [InlineData("Uri Link, Version? Version = null")]
    [InlineData("char C = 'x', char? D = '\\0', char E = '\\'', char F = '\"'")]
    [InlineData("Shade Color = (Shade)3, Shade? Maybe = Shade.Red, Shade Never = Shade.Red | Shade.Blue")]
    [InlineData("decimal Amount = 1.5m, double Ratio = double.NaN, float F = float.NegativeInfinity, double E = 1e-300")]
    [InlineData("string Text = \"line\\nbreak \\\"quoted\\\" {brace} \\u0000 \\uD83D\\uDE00\"")]
    [InlineData("int[,] Grid, int[][] Jagged")]
    [InlineData("(int A, string B) Pair, KeyValuePair<string, int> Entry")]
    [InlineData("Dictionary<Shade, List<int?>> Map, IReadOnlyDictionary<string, Account?> ByName")]
    [InlineData("List<Account> Children, Account? Parent = null")]
    [InlineData("string @class, int @event, string Ünïcode")]
    [InlineData("int? X = default, long? Y = 5, bool? Z = false, Nullable<int> W = null")]
    [InlineData("string RawWireName, string RawPayload")]
    [InlineData("int Kind, string WireName")]
    [InlineData("string Id, string MatchState, string SwitchAsyncs")]
    public void Compiles_without_warnings_or_is_refused(string parameters)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using System;
            using System.Collections.Generic;
            using System.Text.Json.Serialization;
            using Reactive.Streams;

            namespace Bank;

            [Flags]
            public enum Shade { Red = 1, Blue = 2 }

            [EventUnion]
            public abstract partial record Account
            {
                public sealed record Opened({{parameters}}) : Account;
                public sealed record Closed({{parameters}}) : Account;
            }
            """);

        Assert.All(run.GeneratorDiagnostics, static d => Assert.StartsWith("RXS", d.Id, StringComparison.Ordinal));
        Assert.Empty(run.CompilationDiagnostics.Where(static d => d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true));
        if (run.GeneratorDiagnostics.IsEmpty)
        {
            Assert.Empty(run.CompilationDiagnostics);
        }
    }

    // A positional property named like one of the union's generated methods did not compile (CS8866: the record's
    // parameter binds to the inherited method, which is no property) and the generator said nothing: the user saw a
    // compiler error about their own record, caused by generated code. It is refused as RXS1006 now, as Kind is.
    [Theory]
    [InlineData("Match")]
    [InlineData("Switch")]
    [InlineData("MatchAsync")]
    [InlineData("SwitchAsync")]
    public void A_positional_property_named_like_a_generated_method_is_RXS1006(string name)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;

            namespace Bank;

            [EventUnion]
            public abstract partial record Account
            {
                public sealed record Opened(string Id, string {{name}}) : Account;
                public sealed record Closed(string Id) : Account;
            }
            """);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1006", diagnostic.Id);
        Assert.StartsWith($"'Opened.{name}' in event union 'Account' ", diagnostic.GetMessage(), StringComparison.Ordinal);
    }
}
