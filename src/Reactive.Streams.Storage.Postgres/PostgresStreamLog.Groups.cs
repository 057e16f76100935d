using Npgsql;
using NpgsqlTypes;

namespace Reactive.Streams.Storage.Postgres;

/// <summary>
/// Consumer groups in PostgreSQL, for members on any number of connection pools and machines. A claim is one call of
/// <c>rs_group_lease_claim</c> (one round trip, one transaction) and writes one lease row for the run of frames it hands
/// out, whatever its size (SqlGroups.cs): expired leases are taken with <c>FOR UPDATE SKIP LOCKED</c>, and new frames
/// under a lock on the group's cursor row, so no frame is handed to two members whose claims are live. Times (when a
/// frame was handed out, when a member last claimed) are the log's clock
/// (<see cref="StreamLogOptions.TimeProvider"/>) in Unix milliseconds, sent with each call, not the server's: the
/// claim timeout is then testable in virtual time and agrees with the ids the log gives, and members on machines whose
/// clocks disagree by d see a claim expire up to d early or late (keep clocks synchronized, and the claim timeout
/// well above their skew).
/// </summary>
public sealed partial class PostgresStreamLog : IConsumerGroupLog
{
    private volatile Task? _groupSchema;

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
        await EnsureGroupSchemaAsync(cancellationToken).ConfigureAwait(false);
        // Idempotent (ON CONFLICT DO NOTHING), so retried like a read; a retry after a lost commit reports false.
        return await RetryTransientAsync(async () =>
        {
            using var command = _dataSource.CreateCommand(SqlGroups.CreateGroup);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)start.Kind });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = start.Id.Milliseconds });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = start.Id.Sequence });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = NowMilliseconds() });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken).ConfigureAwait(false);
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
        await EnsureGroupSchemaAsync(cancellationToken).ConfigureAwait(false);
        limit = Math.Min(limit, Options.MaxReadCount);
        var now = NowMilliseconds();
        // Sent again only when it certainly did not commit (WriteOnceAsync): a claim whose connection was lost may have
        // committed, and its frames are then reclaimed after the timeout. That error reaches the caller.
        return await ClaimOnceAsync(
            (Stream: stream, Group: group, Consumer: consumer, Limit: limit, Now: now, Due: now - ConsumerGroupArgs.Milliseconds(claimTimeout)),
            static (connection, s) =>
            {
                var command = new NpgsqlCommand(SqlGroups.Claim, connection);
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = s.Stream });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = s.Group });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = s.Consumer });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = s.Limit });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = s.Now });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = s.Due });
                return command;
            },
            stream, group, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// On PostgreSQL: one call of <c>rs_group_lease_own</c> (one round trip, one transaction), which locks the member's
    /// leases after <paramref name="after"/> <c>FOR UPDATE</c>, so a concurrent reclaim by another member either
    /// finishes first (and what it took is no longer this member's) or skips them.
    /// </remarks>
    public ValueTask<ConsumerGroupClaim> ClaimOwnPendingAsync(string stream, string group, string consumer, StreamId after, int limit, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.ClaimOwnPending(stream, group, consumer, limit);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return ClaimOwnPendingCoreAsync(stream, group, consumer, after, limit, cancellationToken);
    }

    private async ValueTask<ConsumerGroupClaim> ClaimOwnPendingCoreAsync(string stream, string group, string consumer, StreamId after, int limit, CancellationToken cancellationToken)
    {
        await EnsureGroupSchemaAsync(cancellationToken).ConfigureAwait(false);
        limit = Math.Min(limit, Options.MaxReadCount);
        // Sent again only when it certainly did not commit, as a claim is: one whose connection was lost may have
        // committed (its frames stay pending on the member either way). That error reaches the caller.
        return await ClaimOnceAsync(
            (Stream: stream, Group: group, Consumer: consumer, After: after, Limit: limit, Now: NowMilliseconds()),
            static (connection, s) =>
            {
                var command = new NpgsqlCommand(SqlGroups.ClaimOwnPending, connection);
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = s.Stream });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = s.Group });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = s.Consumer });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = s.After.Milliseconds });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = s.After.Sequence });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = s.Limit });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = s.Now });
                return command;
            },
            stream, group, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a claim function once (<see cref="WriteOnceAsync"/>) and reads its rows.</summary>
    private async ValueTask<ConsumerGroupClaim> ClaimOnceAsync<TState>(
        TState state, Func<NpgsqlConnection, TState, NpgsqlCommand> create, string stream, string group, CancellationToken cancellationToken)
    {
        try
        {
            return await WriteOnceAsync(state, create, ReadClaimAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == SqlGroups.GroupNotFound)
        {
            throw new ConsumerGroupNotFoundException(stream, group);
        }
    }

    /// <summary>Reads a claim function's rows: the frames, then the cursor on a row of its own (a null id).</summary>
    private static async ValueTask<ConsumerGroupClaim> ReadClaimAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var frames = new List<ClaimedFrame>();
        var last = StreamId.Min;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.IsDBNull(0))
            {
                last = new StreamId(reader.GetInt64(5), reader.GetInt64(6));
                continue;
            }

            var frame = new StreamFrame(new StreamId(reader.GetInt64(0), reader.GetInt64(1)), reader.GetFieldValue<byte[]>(3), (AppendMode)reader.GetInt16(2));
            frames.Add(new ClaimedFrame(
                reader.IsDBNull(7) ? frame : frame with { Headers = FrameHeaders.FromJson(reader.GetString(7)) },
                reader.GetInt64(4)));
        }

        return new ConsumerGroupClaim(frames, last);
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
        await EnsureGroupSchemaAsync(cancellationToken).ConfigureAwait(false);
        // In id order without repeats: a batch's ids then equal its lease's, which the function deletes after one
        // comparison, and the first and last bound the leases it reads (none when there are no ids: lo > hi).
        var sorted = ids.Distinct().Order().ToArray();
        var ms = new long[sorted.Length];
        var seq = new long[sorted.Length];
        for (var i = 0; i < sorted.Length; i++)
        {
            (ms[i], seq[i]) = (sorted[i].Milliseconds, sorted[i].Sequence);
        }

        var (lo, hi) = sorted.Length == 0 ? (StreamId.Max, StreamId.Min) : (sorted[0], sorted[^1]);

        try
        {
            // Acknowledging is idempotent (an id acknowledged again is no longer pending), so it is retried like a read.
            return await RetryTransientAsync(async () =>
            {
                using var command = _dataSource.CreateCommand(SqlGroups.Acknowledge);
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group });
                command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ms, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
                command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = seq, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lo.Milliseconds });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lo.Sequence });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = hi.Milliseconds });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = hi.Sequence });
                return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == SqlGroups.GroupNotFound)
        {
            throw new ConsumerGroupNotFoundException(stream, group);
        }
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
        await EnsureGroupSchemaAsync(cancellationToken).ConfigureAwait(false);
        limit = Math.Min(limit, Options.MaxReadCount);
        var now = NowMilliseconds();
        var (exists, pending) = await RetryTransientAsync(async () =>
        {
            using var command = _dataSource.CreateCommand(SqlGroups.Pending);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)consumer ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            var result = new List<PendingFrame>();
            var found = false;
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    found = true;
                    if (!reader.IsDBNull(0))
                    {
                        result.Add(new PendingFrame(
                            new StreamId(reader.GetInt64(0), reader.GetInt64(1)), reader.GetString(2), Idle(now, reader.GetInt64(3)), reader.GetInt64(4)));
                    }
                }
            }

            return (found, result);
        }, cancellationToken).ConfigureAwait(false);
        return exists ? pending : throw new ConsumerGroupNotFoundException(stream, group);
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
        await EnsureGroupSchemaAsync(cancellationToken).ConfigureAwait(false);
        var now = NowMilliseconds();
        return await RetryTransientAsync(async () =>
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                // One snapshot for the counts and the members.
                var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    StreamId last;
                    long pending, lag;
                    using (var info = new NpgsqlCommand(SqlGroups.Info, connection, transaction))
                    {
                        info.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
                        info.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group });
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
                    using (var command = new NpgsqlCommand(SqlGroups.Members, connection, transaction))
                    {
                        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
                        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group });
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
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return new ConsumerGroupInfo(stream, group, last, pending, lag, members);
                }
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the group tables and functions once per log instance (idempotent on the server).</summary>
    private Task EnsureGroupSchemaAsync(CancellationToken cancellationToken)
    {
        var schema = _groupSchema;
        if (schema is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }

        if (schema is null || schema.IsFaulted || schema.IsCanceled)
        {
            var created = CreateGroupSchemaAsync();
            schema = Interlocked.CompareExchange(ref _groupSchema, created, schema) == schema ? created : _groupSchema!;
        }

        return schema.WaitAsync(cancellationToken);
    }

    private async Task CreateGroupSchemaAsync()
    {
        await RetryTransientAsync(async () =>
        {
            var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                // As at opening: when the group schema of this version is in place, no DDL runs (a role with only row
                // rights may use groups created for it).
                using var current = new NpgsqlCommand(SqlGroups.SchemaIsCurrent, connection);
                current.Parameters.Add(new NpgsqlParameter<string> { TypedValue = SqlGroups.SchemaMark });
                if (await current.ExecuteScalarAsync().ConfigureAwait(false) is true)
                {
                    return 0;
                }

                var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    using var command = new NpgsqlCommand(SqlGroups.Schema, connection, transaction);
                    await command.ExecuteNonQueryAsync().ConfigureAwait(false);
                    using var mark = new NpgsqlCommand(SqlGroups.MarkSchema, connection, transaction);
                    await mark.ExecuteNonQueryAsync().ConfigureAwait(false);
                    await transaction.CommitAsync().ConfigureAwait(false);
                }
            }

            return 0;
        }, CancellationToken.None).ConfigureAwait(false);
    }

    private static TimeSpan Idle(long now, long since) => TimeSpan.FromMilliseconds(Math.Max(0, now - since));
}
