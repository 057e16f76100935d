using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// The parser reads a plain variant (positional parameters without attributes, no property in its body) from its syntax
/// and binds only the parameters' types; any other variant is read from its symbol. Both ways give the same code: here
/// the same variants are read the first way in one union and the second way in its twin (an attribute the converter
/// ignores on each parameter sends it there), and the twins' generated sources differ only in the union's name. A type
/// written the same way in sibling variants is bound once, except in a variant that declares types of its own: Shadowing's
/// nested Cursor does not hide the namespace's from its parameter list, and both ways agree on that.
/// </summary>
public sealed class UnionParserPathTests
{
    private const string Variants = """
            public sealed record Scalars(long Id, string Name, string? Note, int? Attempt, decimal Price, bool Flag) : UNION;

            public sealed record Keywords(object Any, object? Maybe, char C, sbyte Sb, byte B, short S, ushort Us, uint Ui, ulong Ul, float F, double D, decimal? Dn, bool? Bn, char? Cn, ulong? Uln) : UNION;

            public sealed record Qualified(global::System.Guid Key, System.DateTimeOffset At, System.DateTimeOffset? Until, Alias Other) : UNION;

            public sealed record Composite(Cursor Cursor, IReadOnlyList<string> Tags, Dictionary<string, int> Counts, byte[] Bytes, Cursor? Next) : UNION;

            public sealed record Shared(long Id, string Name, Cursor Cursor) : UNION;

            public sealed record Empty() : UNION;

            public sealed record Shadowing(Cursor Position, long Id) : UNION
            {
                public readonly record struct Cursor(int Other);
            }
        """;

    [Theory]
    [InlineData("")]
    [InlineData("#nullable disable")]
    public void A_variant_read_from_its_syntax_generates_what_the_same_variant_read_from_its_symbol_does(string nullableContext)
    {
        var source = $$"""
            {{nullableContext}}
            #pragma warning disable CS1591
            using System.Collections.Generic;
            using Reactive.Streams;
            using Alias = System.Uri;

            namespace Paths;

            public readonly record struct Cursor(long Milliseconds, int Sequence);

            [EventUnion]
            public abstract partial record FromSyntax
            {
            {{Variants.Replace("UNION", "FromSyntax", StringComparison.Ordinal)}}
            }

            [EventUnion]
            public abstract partial record FromSymbol
            {
            {{AttributeOnEveryParameter(Variants.Replace("UNION", "FromSymbol", StringComparison.Ordinal))}}
            }
            """;

        var run = TestCompilation.Run(source);

        Assert.Empty(run.GeneratorDiagnostics);
        var fromSyntax = run.Sources["Paths.FromSyntax.EventUnion.g.cs"];
        var fromSymbol = run.Sources["Paths.FromSymbol.EventUnion.g.cs"];
        Assert.Contains("global::System.DateTimeOffset?", fromSyntax, StringComparison.Ordinal);
        Assert.Contains("Of<global::Paths.Cursor>(\"Position\"", fromSyntax, StringComparison.Ordinal);
        Assert.Equal(fromSymbol, fromSyntax.Replace("FromSyntax", "FromSymbol", StringComparison.Ordinal));
    }

    // [property: Description] is on the property only, and neither the parser nor the converter reads it.
    private static string AttributeOnEveryParameter(string variants)
    {
        var marked = new System.Text.StringBuilder();
        foreach (var line in variants.Split('\n'))
        {
            var open = line.IndexOf('(', StringComparison.Ordinal);
            var close = line.IndexOf(')', StringComparison.Ordinal);
            if (open < 0 || close == open + 1)
            {
                marked.Append(line).Append('\n');
                continue;
            }

            var parameters = line.Substring(open + 1, close - open - 1).Split(", ")
                .Select(static p => "[property: System.ComponentModel.Description(\"\")] " + p);
            marked.Append(line.AsSpan(0, open + 1)).Append(string.Join(", ", parameters)).Append(line.AsSpan(close)).Append('\n');
        }

        return marked.ToString();
    }
}
