using System.Collections.Concurrent;
using System.Reactive.Concurrency;
using System.Reflection;
using System.Reactive.Disposables;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// The producer side shared by every Rx face of the engine (the policy operators, <c>SubscribeAsync</c>,
/// <c>ToBoundedStream</c>): it pushes each <see cref="OnNext"/> into one <see cref="BoundedBuffer{T}"/> under the
/// policy, turns a rejected push into the stream's terminal error, and stops PauseUpstream from blocking the thread
/// that drains the buffer. Terminal notifications complete the buffer, so they reach the consumer after the items
/// buffered before them. Idempotent termination lives here once, not in every operator.
/// </summary>
internal abstract class BackpressureSink<T> : ReadSignal, IObserver<T>
{
    private readonly SingleAssignmentDisposable _upstream = new();
    private Exception? _error;
    private int _stopped;
    private int _lastDrainThread;
    private bool _lastDrainThreadDedicated;
    private int _subscribingThread;
    private int _lastSchedulingThread;

    protected BackpressureSink(BoundedBuffer<T> buffer)
    {
        Buffer = buffer;
    }

    /// <summary>The engine; the consumer side reads it.</summary>
    public BoundedBuffer<T> Buffer { get; }

    /// <summary>
    /// The error the stream ends with, or null for a normal completion. Written before the buffer is completed, so a
    /// consumer that has seen <see cref="BoundedBuffer{T}.IsCompleted"/> sees it.
    /// </summary>
    protected Exception? TerminalError => Volatile.Read(ref _error);

    /// <summary>Whether <see cref="OnNext"/> ignores what it is given: the stream has ended or its consumer went away.</summary>
    protected bool IsProducerSideStopped => Volatile.Read(ref _stopped) != 0;

    /// <summary>Subscribes to <paramref name="source"/>; call once, after the consumer side is ready.</summary>
    /// <param name="source">The source.</param>
    /// <param name="errorsToOnError">
    /// As Rx's operators do (<c>SubscribeSafe</c>): an exception thrown by the source's <c>Subscribe</c> becomes this
    /// sink's <see cref="OnError"/> instead of reaching the caller. Otherwise it propagates.
    /// </param>
    public void SubscribeTo(IObservable<T> source, bool errorsToOnError = false)
    {
        if (CurrentThreadScheduler.IsScheduleRequired)
        {
            // Subscribe inside a current-thread trampoline, as Rx's own operators do (Producer.SubscribeRaw): a source
            // that emits synchronously on this thread (Range, Repeat, Generate, ToObservable) then queues its emission
            // until its Subscribe has returned the subscription, so an end decided while it emits (a Fail overflow, a
            // throwing degrader, a handler's failure) can unsubscribe it. Without it such a source ran to its
            // end (for ever, for Repeat) inside this call with nobody able to stop it. Exceptions leave the trampoline.
            CurrentThreadScheduler.Instance.Schedule((Sink: this, Source: source, ErrorsToOnError: errorsToOnError), static (_, s) =>
            {
                s.Sink.SubscribeNow(s.Source, s.ErrorsToOnError);
                return Disposable.Empty;
            });
            return;
        }

        SubscribeNow(source, errorsToOnError);
    }

    private void SubscribeNow(IObservable<T> source, bool errorsToOnError)
    {
        var subscription = errorsToOnError ? source.SubscribeSafe(this) : source.Subscribe(this);

        // If the stream ended during Subscribe (a synchronous source, an overflow), this disposes it at once.
        _upstream.Disposable = subscription;
    }

    public void OnNext(T value)
    {
        if (Volatile.Read(ref _stopped) != 0)
        {
            // Rx grammar after a terminal, or a source still emitting after we disposed it: not ours to count.
            return;
        }

        var result = Buffer.TryPush(value);
        if (result.IsAccepted)
        {
            return;
        }

        switch (result.Status)
        {
            case PushStatus.Full:
                PushBlocking(value);
                break;
            case PushStatus.Closed:
                // Completed from the consumer side (disposal, or a BoundedStream completed by its reader): stop the source.
                Stop(error: null, completeBuffer: false);
                break;
            default:
                // Fail overflow, missing or throwing degrader: the engine counted the item as rejected; the stream faults.
                Stop(Buffer.CreateException(result), completeBuffer: true);
                break;
        }
    }

    // Like Rx's own sinks, a terminal releases the upstream subscription at once (the source's subscription log shows
    // it released at the terminal's time), while the consumer still drains what was buffered before it.
    public void OnError(Exception error) => Stop(error ?? new ArgumentNullException(nameof(error)), completeBuffer: true);

    public void OnCompleted() => Stop(error: null, completeBuffer: true);

