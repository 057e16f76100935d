using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// Configures a <see cref="DeliveryDispatcher{T}"/>: its sinks (<see cref="AddSink"/>), the dead-letter sink, and the
/// queue, batching and retry settings every sink uses unless its <see cref="DeliverySinkOptions"/> overrides them.
/// The dispatcher validates and copies the options when it is created; later changes do not affect it.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class DeliveryOptions<T>
{
    /// <summary>The default <see cref="QueueCapacity"/>: 1024.</summary>
    public const int DefaultQueueCapacity = 1024;

    /// <summary>The default <see cref="MaxBatch"/>: 64.</summary>
    public const int DefaultMaxBatch = 64;

    /// <summary>The default <see cref="MaxRetries"/>: 3.</summary>
    public const int DefaultMaxRetries = 3;

    private readonly List<(IDeliverySink<T> Sink, DeliverySinkOptions? Options)> _sinks = [];
    private string _name = DefaultNames.NextDispatcher();

    /// <summary>The default <see cref="BackoffBase"/>: 100 ms.</summary>
    public static TimeSpan DefaultBackoffBase { get; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The default <see cref="MaxBackoff"/>: 30 s.</summary>
    public static TimeSpan DefaultMaxBackoff { get; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The dispatcher's name, used in logs and as the <c>reactive_streams.dispatcher.name</c> metric tag. Default: a
    /// unique <c>delivery-N</c>. The metric series of a name you set lives as long as the meter; those of a generated
    /// <c>delivery-N</c> are removed once the dispatcher has been collected, and their counts move to the series of the
    /// dispatcher named <c>delivery-*</c> (its sink queues' to the streams named <c>delivery-*/{sink}</c>,
    /// docs/metrics.md).
    /// </summary>
    public string Name
    {
        get => _name;
        set
        {
            _name = value;
            NameIsGenerated = false;
        }
    }

    /// <summary>Whether <see cref="Name"/> is the generated <c>delivery-N</c> (no name was set, whatever its shape).</summary>
    internal bool NameIsGenerated { get; private set; } = true;

    /// <summary>How many items each sink's queue holds; at least 1. Default: <see cref="DefaultQueueCapacity"/>.</summary>
    public int QueueCapacity { get; set; } = DefaultQueueCapacity;

    /// <summary>What a dispatch does when a sink's queue is full. Default: <see cref="OnFull.Block"/>.</summary>
    public OnFull OnFull { get; set; } = OnFull.Block;

    /// <summary>
    /// The most items a sink's worker takes from its queue at once; at least 1. The worker takes whatever is queued up to
    /// this many (a batch sink gets them in one call, an item sink one by one). Default: <see cref="DefaultMaxBatch"/>.
    /// </summary>
    public int MaxBatch { get; set; } = DefaultMaxBatch;

    /// <summary>
    /// How long a worker holding a partial batch (fewer than <see cref="MaxBatch"/> items) waits for more before writing
    /// it; zero writes what is queued at once. Measured on <see cref="TimeProvider"/>. Default: zero.
    /// </summary>
    public TimeSpan BatchFlush { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How many times a transient failure is retried after the first attempt; zero or more. An item that still fails
    /// after <c>1 + MaxRetries</c> attempts is dead-lettered. Default: <see cref="DefaultMaxRetries"/>.
    /// </summary>
    public int MaxRetries { get; set; } = DefaultMaxRetries;

    /// <summary>
    /// The delay before the first retry; each later retry doubles it, up to <see cref="MaxBackoff"/>. Zero or more and
    /// not above <see cref="MaxBackoff"/>; zero retries at once. Default: <see cref="DefaultBackoffBase"/>.
    /// </summary>
    public TimeSpan BackoffBase { get; set; } = DefaultBackoffBase;

    /// <summary>The ceiling of the retry delay. Default: <see cref="DefaultMaxBackoff"/>.</summary>
    public TimeSpan MaxBackoff { get; set; } = DefaultMaxBackoff;

    /// <summary>
    /// Whether each retry delay is drawn uniformly from [delay/2, delay] rather than being exactly the exponential delay,
    /// so that many failing sinks do not retry in lockstep. Default: false.
    /// </summary>
    public bool BackoffJitter { get; set; }

    /// <summary>
    /// Classifies a sink's exception: true retries it, false dead-letters the item at once. It never sees the dead-letter
    /// sink's exceptions (<see cref="DeadLetterSink"/>). A
    /// <see cref="PermanentDeliveryException"/> is permanent whatever this says, and a classifier that throws makes the
    /// failure permanent. Default: null, every other exception is transient.
    /// </summary>
    public Func<Exception, bool>? IsTransient { get; set; }

    /// <summary>
    /// Where an item goes that a sink failed to commit (after its retries, or at once for a permanent failure). It is
    /// called concurrently by every sink's worker and its own failures are retried with the failing sink's
    /// <c>MaxRetries</c> and backoff, every exception but a <see cref="PermanentDeliveryException"/> as transient (the
    /// sink's <c>IsTransient</c> classifies the sink's exceptions, not the dead-letter sink's); if it still fails, the
    /// failure is logged, the item is counted as discarded (<c>reactive_streams.delivery.items.discarded</c>) and treated as committed. Default:
    /// none, terminal failures are logged and discarded.
    /// </summary>
    public IDeliverySink<DeadLetter<T>>? DeadLetterSink { get; set; }

    /// <summary>
    /// Where terminal failures, discarded items and failing acknowledgements are logged. Default: none. An exception
    /// the logger throws is swallowed at the log call: logging never changes what is delivered or acknowledged.
    /// </summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Where the dispatcher's metrics (and its sink queues') are published: the <c>Reactive.Streams</c> meter this
    /// factory creates (in a DI app, the container's <see cref="IMeterFactory"/>), or the static
    /// <see cref="StreamMeter.Meter"/> when null (the default). See docs/metrics.md.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>The clock for backoff, batch flush, the drain timeout and ack latency. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The sinks added so far, in order, each with its overrides (null: none).</summary>
    public IReadOnlyList<(IDeliverySink<T> Sink, DeliverySinkOptions? Options)> Sinks => _sinks;

    /// <summary>
    /// Checks the dispatcher-wide settings by the same rules the <see cref="DeliveryDispatcher{T}"/> constructor applies,
    /// without creating anything: for validating configuration before a dispatcher is built (the hosting package's
    /// <c>ValidateOnStart</c>). Sinks and their overrides are checked by the constructor.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is invalid; the exception's parameter name is the option
    /// (<c>QueueCapacity</c>, <c>MaxBatch</c>, <c>BackoffBase</c>, ...).</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Name, nameof(Name));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        DeliverySinkSettings.Resolve(this, "", null);
    }

    /// <summary>Adds a sink, optionally with settings that override this object's.</summary>
    /// <param name="sink">The sink; its <see cref="IDeliverySink{T}.Name"/> must be unique within the dispatcher.</param>
    /// <param name="options">
    /// Per-sink overrides. Each value they leave null comes from the sink's own <see cref="IDeliverySink{T}.Options"/>
    /// (a generated sink's declared queue), else from these options; null uses the sink's own, else these options unchanged.
    /// </param>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sink"/> is null.</exception>
    public DeliveryOptions<T> AddSink(IDeliverySink<T> sink, DeliverySinkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _sinks.Add((sink, options));
        return this;
    }
}

/// <summary>
/// Per-sink settings for <see cref="DeliveryOptions{T}.AddSink"/>, or a sink's own (<see cref="IDeliverySink{T}.Options"/>).
/// Every property left null takes the sink's own value, else the dispatcher-wide value from
/// <see cref="DeliveryOptions{T}"/>; the rules for each value are the same as there.
/// </summary>
public sealed class DeliverySinkOptions
{
    /// <summary>Overrides <see cref="DeliveryOptions{T}.QueueCapacity"/>. Default: null (inherit).</summary>
    public int? QueueCapacity { get; set; }

    /// <summary>Overrides <see cref="DeliveryOptions{T}.OnFull"/>. Default: null (inherit).</summary>
    public OnFull? OnFull { get; set; }

    /// <summary>Overrides <see cref="DeliveryOptions{T}.MaxBatch"/>. Default: null (inherit).</summary>
    public int? MaxBatch { get; set; }

    /// <summary>Overrides <see cref="DeliveryOptions{T}.BatchFlush"/>. Default: null (inherit).</summary>
    public TimeSpan? BatchFlush { get; set; }

    /// <summary>Overrides <see cref="DeliveryOptions{T}.MaxRetries"/>. Default: null (inherit).</summary>
    public int? MaxRetries { get; set; }

    /// <summary>Overrides <see cref="DeliveryOptions{T}.BackoffBase"/>. Default: null (inherit).</summary>
    public TimeSpan? BackoffBase { get; set; }

    /// <summary>Overrides <see cref="DeliveryOptions{T}.MaxBackoff"/>. Default: null (inherit).</summary>
    public TimeSpan? MaxBackoff { get; set; }

    /// <summary>Overrides <see cref="DeliveryOptions{T}.BackoffJitter"/>. Default: null (inherit).</summary>
    public bool? BackoffJitter { get; set; }

    /// <summary>Overrides <see cref="DeliveryOptions{T}.IsTransient"/>. Default: null (inherit).</summary>
    public Func<Exception, bool>? IsTransient { get; set; }

    /// <summary>
    /// A best-effort sink never holds an acknowledgement back: items are acknowledged once the other sinks commit them,
    /// whatever this sink does. Its queue still follows <see cref="OnFull"/>, so a best-effort sink that blocks can still
    /// slow dispatching down; pair it with <see cref="Reactive.Streams.OnFull.Drop"/> to decouple it fully. Default: false.
    /// </summary>
    public bool BestEffort { get; set; }
}

/// <summary>One sink's resolved settings: the dispatcher-wide options with the sink's overrides applied, validated.</summary>
internal sealed record DeliverySinkSettings(
    int QueueCapacity,
    OnFull OnFull,
    int MaxBatch,
    TimeSpan BatchFlush,
    int MaxRetries,
    TimeSpan BackoffBase,
    TimeSpan MaxBackoff,
    bool BackoffJitter,
    Func<Exception, bool>? IsTransient,
    bool BestEffort)
{
    /// <summary>
    /// Each value from the options given with the sink (<paramref name="local"/>), else from the sink's own
    /// (<paramref name="declared"/>, <see cref="IDeliverySink{T}.Options"/>), else the dispatcher-wide one.
    /// </summary>
    public static DeliverySinkSettings Resolve<T>(DeliveryOptions<T> global, string sinkName, DeliverySinkOptions? local, DeliverySinkOptions? declared = null)
    {
        var settings = new DeliverySinkSettings(
            local?.QueueCapacity ?? declared?.QueueCapacity ?? global.QueueCapacity,
            local?.OnFull ?? declared?.OnFull ?? global.OnFull,
            local?.MaxBatch ?? declared?.MaxBatch ?? global.MaxBatch,
            local?.BatchFlush ?? declared?.BatchFlush ?? global.BatchFlush,
            local?.MaxRetries ?? declared?.MaxRetries ?? global.MaxRetries,
            local?.BackoffBase ?? declared?.BackoffBase ?? global.BackoffBase,
            local?.MaxBackoff ?? declared?.MaxBackoff ?? global.MaxBackoff,
            local?.BackoffJitter ?? declared?.BackoffJitter ?? global.BackoffJitter,
            local?.IsTransient ?? declared?.IsTransient ?? global.IsTransient,
            local?.BestEffort ?? declared?.BestEffort ?? false);
        settings.Validate(local is null && declared is null ? "" : $" (sink '{sinkName}')");
        return settings;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> whose parameter name is the offending option.</summary>
    public void Validate(string where)
    {
        if (QueueCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, $"QueueCapacity must be at least 1{where}.");
        }

        if (!Enum.IsDefined(OnFull))
        {
            throw new ArgumentOutOfRangeException(nameof(OnFull), OnFull, $"OnFull must be Block or Drop{where}.");
        }

        if (MaxBatch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, $"MaxBatch must be at least 1{where}.");
        }

        if (BatchFlush < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchFlush), BatchFlush, $"BatchFlush must be zero or positive{where}.");
        }

        if (MaxRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, $"MaxRetries must be zero or more{where}.");
        }

        if (BackoffBase < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(BackoffBase), BackoffBase, $"BackoffBase must be zero or positive{where}.");
        }

        if (MaxBackoff < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBackoff), MaxBackoff, $"MaxBackoff must be zero or positive{where}.");
        }

        if (MaxBackoff > TimerLimits.LongestWait)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBackoff), MaxBackoff, $"MaxBackoff must not exceed {TimerLimits.LongestWait} (the longest timer){where}.");
        }

        if (BatchFlush > TimerLimits.LongestWait)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchFlush), BatchFlush, $"BatchFlush must not exceed {TimerLimits.LongestWait} (the longest timer){where}.");
        }

        if (BackoffBase > MaxBackoff)
        {
            throw new ArgumentException($"BackoffBase ({BackoffBase}) must not be above MaxBackoff ({MaxBackoff}){where}.", nameof(BackoffBase));
        }
    }
}
