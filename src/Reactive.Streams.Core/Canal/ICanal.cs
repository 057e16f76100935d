namespace Reactive.Streams;

/// <summary>
/// Pull-batch consumption: a consumer asks for up to <c>max</c> items and gets them as soon as at least one is there,
/// with whatever else is ready; it waits at most a deadline when nothing is. One consumer pulls at a time.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public interface ICanal<T> : IAsyncDisposable
{
    /// <summary>
    /// Returns as soon as at least one item is there, with every other item that is ready without waiting, up to
    /// <paramref name="max"/>; when none is, waits up to <paramref name="deadline"/> (measured on the canal's clock from
    /// the call) and returns <see cref="CanalBatch{T}.Empty"/> if none came. A zero deadline never waits.
    /// </summary>
    /// <param name="max">The most items to return; at least 1.</param>
    /// <param name="deadline">How long to wait when no item is there; zero or positive.</param>
    /// <param name="cancellationToken">
    /// Cancels the pull with an <see cref="OperationCanceledException"/>. Items the pull had already taken are not lost:
    /// the next pull on the same canal returns them first.
    /// </param>
    /// <returns>The batch.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="max"/> is below 1 or <paramref name="deadline"/> is negative.</exception>
    /// <exception cref="CanalClosedException">The canal is closed (its source ended and was drained, or it was disposed).</exception>
    /// <exception cref="InvalidOperationException">Another pull on the same canal is in progress.</exception>
    ValueTask<CanalBatch<T>> PullBatchAsync(int max, TimeSpan deadline, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="PullBatchAsync(int, TimeSpan, CancellationToken)"/>, but once the pull holds items it keeps waiting
    /// for more as <paramref name="linger"/> says (a minimum batch, a fill time), never past <paramref name="deadline"/>.
    /// </summary>
    /// <param name="max">The most items to return; at least 1.</param>
    /// <param name="deadline">The longest the whole pull waits; zero or positive.</param>
    /// <param name="linger">How long a pull holding items waits for a fuller batch; <see cref="CanalLinger.None"/> returns at once.</param>
    /// <param name="cancellationToken">
    /// Cancels the pull with an <see cref="OperationCanceledException"/>. Items the pull had already taken are not lost:
    /// the next pull on the same canal returns them first.
    /// </param>
    /// <returns>The batch.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="max"/> is below 1 or <paramref name="deadline"/> is negative.</exception>
    /// <exception cref="CanalClosedException">The canal is closed (its source ended and was drained, or it was disposed).</exception>
    /// <exception cref="InvalidOperationException">Another pull on the same canal is in progress.</exception>
    ValueTask<CanalBatch<T>> PullBatchAsync(int max, TimeSpan deadline, CanalLinger linger, CancellationToken cancellationToken = default);
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
    /// <exception cref="ArgumentNullException"><paramref name="canalName"/> is null.</exception>
    public CanalClosedException(string canalName, Exception? innerException = null)
        : base($"Canal '{canalName}' is closed.", innerException)
    {
        ArgumentNullException.ThrowIfNull(canalName);
        CanalName = canalName;
    }

    /// <summary>The canal's name.</summary>
    public string CanalName { get; }
}
