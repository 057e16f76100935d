using System.Reflection;
using System.Text.RegularExpressions;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests;

/// <summary>
/// Every <c>[GeneratedCode]</c> the generator writes names the version of the package that carries it (the Core package,
/// whose version every package shares): a tool or a reader that asks which release generated a file is told that one, not
/// a fixed "1.0.0" that no release has.
/// </summary>
public sealed class GeneratedCodeVersionTests
{
    [Fact]
    public void Every_GeneratedCode_attribute_carries_the_version_of_the_package_that_ships_the_generator()
    {
        var informational = typeof(EventUnionAttribute).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var packageVersion = informational.Split('+')[0];
        var run = TestCompilation.Run(Sources.LeaseHistory, Sources.Completion, Sources.LeaseSink);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        var versions = run.Sources.Values
            .SelectMany(static source => Regex.Matches(source, "GeneratedCode\\(\"Reactive\\.Streams\\.Generators\", \"([^\"]*)\"\\)"))
            .Select(static match => match.Groups[1].Value)
            .ToList();
        Assert.True(versions.Count >= run.Sources.Count, "every file carries [GeneratedCode]");
        Assert.All(versions, version => Assert.Equal(packageVersion, version));
        Assert.DoesNotContain('+', packageVersion);
    }
}
