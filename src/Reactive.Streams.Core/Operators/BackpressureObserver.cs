using System.Reactive.Concurrency;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// An <see cref="IObserver{T}"/> that buffers what it is given under a backpressure policy and hands it to an
/// asynchronous handler, one item at a time and in order: the observer form of
/// <see cref="ObservableBackpressureExtensions.SubscribeAsync{T}(IObservable{T}, Func{T, CancellationToken, ValueTask}, BoundedStreamOptions{T}, IScheduler?)"/>,
/// for a consumer that is handed to <c>Subscribe</c> (or to several sources) instead of subscribing itself. The generated
/// sinks' <c>Observer</c> is one.
/// </summary>
/// <remarks>
/// <para>It behaves as <c>SubscribeAsync</c>'s consumer, with the same buffer, the same handler loop and the same
/// outcomes; only the upstream subscription is the caller's. <see cref="OnNext"/> never runs the handler and never
/// throws, except what the options' <see cref="BoundedStreamOptions{T}.OnDropped"/> callback throws (that reaches the
/// pusher, after the push has happened, on every surface): it pushes into the buffer under the policy. DropOldest and DegradeQuality evict the oldest buffered item;
/// PauseUpstream blocks the calling thread until the handler has taken an item (a call from inside the handler, before
/// or after an await, would deadlock, so it fails the observer with an <see cref="InvalidOperationException"/> naming
/// the stream instead; a timeout fails it with <see cref="StreamOverflowException"/>); Fail, a missing degrader or a
/// degrader that throws fail it with the overflow or degrader error. A failure is reported through
/// <see cref="Completion"/> after the items buffered before it were handled, as an <see cref="OnError"/> is; the
/// observer then ignores further calls, as the Rx grammar lets a terminated observer do (<see cref="IsStopped"/> tells
/// a producer that needs to know).</para>
/// <para>A handler that throws faults <see cref="Completion"/> at once and ends the observer: buffered items are not
/// handled and blocked producers are released. Disposal cancels the token passed to the running handler, releases
/// blocked producers and starts no further handler; <see cref="Completion"/> then completes successfully once the
/// running handler has returned (an <see cref="OperationCanceledException"/> it throws for that token is not an
/// error).</para>
/// <para>Concurrent <see cref="OnNext"/> calls are safe (the observer may be subscribed to several sources), although
/// the Rx grammar serializes them for one source.</para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
public class BackpressureObserver<T> : IObserver<T>, IDisposable, IAsyncDisposable, IMeteredStream
{
    private readonly SubscribeAsyncSink<T> _sink;

    /// <summary>Creates the observer and readies its handler loop; it handles what it is given from the first <see cref="OnNext"/>.</summary>
    /// <param name="handler">Handles one item; receives a token cancelled when the observer is disposed.</param>
    /// <param name="options">The buffer's policy, capacity, name, degrader, eviction callback, clock and PauseUpstream timeout.</param>
    /// <param name="scheduler">Where the handler loop starts each time items arrive in an empty buffer (after an await it
    /// continues where the handler's task completed). Default: <see cref="DefaultScheduler.Instance"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> or <paramref name="options"/> is null.</exception>
    public BackpressureObserver(Func<T, CancellationToken, ValueTask> handler, BoundedStreamOptions<T> options, IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);

        // The shared lane, not SubscribeAsync's single-producer lane: nothing here guarantees one producer at a time.
        _sink = new SubscribeAsyncSink<T>(BoundedBuffer.Create(options, BufferMode.SharedLane), handler, scheduler ?? DefaultScheduler.Instance);
        _sink.Start();
    }

    /// <inheritdoc/>
    public string Name => _sink.Name;

    /// <inheritdoc/>
    public BackpressurePolicy Policy => _sink.Policy;

    /// <inheritdoc/>
    public int Capacity => _sink.Capacity;

    /// <summary>How many items wait in the buffer now.</summary>
    public int Depth => _sink.Buffer.Depth;

    /// <summary>
    /// Whether the observer takes no more items: it was completed, failed (an overflow under Fail, a degrader error, a
    /// PauseUpstream timeout, a handler's exception) or disposed. <see cref="OnNext"/> then ignores what it is given.
    /// </summary>
    public bool IsStopped => _sink.IsStopped;

    /// <summary>
    /// Completes when the observer was completed and every buffered item was handled, or when it was disposed and the
    /// running handler has returned. Faults with the handler's exception, with the error given to <see cref="OnError"/>
    /// (after the items buffered before it were handled), or with the stream's overflow or degrader error.
    /// </summary>
    public Task Completion => _sink.Completion;

    /// <inheritdoc/>
    public StreamMetricsSnapshot GetMetrics() => _sink.GetMetrics();

    /// <summary>Pushes <paramref name="value"/> into the buffer under the policy; ignored once the observer has stopped.</summary>
    /// <param name="value">The item.</param>
    /// <remarks>Throws only what the options' <see cref="BoundedStreamOptions{T}.OnDropped"/> callback throws for an
    /// item it evicted; <paramref name="value"/> has been buffered then, and the observer goes on.</remarks>
    public void OnNext(T value) => _sink.OnNext(value);

    /// <summary>Ends the stream with <paramref name="error"/>: what is buffered is still handled, then <see cref="Completion"/> faults with it.</summary>
    /// <param name="error">The upstream error (an <see cref="ArgumentNullException"/> when null).</param>
    public void OnError(Exception error) => _sink.OnError(error);

    /// <summary>Ends the stream: what is buffered is still handled, then <see cref="Completion"/> completes.</summary>
    public void OnCompleted() => _sink.OnCompleted();

    /// <summary>
    /// Stops the observer: cancels the running handler's token, releases blocked producers; no handler starts
    /// afterwards and buffered items are not handled. Idempotent; does not wait for the running handler.
    /// </summary>
    /// <exception cref="AggregateException">A callback registered on the handler's token threw when it was cancelled
    /// (as from <see cref="CancellationTokenSource.Cancel()"/>); thrown once the observer has stopped.</exception>
    public void Dispose()
    {
        GC.SuppressFinalize(this);
        _sink.Dispose();
    }

    /// <summary>Disposes, then waits until the running handler has returned. Never throws the observer's error.</summary>
    /// <remarks>
    /// Called from inside the handler (or work it started), it cannot wait for the handler to return, since it runs in
    /// it: it stops the observer and completes without waiting; <see cref="Completion"/> completes once the handler has
    /// returned. Awaiting <see cref="Completion"/> from inside the handler would wait for itself.
    /// </remarks>
    /// <returns>A task that completes when the observer has stopped.</returns>
    /// <exception cref="AggregateException">A callback registered on the handler's token threw when it was cancelled
    /// (as from <see cref="CancellationTokenSource.Cancel()"/>); thrown once the observer has stopped.</exception>
    public async ValueTask DisposeAsync()
    {
        try
        {
            Dispose();
        }
        finally
        {
            if (!_sink.IsInHandler)
            {
                await Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
