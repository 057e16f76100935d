namespace Reactive.Streams;

/// <summary>
/// A destination of a <see cref="DeliveryDispatcher{T}"/>: a file, a webhook, a queue. The dispatcher gives each sink
/// its own bounded queue and one worker, so <see cref="WriteAsync"/> is never called concurrently for one sink and
/// items arrive in dispatch order (a retried item is retried before the next one is written). Concurrent dispatches may
/// enter two sinks' queues in different orders; each sink sees the order of its own queue.
/// </summary>
/// <remarks>
/// <para>Completing <see cref="WriteAsync"/> successfully means the item is committed (durably, for an at-least-once
/// pipeline): only then may the item's acknowledgement fire. Throwing means it is not: a
/// <see cref="PermanentDeliveryException"/> (or an exception the configured classifier calls permanent) goes straight
/// to the dead-letter sink; any other exception is retried with capped exponential backoff.</para>
/// <para>The <see cref="CancellationToken"/> is cancelled only when <see cref="DeliveryDispatcher{T}.ShutdownAsync"/>
/// gives up draining; a write that then throws <see cref="OperationCanceledException"/> leaves its item unacknowledged.
/// A sink that ignores the token delays the end of the shutdown.</para>
/// <para>Sinks that write whole batches at a time implement <see cref="IBatchDeliverySink{T}"/> as well.</para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
public interface IDeliverySink<in T>
{
    /// <summary>
    /// The sink's name: unique within a dispatcher; used in logs, dead letters and as the <c>reactive_streams.sink.name</c> metric tag.
    /// </summary>
    string Name { get; }

    /// <summary>Writes and commits one item.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancelled when the dispatcher's shutdown stops waiting for this sink.</param>
    /// <returns>A task that completes once the item is committed, or faults if it is not.</returns>
    ValueTask WriteAsync(T item, CancellationToken cancellationToken);

    /// <summary>
    /// The queue settings the sink declares for itself (a generated sink's <c>[Backpressure]</c> policy and capacity), or
    /// null (the default) for none. The dispatcher takes each value left null in the options given with
    /// <see cref="DeliveryOptions{T}.AddSink"/> from here, and then from its own options.
    /// </summary>
    DeliverySinkOptions? Options => null;
}

/// <summary>
/// A batch-oriented <see cref="IDeliverySink{T}"/>: the dispatcher's worker hands it up to <c>MaxBatch</c> items at a
/// time through <see cref="WriteBatchAsync"/> and never calls <see cref="IDeliverySink{T}.WriteAsync"/>. The batch
/// succeeds, is retried or is dead-lettered as a whole. As the dead-letter sink
/// (<see cref="DeliveryOptions{T}.DeadLetterSink"/>) it is written one dead letter at a time, through
/// <see cref="IDeliverySink{T}.WriteAsync"/>.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public interface IBatchDeliverySink<in T> : IDeliverySink<T>
{
    /// <summary>Writes and commits a batch of items, all or nothing.</summary>
    /// <param name="items">The items, in dispatch order; never empty. The list is reused by the dispatcher once the
    /// returned task completes, so the sink must not keep it.</param>
    /// <param name="cancellationToken">Cancelled when the dispatcher's shutdown stops waiting for this sink.</param>
    /// <returns>A task that completes once every item is committed, or faults if the batch is not.</returns>
    ValueTask WriteBatchAsync(IReadOnlyList<T> items, CancellationToken cancellationToken);
}
