using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Runtime.CompilerServices;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// Backpressure policies as composable Rx operators, on the same bounded-buffer engine as <see cref="BoundedStream{T}"/>,
/// <see cref="BackpressureChannel"/> and <see cref="BackpressureBlock{T}"/>, so a policy behaves the same on every surface.
/// </summary>
/// <remarks>
/// <para>
/// A policy operator decouples the producer from the downstream observer, like <c>ObserveOn</c> but bounded: each
/// subscription owns a buffer of <c>capacity</c> items; the source's <c>OnNext</c> pushes into it under the policy, and
/// the downstream observer is called on the given <see cref="IScheduler"/>, in order, one call at a time. An
/// <c>OnError</c> or <c>OnCompleted</c> from the source is delivered after every item buffered before it (<c>ObserveOn</c>
/// delivers an <c>OnError</c> ahead of the items it holds, and drops them).
/// </para>
/// <para>
/// On overflow: DropOldest evicts the oldest buffered item; DegradeQuality evicts the oldest and buffers
/// <c>degrader(item)</c>; PauseUpstream blocks the source's <c>OnNext</c> until the consumer makes room; Fail ends the
/// stream with <see cref="StreamOverflowException"/>. A rejected item (Fail overflow, PauseUpstream timeout, missing
/// degrader, or a degrader that throws) faults the stream: the source is unsubscribed at once, the items buffered
/// before the rejection are still delivered, then the downstream receives <c>OnError</c> (for a throwing degrader an
/// <see cref="InvalidOperationException"/> naming the stream, whose inner exception is the degrader's). The rejected
/// item is counted in the stream's metrics, so <c>pushed = delivered + evicted + failed + depth</c> still holds.
/// </para>
/// <para>
/// Disposing the subscription unsubscribes the source, releases a producer blocked in PauseUpstream, and stops delivery:
/// once <c>Dispose</c> returns the downstream gets at most one more call, the one a drain on another thread had already
/// decided to make, as with <c>ObserveOn</c> (a call already running on another thread finishes; nothing waits for it).
/// Items still buffered stay counted in the depth. An exception thrown by the downstream observer ends the subscription
/// as a disposal does and then propagates to the scheduler, as with <c>ObserveOn</c>; the observer is not called again.
/// On a scheduler that runs the drain inline (<see cref="ImmediateScheduler"/>, or <see cref="CurrentThreadScheduler"/>
/// outside a trampoline) that is the source's call that started the drain: its <c>OnNext</c> (or <c>OnCompleted</c>)
/// throws the observer's exception, as with <c>ObserveOn</c> there. An exception thrown by the source's
/// own <c>Subscribe</c> does not reach the caller: as with <c>ObserveOn</c> (Rx's <c>SubscribeSafe</c>), it ends the
/// stream like a source's <c>OnError</c>, delivered on the scheduler after the items the source pushed before throwing.
/// As Rx's own operators do, the source is subscribed inside a <see cref="CurrentThreadScheduler"/> trampoline: a
/// source that emits synchronously on the subscribing thread (<c>Range</c>, <c>Repeat</c>, <c>Generate</c>) emits once
/// its subscription exists, so a stream that ends during that emission (a Fail overflow) unsubscribes it at once, and a
/// drain on <see cref="CurrentThreadScheduler"/> runs after the source's <c>Subscribe</c> has returned, as with
/// <c>ObserveOn</c>.
/// A scheduler that refuses the drain's work (a disposed <see cref="EventLoopScheduler"/>) ends the subscription as a
/// disposal does, and the observer gets <c>OnError</c> with the scheduler's exception on the thread that pushed (or
/// completed); the push itself does not throw. So does a scheduler offering long-running work that refuses the drain's
/// dedicated thread, at <c>Subscribe</c> (on the subscribing thread; <c>Subscribe</c> does not throw, and the source is
/// not subscribed), and a clock that refuses the timer of a PauseUpstream timeout (a scheduler that throws on timed
/// work, met by a push that finds the buffer full): the push is rejected and the stream ends with the clock's
/// exception after the items buffered before it.
/// </para>
/// <para>
/// The drain takes the buffered items in batches of an eighth of the capacity (at most 128) and then calls the observer
/// for each, which is what makes it faster than <c>ObserveOn</c>; below a capacity of 16 it takes one item at a time, as
/// every other surface does. An item taken has left the buffer: while a slow observer works through a batch, the
/// producer finds room for that many items beyond the capacity, DropOldest and DegradeQuality evict only what is still
/// in the buffer, and the taken items count as delivered, also when a disposal stops delivery before them.
/// <c>SubscribeAsync</c> and <see cref="BackpressureObserver{T}"/> read the same batches.
/// </para>
/// <para>
/// Every subscription is a stream of its own, published on the <see cref="StreamMeter"/> under the options' name.
/// </para>
/// <para>
/// Like every Rx operator, a policy operator relies on the Rx grammar: the source's <c>OnNext</c>, <c>OnError</c> and
/// <c>OnCompleted</c> calls never overlap. Its buffer is lock-free on that promise (one producer, one consumer); feed it
/// a source that calls from several threads at once (a bare <c>Subject</c> shared by threads) through
/// <c>Synchronize()</c>, as Rx itself requires. Overlapping calls are not detected (a check on every push doubled the
/// operator's time): the behaviour is then undefined, as with Rx's own operators, and in practice items are lost or
/// delivered twice, the stream's counters no longer add up, and under PauseUpstream producers can hang (the buffer
/// parks one producer at a time, and a second that finds it full is never woken). <c>SubscribeAsync</c> relies on the same promise; the
/// consumer made to be called from several threads at once is <see cref="BackpressureObserver{T}"/>, which locks.
/// </para>
/// </remarks>
public static partial class ObservableBackpressureExtensions
{
    /// <summary>
    /// Buffers <paramref name="source"/> in a bounded buffer with <paramref name="policy"/> and delivers it on
    /// <paramref name="scheduler"/> (see <see cref="ObservableBackpressureExtensions"/> for the behaviour on overflow,
    /// completion, error and disposal).
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="policy">What happens when the buffer is full.</param>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="scheduler">Where the downstream observer is called.</param>
    /// <returns>The buffered sequence.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or <paramref name="policy"/> is undefined.</exception>
    public static IObservable<T> WithBackpressure<T>(this IObservable<T> source, BackpressurePolicy policy, int capacity, IScheduler scheduler) =>
        WithBackpressure(source, policy, capacity, degrader: null, scheduler);

