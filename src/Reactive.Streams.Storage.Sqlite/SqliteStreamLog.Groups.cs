using Microsoft.Data.Sqlite;

namespace Reactive.Streams.Storage.Sqlite;

/// <summary>
/// Consumer groups in the log's file. Every group write (create, claim, a member's claim of its own pending frames,
/// acknowledge) is one <c>BEGIN IMMEDIATE</c> transaction on the writer connection, like an append: members in several
/// processes on one file serialize on the file's write lock, so a claim reads and moves the group's cursor and pending list with no other writer between,
/// and no frame is handed to two members whose claims are live. Reads of pending entries and group state use pooled
/// connections. Times are the log's clock (<see cref="StreamLogOptions.TimeProvider"/>) in Unix milliseconds.
/// </summary>
public sealed partial class SqliteStreamLog : IConsumerGroupLog
{
    private volatile bool _groupSchemaReady;

    /// <inheritdoc/>
    public ValueTask<bool> CreateGroupAsync(string stream, string group, ConsumerGroupStart start, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Names(stream, group);
        ConsumerGroupArgs.Start(start);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return CreateGroupCoreAsync(stream, group, start, cancellationToken);
    }

    private async ValueTask<bool> CreateGroupCoreAsync(string stream, string group, ConsumerGroupStart start, CancellationToken cancellationToken)
    {
        return await GroupWriteAsync(
            (Log: this, stream, group, start),
            static s =>
            {
                var last = s.start.Id;
                if (s.start.Kind == ConsumerGroupStartKind.End)
                {
                    using var lastId = s.Log.GroupCommand(SqlGroups.LastId, ("$stream", s.stream));
                    using var reader = lastId.ExecuteReader();
                    last = reader.Read() ? new StreamId(reader.GetInt64(0), reader.GetInt64(1)) : StreamId.Min;
                }

                using var create = s.Log.GroupCommand(
                    SqlGroups.CreateGroup, ("$stream", s.stream), ("$grp", s.group), ("$ms", last.Milliseconds), ("$seq", last.Sequence), ("$now", s.Log.NowMilliseconds()));
                return create.ExecuteNonQuery() == 1;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<ConsumerGroupClaim> ClaimAsync(string stream, string group, string consumer, int limit, TimeSpan claimTimeout, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Claim(stream, group, consumer, limit, claimTimeout);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return ClaimCoreAsync(stream, group, consumer, limit, claimTimeout, cancellationToken);
    }

    private async ValueTask<ConsumerGroupClaim> ClaimCoreAsync(string stream, string group, string consumer, int limit, TimeSpan claimTimeout, CancellationToken cancellationToken)
    {
        limit = Math.Min(limit, Options.MaxReadCount);
        return await GroupWriteAsync(
            (Log: this, stream, group, consumer, limit, timeoutMs: ConsumerGroupArgs.Milliseconds(claimTimeout)),
            static s => s.Log.ClaimInTransaction(s.stream, s.group, s.consumer, s.limit, s.timeoutMs),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<ConsumerGroupClaim> ClaimOwnPendingAsync(string stream, string group, string consumer, StreamId after, int limit, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.ClaimOwnPending(stream, group, consumer, limit);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return ClaimOwnPendingCoreAsync(stream, group, consumer, after, limit, cancellationToken);
    }

    private async ValueTask<ConsumerGroupClaim> ClaimOwnPendingCoreAsync(string stream, string group, string consumer, StreamId after, int limit, CancellationToken cancellationToken)
    {
        limit = Math.Min(limit, Options.MaxReadCount);
        return await GroupWriteAsync(
            (Log: this, stream, group, consumer, after, limit),
            static s => s.Log.ClaimOwnPendingInTransaction(s.stream, s.group, s.consumer, s.after, s.limit),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<long> AcknowledgeAsync(string stream, string group, IReadOnlyList<StreamId> ids, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Acknowledge(stream, group, ids);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return AcknowledgeCoreAsync(stream, group, ids, cancellationToken);
    }

    private async ValueTask<long> AcknowledgeCoreAsync(string stream, string group, IReadOnlyList<StreamId> ids, CancellationToken cancellationToken)
    {
        return await GroupWriteAsync(
            (Log: this, stream, group, ids),
            static s =>
            {
                s.Log.RequireGroup(s.stream, s.group);
                using var delete = s.Log.GroupCommand(SqlGroups.DeletePending, ("$stream", s.stream), ("$grp", s.group), ("$ms", 0L), ("$seq", 0L));
                long removed = 0;
                foreach (var id in s.ids)
                {
                    delete.Parameters[2].Value = id.Milliseconds;
                    delete.Parameters[3].Value = id.Sequence;
                    removed += delete.ExecuteNonQuery();
                }

                return removed;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<PendingFrame>> ReadPendingAsync(string stream, string group, string? consumer, int limit, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Pending(stream, group, consumer, limit);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return ReadPendingCoreAsync(stream, group, consumer, limit, cancellationToken);
    }

    private async ValueTask<IReadOnlyList<PendingFrame>> ReadPendingCoreAsync(string stream, string group, string? consumer, int limit, CancellationToken cancellationToken)
    {
        limit = Math.Min(limit, Options.MaxReadCount);
        var connection = new SqliteConnection(_connectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var now = NowMilliseconds();
            // One read transaction: the group's existence and its pending list from one snapshot. Deferred: Microsoft.Data.Sqlite
            // begins IMMEDIATE by default, which takes the file's write lock and waits behind (or fails on) another
            // process's write, though a read in WAL mode needs no lock.
            cancellationToken.ThrowIfCancellationRequested();
            var transaction = connection.BeginTransaction(deferred: true);
            await using (transaction.ConfigureAwait(false))
            {
                if (!await GroupTablesExistAsync(connection, cancellationToken).ConfigureAwait(false))
                {
                    throw new ConsumerGroupNotFoundException(stream, group);
                }

                using (var exists = ReadCommand(connection, SqlGroups.Group, ("$stream", stream), ("$grp", group)))
                {
                    if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
                    {
                        throw new ConsumerGroupNotFoundException(stream, group);
                    }
                }

                using var command = ReadCommand(connection, SqlGroups.Pending, ("$stream", stream), ("$grp", group), ("$consumer", (object?)consumer ?? DBNull.Value), ("$limit", limit));
                var result = new List<PendingFrame>();
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        result.Add(new PendingFrame(
                            new StreamId(reader.GetInt64(0), reader.GetInt64(1)), reader.GetString(2), Idle(now, reader.GetInt64(3)), reader.GetInt64(4)));
                    }
                }

                return result;
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask<ConsumerGroupInfo?> ReadGroupAsync(string stream, string group, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Names(stream, group);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return ReadGroupCoreAsync(stream, group, cancellationToken);
    }

    private async ValueTask<ConsumerGroupInfo?> ReadGroupCoreAsync(string stream, string group, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var now = NowMilliseconds();
            // A deferred (read) transaction, as in ReadPendingAsync.
            cancellationToken.ThrowIfCancellationRequested();
            var transaction = connection.BeginTransaction(deferred: true);
            await using (transaction.ConfigureAwait(false))
            {
                if (!await GroupTablesExistAsync(connection, cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                StreamId last;
                long pending, lag;
                using (var info = ReadCommand(connection, SqlGroups.Info, ("$stream", stream), ("$grp", group)))
                {
                    var reader = await info.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        {
                            return null;
                        }

                        (last, pending, lag) = (new StreamId(reader.GetInt64(0), reader.GetInt64(1)), reader.GetInt64(2), reader.GetInt64(3));
                    }
                }

                var members = new List<ConsumerGroupMember>();
                using (var command = ReadCommand(connection, SqlGroups.Members, ("$stream", stream), ("$grp", group)))
                {
                    var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        {
                            members.Add(new ConsumerGroupMember(reader.GetString(0), reader.GetInt64(2), Idle(now, reader.GetInt64(1))));
                        }
                    }
                }

                members.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                return new ConsumerGroupInfo(stream, group, last, pending, lag, members);
            }
        }
    }

    /// <summary>A frame read with its stored headers (the headers column's JSON, null for none).</summary>
    private static StreamFrame WithHeaders(StreamFrame frame, string? headersJson) =>
        headersJson is null ? frame : frame with { Headers = FrameHeaders.FromJson(headersJson) };

    // Runs in the transaction GroupWriteAsync began, under _writeGate.
    private ConsumerGroupClaim ClaimInTransaction(string stream, string group, string consumer, int limit, long timeoutMs)
    {
        var last = RequireGroup(stream, group);
        var now = NowMilliseconds();
        var claimed = new List<ClaimedFrame>();

        // Reclaim first: pending frames held at least the timeout, oldest id first. A frame trimmed while pending is
        // dropped and does not count toward the limit: the next round reads on after it, so due frames behind it still
        // come before new ones.
        using (var reclaim = GroupCommand(SqlGroups.Reclaim, ("$stream", stream), ("$grp", group), ("$ms", 0L), ("$seq", 0L), ("$consumer", consumer), ("$now", now)))
        using (var delete = GroupCommand(SqlGroups.DeletePending, ("$stream", stream), ("$grp", group), ("$ms", 0L), ("$seq", 0L)))
        {
            var cursor = StreamId.Min;
            while (claimed.Count < limit)
            {
                List<PendingRow> due;
                using (var select = GroupCommand(
                    SqlGroups.Due, ("$stream", stream), ("$grp", group), ("$due", now - timeoutMs), ("$ms", cursor.Milliseconds), ("$seq", cursor.Sequence),
                    ("$limit", limit - claimed.Count)))
                {
                    due = ReadPendingRows(select);
                }

                if (due.Count == 0)
                {
                    break;
                }

                Retake(due, reclaim, delete, claimed);
                cursor = due[^1].Id;
            }
        }

        if (claimed.Count < limit)
        {
            var fresh = new List<StreamFrame>();
            using (var select = GroupCommand(SqlGroups.New, ("$stream", stream), ("$ms", last.Milliseconds), ("$seq", last.Sequence), ("$limit", limit - claimed.Count)))
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    fresh.Add(WithHeaders(
                        new StreamFrame(new StreamId(reader.GetInt64(0), reader.GetInt64(1)), reader.GetFieldValue<byte[]>(3), (AppendMode)reader.GetInt32(2)),
                        reader.IsDBNull(4) ? null : reader.GetString(4)));
                }
            }

            if (fresh.Count > 0)
            {
                using var insert = GroupCommand(SqlGroups.InsertPending, ("$stream", stream), ("$grp", group), ("$ms", 0L), ("$seq", 0L), ("$consumer", consumer), ("$now", now));
                foreach (var frame in fresh)
                {
                    insert.Parameters[2].Value = frame.Id.Milliseconds;
                    insert.Parameters[3].Value = frame.Id.Sequence;
                    insert.ExecuteNonQuery();
                    claimed.Add(new ClaimedFrame(frame, 1));
                }

                last = fresh[^1].Id;
                using var move = GroupCommand(SqlGroups.MoveCursor, ("$stream", stream), ("$grp", group), ("$ms", last.Milliseconds), ("$seq", last.Sequence));
                move.ExecuteNonQuery();
            }
        }

        using (var see = GroupCommand(SqlGroups.SeeConsumer, ("$stream", stream), ("$grp", group), ("$consumer", consumer), ("$now", now)))
        {
            see.ExecuteNonQuery();
        }

        return new ConsumerGroupClaim(claimed, last);
    }

    /// <summary>A pending entry with its frame, as the due and own-pending queries return it; no payload once trimmed.</summary>
    private readonly record struct PendingRow(StreamId Id, long Deliveries, AppendMode? Kind, byte[]? Payload, string? Headers);

    private static List<PendingRow> ReadPendingRows(SqliteCommand select)
    {
        var rows = new List<PendingRow>();
        using var reader = select.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(new PendingRow(new StreamId(reader.GetInt64(0), reader.GetInt64(1)), reader.GetInt64(2),
                reader.IsDBNull(3) ? null : (AppendMode)reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        return rows;
    }

    /// <summary>
    /// Hands pending frames to the claimer (<paramref name="reclaim"/>: holder, time and delivery count) and adds them to
    /// <paramref name="claimed"/>; a frame trimmed while pending (best-effort retention) has nothing left to hand out, so
    /// its entry is dropped (<paramref name="delete"/>).
    /// </summary>
    private static void Retake(List<PendingRow> rows, SqliteCommand reclaim, SqliteCommand delete, List<ClaimedFrame> claimed)
    {
        foreach (var (id, deliveries, kind, payload, headers) in rows)
        {
            var command = payload is null ? delete : reclaim;
            command.Parameters[2].Value = id.Milliseconds;
            command.Parameters[3].Value = id.Sequence;
            command.ExecuteNonQuery();
            if (payload is not null)
            {
                claimed.Add(new ClaimedFrame(WithHeaders(new StreamFrame(id, payload, kind!.Value), headers), deliveries + 1));
            }
        }
    }

    // Runs in the transaction GroupWriteAsync began, under _writeGate.
    private ConsumerGroupClaim ClaimOwnPendingInTransaction(string stream, string group, string consumer, StreamId after, int limit)
    {
        var last = RequireGroup(stream, group);
        var now = NowMilliseconds();
        var claimed = new List<ClaimedFrame>();
        using var reclaim = GroupCommand(SqlGroups.Reclaim, ("$stream", stream), ("$grp", group), ("$ms", 0L), ("$seq", 0L), ("$consumer", consumer), ("$now", now));
        using var delete = GroupCommand(SqlGroups.DeletePending, ("$stream", stream), ("$grp", group), ("$ms", 0L), ("$seq", 0L));
        var cursor = after;
        while (claimed.Count < limit)
        {
            List<PendingRow> own;
            using (var select = GroupCommand(
                SqlGroups.Own, ("$stream", stream), ("$grp", group), ("$consumer", consumer), ("$ms", cursor.Milliseconds), ("$seq", cursor.Sequence), ("$limit", limit - claimed.Count)))
            {
                own = ReadPendingRows(select);
            }

            if (own.Count == 0)
            {
                break;
            }

            // A frame trimmed while pending does not count toward the limit: the next round reads on after it.
            Retake(own, reclaim, delete, claimed);

            cursor = own[^1].Id;
        }

        using (var see = GroupCommand(SqlGroups.SeeConsumer, ("$stream", stream), ("$grp", group), ("$consumer", consumer), ("$now", now)))
        {
            see.ExecuteNonQuery();
        }

        return new ConsumerGroupClaim(claimed, last);
    }

    private StreamId RequireGroup(string stream, string group)
    {
        using var command = GroupCommand(SqlGroups.Group, ("$stream", stream), ("$grp", group));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new StreamId(reader.GetInt64(0), reader.GetInt64(1)) : throw new ConsumerGroupNotFoundException(stream, group);
    }

    /// <summary>Runs a group write in its own <c>BEGIN IMMEDIATE</c> transaction on the writer, creating the group tables first if needed.</summary>
    private async ValueTask<T> GroupWriteAsync<TState, T>(TState state, Func<TState, T> write, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            await AcquireWriteLockAsync(_writer, _beginImmediate, _options, cancellationToken, _disposing.Token).ConfigureAwait(false);
            var result = InTransaction(
                null,
                (Log: this, state, write),
                static s =>
                {
                    if (!s.Log._groupSchemaReady)
                    {
                        using var schema = s.Log._writer.CreateCommand();
                        schema.CommandText = SqlGroups.Schema;
                        schema.ExecuteNonQuery();
                    }

                    return s.write(s.state);
                });
            _groupSchemaReady = true;
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Whether the group tables exist, read in the caller's read transaction: a file no group write has touched has
    /// none, and so no group. Reads never create them, since creating takes the file's write lock, and a read must run
    /// alongside another connection's write.
    /// </summary>
    private async ValueTask<bool> GroupTablesExistAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        if (_groupSchemaReady)
        {
            return true;
        }

        using var command = ReadCommand(connection, SqlGroups.TablesExist);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    private SqliteCommand GroupCommand(string sql, params (string Name, object Value)[] parameters)
    {
        var command = _writer.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private static SqliteCommand ReadCommand(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private static TimeSpan Idle(long now, long since) => TimeSpan.FromMilliseconds(Math.Max(0, now - since));
}
