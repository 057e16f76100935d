using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace Reactive.Streams.Benchmarks.Canal;

/// <summary>
/// Pull latency for a trickle: one item every 10 ms into a canal pulled with a 1 s deadline and room for 64 items. Each
/// operation starts a pull, waits 10 ms, pushes (or appends) one item and waits for the pull to return; the cleanup
/// prints the distribution of "item pushed → pull returned" over every operation. A pull that waited for a fuller
/// batch or for its deadline would show up here as about a second.
/// </summary>
[WarmupCount(1)]
[IterationCount(10)]
public class CanalTrickleLatencyBenchmarks
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(1);
    private readonly List<double> _lossy = [];
    private readonly List<double> _cursor = [];
    private BoundedStream<int> _stream = null!;
    private LossySubscription<int> _lossyCanal = null!;
    private InMemoryStreamLog _log = null!;
    private CursorCanal _cursorCanal = null!;

    [GlobalSetup]
    public void Setup()
    {
        _stream = BoundedStream.DropOldest<int>(1024);
        _lossyCanal = LossySubscription.Create(_stream);
        _log = new InMemoryStreamLog();
        _cursorCanal = CursorCanal.OpenAsync(_log, "trickle").AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// trickle, LossySubscription, pushed -> pull returned: {LatencySamples.Percentiles(_lossy)}");
        Console.WriteLine($"// trickle, CursorCanal (in-memory log), appended -> pull returned: {LatencySamples.Percentiles(_cursor)}");
        _lossyCanal.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _cursorCanal.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "LossySubscription: pull, 10 ms, push one")]
    public async Task<int> Lossy()
    {
        var pull = _lossyCanal.PullBatchAsync(64, Deadline).AsTask();
        await Task.Delay(10);
        var pushed = Stopwatch.GetTimestamp();
        _stream.TryPush(1);
        var batch = await pull;
        _lossy.Add(Stopwatch.GetElapsedTime(pushed).TotalMicroseconds);
        return batch.Count;
    }

    [Benchmark(Description = "CursorCanal: pull, 10 ms, append one")]
    public async Task<int> Cursor()
    {
        var pull = _cursorCanal.PullBatchAsync(64, Deadline).AsTask();
        await Task.Delay(10);
        var appended = Stopwatch.GetTimestamp();
        await _log.AppendAsync("trickle", "x", AppendMode.Durable);
        var batch = await pull;
        _cursor.Add(Stopwatch.GetElapsedTime(appended).TotalMicroseconds);
        return batch.Count;
    }
}
