using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// End to end: cursor canal → dispatcher, checkpoint advanced only by acks. The consumer is stopped at random points;
/// after restarts every event reaches every Block sink at least once and duplicates stay within the unacked window.
/// </summary>
public class PipelineEndToEndTests
{
    [Fact]
    public async Task A_consumer_cancelled_at_random_points_loses_nothing_and_duplicates_stay_within_the_window()
    {
        const int Events = 10_000;
        await using var log = new InMemoryStreamLog();
        await AtLeastOncePipeline.SeedAsync(log, Events);
        var sinks = new[]
        {
            new FlakyRecordingSink("a", failureRate: 0.05, seed: 1),
            new FlakyRecordingSink("b", failureRate: 0.20, seed: 2),
            new FlakyRecordingSink("c", failureRate: 0.00, seed: 3),
        };
        var random = new Random(1234);
        var restarts = 0;
        var finished = false;
        while (!finished)
        {
            Assert.True(restarts < 200, "the pipeline never finished");
            using var stop = new CancellationTokenSource();
            var stopAt = sinks[1].Committed.Count + random.Next(1, 2_000);
            sinks[1].OnCommit = count =>
            {
                if (count >= stopAt)
                {
                    stop.Cancel();
                }
            };

            finished = await AtLeastOncePipeline.RunAsync(log, sinks, stop.Token).WaitAsync(TimeSpan.FromSeconds(60));
            if (!finished)
            {
                restarts++;
            }
        }

        Assert.True(restarts >= 3, $"only {restarts} stops happened: the test did not exercise restarts");
        foreach (var sink in sinks)
        {
            var committed = sink.Committed;
            Assert.Equal(Enumerable.Range(0, Events), committed.Distinct().Order());
            var duplicates = committed.Count - Events;
            Assert.InRange(duplicates, 0, restarts * AtLeastOncePipeline.UnackedWindow);
        }

        var checkpoint = await log.ReadCheckpointAsync(AtLeastOncePipeline.CheckpointId);
        var last = await log.ReadAsync(AtLeastOncePipeline.EventStream, StreamId.Min, StreamId.Max, Events);
        Assert.Equal(last[^1].Id, checkpoint);
    }
}
