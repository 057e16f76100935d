using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Reactive.Streams.Internal;

namespace Reactive.Streams.Storage.Postgres;

/// <summary>
/// An <see cref="IStreamLog"/> in PostgreSQL, shared by many machines. Every append is one round trip (one
/// statement or one function call, in its own transaction). Tails hear of appends made anywhere through one
/// <c>LISTEN</c> connection per log instance, opened by the first tail; they hold no pooled connection while parked.
/// An append sends <c>NOTIFY rs_append</c> with the stream's name at commit only while some tail, on any machine,
/// holds a lease on the stream (<see cref="PostgresStreamLogOptions.WatchLease"/>): a tail about to park takes or
/// renews it, so appends to streams nobody tails skip the database-wide lock every notifying commit takes. When the
/// listener loses its connection (a server restart, a network fault) it reconnects with backoff, clears the pool of
/// dead connections, and wakes every parked tail to re-check, since notifications sent meanwhile are lost.
/// </summary>
/// <remarks>
/// Appends to one stream serialize on the stream's row in <c>rs_streams</c>, so ids strictly increase even across
/// machines whose clocks disagree. The schema (tables <c>rs_frames</c>, <c>rs_streams</c>, <c>rs_checkpoints</c> and
/// functions <c>rs_merge_patch</c>, <c>rs_append_many</c> in the connection's default schema) is created by an
/// idempotent migration when the log opens.
/// </remarks>
public sealed partial class PostgresStreamLog : StreamLog
{
    private readonly PostgresStreamLogOptions _options;
    private readonly NpgsqlDataSource _dataSource;
    // Opens the listener's own unpooled connection: from a data source the log built, or cloned from the caller's.
    private readonly Func<CancellationToken, ValueTask<NpgsqlConnection>> _openListener;
    private readonly string _listenerConnectionString;
    // The sources the log built and so disposes; none when the caller owns the data source.
    private readonly NpgsqlDataSource[] _ownedSources;
    private readonly CancellationTokenSource _stopListener = new();
    private readonly Lock _listenerGate = new();
    // Per stream, the Environment.TickCount64 until which this instance's last lease surely runs on the server: it is
    // taken before the lease statement is sent, so it errs early. Real time, like the server's clock; not TimeProvider.
    private readonly ConcurrentDictionary<string, long> _leasedUntil = new(StringComparer.Ordinal);
    // options.Logger guarded: a logging provider that throws must not end a call's wait for the server or the listener.
    private readonly ILogger _logger;
    private Task? _listener;
    private TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _reconnects;

    private PostgresStreamLog(
        PostgresStreamLogOptions options, NpgsqlDataSource dataSource, string listenerConnectionString,
        Func<CancellationToken, ValueTask<NpgsqlConnection>> openListener, NpgsqlDataSource[] ownedSources)
        : base(options)
    {
        _options = options;
        _logger = Reactive.Streams.Internal.NonThrowingLogger.Wrap(options.Logger);
        _dataSource = dataSource;
        _listenerConnectionString = listenerConnectionString;
        _openListener = openListener;
        _ownedSources = ownedSources;
    }

    /// <summary>How many times the listener has re-established <c>LISTEN</c> after losing its connection.</summary>
    public int ListenerReconnects => Volatile.Read(ref _reconnects);

