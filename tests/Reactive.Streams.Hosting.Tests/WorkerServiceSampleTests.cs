using System.Diagnostics;
using System.Reflection;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>Runs samples/WorkerService as a user would (its own process, its appsettings.json) and reads its output.</summary>
public sealed class WorkerServiceSampleTests
{
    [Fact]
    public async Task The_worker_service_sample_runs_delivers_dead_letters_reports_health_and_exits_by_itself()
    {
        var configuration = typeof(WorkerServiceSampleTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var sample = Path.Combine(RepositoryRoot(), "samples", "WorkerService", "bin", configuration, "net10.0", "WorkerService.dll");
        Assert.True(File.Exists(sample), $"{sample} is built by the project reference");
        var directory = Directory.CreateTempSubdirectory("rs-worker-sample-").FullName;
        try
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = directory,
            };
            foreach (var argument in new[] { "exec", sample, $"--ReactiveStreams:Log:Path={Path.Combine(directory, "orders.db")}", "--Sample:RunFor=00:00:01" })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var watchdog = new CancellationTokenSource(TestHost.Hang);
            try
            {
                await process.WaitForExitAsync(watchdog.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            var text = await output;
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{text}\n{await error}");
            Assert.Contains("orders acknowledged: 20", text, StringComparison.Ordinal);
            Assert.Contains("reserved by the warehouse: 18", text, StringComparison.Ordinal);
            Assert.Contains("dead letters in 'orders.dead': 2", text, StringComparison.Ordinal);
            Assert.Contains("health: Healthy", text, StringComparison.Ordinal);
            Assert.Contains("console: order 20 ", text, StringComparison.Ordinal);
            Assert.Contains("Canal worker 'orders' stopped at checkpoint", text, StringComparison.Ordinal);

            // The OpenTelemetry console exporter printed the library's meter when the host stopped.
            Assert.Contains("Metric Name: ", text, StringComparison.Ordinal);
            Assert.Contains($"Name: {ReactiveStreamsInstrumentation.MeterName}", text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string RepositoryRoot()
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