    /// <summary>
    /// PauseUpstream with a full buffer: block this thread until a reader makes room, unless this thread is the one that
    /// would make it (then blocking is a silent deadlock, so the stream fails fast instead).
    /// </summary>
    private void PushBlocking(T value)
    {
        var hazard = BlockingHazard();
        if (hazard != BlockHazard.None)
        {
            var error = new InvalidOperationException(hazard == BlockHazard.StoppedVirtualClock
                ? $"Stream '{Buffer.Name}' (PauseUpstream, capacity {Buffer.Capacity}) is full and OnNext was called, while its virtual-time " +
                  "scheduler is not running, on the thread that advances that scheduler; only advancing it drains the stream, and a blocked thread " +
                  "cannot advance it, so blocking here would deadlock and the stream fails instead. Schedule the pushes on the scheduler (so they run " +
                  "in virtual time, as its clock advances), or advance it (AdvanceBy, AdvanceTo or Start) before pushing more than the capacity, " +
                  "or use DropOldest, DegradeQuality or Fail."
                : $"Stream '{Buffer.Name}' (PauseUpstream, capacity {Buffer.Capacity}) is full and OnNext was called on the thread that drains it; " +
                  "blocking here would deadlock, so the stream fails instead. Produce on another thread or scheduler than the one the operator delivers on, " +
                  "or use DropOldest, DegradeQuality or Fail.");
            Stop(error, completeBuffer: true);

            // Counted as rejected by the now completed buffer, so conservation covers the refused item.
            Buffer.TryPush(value);
            return;
        }

        try
        {
            // The engine's one PauseUpstream wait, through its blocking adapter: the same decision, timeout and
            // counting as an async push, and the reader that makes room wakes this thread directly.
            Buffer.Push(value, CancellationToken.None);
        }
        catch (StreamClosedException)
        {
            // Disposed or failed while waiting: the engine counted the item as rejected; nothing more to do.
        }
        catch (StreamOverflowException timeout)
        {
            Stop(timeout, completeBuffer: true);
        }
        catch (Exception refused) when (refused is not ThreadInterruptedException)
        {
            // The clock refused the wait's timer before the item was parked (a PauseUpstream timeout on a scheduler that
            // throws on timed work, a TimeProvider whose CreateTimer throws): the push can neither wait nor be accepted.
            // Thrown from here, the clock's exception reached the source's OnNext and the stream went on, the item
            // counted nowhere. End the stream with it instead, as a refused drain does, and count the item as rejected.
            // (An interrupted wait is no refusal: its item is still parked, and the interruption is the thread's own.)
            Stop(refused, completeBuffer: true);
            Buffer.TryPush(value);
        }
    }

    /// <summary>
    /// Whether blocking the current thread would stop the consumer from ever making room, and why. Asked only when a
    /// push is about to block, never on the push path that finds room.
    /// </summary>
    protected abstract BlockHazard BlockingHazard();

    /// <summary>
    /// Ends the stream once: records the terminal error, completes the buffer (which wakes the consumer and releases
    /// blocked producers) and disposes the upstream subscription.
    /// </summary>
    protected void Stop(Exception? error, bool completeBuffer)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        Volatile.Write(ref _error, error);
        if (completeBuffer)
        {
            Buffer.TryComplete(error);
        }

