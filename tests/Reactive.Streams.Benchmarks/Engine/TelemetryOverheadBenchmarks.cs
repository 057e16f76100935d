using BenchmarkDotNet.Attributes;
using Reactive.Streams.Benchmarks.Delivery;

namespace Reactive.Streams.Benchmarks.Engine;

/// <summary>
/// The cost of the tracing and metrics hooks with nobody listening (issue 20's target: at most 2%). The same engine
/// and dispatcher benchmarks run with <see cref="DisableTelemetry"/> false (as shipped; BenchmarkDotNet runs it first)
/// and true (the internal <c>Reactive.Streams.DisableTelemetry</c> switch, set before the library is first used in the benchmark's process, turns
/// off every hook: span checks, header injection, the ack clock read and the meter registration of each buffer and
/// sink). Compare each method's two rows, which run in the same session.
/// </summary>
[MemoryDiagnoser]
public class TelemetryOverheadBenchmarks
{
    private readonly EngineThroughputBenchmarks _engine = new();
    private readonly DeliveryFanOutBenchmarks _delivery = new() { Events = 100_000 };

    [Params(false, true)]
    public bool DisableTelemetry { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (DisableTelemetry)
        {
            AppContext.SetSwitch("Reactive.Streams.DisableTelemetry", true);
        }

        // Each parameter runs in its own process; a switch set too late (the library already initialized) would
        // silently measure the wrong thing.
        if (Telemetry.Enabled == DisableTelemetry)
        {
            throw new InvalidOperationException($"Telemetry.Enabled is {Telemetry.Enabled} with DisableTelemetry={DisableTelemetry}.");
        }
    }

    [Benchmark(OperationsPerInvoke = 1_000_000)]
    public Task Engine_DropOldest() => _engine.DropOldest_BoundedStream();

    [Benchmark(OperationsPerInvoke = 1_000_000)]
    public Task Engine_PauseUpstream() => _engine.PauseUpstream_BoundedStream();

    [Benchmark(OperationsPerInvoke = 100_000)]
    public Task Dispatcher_FanOut() => _delivery.Dispatcher();
}
