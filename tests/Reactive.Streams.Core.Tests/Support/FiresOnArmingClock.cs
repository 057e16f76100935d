namespace Reactive.Streams.Tests.Support;

/// <summary>
/// A clock whose timers fire synchronously inside <c>CreateTimer</c>/<c>Change</c>, after moving time to their due
/// time: a timer that fires between arming and parking, the race a lost deadline comes from, on every timer.
/// </summary>
internal sealed class FiresOnArmingClock : TimeProvider
{
    private long _ticks = DateTimeOffset.UnixEpoch.AddYears(57).UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FiringTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class FiringTimer(FiresOnArmingClock clock, TimerCallback callback, object? state) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                Interlocked.Add(ref clock._ticks, dueTime.Ticks);
                callback(state);
            }

            return true;
        }

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => default;
    }
}
