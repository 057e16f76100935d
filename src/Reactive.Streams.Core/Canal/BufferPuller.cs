using System.Buffers;
using System.Runtime.CompilerServices;
using Reactive.Streams.Internal;

namespace Reactive.Streams.Canal;

/// <summary>
/// Pull-batch reading over the engine, shared by the in-memory canals. A pull takes whatever is ready and returns as
/// soon as it holds an item (or lingers when asked); it waits only when nothing is ready. The deadline is a single
/// reusable timer on the canal's <see cref="TimeProvider"/> that wakes the parked reader; waiting parks on the engine's
/// pooled reader, so a pull that returns Empty or One allocates nothing (the async path uses a pooling builder).
/// Items taken from the buffer cannot be put back into it, so a cancelled pull keeps them here and the next pull
/// returns them first.
/// </summary>
internal sealed class BufferPuller<T> : IDisposable
{
    private readonly BoundedBuffer<T> _buffer;
    private readonly TimeProvider _timeProvider;
    private readonly string _name;
    private ITimer? _timer;
    private int _timerFired;
    private int _pulling;
    private volatile bool _disposed;

    // Items a cancelled pull had taken, or a batch given back unhandled, oldest first. Only the one running pull (or
    // the worker between pulls) touches them, which the _pulling flag guarantees.
    private T[]? _held;
    private int _heldStart;
    private int _heldCount;

    public BufferPuller(BoundedBuffer<T> buffer, TimeProvider timeProvider, string name)
    {
        _buffer = buffer;
        _timeProvider = timeProvider;
        _name = name;
    }

    /// <summary>How many items a cancelled pull or a requeue left for the next pull.</summary>
    public int Held => _heldCount;

    public ValueTask<CanalBatch<T>> PullBatchAsync(int max, TimeSpan deadline, CanalLinger linger, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(deadline, TimeSpan.Zero);
        if (cancellationToken.IsCancellationRequested)
        {
            // Before the closed check, as ChannelReader.ReadAsync: a token cancelled before the call reports the
            // cancellation whatever state the canal is in, and takes nothing.
            return ValueTask.FromCanceled<CanalBatch<T>>(cancellationToken);
        }

        if (_disposed)
        {
            return ValueTask.FromException<CanalBatch<T>>(new CanalClosedException(_name));
        }

        if (Interlocked.Exchange(ref _pulling, 1) != 0)
        {
            // Disposal holds the flag for a moment while it disposes the timer: a pull meeting it meets a closed canal.
            if (_disposed)
            {
                return ValueTask.FromException<CanalBatch<T>>(new CanalClosedException(_name));
            }

            throw new InvalidOperationException($"Canal '{_name}' is already being pulled; one consumer pulls at a time.");
        }

        var completedSynchronously = true;
        var gathered = default(Gathered);
        try
        {
            // Fast paths: what is already there, without a timer or a state machine.
            Take(ref gathered, max);
            if (gathered.Count > 0)
            {
                if (gathered.Count == max || linger.IsSatisfied(gathered.Count, max, TimeSpan.Zero))
                {
                    return new ValueTask<CanalBatch<T>>(gathered.ToBatch());
                }
            }
            else if (IsDrained)
            {
                return ValueTask.FromException<CanalBatch<T>>(ClosedError());
            }
            else if (deadline == TimeSpan.Zero)
            {
                return new ValueTask<CanalBatch<T>>(CanalBatch<T>.Empty);
            }

            completedSynchronously = false;
            // The slow path owns the gathered items (and their rented array) from here.
            return PullSlowAsync(max, deadline, linger, gathered, cancellationToken);
        }
        finally
        {
            if (completedSynchronously)
            {
                gathered.Release();
                EndPull();
            }
        }
    }

    /// <summary>Gives back the last batch, unhandled: the next pull returns it first. Called between pulls only.</summary>
    public void Requeue(CanalBatch<T> batch)
    {
        if (batch.IsEmpty)
        {
            return;
        }

        // Rare (a stopped or failed worker): a fresh array holding the batch, then whatever was still held after it.
        var items = new T[batch.Count + _heldCount];
        for (var i = 0; i < batch.Count; i++)
        {
            items[i] = batch[i];
        }

        if (_heldCount > 0)
        {
            Array.Copy(_held!, _heldStart, items, batch.Count, _heldCount);
        }

        (_held, _heldStart, _heldCount) = (items, 0, items.Length);
    }

