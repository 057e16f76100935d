namespace Reactive.Streams;

/// <summary>Options every stream log has; backends derive their own options from this class.</summary>
public class StreamLogOptions
{
    /// <summary>The default of <see cref="MaxReadCount"/>.</summary>
    public const int DefaultMaxReadCount = 10_000;

    /// <summary>Creates options with every default.</summary>
    public StreamLogOptions()
    {
    }

    /// <summary>
    /// Copies the common options of <paramref name="other"/> (for a backend's derived options), with a copy of its
    /// <see cref="LiveRetention"/>, so changing one object afterwards does not change the other.
    /// </summary>
    /// <param name="other">The options to copy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    public StreamLogOptions(StreamLogOptions other)
    {
        ArgumentNullException.ThrowIfNull(other);
        TimeProvider = other.TimeProvider;
        MaxReadCount = other.MaxReadCount;
        RequireObjectSummaryPatch = other.RequireObjectSummaryPatch;
        LiveRetention = other.LiveRetention?.Copy()!;
    }

    /// <summary>
    /// The clock for frame ids, summary times (kept to the millisecond), best-effort rates and tail timeouts, and for
    /// the backends' own waits: SQLite's polling for other processes' appends, PostgreSQL's listener reconnect delays.
    /// A virtual clock stops those too until it is advanced. Default <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// The hard cap on the frames one read or tail returns, whatever limit the caller asks for.
    /// Default <see cref="DefaultMaxReadCount"/>; at least 1.
    /// </summary>
    public int MaxReadCount { get; set; } = DefaultMaxReadCount;

    /// <summary>
    /// Whether a <see cref="AppendMode.DurableSummary"/> payload must be a JSON object. Default true: summaries are
    /// documents with members, and a scalar or array patch (which RFC 7396 says replaces the whole document) is
    /// then rejected as a likely mistake. Set false to accept any JSON value with RFC 7396's meaning.
    /// </summary>
    public bool RequireObjectSummaryPatch { get; set; } = true;

    /// <summary>How <see cref="AppendMode.BestEffortLive"/> frames are retained. Default <c>new LiveRetentionOptions()</c>.</summary>
    public LiveRetentionOptions LiveRetention { get; set; } = new();

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    /// <exception cref="ArgumentNullException">A required option is null.</exception>
    public virtual void Validate()
    {
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentNullException.ThrowIfNull(LiveRetention);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReadCount, 1);
        LiveRetention.Validate();
    }
}

/// <summary>
/// Retention of <see cref="AppendMode.BestEffortLive"/> frames. Each best-effort append updates the stream's rate
/// estimate <c>rate = alpha·(1/interval) + (1−alpha)·rate</c>, where <c>interval</c> is the time since the stream's
/// previous best-effort append in seconds (at least one millisecond, so a clock that goes backwards reads as a
/// burst); the first best-effort append of a stream starts the rate at 0. The stream then keeps the newest
/// <c>K = clamp(2·ceil(rate·ttl), floor, ceiling)</c> best-effort frames and deletes older ones.
/// </summary>
public sealed class LiveRetentionOptions
{
    /// <summary>The smoothing factor, in (0, 1]. Default 0.2.</summary>
    public double Alpha { get; set; } = 0.2;

    /// <summary>How long a live frame should stay readable at the current rate; positive. Default 30 seconds.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The least number of best-effort frames kept; at least 1. Default 16.</summary>
    public int Floor { get; set; } = 16;

    /// <summary>The most best-effort frames kept; at least <see cref="Floor"/>. Default 10 000.</summary>
    public int Ceiling { get; set; } = 10_000;

    /// <summary>A copy of these options, which a log keeps so that changing this object later changes nothing it does.</summary>
    internal LiveRetentionOptions Copy() => new() { Alpha = Alpha, Ttl = Ttl, Floor = Floor, Ceiling = Ceiling };

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!(Alpha > 0 && Alpha <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "Alpha must be in (0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Ttl, TimeSpan.Zero, nameof(Ttl));
        ArgumentOutOfRangeException.ThrowIfLessThan(Floor, 1, nameof(Floor));
        ArgumentOutOfRangeException.ThrowIfLessThan(Ceiling, Floor, nameof(Ceiling));
    }

    /// <summary>The rate estimate after a best-effort append at <paramref name="nowMs"/>.</summary>
    /// <param name="previousRate">The estimate before, or null for the stream's first best-effort append.</param>
    /// <param name="previousMs">The previous best-effort append's time in Unix milliseconds (ignored when <paramref name="previousRate"/> is null).</param>
    /// <param name="nowMs">This append's time in Unix milliseconds.</param>
    /// <returns>Appends per second.</returns>
    public double NextRate(double? previousRate, long previousMs, long nowMs)
    {
        if (previousRate is not double rate)
        {
            return 0;
        }

        var intervalSeconds = Math.Max(nowMs - previousMs, 1) / 1000.0;
        return (Alpha * (1 / intervalSeconds)) + ((1 - Alpha) * rate);
    }

    /// <summary>The number of best-effort frames kept at <paramref name="rate"/>: <c>clamp(2·ceil(rate·ttl), floor, ceiling)</c>.</summary>
    /// <param name="rate">Appends per second.</param>
    public int RetainedLength(double rate)
    {
        var wanted = 2 * Math.Ceiling(rate * Ttl.TotalSeconds);
        return wanted >= Ceiling ? Ceiling : (int)Math.Max(wanted, Floor);
    }
}
