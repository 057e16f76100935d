using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Reactive.Streams.Analyzers.Tests.Infrastructure;
using Reactive.Streams.Generators;

namespace Reactive.Streams.Analyzers.Tests.Snippets;

/// <summary>
/// Compiles a documentation snippet the way CONTRIBUTING.md ("Code snippets in the docs") describes: with the SDK's
/// implicit usings, its contexts, the library's assemblies and the source generator, as a program when it has
/// top-level statements and as a library otherwise. Locations are mapped back to the markdown page with #line.
/// </summary>
internal static partial class SnippetCompiler
{
    /// <summary>The global usings of an SDK project with ImplicitUsings enabled.</summary>
    internal const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static readonly CSharpParseOptions s_parseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    /// <summary>The BCL (the running runtime's), the library's assemblies and what their public API exposes.</summary>
    internal static readonly ImmutableArray<MetadataReference> References =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => Path.GetFileName(path).StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) || Path.GetFileName(path).StartsWith("OpenTelemetry", StringComparison.Ordinal)
                || Path.GetFileName(path).StartsWith("System.Reactive.", StringComparison.Ordinal))   // System.Reactive.Compatibility's facades, for docs/testing.md
            .Concat(new[]
            {
                typeof(BackpressurePolicy),                                          // Reactive.Streams.Core
                typeof(Reactive.Streams.Testing.TestScheduler),                      // Reactive.Streams.Testing
                typeof(Reactive.Streams.Storage.Sqlite.SqliteStreamLog),             // Reactive.Streams.Storage.Sqlite
                typeof(Reactive.Streams.Storage.Postgres.PostgresStreamLog),         // Reactive.Streams.Storage.Postgres
                typeof(Reactive.Streams.Hosting.ReactiveStreamsBuilder),             // Reactive.Streams.Hosting
                typeof(Microsoft.Reactive.Testing.TestScheduler),                    // Microsoft.Reactive.Testing (docs/testing.md)
                typeof(Reactive.Streams.Storage.Redis.RedisStreamLog),               // Reactive.Streams.Storage.Redis
                typeof(System.Reactive.Linq.Observable),                             // System.Reactive
                typeof(Microsoft.Extensions.Logging.ILogger),                        // Microsoft.Extensions.Logging.Abstractions
                typeof(Microsoft.Extensions.Time.Testing.FakeTimeProvider),          // Microsoft.Extensions.TimeProvider.Testing
                typeof(Microsoft.Data.Sqlite.SqliteConnection),                      // Microsoft.Data.Sqlite
                typeof(Npgsql.NpgsqlConnection),                                     // Npgsql
                typeof(StackExchange.Redis.ConnectionMultiplexer),                   // StackExchange.Redis
            }.Select(t => t.Assembly.Location))
            .Distinct(StringComparer.Ordinal)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .Concat(TestReferences.Runtime)
            .ToImmutableArray();

    /// <summary>
    /// System.Text.Json's source generator, from the SDK's targeting pack (packs/Microsoft.NETCore.App.Ref/{version}/
    /// analyzers/dotnet/cs) beside the running runtime, the newest version there: the generator an SDK project runs.
    /// </summary>
    private const string JsonGeneratorInPack = "analyzers/dotnet/cs/System.Text.Json.SourceGeneration.dll";

    internal static readonly Lazy<Type> JsonSourceGeneratorType = new(() =>
    {
        // shared/Microsoft.NETCore.App/{version}/System.Private.CoreLib.dll -> the dotnet root.
        var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var packs = Path.Combine(root, "packs", "Microsoft.NETCore.App.Ref");
        var path = (Directory.Exists(packs) ? Directory.GetDirectories(packs) : [])
            .Where(version => File.Exists(Path.Combine(version, JsonGeneratorInPack)))
            .OrderByDescending(version => Version.TryParse(Path.GetFileName(version).Split('-')[0], out var v) ? v : new Version())
            .Select(version => Path.Combine(version, JsonGeneratorInPack))
            .FirstOrDefault();
        if (path is null)
        {
            throw new InvalidOperationException($"System.Text.Json's source generator was not found under {packs}: the snippet tests need the .NET SDK's targeting pack.");
        }

        return System.Reflection.Assembly.LoadFrom(path).GetType("System.Text.Json.SourceGeneration.JsonSourceGenerator", throwOnError: true)!;
    });

    internal static readonly Lazy<ISourceGenerator> JsonSourceGenerator = new(() =>
        ((IIncrementalGenerator)Activator.CreateInstance(JsonSourceGeneratorType.Value)!).AsSourceGenerator());

    /// <summary>Compiles the snippet and returns its errors (warnings and analyzer diagnostics are not errors here).</summary>
    internal static IReadOnlyList<Diagnostic> Errors(MarkdownSnippet snippet) =>
        Compile(snippet, []).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();

    /// <summary>
    /// The snippet's compilation after the generators ran (as <see cref="Errors"/> compiles it), with <paramref name="extra"/>
    /// source files beside it: what <see cref="SnippetRunner"/> emits and runs.
    /// </summary>
    internal static Compilation Compile(MarkdownSnippet snippet, IEnumerable<string> extra)
    {
        var trees = SyntaxTrees(snippet).Concat(extra.Select((text, i) => CSharpSyntaxTree.ParseText(text, s_parseOptions, path: $"Extra{i}.cs"))).ToArray();
        var isProgram = trees.Any(t => t.GetCompilationUnitRoot().Members.Any(m => m is GlobalStatementSyntax));
        var compilation = CSharpCompilation.Create(
            "Snippet",
            trees,
            References,
            new CSharpCompilationOptions(
                isProgram ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable));

        // The Core package carries the generator, so a reader's project runs it: generated members are there to use.
        // Its own diagnostics (RXS1001-RXS1005) are what some rule pages show, so only the compiler's count. A .NET
        // project also runs System.Text.Json's source generator (the SDK adds it to every project), which the AOT
        // snippets' JsonSerializerContext needs.
        CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator(), JsonSourceGenerator.Value], parseOptions: s_parseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);
        return generated;
    }

    /// <summary>The snippet's file, the contexts' file and the implicit usings.</summary>
    internal static IReadOnlyList<SyntaxTree> SyntaxTrees(MarkdownSnippet snippet)
    {
        var code = Elide(snippet.Code);
        var file = snippet.File;
        var contextFile = new StringBuilder();
        var contextStatements = new StringBuilder();
        foreach (var context in snippet.Contexts)
        {
            var unit = CSharpSyntaxTree.ParseText(context.Code, s_parseOptions).GetCompilationUnitRoot();
            foreach (var directive in unit.Usings)
            {
                contextFile.Append(LineDirective(context, directive, file))
                    .Append(directive.GlobalKeyword.IsKind(SyntaxKind.None) ? "global " : "")
                    .Append(directive.ToString()).Append('\n');
            }

            foreach (var member in unit.Members)
            {
                var target = member is GlobalStatementSyntax ? contextStatements : contextFile;
                target.Append(LineDirective(context, member, file)).Append(member.ToString()).Append('\n');
            }
        }

        string snippetText;
        if (snippet.MembersOf is { } type)
        {
            if (contextStatements.Length > 0)
            {
                throw new InvalidDataException($"{snippet.Key}: a members-of snippet cannot have statements in its context");
            }

            snippetText = $"partial class {type}\n{{\n#line {snippet.FirstLine} \"{file}\"\n{code}#line default\n}}\n";
        }
        else
        {
            // The snippet's own usings stay first; the context's statements go between them and the snippet's code.
            var unit = CSharpSyntaxTree.ParseText(code, s_parseOptions).GetCompilationUnitRoot();
            var split = unit.Usings.Count > 0 ? unit.Usings[^1].FullSpan.End : unit.Externs.Count > 0 ? unit.Externs[^1].FullSpan.End : 0;
            var linesBefore = code[..split].Count(c => c == '\n');
            snippetText = $"#line {snippet.FirstLine} \"{file}\"\n" + code[..split]
                + contextStatements
                + $"#line {snippet.FirstLine + linesBefore} \"{file}\"\n" + code[split..];
        }

        return
        [
            CSharpSyntaxTree.ParseText(snippetText, s_parseOptions, path: file),
            CSharpSyntaxTree.ParseText(contextFile.ToString(), s_parseOptions, path: file + ".context.cs"),
            CSharpSyntaxTree.ParseText(ImplicitUsings, s_parseOptions, path: "ImplicitUsings.cs"),
        ];
    }

    /// <summary>An elided body, <c>{ ... }</c>: <c>{ throw null!; }</c> after a parameter list, an empty body elsewhere.</summary>
    internal static string Elide(string code) =>
        ElidedBody().Replace(code, m => m.Groups["method"].Success ? m.Groups["method"].Value + "{ throw null!; }" : "{ }");

    private static string LineDirective(SnippetContext context, SyntaxNode node, string file)
    {
        var line = node.GetLocation().GetLineSpan().StartLinePosition.Line;
        return $"#line {context.FirstLine + line} \"{file}\"\n";
    }

    [GeneratedRegex(@"(?<method>\)[ \t]*)?\{[ \t]*\.\.\.[ \t]*\}")]
    private static partial Regex ElidedBody();
}
