using System.Runtime.CompilerServices;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>How a <see cref="DrainLoop"/> pass ended.</summary>
internal enum DrainEnd
{
    /// <summary>The buffer was empty and open, and the consumer chose to wait for the next push (it armed its read signal).</summary>
    Idle,

    /// <summary>Writing is over and every buffered item was delivered: the consumer delivers its terminal notification.</summary>
    Completed,

    /// <summary>The consumer stopped (disposed, cancelled or faulted) before the buffer was drained.</summary>
    Stopped,
}

/// <summary>A push-driven consumer of a buffer, as <see cref="DrainLoop.RunAsync{T}"/> drives it.</summary>
/// <typeparam name="T">The item type.</typeparam>
internal interface IDrainTarget<T>
{
    /// <summary>Whether the consumer has stopped; looked at before every read.</summary>
    bool IsStopped { get; }

    /// <summary>
    /// Hands <paramref name="count"/> items, read in order, to the consumer. Completes synchronously for an observer; an
    /// async handler may complete later, and the next read waits for it (one call at a time, in order).
    /// </summary>
    ValueTask DeliverAsync(T[] batch, int count);

    /// <summary>
    /// The buffer is empty and open. Returns true to read again (the consumer spun or parked, and something may have
    /// arrived), false to end the pass as <see cref="DrainEnd.Idle"/> (the consumer armed its read signal, so the next push
    /// starts the next pass).
    /// </summary>
    bool OnEmpty();
}

/// <summary>
/// The one drain loop of the library's push-driven consumers: the Rx policy operators (scheduled and long-running),
/// <c>SubscribeAsync</c> and the bridge from a <see cref="BoundedStream{T}"/> to an observer. It reads in batches until
/// the buffer is empty, and decides when an empty read is final; a consumer adds only how it delivers and how it waits.
/// </summary>
internal static class DrainLoop
{
    private const int MaxBatch = 128;
    private const int CapacityPerBatchItem = 8;

    /// <summary>
    /// How many items a consumer reads at once from a buffer of <paramref name="capacity"/>: an eighth of it, at most 128,
    /// and one below a capacity of 16.
    /// </summary>
    /// <remarks>
    /// An item read has left the buffer: while a slow consumer works through its batch, the producer finds that much room
    /// beyond the capacity, DropOldest and DegradeQuality can evict only what is still buffered (stale items read ahead
    /// are handled while newer ones are dropped), and the depth no longer counts them. Keeping the batch an eighth of the
    /// capacity bounds that read-ahead to a small share of it, and a small buffer, where one item is a large share, is
    /// read one item at a time, as a channel reader reads. Reading one item at a time at every capacity cost a fast
    /// consumer under PauseUpstream 3-5 times its time per item (LaneModeBenchmarks, SubscribeAsync at capacity 1024:
    /// every read woke the parked producer for one item of room): batches are where the operators' speed over
    /// ObserveOn comes from.
    /// </remarks>
    public static int BatchLength(int capacity) => Math.Clamp(capacity / CapacityPerBatchItem, 1, MaxBatch);

    /// <summary>
    /// Drains <paramref name="buffer"/> into <paramref name="target"/> until the buffer is empty and the target waits, the
    /// buffer is completed and drained, or the target stops. Runs synchronously, and returns a completed task, when every
    /// delivery completes synchronously.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<DrainEnd> RunAsync<T>(BoundedBuffer<T> buffer, T[] batch, IDrainTarget<T> target)
    {
        while (!target.IsStopped)
        {
            // Completion is read before the read: if it was over then, an empty read is final (items pushed between an
            // empty read and a later completion check would otherwise be left behind).
            var completed = buffer.IsCompleted;
            var count = buffer.TryReadMany(batch);
            if (count > 0)
            {
                var delivering = target.DeliverAsync(batch, count);
                if (delivering.IsCompletedSuccessfully)
                {
                    delivering.GetAwaiter().GetResult();
                }
                else
                {
                    await delivering.ConfigureAwait(false);
                }

                continue;
            }

            if (completed)
            {
                return DrainEnd.Completed;
            }

            if (!target.OnEmpty())
            {
                return DrainEnd.Idle;
            }
        }

        return DrainEnd.Stopped;
    }

    /// <summary>
    /// <see cref="RunAsync{T}"/> for a target whose deliveries complete synchronously (an observer): the pass runs on this
    /// thread, and an exception thrown by the observer propagates from here, as from Rx's own drains.
    /// </summary>
    public static DrainEnd Run<T>(BoundedBuffer<T> buffer, T[] batch, IDrainTarget<T> target)
    {
        var pass = RunAsync(buffer, batch, target);
        System.Diagnostics.Debug.Assert(pass.IsCompleted, "A synchronous target's pass completes synchronously.");
        return pass.GetAwaiter().GetResult();
    }
}
