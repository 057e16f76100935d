using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Runtime.CompilerServices;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

public static partial class ObservableBackpressureExtensions
{
    /// <summary>
    /// Subscribes to <paramref name="source"/> now and pushes every item into a new <see cref="BoundedStream{T}"/> built
    /// from <paramref name="options"/>, for consumers that read (<see cref="BoundedStream{T}.ReadAllAsync"/>,
    /// <see cref="BoundedStream{T}.ReadAsync"/>) rather than observe.
    /// </summary>
    /// <remarks>
    /// The source's <c>OnCompleted</c> completes the stream and its <c>OnError</c> completes it with that error; readers
    /// drain the buffered items first. A rejected item (Fail overflow, PauseUpstream timeout, missing or throwing
    /// degrader) completes the stream with the rejection's exception and unsubscribes the source. Under PauseUpstream
    /// the source's <c>OnNext</c> blocks until a reader makes room, except while this call is subscribing: a source that
    /// emits synchronously during <c>Subscribe</c> and fills the buffer would wait for a reader that cannot exist yet, so
    /// the stream fails fast with an <see cref="InvalidOperationException"/> naming it (use
    /// <see cref="ToAsyncEnumerable{T}(IObservable{T}, BoundedStreamOptions{T})"/> or <c>SubscribeOn</c> for such sources).
    /// Otherwise the stream cannot tell which thread its readers use, so a producer that is itself the stream's reader
    /// waits until the options' <c>PauseTimeout</c> (forever without one). Completing the stream from the reading side, or cancelling <paramref name="cancellationToken"/> (which
    /// completes it with an <see cref="OperationCanceledException"/>), unsubscribes the source; with a token already
    /// cancelled the source is not subscribed at all. An exception thrown by the source's <c>Subscribe</c> propagates
    /// from this call, which then returns no stream and keeps no registration on <paramref name="cancellationToken"/>.
    /// </remarks>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="options">The stream's policy, capacity and optional settings.</param>
    /// <param name="cancellationToken">Stops the subscription.</param>
    /// <returns>The stream, already subscribed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="options"/> is null.</exception>
    public static BoundedStream<T> ToBoundedStream<T>(this IObservable<T> source, BoundedStreamOptions<T> options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var stream = new BoundedStream<T>(options);
        var sink = new StreamSink<T>(stream.Buffer);
        if (cancellationToken.CanBeCanceled)
        {
            sink.StopOn(cancellationToken);
        }

        sink.Subscribe(source);
        return stream;
    }

    /// <summary>
    /// Subscribes to <paramref name="source"/> now and pushes every item into a new <see cref="BoundedStream{T}"/> with
    /// <paramref name="policy"/> (see <see cref="ToBoundedStream{T}(IObservable{T}, BoundedStreamOptions{T}, CancellationToken)"/>).
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="policy">What happens when the buffer is full.</param>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="degrader">Under DegradeQuality, the pure function applied to a new item on overflow.</param>
    /// <returns>The stream, already subscribed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or <paramref name="policy"/> is undefined.</exception>
    public static BoundedStream<T> ToBoundedStream<T>(this IObservable<T> source, BackpressurePolicy policy, int capacity, Func<T, T>? degrader = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ToBoundedStream(source, new BoundedStreamOptions<T>(policy, capacity) { Degrader = degrader });
    }

    /// <summary>
    /// Consumes <paramref name="source"/> as an <see cref="IAsyncEnumerable{T}"/> behind a bounded buffer: each
    /// enumeration subscribes (through <see cref="ToBoundedStream{T}(IObservable{T}, BoundedStreamOptions{T}, CancellationToken)"/>)
    /// and unsubscribes when it ends, is broken out of, or is cancelled.
    /// </summary>
    /// <remarks>
    /// The enumeration ends after the source's <c>OnCompleted</c> and the buffered items; it throws the source's error,
    /// or the rejection's exception (Fail overflow, PauseUpstream timeout, degrader), after the items buffered before it.
    /// Under PauseUpstream the source is subscribed on the thread pool, so a source that emits synchronously while being
    /// subscribed blocks there (instead of in the enumerating flow, which could never read) until the reader makes room.
    /// An enumeration whose token is already cancelled throws <see cref="OperationCanceledException"/> from its first
    /// <c>MoveNextAsync</c> without subscribing. Once its token (<c>GetAsyncEnumerator</c>'s, or <c>WithCancellation</c>'s)
    /// is cancelled, its next <c>MoveNextAsync</c> throws <see cref="OperationCanceledException"/> and unsubscribes, also
    /// while items are buffered, as Ix's <c>ToAsyncEnumerable</c> does: a source that keeps the buffer from ever being
    /// empty cannot hold the enumeration.
    /// </remarks>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="options">The buffer's policy, capacity and optional settings; each enumeration gets its own buffer.</param>
    /// <returns>The items, in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="options"/> is null.</exception>
    public static IAsyncEnumerable<T> ToAsyncEnumerable<T>(this IObservable<T> source, BoundedStreamOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);

