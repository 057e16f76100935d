using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;
using Reactive.Streams.Analyzers.Tests.Snippets;
using Reactive.Streams.Generators;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXS0006 and RXS0007 on a union compiled into another assembly (with the generator, as its package ships it): its
/// variants are read from metadata, its generated <c>Unknown</c> is still exempt, and its compiled converter attribute is
/// one System.Text.Json sees.
/// </summary>
public sealed class UnionFromAnotherAssemblyTests
{
    private static readonly CSharpParseOptions s_parse = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    private static readonly Lazy<MetadataReference> s_contracts = new(() => TestReferences.CompiledUnionLibrary(
        "Contoso.Contracts",
        """
                using Reactive.Streams;

                namespace Contoso;

                [EventUnion]
                public abstract partial record Lease
                {
                    public sealed record Acquired(string Id) : Lease;
                    public sealed record Revoked(string Id, string By) : Lease;
                    public sealed record Expired(string Id) : Lease;
                }
                """,
        s_parse));

    [Fact]
    public async Task A_switch_over_a_union_of_another_assembly_is_judged_on_its_declared_variants()
    {
        var found = await FindingsAsync("""
            using Contoso;

            class C
            {
                int Missing(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                };

                // The generated Unknown exists in the other assembly and is not required.
                int Complete(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Expired => 3,
                };

                void Statement(Lease e)
                {
                    switch (e)
                    {
                        case Lease.Expired:
                            break;
                    }
                }
            }
            """);

        Assert.Equal(["RXS0006@5: 'Expired'", "RXS0006@21: 'Acquired', 'Revoked'"], found);
    }

    [Fact]
    public async Task A_context_that_reaches_a_union_of_another_assembly_is_not_reported()
    {
        var found = await FindingsAsync("""
            using System.Collections.Generic;
            using System.Text.Json.Serialization;
            using Contoso;

            public sealed class History
            {
                public List<Lease> Events { get; init; } = new();
            }

            [JsonSerializable(typeof(Lease))]
            [JsonSerializable(typeof(History))]
            public partial class Ctx : JsonSerializerContext;
            """);

        Assert.Empty(found);
    }

    private static async Task<string[]> FindingsAsync(string source)
    {
        var compilation = CSharpCompilation.Create(
            "App",
            [CSharpSyntaxTree.ParseText(source, s_parse)],
            TestReferences.Runtime.AddRange(TestReferences.Library).Add(s_contracts.Value),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator(), SnippetCompiler.JsonSourceGenerator.Value], parseOptions: s_parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);
        Assert.Empty(generated.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Error).Select(static d => d.ToString()));

        var diagnostics = await generated
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NonExhaustiveUnionSwitchAnalyzer(), new JsonContextUnionAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(diagnostics, static d => d.Id == "AD0001");
        return diagnostics
            .Where(static d => d.Location.IsInSource && d.Location.SourceTree!.FilePath.Length == 0)
            .OrderBy(static d => d.Location.SourceSpan.Start)
            .Select(static d => d.Id + "@" + (d.Location.GetLineSpan().StartLinePosition.Line + 1)
                + (d.Id == "RXS0006" ? ": " + d.GetMessage().Split(" does not handle ")[1].Split(" and has")[0] : string.Empty))
            .ToArray();
    }
}
