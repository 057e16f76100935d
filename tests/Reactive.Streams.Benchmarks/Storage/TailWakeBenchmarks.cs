using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace Reactive.Streams.Benchmarks.Storage;

/// <summary>
/// Tail wake latency on a server backend: a tail parked on one log instance, an append through another. Each operation
/// parks a tail, appends, and waits for the tail to return; the cleanup prints the distribution of "append returned →
/// tail returned" and "append called → tail returned" over every operation (warm-up and pilot included), measured with
/// <see cref="Stopwatch"/> timestamps around the awaits. A backend's class says how its server starts and its logs open.
/// </summary>
public abstract class TailWakeBenchmarks
{
    private readonly byte[] _payload = new byte[100];
    private readonly List<double> _fromCommit = [];
    private readonly List<double> _fromCall = [];
    private IDisposable _server = null!;
    private IStreamLog _writer = null!;
    private IStreamLog _reader = null!;
    private Func<int> _readerParked = null!;
    private StreamId _last;

    /// <summary>
    /// Starts a throwaway server and opens two logs on it, each on its own connections; <c>ReaderParked</c> reads how
    /// many streams the reader has tails parked on.
    /// </summary>
    protected abstract (IDisposable Server, IStreamLog Writer, IStreamLog Reader, Func<int> ReaderParked) Open();

    [GlobalSetup]
    public void Setup()
    {
        (_server, _writer, _reader, _readerParked) = Open();
        // Starts the reader's wake-up channel (PostgreSQL's listener, Redis's subscription) before the first operation.
        _reader.TailAsync("wake", StreamId.Min, TimeSpan.Zero, 1).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// tail wake latency, append returned -> tail returned: {LatencySamples.Percentiles(_fromCommit)}");
        Console.WriteLine($"// tail wake latency, append called   -> tail returned: {LatencySamples.Percentiles(_fromCall)}");
        _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.Dispose();
    }

    [Benchmark(Description = "park, append elsewhere, wake")]
    public async Task<int> Wake()
    {
        var tail = _reader.TailAsync("wake", _last, TimeSpan.FromSeconds(10), 10).AsTask();
        while (_readerParked() == 0)
        {
            await Task.Yield();
        }

        // Let the tail's empty check finish so it is parked, not still querying.
        await Task.Delay(1);
        var called = Stopwatch.GetTimestamp();
        var appended = await _writer.AppendAsync("wake", _payload, AppendMode.Durable);
        var committed = Stopwatch.GetTimestamp();
        var frames = await tail;
        var returned = Stopwatch.GetTimestamp();
        _fromCommit.Add(Stopwatch.GetElapsedTime(committed, returned).TotalMicroseconds);
        _fromCall.Add(Stopwatch.GetElapsedTime(called, returned).TotalMicroseconds);
        _last = appended.Id;
        return frames.Count;
    }
}
