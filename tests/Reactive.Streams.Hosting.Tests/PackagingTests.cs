using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;
using Reactive.Streams.Tests;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>
/// Packs every shipped package as `dotnet pack --no-build` does (from the Release or Debug build this test project
/// already made them with) and checks what a user sees on nuget.org: metadata, README, license, symbols, and that the
/// Core package carries the analyzers and the generator.
/// </summary>
public sealed class PackagingTests(PackagingTests.PackedPackages packed) : IClassFixture<PackagingTests.PackedPackages>
{
    internal static readonly string[] s_packages =
    [
        "Reactive.Streams.Core",
        "Reactive.Streams.Storage.Sqlite",
        "Reactive.Streams.Storage.Postgres",
        "Reactive.Streams.Storage.Redis",
        "Reactive.Streams.Testing",
        "Reactive.Streams.Hosting",
    ];

    private static readonly string s_configuration = typeof(PackagingTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    private string _output => packed.Output;

    /// <summary>Packs the six packages once for the class, in parallel.</summary>
    public sealed class PackedPackages : IAsyncLifetime
    {
        public string Output { get; } = Directory.CreateTempSubdirectory("rs-pack-").FullName;

        public async Task InitializeAsync()
        {
            var root = RepositoryFiles.Root;
            await Task.WhenAll(s_packages.Select(package => DotnetAsync("pack", Path.Combine(root, "src", package, package + ".csproj"), "--no-build", "-c", s_configuration, "-o", Output, "-nologo")));
        }

        public Task DisposeAsync()
        {
            Directory.Delete(Output, recursive: true);
            return Task.CompletedTask;
        }
    }

    private static async Task<string> DotnetAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var watchdog = new CancellationTokenSource(TestHost.Hang);
        await process.WaitForExitAsync(watchdog.Token);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} failed:\n{await output}\n{await error}");
        return await output;
    }

    private static string Version() =>
        typeof(IStreamLog).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    public static TheoryData<string> Packages() => [.. s_packages];

    [Theory]
    [MemberData(nameof(Packages))]
    public void Every_package_has_its_metadata_readme_license_and_symbols(string id)
    {
        var version = Version();
        var package = Path.Combine(_output, $"{id}.{version}.nupkg");
        using var zip = ZipFile.OpenRead(package);
        var nuspec = XDocument.Load(zip.GetEntry($"{id}.nuspec")!.Open());
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        string Field(string name) => metadata.Element(ns + name)?.Value ?? "";

        Assert.Equal(id, Field("id"));
        Assert.Equal(version, Field("version"));
        Assert.True(Field("description").Length > 40, $"{id} has a description");
        Assert.Contains("backpressure", Field("tags"), StringComparison.Ordinal);
        Assert.Equal("MIT", Field("license"));
        Assert.StartsWith("https://github.com/", Field("projectUrl"), StringComparison.Ordinal);
        var repository = metadata.Element(ns + "repository")!;
        Assert.Equal("git", repository.Attribute("type")!.Value);
        Assert.Equal(Field("projectUrl"), repository.Attribute("url")!.Value);
        Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")!.Value);
        Assert.Equal("README.md", Field("readme"));
        using (var readme = new StreamReader(zip.GetEntry("README.md")!.Open()))
        {
            Assert.StartsWith($"# {id}", readme.ReadToEnd(), StringComparison.Ordinal);
        }

        Assert.NotNull(zip.GetEntry("LICENSE"));
        Assert.NotNull(zip.GetEntry($"lib/net10.0/{id}.dll"));
        Assert.NotNull(zip.GetEntry($"lib/net10.0/{id}.xml"));

        using var symbols = ZipFile.OpenRead(Path.ChangeExtension(package, ".snupkg"));
        Assert.NotNull(symbols.GetEntry($"lib/net10.0/{id}.pdb"));
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public async Task Every_package_is_built_with_source_link_and_portable_symbols(string id)
    {
        // The Source Link map itself is filled from the clone's git remote at build time (a clone without one gets an
        // empty map), so this checks the settings that produce it.
        var project = Path.Combine(RepositoryFiles.Root, "src", id, id + ".csproj");
        var json = await DotnetAsync("msbuild", project, $"-p:Configuration={s_configuration}", "-getProperty:EnableSourceLink", "-getProperty:PublishRepositoryUrl", "-getProperty:EmbedUntrackedSources", "-getProperty:DebugType", "-getProperty:SymbolPackageFormat");
        using var properties = System.Text.Json.JsonDocument.Parse(json);
        var values = properties.RootElement.GetProperty("Properties");

        Assert.Equal("true", values.GetProperty("EnableSourceLink").GetString());
        Assert.Equal("true", values.GetProperty("PublishRepositoryUrl").GetString());
        Assert.Equal("true", values.GetProperty("EmbedUntrackedSources").GetString());
        Assert.Equal("portable", values.GetProperty("DebugType").GetString());
        Assert.Equal("snupkg", values.GetProperty("SymbolPackageFormat").GetString());
    }

    [Fact]
    public void The_core_package_carries_the_analyzers_code_fixes_and_generator()
    {
        using var zip = ZipFile.OpenRead(Path.Combine(_output, $"Reactive.Streams.Core.{Version()}.nupkg"));
        var analyzers = zip.Entries.Where(e => e.FullName.StartsWith("analyzers/dotnet/cs/", StringComparison.Ordinal)).Select(e => e.Name).Order();

        Assert.Equal(["Reactive.Streams.Analyzers.CodeFixes.dll", "Reactive.Streams.Analyzers.dll", "Reactive.Streams.Generators.dll"], analyzers);
    }

    [Fact]
    public void The_hosting_package_depends_on_the_other_packages_at_the_same_version()
    {
        using var zip = ZipFile.OpenRead(Path.Combine(_output, $"Reactive.Streams.Hosting.{Version()}.nupkg"));
        var nuspec = XDocument.Load(zip.GetEntry("Reactive.Streams.Hosting.nuspec")!.Open());
        var dependencies = nuspec.Descendants(nuspec.Root!.Name.Namespace + "dependency").ToDictionary(d => d.Attribute("id")!.Value, d => d.Attribute("version")!.Value);

        Assert.Equal(Version(), dependencies["Reactive.Streams.Storage.Sqlite"]);
        Assert.Equal(Version(), dependencies["Reactive.Streams.Storage.Postgres"]);
        Assert.Contains("Microsoft.Extensions.Hosting.Abstractions", dependencies.Keys);
        Assert.Contains("OpenTelemetry.Api.ProviderBuilderExtensions", dependencies.Keys);
    }
}