    /// <summary>
    /// Buffers <paramref name="source"/> under <paramref name="policy"/> with a degrader for DegradeQuality, and delivers it
    /// on <paramref name="scheduler"/>; as <see cref="WithBackpressure{T}(IObservable{T}, BackpressurePolicy, int, IScheduler)"/>
    /// otherwise. As in Rx, the scheduler is the last argument.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="policy">What happens when the buffer is full.</param>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="degrader">Under DegradeQuality, the pure function applied to a new item on overflow; without one an
    /// overflow faults the stream with <see cref="MissingDegraderException"/>. Ignored by the other policies.</param>
    /// <param name="scheduler">Where the downstream observer is called.</param>
    /// <returns>The buffered sequence.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or <paramref name="policy"/> is undefined.</exception>
    public static IObservable<T> WithBackpressure<T>(this IObservable<T> source, BackpressurePolicy policy, int capacity, Func<T, T>? degrader, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(scheduler);
        return new WithBackpressure<T>(source, new BoundedStreamOptions<T>(policy, capacity) { Degrader = degrader }, scheduler);
    }

    /// <summary>
    /// Buffers <paramref name="source"/> with the policy, capacity, name, degrader, eviction callback and PauseUpstream
    /// timeout of <paramref name="options"/>, and delivers it on <paramref name="scheduler"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="options">The buffer's settings, read once, here (changing the object later changes no
    /// subscription); each subscription gets a buffer of its own with them. Its
    /// <see cref="BoundedStreamOptions{T}.TimeProvider"/> measures the PauseUpstream timeout.</param>
    /// <param name="scheduler">Where the downstream observer is called.</param>
    /// <returns>The buffered sequence.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/>, <paramref name="options"/> or <paramref name="scheduler"/> is null.</exception>
    public static IObservable<T> WithBackpressure<T>(this IObservable<T> source, BoundedStreamOptions<T> options, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scheduler);

