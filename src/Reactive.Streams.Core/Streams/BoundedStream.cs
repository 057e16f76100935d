using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// A bounded, policy-governed stream of items between producers and consumers: the library's primary surface on its
/// one buffer engine. Any number of producers and consumers may use it concurrently; items are read in the order
/// they were accepted.
/// </summary>
/// <remarks>
/// <para>On overflow the stream applies its <see cref="Policy"/> (see <see cref="BackpressurePolicy"/>).
/// <see cref="TryPush"/> never waits and reports the outcome as a <see cref="PushResult"/>;
/// <see cref="PushAsync"/> awaits room under <see cref="BackpressurePolicy.PauseUpstream"/> and throws
/// <see cref="StreamOverflowException"/>, <see cref="StreamClosedException"/> or <see cref="MissingDegraderException"/>
/// for a rejected item, or an <see cref="InvalidOperationException"/> naming the stream, whose inner exception is the
/// degrader's, when the degrader threw. Every push path throws what an <see cref="BoundedStreamOptions{T}.OnDropped"/>
/// callback throws for the item the push evicted, after the push happened (it is counted as accepted), as the bounded
/// channel's <c>itemDropped</c> callback does.</para>
/// <para>Completion (<see cref="Complete"/>) stops writing, lets consumers drain what is buffered, then ends reading;
/// it wakes every waiting producer (which fails as closed) and consumer.</para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
public sealed class BoundedStream<T> : IMeteredStream
{
    private readonly BoundedBuffer<T> _buffer;

    /// <summary>Creates a stream from <paramref name="options"/>.</summary>
    /// <param name="options">The policy, capacity and optional settings.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public BoundedStream(BoundedStreamOptions<T> options)
        : this(options, BufferMode.SharedLane)
    {
    }

    /// <summary>A stream on the engine mode given (the tests run every mode through the stream's surface).</summary>
    internal BoundedStream(BoundedStreamOptions<T> options, BufferMode mode)
    {
        ArgumentNullException.ThrowIfNull(options);
        _buffer = BoundedBuffer.Create(options, mode);
    }

    internal BoundedBuffer<T> Buffer => _buffer;

    /// <summary>The stream's name (error messages and the <c>reactive_streams.stream.name</c> metric tag).</summary>
    public string Name => _buffer.Name;

    /// <summary>What happens when the buffer is full.</summary>
    public BackpressurePolicy Policy => _buffer.Policy;

    /// <summary>How many items the buffer holds.</summary>
    public int Capacity => _buffer.Capacity;

    /// <summary>How many items are buffered now.</summary>
    public int Depth => _buffer.Depth;

    /// <summary>Whether writing is over (<see cref="Complete"/> was called); buffered items may still be read.</summary>
    public bool IsCompleted => _buffer.IsCompleted;

    /// <summary>
    /// A task that completes once the stream is completed and every buffered item was read; it faults (or is cancelled)
    /// with the error the stream was completed with.
    /// </summary>
    public Task Completion => _buffer.Completion;

    /// <summary>
    /// Pushes <paramref name="item"/> without waiting; a rejection is a result, not an exception. On a full buffer the
    /// policy decides: DropOldest and DegradeQuality evict and accept, Fail returns <see cref="PushStatus.Overflow"/>,
    /// PauseUpstream returns <see cref="PushStatus.Full"/> (the caller keeps the item; nothing is counted). After
    /// completion the result is <see cref="PushStatus.Closed"/>.
    /// </summary>
    /// <param name="item">The item to push.</param>
    /// <returns>What happened to the item.</returns>
    /// <exception cref="Exception">Whatever <see cref="BoundedStreamOptions{T}.OnDropped"/> threw for the item this push
    /// evicted, as the bounded channel's <c>itemDropped</c> callback does: the push has happened and is counted.</exception>
    public PushResult TryPush(T item) => _buffer.TryPush(item);

    /// <summary>
    /// Pushes <paramref name="item"/>, waiting for room under PauseUpstream (up to the configured timeout).
    /// </summary>
    /// <param name="item">The item to push.</param>
    /// <param name="cancellationToken">Cancels a wait for room; the item is then rejected and counted.</param>
    /// <returns>A task that completes when the item (or its degraded form) is in the buffer.</returns>
    /// <exception cref="StreamOverflowException">Fail found the buffer full, or a PauseUpstream wait timed out.</exception>
    /// <exception cref="StreamClosedException">The stream is completed, or was completed while the push waited.</exception>
    /// <exception cref="MissingDegraderException">DegradeQuality overflowed with no degrader.</exception>
    /// <exception cref="InvalidOperationException">The degrader threw (it is the inner exception); the item was rejected and nothing was evicted.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask PushAsync(T item, CancellationToken cancellationToken = default) => _buffer.PushAsync(item, cancellationToken);