        // Read once, now: every enumeration builds its stream from this copy (docs/naming.md, Options).
        return Enumerate(source, options.Copy(), default);

        static async IAsyncEnumerable<T> Enumerate(IObservable<T> source, BoundedStreamOptions<T> options, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            // An enumeration cancelled before it starts does not subscribe (the first MoveNextAsync throws).
            cancellationToken.ThrowIfCancellationRequested();
            var stream = new BoundedStream<T>(options);
            var sink = new StreamSink<T>(stream.Buffer);
            if (options.Policy == BackpressurePolicy.PauseUpstream)
            {
                // A source that emits synchronously while subscribed (Observable.Range, a replay) must block somewhere
                // other than this flow, which reads only once it gets the stream.
                _ = Task.Run(() => sink.SubscribeOrFail(source), CancellationToken.None);
            }
            else
            {
                sink.SubscribeOrFail(source);
            }

            try
            {
                await foreach (var item in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return item;

                    // ReadAllAsync, like a channel reader's, looks at its token only when it has to wait: with items
                    // buffered it went on yielding after a cancellation, for ever behind a source that keeps the buffer
                    // non-empty. Each MoveNextAsync after a cancellation throws instead, as with Ix's ToAsyncEnumerable.
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
            finally
            {
                sink.StopSource();
            }
        }
    }

    /// <summary>
    /// Consumes <paramref name="source"/> as an <see cref="IAsyncEnumerable{T}"/> behind a bounded buffer with
    /// <paramref name="policy"/> (see <see cref="ToAsyncEnumerable{T}(IObservable{T}, BoundedStreamOptions{T})"/>).
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="policy">What happens when the buffer is full.</param>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="degrader">Under DegradeQuality, the pure function applied to a new item on overflow.</param>
    /// <returns>The items, in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or <paramref name="policy"/> is undefined.</exception>
    public static IAsyncEnumerable<T> ToAsyncEnumerable<T>(this IObservable<T> source, BackpressurePolicy policy, int capacity, Func<T, T>? degrader = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ToAsyncEnumerable(source, new BoundedStreamOptions<T>(policy, capacity) { Degrader = degrader });
    }

    /// <summary>
    /// Observes a <see cref="BoundedStream{T}"/>: each subscription reads items from the stream (competing with its other
    /// readers; each item goes to one of them) and calls the observer on <paramref name="scheduler"/>, in order, one call
    /// at a time.
    /// </summary>
    /// <remarks>
    /// When the stream is completed and drained the observer gets <c>OnCompleted</c>, or <c>OnError</c> with the error it
    /// was completed with. Disposing stops delivery (once <c>Dispose</c> returns, at most the one call a drain on another thread had already
    /// decided to make still starts, as with <c>ObserveOn</c>); it does not complete
    /// the stream, and items not yet read stay in it for other readers. A subscription reads one item at a time, as its
    /// observer takes them, so one that ends from inside its observer (<c>Take(n)</c>, <c>FirstAsync</c>, a disposal or
    /// an exception in <c>OnNext</c>) leaves every later item in the stream. An exception the observer throws ends the
    /// subscription as a disposal does and then propagates to the scheduler, as with <c>ObserveOn</c>; the observer is
    /// not called again. On a scheduler that runs the reader inline (<see cref="ImmediateScheduler"/>) that is the push
    /// (or the <c>Subscribe</c>) that started it: the push throws the observer's exception although the item was
    /// accepted, and the stream's other readers are still woken. A scheduler that
    /// refuses the reader's work (a disposed <see cref="EventLoopScheduler"/>) ends the subscription the same way, and
    /// the observer gets <c>OnError</c> with the scheduler's exception, on the thread that pushed (or subscribed); the
    /// push itself succeeds.
    /// </remarks>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="stream">The stream to read.</param>
    /// <param name="scheduler">Where the observer is called.</param>
    /// <returns>The observable.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="scheduler"/> is null.</exception>
    public static IObservable<T> AsObservable<T>(this BoundedStream<T> stream, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(scheduler);
        return new StreamObservable<T>(stream.Buffer, scheduler);
    }

    /// <summary>
    /// Observes a <see cref="BoundedStream{T}"/> on <see cref="DefaultScheduler.Instance"/> (see
    /// <see cref="AsObservable{T}(BoundedStream{T}, IScheduler)"/>).
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="stream">The stream to read.</param>
    /// <returns>The observable.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    public static IObservable<T> AsObservable<T>(this BoundedStream<T> stream) => AsObservable(stream, DefaultScheduler.Instance);
}

/// <summary>ToBoundedStream's producer: the shared sink with no consumer of its own.</summary>
internal sealed class StreamSink<T>(BoundedBuffer<T> buffer) : BackpressureSink<T>(buffer)
{
    private readonly Lock _registrationLock = new();
    private int _subscribingThread;
    private CancellationTokenRegistration _registration;

