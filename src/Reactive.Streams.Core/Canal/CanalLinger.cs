namespace Reactive.Streams;

/// <summary>
/// How long a pull that already holds items keeps waiting for more, for consumers that want fuller batches (as Kafka's
/// <c>fetch.min.bytes</c> and <c>fetch.max.wait.ms</c>). Without a linger (<see cref="None"/>, the default) a pull returns
/// as soon as at least one item is there, with whatever else is ready up to its maximum, so no item waits for others.
/// </summary>
/// <remarks>
/// A lingering pull returns once it holds <see cref="MinItems"/> items (or the pull's maximum, if smaller), or once
/// <see cref="FillTime"/> has passed since it took its first item, whichever comes first. The pull's deadline bounds the
/// whole pull: a linger never makes a pull wait past it.
/// </remarks>
public readonly struct CanalLinger : IEquatable<CanalLinger>
{
    private readonly int _minItemsMinusOne;
    private readonly TimeSpan _fillTime;

    /// <summary>Creates a linger.</summary>
    /// <param name="minItems">The batch size the pull waits for; at least 1 (1 means no linger).</param>
    /// <param name="fillTime">
    /// The longest a pull holding items waits for <paramref name="minItems"/>, measured from its first item; zero or
    /// positive, or <see cref="Timeout.InfiniteTimeSpan"/> to wait until the pull's deadline.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minItems"/> is below 1, or <paramref name="fillTime"/> is negative and not infinite.</exception>
    public CanalLinger(int minItems, TimeSpan fillTime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minItems, 1);
        if (fillTime < TimeSpan.Zero && fillTime != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(fillTime), fillTime, "The fill time must be zero or more, or Timeout.InfiniteTimeSpan.");
        }

        _minItemsMinusOne = minItems - 1;
        _fillTime = fillTime;
    }

    /// <summary>No linger: a pull returns as soon as it holds at least one item.</summary>
    public static CanalLinger None => default;

    /// <summary>The batch size a pull waits for; 1 when there is no linger.</summary>
    public int MinItems => _minItemsMinusOne + 1;

    /// <summary>The longest a pull holding items waits for <see cref="MinItems"/>; <see cref="Timeout.InfiniteTimeSpan"/> waits until the deadline.</summary>
    public TimeSpan FillTime => _fillTime;

    /// <summary>Whether a pull holding <paramref name="count"/> of at most <paramref name="max"/> items is done lingering, <paramref name="held"/> after taking its first.</summary>
    internal bool IsSatisfied(int count, int max, TimeSpan held) =>
        count >= Math.Min(MinItems, max) || (_fillTime != Timeout.InfiniteTimeSpan && held >= _fillTime);

    /// <summary>How much longer a pull holding items may linger, <paramref name="held"/> after taking its first; infinite when only the deadline bounds it.</summary>
    internal TimeSpan Remaining(TimeSpan held) =>
        _fillTime == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : _fillTime - held;

    /// <inheritdoc />
    public bool Equals(CanalLinger other) => _minItemsMinusOne == other._minItemsMinusOne && _fillTime == other._fillTime;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is CanalLinger other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_minItemsMinusOne, _fillTime);

    /// <summary>Whether two lingers are equal.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(CanalLinger left, CanalLinger right) => left.Equals(right);

    /// <summary>Whether two lingers differ.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(CanalLinger left, CanalLinger right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() =>
        this == None ? "None" : $"MinItems={MinItems}, FillTime={(_fillTime == Timeout.InfiniteTimeSpan ? "until deadline" : _fillTime.ToString())}";
}