        _upstream.Dispose();
        OnStopped();
    }

    /// <summary>Called once, by whoever ended the stream through <see cref="Stop"/>, after the source was let go.</summary>
    protected virtual void OnStopped()
    {
    }

    /// <summary>
    /// The consumer is going away: stop the source and release every blocked producer. Returns whether the consumer
    /// was idle (its read signal was armed, so no drain is running or scheduled).
    /// </summary>
    protected bool DisposeProducerSide()
    {
        Interlocked.Exchange(ref _stopped, 1);
        _upstream.Dispose();
        var idle = Buffer.DisarmReadSignal(this);

        // A drain that arms between the two calls is woken by this completion, and finds the consumer disposed.
        Buffer.TryComplete(null);

        // The subscription has ended, though its owner may hold it still: what it buffered leaves the meter's depth now.
        Buffer.EndMetering();
        return idle;
    }

    /// <summary>
    /// Records that this thread is about to schedule the consumer's drain: on <see cref="CurrentThreadScheduler"/> inside
    /// a trampoline the drain is queued behind the work running on this thread, so it can run only once this thread is
    /// free (see <see cref="SchedulerBlockingHazard"/>).
    /// </summary>
    protected void RecordDrainScheduling() => Volatile.Write(ref _lastSchedulingThread, Environment.CurrentManagedThreadId);

    /// <summary>Records that this thread runs the consumer's work for the scheduler (a drain, or the subscription's probe).</summary>
    protected void RecordDrainThread()
    {
        Volatile.Write(ref _lastDrainThreadDedicated, !Thread.CurrentThread.IsThreadPoolThread);
        Volatile.Write(ref _lastDrainThread, Environment.CurrentManagedThreadId);
    }

    /// <summary>
    /// Learns which thread <paramref name="scheduler"/> runs the consumer's work on before the source can emit (work it
    /// runs in order runs this first), so the guard knows a thread-bound scheduler even before the first drain. Also
    /// notes the subscribing thread: the one that will advance a virtual clock nobody has advanced yet.
    /// </summary>
    protected void ProbeSchedulerThread(IScheduler scheduler)
    {
        Volatile.Write(ref _subscribingThread, Environment.CurrentManagedThreadId);
        try
        {
            scheduler.Schedule(this, static (_, sink) =>
            {
                sink.RecordDrainThread();
                return Disposable.Empty;
            });
        }
        catch (Exception)
        {
            // The scheduler refuses work (an EventLoopScheduler that was disposed, say). The probe is only a hint for the
            // PauseUpstream guard, so the subscription goes ahead, as ObserveOn's would: the consumer meets the refusal
            // when it schedules its first drain, and ends the stream with it there (each consumer's OnReadable).
        }
    }

    /// <summary>
    /// Whether a drain that <paramref name="scheduler"/> has queued cannot run while this thread blocks. Decided from
    /// what the scheduler did, not from a list of scheduler types: a virtual clock that is running runs every work item
    /// on the thread that advances it (and nothing advances it while that thread blocks); a virtual clock that is not
    /// running runs nothing until a thread advances it, which is taken to be the thread that last ran the consumer's
    /// work on it or, before it has run any, the thread that subscribed (the test's own thread, in the usual shape of a
    /// virtual-time test), so that thread must not block on it; any other scheduler that ran the consumer's last work on
    /// this very thread, and that thread is a dedicated one (an event loop, a UI or trampoline thread) rather than a pool
    /// thread that any other pool thread can stand in for, would run the queued drain here too.
    /// </summary>
    protected BlockHazard SchedulerBlockingHazard(IScheduler scheduler)
    {
        var me = Environment.CurrentManagedThreadId;
        if (scheduler is CurrentThreadScheduler && !CurrentThreadScheduler.IsScheduleRequired && Volatile.Read(ref _lastSchedulingThread) == me)
        {
            // The drain was scheduled from this thread while a trampoline runs on it (a source subscribed inside one,
            // as every subscription now is, or a push from trampolined work), so it is queued behind this very push:
            // whatever kind of thread this is (a thread-pool thread too), blocking would never end.
            return BlockHazard.DrainingThread;
        }

        var last = Volatile.Read(ref _lastDrainThread);
        return VirtualClock.StateOf(scheduler) switch
        {
            VirtualClockState.Running => BlockHazard.DrainingThread,
            VirtualClockState.Stopped =>
                (last != 0 ? last : Volatile.Read(ref _subscribingThread)) == me ? BlockHazard.StoppedVirtualClock : BlockHazard.None,
            _ => last == me && Volatile.Read(ref _lastDrainThreadDedicated) ? BlockHazard.DrainingThread : BlockHazard.None,
        };
    }
}

/// <summary>Why a PauseUpstream push must not block the current thread.</summary>
internal enum BlockHazard
{
    /// <summary>Blocking is safe: another thread makes room.</summary>
    None,

    /// <summary>This thread runs (or is running) the drain that would make room.</summary>
    DrainingThread,

    /// <summary>
    /// The scheduler is a virtual clock that is not running, and this thread is the one that would advance it.
    /// </summary>
    StoppedVirtualClock,
}

/// <summary>Whether a scheduler is a virtual clock, and whether that clock is running.</summary>
internal enum VirtualClockState
{
    /// <summary>Not a virtual-time scheduler.</summary>
    NotVirtual,

    /// <summary>A virtual-time scheduler inside Start, AdvanceBy or AdvanceTo.</summary>
    Running,

    /// <summary>A virtual-time scheduler that nothing is advancing: it runs no work until a thread advances it.</summary>
    Stopped,
}

/// <summary>
/// Recognises a virtual clock on any Rx virtual-time scheduler, and whether it is running: every one
/// (<c>TestScheduler</c>, <c>HistoricalScheduler</c>, a user's own <c>VirtualTimeScheduler&lt;TAbsolute, TRelative&gt;</c>)
/// derives from <see cref="VirtualTimeSchedulerBase{TAbsolute, TRelative}"/>, whatever its clock types, and says whether
/// its clock is running through <c>IsEnabled</c>. Read by reflection, once per scheduler type, because the clock types
/// are the user's: no generic constraint can name them. Only the scheduler itself is recognised: Rx's wrappers
/// (<c>DisableOptimizations</c>, <c>Catch</c>) are internal types that do not expose the scheduler they wrap.
/// </summary>
internal static class VirtualClock
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo?> s_isEnabled = new();

    public static bool IsRunning(IScheduler scheduler) => StateOf(scheduler) == VirtualClockState.Running;

    public static VirtualClockState StateOf(IScheduler scheduler)
    {
        var isEnabled = s_isEnabled.GetOrAdd(scheduler.GetType(), static type =>
        {
            for (var current = type; current is not null; current = current.BaseType)
            {
                if (current.IsGenericType && current.GetGenericTypeDefinition() == typeof(VirtualTimeSchedulerBase<,>))
                {
                    return current.GetProperty(nameof(VirtualTimeSchedulerBase<long, long>.IsEnabled));
                }
            }

            return null;
        });
        if (isEnabled is null)
        {
            return VirtualClockState.NotVirtual;
        }

        return isEnabled.GetValue(scheduler) is true ? VirtualClockState.Running : VirtualClockState.Stopped;
    }
}
