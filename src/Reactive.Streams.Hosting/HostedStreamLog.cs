using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Reactive.Streams.Internal;
using Reactive.Streams.Storage.Postgres;
using Reactive.Streams.Storage.Sqlite;

namespace Reactive.Streams.Hosting;

/// <summary>
/// The <see cref="IStreamLog"/> (and <see cref="ICheckpointStore"/>) registered in DI. Opening a log is asynchronous
/// (the file or the connection, the schema migration) and a DI factory is not, so this forwards every call to the
/// backend's log once it is open: it opens on first use or when the host starts (a log that cannot open fails the
/// start), never blocking a thread. Disposed with the service provider, it disposes the backend's log. Every backend
/// it opens is also an <see cref="IConsumerGroupLog"/>, so consumer groups resolve from the same registration.
/// </summary>
internal sealed class HostedStreamLog : IConsumerGroupLog, ICheckpointStore, IForwardingStreamLog, IDisposable
{
    private readonly Lazy<Task<IStreamLog>> _open;

    // Cancels an open still under way when the registration is disposed (a host whose start was cancelled while a
    // server did not answer), so that disposing does not wait for the backend's connect timeout.
    private readonly CancellationTokenSource _disposing = new();
    private int _disposed;
    private OnceDisposal? _disposal;

