namespace Reactive.Streams;

/// <summary>
/// Named positions in a stream log, kept in the same backend as the log, so a consumer's progress is as durable as
/// the frames it read. Every <see cref="StreamLog"/> backend is one. Safe to call concurrently; the last write wins.
/// </summary>
public interface ICheckpointStore
{
    /// <summary>Reads a checkpoint.</summary>
    /// <param name="checkpointId">The checkpoint's name: 1 to <see cref="StreamLog.MaxStreamNameLength"/> characters, no control characters or unpaired surrogates.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The stored position, or null when the checkpoint was never written.</returns>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    ValueTask<StreamId?> ReadCheckpointAsync(string checkpointId, CancellationToken cancellationToken = default);

    /// <summary>Writes a checkpoint, replacing any earlier position (even a later one: moving back is allowed, for replays).</summary>
    /// <param name="checkpointId">The checkpoint's name: 1 to <see cref="StreamLog.MaxStreamNameLength"/> characters, no control characters or unpaired surrogates.</param>
    /// <param name="position">The position to store: usually the id of the last frame handled.</param>
    /// <param name="cancellationToken">Cancels the write; a write cancelled after it was sent may or may not be stored.</param>
    /// <exception cref="ArgumentException">The name is invalid; nothing is written.</exception>
    ValueTask WriteCheckpointAsync(string checkpointId, StreamId position, CancellationToken cancellationToken = default);
}
