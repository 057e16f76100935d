using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Reactive.Streams.Internal;
using SQLitePCL;

namespace Reactive.Streams.Storage.Sqlite;

/// <summary>
/// An <see cref="IStreamLog"/> in one SQLite file (WAL journal, <c>synchronous=NORMAL</c> unless configured): the
/// embedded default, nothing to install. Several processes may share the file. Writes in this process go through
/// one writer connection, one at a time; reads use pooled connections and run alongside writes. Tails are woken at
/// once by appends through any <see cref="SqliteStreamLog"/> on the same file in this process, and find appends by
/// other processes by polling (<see cref="SqliteStreamLogOptions.PollInterval"/>, backing off to
/// <see cref="SqliteStreamLogOptions.MaxPollInterval"/>).
/// </summary>
/// <remarks>
/// Every write runs in a <c>BEGIN IMMEDIATE</c> transaction, whose write lock the log takes itself, waiting
/// asynchronously up to <see cref="SqliteStreamLogOptions.BusyTimeout"/> while another connection holds it.
/// A plain <see cref="AppendMode.Durable"/> append is one guarded <c>INSERT … SELECT … WHERE</c> statement computed
/// from the log's cached tip of the stream: it inserts only if the stream's last frame is still the one the log knows,
/// and otherwise the log reloads the tip and tries again, so writers in other processes cannot make ids collide or go
/// backwards. A stream's frame count is kept as the last frame's ordinal minus the frames trimmed, so a durable append
/// writes one row and nothing else.
/// </remarks>
public sealed partial class SqliteStreamLog : StreamLog
{
    private const int SchemaVersion = 1;
    // Rows per multi-row INSERT. Microsoft.Data.Sqlite binds every parameter by name (sqlite3_bind_parameter_index, a
    // linear search of the statement's names), so binding grows with the square of a statement's parameters: two
    // statements of 50 rows take a 100-frame batch about 6% faster than one of 100 (docs/benchmarks.md).
    private const int MaxRowsPerInsert = 50;

    // Logs open on each file in this process, so an append wakes tails parked on any of them.
    // Copy-on-write arrays: every append reads its file's array, opening and closing a log is rare.
    private static readonly ConcurrentDictionary<string, SqliteStreamLog[]> s_openLogs = new(StringComparer.Ordinal);

    private readonly SqliteStreamLogOptions _options;
    private readonly string _path;
    // Where this log is listed in s_openLogs: the file's name as SQLite resolved it (see WakeKey).
    private readonly string _wakeKey;
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    // Cancelled when disposal starts: ends a write's wait for another connection's lock, which holds _writeGate.
    private readonly CancellationTokenSource _disposing = new();

    // The last frame of each stream this log appended to, as far as it knows; guarded by _writeGate. A durable
    // append inserts from it with a guard (Sql.AppendAtTip) and reloads it when another connection appended since.
    private readonly Dictionary<string, StreamTip> _tips = new(StringComparer.Ordinal);
    private readonly SqliteCommand _appendAtTip;
    private readonly SqliteCommand _tip;
    private readonly SqliteCommand _lastFrame;
    private readonly SqliteCommand _streamState;
    private readonly Dictionary<int, SqliteCommand> _insertRows = [];
    private readonly SqliteCommand _saveStreamState;
    private readonly SqliteCommand _trimLive;
    private readonly SqliteCommand _rollback;

    // BEGIN IMMEDIATE and COMMIT prepared below Microsoft.Data.Sqlite, once per log: beginning must not meet its busy
    // retry (see AcquireWriteLockAsync), and neither allocates a data reader per write.
    private readonly sqlite3_stmt _beginImmediate;
    private readonly sqlite3_stmt _commit;

