using Reactive.Streams.Tests.Support;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// A FakeTimeProvider that reports every timer the code under test creates, so a test can wait until the dispatcher
/// has armed its backoff or flush timer, check the requested delay, and only then advance virtual time.
/// </summary>
internal sealed class RecordingTimeProvider : FakeTimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _timers = new();
    private readonly SemaphoreSlim _created = new(0);

    public List<TimeSpan> AllTimers { get; } = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        lock (AllTimers)
        {
            AllTimers.Add(dueTime);
        }

        _timers.Enqueue(dueTime);
        _created.Release();
        return timer;
    }

    /// <summary>Waits (in real time, bounded) until the next timer is created and returns its due time.</summary>
    public async Task<TimeSpan> NextTimerAsync()
    {
        Assert.True(await _created.WaitAsync(TestLimits.Hang), "No timer was created.");
        Assert.True(_timers.TryDequeue(out var due));
        return due;
    }

    public TimeSpan Elapsed(DateTimeOffset start) => GetUtcNow() - start;
}

/// <summary>Reports the timers created on another provider (for the TestScheduler's <c>AsTimeProvider()</c>).</summary>
internal sealed class TimerReportingTimeProvider(TimeProvider inner) : TimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _timers = new();
    private readonly SemaphoreSlim _created = new(0);

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = inner.CreateTimer(callback, state, dueTime, period);
        _timers.Enqueue(dueTime);
        _created.Release();
        return timer;
    }

    public async Task<TimeSpan> NextTimerAsync()
    {
        Assert.True(await _created.WaitAsync(TestLimits.Hang), "No timer was created.");
        Assert.True(_timers.TryDequeue(out var due));
        return due;
    }
}

/// <summary>
/// A sink that records what it committed and when (in virtual time), and runs an optional behaviour before each
/// attempt commits (throw to fail the attempt, await to be slow).
/// </summary>
internal class RecordingSink<T>(string name, TimeProvider? time = null, Func<T, int, CancellationToken, ValueTask>? behaviour = null) : IDeliverySink<T>
    where T : notnull
{
    private readonly Lock _lock = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private readonly Dictionary<T, int> _attemptsPerItem = [];
    private readonly List<T> _committed = [];
    private int _attempts;

    public string Name { get; } = name;

    public int Attempts => Volatile.Read(ref _attempts);

    public List<DateTimeOffset> AttemptTimes { get; } = [];

    public IReadOnlyList<T> Committed
    {
        get
        {
            lock (_lock)
            {
                return [.. _committed];
            }
        }
    }

    public async ValueTask WriteAsync(T item, CancellationToken cancellationToken)
    {
        int attempt;
        lock (_lock)
        {
            _attempts++;
            attempt = _attemptsPerItem[item] = _attemptsPerItem.GetValueOrDefault(item) + 1;
            if (time is not null)
            {
                AttemptTimes.Add(time.GetUtcNow());
            }
        }

        if (behaviour is not null)
        {
            await behaviour(item, attempt, cancellationToken);
        }

        Commit([item]);
    }

    protected void Commit(IEnumerable<T> items)
    {
        List<TaskCompletionSource> ready = [];
        lock (_lock)
        {
            _committed.AddRange(items);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_committed.Count >= _waiters[i].Count)
                {
                    ready.Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        ready.ForEach(static s => s.TrySetResult());
    }

    /// <summary>Completes once at least <paramref name="count"/> items are committed (bounded in real time).</summary>
    public Task WhenCommitted(int count)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_committed.Count >= count)
            {
                return Task.CompletedTask;
            }

            _waiters.Add((count, signal));
        }

        return signal.Task.WaitAsync(TestLimits.Hang);
    }
}

/// <summary>A batch sink recording each batch it received.</summary>
internal sealed class RecordingBatchSink<T>(string name, Func<IReadOnlyList<T>, int, ValueTask>? behaviour = null)
    : RecordingSink<T>(name), IBatchDeliverySink<T>
    where T : notnull
{
    private int _batchAttempts;

    public List<T[]> Batches { get; } = [];

    public int BatchAttempts => Volatile.Read(ref _batchAttempts);

    public async ValueTask WriteBatchAsync(IReadOnlyList<T> items, CancellationToken cancellationToken)
    {
        var attempt = Interlocked.Increment(ref _batchAttempts);
        if (behaviour is not null)
        {
            await behaviour(items, attempt);
        }

        var copy = items.ToArray();
        lock (Batches)
        {
            Batches.Add(copy);
        }

        Commit(copy);
    }
}

/// <summary>Counts how often it was acknowledged, to prove exactly-once firing.</summary>
internal sealed class CountingAck : IAckToken
{
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public Task First => _first.Task.WaitAsync(TestLimits.Hang);

    public void Acknowledge()
    {
        Interlocked.Increment(ref _count);
        _first.TrySetResult();
    }
}

internal sealed class ListLogger : ILogger
{
    public List<(LogLevel Level, EventId Id, string Message, Exception? Error)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, eventId, formatter(state, exception), exception));
        }
    }
}
