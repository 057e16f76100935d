using System.Diagnostics;
using System.Reflection;

namespace Reactive.Streams.Tests;

/// <summary>The repository's files as the tests find them from their output folder, and its samples run as a user runs them.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The repository root: the nearest folder above the test's output that holds Reactive.Streams.sln.</summary>
    public static string Root => s_root.Value;

    /// <summary>
    /// The built <c>samples/<paramref name="name"/></c> assembly, in the configuration the calling test assembly was built
    /// in (a project reference of the test project builds it).
    /// </summary>
    public static string Sample(string name)
    {
        var configuration = typeof(RepositoryFiles).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var path = Path.Combine(Root, "samples", name, "bin", configuration, "net10.0", name + ".dll");
        Assert.True(File.Exists(path), $"{path} is built by the test project's reference to the sample");
        return path;
    }

    /// <summary>
    /// Runs <paramref name="assembly"/> in its own process (<c>dotnet exec</c>) in <paramref name="workingDirectory"/> and
    /// returns its exit code and what it wrote; kills it and throws when it has not exited within <paramref name="hang"/>.
    /// </summary>
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(
        string assembly, string workingDirectory, TimeSpan hang, params string[] arguments) =>
        RunAsync(assembly, workingDirectory, new Dictionary<string, string>(), hang, arguments);

    /// <summary>As <see cref="RunAsync(string, string, TimeSpan, string[])"/>, with <paramref name="environment"/> set in the process.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        string assembly, string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan hang, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var watchdog = new CancellationTokenSource(hang);
        try
        {
            await process.WaitForExitAsync(watchdog.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await error);
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Reactive.Streams.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Reactive.Streams.sln above {AppContext.BaseDirectory}.");
    }
}
