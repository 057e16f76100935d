using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Reactive.Streams.Storage.Redis;

/// <summary>Options of <see cref="RedisStreamLog"/>.</summary>
public sealed class RedisStreamLogOptions : StreamLogOptions
{
    /// <summary>The default of <see cref="KeyPrefix"/>.</summary>
    public const string DefaultKeyPrefix = "rs:";

    /// <summary>Creates options with every default.</summary>
    public RedisStreamLogOptions()
    {
    }

    /// <summary>Copies the common options of <paramref name="other"/>.</summary>
    /// <param name="other">The options to copy.</param>
    public RedisStreamLogOptions(StreamLogOptions other)
        : base(other)
    {
    }

    /// <summary>
    /// The start of every key and of the notification channel the log uses, so several logs (or other data) can share one
    /// database. Default <see cref="DefaultKeyPrefix"/>; 1 to 64 characters with no control characters and no braces
    /// (braces mark a key's cluster hash tag, which the log sets itself).
    /// </summary>
    public string KeyPrefix { get; set; } = DefaultKeyPrefix;

    /// <summary>The database number (<c>SELECT</c>); -1, the default, is the connection's default database.</summary>
    public int Database { get; set; } = -1;

    /// <summary>
    /// How long a call waits for a server that answers <c>LOADING</c> (it restarted and is still reading its data back,
    /// so it runs no command) before it throws the server's error: the log sends the command again after 50 ms,
    /// then after waits doubling to 1 s, on <see cref="StreamLogOptions.TimeProvider"/>. Appends and claims are sent
    /// again too, as the server ran nothing. Zero or positive; <see cref="TimeSpan.Zero"/> throws at the first
    /// <c>LOADING</c>. Cancelling the call ends its wait at once. Default 10 seconds.
    /// </summary>
    public TimeSpan LoadingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Where the log reports losing and regaining its connections. Default <see cref="NullLogger.Instance"/>.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(Logger);
        ArgumentNullException.ThrowIfNull(KeyPrefix);
        if (KeyPrefix.Length is 0 or > 64 || KeyPrefix.Any(c => char.IsControl(c) || c is '{' or '}'))
        {
            throw new ArgumentOutOfRangeException(
                nameof(KeyPrefix), KeyPrefix, "The key prefix must be 1 to 64 characters with no control characters and no braces.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(Database, -1, nameof(Database));
        ArgumentOutOfRangeException.ThrowIfLessThan(LoadingTimeout, TimeSpan.Zero, nameof(LoadingTimeout));
    }
}