    private SqliteStreamLog(SqliteStreamLogOptions options, string path, string connectionString, SqliteConnection writer)
        : base(options)
    {
        _options = options;
        _path = path;
        _wakeKey = WakeKey(writer, path);
        _connectionString = connectionString;
        _writer = writer;
        _appendAtTip = Command(Sql.AppendAtTip, "$stream", "$ms", "$seq", "$ordinal", "$payload", "$expected_ms", "$expected_seq", "$headers");
        _tip = Command(Sql.Tip, "$stream");
        _lastFrame = Command(Sql.LastFrame, "$stream");
        _streamState = Command(Sql.StreamState, "$stream");
        _saveStreamState = Command(
            Sql.SaveStreamState, "$stream", "$trimmed", "$live_count", "$live_rate", "$live_ms", "$summary", "$summary_version",
            "$summary_first_ms", "$summary_last_ms");
        _trimLive = Command(Sql.TrimLive, "$stream", "$excess");
        _rollback = Command("ROLLBACK");
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(writer.Handle, "BEGIN IMMEDIATE", out _beginImmediate), writer.Handle);
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(writer.Handle, "COMMIT", out _commit), writer.Handle);
        if (!options.IsolateFromProcess)
        {
            s_openLogs.AddOrUpdate(_wakeKey, static (_, log) => [log], static (_, logs, log) => [.. logs, log], this);
        }
    }

    /// <summary>The full path of the database file.</summary>
    public string Path => _path;

    /// <summary>
    /// The key under which the logs open on one file find each other in this process, so that an append through one
    /// wakes the tails parked on the others: the file's name as SQLite resolved it when it opened the file, symbolic
    /// links followed (as SQLite follows them to share one WAL). Keyed by <see cref="Path"/> instead, a file reached
    /// through a linked directory or a linked file was two files here, and its tails waited for the next poll.
    /// </summary>
    private static string WakeKey(SqliteConnection writer, string path) =>
        raw.sqlite3_db_filename(writer.Handle, "main").utf8_to_string() is { Length: > 0 } resolved ? resolved : path;

    /// <summary>
    /// Opens (creating if needed) the log in the SQLite file at <paramref name="path"/>: switches it to WAL and runs the
    /// idempotent schema migration.
    /// </summary>
    /// <param name="path">The database file; created with its tables if missing.</param>
    /// <param name="options">The options; null for the defaults. Read once, here: changing the object later changes nothing the log does.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The open log; dispose it to close the file.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or white space, holds a NUL character, or is <c>:memory:</c>, a <c>file:</c> URI or a connection string.</exception>
    /// <exception cref="InvalidOperationException">The file holds a newer schema version than this library knows.</exception>
    /// <exception cref="SqliteException">SQLite could not open or migrate the file.</exception>
    public static ValueTask<SqliteStreamLog> OpenAsync(string path, SqliteStreamLogOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ThrowIfNotAFilePath(path);
        // Read once, here: the log keeps this copy, so changing the caller's object later changes nothing it does.
        options = options?.Copy() ?? new SqliteStreamLogOptions();
        options.Validate();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return OpenCoreAsync(System.IO.Path.GetFullPath(path), options, cancellationToken);
    }

    /// <summary>
    /// Refuses what Microsoft.Data.Sqlite would read as something other than a file: an in-memory database, a
    /// <c>file:</c> URI or a whole connection string. The log opens the file itself, through pooled connections
    /// and with options of its own, and other logs and processes share it by its full path; taken as a path, such text
    /// would silently name a file relative to the working directory instead.
    /// </summary>
    private static void ThrowIfNotAFilePath(string path)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"The path contains the NUL character at index {path.IndexOf('\0', StringComparison.Ordinal)}, which no file name can hold.", nameof(path));
        }

        string? what = null;
        if (path == ":memory:")
        {
            what = "an in-memory database";
        }
        else if (path.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            what = "a file: URI";
        }
        else if (path.Contains('=', StringComparison.Ordinal))
        {
            try
            {
                // Unknown keywords and malformed text throw: "a=b.db" and "/x/a=b;c.db" are file names.
                if (new SqliteConnectionStringBuilder(path).Count > 0)
                {
                    what = "a connection string";
                }
            }
            catch (ArgumentException)
            {
            }
        }

        if (what is not null)
        {
            throw new ArgumentException(
                $"The stream log takes the path of a database file, not {what}: \"{path}\". Pass the file's path; the log sets the connection's options itself.",
                nameof(path));
        }
    }

    private static async ValueTask<SqliteStreamLog> OpenCoreAsync(string fullPath, SqliteStreamLogOptions options, CancellationToken cancellationToken)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // Microsoft.Data.Sqlite retries a busy statement until this many whole seconds pass (0: forever). Writes take
            // the lock themselves first (AcquireWriteLockAsync), so only reads, which WAL rarely blocks, rely on it.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();

        var writer = new SqliteConnection(connectionString);
        try
        {
            await writer.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(writer, string.Create(CultureInfo.InvariantCulture,
                $"PRAGMA busy_timeout = 0; PRAGMA journal_mode = WAL; PRAGMA synchronous = {options.Synchronous.ToString().ToUpperInvariant()};"),
                cancellationToken).ConfigureAwait(false);
            await MigrateAsync(writer, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new SqliteStreamLog(options, fullPath, connectionString, writer);
    }

    /// <inheritdoc/>
    protected override async ValueTask<AppendResult> AppendCoreAsync(
        string stream, ReadOnlyMemory<byte> frame, AppendMode mode, IReadOnlyDictionary<string, string>? headers, JsonNode? patch, CancellationToken cancellationToken)
    {
        var headersJson = FrameHeaders.ToJson(headers);
        AppendResult result;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            await AcquireWriteLockAsync(_writer, _beginImmediate, _options, cancellationToken, _disposing.Token).ConfigureAwait(false);
            if (mode == AppendMode.Durable)
            {
                result = InTransaction(stream, (Log: this, stream, frame, headersJson), static s => s.Log.AppendAtTip(s.stream, s.frame, s.headersJson));
            }
            else
            {
                var batch = AppendInTransaction(stream, [frame], mode, headersJson is null ? null : [headersJson], mode == AppendMode.DurableSummary ? [patch] : null);
                result = new AppendResult(batch.FirstId, batch.FrameCount, batch.SummaryVersion);
            }
        }
        finally
        {
            _writeGate.Release();
        }

        Publish(stream);
        return result;
    }

    /// <inheritdoc/>
    protected override async ValueTask<AppendBatchResult> AppendBatchCoreAsync(
        string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, JsonNode?[]? patches,
        CancellationToken cancellationToken)
    {
        var headersJson = FrameHeaders.ToJsonBatch(headers);
        AppendBatchResult result;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            await AcquireWriteLockAsync(_writer, _beginImmediate, _options, cancellationToken, _disposing.Token).ConfigureAwait(false);
            result = AppendInTransaction(stream, frames, mode, headersJson, patches);
        }
        finally
        {
            _writeGate.Release();
        }

        Publish(stream);
        return result;
    }

    /// <inheritdoc/>
    protected override async ValueTask<IReadOnlyList<StreamFrame>> ReadCoreAsync(string stream, StreamId from, StreamId to, int limit, TailVisibility visibility, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = visibility == TailVisibility.All ? Sql.Read : Sql.ReadExcludingLive;
            command.Parameters.AddWithValue("$stream", stream);
            command.Parameters.AddWithValue("$from_ms", from.Milliseconds);
            command.Parameters.AddWithValue("$from_seq", from.Sequence);
            command.Parameters.AddWithValue("$to_ms", to.Milliseconds);
            command.Parameters.AddWithValue("$to_seq", to.Sequence);
            command.Parameters.AddWithValue("$limit", limit);
            var frames = new List<StreamFrame>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var frame = new StreamFrame(new StreamId(reader.GetInt64(0), reader.GetInt64(1)), reader.GetFieldValue<byte[]>(3), (AppendMode)reader.GetInt32(2));
                    frames.Add(reader.IsDBNull(4) ? frame : frame with { Headers = FrameHeaders.FromJson(reader.GetString(4)) });
                }
            }

            return frames;
        }
    }

    /// <inheritdoc/>
    protected override async ValueTask<StreamSummary?> ReadSummaryCoreAsync(string stream, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = Sql.ReadSummary;
            command.Parameters.AddWithValue("$stream", stream);
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
    }

    /// <inheritdoc/>
    protected override async ValueTask<StreamId?> ReadCheckpointCoreAsync(string checkpointId, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = Sql.ReadCheckpoint;
            command.Parameters.AddWithValue("$checkpoint", checkpointId);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                    ? new StreamId(reader.GetInt64(0), reader.GetInt64(1))
                    : null;
            }
        }
    }

    /// <inheritdoc/>
    protected override async ValueTask WriteCheckpointCoreAsync(string checkpointId, StreamId position, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            await AcquireWriteLockAsync(_writer, _beginImmediate, _options, cancellationToken, _disposing.Token).ConfigureAwait(false);
            using var command = _writer.CreateCommand();
            command.CommandText = Sql.WriteCheckpoint;
            command.Parameters.AddWithValue("$checkpoint", checkpointId);
            command.Parameters.AddWithValue("$ms", position.Milliseconds);
            command.Parameters.AddWithValue("$seq", position.Sequence);
            command.Parameters.AddWithValue("$now", NowMilliseconds());
            InTransaction(null, command, static c => c.ExecuteNonQuery());
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc/>
    protected override TimeSpan? PollInterval(int emptyChecks)
    {
        return Backoff.Compute(emptyChecks + 1, _options.PollInterval, _options.MaxPollInterval, jitter: null);
    }

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync()
    {
        if (!_options.IsolateFromProcess)
        {
            while (s_openLogs.TryGetValue(_wakeKey, out var logs))
            {
                var remaining = Array.FindAll(logs, log => log != this);
                var removed = remaining.Length == 0
                    ? s_openLogs.TryRemove(new KeyValuePair<string, SqliteStreamLog[]>(_wakeKey, logs))
                    : s_openLogs.TryUpdate(_wakeKey, remaining, logs);
                if (removed)
                {
                    break;
                }
            }
        }

        // End a write's wait for the file's lock, wait for a write in progress, then close; later writers see IsDisposed.
        await _disposing.CancelAsync().ConfigureAwait(false);
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var command in new[] { _appendAtTip, _tip, _lastFrame, _streamState, _saveStreamState, _trimLive, _rollback }
                .Concat(_insertRows.Values).Concat(_insertRowsWithHeaders.Values))
            {
                await command.DisposeAsync().ConfigureAwait(false);
            }

            _beginImmediate.Dispose();
            _commit.Dispose();
            await _writer.DisposeAsync().ConfigureAwait(false);
            using var pooled = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(pooled);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>For tests: a pragma's value on the writer connection.</summary>
    internal long WriterPragma(string name)
    {
        _writeGate.Wait();
        try
        {
            using var command = _writer.CreateCommand();
            command.CommandText = name switch
            {
                "synchronous" => "PRAGMA synchronous",
                "busy_timeout" => "PRAGMA busy_timeout",
                _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown pragma."),
            };
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private static byte[] ToArray(ReadOnlyMemory<byte> memory) =>
        MemoryMarshal.TryGetArray(memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : memory.ToArray();

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task MigrateAsync(SqliteConnection connection, SqliteStreamLogOptions options, CancellationToken cancellationToken)
    {
        // IMMEDIATE: two processes opening a new file at once serialize here instead of both creating tables.
        await AcquireWriteLockAsync(connection, begin: null, options, cancellationToken).ConfigureAwait(false);
        try
        {
            using var version = connection.CreateCommand();
            version.CommandText = "PRAGMA user_version";
            var current = Convert.ToInt64(await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            if (current > SchemaVersion)
            {
                throw new InvalidOperationException(
                    $"The stream log file has schema version {current}; this library knows versions up to {SchemaVersion}.");
            }

            await ExecuteAsync(connection, Sql.Schema, cancellationToken).ConfigureAwait(false);
            await MigrateHeadersAsync(connection, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, "COMMIT", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Only while the transaction is open: SQLite may have rolled it back itself (see InTransaction).
            if (raw.sqlite3_get_autocommit(connection.Handle) == 0)
            {
                await ExecuteAsync(connection, "ROLLBACK", CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// Begins an IMMEDIATE transaction on <paramref name="connection"/>, waiting for the write lock up to the busy
    /// timeout. SQLite's own busy handler is off (<c>busy_timeout = 0</c>) and the statement runs below
    /// Microsoft.Data.Sqlite, which would retry a busy statement for whole seconds (forever at 0) and block the thread
    /// in between; here a busy lock is retried after short asynchronous delays, so the caller gets its task back.
    /// </summary>
    /// <param name="connection">The connection to begin on.</param>
    /// <param name="begin">The connection's prepared BEGIN IMMEDIATE, or null to run it as text (the migration).</param>
    /// <param name="options">The busy timeout and its clock.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="disposing">The log's disposal, which ends the wait with <see cref="ObjectDisposedException"/>.</param>
    private static async ValueTask AcquireWriteLockAsync(
        SqliteConnection connection, sqlite3_stmt? begin, SqliteStreamLogOptions options, CancellationToken cancellationToken, CancellationToken disposing = default)
    {
        var clock = options.BusyTimeProvider;
        var started = 0L;
        var delay = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            var rc = BeginImmediate(connection, begin);
            if (rc == raw.SQLITE_OK)
            {
                return;
            }

            if ((rc & 0xFF) is not (raw.SQLITE_BUSY or raw.SQLITE_LOCKED))
            {
                SqliteException.ThrowExceptionForRC(rc, connection.Handle);
            }

            if (started == 0)
            {
                started = clock.GetTimestamp();
            }

            var remaining = options.BusyTimeout - clock.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw new SqliteException(
                    $"The stream log file is locked by another connection's write; gave up after the busy timeout of {options.BusyTimeout.TotalMilliseconds} ms.",
                    raw.SQLITE_BUSY);
            }

            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, disposing))
            {
                try
                {
                    await Task.Delay(delay < remaining ? delay : remaining, clock, waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new ObjectDisposedException(typeof(SqliteStreamLog).FullName, "The stream log was disposed while a write waited for another connection's lock on the file.");
                }
                catch (OperationCanceledException error) when (CallerCancellation.IsRenamed(error, cancellationToken))
                {
                    // The wait was on a token linked to the disposal.
                    throw CallerCancellation.Rename(error, cancellationToken);
                }
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks));
        }
    }

    private static int BeginImmediate(SqliteConnection connection, sqlite3_stmt? begin)
    {
        if (begin is null)
        {
            return raw.sqlite3_exec(connection.Handle, "BEGIN IMMEDIATE");
        }

        var rc = raw.sqlite3_step(begin);
        raw.sqlite3_reset(begin);
        return rc == raw.SQLITE_DONE ? raw.SQLITE_OK : rc;
    }

    /// <summary>
    /// Runs <paramref name="write"/> in the transaction the caller began and commits it; on failure rolls back and
    /// forgets the cached tip of <paramref name="stream"/>.
    /// </summary>
    private T InTransaction<TState, T>(string? stream, TState state, Func<TState, T> write)
    {
        try
        {
            var result = write(state);
            var rc = raw.sqlite3_step(_commit);
            raw.sqlite3_reset(_commit);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _writer.Handle);
            }

            return result;
        }
        catch
        {
            if (stream is not null)
            {
                _tips.Remove(stream);
            }

            // SQLite rolls the transaction back itself on some errors (a full disk, an I/O error, RAISE(ROLLBACK) in a
            // trigger): a ROLLBACK then fails with "no transaction is active", which would replace the error that says
            // what went wrong.
            if (raw.sqlite3_get_autocommit(_writer.Handle) == 0)
            {
                _rollback.ExecuteNonQuery();
            }

            throw;
        }
    }

    private SqliteCommand Command(string sql, params string[] parameters)
    {
        var command = _writer.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private void Publish(string stream)
    {
        if (!_options.IsolateFromProcess && s_openLogs.TryGetValue(_wakeKey, out var logs))
        {
            foreach (var log in logs)
            {
                log.NotifyAppended(stream);
            }
        }
        else
        {
            NotifyAppended(stream);
        }
    }

    // Runs under _writeGate on the writer connection.
    private AppendResult AppendAtTip(string stream, ReadOnlyMemory<byte> frame, string? headersJson)
    {
        try
        {
            if (!_tips.TryGetValue(stream, out var tip))
            {
                tip = LoadTip(stream);
            }

            // Each failed attempt means another process appended to this stream in between; give up only if that
            // keeps happening for an unreasonable number of attempts.
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var id = NextId(tip.Ordinal == 0 ? null : tip.LastId, NowMilliseconds());
                var p = _appendAtTip.Parameters;
                p[0].Value = stream;
                p[1].Value = id.Milliseconds;
                p[2].Value = id.Sequence;
                p[3].Value = tip.Ordinal + 1;
                p[4].Value = ToArray(frame);
                p[5].Value = tip.Ordinal == 0 ? DBNull.Value : tip.LastId.Milliseconds;
                p[6].Value = tip.Ordinal == 0 ? DBNull.Value : tip.LastId.Sequence;
                p[7].Value = (object?)headersJson ?? DBNull.Value;
                if (_appendAtTip.ExecuteNonQuery() == 1)
                {
                    tip = tip with { LastId = id, Ordinal = tip.Ordinal + 1 };
                    RememberTip(stream, tip);
                    return new AppendResult(id, tip.Ordinal - tip.Trimmed, tip.SummaryVersion);
                }

                tip = LoadTip(stream);
            }

            throw new InvalidOperationException($"Could not append to stream '{stream}': other writers kept appending first.");
        }
        catch
        {
            _tips.Remove(stream);
            throw;
        }
    }

    private StreamTip LoadTip(string stream)
    {
        _tip.Parameters[0].Value = stream;
        using var reader = _tip.ExecuteReader();
        reader.Read();
        return reader.IsDBNull(2)
            ? new StreamTip(StreamId.Min, 0, reader.GetInt64(3), reader.GetInt64(4))
            : new StreamTip(new StreamId(reader.GetInt64(0), reader.GetInt64(1)), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }

    private void RememberTip(string stream, StreamTip tip)
    {
        // Bounded: a log that appends to very many streams reloads tips instead of growing without limit.
        if (_tips.Count >= 4096 && !_tips.ContainsKey(stream))
        {
            _tips.Clear();
        }

        _tips[stream] = tip;
    }

    // Runs under _writeGate on the writer connection, in the transaction AcquireWriteLockAsync began.
    private AppendBatchResult AppendInTransaction(string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, string?[]? headersJson, JsonNode?[]? patches)
    {
        var (result, tip) = InTransaction(
            stream,
            (Log: this, stream, frames, mode, headersJson, patches),
            static s => (s.Log.AppendRows(s.stream, s.frames, s.mode, s.headersJson, s.patches, out var tip), tip));
        RememberTip(stream, tip);
        return result;
    }

    private AppendBatchResult AppendRows(string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, string?[]? headersJson, JsonNode?[]? patches, out StreamTip tip)
    {
        if (mode == AppendMode.Durable)
        {
            // Durable frames need only the tip (one read) and change none of the stream's state: no summary, rate or
            // trimming, so no row write either. A batch's ids follow one clock reading, each the next sequence.
            var current = LoadTip(stream);
            var firstId = NextId(current.Ordinal == 0 ? null : current.LastId, NowMilliseconds());
            var lastId = NextIdAt(firstId, frames.Count - 1);
            InsertFrames(stream, frames, mode, headersJson, firstId, lastId, current.Ordinal + 1);
            tip = current with { LastId = lastId, Ordinal = current.Ordinal + frames.Count };
            return new AppendBatchResult(firstId, lastId, tip.Ordinal - tip.Trimmed, tip.SummaryVersion);
        }

        StreamId? last = null;
        long ordinal = 0;
        _lastFrame.Parameters[0].Value = stream;
        using (var reader = _lastFrame.ExecuteReader())
        {
            if (reader.Read())
            {
                last = new StreamId(reader.GetInt64(0), reader.GetInt64(1));
                ordinal = reader.GetInt64(2);
            }
        }

        var state = ReadStreamState(stream);
        var nowMs = NowMilliseconds();
        var first = default(StreamId);
        var firstOrdinal = ordinal + 1;
        long retainedLive = state.LiveCount;
        for (var i = 0; i < frames.Count; i++)
        {
            var id = NextId(last, nowMs);
            if (i == 0)
            {
                first = id;
            }

            last = id;
            ordinal++;

            if (mode == AppendMode.DurableSummary)
            {
                state.Summary = JsonMergePatch.Apply(state.Summary, patches![i]);
                state.SummaryFirstMs ??= nowMs;
                state.SummaryLastMs = nowMs;
                state.SummaryVersion++;
            }
            else if (mode == AppendMode.BestEffortLive)
            {
                state.LiveRate = Options.LiveRetention.NextRate(state.LiveRate, state.LiveMs ?? 0, nowMs);
                state.LiveMs = nowMs; // the next interval runs from this append, even after the clock went back
                // Trimming after every frame keeps the newest min(retained + 1, K) frames each time, so after the
                // batch the newest `retainedLive` live frames remain: delete the rest once, at the end.
                retainedLive = Math.Min(retainedLive + 1, Options.LiveRetention.RetainedLength(state.LiveRate.Value));
                state.LiveCount++;
            }

        }

        InsertFrames(stream, frames, mode, headersJson, first, last!.Value, firstOrdinal);

        var excess = state.LiveCount - retainedLive;
        if (excess > 0)
        {
            _trimLive.Parameters[0].Value = stream;
            _trimLive.Parameters[1].Value = excess;
            var deleted = _trimLive.ExecuteNonQuery();
            state.Trimmed += deleted;
            state.LiveCount -= deleted;
        }

        SaveStreamState(stream, state);

        tip = new StreamTip(last!.Value, ordinal, state.Trimmed, state.SummaryVersion);
        return new AppendBatchResult(first, last!.Value, ordinal - state.Trimmed, state.SummaryVersion);
    }

    // Runs under _writeGate inside the transaction. A batch's ids are consecutive sequences in one millisecond, so
    // rows go in multi-row INSERTs whose only per-row parameter is the payload (seq and ordinal are offsets from the
    // first row's); the commands are prepared once per row count, at most MaxRowsPerInsert of them.
    // A batch with headers uses commands with a headers parameter per row as well (InsertRowsCommand), so a batch
    // without any binds only what it did before headers existed.
    private void InsertFrames(string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, string?[]? headersJson, StreamId first, StreamId last, long firstOrdinal)
    {
        var contiguous = first.Milliseconds == last.Milliseconds && last.Sequence - first.Sequence == frames.Count - 1;
        for (var start = 0; start < frames.Count;)
        {
            // The one non-contiguous case (a sequence wrapping into the next millisecond) goes row by row.
            var rows = contiguous ? Math.Min(MaxRowsPerInsert, frames.Count - start) : 1;
            var id = contiguous ? new StreamId(first.Milliseconds, first.Sequence + start) : NextIdAt(first, start);
            var command = InsertRowsCommand(rows, withHeaders: headersJson is not null);
            var p = command.Parameters;
            p[0].Value = stream;
            p[1].Value = id.Milliseconds;
            p[2].Value = id.Sequence;
            p[3].Value = firstOrdinal + start;
            p[4].Value = (int)mode;
            for (var r = 0; r < rows; r++)
            {
                p[5 + r].Value = ToArray(frames[start + r]);
            }

            if (headersJson is not null)
            {
                BindRowHeaders(p, rows, headersJson.AsSpan(start, rows));
            }

            command.ExecuteNonQuery();
            start += rows;
        }
    }

    private static StreamId NextIdAt(StreamId first, int offset)
    {
        var id = first;
        for (var i = 0; i < offset; i++)
        {
            id = id.Successor();
        }

        return id;
    }

    private SqliteCommand InsertRowsCommand(int rows, bool withHeaders)
    {
        if (withHeaders)
        {
            return InsertRowsWithHeadersCommand(rows);
        }

        if (!_insertRows.TryGetValue(rows, out var command))
        {
            var sql = new StringBuilder("INSERT INTO rs_frames (stream, ms, seq, ordinal, kind, payload) VALUES ");
            var parameters = new List<string> { "$stream", "$ms", "$seq", "$ordinal", "$kind" };
            for (var r = 0; r < rows; r++)
            {
                sql.Append(r == 0 ? "" : ", ")
                    .Append(CultureInfo.InvariantCulture, $"($stream, $ms, $seq + {r}, $ordinal + {r}, $kind, $p{r})");
                parameters.Add(string.Create(CultureInfo.InvariantCulture, $"$p{r}"));
            }

            command = Command(sql.ToString(), [.. parameters]);
            _insertRows[rows] = command;
        }

        return command;
    }

    private StreamState ReadStreamState(string stream)
    {
        var state = new StreamState();
        _streamState.Parameters[0].Value = stream;
        using var reader = _streamState.ExecuteReader();
        if (reader.Read())
        {
            state.Trimmed = reader.GetInt64(0);
            state.LiveCount = reader.GetInt64(1);
            state.LiveRate = reader.IsDBNull(2) ? null : reader.GetDouble(2);
            state.LiveMs = reader.IsDBNull(3) ? null : reader.GetInt64(3);
            state.Summary = reader.IsDBNull(4) ? null : JsonNode.Parse(reader.GetString(4));
            state.SummaryVersion = reader.GetInt64(5);
            state.SummaryFirstMs = reader.IsDBNull(6) ? null : reader.GetInt64(6);
            state.SummaryLastMs = reader.IsDBNull(7) ? null : reader.GetInt64(7);
        }

        return state;
    }

    private void SaveStreamState(string stream, StreamState state)
    {
        var p = _saveStreamState.Parameters;
        p[0].Value = stream;
        p[1].Value = state.Trimmed;
        p[2].Value = state.LiveCount;
        p[3].Value = (object?)state.LiveRate ?? DBNull.Value;
        p[4].Value = (object?)state.LiveMs ?? DBNull.Value;
        p[5].Value = state.SummaryVersion == 0 ? DBNull.Value : (state.Summary?.ToJsonString() ?? "null");
        p[6].Value = state.SummaryVersion;
        p[7].Value = (object?)state.SummaryFirstMs ?? DBNull.Value;
        p[8].Value = (object?)state.SummaryLastMs ?? DBNull.Value;
        _saveStreamState.ExecuteNonQuery();
    }

    private readonly record struct StreamTip(StreamId LastId, long Ordinal, long Trimmed, long SummaryVersion);

    private sealed class StreamState
    {
        public long Trimmed;
        public long LiveCount;
        public double? LiveRate;
        public long? LiveMs;
        public JsonNode? Summary;
        public long SummaryVersion;
        public long? SummaryFirstMs;
        public long? SummaryLastMs;
    }
}
