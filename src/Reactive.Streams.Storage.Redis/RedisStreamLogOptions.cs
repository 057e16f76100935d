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

    /// <summary>
    /// The database number (<c>SELECT</c>); -1, the default, is the connection's default database. Opening the log
    /// refuses a database the server does not have (a cluster has only database 0) with an
    /// <see cref="ArgumentOutOfRangeException"/> naming this option.
    /// </summary>
    public int Database { get; set; } = -1;

    /// <summary>
    /// How long a call keeps trying while the server cannot serve it, counted from its first failure; then it throws the
    /// error of its last attempt. Default 30 seconds. Zero: a call throws its first error.
    /// </summary>
    /// <remarks>
    /// The server cannot serve a call when StackExchange.Redis has no connection to it (a restart, a failover, a
    /// network fault: a command waits in the multiplexer's backlog for up to its own timeout, and one that timed out
    /// there was never sent), or when it restarted and is still loading its data (it answers <c>LOADING</c> and runs
    /// nothing). Such a command is sent again after 50 ms, then after waits doubling to 1 s, on
    /// <see cref="StreamLogOptions.TimeProvider"/>; appends and claims too, as it did not run. Reads, checkpoints,
    /// acknowledgements and the other idempotent calls are also sent again after a lost connection failed them in flight
    /// (the first time at once, as StackExchange.Redis holds the new command until it has connected again); an append or
    /// a claim that was in flight may have run, so it is thrown at once. A command refused because the connection could
    /// not authenticate (StackExchange.Redis's <see cref="StackExchange.Redis.ConnectionFailureType.AuthenticationFailure"/>:
    /// a wrong password or user) is thrown at once too, as waiting cannot make the credentials right. Cancelling the call
    /// or disposing the log ends a wait at once.
    /// </remarks>
    public TimeSpan ReconnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the log reports losing and regaining its connections. Default <see cref="NullLogger.Instance"/>.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>A copy of every option, which the log keeps so that changing this object later changes nothing it does.</summary>
    internal RedisStreamLogOptions Copy() => new(this)
    {
        KeyPrefix = KeyPrefix, Database = Database, ReconnectTimeout = ReconnectTimeout, Logger = Logger,
    };

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
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectTimeout, TimeSpan.Zero, nameof(ReconnectTimeout));
    }
}
