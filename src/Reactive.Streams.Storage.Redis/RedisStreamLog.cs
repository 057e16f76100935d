using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Reactive.Streams.Internal;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis;

/// <summary>
/// An <see cref="IStreamLog"/> on Redis or Valkey Streams, shared by many machines. Frame ids are the Redis entries'
/// own <c>ms-seq</c> ids. Every append is one Lua script (one round trip, atomic on the server) that adds the
/// entries, trims best-effort frames with <c>MAXLEN</c>, updates the summary and announces the append with
/// <c>PUBLISH</c>. Tails never block a connection: a parked tail waits on an in-process signal that the log's
/// pub/sub subscription completes, then re-checks with <c>XRANGE</c> (StackExchange.Redis multiplexes every caller
/// over one connection and does not support blocking commands such as <c>XREAD BLOCK</c> on it).
/// </summary>
/// <remarks>
/// How durable a frame is depends on the server's persistence: with <c>appendonly yes</c> and
/// <c>appendfsync always</c> an acknowledged append survives a server crash; with Redis's defaults it may not.
/// Keys: see docs/stream-log.md (Redis backend). Summary patches are merged in .NET by <see cref="JsonMergePatch"/>
/// and written with a compare-and-set on the summary version, so the server needs no JSON module.
/// </remarks>
public sealed partial class RedisStreamLog : StreamLog
{
    private static readonly RedisValue[] ModeDigits = ["0", "1", "2"];
    private readonly RedisStreamLogOptions _options;
    private readonly IConnectionMultiplexer _multiplexer;
    private readonly bool _ownsMultiplexer;
    private readonly IDatabase _database;
    private readonly RedisChannel _channel;
    private readonly string _channelText;
    private readonly Lock _subscribeGate = new();
    // Cancelled at disposal: ends the waits of calls that are sending their command again.
    private readonly CancellationTokenSource _disposing = new();
    private readonly Action<RedisChannel, RedisValue> _onMessage;
    // options.Logger guarded: a logging provider that throws must not skip the re-check of parked tails or a disposal.
    private readonly ILogger _logger;
    private Task? _subscribed;
    private int _reconnects;

    private RedisStreamLog(RedisStreamLogOptions options, IConnectionMultiplexer multiplexer, bool ownsMultiplexer)
        : base(options)
    {
        _options = options;
        _logger = Reactive.Streams.Internal.NonThrowingLogger.Wrap(options.Logger);
        _multiplexer = multiplexer;
        _ownsMultiplexer = ownsMultiplexer;
        _database = multiplexer.GetDatabase(options.Database);
        _channelText = options.KeyPrefix + "append";
        _channel = RedisChannel.Literal(_channelText);
        _onMessage = (_, message) =>
        {
            if (message.HasValue)
            {
                NotifyAppended((string)message!);
            }
        };
        multiplexer.ConnectionRestored += OnConnectionRestored;
        multiplexer.ConnectionFailed += OnConnectionFailed;
    }

    /// <summary>How many times the subscription connection has come back after being lost (each time every parked tail re-checks).</summary>
    public int SubscriptionReconnects => Volatile.Read(ref _reconnects);

    /// <summary>The multiplexer the log sends its commands through.</summary>
    internal IConnectionMultiplexer Multiplexer => _multiplexer;

    /// <summary>The database the log uses.</summary>
    internal IDatabase Database => _database;

    /// <summary>For tests: streams with a parked tail.</summary>
    internal int ParkedStreams => ParkedStreamCount;