    /// <summary>
    /// Pushes <paramref name="item"/> from synchronous code (an observer's <c>OnNext</c>, a legacy callback), blocking the
    /// calling thread under PauseUpstream until there is room (up to the configured timeout). It is the same wait as
    /// <see cref="PushAsync"/>, with the same counting; the reader that makes room wakes the blocked thread directly.
    /// Do not call it on the thread that reads the stream: nothing would make room.
    /// </summary>
    /// <param name="item">The item to push.</param>
    /// <param name="cancellationToken">Cancels a wait for room; the item is then rejected and counted.</param>
    /// <exception cref="StreamOverflowException">Fail found the buffer full, or a PauseUpstream wait timed out.</exception>
    /// <exception cref="StreamClosedException">The stream is completed, or was completed while the push waited.</exception>
    /// <exception cref="MissingDegraderException">DegradeQuality overflowed with no degrader.</exception>
    /// <exception cref="InvalidOperationException">The degrader threw (it is the inner exception); the item was rejected and nothing was evicted.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public void Push(T item, CancellationToken cancellationToken = default) => _buffer.Push(item, cancellationToken);

    /// <summary>Reads the oldest buffered item without waiting.</summary>
    /// <param name="item">The item read, when the method returns true.</param>
    /// <returns>Whether an item was read.</returns>
    public bool TryRead([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T item) => _buffer.TryRead(out item);

    /// <summary>Reads the oldest item, waiting for one.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The item.</returns>
    /// <exception cref="StreamClosedException">The stream is completed and empty (the inner exception is the completion error, if any).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; or the stream was
    /// completed with an <see cref="OperationCanceledException"/> and is empty: that exception is thrown itself, not
    /// wrapped, as <c>ChannelReader.ReadAsync</c> throws it.</exception>
    public ValueTask<T> ReadAsync(CancellationToken cancellationToken = default) => _buffer.ReadAsync(cancellationToken);

    /// <summary>
    /// Waits until an item can be read (true) or the stream is completed and drained (false). If the stream was completed
    /// with an error, the returned task faults with it once drained.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether an item is available.</returns>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => _buffer.WaitToReadAsync(cancellationToken);

    /// <summary>
    /// Reads every item until the stream is completed and drained. Ends normally after a normal completion; throws the
    /// completion error after a faulted one. Several consumers may enumerate concurrently; each item goes to one of them.
    /// </summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The items, in order.</returns>
    public IAsyncEnumerable<T> ReadAllAsync(CancellationToken cancellationToken = default) => _buffer.ReadAllAsync(cancellationToken);

    /// <summary>Completes the stream; see <see cref="TryComplete"/>.</summary>
    /// <param name="error">An error to complete with, surfaced to readers after they drain the buffer.</param>
    /// <exception cref="InvalidOperationException">The stream was already completed.</exception>
    public void Complete(Exception? error = null)
    {
        if (!_buffer.TryComplete(error))
        {
            throw new InvalidOperationException($"Stream '{Name}' is already completed.");
        }
    }

    /// <summary>
    /// Completes the stream: pushes from now on fail as closed, waiting producers are released with
    /// <see cref="StreamClosedException"/>, readers drain what is buffered and then see the end (or <paramref name="error"/>).
    /// </summary>
    /// <param name="error">An error to complete with, surfaced to readers after they drain the buffer.</param>
    /// <returns>False if the stream was already completed.</returns>
    public bool TryComplete(Exception? error = null) => _buffer.TryComplete(error);

    /// <summary>A snapshot of the stream's counters and depth, conserved whenever no push or read is in flight (<see cref="StreamMetricsSnapshot"/>).</summary>
    /// <returns>The snapshot.</returns>
    public StreamMetricsSnapshot GetMetrics() => _buffer.GetMetrics();

    /// <summary>Turns a rejected <see cref="PushResult"/> into the exception a throwing path would have raised.</summary>
    /// <param name="result">A result whose <see cref="PushResult.IsAccepted"/> is false.</param>
    /// <returns>The exception describing the rejection.</returns>
    /// <exception cref="ArgumentException"><paramref name="result"/> is accepted (<see cref="PushResult.IsAccepted"/>): an
    /// accepted push has no exception.</exception>
    public Exception CreateException(PushResult result) => _buffer.CreateException(result);

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Policy}, {Depth}/{Capacity})";
}

