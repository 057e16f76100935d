namespace Reactive.Streams.Hosting;

/// <summary>
/// One hosted canal worker, bound from <c>Canals:&lt;name&gt;</c> of the Reactive.Streams configuration section and
/// validated when the host starts. The pull settings are those of <see cref="CanalWorkerOptions"/> and
/// <see cref="CursorCanalOptions"/>, read once when the worker starts; the lag limits are read by the health check at
/// each check, so they follow configuration reloads (validated as at start: an invalid reload makes the check unhealthy).
/// </summary>
public sealed class CanalWorkerHostOptions
{
    /// <summary>The stream the worker replays. Default: the worker's name.</summary>
    public string? Stream { get; set; }

    /// <summary>The durable checkpoint the worker resumes from and advances. Default: the worker's name.</summary>
    public string? CheckpointId { get; set; }

    /// <summary>Which frames the worker sees. Default <see cref="TailVisibility.All"/>.</summary>
    public TailVisibility Visibility { get; set; } = TailVisibility.All;

    /// <summary>The most frames per batch (<see cref="CanalWorkerOptions.MaxBatch"/>); at least 1. Default 64.</summary>
    public int MaxBatch { get; set; } = CanalWorkerOptions.DefaultMaxBatch;

    /// <summary>How long a pull waits when no frame is there (<see cref="CanalWorkerOptions.Deadline"/>); zero or positive. Default 100 ms.</summary>
    public TimeSpan Deadline { get; set; } = CanalWorkerOptions.DefaultDeadline;

    /// <summary>
    /// The health check reports the worker unhealthy when more than this many frames wait after its checkpoint; at
    /// least 1. Default: not checked.
    /// </summary>
    public int? MaxLagCount { get; set; }

    /// <summary>
    /// The health check reports the worker unhealthy when the oldest frame after its checkpoint was appended longer ago
    /// than this (on the host's <see cref="TimeProvider"/>); positive. Default: not checked.
    /// </summary>
    public TimeSpan? MaxLagAge { get; set; }

    internal string StreamOrDefault(string name) => string.IsNullOrEmpty(Stream) ? name : Stream;

    internal string CheckpointOrDefault(string name) => string.IsNullOrEmpty(CheckpointId) ? name : CheckpointId;

    /// <summary>The Core options this maps to; throws as their setters do for a value out of range.</summary>
    internal CanalWorkerOptions ToWorkerOptions() => new() { MaxBatch = MaxBatch, Deadline = Deadline };
}

/// <summary>
/// Hosting settings of one registered delivery dispatcher, bound from <c>Dispatchers:&lt;name&gt;</c> of the
/// Reactive.Streams configuration section (the same section also binds the dispatcher's
/// <see cref="DeliveryOptions{T}"/>: <c>QueueCapacity</c>, <c>OnFull</c>, <c>MaxRetries</c>, ...). These two settings
/// follow configuration reloads (validated as at start: an invalid reload makes the health check unhealthy, and a stop
/// drains with the last valid <see cref="DrainTimeout"/>); the dispatcher's <see cref="DeliveryOptions{T}"/> are read
/// once, when it is created.
/// </summary>
public sealed class DispatcherHostOptions
{
    /// <summary>
    /// The health check reports the dispatcher unhealthy when a sink's queue holds more than this many items; zero or
    /// more. Default: not checked.
    /// </summary>
    public int? MaxQueueDepth { get; set; }

    /// <summary>The default <see cref="DrainTimeout"/>: 15 seconds, half of the host's default shutdown timeout.</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long the dispatcher drains its queues when the host stops (<see cref="DeliveryDispatcher{T}.ShutdownAsync"/>),
    /// on the registered <see cref="TimeProvider"/>; what has not drained stays unacknowledged and is redelivered. Keep it
    /// below the host's <c>HostOptions.ShutdownTimeout</c>, so that the canal checkpoints are written after the drain.
    /// Default <see cref="DefaultDrainTimeout"/>.
    /// </summary>
    public TimeSpan? DrainTimeout { get; set; }
}
