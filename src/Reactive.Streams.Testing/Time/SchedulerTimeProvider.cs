using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace Reactive.Streams.Testing;

/// <summary>A <see cref="TimeProvider"/> that reads <see cref="IScheduler.Now"/> and arms timers on the scheduler.</summary>
internal sealed class SchedulerTimeProvider(IScheduler scheduler) : TimeProvider
{
    // The same bound System.Threading.Timer enforces, so code that passes here does not fail against the system clock.
    private const long MaxSupportedTimeoutMilliseconds = 0xfffffffe;

    public IScheduler Scheduler { get; } = scheduler;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow() => Scheduler.Now.ToUniversalTime();

    public override long GetTimestamp() => Scheduler.Now.UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ValidateTimerArgument(dueTime, nameof(dueTime));
        ValidateTimerArgument(period, nameof(period));
        var timer = new SchedulerTimer(Scheduler, callback, state, ExecutionContext.Capture());
        timer.Change(dueTime, period);
        return timer;
    }

    public override string ToString() => $"TimeProvider on {Scheduler}";

    internal static void ValidateTimerArgument(TimeSpan value, string paramName)
    {
        if (value != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, paramName);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, TimeSpan.FromMilliseconds(MaxSupportedTimeoutMilliseconds), paramName);
        }
    }

    /// <summary>
    /// One timer. Each arming gets a generation number; a firing whose generation is no longer current (the timer was
    /// changed or disposed after it was armed) does nothing. That makes Change and Dispose correct even when they race a
    /// firing on the advancing thread, without holding our lock while calling the scheduler or the callback.
    /// </summary>
    private sealed class SchedulerTimer(IScheduler scheduler, TimerCallback callback, object? state, ExecutionContext? context) : ITimer
    {
        private readonly TimerCallback _callback = callback;
        private readonly object? _state = state;
        private readonly Lock _gate = new();
        private long _generation;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private IDisposable? _pending;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            ValidateTimerArgument(dueTime, nameof(dueTime));
            ValidateTimerArgument(period, nameof(period));
            long generation;
            IDisposable? previous;
            lock (_gate)
            {
                if (_disposed)
                {
                    return false;
                }

                generation = ++_generation;
                _period = period;
                previous = _pending;
                _pending = null;
            }

            previous?.Dispose();
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                Arm(generation, dueTime);
            }

            return true;
        }

        public void Dispose()
        {
            IDisposable? previous;
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                _generation++;
                previous = _pending;
                _pending = null;
            }

            previous?.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void Arm(long generation, TimeSpan dueTime)
        {
            var handle = scheduler.Schedule((this, generation), dueTime, static (_, s) =>
            {
                s.Item1.Fire(s.Item2);
                return Disposable.Empty;
            });

            bool stale;
            lock (_gate)
            {
                stale = generation != _generation;
                if (!stale)
                {
                    _pending = handle;
                }
            }

            // Changed or disposed while we were arming: take the work back out of the scheduler's queue.
            if (stale)
            {
                handle.Dispose();
            }
        }

        private void Fire(long generation)
        {
            TimeSpan period;
            lock (_gate)
            {
                if (generation != _generation)
                {
                    return;
                }

                period = _period;
                _pending = null;
            }

            // Re-arm before the callback, as a system timer measures the period from the due time, not from the end of
            // the callback; a Change or Dispose made by the callback then supersedes this arming.
            if (period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero)
            {
                Arm(generation, period);
            }

            if (context is null)
            {
                _callback(_state);
            }
            else
            {
                ExecutionContext.Run(context, static s =>
                {
                    var timer = (SchedulerTimer)s!;
                    timer._callback(timer._state);
                }, this);
            }
        }
    }
}