    /// <summary>
    /// Whether <paramref name="connectionString"/> itself sets <paramref name="keyword"/> (spelled with or without spaces,
    /// in any case). Npgsql's builder cannot tell: its <c>ContainsKey</c> answers whether a keyword is valid.
    /// </summary>
    private static bool SetsKeyword(string connectionString, string keyword)
    {
        var raw = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        foreach (string key in raw.Keys)
        {
            if (string.Equals(key.Replace(" ", string.Empty, StringComparison.Ordinal), keyword, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>For tests: whether the log's pool skips the session reset on returning a connection.</summary>
    internal bool SkipsSessionReset => new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString).NoResetOnClose;

    /// <summary>For tests: how many statements the log's pool prepares automatically.</summary>
    internal int MaxAutoPrepare => new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString).MaxAutoPrepare;

    /// <summary>For tests: the connection string of the listener's connection.</summary>
    internal string ListenerConnectionString => _listenerConnectionString;

    /// <summary>For tests: streams with a parked tail.</summary>
    internal int ParkedStreams => ParkedStreamCount;

    /// <summary>
    /// Opens the log on the database <paramref name="connectionString"/> names and runs the idempotent migration.
    /// Statements are auto-prepared (<c>Max Auto Prepare</c> defaults to 20 here unless the string sets it), and the
    /// log's own pool skips Npgsql's session reset when a connection goes back to it (<c>No Reset On Close</c>, unless
    /// the string sets it): the log never changes session state on its pooled connections, and the reset costs the
    /// server about as much as a small INSERT on every statement (docs/benchmarks.md).
    /// </summary>
    /// <param name="connectionString">
    /// An Npgsql connection string, used as given apart from two defaults for the log's pool (<c>Max Auto Prepare</c> 20
    /// and <c>No Reset On Close</c>, each only when the string does not set it) and two for the listener's connection,
    /// which is never pooled and gets <c>Keepalive</c> 15 seconds when the string leaves it at 0.
    /// </param>
    /// <param name="options">The options; null for the defaults. Read once, here: changing the object later changes nothing the log does.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The open log; dispose it to close its connections.</returns>
    /// <exception cref="ArgumentException">The connection string is empty or malformed.</exception>
    /// <exception cref="NpgsqlException">The server could not be reached or the migration failed.</exception>
    public static ValueTask<PostgresStreamLog> OpenAsync(string connectionString, PostgresStreamLogOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        // Read once, here: the log keeps this copy, so changing the caller's object later changes nothing it does.
        options = options?.Copy() ?? new PostgresStreamLogOptions();
        options.Validate();
        // Parsed here too, so a malformed string throws from this call as well.
        _ = new NpgsqlConnectionStringBuilder(connectionString);
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return OpenCoreAsync(connectionString, options, cancellationToken);
    }

    private static async ValueTask<PostgresStreamLog> OpenCoreAsync(string connectionString, PostgresStreamLogOptions options, CancellationToken cancellationToken)
    {

        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Npgsql's default is 0 (off); a string that sets it, to 0 as well, is the caller's choice.
        if (!SetsKeyword(connectionString, "MaxAutoPrepare"))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 20;
        }

        // Returning a pooled connection makes Npgsql reset its session (the DISCARD ALL commands bar DEALLOCATE, sent
        // ahead of the next statement): about 55 µs of a 110 µs single INSERT on loopback. The log's pooled connections
        // never SET, LISTEN (the listener has its own, unpooled), create temporary objects or take session locks, so
        // there is nothing to reset. A caller's explicit setting wins.
        if (!SetsKeyword(connectionString, "NoResetOnClose"))
        {
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }

        var dataSource = builder.Build();
        var listenerBuilder = new NpgsqlDataSourceBuilder(ListenerConnectionStringFor(connectionString));
        var listenerSource = listenerBuilder.Build();
        try
        {
            await MigrateAsync(dataSource, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            await listenerSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new PostgresStreamLog(
            options, dataSource, listenerSource.ConnectionString, listenerSource.OpenConnectionAsync, [dataSource, listenerSource]);
    }

    /// <summary>
    /// Opens the log on a data source the caller owns and configures (a password provider, TLS callbacks, type
    /// mappings, one pool shared with the rest of the application, or the one <c>AddNpgsqlDataSource</c> registered),
    /// and runs the idempotent migration. Disposing the log leaves the data source open; disposing the data source
    /// while the log is in use fails the log's calls.
    /// </summary>
    /// <remarks>
    /// Appends, reads and the migration use the data source's pool as the caller configured it: unlike
    /// <see cref="OpenAsync(string, PostgresStreamLogOptions?, CancellationToken)"/>, the log does not turn on
    /// <c>Max Auto Prepare</c> or <c>No Reset On Close</c> here, and both are worth setting on a pool used mostly by the
    /// log (docs/benchmarks.md). The listener that wakes tails holds no pooled connection: it opens its own, unpooled,
    /// with the data source's connection string, password and TLS callbacks (<see cref="NpgsqlConnection.CloneWith(string)"/>,
    /// asked again at every reconnection) and a 15-second <c>Keepalive</c> unless the data source sets one.
    /// </remarks>
    /// <param name="dataSource">The data source; the caller keeps owning it.</param>
    /// <param name="options">The options; null for the defaults. Read once, here: changing the object later changes nothing the log does.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The open log.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="dataSource"/> is disposed.</exception>
    /// <exception cref="NpgsqlException">The server could not be reached or the migration failed.</exception>
    public static ValueTask<PostgresStreamLog> OpenAsync(NpgsqlDataSource dataSource, PostgresStreamLogOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        options = options?.Copy() ?? new PostgresStreamLogOptions();
        options.Validate();
        return OpenCoreAsync(dataSource, options, cancellationToken);
    }

    private static async ValueTask<PostgresStreamLog> OpenCoreAsync(NpgsqlDataSource dataSource, PostgresStreamLogOptions options, CancellationToken cancellationToken)
    {
        await MigrateAsync(dataSource, cancellationToken).ConfigureAwait(false);
        // The data source's string leaves out the password; CloneWith adds the data source's current one (a periodic
        // provider's latest) and its TLS callbacks, so each reconnection of the listener signs in as the pool does.
        var listenerConnectionString = ListenerConnectionStringFor(dataSource.ConnectionString);
        return new PostgresStreamLog(
            options, dataSource, listenerConnectionString,
            async cancellationToken =>
            {
                NpgsqlConnection connection;
                using (var template = dataSource.CreateConnection())
                {
                    connection = template.CloneWith(listenerConnectionString);
                }

                try
                {
                    await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                    return connection;
                }
                catch
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            },
            []);
    }

    /// <summary>
    /// The listener's connection string: its connection is its own, outside the pool the appends and reads share, and
    /// keepalives make a silently dead connection fail <c>WaitAsync</c> instead of hanging it.
    /// </summary>
    private static string ListenerConnectionStringFor(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        if (builder.KeepAlive == 0)
        {
            builder.KeepAlive = 15;
        }

        return builder.ConnectionString;
    }

    /// <summary>Runs the idempotent migration unless the schema this version creates is already in place.</summary>
    private static async ValueTask MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            if (!await SchemaIsCurrentAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    using var command = new NpgsqlCommand(Sql.Schema, connection, transaction);
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    using var mark = new NpgsqlCommand(Sql.MarkSchema, connection, transaction);
                    await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Whether the schema this version of the library creates is in place (the migration's mark is on
    /// <c>rs_streams</c>), so opening needs no DDL and no rights beyond the rows'.
    /// </summary>
    private static async ValueTask<bool> SchemaIsCurrentAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(Sql.SchemaIsCurrent, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Sql.SchemaMark });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    /// <inheritdoc/>
    protected override async ValueTask<AppendResult> AppendCoreAsync(
        string stream, ReadOnlyMemory<byte> frame, AppendMode mode, IReadOnlyDictionary<string, string>? headers, JsonNode? patch, CancellationToken cancellationToken)
    {
        var headersJson = FrameHeaders.ToJson(headers);
        AppendResult result;
        if (mode == AppendMode.Durable)
        {
            result = await WriteOnceAsync(
                (Log: this, Stream: stream, Frame: frame, Headers: headersJson),
                static (connection, s) =>
                {
                    var command = new NpgsqlCommand(Sql.AppendDurable, connection);
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = s.Stream });
                    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = s.Log.NowMilliseconds() });
                    command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = s.Frame, NpgsqlDbType = NpgsqlDbType.Bytea });
                    command.Parameters.Add(HeadersParameter(s.Headers));
                    return command;
                },
                static async (reader, ct) =>
                {
                    await reader.ReadAsync(ct).ConfigureAwait(false);
                    return new AppendResult(new StreamId(reader.GetInt64(0), reader.GetInt64(1)), reader.GetInt64(2), reader.GetInt64(3));
                },
                cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var batch = await AppendManyAsync(
                stream, [frame], mode, headersJson is null ? null : [headersJson], patch is null && mode != AppendMode.DurableSummary ? null : [patch], cancellationToken)
                .ConfigureAwait(false);
            result = new AppendResult(batch.FirstId, batch.FrameCount, batch.SummaryVersion);
        }

