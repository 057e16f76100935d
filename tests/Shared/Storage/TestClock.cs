using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// A FakeTimeProvider whose wall clock can also move backwards (timers and timestamps stay monotonic), and which
/// reports timer creation, so a test knows a tail has parked before it advances virtual time.
/// </summary>
public sealed class TestClock : TimeProvider
{
    private readonly FakeTimeProvider _fake = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private TimeSpan _wallOffset;
    private int _timersCreated;

    public int TimersCreated => Volatile.Read(ref _timersCreated);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _fake.GetUtcNow() + _wallOffset;
        }
    }

    public override long GetTimestamp() => _fake.GetTimestamp();

    public override long TimestampFrequency => _fake.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = _fake.CreateTimer(callback, state, dueTime, period);
        List<TaskCompletionSource> ready = [];
        lock (_gate)
        {
            _timersCreated++;
            _waiters.RemoveAll(w =>
            {
                if (w.Count > _timersCreated)
                {
                    return false;
                }

                ready.Add(w.Done);
                return true;
            });
        }

        ready.ForEach(r => r.TrySetResult());
        return timer;
    }

    /// <summary>Advances virtual time (timers fire).</summary>
    public void Advance(TimeSpan delta) => _fake.Advance(delta);

    /// <summary>Moves only the wall clock (GetUtcNow), e.g. backwards; timers are unaffected.</summary>
    public void MoveWallClock(TimeSpan delta)
    {
        lock (_gate)
        {
            _wallOffset += delta;
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> timers were created in all; fails after a minute of real time.</summary>
    public Task WaitForTimersAsync(int count)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_timersCreated >= count)
            {
                return Task.CompletedTask;
            }

            _waiters.Add((count, done));
        }

        return done.Task.WaitAsync(TimeSpan.FromMinutes(1));
    }
}
