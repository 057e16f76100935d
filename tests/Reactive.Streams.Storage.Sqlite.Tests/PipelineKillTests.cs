using System.Diagnostics;
using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// End to end across process deaths: a consumer process running cursor canal → dispatcher over SQLite is killed at
/// random points; after restarts every event reached every sink at least once and duplicates stay within the window.
/// </summary>
public sealed class PipelineKillTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rxs-pipeline-").FullName;

    private string DatabasePath => Path.Combine(_directory, "pipeline.db");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_consumer_process_killed_at_random_points_loses_nothing_and_duplicates_stay_within_the_window()
    {
        const int Events = 10_000;
        await using (var seedLog = await SqliteStreamLog.OpenAsync(DatabasePath))
        {
            await AtLeastOncePipeline.SeedAsync(seedLog, Events);
        }

        var random = new Random(2026);
        var kills = 0;
        for (var run = 0; ; run++)
        {
            Assert.True(run < 40, "the consumer never finished");
            var killAfterLines = kills < 4 ? random.Next(1, 40) : int.MaxValue;
            var (finished, killed) = await RunConsumerAsync(run, killAfterLines);
            kills += killed ? 1 : 0;
            if (finished)
            {
                break;
            }
        }

        Assert.True(kills >= 3, $"only {kills} kills happened: the test did not exercise restarts");
        await using var log = await SqliteStreamLog.OpenAsync(DatabasePath);
        foreach (var sink in new[] { "sink-a", "sink-b" })
        {
            var committed = new List<int>();
            for (var from = StreamId.Min; ;)
            {
                var page = await log.ReadAsync(sink, from, StreamId.Max, 5_000);
                if (page.Count == 0)
                {
                    break;
                }

                committed.AddRange(page.Select(f => AtLeastOncePipeline.Decode(f.Payload)));
                from = page[^1].Id.Successor();
            }

            Assert.Equal(Enumerable.Range(0, Events), committed.Distinct().Order());
            Assert.InRange(committed.Count - Events, 0, kills * AtLeastOncePipeline.UnackedWindow);
        }
    }

    private async Task<(bool Finished, bool Killed)> RunConsumerAsync(int run, int killAfterLines)
    {
        using var consumer = Process.Start(new ProcessStartInfo
        {
            FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            ArgumentList = { "exec", typeof(Program).Assembly.Location, "pipeline-consumer", DatabasePath, (100 + run).ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var errors = consumer.StandardError.ReadToEndAsync();
        var lines = 0;
        try
        {
            while (await consumer.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
            {
                if (line == "done")
                {
                    await consumer.WaitForExitAsync();
                    return (true, false);
                }

                if (++lines >= killAfterLines)
                {
                    consumer.Kill(entireProcessTree: true);
                    await consumer.WaitForExitAsync();
                    return (false, true);
                }

                await consumer.StandardInput.WriteLineAsync("go");
                await consumer.StandardInput.FlushAsync();
            }

            await consumer.WaitForExitAsync();
            Assert.Fail($"the consumer exited with code {consumer.ExitCode} before it finished: {await errors}");
            return (false, false);
        }
        catch
        {
            consumer.Kill(entireProcessTree: true);
            throw;
        }
    }
}
