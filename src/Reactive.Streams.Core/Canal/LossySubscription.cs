using Reactive.Streams.Canal;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// A live, lossy view over a <see cref="BoundedStream{T}"/> or an <see cref="IObservable{T}"/>: under pressure it skips
/// items (the stream's DropOldest or DegradeQuality policy evicts them) and reports how many in <see cref="Skipped"/>.
/// Pulls return what is live; nothing is replayed. As every surface of the engine, it is an <see cref="IMeteredStream"/>:
/// <see cref="GetMetrics"/> is the snapshot of the buffer it reads (its own over an observable, the stream's over a stream).
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class LossySubscription<T> : ICanal<T>, IRequeueCanal<T>, IDisposable, IMeteredStream
{
    private readonly BoundedBuffer<T> _buffer;
    private readonly BufferPuller<T> _puller;
    private readonly long _skippedAtStart;
    private IDisposable? _subscription;

    internal LossySubscription(BoundedBuffer<T> buffer, TimeProvider timeProvider)
    {
        _buffer = buffer;
        var metrics = buffer.GetMetrics();
        _skippedAtStart = metrics.ItemsEvicted + metrics.ItemsFailed;
        _puller = new BufferPuller<T>(buffer, timeProvider, buffer.Name);
    }

    /// <summary>The canal's name (its stream's name).</summary>
    public string Name => _buffer.Name;

    /// <summary>The policy of the buffer the canal reads: DropOldest over an observable, the stream's over a stream.</summary>
    public BackpressurePolicy Policy => _buffer.Policy;

    /// <summary>The capacity of the buffer the canal reads.</summary>
    public int Capacity => _buffer.Capacity;

    /// <summary>
    /// A snapshot of the counters of the buffer the canal reads: the canal's own over an observable (its pulls are the
    /// items delivered; a disposed canal keeps its counts, and its depth the items it was left holding, although the
    /// meter no longer counts them in its series' depth), the stream's over a stream (the same
    /// snapshot as <see cref="BoundedStream{T}.GetMetrics"/>, every reader of the stream included).
    /// </summary>
    /// <returns>The snapshot.</returns>
    public StreamMetricsSnapshot GetMetrics() => _buffer.GetMetrics();

    /// <summary>Items skipped since the subscription started: evicted or rejected by the stream's policy.</summary>
    public long Skipped
    {
        get
        {
            var metrics = _buffer.GetMetrics();
            return metrics.ItemsEvicted + metrics.ItemsFailed - _skippedAtStart;
        }
    }

    /// <inheritdoc />
    public ValueTask<CanalBatch<T>> PullBatchAsync(int max, TimeSpan deadline, CancellationToken cancellationToken = default) =>
        _puller.PullBatchAsync(max, deadline, CanalLinger.None, cancellationToken);

    /// <inheritdoc />
    public ValueTask<CanalBatch<T>> PullBatchAsync(int max, TimeSpan deadline, CanalLinger linger, CancellationToken cancellationToken = default) =>
        _puller.PullBatchAsync(max, deadline, linger, cancellationToken);

    /// <summary>Keeps the source's subscription, made once the canal exists, so that disposing the canal unsubscribes.</summary>
    internal void Attach(IDisposable subscription) => _subscription = subscription;

    void IRequeueCanal<T>.Requeue(CanalBatch<T> batch) => _puller.Requeue(batch);

    /// <summary>
    /// Disposes the subscription synchronously: blocks until <see cref="DisposeAsync"/> has finished. Prefer
    /// <c>await using</c>; this is for <c>using</c> and for a dependency-injection container disposed synchronously.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Stops the subscription (an observable source is unsubscribed). A pull parked at that moment returns the items it
    /// had taken, or fails with <see cref="CanalClosedException"/> if it had none; later pulls fail with it.
    /// </summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        if (_subscription is { } subscription)
        {
            // The buffer is this canal's own (made for the observable): what it holds now waits for no one, so it leaves
            // the meter's depth. A stream the app passed in is the app's, and stays as it is.
            subscription.Dispose();
            _buffer.EndMetering();
        }

        _puller.Dispose();
        return default;
    }
}

/// <summary>Factories for <see cref="LossySubscription{T}"/>.</summary>
public static class LossySubscription
{
    /// <summary>
    /// A lossy canal reading from <paramref name="stream"/>. The stream's policy decides what is skipped under pressure;
    /// the canal does not complete the stream when disposed.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="stream">The stream to read.</param>
    /// <param name="timeProvider">The clock for pull deadlines; <see cref="TimeProvider.System"/> if null.</param>
    /// <returns>The canal.</returns>
    public static LossySubscription<T> Create<T>(BoundedStream<T> stream, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new LossySubscription<T>(stream.Buffer, timeProvider ?? TimeProvider.System);
    }

    /// <summary>
    /// A lossy canal subscribed to <paramref name="source"/> through a DropOldest buffer of <paramref name="capacity"/>:
    /// when the consumer falls behind, the oldest items are skipped. The source's completion closes the canal once
    /// drained; its error is the inner exception of the <see cref="CanalClosedException"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The observable to subscribe to.</param>
    /// <param name="capacity">How many unread items to keep; at least 1.</param>
    /// <param name="timeProvider">The clock for pull deadlines; <see cref="TimeProvider.System"/> if null.</param>
    /// <param name="name">The canal's name; generated if null. It must not be empty.</param>
    /// <returns>The canal.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static LossySubscription<T> Create<T>(IObservable<T> source, int capacity, TimeProvider? timeProvider = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var options = new BoundedStreamOptions<T>(BackpressurePolicy.DropOldest, capacity);
        if (name is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            options = new BoundedStreamOptions<T>(BackpressurePolicy.DropOldest, capacity) { Name = name };
        }

        var buffer = new LockedBuffer<T>(options);

        // The canal first, then the subscription: a source that emits while it is being subscribed (Observable.Range, a
        // ReplaySubject) skips items already, and those count in Skipped too.
        var canal = new LossySubscription<T>(buffer, timeProvider ?? TimeProvider.System);
        canal.Attach(source.Subscribe(
            item => buffer.TryPush(item),
            error => buffer.TryComplete(error),
            () => buffer.TryComplete(null)));
        return canal;
    }
}
