using System.Diagnostics.Metrics;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// Everything a bounded buffer needs: the policy and capacity (mandatory), and the optional name, degrader,
/// eviction callback, PauseUpstream timeout and clock. Shared by <see cref="BoundedStream{T}"/>,
/// <see cref="BackpressureChannel"/>, the Rx operators and the Dataflow block, so a policy behaves the same everywhere.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class BoundedStreamOptions<T>
{
    private string _name;
    private TimeSpan? _pauseTimeout;
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>Creates options with the two facts every stream must have.</summary>
    /// <param name="policy">What happens when the buffer is full.</param>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="policy"/> is not a defined policy, or <paramref name="capacity"/> is below 1.</exception>
    public BoundedStreamOptions(BackpressurePolicy policy, int capacity)
    {
        if (!Enum.IsDefined(policy))
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown backpressure policy.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Policy = policy;
        Capacity = capacity;
        _name = DefaultNames.NextStream();
        EndedSeriesName = DefaultNames.EndedStreams;
    }

    /// <summary>A copy of <paramref name="other"/>, its name (generated or not) included.</summary>
    private BoundedStreamOptions(BoundedStreamOptions<T> other)
    {
        Policy = other.Policy;
        Capacity = other.Capacity;
        _name = other._name;
        EndedSeriesName = other.EndedSeriesName;
        Degrader = other.Degrader;
        OnDropped = other.OnDropped;
        _pauseTimeout = other._pauseTimeout;
        SingleWriter = other.SingleWriter;
        SingleReader = other.SingleReader;
        MeterFactory = other.MeterFactory;
        _timeProvider = other._timeProvider;
    }

    /// <summary>What happens when the buffer is full.</summary>
    public BackpressurePolicy Policy { get; }

    /// <summary>How many items the buffer holds; at least 1.</summary>
    public int Capacity { get; }

    /// <summary>
    /// The stream's name, used in error messages and as the <c>reactive_streams.stream.name</c> metric tag. Defaults to a unique
    /// <c>stream-N</c>; must not be null or empty. The metric series of a name you set lives as long as the meter, summing every
    /// stream of that name and policy; the series of a generated <c>stream-N</c> is removed once its last stream has
    /// ended and been collected, and its counts move to the series named <c>stream-*</c> (docs/metrics.md).
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    /// <exception cref="ArgumentException">The value is empty: a name is what an error message and a metric series show.</exception>
    public string Name
    {
        get => _name;
        set
        {
            ArgumentException.ThrowIfNullOrEmpty(value, nameof(Name));
            _name = value;
            EndedSeriesName = null;
        }
    }

    /// <summary>
    /// While <see cref="Name"/> is the generated one: the stream name of the shared metric series its series folds into
    /// once its last stream ends (<c>stream-*</c>). Null once a name is set, whatever its shape (a user may name a
    /// stream <c>stream-3</c>). The library sets it after <see cref="Name"/> for names it builds from a generated one.
    /// </summary>
    internal string? EndedSeriesName { get; set; }

    /// <summary>
    /// Under <see cref="BackpressurePolicy.DegradeQuality"/>, the pure function applied to a new item on overflow. With
    /// none, an overflow rejects the item with <see cref="MissingDegraderException"/> (never earlier). Ignored by the
    /// other policies. Default: none.
    /// </summary>
    /// <remarks>
    /// It runs on the pushing thread, outside the buffer's lock, at most once per push, and the push is decided again
    /// after it returns: if a read made room meanwhile (on another thread, or a read the degrader made itself), the
    /// original item is enqueued, the degraded one is discarded and nothing is evicted; if the stream was completed
    /// meanwhile, the push is rejected as closed. Under concurrent readers it may therefore run for a push that ends up
    /// not degraded. If it throws, the push is rejected (<see cref="PushStatus.DegraderFailed"/>) and nothing is evicted.
    /// It must not push into its own stream (which RXS0004 reports as impure): that push finds the buffer full too and
    /// runs the degrader again, without end.
    /// </remarks>
    public Func<T, T>? Degrader { get; set; }

    /// <summary>
    /// Called with every item evicted by <see cref="BackpressurePolicy.DropOldest"/> or
    /// <see cref="BackpressurePolicy.DegradeQuality"/>, on the pushing thread, after the buffer's lock is released.
    /// An exception it throws propagates to the pusher; the push itself has already happened. Default: none.
    /// </summary>
    public Action<T>? OnDropped { get; set; }

    /// <summary>
    /// Under <see cref="BackpressurePolicy.PauseUpstream"/>, how long a push may wait for room before it fails with
    /// <see cref="StreamOverflowException"/>; <see langword="null"/> or <see cref="Timeout.InfiniteTimeSpan"/> waits
    /// forever, <see cref="TimeSpan.Zero"/> never waits. Measured on <see cref="TimeProvider"/>. Default: forever.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative (other than <see cref="Timeout.InfiniteTimeSpan"/>),
    /// or longer than one timer can measure (<see cref="uint.MaxValue"/> - 1 milliseconds, about 49.7 days).</exception>
    public TimeSpan? PauseTimeout
    {
        get => _pauseTimeout;
        set
        {
            ValidatePauseTimeout(value, nameof(PauseTimeout));
            _pauseTimeout = value;
        }
    }

    /// <summary>
    /// Checks a PauseUpstream timeout as <see cref="PauseTimeout"/>'s setter does, naming <paramref name="paramName"/>:
    /// a factory that takes the timeout as an argument names its own parameter.
    /// </summary>
    internal static void ValidatePauseTimeout(TimeSpan? value, string paramName)
    {
        if (value is not { } timeout || timeout == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        if (timeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, timeout, "The PauseUpstream timeout must be zero or positive, or Timeout.InfiniteTimeSpan to wait forever.");
        }

        if (timeout > TimerLimits.LongestWait)
        {
            // A positive value past what a timer measures: say the limit, not "zero or positive", which it already is.
            throw new ArgumentOutOfRangeException(
                paramName,
                timeout,
                $"The PauseUpstream timeout must not exceed {TimerLimits.LongestWait} (the longest timer); use Timeout.InfiniteTimeSpan or null to wait forever.");
        }
    }

    /// <summary>
    /// Whether at most one push is in progress at any time, as <c>ChannelOptions.SingleWriter</c>. Accepted for code
    /// written against Channels' options and, like the runtime's bounded channel, not relied on: a
    /// <see cref="BoundedStream{T}"/> or a <see cref="BackpressureChannel"/> serves any number of writers and readers
    /// either way (a push takes a short lock, a read takes none: one compare-and-swap), so a broken promise loses
    /// nothing. A lock-free mode for one writer and one reader exists and serves the Rx operators and
    /// <c>SubscribeAsync</c>, whose one producer is known by construction; for streams and channels it was not faster in
    /// every benchmark run (docs/benchmarks.md). Default: false.
    /// </summary>
    public bool SingleWriter { get; set; }

    /// <summary>
    /// Whether at most one read (or wait to read) is in progress at any time, as <c>ChannelOptions.SingleReader</c>.
    /// Accepted and not relied on, as <see cref="SingleWriter"/>. Default: false.
    /// </summary>
    public bool SingleReader { get; set; }

    /// <summary>
    /// Where the stream's metrics are published: the <c>Reactive.Streams</c> meter this factory creates (in a DI app,
    /// the container's <see cref="IMeterFactory"/>), or the static <see cref="StreamMeter.Meter"/> when null (the
    /// default). See docs/metrics.md.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// A copy taken by a component that builds its buffers later (an Rx operator at each subscription, a lazy
    /// enumerable at each enumeration), so that it reads its options once, when it is created, as every component does:
    /// changing this object afterwards changes nothing.
    /// </summary>
    internal BoundedStreamOptions<T> Copy() => new(this);

    /// <summary>The clock for <see cref="PauseTimeout"/>. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set
        {
            ArgumentNullException.ThrowIfNull(value, nameof(TimeProvider));
            _timeProvider = value;
        }
    }
}
