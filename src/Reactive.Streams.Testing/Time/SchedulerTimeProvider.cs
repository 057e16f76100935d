using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace Reactive.Streams.Testing;

/// <summary>A <see cref="TimeProvider"/> that reads <see cref="IScheduler.Now"/> and arms timers on the scheduler.</summary>
internal sealed class SchedulerTimeProvider(IScheduler scheduler) : TimeProvider
{
    // The same bound System.Threading.Timer and FakeTimeProvider enforce, so code that passes there passes here.
    private const long MaxSupportedTimeoutMilliseconds = 0xfffffffe;

    public IScheduler Scheduler { get; } = scheduler;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow() => Scheduler.Now.ToUniversalTime();

    public override long GetTimestamp() => Scheduler.Now.UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        NormalizeTimerArgument(dueTime, nameof(dueTime));
        NormalizeTimerArgument(period, nameof(period));
        var timer = new SchedulerTimer(Scheduler, callback, state, ExecutionContext.Capture());
        timer.Change(dueTime, period);
        return timer;
    }

    public override string ToString() => $"TimeProvider on {Scheduler}";

    /// <summary>
    /// Validates a due time or period as <see cref="Timer"/> and FakeTimeProvider do, on the value truncated to whole
    /// milliseconds (from -1, infinite, to <see cref="MaxSupportedTimeoutMilliseconds"/>), and returns what it means: a
    /// value that truncates to -1 ms (between -2 and -1 ms) is <see cref="Timeout.InfiniteTimeSpan"/>, a negative one that
    /// truncates to 0 ms is <see cref="TimeSpan.Zero"/>, and any other keeps its ticks.
    /// </summary>
    internal static TimeSpan NormalizeTimerArgument(TimeSpan value, string paramName)
    {
        var milliseconds = (long)value.TotalMilliseconds;
        ArgumentOutOfRangeException.ThrowIfLessThan(milliseconds, -1, paramName);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(milliseconds, MaxSupportedTimeoutMilliseconds, paramName);
        return milliseconds == -1 ? Timeout.InfiniteTimeSpan : value < TimeSpan.Zero ? TimeSpan.Zero : value;
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
            dueTime = NormalizeTimerArgument(dueTime, nameof(dueTime));
            period = NormalizeTimerArgument(period, nameof(period));
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
