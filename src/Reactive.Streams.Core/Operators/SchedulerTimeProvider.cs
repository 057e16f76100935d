using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace Reactive.Streams;

/// <summary>
/// A <see cref="TimeProvider"/> over an <see cref="IScheduler"/>, so a PauseUpstream timeout on an Rx surface runs on
/// the operator's scheduler clock (Rx surfaces take their time from an <see cref="IScheduler"/>): for a virtual clock,
/// or any scheduler that is not a <see cref="LocalScheduler"/> (whose clock is the system's, so the PauseUpstream
/// shorthand gives it <see cref="TimeProvider.System"/> instead). Hand-written and
/// minimal because Core cannot depend on the testing package's richer bridge: it serves the engine's one-shot timers.
/// </summary>
internal sealed class SchedulerTimeProvider(IScheduler scheduler) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => scheduler.Now.ToUniversalTime();

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => scheduler.Now.UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new SchedulerTimer(scheduler, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class SchedulerTimer(IScheduler scheduler, TimerCallback callback, object? state) : ITimer
    {
        private readonly SerialDisposable _pending = new();
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_pending.IsDisposed)
            {
                return false;
            }

            _period = period;
            _pending.Disposable = dueTime == Timeout.InfiniteTimeSpan ? null : scheduler.Schedule(this, dueTime, static (_, timer) => timer.Fire());
            return true;
        }

        private IDisposable Fire()
        {
            if (_pending.IsDisposed)
            {
                return Disposable.Empty;
            }

            callback(state);
            if (_period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero && !_pending.IsDisposed)
            {
                _pending.Disposable = scheduler.Schedule(this, _period, static (_, timer) => timer.Fire());
            }

            return Disposable.Empty;
        }

        public void Dispose() => _pending.Dispose();

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
