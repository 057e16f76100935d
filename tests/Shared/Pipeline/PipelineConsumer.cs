namespace Reactive.Streams.Tests.Pipeline;

/// <summary>
/// The child process of the kill tests: runs the at-least-once pipeline over a durable log whose sinks commit by
/// appending to streams of the same log, printing progress until it is killed or prints "done". Its checkpoints go
/// through a <see cref="CheckpointGuard"/>, which prints a "violation" line if one would pass an uncommitted event.
/// </summary>
public static class PipelineConsumer
{
    public static readonly string[] SinkNames = ["sink-a", "sink-b"];

    public static async Task<int> RunAsync(IStreamLog log, int seed)
    {
        var sinks = new[]
        {
            await DurableSink.OpenAsync(log, SinkNames[0], failureRate: 0.05, seed),
            await DurableSink.OpenAsync(log, SinkNames[1], failureRate: 0.20, seed + 1),
        };
        var guard = new CheckpointGuard(log, (ICheckpointStore)log, [.. sinks.Select(s => (s.Name, (Func<int, bool>)s.HasCommitted))], previous: null);
        var finished = await AtLeastOncePipeline.RunAsync(log, sinks, CancellationToken.None, guard);
        foreach (var violation in guard.Violations)
        {
            await Console.Out.WriteLineAsync($"violation {violation}");
        }

        await Console.Out.WriteLineAsync(finished ? "done" : "stopped");
        await Console.Out.FlushAsync();
        return finished ? 0 : 1;
    }

    /// <summary>Reads what a sink committed in every run so far (its stream).</summary>
    public static async Task<List<int>> CommittedAsync(IStreamLog log, string sink)
    {
        var committed = new List<int>();
        for (var from = StreamId.Min; ;)
        {
            var page = await log.ReadAsync(sink, from, StreamId.Max, 5_000);
            if (page.Count == 0)
            {
                return committed;
            }

            committed.AddRange(page.Select(f => AtLeastOncePipeline.Decode(f.Payload)));
            from = page[^1].Id.Successor();
        }
    }

    /// <summary>Commits an event by appending it to its own stream; fails transiently at random before committing.</summary>
    private sealed class DurableSink : IDeliverySink<int>
    {
        private readonly IStreamLog _log;
        private readonly Random _random;
        private readonly double _failureRate;
        private readonly HashSet<int> _committed;
        private int _committedThisRun;

        private DurableSink(IStreamLog log, string name, double failureRate, int seed, HashSet<int> committed)
        {
            _log = log;
            Name = name;
            _failureRate = failureRate;
            _random = new Random(seed);
            _committed = committed;
        }

        public string Name { get; }

        public static async Task<DurableSink> OpenAsync(IStreamLog log, string name, double failureRate, int seed) =>
            new(log, name, failureRate, seed, [.. await CommittedAsync(log, name)]);

        public bool HasCommitted(int item)
        {
            lock (_committed)
            {
                return _committed.Contains(item);
            }
        }

        public async ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            if (_random.NextDouble() < _failureRate)
            {
                throw new IOException($"{Name}: transient failure on {item}");
            }

            await _log.AppendAsync(Name, AtLeastOncePipeline.Encode(item), AppendMode.Durable, cancellationToken);
            lock (_committed)
            {
                _committed.Add(item);
            }

            if (++_committedThisRun % 100 == 0)
            {
                await Console.Out.WriteLineAsync($"{Name} {_committedThisRun}");
                await Console.Out.FlushAsync(cancellationToken);

                // Wait for the parent: it either lets this sink go on or kills the process right here, so kill points
                // do not depend on how fast the machine is.
                await Console.In.ReadLineAsync(cancellationToken);
            }
        }
    }
}
