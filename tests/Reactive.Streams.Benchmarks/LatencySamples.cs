namespace Reactive.Streams.Benchmarks;

/// <summary>
/// Latencies a benchmark records itself (with <c>Stopwatch</c> timestamps around its awaits), where BenchmarkDotNet's
/// mean is dominated by something else; printed by the benchmark's cleanup.
/// </summary>
internal static class LatencySamples
{
    /// <summary>The count, median, 99th percentile and maximum of <paramref name="samples"/>, in microseconds.</summary>
    public static string Percentiles(List<double> samples)
    {
        if (samples.Count == 0)
        {
            return "no samples";
        }

        var sorted = samples.Order().ToArray();
        double At(double p) => sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];
        return $"n={sorted.Length} p50={At(0.50):F1} us p99={At(0.99):F1} us max={sorted[^1]:F1} us";
    }
}
