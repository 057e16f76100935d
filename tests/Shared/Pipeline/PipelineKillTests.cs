using System.Diagnostics;

namespace Reactive.Streams.Tests.Pipeline;

/// <summary>
/// End to end across process deaths: a consumer process running cursor canal → dispatcher over a durable log is killed
/// (SIGKILL) at random points; after restarts every event reached every sink at least once, duplicates stay within the
/// window per kill, and no run's checkpoint passed an event a sink had not committed. A backend's test project derives
/// from this, and its test assembly's entry point runs <see cref="PipelineConsumer"/> for
/// <c>pipeline-consumer &lt;ConsumerArguments&gt; &lt;seed&gt;</c>.
/// </summary>
public abstract class PipelineKillTests
{
    /// <summary>Opens a log on the test's storage.</summary>
    protected abstract Task<IStreamLog> OpenLogAsync();

    /// <summary>What the consumer process needs to open the same log (a path, a connection string).</summary>
    protected abstract string ConsumerArgument { get; }

    [Fact]
    public async Task A_consumer_process_killed_at_random_points_loses_nothing_and_duplicates_stay_within_the_window()
    {
        const int Events = 10_000;
        await using (var seedLog = await OpenLogAsync())
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
        await using var log = await OpenLogAsync();
        foreach (var sink in PipelineConsumer.SinkNames)
        {
            var committed = await PipelineConsumer.CommittedAsync(log, sink);
            Assert.Equal(Enumerable.Range(0, Events), committed.Distinct().Order());
            Assert.InRange(committed.Count - Events, 0, kills * AtLeastOncePipeline.UnackedWindow);
        }

        Assert.Equal(await AtLeastOncePipeline.LastEventIdAsync(log), await ((ICheckpointStore)log).ReadCheckpointAsync(AtLeastOncePipeline.CheckpointId));
    }

    private async Task<(bool Finished, bool Killed)> RunConsumerAsync(int run, int killAfterLines)
    {
        using var consumer = Process.Start(new ProcessStartInfo
        {
            FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            ArgumentList =
            {
                "exec", GetType().Assembly.Location, "pipeline-consumer", ConsumerArgument,
                (100 + run).ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
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
                Assert.False(line.StartsWith("violation", StringComparison.Ordinal), line);
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
