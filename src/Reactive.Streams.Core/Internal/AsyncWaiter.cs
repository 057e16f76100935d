using System.Threading.Tasks.Sources;

namespace Reactive.Streams.Internal;

/// <summary>
/// One parked reader or writer of a <see cref="BoundedBuffer{T}"/>: a reusable <see cref="IValueTaskSource{TResult}"/>
/// linked into one of the buffer's wait lists. Exactly one party completes it: whoever removes it from its list
/// under the buffer's lock (a pusher, a reader, completion, cancellation or the timeout), and always after
/// releasing the lock. Waiters of operations that cannot be cancelled and have no timeout are pooled, one per
/// list kind and buffer, so a steady producer/consumer pair allocates nothing per wait (as BoundedChannel does).
/// </summary>
internal sealed class AsyncWaiter<T> : IValueTaskSource<bool>, IValueTaskSource
{
    private readonly BoundedBuffer<T> _owner;
    
    private readonly bool _pooled;
    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationTokenRegistration _registration;
    private ITimer? _timer;
    private int _fired;

    public AsyncWaiter(BoundedBuffer<T> owner, WaiterKind kind, bool pooled)
    {
        _owner = owner;
        Kind = kind;
        _pooled = pooled;
        _core.RunContinuationsAsynchronously = true;
    }

    /// <summary>Which of the buffer's lists this waiter parks in.</summary>
    public WaiterKind Kind { get; }

    /// <summary>
    /// The item a blocked writer hands over when a reader makes room, or the item a push hands a parked ReadAsync
    /// (<see cref="WaiterKind.Taker"/>), which reads it after the wait; a taker's is not cleared when its result is read.
    /// </summary>
    public T Item = default!;

    /// <summary>The next waiter in the same list.</summary>
    public AsyncWaiter<T>? Next;

    /// <summary>What fired before the waiter could be parked: 0 nothing, 1 cancellation, 2 timeout.</summary>
    public int Fired => Volatile.Read(ref _fired);

    public CancellationToken CancellationToken { get; private set; }

    public short Version => _core.Version;

    public ValueTask<bool> AsValueTaskOfBool() => new(this, _core.Version);

    /// <summary>
    /// Makes the completing party run the continuation on its own thread, before it parks the waiter: only for the
    /// engine's blocking adapter (<see cref="BlockingWait"/>), whose continuation just sets an event. A thread-pool hop
    /// per wake-up would otherwise stall a blocked producer behind a busy pool. Reset when the waiter is recycled.
    /// </summary>
    public void ContinueInline() => _core.RunContinuationsAsynchronously = false;

    public ValueTask AsValueTask() => new(this, _core.Version);

    public void Arm(CancellationToken cancellationToken, TimeSpan? timeout, TimeProvider timeProvider)
    {
        CancellationToken = cancellationToken;
        _fired = 0;
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var waiter = (AsyncWaiter<T>)state!;
                    Interlocked.CompareExchange(ref waiter._fired, 1, 0);
                    waiter._owner.OnWaiterFired(waiter);
                },
                this);
        }

        if (timeout is { } due)
        {
            _timer = timeProvider.CreateTimer(
                static state =>
                {
                    var waiter = (AsyncWaiter<T>)state!;
                    Interlocked.CompareExchange(ref waiter._fired, 2, 0);
                    waiter._owner.OnWaiterFired(waiter);
                },
                this,
                due,
                Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Completes the waiter; called outside the buffer's lock by the party that unlinked it.</summary>
    public void SetResult(bool result)
    {
        Disarm();
        _core.SetResult(result);
    }

    /// <summary>Faults the waiter; called outside the buffer's lock by the party that unlinked it.</summary>
    public void SetException(Exception error)
    {
        Disarm();
        _core.SetException(error);
    }

    private void Disarm()
    {
        // Disposing the registration waits for a callback running on another thread; that callback only takes
        // the buffer's lock, which we do not hold here, so this cannot deadlock.
        _registration.Dispose();
        _registration = default;
        _timer?.Dispose();
        _timer = null;
        CancellationToken = default;
        Next = null;
    }

    bool IValueTaskSource<bool>.GetResult(short token) => GetResultAndRecycle(token);

    void IValueTaskSource.GetResult(short token) => GetResultAndRecycle(token);

    private bool GetResultAndRecycle(short token)
    {
        // A result asked for with a stale token (a task awaited, or its result read, a second time) or before the wait
        // completed (.Result on a pending task) is refused with an InvalidOperationException and changes nothing, as the
        // runtime channels' operations do: this waiter may still be parked with its item, or be pooled and serving the
        // next wait. Only the one GetResult of a completed wait resets and recycles it. (GetStatus throws for a stale token.)
        if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            throw new InvalidOperationException("The operation has not completed yet: await it (or wait for IsCompleted) before reading its result.");
        }

        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            // A taker's ReadAsync reads its item after this (takers are never pooled, so nothing reuses the field).
            if (Kind != WaiterKind.Taker)
            {
                Item = default!;
            }

            _core.Reset();
            _core.RunContinuationsAsynchronously = true;
            if (_pooled)
            {
                _owner.Return(this);
            }
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>The wait lists of a <see cref="BoundedBuffer{T}"/>.</summary>
internal enum WaiterKind
{
    /// <summary>A reader waiting for an item (WaitToReadAsync).</summary>
    Reader,

    /// <summary>A PauseUpstream writer parked with its item until a reader makes room.</summary>
    Writer,

    /// <summary>A writer waiting for room without handing over an item (WaitToWriteAsync).</summary>
    Space,

    /// <summary>
    /// A ReadAsync parked on an empty buffer, in call order, until a push hands it its item (<see cref="AsyncWaiter{T}.Item"/>)
    /// instead of storing it, as BoundedChannel hands an item to its oldest blocked reader. Never pooled.
    /// </summary>
    Taker,
}