    /// <summary>
    /// Connects to the server(s) <paramref name="configuration"/> names and opens the log on them. The log owns the
    /// connection and closes it when disposed.
    /// </summary>
    /// <param name="configuration">A StackExchange.Redis configuration string, such as <c>"localhost:6379"</c>.</param>
    /// <param name="options">The options; null for the defaults. Read once, here: changing the object later changes nothing the log does.</param>
    /// <param name="cancellationToken">
    /// Cancels opening. Connecting cannot be withdrawn: cancelled while connecting, the call throws at once and the
    /// connection is closed as soon as it is made.
    /// </param>
    /// <returns>The open log.</returns>
    /// <exception cref="ArgumentException">The configuration is empty or malformed.</exception>
    /// <exception cref="RedisConnectionException">The server could not be reached.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The server does not have the <see cref="RedisStreamLogOptions.Database"/> (a cluster has only database 0).</exception>
    public static ValueTask<RedisStreamLog> OpenAsync(string configuration, RedisStreamLogOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        // Read once, here: the log keeps this copy, so changing the caller's object later changes nothing it does.
        options = options?.Copy() ?? new RedisStreamLogOptions();
        options.Validate();
        var parsed = ConfigurationOptions.Parse(configuration);
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return OpenCoreAsync(parsed, options, cancellationToken);
    }

