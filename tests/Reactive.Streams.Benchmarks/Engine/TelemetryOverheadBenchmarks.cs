using BenchmarkDotNet.Attributes;
using Reactive.Streams.Benchmarks.Delivery;

namespace Reactive.Streams.Benchmarks.Engine;

/// <summary>
/// The cost of the tracing and metrics hooks with nobody listening (issue 20's target: at most 2%). The same engine
/// and dispatcher benchmarks run as shipped, with the internal <c>Reactive.Streams.DisableTelemetry</c> switch set
/// (set before the library is first used in the benchmark's process, it turns off every hook: span checks, header
/// injection, the ack clock read and the meter registration of each buffer and sink), and as shipped again. Each
/// value runs in its own processes, in that order, so the two shipped rows are an A/A control: their difference is
/// what the machine and the process layout vary between runs, the resolution of the shipped/disabled comparison.
/// Run it pinned to one core (<c>--affinity 1</c>): with two threads on two cores the engine and dispatcher
/// benchmarks are bimodal (fast while producer and consumer overlap, several times slower when the consumer parks).
/// </summary>
[MemoryDiagnoser]
public class TelemetryOverheadBenchmarks
{
    private readonly EngineThroughputBenchmarks _engine = new();
    private readonly DeliveryFanOutBenchmarks _delivery = new() { Events = 100_000 };

    /// <summary>How the library's telemetry is set up in the benchmark's process.</summary>
    public enum Instrumentation
    {
        /// <summary>As shipped: every hook compiled in, nobody listening.</summary>
        Shipped,

        /// <summary>Every hook switched off.</summary>
        Disabled,

        /// <summary>As shipped, measured after <see cref="Disabled"/>: the A/A control.</summary>
        ShippedAgain,
    }

    [Params(Instrumentation.Shipped, Instrumentation.Disabled, Instrumentation.ShippedAgain)]
    public Instrumentation Telemetry { get; set; }

    private bool DisableTelemetry => Telemetry == Instrumentation.Disabled;

    [GlobalSetup]
    public void Setup()
    {
        if (DisableTelemetry)
        {
            AppContext.SetSwitch("Reactive.Streams.DisableTelemetry", true);
        }

        // Each parameter runs in its own process; a switch set too late (the library already initialized) would
        // silently measure the wrong thing.
        if (Reactive.Streams.Telemetry.Enabled == DisableTelemetry)
        {
            throw new InvalidOperationException($"Telemetry.Enabled is {Reactive.Streams.Telemetry.Enabled} with {Telemetry}.");
        }
    }

    [Benchmark(OperationsPerInvoke = 1_000_000)]
    public Task Engine_DropOldest() => _engine.DropOldest_BoundedStream();

    [Benchmark(OperationsPerInvoke = 1_000_000)]
    public Task Engine_PauseUpstream() => _engine.PauseUpstream_BoundedStream();

    [Benchmark(OperationsPerInvoke = 100_000)]
    public Task Dispatcher_FanOut() => _delivery.Dispatcher();

    // One thread pushes and reads in turn: no second thread, no parking, so the figure is the per-item path's own cost
    // and not the two-thread benchmarks' bimodal scheduling (a run is fast or slow depending on whether the producer and
    // consumer happen to overlap), which is far wider than the 2% this measures.
    private const int SingleThreadItems = 1_000_000;

    [Benchmark(OperationsPerInvoke = SingleThreadItems)]
    public long Engine_DropOldest_OneThread() => PushAndRead(BoundedStream.DropOldest<int>(1024), pauseUpstream: false);

    [Benchmark(OperationsPerInvoke = SingleThreadItems)]
    public long Engine_PauseUpstream_OneThread() => PushAndRead(BoundedStream.PauseUpstream<int>(1024), pauseUpstream: true);

    private static long PushAndRead(BoundedStream<int> stream, bool pauseUpstream)
    {
        long sum = 0;
        for (var i = 0; i < SingleThreadItems; i++)
        {
            if (pauseUpstream)
            {
                // Room for one more after every read: the push completes synchronously.
                var pending = stream.PushAsync(i);
                if (!pending.IsCompletedSuccessfully)
                {
                    throw new InvalidOperationException("The push waited.");
                }
            }
            else
            {
                stream.TryPush(i);
            }

            if ((i & 15) == 15)
            {
                while (stream.TryRead(out var item))
                {
                    sum += item;
                }
            }
        }

        while (stream.TryRead(out var rest))
        {
            sum += rest;
        }

        return sum;
    }
}