/// <summary>Factories for <see cref="BoundedStream{T}"/>, one per policy.</summary>
public static class BoundedStream
{
    /// <summary>Creates a stream from <paramref name="options"/>.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="options">The policy, capacity and optional settings.</param>
    /// <returns>The stream.</returns>
    public static BoundedStream<T> Create<T>(BoundedStreamOptions<T> options) => new(options);

    /// <summary>Creates a <see cref="BackpressurePolicy.DropOldest"/> stream with a generated name.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <returns>The stream.</returns>
    public static BoundedStream<T> DropOldest<T>(int capacity) => new(new BoundedStreamOptions<T>(BackpressurePolicy.DropOldest, capacity));

    /// <summary>Creates a named <see cref="BackpressurePolicy.DropOldest"/> stream.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="name">The stream's name.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static BoundedStream<T> DropOldest<T>(int capacity, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(new BoundedStreamOptions<T>(BackpressurePolicy.DropOldest, capacity) { Name = name });
    }

    /// <summary>Creates a <see cref="BackpressurePolicy.DegradeQuality"/> stream with a generated name.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="degrader">The pure function applied to a new item on overflow.</param>
    /// <returns>The stream.</returns>
    public static BoundedStream<T> DegradeQuality<T>(int capacity, Func<T, T> degrader)
    {
        ArgumentNullException.ThrowIfNull(degrader);
        return new(new BoundedStreamOptions<T>(BackpressurePolicy.DegradeQuality, capacity) { Degrader = degrader });
    }

    /// <summary>Creates a named <see cref="BackpressurePolicy.DegradeQuality"/> stream.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="degrader">The pure function applied to a new item on overflow.</param>
    /// <param name="name">The stream's name.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="degrader"/> or <paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static BoundedStream<T> DegradeQuality<T>(int capacity, Func<T, T> degrader, string name)
    {
        ArgumentNullException.ThrowIfNull(degrader);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(new BoundedStreamOptions<T>(BackpressurePolicy.DegradeQuality, capacity) { Degrader = degrader, Name = name });
    }

    /// <summary>Creates a <see cref="BackpressurePolicy.PauseUpstream"/> stream with a generated name.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="timeout">How long a push may wait for room (measured on <see cref="TimeProvider.System"/>); null waits forever.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or <paramref name="timeout"/> is negative (other than <see cref="Timeout.InfiniteTimeSpan"/>) or too long for a timer.</exception>
    public static BoundedStream<T> PauseUpstream<T>(int capacity, TimeSpan? timeout = null)
    {
        BoundedStreamOptions<T>.ValidatePauseTimeout(timeout, nameof(timeout));
        return new(new BoundedStreamOptions<T>(BackpressurePolicy.PauseUpstream, capacity) { PauseTimeout = timeout });
    }

    /// <summary>Creates a named <see cref="BackpressurePolicy.PauseUpstream"/> stream.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="timeout">How long a push may wait for room (measured on <see cref="TimeProvider.System"/>); null waits forever.</param>
    /// <param name="name">The stream's name.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or <paramref name="timeout"/> is negative (other than <see cref="Timeout.InfiniteTimeSpan"/>) or too long for a timer.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static BoundedStream<T> PauseUpstream<T>(int capacity, TimeSpan? timeout, string name)
    {
        BoundedStreamOptions<T>.ValidatePauseTimeout(timeout, nameof(timeout));
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(new BoundedStreamOptions<T>(BackpressurePolicy.PauseUpstream, capacity) { PauseTimeout = timeout, Name = name });
    }

    /// <summary>Creates a <see cref="BackpressurePolicy.Fail"/> stream with a generated name.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <returns>The stream.</returns>
    public static BoundedStream<T> Fail<T>(int capacity) => new(new BoundedStreamOptions<T>(BackpressurePolicy.Fail, capacity));

    /// <summary>Creates a named <see cref="BackpressurePolicy.Fail"/> stream.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="name">The stream's name.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static BoundedStream<T> Fail<T>(int capacity, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(new BoundedStreamOptions<T>(BackpressurePolicy.Fail, capacity) { Name = name });
    }
}
