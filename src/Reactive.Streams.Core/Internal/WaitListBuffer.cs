using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Reactive.Streams.Internal;

/// <summary>
/// What the two modes with a lock share (<see cref="LockedBuffer{T}"/>, <see cref="SharedLaneBuffer{T}"/>): the lock,
/// the wait lists (parked readers, parked PauseUpstream writers with their items, space waiters of
/// <c>WaitToWriteAsync</c>, parked ReadAsyncs waiting to be handed an item), the armed read signals, and the invariant scope every locked region is entered through.
/// Parking, completion, cancellation and read signals are the same code for both; a mode adds how it stores items and
/// counts, and its own invariants (<see cref="AssertModeInvariantsLocked"/>).
/// </summary>
internal abstract class WaitListBuffer<T> : BoundedBuffer<T>
{
    private protected readonly Lock _lock = new();

    // Whether readers take items without the lock (the shared mode): then parking for room needs a handshake with them.
    private readonly bool _readersSkipLock;

    private protected AsyncWaiter<T>? _readers;
    private protected AsyncWaiter<T>? _writersHead;
    private protected AsyncWaiter<T>? _writersTail;
    private protected AsyncWaiter<T>? _spaceWaiters;
    private AsyncWaiter<T>? _takersHead;
    private AsyncWaiter<T>? _takersTail;
    private ReadSignal? _signals;

    private protected WaitListBuffer(BoundedStreamOptions<T> options, bool readersSkipLock)
        : base(options)
    {
        _readersSkipLock = readersSkipLock;
    }

    /// <summary>The lock writers take (in the locked mode, everyone); the tests hold it to show that shared-mode readers do not.</summary>
    internal Lock WriterLock => _lock;

    /// <summary>Whether a push would find room; under the lock.</summary>
    private protected abstract bool HasRoomLocked { get; }

    /// <summary>Whether the buffer holds items; under the lock.</summary>
    private protected abstract bool HasItemsLocked { get; }

    /// <summary>Under the lock: counts a push rejected without an overflow (closed, cancelled, timed out).</summary>
    private protected abstract void CountRejectedLocked();

    /// <summary>Under the lock: counts an item a push handed a parked ReadAsync (<see cref="TryHandToTakerLocked"/>) as pushed and delivered.</summary>
    private protected abstract void CountHandedToTakerLocked();

    private protected sealed override void CountDegraderFailure()
    {
        using (EnterLocked())
        {
            CountRejectedLocked();
        }
    }

    // ---- Waiting for room (WaitToWriteAsync) ----------------------------------------------------------------------

    /// <summary>
    /// <see cref="BoundedBuffer{T}.WaitToPushAsync"/> once the mode found that a push would wait: parks a space waiter
    /// until a read makes room, unless the look under the lock says otherwise.
    /// </summary>
    private protected ValueTask<bool> ParkForRoom(CancellationToken cancellationToken)
    {
        var waiter = new AsyncWaiter<T>(this, WaiterKind.Space, pooled: false);
        waiter.Arm(cancellationToken, timeout: null, _timeProvider);
        bool? result = null;
        Exception? failure = null;
        AsyncWaiter<T>? space = null;
        using (EnterLocked())
        {
            if (_doneWriting is not null)
            {
                if (_doneWriting == s_completedNormally)
                {
                    result = false;
                }
                else
                {
                    failure = _doneWriting;
                }
            }
            else if (HasRoomLocked && _writersHead is null)
            {
                result = true;
            }
            else if (waiter.Fired != 0)
            {
                failure = CreateFiredException(waiter);
            }
            else
            {
                waiter.Next = _spaceWaiters;
                _spaceWaiters = waiter;
                if (!_readersSkipLock)
                {
                    return waiter.AsValueTaskOfBool();
                }

                // The shared mode's handshake with readers, which make room without the lock (SharedLaneBuffer):
                // fence, then look at the room again.
                Interlocked.MemoryBarrier();
                if (HasRoomLocked && _writersHead is null)
                {
                    space = _spaceWaiters;
                    _spaceWaiters = null;
                }
            }
        }

        if (space is not null)
        {
            WakeAll(space);
        }

        if (result is not null || failure is not null)
        {
            if (failure is null)
            {
                waiter.SetResult(result!.Value);
            }
            else
            {
                waiter.SetException(failure);
            }
        }

        return waiter.AsValueTaskOfBool();
    }

