using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// The base of every <see cref="IStreamLog"/> backend: it validates input (so bad input never reaches storage),
/// caps limits, runs the tail loop (query, park on a signal with a timeout, re-check) and the endless tail, and
/// leaves storage to the derived class's <c>...CoreAsync</c> members. A backend calls
/// <see cref="NotifyAppended"/> after each committed append it learns of, and <see cref="NotifyAllStreams"/> when
/// it may have missed some (a listener reconnect). Each backend is also the <see cref="ICheckpointStore"/> for its log.
/// </summary>
public abstract partial class StreamLog : IStreamLog, ICheckpointStore, IDisposable
{
    /// <summary>The longest stream name, in UTF-16 characters.</summary>
    public const int MaxStreamNameLength = 200;

    private readonly TailNotifier _notifier = new();
    private readonly CancellationTokenSource _disposed = new();
    // The one disposal every DisposeAsync call waits for; null until the first call.
    private OnceDisposal? _disposal;

    /// <summary>Creates the base with validated options.</summary>
    /// <param name="options">
    /// The options, kept as given: pass a copy of the caller's object (as this library's logs do), so that changing that
    /// object after the log was created changes nothing the log does.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    protected StreamLog(StreamLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        TimeProvider = options.TimeProvider;
    }

    /// <summary>The options the log was created with.</summary>
    protected StreamLogOptions Options { get; }

    /// <summary>The log's clock.</summary>
    protected TimeProvider TimeProvider { get; }

    /// <summary>Whether <see cref="DisposeAsync"/> was called.</summary>
    protected bool IsDisposed => _disposed.IsCancellationRequested;

    /// <summary>The most frames one read or tail returns (<see cref="StreamLogOptions.MaxReadCount"/>), for the cursor canal.</summary>
    internal int MaxReadCount => Options.MaxReadCount;

    /// <summary>
    /// The most frames one read, tail or claim of <paramref name="log"/> returns: its <see cref="StreamLogOptions.MaxReadCount"/>,
    /// also through a log that forwards to one of these (the hosting package's registration); <see cref="int.MaxValue"/>
    /// when unknown (another implementation, or a forwarding log not open yet).
    /// </summary>
    internal static int ReadCapOf(object log) => log switch
    {
        StreamLog own => own.MaxReadCount,
        IForwardingStreamLog { Inner: { } inner } => ReadCapOf(inner),
        _ => int.MaxValue,
    };

    /// <summary>The number of streams on which a tail of this log is parked or about to park (for diagnostics and tests).</summary>
    protected int ParkedStreamCount => _notifier.PendingSignals;

    /// <inheritdoc/>
    public ValueTask<AppendResult> AppendAsync(string stream, ReadOnlyMemory<byte> frame, AppendMode mode, CancellationToken cancellationToken = default) =>
        AppendAsync(stream, frame, mode, headers: null, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<AppendResult> AppendAsync(string stream, ReadOnlyMemory<byte> frame, AppendMode mode, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken = default)
    {
        ValidateStream(stream);
        ValidateMode(mode);
        FrameHeaders.Validate(headers, nameof(headers));
        var patch = mode == AppendMode.DurableSummary ? ParsePatch(frame, nameof(frame)) : null;
        ThrowIfDisposed();
        return StreamTracing.IsActive
            ? AppendTracedAsync(stream, frame, mode, NullIfEmpty(headers), patch, cancellationToken)
            : AppendCoreAsync(stream, frame, mode, NullIfEmpty(headers), patch, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<AppendBatchResult> AppendBatchAsync(string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, CancellationToken cancellationToken = default) =>
        AppendBatchAsync(stream, frames, mode, headers: null, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<AppendBatchResult> AppendBatchAsync(
        string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, CancellationToken cancellationToken = default)
    {
        ValidateStream(stream);
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0)
        {
            throw new ArgumentException("A batch needs at least one frame.", nameof(frames));
        }

        ValidateMode(mode);
        var batchHeaders = ValidateBatchHeaders(frames.Count, headers);
        JsonNode?[]? patches = null;
        if (mode == AppendMode.DurableSummary)
        {
            patches = new JsonNode?[frames.Count];
            for (var i = 0; i < frames.Count; i++)
            {
                patches[i] = ParsePatch(frames[i], $"{nameof(frames)}[{i}]");
            }
        }

        ThrowIfDisposed();
        return StreamTracing.IsActive
            ? AppendBatchTracedAsync(stream, frames, mode, batchHeaders, patches, cancellationToken)
            : AppendBatchCoreAsync(stream, frames, mode, batchHeaders, patches, cancellationToken);
    }

    /// <summary>
    /// Checks a batch's headers; returns null when no frame has any, so a backend takes its header-free path, and
    /// otherwise the list with every empty entry as null.
    /// </summary>
    private static IReadOnlyList<IReadOnlyDictionary<string, string>?>? ValidateBatchHeaders(int count, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers)
    {
        if (headers is null)
        {
            return null;
        }

        if (headers.Count != count)
        {
            throw new ArgumentException($"The batch has {count} frames but {headers.Count} header entries; give one entry (or null) per frame.", nameof(headers));
        }

        IReadOnlyDictionary<string, string>?[]? normalized = null;
        for (var i = 0; i < count; i++)
        {
            var entry = headers[i];
            FrameHeaders.Validate(entry, $"{nameof(headers)}[{i}]");
            if (entry is { Count: > 0 })
            {
                normalized ??= new IReadOnlyDictionary<string, string>?[count];
                normalized[i] = entry;
            }
        }

        return normalized;
    }

    private static IReadOnlyDictionary<string, string>? NullIfEmpty(IReadOnlyDictionary<string, string>? headers) =>
        headers is { Count: > 0 } ? headers : null;

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StreamFrame>> ReadAsync(string stream, StreamId from, StreamId to, int limit, CancellationToken cancellationToken = default)
    {
        ValidateStream(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ThrowIfDisposed();
        if (from > to)
        {
            // Nothing to read, but a cancelled token still cancels the call, as on a range that has frames.
            return cancellationToken.IsCancellationRequested
                ? ValueTask.FromCanceled<IReadOnlyList<StreamFrame>>(cancellationToken)
                : new ValueTask<IReadOnlyList<StreamFrame>>([]);
        }

        return StreamTracing.IsActive
            ? ReadTracedAsync(stream, from, to, Math.Min(limit, Options.MaxReadCount), cancellationToken)
            : ReadCoreAsync(stream, from, to, Math.Min(limit, Options.MaxReadCount), TailVisibility.All, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StreamFrame>> TailAsync(string stream, StreamId after, TimeSpan block, int limit, TailVisibility visibility = TailVisibility.All, CancellationToken cancellationToken = default)
    {
        ValidateTail(stream, block, limit, visibility);
        ThrowIfDisposed();
        limit = Math.Min(limit, Options.MaxReadCount);
        return StreamTracing.IsActive
            ? TailTracedAsync(stream, after, block, limit, visibility, cancellationToken)
            : TailValidatedAsync(stream, after, block, limit, visibility, cancellationToken);
    }

    private ValueTask<IReadOnlyList<StreamFrame>> TailValidatedAsync(string stream, StreamId after, TimeSpan block, int limit, TailVisibility visibility, CancellationToken cancellationToken)
    {

        // What is already there is returned by one query, with no signal, token link or state machine: a tail that
        // finds frames (or may not wait) costs what the read costs. Only a tail that must wait takes the slow path,
        // which takes the signal and queries again before parking, so an append between the two queries still wakes it.
        var ready = ReadCoreAsync(stream, after.Successor(), StreamId.Max, limit, visibility, cancellationToken);
        if (block == TimeSpan.Zero)
        {
            return ready;
        }

        if (ready.IsCompletedSuccessfully)
        {
            // Read once (a ValueTask is consumed by reading it) and handed on as a plain value.
            var frames = ready.Result;
            return frames.Count > 0
                ? new ValueTask<IReadOnlyList<StreamFrame>>(frames)
                : TailLoopAsync(stream, after, block, limit, visibility, cancellationToken);
        }

        return TailAfterFirstReadAsync(ready, stream, after, block, limit, visibility, cancellationToken);
    }

    /// <summary>
    /// <see cref="TailAsync"/> for a consumer that reuses one buffer (the cursor canal): the frames are added to
    /// <paramref name="into"/> and their count returned. When the frames are already there (or the tail may not wait), a
    /// backend that can read into a caller's buffer (<see cref="TryReadReadyInto"/>) allocates nothing; otherwise this is
    /// <see cref="TailAsync"/>, traced as it is, with its result copied.
    /// </summary>
    internal ValueTask<int> TailIntoAsync(string stream, StreamId after, TimeSpan block, int limit, TailVisibility visibility, List<StreamFrame> into, CancellationToken cancellationToken)
    {
        if (!StreamTracing.IsActive && !IsDisposed && !cancellationToken.IsCancellationRequested)
        {
            ValidateTail(stream, block, limit, visibility);
            var before = into.Count;
            if (TryReadReadyInto(stream, after.Successor(), Math.Min(limit, Options.MaxReadCount), visibility, into) && (into.Count > before || block == TimeSpan.Zero))
            {
                return new ValueTask<int>(into.Count - before);
            }
        }

        var tail = TailAsync(stream, after, block, limit, visibility, cancellationToken);
        if (tail.IsCompletedSuccessfully)
        {
            return new ValueTask<int>(AddFrames(tail.Result, into));
        }

        return AddFramesAsync(tail, into);

        static async ValueTask<int> AddFramesAsync(ValueTask<IReadOnlyList<StreamFrame>> tail, List<StreamFrame> into) =>
            AddFrames(await tail.ConfigureAwait(false), into);

        static int AddFrames(IReadOnlyList<StreamFrame> frames, List<StreamFrame> into)
        {
            // Indexed, not foreach: enumerating the interface would allocate an enumerator.
            for (var i = 0; i < frames.Count; i++)
            {
                into.Add(frames[i]);
            }

            return frames.Count;
        }
    }

    /// <summary>The argument checks of every tail, named by parameter.</summary>
    private static void ValidateTail(string stream, TimeSpan block, int limit, TailVisibility visibility)
    {
        ValidateStream(stream);
        ValidateBlock(block);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ValidateVisibility(visibility);
    }

    /// <summary>
    /// Reads the frames from <paramref name="from"/> on that are there now into <paramref name="into"/>, synchronously and
    /// without allocating, when the backend can (the in-memory log); false when it cannot (a backend that queries storage).
    /// </summary>
    private protected virtual bool TryReadReadyInto(string stream, StreamId from, int limit, TailVisibility visibility, List<StreamFrame> into) => false;

    private async ValueTask<IReadOnlyList<StreamFrame>> TailAfterFirstReadAsync(
        ValueTask<IReadOnlyList<StreamFrame>> ready, string stream, StreamId after, TimeSpan block, int limit, TailVisibility visibility, CancellationToken cancellationToken)
    {
        var frames = await ready.ConfigureAwait(false);
        return frames.Count > 0 ? frames : await TailLoopAsync(stream, after, block, limit, visibility, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<StreamFrame> TailAllAsync(string stream, StreamId after, TailVisibility visibility = TailVisibility.All, CancellationToken cancellationToken = default)
    {
        ValidateStream(stream);
        ValidateVisibility(visibility);
        ThrowIfDisposed();
        return TailForeverAsync(stream, after, visibility, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<StreamSummary?> ReadSummaryAsync(string stream, CancellationToken cancellationToken = default)
    {
        ValidateStream(stream);
        ThrowIfDisposed();
        return ReadSummaryCoreAsync(stream, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<StreamId?> ReadCheckpointAsync(string checkpointId, CancellationToken cancellationToken = default)
    {
        ValidateName(checkpointId, nameof(checkpointId), "checkpoint id");
        ThrowIfDisposed();
        return ReadCheckpointCoreAsync(checkpointId, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask WriteCheckpointAsync(string checkpointId, StreamId position, CancellationToken cancellationToken = default)
    {
        ValidateName(checkpointId, nameof(checkpointId), "checkpoint id");
        ThrowIfDisposed();
        return WriteCheckpointCoreAsync(checkpointId, position, cancellationToken);
    }

    /// <summary>
    /// Disposes the log synchronously: blocks until <see cref="DisposeAsync"/> has finished. Prefer
    /// <c>await using</c>; this is for <c>using</c> and for a dependency-injection container disposed synchronously.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Disposes the log: parked tails end with <see cref="ObjectDisposedException"/>, later calls throw it, and the
    /// backend's resources are released by <see cref="DisposeCoreAsync"/>, once. Idempotent and safe to call
    /// concurrently: every call completes when that one disposal has (with its error, if it failed).
    /// </summary>
    public ValueTask DisposeAsync() => OnceDisposal.Run(ref _disposal, CloseAsync);

    private async ValueTask CloseAsync()
    {
        await _disposed.CancelAsync().ConfigureAwait(false);
        await DisposeCoreAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Appends one validated frame. <paramref name="patch"/> is the parsed payload for <see cref="AppendMode.DurableSummary"/>, otherwise null.</summary>
    /// <param name="stream">A valid stream name.</param>
    /// <param name="frame">The payload.</param>
    /// <param name="mode">A defined mode.</param>
    /// <param name="headers">Validated headers, or null when the frame has none (never empty).</param>
    /// <param name="patch">The parsed patch (JSON null is a null node), or null when the mode is not <see cref="AppendMode.DurableSummary"/>.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    protected abstract ValueTask<AppendResult> AppendCoreAsync(
        string stream, ReadOnlyMemory<byte> frame, AppendMode mode, IReadOnlyDictionary<string, string>? headers, JsonNode? patch, CancellationToken cancellationToken);

    /// <summary>Appends a validated, non-empty batch in one transaction.</summary>
    /// <param name="stream">A valid stream name.</param>
    /// <param name="frames">The payloads.</param>
    /// <param name="mode">A defined mode.</param>
    /// <param name="headers">Validated headers, one entry per frame (null for a frame without headers); or null when no frame has any.</param>
    /// <param name="patches">The parsed patches, one per frame, for <see cref="AppendMode.DurableSummary"/>; otherwise null.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    protected abstract ValueTask<AppendBatchResult> AppendBatchCoreAsync(
        string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, JsonNode?[]? patches,
        CancellationToken cancellationToken);

    /// <summary>Reads at most <paramref name="limit"/> frames with <paramref name="from"/> ≤ id ≤ <paramref name="to"/>, oldest first.</summary>
    /// <param name="stream">A valid stream name.</param>
    /// <param name="from">Inclusive lower bound.</param>
    /// <param name="to">Inclusive upper bound, not below <paramref name="from"/>.</param>
    /// <param name="limit">Between 1 and <see cref="StreamLogOptions.MaxReadCount"/>.</param>
    /// <param name="visibility">Which frames to return.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    protected abstract ValueTask<IReadOnlyList<StreamFrame>> ReadCoreAsync(string stream, StreamId from, StreamId to, int limit, TailVisibility visibility, CancellationToken cancellationToken);

    /// <summary>Reads the summary, or null when the stream has none.</summary>
    /// <param name="stream">A valid stream name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    protected abstract ValueTask<StreamSummary?> ReadSummaryCoreAsync(string stream, CancellationToken cancellationToken);

    /// <summary>Reads a checkpoint with a valid name; null when never written.</summary>
    /// <param name="checkpointId">A valid name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    protected abstract ValueTask<StreamId?> ReadCheckpointCoreAsync(string checkpointId, CancellationToken cancellationToken);

    /// <summary>Stores a checkpoint with a valid name, replacing any earlier position.</summary>
    /// <param name="checkpointId">A valid name.</param>
    /// <param name="position">The position.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    protected abstract ValueTask WriteCheckpointCoreAsync(string checkpointId, StreamId position, CancellationToken cancellationToken);

    /// <summary>Called before a tail's first query, so a backend can make sure it will hear of appends (e.g. start listening).</summary>
    /// <param name="cancellationToken">Cancels the preparation.</param>
    protected virtual ValueTask PrepareTailAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Called each time a tail found nothing on <paramref name="stream"/> and is about to park, so a backend that
    /// announces appends only to watched streams can make sure this one is watched for the whole wait (the longest
    /// being <see cref="PollInterval"/>). Return true when the watch has just begun or been renewed: appends
    /// committed before it may have gone unannounced, so the tail re-checks before parking. The default watches
    /// nothing and returns false.
    /// </summary>
    /// <param name="stream">The stream the tail is about to park on.</param>
    /// <param name="cancellationToken">Cancels the preparation.</param>
    /// <returns>True when the tail must re-check before parking.</returns>
    protected virtual ValueTask<bool> WatchStreamAsync(string stream, CancellationToken cancellationToken) => ValueTask.FromResult(false);

    /// <summary>
    /// How long a parked tail waits for a signal before it re-checks anyway, after <paramref name="emptyChecks"/>
    /// consecutive empty checks with no signal; null (the default) waits for a signal or the tail's own timeout.
    /// A backend that cannot hear every append (SQLite, written by other processes) polls with this.
    /// </summary>
    /// <param name="emptyChecks">Consecutive unsignalled re-checks so far, from 0.</param>
    protected virtual TimeSpan? PollInterval(int emptyChecks) => null;

    /// <summary>Releases the backend's resources; called once by <see cref="DisposeAsync"/>.</summary>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    /// <summary>Wakes this log's tails parked on <paramref name="stream"/>. Call after the append is committed, outside any lock.</summary>
    /// <param name="stream">The stream appended to.</param>
    protected void NotifyAppended(string stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _notifier.Signal(stream);
    }

    /// <summary>Wakes every parked tail of this log to re-check (after notifications may have been missed).</summary>
    protected void NotifyAllStreams() => _notifier.SignalAll();

    /// <summary>Throws <see cref="ObjectDisposedException"/> after disposal.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>
    /// The log's clock as Unix milliseconds, at least 1: a clock at or before the Unix epoch reads as 1 ms, so every
    /// id is valid (no negative milliseconds) and none equals <see cref="StreamId.Min"/>, which a tail from the start
    /// would skip.
    /// </summary>
    protected long NowMilliseconds() => Math.Max(TimeProvider.GetUtcNow().ToUnixTimeMilliseconds(), 1);

    /// <summary>The id an append at <paramref name="nowMs"/> gets after <paramref name="last"/> (null for a new stream).</summary>
    /// <param name="last">The stream's last id, or null.</param>
    /// <param name="nowMs">The clock, Unix milliseconds.</param>
    protected static StreamId NextId(StreamId? last, long nowMs) =>
        last is not StreamId l ? new StreamId(Math.Max(nowMs, 1), 0)
        : nowMs > l.Milliseconds ? new StreamId(nowMs, 0)
        : l.Successor();

    /// <summary>Checks a stream name.</summary>
    /// <param name="stream">The name.</param>
    /// <exception cref="ArgumentNullException">It is null.</exception>
    /// <exception cref="ArgumentException">It is empty, longer than <see cref="MaxStreamNameLength"/>, or contains a control character or an unpaired surrogate.</exception>
    public static void ValidateStream(string stream) => ValidateName(stream, nameof(stream), "stream name");

    internal static void ValidateName(string value, string parameterName, string what)
    {
        ArgumentNullException.ThrowIfNull(value, parameterName);
        if (value.Length == 0)
        {
            throw new ArgumentException($"The {what} is empty.", parameterName);
        }

        if (value.Length > MaxStreamNameLength)
        {
            throw new ArgumentException(
                $"The {what} is {value.Length} characters long; at most {MaxStreamNameLength} are allowed.", parameterName);
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                throw new ArgumentException(
                    $"The {what} contains the control character U+{(int)c:X4}, which is not allowed.", parameterName);
            }

            // A lone surrogate would be stored as U+FFFD, so two different names could reach the same frames.
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new ArgumentException(
                    $"The {what} contains the unpaired surrogate U+{(int)c:X4} at index {i}; names must be well-formed UTF-16.", parameterName);
            }
        }
    }

    private static void ValidateMode(AppendMode mode)
    {
        if (mode is not (AppendMode.Durable or AppendMode.DurableSummary or AppendMode.BestEffortLive))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown append mode.");
        }
    }

    private static void ValidateVisibility(TailVisibility visibility)
    {
        if (visibility is not (TailVisibility.All or TailVisibility.ExcludeBestEffort))
        {
            throw new ArgumentOutOfRangeException(nameof(visibility), visibility, "Unknown tail visibility.");
        }
    }

    private static void ValidateBlock(TimeSpan block)
    {
        if (block < TimeSpan.Zero && block != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(block), block, "The block time must be zero or more, or Timeout.InfiniteTimeSpan.");
        }
    }

    private JsonNode? ParsePatch(ReadOnlyMemory<byte> payload, string paramName)
    {
        StorableJson.Validate(payload.Span, paramName);
        JsonNode? patch;
        try
        {
            patch = JsonNode.Parse(payload.Span);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"The {nameof(AppendMode.DurableSummary)} payload is not JSON: {e.Message}", paramName, e);
        }

        if (Options.RequireObjectSummaryPatch && patch is not JsonObject)
        {
            var kind = patch is null ? "null" : patch.GetValueKind().ToString().ToLowerInvariant();
            throw new ArgumentException(
                $"The {nameof(AppendMode.DurableSummary)} payload is a JSON {kind}, but this log requires an object merge patch " +
                $"({nameof(StreamLogOptions)}.{nameof(StreamLogOptions.RequireObjectSummaryPatch)}).", paramName);
        }

        return patch;
    }

    private async ValueTask<IReadOnlyList<StreamFrame>> TailLoopAsync(string stream, StreamId after, TimeSpan block, int limit, TailVisibility visibility, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        var token = linked.Token;
        try
        {
            await PrepareTailAsync(token).ConfigureAwait(false);
            var from = after.Successor();
            var start = TimeProvider.GetTimestamp();
            var emptyChecks = 0;
            while (true)
            {
                // Take the signal before querying: an append committed after the query still completes it.
                var signal = _notifier.GetSignal(stream);
                var frames = await ReadCoreAsync(stream, from, StreamId.Max, limit, visibility, token).ConfigureAwait(false);
                if (frames.Count > 0 || block == TimeSpan.Zero)
                {
                    return frames;
                }

                // A separate flag, not a comparison with InfiniteTimeSpan: an overshoot of exactly 1 ms would equal it.
                var forever = block == Timeout.InfiniteTimeSpan;
                var remaining = forever ? block : block - TimeProvider.GetElapsedTime(start);
                if (!forever && remaining <= TimeSpan.Zero)
                {
                    return frames;
                }

                if (await WatchStreamAsync(stream, token).ConfigureAwait(false))
                {
                    // An append committed before the watch began may not have been announced: look again first.
                    continue;
                }

                var wait = PollInterval(emptyChecks) is TimeSpan poll && (forever || poll < remaining) ? poll : remaining;
                if (wait > TimerLimits.LongestWait)
                {
                    // A block or a poll interval beyond what one timer can measure parks in steps; the loop re-checks after
                    // each. (Waiting forever is InfiniteTimeSpan, below every limit.)
                    wait = TimerLimits.LongestWait;
                }

                try
                {
                    await signal.WaitAsync(wait, TimeProvider, token).ConfigureAwait(false);
                    emptyChecks = 0;
                }
                catch (TimeoutException)
                {
                    emptyChecks++;
                }
            }
        }
        catch (OperationCanceledException) when (IsDisposed && !cancellationToken.IsCancellationRequested)
        {
            throw new ObjectDisposedException(GetType().FullName, "The stream log was disposed while a tail was waiting.");
        }
        catch (OperationCanceledException error) when (CallerCancellation.IsRenamed(error, cancellationToken))
        {
            // The tail waited on a token linked to the disposal.
            throw CallerCancellation.Rename(error, cancellationToken);
        }
    }

    private async IAsyncEnumerable<StreamFrame> TailForeverAsync(string stream, StreamId after, TailVisibility visibility, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cursor = after;
        while (true)
        {
            var frames = await TailLoopAsync(stream, cursor, Timeout.InfiniteTimeSpan, Options.MaxReadCount, visibility, cancellationToken).ConfigureAwait(false);
            foreach (var frame in frames)
            {
                cursor = frame.Id;
                yield return frame;

                // The token is looked at between frames too: a batch holds up to MaxReadCount of them, and a consumer
                // that cancels (a slow one, at shutdown) must not be handed the rest of it first. As ToAsyncEnumerable,
                // each MoveNextAsync after a cancellation throws.
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }
}
