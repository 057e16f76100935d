using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests;

/// <summary>The generated code compiles in every language version a consumer of the package may pin (C# 10 and up).</summary>
public sealed class LanguageVersionTests
{
    [Theory]
    [InlineData(LanguageVersion.CSharp10)]
    [InlineData(LanguageVersion.CSharp11)]
    [InlineData(LanguageVersion.Latest)]
    public void Unions_and_sinks_compile_with_the_language_version_of_the_project(LanguageVersion version)
    {
        var options = TestCompilation.ParseOptions.WithLanguageVersion(version);
        var compilation = TestCompilation.Create(Sources.LeaseHistory, Sources.Completion, Sources.LeaseSink);
        compilation = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(
            compilation.SyntaxTrees.Select(t => CSharpSyntaxTree.ParseText(t.GetText(), options, t.FilePath)));
        var driver = CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator()], parseOptions: options);

        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);

        Assert.Empty(generatorDiagnostics);
        var errors = output.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning).Select(static d => d.ToString()).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(20)));
    }
}
