using System.Text.RegularExpressions;
using Reactive.Streams.Tests;

namespace Reactive.Streams.Analyzers.Tests.Packaging;

/// <summary>
/// Packs Reactive.Streams.Core once into a local folder (<see cref="PackedCore"/>), then builds small consumers from that
/// folder with the ordinary CLI: the analyzers and the generator must arrive through <c>dotnet add package</c> alone.
/// </summary>
public sealed class PackageTests : IClassFixture<PackedCore>
{
    // Generous: a watchdog, not a measure. Beside other builds on a loaded machine a consumer's restore and build took
    // over three minutes, and the pack below over four.
    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(8);

    private readonly PackedCore _package;

    public PackageTests(PackedCore package) => _package = package;

    [Fact]
    public void The_package_carries_the_analyzers_code_fixes_and_generator_under_analyzers_dotnet_cs()
    {
        using var package = System.IO.Compression.ZipFile.OpenRead(_package.PackagePath);
        var roslyn = package.Entries.Select(e => e.FullName).Where(n => n.StartsWith("analyzers/", StringComparison.Ordinal)).Order().ToArray();

        Assert.Equal(
            [
                "analyzers/dotnet/cs/Reactive.Streams.Analyzers.CodeFixes.dll",
                "analyzers/dotnet/cs/Reactive.Streams.Analyzers.dll",
                "analyzers/dotnet/cs/Reactive.Streams.Generators.dll",
            ],
            roslyn);
        Assert.Contains(package.Entries, e => e.FullName == "lib/net10.0/Reactive.Streams.Core.dll");
    }

    [Fact]
    public async Task A_consumer_with_violations_gets_exactly_the_expected_diagnostics_at_the_expected_lines()
    {
        var (_, output) = await _package.BuildConsumerAsync("violations", Consumers.Violations, s_buildTimeout);

        var reported = Regex.Matches(output, @"Program\.cs\((\d+),\d+\): (?:error|warning) (RXS\d{4})")
            .Select(m => (Id: m.Groups[2].Value, Line: int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .Distinct()
            .OrderBy(d => d.Line).ThenBy(d => d.Id)
            .ToArray();
        Assert.Equal(Consumers.ExpectedViolations.OrderBy(d => d.Line).ThenBy(d => d.Id).ToArray(), reported);
        // The compiler's own CS8509 (a switch expression without `_`) stands next to RXS0006; nothing else may appear.
        Assert.DoesNotMatch(@"(error|warning) (CS(?!8509)|AD|RS|NU1)\d{4}", output);
    }

    [Fact]
    public async Task A_consumer_without_violations_builds_clean()
    {
        var (exitCode, output) = await _package.BuildConsumerAsync("clean", Consumers.Clean, s_buildTimeout);

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"\b0 Warning\(s\)", output);
        Assert.Matches(@"\b0 Error\(s\)", output);
        Assert.DoesNotContain("RXS", output, StringComparison.Ordinal);
    }
}

/// <summary>The Core package, packed once per test run into a temporary feed with a unique version.</summary>
public sealed class PackedCore : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "rxs-package-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly string _version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);

    private string Feed => Path.Combine(_root, "feed");

    internal string PackagePath => Path.Combine(Feed, "Reactive.Streams.Core." + _version + ".nupkg");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        var project = Path.Combine(RepositoryFiles.Root, "src", "Reactive.Streams.Core", "Reactive.Streams.Core.csproj");
        var (exitCode, output) = await DotNet.RunAsync(_root, TimeSpan.FromMinutes(10), "pack", project, "-c", "Release", "-o", Feed, "-p:PackageVersion=" + _version, "-nodeReuse:false");
        Assert.True(exitCode == 0, "dotnet pack failed:\n" + output);
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file; the OS cleans the temp folder.
        }

        return Task.CompletedTask;
    }

    /// <summary>Writes a consumer project referencing the packed Core from the local feed and builds it.</summary>
    internal async Task<(int ExitCode, string Output)> BuildConsumerAsync(string name, string program, TimeSpan timeout)
    {
        var directory = Path.Combine(_root, name);
        Directory.CreateDirectory(directory);
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        // The package under test restores into a private folder; everything else comes from the machine's cache.
        await File.WriteAllTextAsync(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>disable</ImplicitUsings>
                <LangVersion>latest</LangVersion>
                <RestorePackagesPath>{Path.Combine(directory, "packages")}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{globalPackages}</RestoreAdditionalProjectFallbackFolders>
                <NoWarn>$(NoWarn);NU1603</NoWarn>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Reactive.Streams.Core" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(directory, "Program.cs"), program);
        return await DotNet.RunAsync(directory, timeout, "build", "-c", "Release", "-nodeReuse:false", "-p:UseSharedCompilation=false");
    }
}
