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

    /// <summary>The first wait before the listener reconnects after losing its connection; doubles per failure. Default 100 ms.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between reconnection attempts; at least <see cref="ReconnectDelay"/>. Default 5 seconds.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);

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

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(Logger);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReconnectDelay, TimeSpan.Zero, nameof(ReconnectDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReconnectDelay, ReconnectDelay, nameof(MaxReconnectDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(WatchLease, TimeSpan.FromSeconds(4), nameof(WatchLease));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WatchLease, TimeSpan.FromDays(1), nameof(WatchLease));
    }
}
