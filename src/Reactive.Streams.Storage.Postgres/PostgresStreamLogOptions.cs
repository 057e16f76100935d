using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Reactive.Streams.Storage.Postgres;

/// <summary>Options of <see cref="PostgresStreamLog"/>.</summary>
public sealed class PostgresStreamLogOptions : StreamLogOptions
{
    /// <summary>Creates options with every default.</summary>
    public PostgresStreamLogOptions()
    {
    }

    /// <summary>Copies the common options of <paramref name="other"/>.</summary>
    /// <param name="other">The options to copy.</param>
    public PostgresStreamLogOptions(StreamLogOptions other)
        : base(other)
    {
    }

    /// <summary>
    /// The first wait before the log tries the server again after losing it: before the listener reconnects, and before
    /// a call's third attempt (see <see cref="ReconnectTimeout"/>). Doubles per failure. Default 100 ms.
    /// </summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between reconnection attempts; at least <see cref="ReconnectDelay"/>. Default 5 seconds.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a call keeps trying while the server cannot be reached or reports a transient error (a restart, a
    /// failover, a network fault), counted from its first failure; then it fails with the error of its last attempt.
    /// Default 30 seconds. Zero: a call fails with its first error.
    /// </summary>
    /// <remarks>
    /// The second attempt follows the first failure at once, since a restart that has already ended leaves only dead
    /// connections in the pool (the pool is cleared first). Later attempts wait <see cref="ReconnectDelay"/>, doubling
    /// to <see cref="MaxReconnectDelay"/>, on <see cref="StreamLogOptions.TimeProvider"/>. Only what cannot run twice
    /// is limited: an append or a group claim is tried again only when it certainly did not run (its connection could not
    /// be opened, or the server ended the session before answering); after any other lost connection it fails at once,
    /// since it may have committed. Reads, checkpoints, acknowledgements and the other idempotent calls are tried again
    /// after any transient failure. Cancelling the call ends a wait at once, as does disposing the log.
    /// </remarks>
    public TimeSpan ReconnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a parked tail's lease on its stream lasts. Appends send <c>NOTIFY</c> only to streams under a lease,
    /// because every notifying commit in the database takes one global lock. A tail renews the lease when less than
    /// half of it remains and re-checks at least every quarter of it, so the lease covers every wait. Default 2
    /// minutes; from 4 seconds to 1 day.
    /// </summary>
    /// <remarks>
    /// The lease is a column of the stream's row in <c>rs_streams</c>, written by the tail (an upsert, which creates
    /// the row of a stream with no frames yet), so the role a tailing log connects as needs INSERT and UPDATE on that
    /// table as well as SELECT on <c>rs_frames</c>. The lease runs on the server's clock.
    /// </remarks>
    public TimeSpan WatchLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Where the listener reports losing and regaining its connection. Default <see cref="NullLogger.Instance"/>.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>A copy of every option, which the log keeps so that changing this object later changes nothing it does.</summary>
    internal PostgresStreamLogOptions Copy() => new(this)
    {
        ReconnectDelay = ReconnectDelay, MaxReconnectDelay = MaxReconnectDelay, ReconnectTimeout = ReconnectTimeout, WatchLease = WatchLease, Logger = Logger,
    };

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(Logger);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReconnectDelay, TimeSpan.Zero, nameof(ReconnectDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReconnectDelay, ReconnectDelay, nameof(MaxReconnectDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectTimeout, TimeSpan.Zero, nameof(ReconnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(WatchLease, TimeSpan.FromSeconds(4), nameof(WatchLease));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WatchLease, TimeSpan.FromDays(1), nameof(WatchLease));
    }
}