        // Read once, now: each subscription builds its buffer from this copy, so changing the caller's object later
        // changes no subscription (docs/naming.md, Options).
        return new WithBackpressure<T>(source, options.Copy(), scheduler);
    }

    /// <summary>
    /// Buffers up to <paramref name="capacity"/> items and, when full, evicts the oldest buffered item to make room for
    /// the new one; the producer never waits. Delivers on <paramref name="scheduler"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="scheduler">Where the downstream observer is called.</param>
    /// <returns>The buffered sequence.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    public static IObservable<T> DropOldest<T>(this IObservable<T> source, int capacity, IScheduler scheduler) =>
        WithBackpressure(source, BackpressurePolicy.DropOldest, capacity, scheduler);

    /// <summary>
    /// Buffers up to <paramref name="capacity"/> items and, when full, evicts the oldest and buffers
    /// <c><paramref name="degrader"/>(item)</c> instead of the new item. The degrader runs only on overflow, on the
    /// producer's thread; if it throws, the stream faults (see <see cref="ObservableBackpressureExtensions"/>).
    /// Delivers on <paramref name="scheduler"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="degrader">The pure function applied to a new item on overflow.</param>
    /// <param name="scheduler">Where the downstream observer is called.</param>
    /// <returns>The buffered sequence.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/>, <paramref name="degrader"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    public static IObservable<T> DegradeQuality<T>(this IObservable<T> source, int capacity, Func<T, T> degrader, IScheduler scheduler)
    {
        // The source first, as Rx names it first when several arguments are wrong.
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(degrader);
        return WithBackpressure(source, BackpressurePolicy.DegradeQuality, capacity, degrader, scheduler);
    }

    /// <summary>
    /// Buffers up to <paramref name="capacity"/> items and, when full, blocks the source's <c>OnNext</c> until the
    /// downstream has taken an item, failing after <paramref name="timeout"/>. Delivers on <paramref name="scheduler"/>.
    /// </summary>
    /// <remarks>
    /// If the blocked <c>OnNext</c> is called on the thread that drains the buffer, blocking could never end: from inside
    /// the downstream observer; from work of a virtual-time scheduler while its clock runs (any
    /// <see cref="VirtualTimeSchedulerBase{TAbsolute, TRelative}"/>, whatever its clock types; Rx does not tell which
    /// thread advances the clock, so while it runs a push from any other thread that finds the buffer full fails fast
    /// too); from the thread that
    /// advances a virtual-time scheduler while its clock is not running (the thread that last advanced it, or before
    /// anything has, the thread that subscribed: a test that pushes before <c>Start</c> or <c>AdvanceBy</c>; schedule
    /// such pushes on the scheduler, or advance it first); or from a dedicated (not
    /// thread-pool) thread on which <paramref name="scheduler"/> has already run the operator's work, such as an event
    /// loop, a UI synchronization context or the current-thread trampoline. The operator learns that thread from the
    /// scheduler itself (it schedules a no-op at subscription and notes where each drain runs), not from a list of
    /// scheduler types; on <see cref="CurrentThreadScheduler"/> a push from the thread whose trampoline holds the queued
    /// drain fails fast too, whatever kind of thread it is (a source that emits while it is subscribed, which happens
    /// inside a trampoline). The stream then fails fast instead of deadlocking: the item is rejected and counted, the source
    /// is unsubscribed, and the downstream receives the items buffered before it followed by <c>OnError</c> with an
    /// <see cref="InvalidOperationException"/> naming the stream. Nothing is thrown back into the producer's
    /// <c>OnNext</c>. A producer on a thread-pool thread is taken to block safely (another pool thread runs the drain);
    /// a custom scheduler that runs work on pool threads but only one at a time would deadlock there, so
    /// give such a stream a <paramref name="timeout"/>. A wait that outlasts <paramref name="timeout"/> (measured on
    /// <paramref name="scheduler"/>'s clock) faults the stream with <see cref="StreamOverflowException"/>. On a virtual-time
    /// scheduler the timeout is work scheduled on it, so it passes as its clock is advanced; on Rx's machine-local
    /// schedulers (<see cref="LocalScheduler"/>: the event loop, task pool, thread pool, current thread...), whose clock
    /// is the system's, it runs on the system's timers, so it fires also while the consumer holds the scheduler's
    /// thread. Disposal releases a blocked producer.
    /// </remarks>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="timeout">How long <c>OnNext</c> may wait for room, on <paramref name="scheduler"/>'s clock.</param>
    /// <param name="scheduler">Where the downstream observer is called; also the clock of <paramref name="timeout"/>.</param>
    /// <returns>The buffered sequence.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or <paramref name="timeout"/> is negative.</exception>
    public static IObservable<T> PauseUpstream<T>(this IObservable<T> source, int capacity, TimeSpan timeout, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(scheduler);
        BoundedStreamOptions<T>.ValidatePauseTimeout(timeout, nameof(timeout));
        var options = new BoundedStreamOptions<T>(BackpressurePolicy.PauseUpstream, capacity)
        {
            PauseTimeout = timeout,
            // A machine-local scheduler (every Rx scheduler but the virtual-time ones) tells the system's time, so the
            // system's timers measure the timeout: on the scheduler itself the timer would wait behind the very
            // consumer whose stall it is there to catch (an event loop's one thread), or sleep the pushing thread for
            // the whole timeout (ImmediateScheduler, CurrentThreadScheduler outside a trampoline). Any other scheduler
            // (a virtual clock) runs the timer, so the timeout passes in its time.
            TimeProvider = scheduler is LocalScheduler ? TimeProvider.System : new SchedulerTimeProvider(scheduler),
        };
        return new WithBackpressure<T>(source, options, scheduler);
    }

    /// <summary>
    /// Buffers up to <paramref name="capacity"/> items and, when full, blocks the source's <c>OnNext</c> until the
    /// downstream has taken an item, for as long as it takes. Delivers on <paramref name="scheduler"/>. See
    /// <see cref="PauseUpstream{T}(IObservable{T}, int, TimeSpan, IScheduler)"/> for what happens on the draining thread,
    /// and for a wait with a timeout.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="scheduler">Where the downstream observer is called.</param>
    /// <returns>The buffered sequence.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    public static IObservable<T> PauseUpstream<T>(this IObservable<T> source, int capacity, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(scheduler);
        return new WithBackpressure<T>(source, new BoundedStreamOptions<T>(BackpressurePolicy.PauseUpstream, capacity), scheduler);
    }

    /// <summary>
    /// Buffers up to <paramref name="capacity"/> items; an item that finds the buffer full faults the stream with
    /// <see cref="StreamOverflowException"/> (after the buffered items are delivered) and unsubscribes the source.
    /// Delivers on <paramref name="scheduler"/>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source sequence.</param>
    /// <param name="capacity">How many items the buffer holds; at least 1.</param>
    /// <param name="scheduler">Where the downstream observer is called.</param>
    /// <returns>The buffered sequence.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    public static IObservable<T> FailOnOverflow<T>(this IObservable<T> source, int capacity, IScheduler scheduler) =>
        WithBackpressure(source, BackpressurePolicy.Fail, capacity, scheduler);
}

