namespace Reactive.Streams;

/// <summary>
/// A durable log of named streams of frames: appends get strictly increasing <see cref="StreamId"/>s per stream,
/// reads return inclusive id ranges in order, tails wait for frames after a cursor, and each stream can carry a
/// summary document maintained by JSON merge patches. Backends: <see cref="InMemoryStreamLog"/> (in Core), SQLite,
/// PostgreSQL and Redis/Valkey (their own packages). Every member is safe to call concurrently.
/// </summary>
/// <remarks>
/// Stream names are 1 to <see cref="StreamLog.MaxStreamNameLength"/> characters with no control characters and no
/// unpaired surrogates; any other text is allowed and is always passed to the database as a parameter. Bad input
/// throws before anything is written. Cancellation throws <see cref="OperationCanceledException"/>; an append
/// cancelled after it was sent may or may not have been committed. Calls after disposal throw
/// <see cref="ObjectDisposedException"/>.
/// </remarks>
public interface IStreamLog : IAsyncDisposable
{
    /// <summary>Appends one frame.</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="frame">The payload; for <see cref="AppendMode.DurableSummary"/>, UTF-8 JSON merge patch.</param>
    /// <param name="mode">How the frame is stored.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>The new id, the stream's frame count and its summary version.</returns>
    /// <exception cref="ArgumentException">The name is invalid, or a summary payload is not JSON (or not an object where
    /// <see cref="StreamLogOptions.RequireObjectSummaryPatch"/> requires one); nothing is written.</exception>
    ValueTask<AppendResult> AppendAsync(string stream, ReadOnlyMemory<byte> frame, AppendMode mode, CancellationToken cancellationToken = default);

    /// <summary>Appends many frames in one transaction: all or none are written, with consecutive ids.</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="frames">The payloads, at least one.</param>
    /// <param name="mode">How every frame is stored; for <see cref="AppendMode.DurableSummary"/> the patches apply in order.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>The first and last ids, the frame count and the summary version.</returns>
    /// <exception cref="ArgumentException">As for <see cref="AppendAsync(string, ReadOnlyMemory{byte}, AppendMode, CancellationToken)"/>, or the batch is empty; nothing is written.</exception>
    ValueTask<AppendBatchResult> AppendBatchAsync(string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends one frame carrying <paramref name="headers"/> (string keys to string values, such as the W3C trace
    /// context), stored with the frame and returned as <see cref="StreamFrame.Headers"/> by reads and tails.
    /// </summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="frame">The payload; for <see cref="AppendMode.DurableSummary"/>, UTF-8 JSON merge patch.</param>
    /// <param name="mode">How the frame is stored.</param>
    /// <param name="headers">The frame's headers; null or empty for none. The log copies them: later changes to the dictionary change nothing.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>The new id, the stream's frame count and its summary version.</returns>
    /// <exception cref="ArgumentException">As for <see cref="AppendAsync(string, ReadOnlyMemory{byte}, AppendMode, CancellationToken)"/>,
    /// or the headers break a rule of <see cref="FrameHeaders"/> (the message names the header); nothing is written.</exception>
    ValueTask<AppendResult> AppendAsync(string stream, ReadOnlyMemory<byte> frame, AppendMode mode, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken = default);

    /// <summary>Appends many frames, each with its own headers, in one transaction: all or none are written, with consecutive ids.</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="frames">The payloads, at least one.</param>
    /// <param name="mode">How every frame is stored; for <see cref="AppendMode.DurableSummary"/> the patches apply in order.</param>
    /// <param name="headers">
    /// One entry per frame, in the same order (null or empty for a frame without headers); or null for no headers on
    /// any frame.
    /// </param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>The first and last ids, the frame count and the summary version.</returns>
    /// <exception cref="ArgumentException">As for <see cref="AppendBatchAsync(string, IReadOnlyList{ReadOnlyMemory{byte}}, AppendMode, CancellationToken)"/>,
    /// or <paramref name="headers"/> has a different count than <paramref name="frames"/>, or an entry breaks a rule of
    /// <see cref="FrameHeaders"/> (the message names its index); nothing is written.</exception>
    ValueTask<AppendBatchResult> AppendBatchAsync(string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, CancellationToken cancellationToken = default);

    /// <summary>Reads frames with <paramref name="from"/> ≤ id ≤ <paramref name="to"/>, oldest first.</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="from">The first id (inclusive); <see cref="StreamId.Min"/> for the start.</param>
    /// <param name="to">The last id (inclusive); <see cref="StreamId.Max"/> for the end.</param>
    /// <param name="limit">The most frames to return, at least 1; capped by <see cref="StreamLogOptions.MaxReadCount"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The frames; empty when the stream does not exist or the range is empty.</returns>
    ValueTask<IReadOnlyList<StreamFrame>> ReadAsync(string stream, StreamId from, StreamId to, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns frames with ids after <paramref name="after"/>. When there are none it parks, holding no database
    /// connection, until an append to the stream is signalled or <paramref name="block"/> passes, then re-checks;
    /// a signal that brings nothing visible keeps it waiting.
    /// </summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="after">The cursor (exclusive): usually the last id the caller has seen; <see cref="StreamId.Min"/> for all.</param>
    /// <param name="block">How long to wait: <see cref="TimeSpan.Zero"/> to not wait, <see cref="Timeout.InfiniteTimeSpan"/> to wait until frames come.</param>
    /// <param name="limit">The most frames to return, at least 1; capped by <see cref="StreamLogOptions.MaxReadCount"/>.</param>
    /// <param name="visibility">Whether best-effort frames are returned.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The frames, oldest first; empty when <paramref name="block"/> passed with none.</returns>
    ValueTask<IReadOnlyList<StreamFrame>> TailAsync(string stream, StreamId after, TimeSpan block, int limit, TailVisibility visibility = TailVisibility.All, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tails the stream forever from <paramref name="after"/>: yields every visible frame once, in order, waiting as
    /// long as it takes. Ends only by cancellation (which throws <see cref="OperationCanceledException"/>) or an error.
    /// </summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="after">The cursor (exclusive).</param>
    /// <param name="visibility">Whether best-effort frames are returned. Best-effort frames trimmed before they are read are skipped.</param>
    /// <param name="cancellationToken">Stops the enumeration: the next <c>MoveNextAsync</c> after it is cancelled throws, even with frames of the last read not yet yielded.</param>
    IAsyncEnumerable<StreamFrame> TailAllAsync(string stream, StreamId after, TailVisibility visibility = TailVisibility.All, CancellationToken cancellationToken = default);

    /// <summary>Reads the stream's summary document.</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The summary, or null when no <see cref="AppendMode.DurableSummary"/> append was made to the stream.</returns>
    ValueTask<StreamSummary?> ReadSummaryAsync(string stream, CancellationToken cancellationToken = default);
}
