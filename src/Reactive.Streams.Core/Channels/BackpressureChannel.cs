using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// Creates <see cref="Channel{T}"/>s whose writer follows a backpressure policy, on the same engine as
/// <see cref="BoundedStream{T}"/>, so code written against <see cref="ChannelReader{T}"/>/<see cref="ChannelWriter{T}"/>
/// gets all four policies (Channels alone has no DegradeQuality) and per-stream metrics.
/// </summary>
/// <remarks>
/// Writer semantics per policy: <c>TryWrite</c> returns true when the item (or its degraded form) was accepted, false
/// when it was rejected (Fail overflow, completed channel, missing or throwing degrader) or when a PauseUpstream buffer
/// is full. <c>WriteAsync</c> waits for room under PauseUpstream and throws <see cref="StreamOverflowException"/>,
/// <see cref="MissingDegraderException"/> or, after completion, <see cref="ChannelClosedException"/> (the platform's own
/// type, as <c>Channel.CreateBounded</c> throws, with the completion error inside) for a rejected item, or an <see cref="InvalidOperationException"/> whose inner exception is the degrader's when the
/// degrader threw. <c>WaitToWriteAsync</c> waits for room under PauseUpstream and Fail, and under DegradeQuality without a
/// degrader (a write to its full buffer is rejected), and returns true at once under DropOldest and DegradeQuality
/// with a degrader. Reading after completion of an empty channel throws
/// <see cref="ChannelClosedException"/> from <c>ReadAsync</c>, and <c>WaitToReadAsync</c> returns false; a reader that
/// learns the end either way (or from the end of <c>ReadAllAsync</c>) finds <c>Reader.Completion</c> already complete.
/// </remarks>
public static class BackpressureChannel
{
    /// <summary>Creates a policy channel from <paramref name="options"/>.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="options">The policy, capacity and optional settings.</param>
    /// <returns>The channel.</returns>
    public static Channel<T> Create<T>(BoundedStreamOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Create(options, BufferMode.SharedLane);
    }

    /// <summary>A policy channel on the engine mode given (the tests run every mode through the channel's surface).</summary>
    internal static Channel<T> Create<T>(BoundedStreamOptions<T> options, BufferMode mode) =>
        new PolicyChannel<T>(BoundedBuffer.Create(options, mode).ForChannel());

    /// <summary>Creates a policy channel.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="policy">What happens when the buffer is full.</param>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="degrader">The pure function applied on overflow under DegradeQuality.</param>
    /// <returns>The channel.</returns>
    public static Channel<T> Create<T>(BackpressurePolicy policy, int capacity, Func<T, T>? degrader = null) =>
        Create(new BoundedStreamOptions<T>(policy, capacity) { Degrader = degrader });

    /// <summary>A snapshot of a policy channel's counters, conserved whenever no write or read is in flight (<see cref="StreamMetricsSnapshot"/>).</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="channel">A channel created by <see cref="BackpressureChannel"/>.</param>
    /// <returns>The snapshot.</returns>
    /// <exception cref="ArgumentException"><paramref name="channel"/> was not created by <see cref="BackpressureChannel"/>.</exception>
    public static StreamMetricsSnapshot GetMetrics<T>(this Channel<T> channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel is PolicyChannel<T> policy
            ? policy.Buffer.GetMetrics()
            : throw new ArgumentException("The channel was not created by BackpressureChannel.", nameof(channel));
    }

    /// <summary>The engine buffer behind a policy channel (for the tests), or null for another channel.</summary>
    internal static BoundedBuffer<T>? BufferOf<T>(Channel<T> channel) => (channel as PolicyChannel<T>)?.Buffer;

    private sealed class PolicyChannel<T> : Channel<T>, IMeteredStream
    {
        public PolicyChannel(BoundedBuffer<T> buffer)
        {
            Buffer = buffer;
            Reader = new PolicyReader(buffer);
            Writer = new PolicyWriter(buffer);
        }

        public BoundedBuffer<T> Buffer { get; }

        public string Name => Buffer.Name;

        public BackpressurePolicy Policy => Buffer.Policy;

        public int Capacity => Buffer.Capacity;

        public StreamMetricsSnapshot GetMetrics() => Buffer.GetMetrics();

        private sealed class PolicyReader(BoundedBuffer<T> buffer) : ChannelReader<T>
        {
            public override Task Completion => buffer.Completion;

            public override bool CanCount => true;

            public override bool CanPeek => true;

            public override int Count => buffer.Depth;

            public override bool TryRead([MaybeNullWhen(false)] out T item) => buffer.TryRead(out item);

            public override bool TryPeek([MaybeNullWhen(false)] out T item) => buffer.TryPeek(out item);

            public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
                buffer.WaitToReadAsync(cancellationToken);

            public override ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
            {
                var reading = buffer.ReadAsync(cancellationToken);
                if (reading.IsCompletedSuccessfully || !reading.IsCompleted || cancellationToken.IsCancellationRequested ||
                    buffer.CompletionError is not OperationCanceledException canceled)
                {
                    return reading;
                }

                // As the runtime's channels do, a read of a channel completed with an OperationCanceledException and
                // drained is a cancelled task of its own, on the exception's token if that was cancelled, else on a
                // cancelled token (a read pending at the completion gets the exception itself, here as there).
                _ = reading.AsTask();
                return ValueTask.FromCanceled<T>(canceled.CancellationToken.IsCancellationRequested ? canceled.CancellationToken : new CancellationToken(canceled: true));
            }
        }

        private sealed class PolicyWriter(BoundedBuffer<T> buffer) : ChannelWriter<T>
        {
            public override bool TryComplete(Exception? error = null) => buffer.TryComplete(error);

            public override bool TryWrite(T item) => buffer.TryPush(item).IsAccepted;

            public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) =>
                buffer.WaitToPushAsync(cancellationToken);

            // The engine's own task: a write parked for room completes in the read that makes it (or the completion or
            // cancellation that ends it), as the runtime's channels complete theirs, not after a hop through a wrapper.
            // A write to a channel completed with an OperationCanceledException throws that exception itself
            // (BoundedBuffer.CreateClosedException), as there.
            public override ValueTask WriteAsync(T item, CancellationToken cancellationToken = default) =>
                buffer.PushAsync(item, cancellationToken);
        }
    }
}
