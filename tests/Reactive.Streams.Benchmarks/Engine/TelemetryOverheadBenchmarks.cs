using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Running;
using Reactive.Streams.Benchmarks.Delivery;

namespace Reactive.Streams.Benchmarks.Engine;

/// <summary>
/// The cost of the tracing and metrics hooks with nobody listening (issue 20's target: at most 2%). The same engine
/// and dispatcher benchmarks run as shipped, with the internal <c>Reactive.Streams.DisableTelemetry</c> switch set
/// (set before the library is first used in the benchmark's process, it turns off every hook: span checks, header
/// injection, the ack clock read and the meter registration of each buffer and sink), and as shipped again. Each
/// value runs in its own processes, in that order and then switched off again, so the two shipped rows are an A/A
/// control and the two disabled rows a B/B one: their differences are what the machine varies between runs, the
/// resolution of the shipped/disabled comparison.
/// Run it pinned to one core (<c>--affinity 1</c>), where the setup also limits the thread pool to one worker thread
/// and the engine and dispatcher benchmarks run on that thread. Run as their own classes do, with a producer and
/// consumers on two preemptive threads, they are multimodal per process even on one core (each process settles in a
/// fast or a slow mode, depending on where the threads happen to be preempted), and the modes are far wider than 2%.
/// On one pool thread the same code runs cooperatively: a producer runs until it waits for room, then the queued
/// consumers run until they wait for items, so every process follows the same schedule. Run it with tiered compilation
/// off (<c>--envVars DOTNET_TieredCompilation:0 DOTNET_PROCESSOR_COUNT:1</c>) too: with tiered PGO each process compiles the hot loops from the
/// profile it happened to collect, and settles in its own mode (the dispatcher 156-160 or 183-199 ns in one run); with
/// the JIT's output fixed, what differs between the rows is the instrumentation.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Interleaved))]
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

        /// <summary>Switched off, measured last: the B/B control.</summary>
        DisabledAgain,
    }

    [Params(Instrumentation.Shipped, Instrumentation.Disabled, Instrumentation.ShippedAgain, Instrumentation.DisabledAgain)]
    public Instrumentation Telemetry { get; set; }

    private bool DisableTelemetry => Telemetry is Instrumentation.Disabled or Instrumentation.DisabledAgain;

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

        // The pool refuses fewer threads than processors. BenchmarkDotNet sets the affinity after the process starts,
        // sometimes after the runtime counted the processors, so the count is set by DOTNET_PROCESSOR_COUNT.
        if (Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") != "0" || Environment.ProcessorCount != 1 ||
            !ThreadPool.SetMaxThreads(1, 1) || !ThreadPool.SetMinThreads(1, 1))
        {
            throw new InvalidOperationException(
                "Run pinned to one core with tiered compilation off: --affinity 1 --envVars DOTNET_TieredCompilation:0 DOTNET_PROCESSOR_COUNT:1.");
        }
    }

    // On the one pool thread: DropOldest's producer never waits, so it pushes (and evicts) all 1,000,000 items before
    // the consumer drains the last 1,024; PauseUpstream's producer and consumer alternate a buffer at a time.
    [Benchmark(OperationsPerInvoke = 1_000_000)]
    public Task Engine_DropOldest() => Task.Run(_engine.DropOldest_BoundedStream);

    [Benchmark(OperationsPerInvoke = 1_000_000)]
    public Task Engine_PauseUpstream() => Task.Run(_engine.PauseUpstream_BoundedStream);

    // The dispatcher's four sink workers and the producer alternate as queues fill and empty.
    [Benchmark(OperationsPerInvoke = 100_000)]
    public Task Dispatcher_FanOut() => Task.Run(_delivery.Dispatcher);

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

    /// <summary>
    /// Runs each benchmark's four values one after the other (BenchmarkDotNet's default runs every benchmark with the
    /// first value, then every benchmark with the next), so the values compared were measured minutes apart, not a
    /// quarter of the run apart, while the machine drifts.
    /// </summary>
    private sealed class Interleaved : ManualConfig
    {
        public Interleaved() => Orderer = new MethodThenValueOrderer();
    }

    private sealed class MethodThenValueOrderer : DefaultOrderer
    {
        public override IEnumerable<BenchmarkCase> GetExecutionOrder(ImmutableArray<BenchmarkCase> benchmarksCase, IEnumerable<BenchmarkLogicalGroupRule>? order = null)
        {
            var methods = typeof(TelemetryOverheadBenchmarks).GetMethods().Select(static m => m.Name).ToList();
            return base.GetExecutionOrder(benchmarksCase, order).OrderBy(b => methods.IndexOf(b.Descriptor.WorkloadMethod.Name));
        }
    }
}