    private bool IsDrained => _heldCount == 0 && _buffer.IsCompleted && _buffer.Depth == 0;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CanalBatch<T>> PullSlowAsync(int max, TimeSpan deadline, CanalLinger linger, Gathered gathered, CancellationToken cancellationToken)
    {
        var start = _timeProvider.GetTimestamp();
        var firstAt = start;
        try
        {
            while (true)
            {
                // Read before taking, so the first item's time is never later than when it was taken.
                var now = _timeProvider.GetTimestamp();
                var before = gathered.Count;
                Take(ref gathered, max);
                if (before == 0 && gathered.Count > 0)
                {
                    firstAt = now;
                }

                if (gathered.Count == max)
                {
                    break;
                }

                var held = gathered.Count > 0 ? _timeProvider.GetElapsedTime(firstAt) : TimeSpan.Zero;
                if (gathered.Count > 0 && linger.IsSatisfied(gathered.Count, max, held))
                {
                    break;
                }

                var remaining = deadline - _timeProvider.GetElapsedTime(start);
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }

                if (_disposed || IsDrained)
                {
                    // Closed while waiting: hand over what was taken (nothing else would), else report the closing.
                    if (gathered.Count == 0)
                    {
                        throw _disposed ? new CanalClosedException(_name) : ClosedError();
                    }

                    break;
                }

                if (gathered.Count > 0 && linger.Remaining(held) is var fill && fill != Timeout.InfiniteTimeSpan && fill < remaining)
                {
                    remaining = fill;
                }

                // One timer measures at most about 49.7 days: a longer wait is armed in steps, each wake measuring again.
                ArmTimer(remaining > TimerLimits.LongestWait ? TimerLimits.LongestWait : remaining);
                try
                {
                    var wait = _buffer.WaitToReadAsync(cancellationToken);

                    // The timer or a disposal may have fired between arming and parking, when no reader was there to
                    // wake; the reader is parked now, so wake it again rather than sleep past the deadline.
                    if (!wait.IsCompleted && (Volatile.Read(ref _timerFired) != 0 || _disposed))
                    {
                        _buffer.WakeReaders();
                    }

                    await wait.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Taken items cannot go back into the buffer: keep them for the next pull rather than lose them.
                    Hold(ref gathered);
                    throw;
                }
                catch (Exception error)
                {
                    // The source ended with an error (an OperationCanceledException of its own, such as an upstream
                    // HTTP timeout, included: the pull's token did not fire): hand over what was taken first; the next
                    // pull reports it.
                    if (gathered.Count > 0)
                    {
                        break;
                    }

                    throw new CanalClosedException(_name, error);
                }
            }

            return gathered.ToBatch();
        }
        finally
        {
            DisarmTimer();
            gathered.Release();
            EndPull();
        }
    }

    /// <summary>Takes held items, then ready items from the buffer, until <paramref name="max"/> are gathered.</summary>
    private void Take(ref Gathered gathered, int max)
    {
        while (gathered.Count < max && _heldCount > 0)
        {
            gathered.Add(_held![_heldStart], max);
            _held[_heldStart] = default!;
            _heldStart++;
            if (--_heldCount == 0)
            {
                (_held, _heldStart) = (null, 0);
            }
        }

        // The first item alone, so a pull of one allocates and rents nothing; the rest in batches, one lock each.
        if (gathered.Count == 0 && _buffer.TryRead(out var item))
        {
            gathered.Add(item, max);
        }

        while (gathered.Count < max && _buffer.Depth > 0)
        {
            var free = gathered.FreeSpace(max);
            var read = _buffer.TryReadMany(free);
            if (read == 0)
            {
                break;
            }

            gathered.Added(read);
        }
    }

    private void Hold(ref Gathered gathered)
    {
        if (gathered.Count == 0)
        {
            return;
        }

        // A pull only waits once it has taken every held item, so nothing is held now.
        var batch = gathered.ToBatch();
        gathered.Release();
        Requeue(batch);
    }

    // The error itself: Completion is Canceled, not faulted, when the source ended with an OperationCanceledException.
    private CanalClosedException ClosedError() => new(_name, _buffer.CompletionError);

    private void ArmTimer(TimeSpan dueTime)
    {
        // One timer per canal, re-armed per wait; a fire after the pull returned only causes a spurious wake. The flag
        // is cleared before arming, so a fire from this arming is always seen after parking.
        Volatile.Write(ref _timerFired, 0);
        if (_timer is null)
        {
            _timer = _timeProvider.CreateTimer(
                static state =>
                {
                    var puller = (BufferPuller<T>)state!;
                    Volatile.Write(ref puller._timerFired, 1);
                    puller._buffer.WakeReaders();
                },
                this,
                dueTime,
                Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(dueTime, Timeout.InfiniteTimeSpan);
        }
    }

    private void DisarmTimer()
    {
        // Once the canal is disposed the timer is disposed (or about to be): a disposed timer is not changed.
        if (!_disposed)
        {
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _buffer.WakeReaders();
        DisposeTimerIfIdle();
    }

    /// <summary>Ends a pull: frees the flag, then disposes the timer if the canal was disposed while the pull ran.</summary>
    private void EndPull()
    {
        // A full fence between freeing the flag and reading _disposed, as disposal sets _disposed before trying the flag:
        // whichever of the two comes second disposes the timer, so it is never left undisposed.
        Interlocked.Exchange(ref _pulling, 0);
        if (_disposed)
        {
            DisposeTimerIfIdle();
        }
    }

    /// <summary>
    /// Disposes the deadline timer unless a pull runs (that pull does it when it ends): disposing it under a pull could
    /// fault its re-arming.
    /// </summary>
    private void DisposeTimerIfIdle()
    {
        if (Interlocked.CompareExchange(ref _pulling, 1, 0) == 0)
        {
            _timer?.Dispose();
            Volatile.Write(ref _pulling, 0);
        }
    }

    /// <summary>The items a pull has taken: the first inline (so One allocates nothing), the rest in a rented array.</summary>
    private struct Gathered
    {
        private T _first;
        private T[]? _rented;

        public int Count { get; private set; }

        public void Add(T item, int max)
        {
            if (Count == 0)
            {
                _first = item;
            }
            else
            {
                if (_rented is null)
                {
                    _rented = ArrayPool<T>.Shared.Rent(Math.Min(max, 256));
                    _rented[0] = _first;
                }
                else if (Count == _rented.Length)
                {
                    var grown = ArrayPool<T>.Shared.Rent(Math.Min(max, _rented.Length * 2));
                    Array.Copy(_rented, grown, Count);
                    ArrayPool<T>.Shared.Return(_rented, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
                    _rented = grown;
                }

                _rented[Count] = item;
            }

            Count++;
        }

        /// <summary>The free slots after the gathered items, at most <paramref name="max"/> in all; the first item moves into the rented array.</summary>
        public Span<T> FreeSpace(int max)
        {
            if (_rented is null)
            {
                _rented = ArrayPool<T>.Shared.Rent(Math.Min(max, 256));
                if (Count == 1)
                {
                    _rented[0] = _first;
                }
            }
            else if (Count == _rented.Length)
            {
                var grown = ArrayPool<T>.Shared.Rent(Math.Min(max, _rented.Length * 2));
                Array.Copy(_rented, grown, Count);
                ArrayPool<T>.Shared.Return(_rented, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
                _rented = grown;
            }

            return _rented.AsSpan(Count, Math.Min(_rented.Length, max) - Count);
        }

        /// <summary>Counts <paramref name="read"/> items written into <see cref="FreeSpace"/>.</summary>
        public void Added(int read)
        {
            if (Count == 0)
            {
                _first = _rented![0];
            }

            Count += read;
        }

        public readonly CanalBatch<T> ToBatch() => Count switch
        {
            0 => CanalBatch<T>.Empty,
            1 => CanalBatch<T>.One(_first),
            _ => CanalBatch<T>.Many(_rented.AsSpan(0, Count).ToArray()),
        };

        public void Release()
        {
            if (_rented is not null)
            {
                ArrayPool<T>.Shared.Return(_rented, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
            }

            this = default;
        }
    }
}