        NotifyAppended(stream);
        return result;
    }

    /// <inheritdoc/>
    protected override async ValueTask<AppendBatchResult> AppendBatchCoreAsync(
        string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, JsonNode?[]? patches,
        CancellationToken cancellationToken)
    {
        var result = await AppendManyAsync(stream, frames, mode, FrameHeaders.ToJsonBatch(headers), patches, cancellationToken).ConfigureAwait(false);
        NotifyAppended(stream);
        return result;
    }

    /// <inheritdoc/>
    protected override async ValueTask<IReadOnlyList<StreamFrame>> ReadCoreAsync(string stream, StreamId from, StreamId to, int limit, TailVisibility visibility, CancellationToken cancellationToken)
    {
        return await RetryTransientAsync(() => ReadOnceAsync(stream, from, to, limit, visibility, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async ValueTask<StreamSummary?> ReadSummaryCoreAsync(string stream, CancellationToken cancellationToken)
    {
        return await RetryTransientAsync(() => ReadSummaryOnceAsync(stream, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async ValueTask<StreamId?> ReadCheckpointCoreAsync(string checkpointId, CancellationToken cancellationToken) =>
        await RetryTransientAsync(() => ReadCheckpointOnceAsync(checkpointId, cancellationToken), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    /// <remarks>Storing a position is idempotent, so after a lost connection it is retried like a read.</remarks>
    protected override async ValueTask WriteCheckpointCoreAsync(string checkpointId, StreamId position, CancellationToken cancellationToken)
    {
        await RetryTransientAsync(async () =>
        {
            using var command = _dataSource.CreateCommand(Sql.WriteCheckpoint);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = checkpointId });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.Milliseconds });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.Sequence });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = NowMilliseconds() });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a write that must not run twice (an append, a group claim: one statement in its own implicit transaction)
    /// and reads its result rows with <paramref name="read"/>. It is sent again, after clearing the pool, only when it
    /// certainly did not commit: opening a connection failed with a transient error (nothing was sent; a refused login
    /// is thrown at once, as <see cref="Classify"/> has it for reads), or the server reported that it ended
    /// the session (57P01, 57P02, 57P03; a restart ends every pooled connection) before the statement's first result
    /// row arrived. The rows are produced before the transaction commits, which happens only after the statement ends,
    /// so a session ended before the first row means no commit. An immediate shutdown or a crash restart
    /// (<c>pg_ctl stop -m immediate</c>, another server process crashing) ends a session differently: the server process
    /// sends the warning 57P01 or 57P02 and quits, and the connection then ends with no error; a connection lost that way
    /// before the first row is sent again too, since everything the server process sent for the statement comes before
    /// its warning and nothing runs after it. Any other failure, a lost connection without that warning among them, may
    /// have come after the commit: it is thrown, never retried. That includes a server process the postmaster had to
    /// SIGKILL because it had not quit 5 seconds after an immediate shutdown's SIGQUIT (a host too loaded to schedule it):
    /// it sends no warning, and nothing on the client tells its closed connection from one lost after a commit without
    /// a round trip before every write. Attempts follow <see cref="Reconnection"/>.
    /// </summary>
    private async Task<T> WriteOnceAsync<TState, T>(
        TState state, Func<NpgsqlConnection, TState, NpgsqlCommand> create, Func<NpgsqlDataReader, CancellationToken, ValueTask<T>> read, CancellationToken cancellationToken)
    {
        Reconnection? reconnection = null;
        while (true)
        {
            NpgsqlConnection connection;
            try
            {
                connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException e) when (!cancellationToken.IsCancellationRequested && Classify(e) != RetryAction.None)
            {
                // Nothing was sent, so any transient failure may be tried again; an error that will not pass (a refused
                // login, a database that does not exist) is thrown at once, as it is from a read.
                _dataSource.Clear();
                reconnection ??= new Reconnection(this);
                if (!await reconnection.WaitAsync(e, cancellationToken).ConfigureAwait(false))
                {
                    throw;
                }

                continue;
            }

            await using (connection.ConfigureAwait(false))
            {
                using var command = create(connection, state);
                var sessionEnd = new SessionEndWarning();
                connection.Notice += sessionEnd.OnNotice;
                NpgsqlDataReader reader;
                try
                {
                    reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (NpgsqlException e) when (
                    e is PostgresException { SqlState: "57P01" or "57P02" or "57P03" }
                    || (e is not PostgresException && sessionEnd.Seen && !cancellationToken.IsCancellationRequested))
                {
                    _dataSource.Clear();
                    reconnection ??= new Reconnection(this);
                    if (!await reconnection.WaitAsync(e, cancellationToken).ConfigureAwait(false))
                    {
                        throw;
                    }

                    continue;
                }

                await using (reader.ConfigureAwait(false))
                {
                    return await read(reader, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Hears the warning a server process sends when it quits at once (57P01 for an immediate shutdown, 57P02 when another
    /// process crashed and the server restarts), after which the connection ends without an error message.
    /// </summary>
    private sealed class SessionEndWarning
    {
        private volatile bool _seen;

        /// <summary>Whether the server process said it is quitting.</summary>
        public bool Seen => _seen;

        public void OnNotice(object sender, NpgsqlNoticeEventArgs e)
        {
            if (e.Notice.SqlState is "57P01" or "57P02")
            {
                _seen = true;
            }
        }
    }

    /// <summary>
    /// Runs an idempotent operation, and after a transient failure (<see cref="Classify"/>) runs it again, as
    /// <see cref="Reconnection"/> schedules. Only a lost connection (a server restart leaves the pool's connections dead)
    /// clears the pool first; a serialization failure or a deadlock the server reported leaves the pool's connections
    /// alive and in use by others.
    /// </summary>
    private async Task<TResult> RetryTransientAsync<TResult>(Func<Task<TResult>> operation, CancellationToken cancellationToken)
    {
        Reconnection? reconnection = null;
        while (true)
        {
            try
            {
                return await operation().ConfigureAwait(false);
            }
            catch (NpgsqlException e) when (Classify(e) is var retry and not RetryAction.None && !cancellationToken.IsCancellationRequested)
            {
                if (retry == RetryAction.ClearPoolAndRetry)
                {
                    _dataSource.Clear();
                }

                reconnection ??= new Reconnection(this);
                if (!await reconnection.WaitAsync(e, cancellationToken).ConfigureAwait(false))
                {
                    throw;
                }
            }
        }
    }

    /// <summary>
    /// The attempts of one call after transient failures (<see cref="PostgresStreamLogOptions.ReconnectTimeout"/>): the
    /// second at once, since a restart that has already ended leaves only dead pooled connections behind; later ones
    /// after <see cref="PostgresStreamLogOptions.ReconnectDelay"/>, doubling to
    /// <see cref="PostgresStreamLogOptions.MaxReconnectDelay"/>, until the timeout has passed since the first failure.
    /// The waits run on the log's clock; cancelling the call or disposing the log ends them. Created at a call's first
    /// failure, so a call that succeeds allocates nothing for it.
    /// </summary>
    private sealed class Reconnection(PostgresStreamLog log)
    {
        private readonly long _firstFailure = log.TimeProvider.GetTimestamp();
        private int _failures;

        /// <summary>
        /// Waits before the next attempt after <paramref name="error"/>; false when the time is up and the caller
        /// throws the error.
        /// </summary>
        public async ValueTask<bool> WaitAsync(Exception error, CancellationToken cancellationToken)
        {
            var options = log._options;
            var remaining = options.ReconnectTimeout - log.TimeProvider.GetElapsedTime(_firstFailure);
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            if (++_failures == 1)
            {
                return true;
            }

            var delay = Backoff.Compute(_failures - 1, options.ReconnectDelay, options.MaxReconnectDelay, jitter: null);
            delay = delay < remaining ? delay : remaining;
            // A delay beyond what one timer can measure (the options allow any) waits that long, then tries again.
            delay = delay < TimerLimits.LongestWait ? delay : TimerLimits.LongestWait;
            PostgresLog.CallRetrying(log._logger, _failures, delay, error);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, log._stopListener.Token);
            try
            {
                await Task.Delay(delay, log.TimeProvider, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ObjectDisposedException(typeof(PostgresStreamLog).FullName, "The stream log was disposed while a call waited to try the server again.");
            }
            catch (OperationCanceledException cancelled) when (CallerCancellation.IsRenamed(cancelled, cancellationToken))
            {
                // The wait was on a token linked to the disposal.
                throw CallerCancellation.Rename(cancelled, cancellationToken);
            }

            return true;
        }
    }

    /// <summary>What <see cref="RetryTransientAsync{TResult}"/> does after a failure.</summary>
    internal enum RetryAction
    {
        /// <summary>The failure is the caller's: it propagates.</summary>
        None,

        /// <summary>The server reported a transient error on a live connection (serialization failure, deadlock): run again.</summary>
        Retry,

        /// <summary>The connection was lost: clear the pool's dead connections, then run again.</summary>
        ClearPoolAndRetry,
    }

    /// <summary>How a failure of an idempotent operation is retried.</summary>
    internal static RetryAction Classify(NpgsqlException e) => e switch
    {
        // The server is shutting down or starting (admin or crash shutdown, not accepting connections yet).
        PostgresException { SqlState: "57P01" or "57P02" or "57P03" } => RetryAction.ClearPoolAndRetry,

        // Any other error the server reported arrived on a connection that still works.
        PostgresException { IsTransient: true } => RetryAction.Retry,
        PostgresException => RetryAction.None,

        // No answer from the server: a broken socket or a timeout.
        { IsTransient: true } or { InnerException: IOException } => RetryAction.ClearPoolAndRetry,
        _ => RetryAction.None,
    };

    private async Task<StreamId?> ReadCheckpointOnceAsync(string checkpointId, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand(Sql.ReadCheckpoint);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = checkpointId });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new StreamId(reader.GetInt64(0), reader.GetInt64(1))
                : null;
        }
    }

    private async Task<IReadOnlyList<StreamFrame>> ReadOnceAsync(string stream, StreamId from, StreamId to, int limit, TailVisibility visibility, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand(visibility == TailVisibility.All ? Sql.Read : Sql.ReadExcludingLive);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = from.Milliseconds });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = from.Sequence });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = to.Milliseconds });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = to.Sequence });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var frames = new List<StreamFrame>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var frame = new StreamFrame(new StreamId(reader.GetInt64(0), reader.GetInt64(1)), reader.GetFieldValue<byte[]>(3), (AppendMode)reader.GetInt16(2));
                frames.Add(reader.IsDBNull(4) ? frame : frame with { Headers = FrameHeaders.FromJson(reader.GetString(4)) });
            }
        }

        return frames;
    }

    private async Task<StreamSummary?> ReadSummaryOnceAsync(string stream, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand(Sql.ReadSummary);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            using var document = JsonDocument.Parse(reader.GetString(0));
            return new StreamSummary(
                document.RootElement.Clone(), reader.GetInt64(1),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)));
        }
    }

    /// <inheritdoc/>
    protected override async ValueTask PrepareTailAsync(CancellationToken cancellationToken)
    {
        Task listening;
        lock (_listenerGate)
        {
            _listener ??= Task.Run(ListenAsync, CancellationToken.None);
            listening = _listening.Task;
        }

        // Until the first LISTEN succeeds a tail could miss notifications; if it fails, the tail fails with its error.
        await listening.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async ValueTask<bool> WatchStreamAsync(string stream, CancellationToken cancellationToken)
    {
        var lease = _options.WatchLease;
        var now = Environment.TickCount64;
        if (_leasedUntil.TryGetValue(stream, out var until) && until - now >= (long)(lease / 2).TotalMilliseconds)
        {
            return false;
        }

        if (_leasedUntil.Count >= 1024)
        {
            // Forget leases that have run out, so tailing many short-lived streams does not grow the map for ever.
            foreach (var entry in _leasedUntil)
            {
                if (entry.Value <= now)
                {
                    _leasedUntil.TryRemove(entry);
                }
            }
        }

        // Taking a lease is idempotent, so it may be retried like a read.
        await RetryTransientAsync(async () =>
        {
            using var command = _dataSource.CreateCommand(Sql.Watch);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
            command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = lease.TotalSeconds });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        _leasedUntil[stream] = now + (long)lease.TotalMilliseconds;
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>A quarter of the lease, so a tail renews its lease (at half) before the lease can run out mid-wait.</remarks>
    protected override TimeSpan? PollInterval(int emptyChecks) => _options.WatchLease / 4;

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync()
    {
        await _stopListener.CancelAsync().ConfigureAwait(false);
        Task? listener;
        lock (_listenerGate)
        {
            listener = _listener;
        }

        if (listener is not null)
        {
            await listener.ConfigureAwait(false);
        }

        foreach (var source in _ownedSources)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }

        _stopListener.Dispose();
    }

    private async Task<AppendBatchResult> AppendManyAsync(
        string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, string?[]? headersJson, JsonNode?[]? patches, CancellationToken cancellationToken)
    {
        var payloads = new byte[frames.Count][];
        for (var i = 0; i < payloads.Length; i++)
        {
            payloads[i] = frames[i].ToArray();
        }

        var retention = Options.LiveRetention;
        var patchTexts = patches is null ? null : Array.ConvertAll(patches, p => p is null ? "null" : p.ToJsonString());
        return await WriteOnceAsync(
            (Log: this, Stream: stream, Mode: mode, Payloads: payloads, Patches: patchTexts, Retention: retention, Headers: headersJson),
            static (connection, s) =>
            {
                var command = new NpgsqlCommand(Sql.AppendMany, connection);
                s.Log.AddAppendManyParameters(command, s.Stream, s.Mode, s.Payloads, s.Patches, s.Retention);
                command.Parameters.Add(HeadersArrayParameter(s.Headers));
                return command;
            },
            static async (reader, ct) =>
            {
                await reader.ReadAsync(ct).ConfigureAwait(false);
                return new AppendBatchResult(
                    new StreamId(reader.GetInt64(0), reader.GetInt64(1)), new StreamId(reader.GetInt64(2), reader.GetInt64(3)),
                    reader.GetInt64(4), reader.GetInt64(5));
            },
            cancellationToken).ConfigureAwait(false);
    }

    private void AddAppendManyParameters(NpgsqlCommand command, string stream, AppendMode mode, byte[][] payloads, string[]? patchTexts, LiveRetentionOptions retention)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = NowMilliseconds() });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)mode });
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = patchTexts is null ? DBNull.Value : patchTexts,
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
        });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = retention.Alpha });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = retention.Ttl.TotalSeconds });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = retention.Floor });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = retention.Ceiling });
    }

    private async Task ListenAsync()
    {
        var token = _stopListener.Token;
        var failures = 0;
        var everListened = false;
        long? firstFailure = null;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var connection = await _openListener(token).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    connection.Notification += (_, e) => NotifyAppended(e.Payload);
                    using (var listen = new NpgsqlCommand($"LISTEN {Sql.NotifyChannel}", connection))
                    {
                        await listen.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                    }

                    failures = 0;
                    firstFailure = null;
                    if (everListened)
                    {
                        Interlocked.Increment(ref _reconnects);
                        PostgresLog.ListenerReconnected(_logger);
                    }

                    everListened = true;
                    _listening.TrySetResult();
                    // Appends made while the listener was away sent notifications nobody heard.
                    NotifyAllStreams();
                    while (true)
                    {
                        await connection.WaitAsync(token).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever broke the connection, the listener must come back: without it tails wake only at their timeout.
                PostgresLog.ListenerLost(_logger, e);
                firstFailure ??= TimeProvider.GetTimestamp();
                if (!everListened && !(e is NpgsqlException npgsql && Classify(npgsql) != RetryAction.None
                    && TimeProvider.GetElapsedTime(firstFailure.Value) < _options.ReconnectTimeout))
                {
                    // Tails waiting for the first LISTEN wait through a server restart as any call does (ReconnectTimeout);
                    // an error that is not transient, or one still there when that time is up, fails them. Later
                    // tails wait for the next attempt.
                    TaskCompletionSource failed;
                    lock (_listenerGate)
                    {
                        failed = _listening;
                        _listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }

                    failed.TrySetException(e);
                }

                // Pooled connections to a restarted server are dead too.
                _dataSource.Clear();
                var delay = Backoff.Compute(++failures, _options.ReconnectDelay, _options.MaxReconnectDelay, jitter: null);
                delay = delay < TimerLimits.LongestWait ? delay : TimerLimits.LongestWait;
                try
                {
                    await Task.Delay(delay, TimeProvider, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