    // The stream's readers are not ours: nothing to schedule.
    protected internal override void OnReadable()
    {
    }

    /// <summary>
    /// Subscribes on the caller's thread, remembering it for the duration of the call: the caller only gets the stream
    /// once this returns (see <see cref="BlockingHazard"/>).
    /// </summary>
    public void Subscribe(IObservable<T> source)
    {
        if (IsProducerSideStopped)
        {
            // Ended before subscribing (a token already cancelled): as Rx's ForEachAsync and ToTask do with such a
            // token, the source is not subscribed at all, so a cold source does no work and has no side effect.
            return;
        }

        Volatile.Write(ref _subscribingThread, Environment.CurrentManagedThreadId);
        try
        {
            SubscribeTo(source);
        }
        catch (Exception error)
        {
            // The caller gets the source's exception and no stream: end the stream, which lets go of the token's
            // registration (a token that outlives the call would otherwise keep the abandoned stream reachable).
            Stop(error, completeBuffer: true);
            throw;
        }
        finally
        {
            Volatile.Write(ref _subscribingThread, 0);
        }
    }

    // The readers are not ours, so their threads are unknown, with one exception: a source that emits synchronously
    // while being subscribed does so before the stream is even returned to its reader; blocking it would never end.
    protected override BlockHazard BlockingHazard() =>
        Volatile.Read(ref _subscribingThread) == Environment.CurrentManagedThreadId ? BlockHazard.DrainingThread : BlockHazard.None;

    /// <summary>
    /// Ends the stream with an <see cref="OperationCanceledException"/> when <paramref name="token"/> is cancelled, for
    /// as long as the source is subscribed: the registration goes once the stream has ended, so a token that outlives
    /// it (an application's lifetime token) does not keep every stream made with it reachable.
    /// </summary>
    public void StopOn(CancellationToken token)
    {
        var registration = token.UnsafeRegister(static (state, token) => ((StreamSink<T>)state!).Cancel(token), this);
        lock (_registrationLock)
        {
            _registration = registration;
        }

        // Ended before the registration was stored (an already cancelled token, or a source on another thread).
        if (IsProducerSideStopped)
        {
            OnStopped();
        }
    }

    private void Cancel(CancellationToken token) => Stop(new OperationCanceledException(token), completeBuffer: true);

    protected override void OnStopped()
    {
        CancellationTokenRegistration registration;
        lock (_registrationLock)
        {
            registration = _registration;
            _registration = default;
        }

        // Unregister, not Dispose: it never waits for a callback running on another thread (which only finds the
        // stream already stopped).
        registration.Unregister();
    }

