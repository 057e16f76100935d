using System.Buffers;
using System.Runtime.CompilerServices;
using Reactive.Streams.Internal;

namespace Reactive.Streams.Canal;

/// <summary>
/// Pull-batch reading over the engine, shared by the in-memory canals. The deadline is a single reusable timer on the
/// canal's <see cref="TimeProvider"/> that wakes the parked reader; waiting parks on the engine's pooled reader, so a
/// pull that returns Empty or One allocates nothing (the async path uses a pooling builder).
/// </summary>
internal sealed class BufferPuller<T> : IDisposable
{
    private readonly BoundedBuffer<T> _buffer;
    private readonly TimeProvider _timeProvider;
    private readonly string _name;
    private ITimer? _timer;
    private int _pulling;
    private volatile bool _disposed;

    public BufferPuller(BoundedBuffer<T> buffer, TimeProvider timeProvider, string name)
    {
        _buffer = buffer;
        _timeProvider = timeProvider;
        _name = name;
    }

    public ValueTask<CanalBatch<T>> PullBatchAsync(int max, TimeSpan deadline, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(deadline, TimeSpan.Zero);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _pulling, 1) != 0)
        {
            throw new InvalidOperationException($"Canal '{_name}' is already being pulled; one consumer pulls at a time.");
        }

        var completedSynchronously = false;
        try
        {
            if (cancellationToken.IsCancellationRequested)
            {
                completedSynchronously = true;
                return ValueTask.FromCanceled<CanalBatch<T>>(cancellationToken);
            }

            // Fast paths: what is already buffered, without a timer or a state machine.
            if (_buffer.TryRead(out var first))
            {
                if (max == 1 || (deadline == TimeSpan.Zero && _buffer.Depth == 0))
                {
                    completedSynchronously = true;
                    return new ValueTask<CanalBatch<T>>(CanalBatch<T>.One(first));
                }
            }
            else if (deadline == TimeSpan.Zero || _buffer.IsCompleted)
            {
                completedSynchronously = true;
                return _buffer.IsCompleted && _buffer.Depth == 0
                    ? ValueTask.FromException<CanalBatch<T>>(ClosedError())
                    : new ValueTask<CanalBatch<T>>(CanalBatch<T>.Empty);
            }
            else
            {
                return PullSlowAsync(max, deadline, hasFirst: false, default!, cancellationToken);
            }

            return PullSlowAsync(max, deadline, hasFirst: true, first, cancellationToken);
        }
        finally
        {
            if (completedSynchronously)
            {
                Volatile.Write(ref _pulling, 0);
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CanalBatch<T>> PullSlowAsync(int max, TimeSpan deadline, bool hasFirst, T first, CancellationToken cancellationToken)
    {
        var start = _timeProvider.GetTimestamp();
        T[]? rented = null;
        var count = hasFirst ? 1 : 0;
        try
        {
            while (true)
            {
                while (count < max && _buffer.TryRead(out var item))
                {
                    if (count == 0)
                    {
                        first = item;
                    }
                    else
                    {
                        if (rented is null)
                        {
                            rented = ArrayPool<T>.Shared.Rent(Math.Min(max, 256));
                            rented[0] = first;
                        }
                        else if (count == rented.Length)
                        {
                            var grown = ArrayPool<T>.Shared.Rent(Math.Min(max, rented.Length * 2));
                            Array.Copy(rented, grown, count);
                            ArrayPool<T>.Shared.Return(rented, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
                            rented = grown;
                        }

                        rented[count] = item;
                    }

                    count++;
                }

                var remaining = deadline - _timeProvider.GetElapsedTime(start);
                if (count == max || remaining <= TimeSpan.Zero || _disposed)
                {
                    break;
                }

                if (_buffer.IsCompleted && _buffer.Depth == 0)
                {
                    if (count == 0)
                    {
                        throw ClosedError();
                    }

                    break;
                }

                ArmTimer(remaining);
                bool more;
                try
                {
                    more = await _buffer.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (count > 0)
                {
                    // Items already taken from a lossy buffer cannot be put back: hand them over rather than lose them.
                    break;
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    if (count > 0)
                    {
                        break;
                    }

                    throw new CanalClosedException(_name, error);
                }

                if (!more && count == 0)
                {
                    throw ClosedError();
                }
            }

            return count switch
            {
                0 => CanalBatch<T>.Empty,
                1 => CanalBatch<T>.One(first),
                _ => CanalBatch<T>.Many(rented.AsSpan(0, count).ToArray()),
            };
        }
        finally
        {
            DisarmTimer();
            if (rented is not null)
            {
                ArrayPool<T>.Shared.Return(rented, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
            }

            Volatile.Write(ref _pulling, 0);
        }
    }

    private CanalClosedException ClosedError()
    {
        var error = _buffer.Completion.Exception?.InnerException;
        return new CanalClosedException(_name, error);
    }

    private void ArmTimer(TimeSpan dueTime)
    {
        // One timer per canal, re-armed per wait; a fire after the pull returned only causes a spurious wake.
        if (_timer is null)
        {
            _timer = _timeProvider.CreateTimer(static state => ((BoundedBuffer<T>)state!).WakeReaders(), _buffer, dueTime, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(dueTime, Timeout.InfiniteTimeSpan);
        }
    }

    private void DisarmTimer() => _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        _disposed = true;
        _timer?.Dispose();
        _buffer.WakeReaders();
    }
}
