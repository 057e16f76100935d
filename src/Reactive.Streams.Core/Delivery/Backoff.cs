namespace Reactive.Streams;

/// <summary>Capped exponential backoff: retry n waits <c>min(base · 2^(n-1), max)</c>, optionally jittered.</summary>
internal static class Backoff
{
    /// <summary>The delay before retry number <paramref name="retry"/> (1 for the first retry).</summary>
    /// <param name="retry">The retry number, from 1.</param>
    /// <param name="baseDelay">The first delay.</param>
    /// <param name="maxDelay">The ceiling.</param>
    /// <param name="jitter">A sample in [0, 1) to jitter with, or null for the exact delay.</param>
    public static TimeSpan Compute(int retry, TimeSpan baseDelay, TimeSpan maxDelay, double? jitter)
    {
        // Doubles cannot overflow here (2^retry for any int is finite in double up to 2^1023, then +inf, and Min caps it).
        var ticks = Math.Min(baseDelay.Ticks * Math.Pow(2, retry - 1), maxDelay.Ticks);
        if (jitter is { } sample)
        {
            // "Equal jitter": half the delay is kept, the other half is random, so the ceiling still holds.
            ticks = (ticks / 2) + (sample * ticks / 2);
        }

        return TimeSpan.FromTicks((long)ticks);
    }
}