    /// <summary>
    /// Subscribes for a reader that already holds the stream (so blocking during Subscribe is fine); a source whose
    /// Subscribe throws ends the stream with that error.
    /// </summary>
    public void SubscribeOrFail(IObservable<T> source)
    {
        if (IsProducerSideStopped)
        {
            // The reader went away (cancelled, disposed, broken out of) before this ran, on the thread pool under
            // PauseUpstream: as in Subscribe, a cold source is not subscribed at all, so it does no work and has no side
            // effect for an enumeration that has already ended.
            return;
        }

        try
        {
            SubscribeTo(source);
        }
        catch (Exception error)
        {
            Stop(error, completeBuffer: true);
        }
    }

    /// <summary>The reader is done: unsubscribe and release a blocked producer.</summary>
    public void StopSource() => Stop(error: null, completeBuffer: true);
}

/// <summary>AsObservable: a drain per subscription, woken by the engine's read signal, delivering on the scheduler.</summary>
internal sealed class StreamObservable<T>(BoundedBuffer<T> buffer, IScheduler scheduler) : IObservable<T>
{
    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var reader = new Reader(buffer, scheduler, observer);
        reader.Start();
        return reader;
    }

    private sealed class Reader(BoundedBuffer<T> buffer, IScheduler scheduler, IObserver<T> observer) : ReadSignal, IDisposable, IDrainTarget<T>
    {
        // One item per read: the stream is shared with other readers, and an item read is gone from it. A batch read
        // ahead of the observer lost the rest of the batch whenever the subscription ended in the middle of it (Take(n),
        // FirstAsync, a disposal from OnNext, an observer that throws), although those items were never delivered.
        private readonly T[] _batch = new T[1];
        private volatile bool _disposed;

        // Set when the observer threw out of a drain: a scheduler that runs work inline hands that exception back from
        // Schedule, and it is the observer's, not a refusal by the scheduler (see WithBackpressure's sink).
        private volatile bool _observerThrew;

        public void Start()
        {
            if (!buffer.ArmReadSignal(this))
            {
                OnReadable();
            }
        }

        protected internal override void OnReadable()
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                scheduler.Schedule(this, static (_, reader) =>
                {
                    reader.Drain();
                    return Disposable.Empty;
                });
            }
            catch (Exception error) when (!_observerThrew)
            {
                // The scheduler refused the drain (an EventLoopScheduler that was disposed, say): this subscription can
                // deliver nothing more. Thrown from here, the error would reach whoever pushed into the stream, for an
                // item the stream had accepted. End the subscription as a disposal does (unread items stay for the
                // stream's other readers) and tell the observer, on this thread: the signal fires only while the reader
                // is idle, so no other call to the observer is running.
                Dispose();
                observer.OnError(error);
            }
        }

        private void Drain()
        {
            DrainEnd end;
            try
            {
                end = DrainLoop.Run(buffer, _batch, this);
            }
            catch
            {
                // The observer threw: as with ObserveOn, the subscription ends (the item it threw on was taken; every
                // later item stays in the stream for its other readers) and the exception goes on to the scheduler (out
                // of the push or the Subscribe when the scheduler ran this drain inline); the observer is called no more.
                _observerThrew = true;
                Dispose();
                Array.Clear(_batch);
                throw;
            }

            if (end != DrainEnd.Completed)
            {
                return;
            }

            _disposed = true;
            if (buffer.CompletionError is { } error)
            {
                observer.OnError(error);
            }
            else
            {
                observer.OnCompleted();
            }
        }

        bool IDrainTarget<T>.IsStopped => _disposed;

        bool IDrainTarget<T>.OnEmpty() => !buffer.ArmReadSignal(this);

        ValueTask IDrainTarget<T>.DeliverAsync(T[] batch, int count)
        {
            System.Diagnostics.Debug.Assert(count == 1, "The reader reads one item at a time.");

            // One item (see _batch). The loop looks at the disposal before every read, so a disposal made by the
            // observer (or before the drain ran) leaves every unread item in the stream.
            var item = batch[0];
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            {
                batch[0] = default!;
            }

            // A disposal on another thread between the read and here: the item is not delivered, so it is lost to the
            // stream's other readers, as with any reader that stops after ReadAsync returned. (A disposal between this
            // check and the call lets this one call start after Dispose returns: the most that can.)
            if (!_disposed)
            {
                observer.OnNext(item);
            }

            return default;
        }

        public void Dispose()
        {
            _disposed = true;
            buffer.DisarmReadSignal(this);
        }
    }
}