/// <summary>The policy operator: one bounded buffer per subscription, drained on the scheduler in batches.</summary>
internal sealed class WithBackpressure<T>(IObservable<T> source, BoundedStreamOptions<T> options, IScheduler scheduler) : IObservable<T>
{

    // The drain's wait for a batch to gather (LetItemsGather): at most GatherPolls looks at the depth, GatherSpin
    // spin iterations apart. Here SpinWait(64) measured 1.6-3 µs (the runtime scales it per process), so the wait is
    // bounded by about 6.5-12 µs.
    private const int GatherPolls = 4;
    private const int GatherSpin = 64;

    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var sink = new Sink(BoundedBuffer.Create(options, BufferMode.SingleLane), scheduler, observer);
        sink.Run(source);
        return sink;
    }

    /// <summary>
    /// Drains like Rx's ObserveOn fast path, but bounded: the pushing thread schedules one drain only when the buffer
    /// goes from empty to non-empty (the engine's read signal); the drain then delivers in batches until the buffer is
    /// empty and re-arms the signal. Scheduling per item is what makes ObserveOn slow.
    /// </summary>
    internal sealed class Sink(BoundedBuffer<T> buffer, IScheduler scheduler, IObserver<T> observer)
        : BackpressureSink<T>(buffer), IDisposable, IMeteredStream, IDrainTarget<T>
    {
        private readonly T[] _batch = new T[DrainLoop.BatchLength(buffer.Capacity)];
        private ManualResetEventSlim? _wake;
        private volatile bool _disposed;

        // Set when the downstream observer threw out of a drain. A scheduler that runs work inline (ImmediateScheduler,
        // CurrentThreadScheduler outside a trampoline) hands that exception back from Schedule; it is the observer's,
        // not a refusal by the scheduler, so it goes on to the thread that pushed, as with ObserveOn.
        private volatile bool _observerThrew;
        private bool _terminated;
        private int _drainThread;

        public void Run(IObservable<T> source)
        {
            if (scheduler.AsLongRunning() is { } longRunning)
            {
                // A scheduler that offers a dedicated thread (the task pool, new threads) gets one long-running drain
                // that parks when the buffer is empty, as Rx's ObserveOn does there: scheduling a task for every burst
                // costs more than waking a parked thread.
                _wake = new ManualResetEventSlim(false);
                try
                {
                    longRunning.ScheduleLongRunning(this, static (sink, _) => sink.DrainLongRunning());
                }
                catch (Exception error)
                {
                    // The scheduler refused the drain's thread (a thread factory that throws, say): nothing can ever be
                    // delivered. As for a refused drain (OnReadable), end the subscription as a disposal does and tell
                    // the observer, on this thread (no drain exists to call it), instead of throwing out of Subscribe;
                    // the source is not subscribed, since none of its items could be delivered.
                    Dispose();
                    _terminated = true;
                    observer.OnError(error);
                    return;
                }
            }
            else
            {
                // The buffer is new and empty, so this arms: the first push schedules the first drain.
                Buffer.ArmReadSignal(this);
                ProbeSchedulerThread(scheduler);
            }

            try
            {
                // As ObserveOn does, a source whose Subscribe throws ends the subscription with that error, delivered on
                // the scheduler after what the source pushed before throwing.
                SubscribeTo(source, errorsToOnError: true);
            }
            catch
            {
                // Still thrown by Subscribe (an Rx ObservableBase source that had already ended before throwing, as with
                // ObserveOn): the caller gets the exception and no subscription to dispose, so end the drain (a parked
                // dedicated thread would otherwise wait for ever) before letting it go.
                Dispose();
                throw;
            }
        }

        protected internal override void OnReadable()
        {
            if (_wake is not null)
            {
                _wake.Set();
            }
            else if (!_disposed)
            {
                RecordDrainScheduling();
                try
                {
                    scheduler.Schedule(this, static (_, sink) =>
                    {
                        sink.Drain();
                        return Disposable.Empty;
                    });
                }
                catch (Exception error) when (!_observerThrew)
                {
                    // The scheduler refused the drain (an EventLoopScheduler that was disposed, say): nothing can be
                    // delivered any more. Thrown from here, the error would reach the source's OnNext for an item the
                    // buffer had accepted, and leave the stream with a fired signal and no drain. End the subscription
                    // as a disposal does (the source is let go, a paused producer released) and tell the observer, on
                    // this thread: the signal fires only while no drain runs or is queued, so no other call to the
                    // observer is running.
                    Dispose();
                    _terminated = true;
                    observer.OnError(error);
                }
            }
        }

        private void Drain()
        {
            var me = Environment.CurrentManagedThreadId;
            Volatile.Write(ref _drainThread, me);
            try
            {
                if (DrainLoop.Run(Buffer, _batch, this) == DrainEnd.Completed)
                {
                    // Writing is over and the buffer is empty: nothing can arrive any more.
                    DeliverTerminal();
                }
            }
            catch
            {
                // The downstream observer threw: as ObserveOn does, the subscription ends (the source is let go, a paused
                // producer released, nothing more delivered) and the exception goes on to the scheduler (out of the
                // push itself when the scheduler ran this drain inline); the observer is called no more.
                _observerThrew = true;
                Dispose();
                throw;
            }
            finally
            {
                RecordDrainThread();

                // A push right after arming may already have started the next drain on another thread; leave its mark.
                Interlocked.CompareExchange(ref _drainThread, 0, me);
            }
        }

        /// <summary>The drain on a dedicated thread: delivers while there are items, parks while there are none.</summary>
        private void DrainLongRunning()
        {
            Volatile.Write(ref _drainThread, Environment.CurrentManagedThreadId);
            try
            {
                if (DrainLoop.Run(Buffer, _batch, this) == DrainEnd.Completed)
                {
                    DeliverTerminal();
                }
            }
            catch
            {
                Dispose(); // as in Drain
                throw;
            }

            // The event is not disposed: a late signal may still set it, and its kernel handle (if one was ever needed)
            // is reclaimed with it.
        }

        bool IDrainTarget<T>.IsStopped => _disposed;

        ValueTask IDrainTarget<T>.DeliverAsync(T[] batch, int count)
        {
            Deliver(count);
            if (count > 1 && count < batch.Length)
            {
                LetItemsGather();
            }

            return default;
        }

        bool IDrainTarget<T>.OnEmpty()
        {
            if (SpinForMore())
            {
                return true;
            }

            if (_wake is not { } wake)
            {
                // Armed on an empty buffer: the next push schedules the next drain. Deliver nothing after this.
                return !Buffer.ArmReadSignal(this);
            }

            // A long-running drain parks instead. Reset before arming: a push after the arm fires the signal, which sets
            // the event this thread waits on.
            wake.Reset();
            if (Buffer.ArmReadSignal(this))
            {
                wake.Wait();
            }

            return true;
        }

        /// <summary>
        /// The last read found a producer mid-burst (more than one item) but not a full batch: spin a few
        /// microseconds at most for a fuller one before reading again. Every read takes the lock the producer takes
        /// for every push, so a drain that reads whenever anything is there reads two or three items at a time and
        /// contends on almost every push; letting a batch gather cut the operator's per-item time by about two thirds
        /// with a fast producer (OperatorThroughputBenchmarks). A trickling source (one item per read) never waits
        /// here, and a full buffer (a paused producer) ends the wait at the first look.
        /// </summary>
        /// <remarks>
        /// The depth is looked at rarely (<see cref="GatherPolls"/> times, <see cref="GatherSpin"/> spins apart): each
        /// look pulls in the cache line the producer writes on every push, and the producer pays a miss for it. Looking
        /// every 0.2 µs instead of every 1.6 µs (SpinWait(8) against SpinWait(64), measured in one process) made the operator about 25% slower with a fast producer, and slower
        /// still in episodes.
        /// </remarks>
        private void LetItemsGather()
        {
            if (Environment.ProcessorCount == 1)
            {
                return;
            }

            var want = _batch.Length;
            for (var i = 0; i < GatherPolls && !_disposed; i++)
            {
                Thread.SpinWait(GatherSpin);
                if (Buffer.Depth >= want || Buffer.IsCompleted)
                {
                    return;
                }
            }
        }

        /// <summary>
        /// A consumer faster than its producer empties the buffer after every few items; giving up the scheduler then
        /// costs a new Schedule on the next push. A short spin (no yield, no sleep) first lets a busy producer refill
        /// it, which keeps the drain in one pass. Skipped on one core, where spinning only delays the producer.
        /// </summary>
        private bool SpinForMore()
        {
            if (Environment.ProcessorCount == 1)
            {
                return false;
            }

            var spinner = default(SpinWait);
            while (!spinner.NextSpinWillYield)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
                if (Buffer.Depth > 0 || Buffer.IsCompleted)
                {
                    return true;
                }
            }

            return false;
        }

        private void Deliver(int count)
        {
            var batch = _batch;
            var i = 0;
            try
            {
                for (; i < count; i++)
                {
                    if (_disposed)
                    {
                        return;
                    }

                    var item = batch[i];
                    if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
                    {
                        batch[i] = default!;
                    }

                    observer.OnNext(item);
                }
            }
            finally
            {
                if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
                {
                    Array.Clear(batch, i, count - i);
                }
            }
        }

        private void DeliverTerminal()
        {
            if (_terminated || _disposed)
            {
                return;
            }

            _terminated = true;
            if (TerminalError is { } error)
            {
                observer.OnError(error);
            }
            else
            {
                observer.OnCompleted();
            }
        }

        protected override BlockHazard BlockingHazard()
        {
            var drainThread = Volatile.Read(ref _drainThread);
            if (drainThread != 0)
            {
                // A drain is running: blocking is safe unless it is this very thread (a re-entrant OnNext from downstream).
                return drainThread == Environment.CurrentManagedThreadId ? BlockHazard.DrainingThread : BlockHazard.None;
            }

            return SchedulerBlockingHazard(scheduler);
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            DisposeProducerSide();

            // Releases a parked long-running drain, which then sees the disposal and ends its thread.
            _wake?.Set();
        }

        public string Name => Buffer.Name;

        public BackpressurePolicy Policy => Buffer.Policy;

        public int Capacity => Buffer.Capacity;

        public StreamMetricsSnapshot GetMetrics() => Buffer.GetMetrics();
    }
}