    private static async ValueTask<RedisStreamLog> OpenCoreAsync(ConfigurationOptions parsed, RedisStreamLogOptions options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var connecting = ConnectionMultiplexer.ConnectAsync(parsed);
        ConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Connecting cannot be withdrawn and goes on; the connection it makes would have no owner, so it is closed
            // once made (a failed attempt has closed itself).
            _ = connecting.ContinueWith(
                static made => made.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }

        try
        {
            return await OpenCoreAsync(multiplexer, ownsMultiplexer: true, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await multiplexer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens the log on a connection the caller owns (and shares, for example with other Redis work in the process).
    /// Disposing the log leaves the connection open.
    /// </summary>
    /// <param name="multiplexer">A connected multiplexer.</param>
    /// <param name="options">The options; null for the defaults. Read once, here: changing the object later changes nothing the log does.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The open log.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="multiplexer"/> is null.</exception>
    /// <exception cref="RedisException">The server could not be reached or refused the log's scripts.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The server does not have the <see cref="RedisStreamLogOptions.Database"/> (a cluster has only database 0).</exception>
    public static ValueTask<RedisStreamLog> OpenAsync(IConnectionMultiplexer multiplexer, RedisStreamLogOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        // Read once, here: the log keeps this copy, so changing the caller's object later changes nothing it does.
        options = options?.Copy() ?? new RedisStreamLogOptions();
        options.Validate();
        return OpenCoreAsync(multiplexer, ownsMultiplexer: false, options, cancellationToken);
    }

    private static async ValueTask<RedisStreamLog> OpenCoreAsync(IConnectionMultiplexer multiplexer, bool ownsMultiplexer, RedisStreamLogOptions options, CancellationToken cancellationToken)
    {
        CheckDatabase(multiplexer, options.Database);
        var log = new RedisStreamLog(options, multiplexer, ownsMultiplexer);
        try
        {
            // Loads the scripts (and so proves the server runs Lua and is reachable); later calls use EVALSHA.
            await log.LoadScriptsAsync(cancellationToken).ConfigureAwait(false);
            return log;
        }
        catch
        {
            log.Detach();
            throw;
        }
    }

    /// <summary>
    /// Refuses a <see cref="RedisStreamLogOptions.Database"/> that a connected server does not have, naming the option:
    /// a cluster has only database 0, and a server its configured number (StackExchange.Redis would refuse every
    /// command with its own exception, on a cluster as an internal failure of the connection).
    /// </summary>
    private static void CheckDatabase(IConnectionMultiplexer multiplexer, int database)
    {
        if (database <= 0)
        {
            return;
        }

        foreach (var server in multiplexer.GetServers())
        {
            if (!server.IsConnected)
            {
                continue;
            }

            if (server.ServerType == ServerType.Cluster)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(RedisStreamLogOptions.Database), database, $"A Redis cluster has only database 0 ({server.EndPoint}).");
            }

            if (server.DatabaseCount > 0 && database >= server.DatabaseCount)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(RedisStreamLogOptions.Database), database, $"The server {server.EndPoint} has databases 0 to {server.DatabaseCount - 1}.");
            }
        }
    }

    /// <inheritdoc/>
    protected override async ValueTask<AppendResult> AppendCoreAsync(
        string stream, ReadOnlyMemory<byte> frame, AppendMode mode, IReadOnlyDictionary<string, string>? headers, JsonNode? patch, CancellationToken cancellationToken)
    {
        AppendBatchResult batch;
        try
        {
            batch = await AppendManyAsync(
                stream, [frame], mode, headers is null ? null : [headers], mode == AppendMode.DurableSummary ? [patch] : null, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsBareWrongType(e))
        {
            throw await NameAppendWrongTypeAsync(e, stream, mode).ConfigureAwait(false);
        }

        return new AppendResult(batch.FirstId, batch.FrameCount, batch.SummaryVersion);
    }

    /// <inheritdoc/>
    protected override async ValueTask<AppendBatchResult> AppendBatchCoreAsync(
        string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, JsonNode?[]? patches,
        CancellationToken cancellationToken)
    {
        try
        {
            return await AppendManyAsync(stream, frames, mode, headers, patches, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsBareWrongType(e))
        {
            throw await NameAppendWrongTypeAsync(e, stream, mode).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The error of an append that met <c>WRONGTYPE</c>, naming the key: the stream's hash, which the summary read and the
    /// script's first command (<c>HMGET</c>) use, or the Redis stream of the append's mode, whose first <c>XADD</c> fails
    /// before the script wrote anything.
    /// </summary>
    private Task<Exception> NameAppendWrongTypeAsync(RedisServerException error, string stream, AppendMode mode) =>
        NameWrongTypeAsync(error, writes: true, (MetaKey(stream), RedisType.Hash), (mode == AppendMode.BestEffortLive ? LiveKey(stream) : DurableKey(stream), RedisType.Stream));

    /// <inheritdoc/>
    protected override async ValueTask<IReadOnlyList<StreamFrame>> ReadCoreAsync(string stream, StreamId from, StreamId to, int limit, TailVisibility visibility, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var keys = new RedisKey[] { DurableKey(stream), LiveKey(stream) };
        var args = new RedisValue[]
        {
            FormatId(from, "-"), FormatId(to, "+"), limit, visibility == TailVisibility.ExcludeBestEffort ? "1" : "0",
        };
        RedisResult result;
        try
        {
            result = await RetryTransientAsync(() => EvaluateAsync(Scripts.ReadHash, Scripts.Read, keys, args), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsBareWrongType(e))
        {
            throw await NameWrongTypeAsync(e, writes: false, (keys[0], RedisType.Stream), (keys[1], RedisType.Stream)).ConfigureAwait(false);
        }

        var parts = (RedisResult[])result!;
        var durable = (RedisResult[])parts[0]!;
        var live = parts.Length > 1 ? (RedisResult[])parts[1]! : [];
        if (durable.Length + live.Length == 0)
        {
            return Array.Empty<StreamFrame>();
        }

        // Both ranges are in id order: merge them, keeping the first `limit`.
        var frames = new List<StreamFrame>(Math.Min(limit, durable.Length + live.Length));
        int d = 0, l = 0;
        StreamFrame? nextDurable = d < durable.Length ? ParseEntry(durable[d]) : null;
        StreamFrame? nextLive = l < live.Length ? ParseEntry(live[l]) : null;
        while (frames.Count < limit && (nextDurable is not null || nextLive is not null))
        {
            if (nextLive is null || (nextDurable is not null && nextDurable.Id < nextLive.Id))
            {
                frames.Add(nextDurable!);
                nextDurable = ++d < durable.Length ? ParseEntry(durable[d]) : null;
            }
            else
            {
                frames.Add(nextLive);
                nextLive = ++l < live.Length ? ParseEntry(live[l]) : null;
            }
        }

        return frames;
    }

    /// <inheritdoc/>
    protected override async ValueTask<StreamSummary?> ReadSummaryCoreAsync(string stream, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var key = MetaKey(stream);
        RedisValue[] values;
        try
        {
            values = await RetryTransientAsync(() => _database.HashGetAsync(key, ["s", "sv", "sf", "sl"]), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsBareWrongType(e))
        {
            throw await NameWrongTypeAsync(e, writes: false, (key, RedisType.Hash)).ConfigureAwait(false);
        }

        if (!values[1].HasValue || (long)values[1] == 0)
        {
            return null;
        }

        using var document = JsonDocument.Parse((string)values[0]!);
        return new StreamSummary(
            document.RootElement.Clone(), (long)values[1],
            DateTimeOffset.FromUnixTimeMilliseconds((long)values[2]), DateTimeOffset.FromUnixTimeMilliseconds((long)values[3]));
    }

    /// <inheritdoc/>
    protected override async ValueTask<StreamId?> ReadCheckpointCoreAsync(string checkpointId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var key = CheckpointKey(checkpointId);
        RedisValue value;
        try
        {
            value = await RetryTransientAsync(() => _database.StringGetAsync(key), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsBareWrongType(e))
        {
            throw await NameWrongTypeAsync(e, writes: false, (key, RedisType.String)).ConfigureAwait(false);
        }

        return value.HasValue ? StreamId.Parse((string)value!) : null;
    }

    /// <inheritdoc/>
    /// <remarks>Storing a position is idempotent, so after a lost connection it is retried like a read.</remarks>
    protected override async ValueTask WriteCheckpointCoreAsync(string checkpointId, StreamId position, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var key = CheckpointKey(checkpointId);
        var value = position.ToString();
        await RetryTransientAsync(() => _database.StringSetAsync(key, value), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async ValueTask PrepareTailAsync(CancellationToken cancellationToken) =>
        // Until the subscription is in place a tail could miss an announcement. SUBSCRIBE is idempotent: one that a lost
        // connection failed (a server restarting as the tail subscribed) is sent again as any idempotent command is, within
        // ReconnectTimeout; after that the tail fails with its error (and the next tail subscribes again).
        await RetryTransientAsync(SubscribeAsync, cancellationToken).ConfigureAwait(false);

    /// <summary>The log's one subscription to its announcements: the one under way or in place, or a new one after a failure.</summary>
    private async Task<bool> SubscribeAsync()
    {
        Task subscribed;
        lock (_subscribeGate)
        {
            if (_subscribed is null || _subscribed.IsFaulted || _subscribed.IsCanceled)
            {
                _subscribed = _multiplexer.GetSubscriber().SubscribeAsync(_channel, _onMessage);
            }

            subscribed = _subscribed;
        }

        await subscribed.ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        Task? subscribed;
        lock (_subscribeGate)
        {
            subscribed = _subscribed;
        }

        Detach();
        if (subscribed is { IsCompletedSuccessfully: true })
        {
            try
            {
                // Disconnected, the handler is still removed from the multiplexer (which would otherwise subscribe it again
                // when it reconnects, and keep a disposed log reachable), without waiting for a connection to send the
                // UNSUBSCRIBE on.
                var flags = _multiplexer.IsConnected ? CommandFlags.None : CommandFlags.FireAndForget;
                await _multiplexer.GetSubscriber().UnsubscribeAsync(_channel, _onMessage, flags).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // StackExchange.Redis's RedisTimeoutException is a TimeoutException, not a RedisException: an UNSUBSCRIBE
                // that timed out must not fail the disposal, nor keep it from closing the connection the log owns. A
                // multiplexer its owner disposed first has no subscription left to remove.
                RedisLog.UnsubscribeFailed(_logger, e);
            }
        }

        if (_ownsMultiplexer)
        {
            await _multiplexer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Detach()
    {
        _multiplexer.ConnectionRestored -= OnConnectionRestored;
        _multiplexer.ConnectionFailed -= OnConnectionFailed;
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (CarriesSubscriptions(e))
        {
            RedisLog.SubscriptionLost(_logger, e.FailureType, e.Exception);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (!CarriesSubscriptions(e))
        {
            return;
        }

        Interlocked.Increment(ref _reconnects);
        RedisLog.SubscriptionReconnected(_logger);
        // Appends made while the subscription was away were announced to nobody.
        NotifyAllStreams();
        // The multiplexer re-subscribes on the restored connection; a ping on that connection answers after the
        // SUBSCRIBE, so an append announced between the first re-check and the SUBSCRIBE is caught by a second one.
        _ = RecheckAfterResubscribeAsync();
    }

    /// <summary>
    /// Whether the connection the event is about carries the log's subscription: the connection of type
    /// <see cref="ConnectionType.Subscription"/> on RESP2, the interactive one on RESP3, where StackExchange.Redis runs
    /// pub/sub on the interactive connection and never restores a connection of type Subscription.
    /// </summary>
    private bool CarriesSubscriptions(ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            return true;
        }

        if (e.ConnectionType != ConnectionType.Interactive || e.EndPoint is null)
        {
            return false;
        }

        try
        {
            return _multiplexer.GetServer(e.EndPoint).Protocol == RedisProtocol.Resp3;
        }
        catch (ArgumentException)
        {
            // An endpoint the multiplexer no longer knows carries none of its subscriptions.
            return false;
        }
    }

    private async Task RecheckAfterResubscribeAsync()
    {
        try
        {
            await _multiplexer.GetSubscriber().PingAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // A ping that timed out is a RedisTimeoutException, a TimeoutException: the tails re-check all the same.
            RedisLog.RecheckPingFailed(_logger, e);
        }

        NotifyAllStreams();
    }

    private async Task LoadScriptsAsync(CancellationToken cancellationToken)
    {
        foreach (var script in new[] { Scripts.Append, Scripts.Read, GroupScripts.Create, GroupScripts.Claim, GroupScripts.ClaimOwnPending, GroupScripts.Acknowledge, GroupScripts.Pending, GroupScripts.Info })
        {
            // SCRIPT LOAD on the server the database's commands go to (a key-less EVAL with an empty body would be
            // refused on a cluster); EVALSHA then finds it, and after a restart NOSCRIPT makes EvaluateAsync send it again.
            await SendAsync(() => _database.ExecuteAsync("SCRIPT", "LOAD", script), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<AppendBatchResult> AppendManyAsync(
        string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, JsonNode?[]? patches,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var keys = new RedisKey[] { DurableKey(stream), LiveKey(stream), MetaKey(stream) };
        var headerCount = 0;
        if (headers is not null)
        {
            foreach (var h in headers)
            {
                headerCount += h?.Count ?? 0;
            }
        }

        var args = new RedisValue[11 + (2 * frames.Count) + (2 * headerCount)];
        var retention = Options.LiveRetention;
        args[0] = _channelText;
        args[1] = stream;
        args[2] = NowMilliseconds();
        args[3] = ModeDigits[(int)mode];
        // Doubles go out in StackExchange.Redis's round-trip format, so Lua's tonumber reads the same values.
        args[4] = retention.Alpha;
        args[5] = retention.Ttl.TotalSeconds;
        args[6] = retention.Floor;
        args[7] = retention.Ceiling;
        args[8] = RedisValue.EmptyString;
        args[9] = RedisValue.EmptyString;
        args[10] = frames.Count;
        for (int i = 0, at = 11; i < frames.Count; i++)
        {
            // A copy: a RedisValue made from the caller's memory would be read when StackExchange.Redis writes the
            // command, which can be after this call has ended (cancelled or disposed while the command waits to be
            // sent), when the caller may have reused the buffer; and memory that cannot be read then fails here,
            // before anything is sent.
            args[at++] = frames[i].ToArray();
            var own = headers?[i];
            args[at++] = own?.Count ?? 0;
            if (own is not null)
            {
                foreach (var (name, value) in own)
                {
                    args[at++] = name;
                    args[at++] = value;
                }
            }
        }

        RedisResult[] reply;
        if (patches is null)
        {
            reply = (RedisResult[])(await SendAsync(() => EvaluateAsync(Scripts.AppendHash, Scripts.Append, keys, args), cancellationToken).ConfigureAwait(false))!;
        }
        else
        {
            // Compare-and-set: merge the patches into the summary as last read, and write only if no other append
            // changed it meanwhile; a stale read returns the current summary, and the merge runs again on that.
            var known = await SendAsync(() => _database.HashGetAsync(keys[2], ["sv", "s"]), cancellationToken).ConfigureAwait(false);
            var version = known[0].HasValue ? (long)known[0] : 0;
            var document = (string?)known[1];
            while (true)
            {
                var summary = version == 0 || document is null ? null : JsonNode.Parse(document);
                foreach (var patch in patches)
                {
                    summary = JsonMergePatch.Apply(summary, patch);
                }

                args[8] = version;
                args[9] = summary is null ? "null" : summary.ToJsonString();
                reply = (RedisResult[])(await SendAsync(() => EvaluateAsync(Scripts.AppendHash, Scripts.Append, keys, args), cancellationToken).ConfigureAwait(false))!;
                if ((long)reply[0] != -1)
                {
                    break;
                }

                version = (long)reply[1];
                document = (string?)reply[2];
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        NotifyAppended(stream);
        return new AppendBatchResult(
            new StreamId((long)reply[0], (long)reply[1]), new StreamId((long)reply[2], (long)reply[3]), (long)reply[4], (long)reply[5]);
    }

    /// <summary>
    /// Runs a loaded script by its hash; when the server does not know it (it restarted, or its script cache was
    /// flushed) the script itself is sent, which is safe to repeat: NOSCRIPT means nothing ran.
    /// </summary>
    private async Task<RedisResult> EvaluateAsync(byte[] hash, string script, RedisKey[] keys, RedisValue[] args)
    {
        try
        {
            return await _database.ScriptEvaluateAsync(hash, keys, args).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await _database.ScriptEvaluateAsync(script, keys, args).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends an idempotent command (a read, a checkpoint, an acknowledgement) by <see cref="SendAsync{T}"/>, which also
    /// sends it again after a lost connection failed it in flight: running it twice does no harm.
    /// </summary>
    private Task<T> RetryTransientAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken) =>
        SendAsync(operation, cancellationToken, idempotent: true);

    /// <summary>
    /// Sends a command, and sends it again while the server cannot serve it, for at most
    /// <see cref="RedisStreamLogOptions.ReconnectTimeout"/> from the first failure; then the last error is thrown.
    /// <list type="bullet">
    /// <item>The command did not run, so any command is sent again: the server answered <c>LOADING</c> (a restarted server
    /// accepts connections while it reads its data back, and StackExchange.Redis reports the connection restored before
    /// loading ends, which is when the log re-checks its parked tails; it reports the reply as a
    /// <see cref="RedisServerException"/>, or, when its own ping on the connection met it first, fails the commands in
    /// flight with a <see cref="RedisConnectionException"/> of failure type <see cref="ConnectionFailureType.Loading"/>),
    /// or the command timed out in the multiplexer's backlog without being sent, as it does while there is no
    /// connection.</item>
    /// <item>The command may have run, so only an <paramref name="idempotent"/> one is sent again: a lost connection
    /// failed it in flight, or it timed out after it was sent. The first time it goes again at once.</item>
    /// </list>
    /// The waits (50 ms, doubling to 1 s) run on the log's clock; cancellation or the log's disposal ends a wait at once.
    /// </summary>
    private async Task<T> SendAsync<T>(Func<Task<T>> command, CancellationToken cancellationToken, bool idempotent = false)
    {
        var clock = _options.TimeProvider;
        long? started = null;
        var delay = TimeSpan.FromMilliseconds(50);
        var resentAtOnce = false;
        while (true)
        {
            try
            {
                // A disposed log sends nothing more (a summary append whose read was in flight sends no script), and a
                // call whose command is in flight stops waiting when the log is disposed: on a multiplexer the caller
                // owns, which the disposal leaves open, the command would otherwise complete after the disposal returned.
                // On a multiplexer the log owns, the disposal closes the connection under the command, which fails it,
                // so the wait needs no link to the disposal (and allocates nothing for one).
                ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
                var sent = command();
                return await (_ownsMultiplexer ? sent.WaitAsync(cancellationToken)
                    : cancellationToken.CanBeCanceled ? WaitWhileOpenAsync(sent, cancellationToken)
                    : sent.WaitAsync(_disposing.Token)).ConfigureAwait(false);
            }
            catch (Exception e) when (_disposing.IsCancellationRequested
                && (e is RedisException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)))
            {
                // Disposal closed the connection under a command in flight (the client fails it with a connection error,
                // or cancels its task): the caller meets a disposed log, as a call that starts after the disposal does,
                // not a connection failure to retry or a cancellation it did not ask for. Named as ThrowIf names it (the
                // connection error or cancellation the disposal caused is its own doing, not a cause to report).
                throw new ObjectDisposedException(
                    typeof(RedisStreamLog).FullName, "The stream log was disposed while a call was in flight; its command may or may not have run.");
            }
            catch (Exception e) when (!RefusedCredentials(e) && (DidNotRun(e) || (idempotent && e is RedisConnectionException or RedisTimeoutException)))
            {
                started ??= clock.GetTimestamp();
                var remaining = _options.ReconnectTimeout - clock.GetElapsedTime(started.Value);
                if (remaining <= TimeSpan.Zero)
                {
                    throw;
                }

                if (!resentAtOnce && e is RedisConnectionException { FailureType: not ConnectionFailureType.Loading })
                {
                    resentAtOnce = true;
                    continue;
                }

                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
                try
                {
                    await Task.Delay(delay < remaining ? delay : remaining, clock, waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new ObjectDisposedException(typeof(RedisStreamLog).FullName, "The stream log was disposed while a call waited to send its command again.");
                }
                catch (OperationCanceledException error) when (CallerCancellation.IsRenamed(error, cancellationToken))
                {
                    // The wait was on a token linked to the disposal.
                    throw CallerCancellation.Rename(error, cancellationToken);
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.TicksPerSecond));
            }
        }
    }

    /// <summary>
    /// Whether StackExchange.Redis failed the command because its connection could not authenticate (a wrong password or
    /// user, or one the server no longer accepts): it is its failure type <see cref="ConnectionFailureType.AuthenticationFailure"/>,
    /// or that of the last connection failure it reports as the inner exception of a command that timed out in its
    /// backlog. Waiting cannot make the credentials right, so such a call is thrown at once, never sent again.
    /// </summary>
    private static bool RefusedCredentials(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Waits for a command in flight until it completes, the caller cancels or the log is disposed.</summary>
    private async Task<T> WaitWhileOpenAsync<T>(Task<T> sent, CancellationToken cancellationToken)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        try
        {
            return await sent.WaitAsync(waiting.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException error) when (CallerCancellation.IsRenamed(error, cancellationToken))
        {
            // The wait was on a token linked to the disposal; the caller's cancellation names the caller's token.
            throw CallerCancellation.Rename(error, cancellationToken);
        }
    }

    /// <summary>Whether a failure means the command certainly did not run: <c>LOADING</c>, or never sent.</summary>
    private static bool DidNotRun(Exception e) =>
        (e is RedisException redis && IsLoading(redis)) || e is RedisTimeoutException { Commandstatus: CommandStatus.WaitingInBacklog or CommandStatus.WaitingToBeSent };

    private static bool IsLoading(RedisException e) => e switch
    {
        RedisServerException => e.Message.StartsWith("LOADING", StringComparison.Ordinal),
        RedisConnectionException connection => connection.FailureType == ConnectionFailureType.Loading,
        _ => false,
    };

    /// <summary>
    /// Redis's <c>WRONGTYPE</c> reply names no key: a call that meets it on the keys of a stream or a checkpoint (another
    /// client wrote something else under the log's key prefix) looks up which of <paramref name="keys"/> holds another
    /// kind of value than the log keeps there, and returns an error that names it, what it holds and what the log keeps
    /// there, as the group scripts' own check does. Only a failed call pays for the lookup (one <c>TYPE</c> per key); when
    /// it finds no such key (it changed meanwhile) or cannot be made, the server's error is returned as it was.
    /// </summary>
    private async Task<Exception> NameWrongTypeAsync(RedisServerException error, bool writes, params (RedisKey Key, RedisType Keeps)[] keys)
    {
        foreach (var (key, keeps) in keys)
        {
            RedisType holds;
            try
            {
                holds = await _database.KeyTypeAsync(key).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // The lookup is only a courtesy: the call fails with the server's error as it was.
                return error;
            }

            if (holds != RedisType.None && holds != keeps)
            {
                return new RedisServerException(
                    $"WRONGTYPE the key {key} holds a {TypeName(holds)} where the log keeps a {TypeName(keeps)}{(writes ? "; nothing was written" : "")} ({error.Message})");
            }
        }

        return error;
    }

    /// <summary>Whether a server error is Redis's own <c>WRONGTYPE</c>, which names no key (the group scripts' errors name theirs).</summary>
    private static bool IsBareWrongType(RedisServerException e) =>
        e.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal) && !e.Message.StartsWith("WRONGTYPE the key ", StringComparison.Ordinal);

    /// <summary>A type's name as Redis's <c>TYPE</c> and <c>redis-cli</c> spell it.</summary>
    private static string TypeName(RedisType type) => type switch
    {
        RedisType.String => "string",
        RedisType.List => "list",
        RedisType.Set => "set",
        RedisType.SortedSet => "zset",
        RedisType.Hash => "hash",
        RedisType.Stream => "stream",
        _ => "value of another kind",
    };

    private static StreamFrame ParseEntry(RedisResult entry)
    {
        var parts = (RedisResult[])entry!;
        var id = StreamId.Parse((string)parts[0]!);
        var fields = (RedisResult[])parts[1]!;
        var mode = AppendMode.Durable;
        byte[] payload = [];
        Dictionary<string, string>? headers = null;
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            var name = (string)fields[i]!;
            switch (name)
            {
                case "m":
                    mode = (AppendMode)(int)fields[i + 1];
                    break;
                case "p":
                    payload = (byte[])fields[i + 1]! ?? [];
                    break;
                default:
                    if (name.StartsWith("h:", StringComparison.Ordinal))
                    {
                        headers ??= new Dictionary<string, string>(StringComparer.Ordinal);
                        headers[name[2..]] = (string)fields[i + 1]!;
                    }

                    break;
            }
        }

        var frame = new StreamFrame(id, payload, mode);
        return headers is null ? frame : frame with { Headers = headers.AsReadOnly() };
    }

    private static RedisValue FormatId(StreamId id, string open) =>
        id == StreamId.Min && open == "-" ? "-" : id == StreamId.Max && open == "+" ? "+" : id.ToString();

    // A stream's keys share the hash tag "{name}". Redis ends a tag at the first '}' after the '{' and ignores an empty
    // one, so a name that starts with '}' would leave its keys untagged, in different cluster slots (CROSSSLOT on every
    // script): its leading '}' is written as U+001D, which no name contains (control characters are refused).
    private string StreamKeyPrefix(string stream) =>
        stream.StartsWith('}')
            ? string.Concat(_options.KeyPrefix, "{\u001D", stream.AsSpan(1), "}:")
            : string.Concat(_options.KeyPrefix, "{", stream, "}:");

    private RedisKey DurableKey(string stream) => StreamKeyPrefix(stream) + "d";

    private RedisKey LiveKey(string stream) => StreamKeyPrefix(stream) + "l";

    private RedisKey MetaKey(string stream) => StreamKeyPrefix(stream) + "m";

    private RedisKey CheckpointKey(string checkpointId) => string.Concat(_options.KeyPrefix, "checkpoint:", checkpointId);
}
