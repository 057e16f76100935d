using Reactive.Streams.Tests;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>Runs samples/WorkerService as a user would (its own process, its appsettings.json) and reads its output.</summary>
public sealed class WorkerServiceSampleTests
{
    [Fact]
    public async Task The_worker_service_sample_runs_delivers_dead_letters_reports_health_and_exits_by_itself()
    {
        var sample = RepositoryFiles.Sample("WorkerService");
        var directory = Directory.CreateTempSubdirectory("rs-worker-sample-").FullName;
        try
        {
            var (exitCode, text, error) = await RepositoryFiles.RunAsync(
                sample, directory, TestHost.Hang, $"--ReactiveStreams:Log:Path={Path.Combine(directory, "orders.db")}", "--Sample:RunFor=00:00:01");

            Assert.True(exitCode == 0, $"exit code {exitCode}\n{text}\n{error}");
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

    [Fact]
    public async Task Run_with_no_arguments_the_sample_starts_from_an_empty_log_every_time_and_leaves_no_file_behind()
    {
        // The README's command, twice: before, the default log was one fixed file of the temp directory, so a second run
        // replayed into the first run's log and printed the dead letters of both (and concurrent runs shared it).
        var sample = RepositoryFiles.Sample("WorkerService");
        var directory = Directory.CreateTempSubdirectory("rs-worker-sample-").FullName;
        var temp = Directory.CreateDirectory(Path.Combine(directory, "tmp")).FullName;
        var environment = new Dictionary<string, string> { ["TMPDIR"] = temp, ["TMP"] = temp, ["TEMP"] = temp };
        try
        {
            for (var run = 1; run <= 2; run++)
            {
                var (exitCode, text, error) = await RepositoryFiles.RunAsync(sample, directory, environment, TestHost.Hang, "--Sample:RunFor=00:00:01");

                Assert.True(exitCode == 0, $"run {run}: exit code {exitCode}\n{text}\n{error}");
                Assert.Contains("orders acknowledged: 20", text, StringComparison.Ordinal);
                Assert.Contains("dead letters in 'orders.dead': 2", text, StringComparison.Ordinal);
                Assert.Contains("health: Healthy", text, StringComparison.Ordinal);
                Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_second_run_on_a_kept_log_resumes_from_the_workers_checkpoint_and_keeps_the_first_runs_dead_letters()
    {
        // README: "add -- --ReactiveStreams:Log:Path=orders.db to keep the log (a later run then resumes from the worker's
        // checkpoint)". The second run appends its own 20 orders: a worker that resumed acknowledges those 20, not 40.
        var sample = RepositoryFiles.Sample("WorkerService");
        var directory = Directory.CreateTempSubdirectory("rs-worker-sample-").FullName;
        try
        {
            var path = $"--ReactiveStreams:Log:Path={Path.Combine(directory, "orders.db")}";
            var checkpoints = new List<string>();
            for (var run = 1; run <= 2; run++)
            {
                var (exitCode, text, error) = await RepositoryFiles.RunAsync(sample, directory, TestHost.Hang, path, "--Sample:RunFor=00:00:01");

                Assert.True(exitCode == 0, $"run {run}: exit code {exitCode}\n{text}\n{error}");
                Assert.Contains("orders acknowledged: 20", text, StringComparison.Ordinal);
                Assert.Contains($"dead letters in 'orders.dead': {2 * run}", text, StringComparison.Ordinal);
                Assert.Contains("health: Healthy", text, StringComparison.Ordinal);
                var line = text.Split('\n').Single(l => l.StartsWith("canal worker 'orders': ", StringComparison.Ordinal));
                checkpoints.Add(line[(line.IndexOf("checkpoint ", StringComparison.Ordinal) + "checkpoint ".Length)..].Trim());
            }

            Assert.NotEqual(checkpoints[0], checkpoints[1]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("--ConnectionStrings:ReactiveStreams=Data Source={0}")]
    [InlineData("--ReactiveStreams:Log:ConnectionString=Data Source={0}")]
    [InlineData("--ReactiveStreams:Log:Path={0}")]
    public async Task The_sample_keeps_its_log_in_the_file_any_documented_setting_names(string setting)
    {
        // hosting.md: SQLite takes the file from Path or from a connection string's Data Source, and "with neither, the
        // ConnectionStrings entry named by ConnectionStringName (default ReactiveStreams) is used". The sample's own
        // default (a temporary file, deleted at the end) is for a run that configures none of them.
        var sample = RepositoryFiles.Sample("WorkerService");
        var directory = Directory.CreateTempSubdirectory("rs-worker-sample-").FullName;
        try
        {
            var file = Path.Combine(directory, "kept.db");
            var (exitCode, text, error) = await RepositoryFiles.RunAsync(
                sample, directory, TestHost.Hang, string.Format(System.Globalization.CultureInfo.InvariantCulture, setting, file), "--Sample:RunFor=00:00:01");

            Assert.True(exitCode == 0, $"exit code {exitCode}\n{text}\n{error}");
            Assert.Contains("orders acknowledged: 20", text, StringComparison.Ordinal);
            Assert.True(File.Exists(file), $"{setting}: the sample did not keep its log in {file}");
            await using var log = await Reactive.Streams.Storage.Sqlite.SqliteStreamLog.OpenAsync(file);
            var orders = await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 1000);
            Assert.Equal(20, orders.Count);
            Assert.Equal(orders[^1].Id, await log.ReadCheckpointAsync("orders-dispatch"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_run_whose_start_fails_names_the_bad_key_exits_with_an_error_and_leaves_no_temporary_directory_behind()
    {
        // A bad value fails the start naming its key (hosting.md); the sample's default log directory, created when the
        // log's options were built, is still removed, as after a run that succeeds.
        var sample = RepositoryFiles.Sample("WorkerService");
        var directory = Directory.CreateTempSubdirectory("rs-worker-sample-").FullName;
        var temp = Directory.CreateDirectory(Path.Combine(directory, "tmp")).FullName;
        var environment = new Dictionary<string, string> { ["TMPDIR"] = temp, ["TMP"] = temp, ["TEMP"] = temp };
        try
        {
            var (exitCode, text, error) = await RepositoryFiles.RunAsync(
                sample, directory, environment, TestHost.Hang, "--ReactiveStreams:Canals:orders:MaxBatch=0", "--Sample:RunFor=00:00:01");

            Assert.True(exitCode != 0, $"exit code {exitCode}\n{text}\n{error}");
            Assert.Contains("ReactiveStreams:Canals:orders:MaxBatch", text + error, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task The_readmes_relative_log_path_is_kept_in_the_working_directory()
    {
        // README: "add -- --ReactiveStreams:Log:Path=orders.db to keep the log"; a relative path is relative to the
        // working directory (StreamLogHostOptions.Path), not to the sample's content root (its output directory).
        var sample = RepositoryFiles.Sample("WorkerService");
        var directory = Directory.CreateTempSubdirectory("rs-worker-sample-").FullName;
        try
        {
            var (exitCode, text, error) = await RepositoryFiles.RunAsync(sample, directory, TestHost.Hang, "--ReactiveStreams:Log:Path=orders.db", "--Sample:RunFor=00:00:01");

            Assert.True(exitCode == 0, $"exit code {exitCode}\n{text}\n{error}");
            Assert.True(File.Exists(Path.Combine(directory, "orders.db")), $"no orders.db in the working directory {directory}");
            Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(sample)!, "orders.db")), "the log went to the sample's output directory");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Stopped_the_sample_leaves_its_checkpoint_on_the_last_order_and_the_stop_logs_that_checkpoint()
    {
        // Read back from the file once the process is gone: the checkpoint of Canals:orders:CheckpointId (appsettings.json)
        // stands on the last order (every order was delivered or dead-lettered before the stop), the 7002 line printed
        // that position, and the dead letters are the two JSON documents hosting.md describes.
        var sample = RepositoryFiles.Sample("WorkerService");
        var directory = Directory.CreateTempSubdirectory("rs-worker-sample-").FullName;
        try
        {
            var file = Path.Combine(directory, "orders.db");
            var (exitCode, text, error) = await RepositoryFiles.RunAsync(sample, directory, TestHost.Hang, $"--ReactiveStreams:Log:Path={file}", "--Sample:RunFor=00:00:01");
            Assert.True(exitCode == 0, $"exit code {exitCode}\n{text}\n{error}");
            Assert.Contains("orders acknowledged: 20", text, StringComparison.Ordinal);

            await using var log = await Reactive.Streams.Storage.Sqlite.SqliteStreamLog.OpenAsync(file);
            var orders = await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 1000);
            Assert.Equal(20, orders.Count);
            var checkpoint = await log.ReadCheckpointAsync("orders-dispatch");
            Assert.Equal(orders[^1].Id, checkpoint);
            Assert.Null(await log.ReadCheckpointAsync("orders")); // the worker's name is not its checkpoint here
            Assert.Contains($"Canal worker 'orders' stopped at checkpoint {checkpoint}; 0 pulled frame(s)", text, StringComparison.Ordinal);

            var deadLetters = await log.ReadAsync("orders.dead", StreamId.Min, StreamId.Max, 1000);
            Assert.Equal(2, deadLetters.Count);
            foreach (var letter in deadLetters)
            {
                using var json = System.Text.Json.JsonDocument.Parse(letter.Payload);
                Assert.Equal("warehouse", json.RootElement.GetProperty("sink").GetString());
                Assert.Equal(System.Text.Json.JsonValueKind.Object, json.RootElement.GetProperty("item").ValueKind);
                Assert.False(json.RootElement.TryGetProperty("itemEncoding", out _));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Stopped_by_SIGTERM_before_its_run_ends_the_sample_stops_gracefully_and_checkpoints_what_it_delivered()
    {
        // A worker service is stopped by its service manager (systemd, docker stop, Kubernetes) with SIGTERM, not by itself:
        // the host's stop then drains the dispatcher and writes the worker's checkpoint before the process exits.
        var sample = RepositoryFiles.Sample("WorkerService");
        var directory = Directory.CreateTempSubdirectory("rs-worker-sample-").FullName;
        try
        {
            var file = Path.Combine(directory, "orders.db");
            var start = new System.Diagnostics.ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = directory,
            };
            // A drain timeout well above what a loaded machine needs, still below the host's 30-second shutdown timeout.
            string[] arguments = ["exec", sample, $"--ReactiveStreams:Log:Path={file}", "--Sample:RunFor=01:00:00", "--ReactiveStreams:Dispatchers:orders:DrainTimeout=00:00:25"];
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = System.Diagnostics.Process.Start(start)!;
            var output = new System.Text.StringBuilder();
            var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var reading = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    lock (output)
                    {
                        output.AppendLine(line);
                    }

                    if (line.Contains("console: order 20 ", StringComparison.Ordinal))
                    {
                        delivered.TrySetResult();
                    }
                }
            });
            var errors = process.StandardError.ReadToEndAsync();
            try
            {
                await delivered.Task.WaitAsync(TestHost.Hang);
                using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
                {
                    await kill.WaitForExitAsync().WaitAsync(TestHost.Hang);
                }

                await process.WaitForExitAsync().WaitAsync(TestHost.Hang);
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }

            await reading.WaitAsync(TestHost.Hang);
            var text = output.ToString();
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{text}\n{await errors}");
            Assert.DoesNotContain("orders acknowledged:", text, StringComparison.Ordinal); // stopped before its own summary

            await using var log = await Reactive.Streams.Storage.Sqlite.SqliteStreamLog.OpenAsync(file);
            var orders = await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 1000);
            Assert.Equal(20, orders.Count);
            var checkpoint = await log.ReadCheckpointAsync("orders-dispatch");
            Assert.Equal(orders[^1].Id, checkpoint);
            Assert.Contains($"Canal worker 'orders' stopped at checkpoint {checkpoint}; 0 pulled frame(s)", text, StringComparison.Ordinal);
            Assert.Equal(2, (await log.ReadAsync("orders.dead", StreamId.Min, StreamId.Max, 1000)).Count);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