    // ---- Waiting for an item (WaitToReadAsync) --------------------------------------------------------------------

    /// <summary>
    /// <see cref="BoundedBuffer{T}.WaitToReadAsync"/> under the lock: true if there are items, the end if the buffer is
    /// completed and drained, else parks the reader (on the pooled waiter when it cannot be cancelled).
    /// </summary>
    private protected ValueTask<bool> ParkReader(CancellationToken cancellationToken)
    {
        var done = false;
        using (EnterLocked())
        {
            if (HasItemsLocked)
            {
                return new ValueTask<bool>(true);
            }

            if (_doneWriting is not null)
            {
                done = true;
            }
            else if (!cancellationToken.CanBeCanceled)
            {
                var pooled = Interlocked.Exchange(ref _readerSingleton, null) ?? new AsyncWaiter<T>(this, WaiterKind.Reader, pooled: false);
                pooled.Next = _readers;
                _readers = pooled;
                return pooled.AsValueTaskOfBool();
            }
        }

        if (done)
        {
            return EndOfReading();
        }

        var waiter = new AsyncWaiter<T>(this, WaiterKind.Reader, pooled: false);
        waiter.Arm(cancellationToken, timeout: null, _timeProvider);
        Exception? failure = null;
        var result = true;
        using (EnterLocked())
        {
            if (HasItemsLocked)
            {
                result = true;
            }
            else if (_doneWriting is not null)
            {
                result = false;
                failure = _doneWriting == s_completedNormally ? null : _doneWriting;
            }
            else if (waiter.Fired != 0)
            {
                failure = CreateFiredException(waiter);
            }
            else
            {
                waiter.Next = _readers;
                _readers = waiter;
                return waiter.AsValueTaskOfBool();
            }
        }

        if (!result)
        {
            // Completed and drained: Completion first, then the reader learns the end (see EndOfReading).
            CompleteCompletionTask();
        }

        // Decided without parking: complete the armed waiter outside the lock, which also disarms it.
        if (failure is null)
        {
            waiter.SetResult(result);
        }
        else
        {
            waiter.SetException(failure);
        }

        return waiter.AsValueTaskOfBool();
    }

    /// <summary>
    /// What a reader that found the buffer completed and drained learns (<see cref="BoundedBuffer{T}.DoneReading"/>),
    /// once <see cref="BoundedBuffer{T}.Completion"/> is complete: the read that took the last item completes it only after
    /// its lock or claim, so a reader told "no more" in between completes it first, and a reader that saw the end never
    /// sees <c>Completion</c> still running (the runtime's bounded channel completes it under its lock on the last read).
    /// </summary>
    private ValueTask<bool> EndOfReading()
    {
        CompleteCompletionTask();
        return DoneReading();
    }

    internal sealed override void WakeReaders()
    {
        AsyncWaiter<T>? readers;
        using (EnterLocked())
        {
            readers = _readers;
            _readers = null;
        }

        if (readers is not null)
        {
            WakeAll(readers);
        }
    }

    // ---- Waiting for an item to be handed over (ReadAsync) ---------------------------------------------------------

    /// <summary>
    /// <see cref="BoundedBuffer{T}.ReadAsync"/> once the fast read found nothing: parks the read as a taker, behind the
    /// reads parked before it, and takes the item a push hands it (as BoundedChannel hands a written item to its oldest
    /// blocked reader, waking no <c>WaitToReadAsync</c>). A read that finds items under the lock tries again. The returned
    /// task is the taker itself (through <see cref="TakenRead"/>), so it is complete when the push, completion or
    /// cancellation that ends it returns, as the runtime's channels complete a blocked read; an async method awaiting the
    /// taker would complete later, on the thread its continuation runs on.
    /// </summary>
    private protected sealed override ValueTask<T> ReadAsyncSlow(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<T>(cancellationToken);
            }

