namespace Reactive.Streams;

/// <summary>
/// Pull-batch consumption: a consumer asks for up to <c>max</c> items and gets them as soon as that many are ready, or
/// whatever arrived when the deadline passes. One consumer pulls at a time.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public interface ICanal<T> : IAsyncDisposable
{
    /// <summary>
    /// Returns as soon as <paramref name="max"/> items are ready, or when <paramref name="deadline"/> (measured on the
    /// canal's clock from the call) passes, with whatever arrived: <see cref="CanalBatch{T}.Empty"/> if nothing did.
    /// A zero deadline never waits.
    /// </summary>
    /// <param name="max">The most items to return; at least 1.</param>
    /// <param name="deadline">How long to wait for items; zero or positive.</param>
    /// <param name="cancellationToken">Cancels the wait; items already taken are not lost (they are returned by the next pull where the canal can keep them, and redelivered from the checkpoint otherwise).</param>
    /// <returns>The batch.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="max"/> is below 1 or <paramref name="deadline"/> is negative.</exception>
    /// <exception cref="CanalClosedException">The canal is closed (its source ended and was drained, or it was disposed).</exception>
    /// <exception cref="InvalidOperationException">Another pull on the same canal is in progress.</exception>
    ValueTask<CanalBatch<T>> PullBatchAsync(int max, TimeSpan deadline, CancellationToken cancellationToken = default);
}

/// <summary>A canal whose progress is committed after a batch is handled (at-least-once consumption).</summary>
/// <typeparam name="T">The item type.</typeparam>
public interface ICommittableCanal<T> : ICanal<T>
{
    /// <summary>
    /// Records that every item up to and including <paramref name="handled"/> was handled, so a restart does not
    /// deliver them again.
    /// </summary>
    /// <param name="handled">The last handled item of a batch returned by this canal.</param>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>A task that completes when the progress is durable.</returns>
    ValueTask CommitAsync(T handled, CancellationToken cancellationToken = default);
}

/// <summary>A pull reached a closed canal: its source ended and was drained, or the canal was disposed.</summary>
public sealed class CanalClosedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="canalName">The canal's name.</param>
    /// <param name="innerException">The error its source ended with, if any.</param>
    public CanalClosedException(string canalName, Exception? innerException = null)
        : base($"Canal '{canalName}' is closed.", innerException)
    {
        CanalName = canalName;
    }

    /// <summary>The canal's name.</summary>
    public string CanalName { get; }
}