    public HostedStreamLog(IServiceProvider services, IOptions<StreamLogHostOptions> options, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        _open = new Lazy<Task<IStreamLog>>(() => OpenAsync(services, options.Value, loggerFactory, timeProvider, _disposing.Token), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The opened log, or the error that kept it from opening.</summary>
    public Task<IStreamLog> Opened => _open.Value;

    /// <summary>The backend's log once it is open (without starting the open); null before, or if it failed.</summary>
    IStreamLog? IForwardingStreamLog.Inner => _open.IsValueCreated && _open.Value.IsCompletedSuccessfully ? _open.Value.Result : null;

    /// <summary>Where a SQLite connection string points, or null with the reason.</summary>
    public static string? SqlitePathOf(string connectionString, out string? problem)
    {
        try
        {
            var builder = new SqliteConnectionStringBuilder(connectionString);
            var dataSource = builder.DataSource;
            if (string.IsNullOrWhiteSpace(dataSource) || dataSource == ":memory:")
            {
                problem = "the connection string names no file (Data Source=<path>); an in-memory SQLite database is not a durable log.";
                return null;
            }

            // The log opens the file by its path (the file is what counts): an in-memory mode or a URI filename would
            // silently become a file of that name in the working directory.
            if (builder.Mode == SqliteOpenMode.Memory)
            {
                problem = $"Mode=Memory asks for an in-memory SQLite database named '{dataSource}', which is not a durable log; remove Mode to keep the log in that file.";
                return null;
            }

            // The log opens the file with connection options of its own (read-write, no password): these two would be
            // dropped, and the log would write where the user asked for no write, or in clear what they asked to encrypt.
            if (builder.Mode == SqliteOpenMode.ReadOnly)
            {
                problem = $"Mode=ReadOnly cannot be honoured: the log appends and writes checkpoints to '{dataSource}'; remove Mode.";
                return null;
            }

            if (!string.IsNullOrEmpty(builder.Password))
            {
                problem = $"Password cannot be honoured: the log opens '{dataSource}' with connection options of its own and would write it unencrypted; remove Password.";
                return null;
            }

            if (dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            {
                problem = $"the Data Source '{dataSource}' is a URI filename; give the file's path (Data Source=<path>).";
                return null;
            }

            problem = null;
            return dataSource;
        }
        catch (ArgumentException error)
        {
            problem = $"not a SQLite connection string: {error.Message}";
            return null;
        }
    }

    private static async Task<IStreamLog> OpenAsync(IServiceProvider services, StreamLogHostOptions options, ILoggerFactory loggerFactory, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (options.Provider == StreamLogProvider.Postgres)
        {
            var postgres = new PostgresStreamLogOptions(options.Postgres)
            {
                ReconnectDelay = options.Postgres.ReconnectDelay,
                MaxReconnectDelay = options.Postgres.MaxReconnectDelay,
                ReconnectTimeout = options.Postgres.ReconnectTimeout,
                WatchLease = options.Postgres.WatchLease,
                Logger = loggerFactory.CreateLogger<PostgresStreamLog>(),
                TimeProvider = timeProvider,
            };
            return options.DataSource is { } dataSource
                ? await PostgresStreamLog.OpenAsync(dataSource(services), postgres, cancellationToken).ConfigureAwait(false)
                : await PostgresStreamLog.OpenAsync(options.ConnectionString!, postgres, cancellationToken).ConfigureAwait(false);
        }

        var path = string.IsNullOrWhiteSpace(options.Path) ? SqlitePathOf(options.ConnectionString!, out _)! : options.Path;
        var sqlite = new SqliteStreamLogOptions(options.Sqlite)
        {
            Synchronous = options.Sqlite.Synchronous,
            PollInterval = options.Sqlite.PollInterval,
            MaxPollInterval = options.Sqlite.MaxPollInterval,
            BusyTimeout = options.Sqlite.BusyTimeout,
            TimeProvider = timeProvider,
        };
        return await SqliteStreamLog.OpenAsync(path, sqlite, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask<IStreamLog> LogAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var open = _open.Value;
        return open.IsCompletedSuccessfully ? new(open.Result) : WaitForOpenAsync(open, cancellationToken);
    }

    private async ValueTask<IStreamLog> WaitForOpenAsync(Task<IStreamLog> open, CancellationToken cancellationToken)
    {
        // The disposal ends the wait too: it cancels the open, but a backend may notice that only at its next step (a
        // server that accepted the connection and does not answer holds the open until the connect timeout), and a call
        // waiting for the open would wait that long for a log that is gone.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        try
        {
            return await open.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // As a call on a disposed log, or a tail the log's disposal ends: not a cancellation the caller never asked for.
            throw new ObjectDisposedException(GetType().FullName, "The stream log was disposed while the call waited for it to open.");
        }
        catch (OperationCanceledException error) when (CallerCancellation.IsRenamed(error, cancellationToken))
        {
            // The wait ran on a token linked to the disposal.
            throw CallerCancellation.Rename(error, cancellationToken);
        }
    }

    public async ValueTask<AppendResult> AppendAsync(string stream, ReadOnlyMemory<byte> frame, AppendMode mode, CancellationToken cancellationToken = default) =>
        await (await LogAsync(cancellationToken).ConfigureAwait(false)).AppendAsync(stream, frame, mode, cancellationToken).ConfigureAwait(false);

    public async ValueTask<AppendBatchResult> AppendBatchAsync(string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, CancellationToken cancellationToken = default) =>
        await (await LogAsync(cancellationToken).ConfigureAwait(false)).AppendBatchAsync(stream, frames, mode, cancellationToken).ConfigureAwait(false);

    public async ValueTask<AppendResult> AppendAsync(string stream, ReadOnlyMemory<byte> frame, AppendMode mode, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken = default) =>
        await (await LogAsync(cancellationToken).ConfigureAwait(false)).AppendAsync(stream, frame, mode, headers, cancellationToken).ConfigureAwait(false);

    public async ValueTask<AppendBatchResult> AppendBatchAsync(string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, CancellationToken cancellationToken = default) =>
        await (await LogAsync(cancellationToken).ConfigureAwait(false)).AppendBatchAsync(stream, frames, mode, headers, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<StreamFrame>> ReadAsync(string stream, StreamId from, StreamId to, int limit, CancellationToken cancellationToken = default) =>
        await (await LogAsync(cancellationToken).ConfigureAwait(false)).ReadAsync(stream, from, to, limit, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<StreamFrame>> TailAsync(string stream, StreamId after, TimeSpan block, int limit, TailVisibility visibility = TailVisibility.All, CancellationToken cancellationToken = default) =>
        await (await LogAsync(cancellationToken).ConfigureAwait(false)).TailAsync(stream, after, block, limit, visibility, cancellationToken).ConfigureAwait(false);

    public async IAsyncEnumerable<StreamFrame> TailAllAsync(string stream, StreamId after, TailVisibility visibility = TailVisibility.All, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var log = await LogAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var frame in log.TailAllAsync(stream, after, visibility, cancellationToken).ConfigureAwait(false))
        {
            yield return frame;
        }
    }

    public async ValueTask<StreamSummary?> ReadSummaryAsync(string stream, CancellationToken cancellationToken = default) =>
        await (await LogAsync(cancellationToken).ConfigureAwait(false)).ReadSummaryAsync(stream, cancellationToken).ConfigureAwait(false);

    public async ValueTask<StreamId?> ReadCheckpointAsync(string checkpointId, CancellationToken cancellationToken = default) =>
        await Checkpoints(await LogAsync(cancellationToken).ConfigureAwait(false)).ReadCheckpointAsync(checkpointId, cancellationToken).ConfigureAwait(false);

    public async ValueTask WriteCheckpointAsync(string checkpointId, StreamId position, CancellationToken cancellationToken = default) =>
        await Checkpoints(await LogAsync(cancellationToken).ConfigureAwait(false)).WriteCheckpointAsync(checkpointId, position, cancellationToken).ConfigureAwait(false);

    public async ValueTask<bool> CreateGroupAsync(string stream, string group, ConsumerGroupStart start, CancellationToken cancellationToken = default) =>
        await Groups(await LogAsync(cancellationToken).ConfigureAwait(false)).CreateGroupAsync(stream, group, start, cancellationToken).ConfigureAwait(false);

    public async ValueTask<ConsumerGroupClaim> ClaimAsync(string stream, string group, string consumer, int limit, TimeSpan claimTimeout, CancellationToken cancellationToken = default) =>
        await Groups(await LogAsync(cancellationToken).ConfigureAwait(false)).ClaimAsync(stream, group, consumer, limit, claimTimeout, cancellationToken).ConfigureAwait(false);

    public async ValueTask<ConsumerGroupClaim> ClaimOwnPendingAsync(string stream, string group, string consumer, StreamId after, int limit, CancellationToken cancellationToken = default) =>
        await Groups(await LogAsync(cancellationToken).ConfigureAwait(false)).ClaimOwnPendingAsync(stream, group, consumer, after, limit, cancellationToken).ConfigureAwait(false);

    public async ValueTask<long> AcknowledgeAsync(string stream, string group, IReadOnlyList<StreamId> ids, CancellationToken cancellationToken = default) =>
        await Groups(await LogAsync(cancellationToken).ConfigureAwait(false)).AcknowledgeAsync(stream, group, ids, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<PendingFrame>> ReadPendingAsync(string stream, string group, string? consumer, int limit, CancellationToken cancellationToken = default) =>
        await Groups(await LogAsync(cancellationToken).ConfigureAwait(false)).ReadPendingAsync(stream, group, consumer, limit, cancellationToken).ConfigureAwait(false);

    public async ValueTask<ConsumerGroupInfo?> ReadGroupAsync(string stream, string group, CancellationToken cancellationToken = default) =>
        await Groups(await LogAsync(cancellationToken).ConfigureAwait(false)).ReadGroupAsync(stream, group, cancellationToken).ConfigureAwait(false);

    private static IConsumerGroupLog Groups(IStreamLog log) =>
        log as IConsumerGroupLog ?? throw new InvalidOperationException($"The stream log {log.GetType().Name} has no consumer groups.");

    private static ICheckpointStore Checkpoints(IStreamLog log) =>
        log as ICheckpointStore ?? throw new InvalidOperationException($"The stream log {log.GetType().Name} is not a checkpoint store.");

    // A container disposed synchronously (`using var provider = ...`) refuses a singleton that is only IAsyncDisposable.
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    // A second call, even during the first, completes when the first does (the log may still be closing).
    public ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, 1);
        return OnceDisposal.Run(ref _disposal, CloseAsync);
    }

    private async ValueTask CloseAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        if (!_open.IsValueCreated)
        {
            return;
        }

        var open = _open.Value;
        if (!open.IsCompleted)
        {
            // Still opening (a server that does not answer): the open was cancelled above, but a backend may notice
            // that only at its next step, so disposing does not wait for it; the log it opens, if any, is disposed then.
            _ = DisposeWhenOpenedAsync(open);
            return;
        }

        await DisposeWhenOpenedAsync(open).ConfigureAwait(false);
    }

    private static async Task DisposeWhenOpenedAsync(Task<IStreamLog> open)
    {
        IStreamLog log;
        try
        {
            log = await open.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // It never opened: nothing to dispose, and the failure was reported when the host started.
            return;
        }

        await log.DisposeAsync().ConfigureAwait(false);
    }
}
