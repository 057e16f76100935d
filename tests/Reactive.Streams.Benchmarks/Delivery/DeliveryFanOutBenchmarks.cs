using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace Reactive.Streams.Benchmarks.Delivery;

/// <summary>
/// Fan-out of <see cref="Events"/> items to four sinks that never fail, each acknowledged once all four committed it.
/// The baseline is the hand-written equivalent: four bounded Channels (Wait mode, capacity 1024) with one reader task
/// each and a per-item countdown object for the ack join. The dispatcher runs with its retry and dead-letter machinery
/// enabled (MaxRetries 3, 100 ms backoff base, a dead-letter sink), and its ack tokens are one shared object, so its only
/// per-event allocation is the ack join (the envelope).
/// </summary>
[MemoryDiagnoser]
public class DeliveryFanOutBenchmarks
{
    private const int SinkCount = 4;
    private const int Capacity = 1024;

    [Params(100_000)]
    public int Events { get; set; }

    [Benchmark(Baseline = true)]
    public Task HandWrittenChannels() => RunChannelsAsync(Events, latencies: null);

    [Benchmark]
    public Task Dispatcher() => RunDispatcherAsync(Events, latencies: null);

    /// <summary>
    /// Measures ack latency (dispatch to ack, producer running flat out, so mostly time spent queued) once per process,
    /// outside the timed runs, and prints p50/p99.
    /// </summary>
    [GlobalCleanup]
    public void ReportAckLatency()
    {
        foreach (var (name, run) in new (string, Func<int, List<double>, Task>)[] { ("HandWrittenChannels", RunChannelsAsync), ("Dispatcher", RunDispatcherAsync) })
        {
            // Unrecorded runs first, so both paths reach tier-1 code (the cleanup runs in each benchmark's own process,
            // where the other path is cold).
            for (var warmup = 0; warmup < 10; warmup++)
            {
                run(Events, new List<double>(Events)).GetAwaiter().GetResult();
            }

            var latencies = new List<double>(Events);
            run(Events, latencies).GetAwaiter().GetResult();
            Console.WriteLine($"// AckLatency {name}: {LatencySamples.Percentiles(latencies)}");
        }
    }

    private static async Task RunChannelsAsync(int events, List<double>? latencies)
    {
        var channels = new Channel<Join>[SinkCount];
        var readers = new Task[SinkCount];
        var sinks = new NoOpSink[SinkCount];
        for (var s = 0; s < SinkCount; s++)
        {
            var channel = channels[s] = Channel.CreateBounded<Join>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
            var sink = sinks[s] = new NoOpSink($"sink-{s}");
            readers[s] = Task.Run(async () =>
            {
                var reader = channel.Reader;
                while (await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    while (reader.TryRead(out var join))
                    {
                        await sink.WriteAsync(join.Item, default).ConfigureAwait(false);
                        if (Interlocked.Decrement(ref join.Remaining) == 0)
                        {
                            join.Ack.Acknowledge();
                        }
                    }
                }
            });
        }

        var ack = new Tally();
        for (var i = 0; i < events; i++)
        {
            var join = new Join(i, latencies is null ? ack : new LatencyAck(latencies));
            foreach (var channel in channels)
            {
                await channel.Writer.WriteAsync(join).ConfigureAwait(false);
            }
        }

        foreach (var channel in channels)
        {
            channel.Writer.Complete();
        }

        await Task.WhenAll(readers).ConfigureAwait(false);
        if (latencies is null && ack.Count != events)
        {
            throw new InvalidOperationException($"Acked {ack.Count} of {events}.");
        }
    }

    private static async Task RunDispatcherAsync(int events, List<double>? latencies)
    {
        var options = new DeliveryOptions<int>
        {
            QueueCapacity = Capacity,
            MaxRetries = 3,
            BackoffBase = TimeSpan.FromMilliseconds(100),
            DeadLetterSink = new DeadLetterSink(),
        };
        for (var s = 0; s < SinkCount; s++)
        {
            options.AddSink(new NoOpSink($"sink-{s}"));
        }

        var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new Tally();
        for (var i = 0; i < events; i++)
        {
            await dispatcher.DispatchAsync(i, latencies is null ? ack : new LatencyAck(latencies)).ConfigureAwait(false);
        }

        await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).ConfigureAwait(false);
        if (latencies is null && ack.Count != events)
        {
            throw new InvalidOperationException($"Acked {ack.Count} of {events}.");
        }
    }

    private sealed class Join(int item, IAckToken ack)
    {
        public int Remaining = SinkCount;

        public int Item { get; } = item;

        public IAckToken Ack { get; } = ack;
    }

    private sealed class Tally : IAckToken
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Acknowledge() => Interlocked.Increment(ref _count);
    }

    private sealed class LatencyAck(List<double> latencies) : IAckToken
    {
        private readonly long _start = TimeProvider.System.GetTimestamp();

        public void Acknowledge()
        {
            var micros = TimeProvider.System.GetElapsedTime(_start).TotalMicroseconds;
            lock (latencies)
            {
                latencies.Add(micros);
            }
        }
    }

    private sealed class NoOpSink(string name) : IDeliverySink<int>
    {
        private long _sum;

        public string Name { get; } = name;

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            _sum += item;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class DeadLetterSink : IDeliverySink<DeadLetter<int>>
    {
        public string Name => "dead-letters";

        public ValueTask WriteAsync(DeadLetter<int> item, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
