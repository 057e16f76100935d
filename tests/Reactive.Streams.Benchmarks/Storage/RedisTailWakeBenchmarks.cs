using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Reactive.Streams.Storage.Redis;

namespace Reactive.Streams.Benchmarks.Storage;

/// <summary>
/// Tail wake latency through the append script's PUBLISH: a tail parked on one log instance (its own multiplexer), an
/// append through another. Each operation parks a tail, appends, and waits for the tail to return; the cleanup prints
/// the distribution of "append returned → tail returned" and "append called → tail returned" over every operation
/// (warm-up and pilot included), measured with Stopwatch timestamps around the awaits.
/// </summary>
public class RedisTailWakeBenchmarks
{
    private readonly byte[] _payload = new byte[100];
    private readonly List<double> _fromCommit = [];
    private readonly List<double> _fromCall = [];
    private ThrowawayRedis _server = null!;
    private RedisStreamLog _writer = null!;
    private RedisStreamLog _reader = null!;
    private StreamId _last;

    [GlobalSetup]
    public void Setup()
    {
        _server = new ThrowawayRedis();
        _writer = RedisStreamLog.OpenAsync(_server.Configuration).AsTask().GetAwaiter().GetResult();
        _reader = RedisStreamLog.OpenAsync(_server.Configuration).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// tail wake latency, append returned -> tail returned: {Percentiles(_fromCommit)}");
        Console.WriteLine($"// tail wake latency, append called   -> tail returned: {Percentiles(_fromCall)}");
        _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.Dispose();
    }

    [Benchmark(Description = "park, append elsewhere, wake")]
    public async Task<int> Wake()
    {
        var tail = _reader.TailAsync("wake", _last, TimeSpan.FromSeconds(10), 10).AsTask();
        while (_reader.ParkedStreams == 0)
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

    private static string Percentiles(List<double> samples)
    {
        if (samples.Count == 0)
        {
            return "no samples";
        }

        var sorted = samples.Order().ToArray();
        double At(double p) => sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];
        return $"n={sorted.Length} p50={At(0.50):F0} us p99={At(0.99):F0} us max={sorted[^1]:F0} us";
    }
}
