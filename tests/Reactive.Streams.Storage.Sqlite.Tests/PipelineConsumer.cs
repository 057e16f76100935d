using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// The child process of the kill test: runs the at-least-once pipeline over a SQLite log whose sinks commit by
/// appending to streams of the same file, printing progress until it is killed or prints "done".
/// </summary>
internal static class PipelineConsumer
{
    public static async Task<int> RunAsync(string database, int seed)
    {
        await using var log = await SqliteStreamLog.OpenAsync(database);
        var sinks = new IDeliverySink<int>[]
        {
            new DurableSink(log, "sink-a", failureRate: 0.05, seed),
            new DurableSink(log, "sink-b", failureRate: 0.20, seed + 1),
        };
        var finished = await AtLeastOncePipeline.RunAsync(log, sinks, CancellationToken.None);
        await Console.Out.WriteLineAsync(finished ? "done" : "stopped");
        return finished ? 0 : 1;
    }

    /// <summary>Commits an event by appending it to its own stream; fails transiently at random before committing.</summary>
    private sealed class DurableSink(SqliteStreamLog log, string name, double failureRate, int seed) : IDeliverySink<int>
    {
        private readonly Random _random = new(seed);
        private int _committed;

        public string Name => name;

        public async ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            if (_random.NextDouble() < failureRate)
            {
                throw new IOException($"{name}: transient failure on {item}");
            }

            await log.AppendAsync(name, AtLeastOncePipeline.Encode(item), AppendMode.Durable, cancellationToken);
            if (++_committed % 100 == 0)
            {
                await Console.Out.WriteLineAsync($"{name} {_committed}");
                await Console.Out.FlushAsync(cancellationToken);

                // Wait for the parent: it either lets this sink go on or kills the process right here, so kill points
                // do not depend on how fast the machine is.
                await Console.In.ReadLineAsync(cancellationToken);
            }
        }
    }
}
