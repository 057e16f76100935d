namespace Reactive.Streams.Storage.Sqlite;

/// <summary>SQLite's <c>PRAGMA synchronous</c> levels (in WAL mode).</summary>
public enum SqliteSynchronous
{
    /// <summary>No syncs: an OS crash or power loss can lose or corrupt recent commits; a process crash loses nothing.</summary>
    Off = 0,

    /// <summary>WAL is synced at checkpoints only: a process crash loses nothing; power loss can lose the latest commits but never corrupts.</summary>
    Normal = 1,

    /// <summary>WAL is synced on every commit: durable against power loss.</summary>
    Full = 2,

    /// <summary>As <see cref="Full"/>, and the directory is synced too.</summary>
    Extra = 3,
}

/// <summary>Options of <see cref="SqliteStreamLog"/>.</summary>
public sealed class SqliteStreamLogOptions : StreamLogOptions
{
    /// <summary>Creates options with every default.</summary>
    public SqliteStreamLogOptions()
    {
    }

    /// <summary>Copies the common options of <paramref name="other"/>.</summary>
    /// <param name="other">The options to copy.</param>
    public SqliteStreamLogOptions(StreamLogOptions other)
        : base(other)
    {
    }

    /// <summary>The durability level. Default <see cref="SqliteSynchronous.Normal"/>.</summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Normal;

    /// <summary>
    /// How long a parked tail first waits before re-checking for appends made by other processes (appends through any
    /// log on the same file in this process wake it at once). Doubles after each empty check up to
    /// <see cref="MaxPollInterval"/>, and starts again after a wake. Default 50 ms.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest wait between re-checks; at least <see cref="PollInterval"/>. Default 1 second.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a write waits for the write lock another connection (usually another process) holds, before failing
    /// with a <see cref="Microsoft.Data.Sqlite.SqliteException"/> whose error code is 5 (<c>SQLITE_BUSY</c>); zero or
    /// positive. <see cref="TimeSpan.Zero"/> fails at once, and fractions of a second are honoured. The wait is
    /// asynchronous (the append's task is returned while it waits) and is measured on real time, not on
    /// <see cref="StreamLogOptions.TimeProvider"/>. Default 10 seconds.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>For tests: the clock of the <see cref="BusyTimeout"/> wait (real time in production).</summary>
    internal TimeProvider BusyTimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// For tests: when true, this log neither wakes nor is woken by other logs on the same file in this process,
    /// as if they were other processes, so polling is what finds their appends.
    /// </summary>
    internal bool IsolateFromProcess { get; set; }

    /// <summary>A copy of every option, which the log keeps so that changing this object later changes nothing it does.</summary>
    internal SqliteStreamLogOptions Copy() => new(this)
    {
        Synchronous = Synchronous, PollInterval = PollInterval, MaxPollInterval = MaxPollInterval, BusyTimeout = BusyTimeout,
        BusyTimeProvider = BusyTimeProvider, IsolateFromProcess = IsolateFromProcess,
    };

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (!Enum.IsDefined(Synchronous))
        {
            throw new ArgumentOutOfRangeException(nameof(Synchronous), Synchronous, "Unknown synchronous level.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero, nameof(PollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPollInterval, PollInterval, nameof(MaxPollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(BusyTimeout, TimeSpan.Zero, nameof(BusyTimeout));
    }
}
