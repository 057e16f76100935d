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
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between reconnection attempts; at least <see cref="ReconnectDelay"/>. Default 5 seconds.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Where the listener reports losing and regaining its connection. Default <see cref="NullLogger.Instance"/>.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(Logger);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReconnectDelay, TimeSpan.Zero, nameof(ReconnectDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReconnectDelay, ReconnectDelay, nameof(MaxReconnectDelay));
    }
}