            if (TryRead(out var item))
            {
                return new ValueTask<T>(item);
            }

            if (ParkTaker(cancellationToken) is { } taker)
            {
                return new ValueTask<T>(new TakenRead(taker), taker.Version);
            }

            // Items arrived since the read; another reader may take them first, so read again.
        }
    }

    /// <summary>
    /// How a taker ends a read that found the buffer completed and drained: the completion's own
    /// <see cref="OperationCanceledException"/> (a cancelled read), else the closed exception of a drained read.
    /// </summary>
    private Exception CreateTakerEnd() =>
        _doneWriting as OperationCanceledException ?? CreateClosedException(reading: true);

    /// <summary>
    /// A parked ReadAsync's task: the taker's wait, whose result is the item it was handed. A taker ends only with true
    /// (handed an item) or an exception (<see cref="CreateTakerEnd"/>, or the cancellation), so its status is the read's.
    /// Its own type because <see cref="AsyncWaiter{T}"/> cannot implement <see cref="IValueTaskSource{T}"/> beside
    /// <c>IValueTaskSource&lt;bool&gt;</c> (the two unify for a buffer of bool).
    /// </summary>
    private sealed class TakenRead(AsyncWaiter<T> taker) : IValueTaskSource<T>
    {
        public T GetResult(short token)
        {
            ((IValueTaskSource<bool>)taker).GetResult(token);
            // Not cleared by the wait's result (AsyncWaiter.GetResultAndRecycle keeps a taker's item).
            return taker.Item;
        }

        public ValueTaskSourceStatus GetStatus(short token) => taker.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            taker.OnCompleted(continuation, state, token, flags);
    }

    /// <summary>
    /// Parks a taker for <see cref="ReadAsyncSlow"/>, unless the look under the lock decides: null if the buffer holds
    /// items (read again); a taker already ended (completed and drained: <see cref="CreateTakerEnd"/>) or cancelled; else
    /// the parked taker, completed by the push that hands it an item, by completion, or by
    /// its cancellation.
    /// </summary>
    private AsyncWaiter<T>? ParkTaker(CancellationToken cancellationToken)
    {
        // Not pooled (one per ReadAsync that waits, as BoundedChannel allocates an operation), and armed outside the lock:
        // a registration may run its callback (which takes the lock) at once.
        var taker = new AsyncWaiter<T>(this, WaiterKind.Taker, pooled: false);
        taker.Arm(cancellationToken, timeout: null, _timeProvider);
        Exception? failure = null;
        bool? result;
        var drained = false;
        using (EnterLocked())
        {
            if (HasItemsLocked)
            {
                result = null;
            }
            else if (_doneWriting is not null)
            {
                result = false;
                drained = true;
                failure = CreateTakerEnd();
            }
            else if (taker.Fired != 0)
            {
                result = false;
                failure = CreateFiredException(taker);
            }
            else
            {
                taker.Next = null;
                if (_takersTail is null)
                {
                    _takersHead = _takersTail = taker;
                }
                else
                {
                    _takersTail.Next = taker;
                    _takersTail = taker;
                }

                return taker;
            }
        }

        if (drained)
        {
            // Completed and drained: Completion first, then the read learns the end (see EndOfReading).
            CompleteCompletionTask();
        }

        // Decided without parking: complete the armed taker outside the lock, which also disarms it.
        if (failure is not null)
        {
            taker.SetException(failure);
        }
        else
        {
            taker.SetResult(result ?? true);
        }

        return result is null ? null : taker;
    }

    /// <summary>
    /// Under the lock, before <paramref name="item"/> would enter the buffer (which is then empty): if a ReadAsync is
    /// parked, unlinks the oldest, hands it the item, counts the item as pushed and delivered, and appends the taker to
    /// the list (<paramref name="head"/> to <paramref name="tail"/>) to complete with true once the lock is released
    /// (<see cref="BoundedBuffer{T}.WakeAll"/>). The caller then stores nothing and wakes no reader or read signal.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected bool TryHandToTakerLocked(T item, ref AsyncWaiter<T>? head, ref AsyncWaiter<T>? tail)
    {
        if (_takersHead is null)
        {
            return false;
        }

        HandToTakerLocked(item, ref head, ref tail);
        return true;
    }

    private void HandToTakerLocked(T item, ref AsyncWaiter<T>? head, ref AsyncWaiter<T>? tail)
    {
        Debug.Assert(!HasItemsLocked, "Takers park only on an empty buffer.");
        var taker = _takersHead!;
        _takersHead = taker.Next;
        if (_takersHead is null)
        {
            _takersTail = null;
        }

        taker.Next = null;
        taker.Item = item;
        CountHandedToTakerLocked();
        if (tail is null)
        {
            head = taker;
        }
        else
        {
            tail.Next = taker;
        }

        tail = taker;
    }

    // ---- Completion -----------------------------------------------------------------------------------------------

    public sealed override bool TryComplete(Exception? error)
    {
        AsyncWaiter<T>? readers;
        AsyncWaiter<T>? writers;
        AsyncWaiter<T>? space;
        AsyncWaiter<T>? takers;
        object? signals;
        bool drained;
        using (EnterLocked())
        {
            if (_doneWriting is not null)
            {
                return false;
            }

            signals = TakeSignals();

            // An exchange (a full fence): in the shared mode readers take items without the lock, and the last of them
            // looks at _doneWriting after its claim, so either it sees the completion or the look below sees it drained.
            Interlocked.Exchange(ref _doneWriting, error ?? s_completedNormally);
            readers = _readers;
            writers = _writersHead;
            space = _spaceWaiters;
            takers = _takersHead;
            _readers = _writersHead = _writersTail = _spaceWaiters = _takersHead = _takersTail = null;
            for (var w = writers; w is not null; w = w.Next)
            {
                CountRejectedLocked();
            }

            drained = !HasItemsLocked;
        }

        // A drained buffer's Completion first, as the runtime's channels do: a reader woken below with the end finds it
        // complete.
        if (drained)
        {
            CompleteCompletionTask();
        }

        // Complete everything outside the lock: continuations run asynchronously, but SetResult still must not
        // be called while we hold the lock: a blocking waiter continues inline (BlockingWait), and no waiter may run under it.
        var closed = writers is null ? null : CreateClosedException();
        while (writers is not null)
        {
            var next = writers.Next;
            writers.SetException(closed!);
            writers = next;
        }

        // Parked readers and writers waiting for room learn the end the way a later WaitToReadAsync or WaitToWriteAsync
        // would: false after a normal completion, the completion error otherwise (as the runtime's channels do). Parked
        // ReadAsyncs (takers; the buffer is empty while there are any) end as a read of the completed, drained buffer does.
        for (var taker = takers; taker is not null;)
        {
            var next = taker.Next;
            taker.SetException(CreateTakerEnd());
            taker = next;
        }

        foreach (var list in (ReadOnlySpan<AsyncWaiter<T>?>)[readers, space])
        {
            for (var waiter = list; waiter is not null;)
            {
                var next = waiter.Next;
                if (error is null)
                {
                    waiter.SetResult(false);
                }
                else
                {
                    waiter.SetException(error);
                }

                waiter = next;
            }
        }

        if (signals is not null)
        {
            FireAll(signals);
        }

        return true;
    }

    // ---- Waiters --------------------------------------------------------------------------------------------------

    internal sealed override void OnWaiterFired(AsyncWaiter<T> waiter)
    {
        using (EnterLocked())
        {
            if (!Unlink(waiter))
            {
                // Already completed by another party, or not parked yet (the parking code checks Fired).
                return;
            }

            if (waiter.Kind == WaiterKind.Writer)
            {
                CountRejectedLocked();
            }
        }

        waiter.SetException(CreateFiredException(waiter));
    }

    private bool Unlink(AsyncWaiter<T> waiter)
    {
        switch (waiter.Kind)
        {
            case WaiterKind.Reader:
                return UnlinkFrom(ref _readers, waiter, out _);
            case WaiterKind.Space:
                return UnlinkFrom(ref _spaceWaiters, waiter, out _);
            case WaiterKind.Taker:
                if (!UnlinkFrom(ref _takersHead, waiter, out var before))
                {
                    return false;
                }

                if (_takersTail == waiter)
                {
                    _takersTail = before;
                }

                return true;
            default:
                if (!UnlinkFrom(ref _writersHead, waiter, out var previous))
                {
                    return false;
                }

                if (_writersTail == waiter)
                {
                    _writersTail = previous;
                }

                return true;
        }
    }

    private static bool UnlinkFrom(ref AsyncWaiter<T>? head, AsyncWaiter<T> waiter, out AsyncWaiter<T>? previous)
    {
        previous = null;
        for (var current = head; current is not null; previous = current, current = current.Next)
        {
            if (current == waiter)
            {
                if (previous is null)
                {
                    head = current.Next;
                }
                else
                {
                    previous.Next = current.Next;
                }

                current.Next = null;
                return true;
            }
        }

        return false;
    }

    /// <summary>Under the lock: parks a PauseUpstream writer behind the others.</summary>
    private protected void AppendWriter(AsyncWaiter<T> waiter)
    {
        waiter.Next = null;
        if (_writersTail is null)
        {
            _writersHead = _writersTail = waiter;
        }
        else
        {
            _writersTail.Next = waiter;
            _writersTail = waiter;
        }
    }

    /// <summary>
    /// Under the lock: unlinks the oldest parked writer, whose item is about to enter, and appends it to the list
    /// (<paramref name="head"/> to <paramref name="tail"/>) of writers to complete once the lock is released.
    /// </summary>
    private protected AsyncWaiter<T> TakeOldestWriter(ref AsyncWaiter<T>? head, ref AsyncWaiter<T>? tail)
    {
        var parked = _writersHead!;
        _writersHead = parked.Next;
        if (_writersHead is null)
        {
            _writersTail = null;
        }

        parked.Next = null;
        if (tail is null)
        {
            head = parked;
        }
        else
        {
            tail.Next = parked;
        }

        tail = parked;
        return parked;
    }

    /// <summary>Under the lock, after items entered: detaches the parked readers and the armed read signals.</summary>
    private protected void TakeReaders(out AsyncWaiter<T>? readers, out object? signals)
    {
        readers = _readers;
        if (readers is not null)
        {
            _readers = null;
        }

        signals = TakeSignals();
    }

    /// <summary>After the lock is released: wakes what <see cref="TakeReaders"/> detached.</summary>
    private protected static void WakeReadersAndSignals(AsyncWaiter<T>? readers, object? signals)
    {
        if (readers is not null)
        {
            WakeAll(readers);
        }

        if (signals is not null)
        {
            FireAll(signals);
        }
    }

    // ---- Read signals ---------------------------------------------------------------------------------------------

    internal sealed override bool ArmReadSignal(ReadSignal signal)
    {
        using (EnterLocked())
        {
            if (HasItemsLocked || _doneWriting is not null)
            {
                return false;
            }

            if (!signal.IsArmed)
            {
                signal.IsArmed = true;
                signal.Next = _signals;
                _signals = signal;
            }

            return true;
        }
    }

    internal sealed override bool DisarmReadSignal(ReadSignal signal)
    {
        using (EnterLocked())
        {
            if (!signal.IsArmed)
            {
                return false;
            }

            ReadSignal? previous = null;
            for (var current = _signals; current is not null; previous = current, current = current.Next)
            {
                if (current == signal)
                {
                    if (previous is null)
                    {
                        _signals = current.Next;
                    }
                    else
                    {
                        previous.Next = current.Next;
                    }

                    break;
                }
            }

            signal.IsArmed = false;
            signal.Next = null;
            return true;
        }
    }

    // Under the lock: detaches the armed signals. One signal (the common case) is returned as is; several are copied
    // to an array, because a fired signal may be re-armed (relinked through Next) before the firing loop reaches it.
    private object? TakeSignals()
    {
        var head = _signals;
        if (head is null)
        {
            return null;
        }

        _signals = null;
        if (head.Next is null)
        {
            head.IsArmed = false;
            return head;
        }

        var all = new List<ReadSignal>();
        for (var current = head; current is not null;)
        {
            var next = current.Next;
            current.IsArmed = false;
            current.Next = null;
            all.Add(current);
            current = next;
        }

        return all.ToArray();
    }

    private static void FireAll(object signals)
    {
        if (signals is ReadSignal single)
        {
            single.OnReadable();
            return;
        }

        // Every detached signal is fired even if one throws (an observer that throws on a scheduler that runs its drain
        // inline, ImmediateScheduler): the others are disarmed already, and a signal not fired would leave its reader
        // waiting for good. The exception then goes on to the caller, as a single signal's does.
        List<Exception>? errors = null;
        foreach (var signal in (ReadSignal[])signals)
        {
            try
            {
                signal.OnReadable();
            }
            catch (Exception error)
            {
                (errors ??= []).Add(error);
            }
        }

        if (errors is not null)
        {
            if (errors.Count == 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(errors[0]);
            }

            throw new AggregateException(errors);
        }
    }

    // ---- Invariants -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Enters the lock for a region that keeps the engine's invariants: they are checked (in DEBUG builds) on entry and
    /// again when the region is left, by whatever path. Release builds take the lock exactly as a <c>lock</c> statement.
    /// </summary>
    private protected InvariantScope EnterLocked()
    {
        var scope = _lock.EnterScope();
        AssertInvariants();
        return new InvariantScope(this, scope);
    }

    /// <summary>A locked region (<see cref="EnterLocked"/>): checks the invariants, then releases the lock.</summary>
    private protected ref struct InvariantScope
    {
        private readonly WaitListBuffer<T> _owner;
        private Lock.Scope _scope;

        public InvariantScope(WaitListBuffer<T> owner, Lock.Scope scope)
        {
            _owner = owner;
            _scope = scope;
        }

        public void Dispose()
        {
            _owner.AssertInvariants();
            _scope.Dispose();
        }
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "The lock protects every field but the lane's.");
        Debug.Assert(_doneWriting is null || (_writersHead is null && _readers is null && _spaceWaiters is null && _takersHead is null), "Completion releases every parked writer, reader, space waiter and taker.");
        Debug.Assert(_writersHead is null || Policy == BackpressurePolicy.PauseUpstream, "Writers park only under PauseUpstream.");
        Debug.Assert((_writersHead is null) == (_writersTail is null), "The writers' list has both ends or none.");
        Debug.Assert(_writersTail?.Next is null, "The last parked writer is last.");
        Debug.Assert(_readers is null || !HasItemsLocked, "Readers park only on an empty buffer.");
        Debug.Assert(_takersHead is null || !HasItemsLocked, "Takers (parked ReadAsyncs) only while the buffer is empty: a push hands them its item.");
        Debug.Assert((_takersHead is null) == (_takersTail is null), "The takers' list has both ends or none.");
        Debug.Assert(_takersTail?.Next is null, "The last parked taker is last.");
        Debug.Assert(_signals is null || _doneWriting is null, "Completion fires every armed read signal.");
        AssertModeInvariantsLocked();
    }

    /// <summary>Under the lock, in DEBUG builds only (called from <see cref="EnterLocked"/>'s checks): the mode's own invariants.</summary>
    private protected abstract void AssertModeInvariantsLocked();
}
