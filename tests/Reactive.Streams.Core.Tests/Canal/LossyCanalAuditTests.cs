using System.Reactive.Subjects;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// The in-memory canal's pulls at their edges (batch bounds, linger, closing mid-pull, cancellation, disposal) as a
/// user of <c>ChannelReader</c> expects them, in virtual time.
/// </summary>
public class LossyCanalAuditTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_source_that_fails_with_an_OperationCanceledException_closes_a_parked_pull_with_it_as_the_cause()
    {
        // An upstream HTTP call that timed out ends the source with a TaskCanceledException: that is the source's error,
        // not a cancellation of the pull, whose token nobody cancelled.
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var parked = canal.PullBatchAsync(10, Second).AsTask();

        stream.Complete(new TaskCanceledException("upstream timed out"));

        var closed = await Assert.ThrowsAsync<CanalClosedException>(() => parked.WaitAsync(TestLimits.Hang));
        Assert.Equal("upstream timed out", Assert.IsType<TaskCanceledException>(closed.InnerException).Message);
        var next = await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(10, Second).AsTask());
        Assert.IsType<TaskCanceledException>(next.InnerException);
    }

    [Fact]
    public async Task A_source_that_fails_with_an_OperationCanceledException_mid_linger_hands_over_the_taken_items_first()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var pull = canal.PullBatchAsync(10, Second, new CanalLinger(5, Timeout.InfiniteTimeSpan)).AsTask();
        stream.TryPush(1);
        await WaitUntilAsync(() => stream.Depth == 0);

        stream.Complete(new OperationCanceledException("upstream gave up"));

        Assert.Equal(new[] { 1 }, (await pull.WaitAsync(TestLimits.Hang)).ToArray());
        var closed = await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(10, Second).AsTask());
        Assert.IsType<OperationCanceledException>(closed.InnerException);
    }

    [Fact]
    public async Task A_worker_whose_source_fails_with_an_OperationCanceledException_faults_with_the_closing()
    {
        var subject = new Subject<int>();
        await using var canal = LossySubscription.Create(subject, capacity: 16, new FakeTimeProvider());
        var worker = CanalWorker.Start<int>(canal, (_, _) => default, new CanalWorkerOptions { Deadline = TimeSpan.FromHours(1) });

        subject.OnError(new TaskCanceledException("upstream timed out"));

        var closed = await Assert.ThrowsAsync<CanalClosedException>(() => worker.JoinAsync().WaitAsync(TestLimits.Hang));
        Assert.IsType<TaskCanceledException>(closed.InnerException);
    }

    [Fact]
    public async Task A_pull_that_races_disposal_is_closed_and_never_refused_as_a_concurrent_pull()
    {
        // The clock calls back into the canal while disposal disposes its deadline timer: a pull starting at that moment
        // meets a disposed canal, which is a closed canal, not a second consumer.
        var clock = new DisposeHookClock();
        var stream = BoundedStream.DropOldest<int>(16, "feed");
        var canal = LossySubscription.Create(stream, clock);
        var first = canal.PullBatchAsync(1, Second).AsTask();
        clock.Advance(Second);
        Assert.True((await first.WaitAsync(TestLimits.Hang)).IsEmpty);
        Exception? during = null;
        clock.OnTimerDisposed = () => during = Record(() => canal.PullBatchAsync(1, Second));

        await canal.DisposeAsync();

        Assert.Equal(1, clock.TimersDisposed);
        var closed = Assert.IsType<CanalClosedException>(during);
        Assert.Equal("feed", closed.CanalName);

        static Exception? Record(Func<ValueTask<CanalBatch<int>>> pull)
        {
            try
            {
                var task = pull().AsTask();
                return task.IsFaulted ? task.Exception!.InnerException : null;
            }
            catch (Exception error)
            {
                return error;
            }
        }
    }

    [Fact]
    public async Task The_deadline_timer_is_created_once_per_canal_and_disposed_with_it_also_when_a_pull_runs_at_disposal()
    {
        var clock = new DisposeHookClock();
        var stream = BoundedStream.DropOldest<int>(16);
        var canal = LossySubscription.Create(stream, clock);
        for (var i = 0; i < 20; i++)
        {
            var pull = canal.PullBatchAsync(4, Second).AsTask();
            clock.Advance(Second);
            Assert.True((await pull.WaitAsync(TestLimits.Hang)).IsEmpty);
        }

        Assert.Equal(1, clock.TimersCreated);
        var parked = canal.PullBatchAsync(4, TimeSpan.FromHours(1)).AsTask();

        await canal.DisposeAsync();

        await Assert.ThrowsAsync<CanalClosedException>(() => parked.WaitAsync(TestLimits.Hang));
        Assert.Equal(1, clock.TimersDisposed);
    }

    [Fact]
    public async Task Disposal_racing_pulls_and_pushes_loses_no_item_and_leaves_no_timer_undisposed()
    {
        // Bounded race: a consumer pulling in a tight loop (zero deadlines, which never arm the timer, and one-tick
        // deadlines, which arm it and fire at once) while a producer pushes and the canal is disposed under them. Every
        // pull returns items or fails as closed (never as a second consumer); every pushed item is returned or still in
        // the stream; the one deadline timer is disposed once the pull running at disposal has ended.
        for (var round = 0; round < 100; round++)
        {
            var clock = new DisposeHookClock { FireOnArming = true };
            var stream = BoundedStream.PauseUpstream<int>(1024);
            var canal = LossySubscription.Create(stream, clock);
            var returned = new List<int>();
            using var go = new Barrier(2);
            var consumer = Task.Run(async () =>
            {
                go.SignalAndWait();
                for (var i = 0; ; i++)
                {
                    try
                    {
                        var batch = await canal.PullBatchAsync(8, i % 2 == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(1));
                        returned.AddRange(batch);
                    }
                    catch (CanalClosedException)
                    {
                        return;
                    }
                }
            });
            go.SignalAndWait();
            for (var i = 0; i < 50; i++)
            {
                stream.TryPush(i);
            }

            Thread.SpinWait(round % 20);
            await canal.DisposeAsync();
            await consumer.WaitAsync(TestLimits.Hang);

            var left = new List<int>();
            while (stream.TryRead(out var item))
            {
                left.Add(item);
            }

            Assert.Equal(Enumerable.Range(0, 50), returned.Concat(left));
            Assert.Equal(clock.TimersCreated, clock.TimersDisposed);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < TestLimits.Hang, "the condition never held");
            await Task.Yield();
        }
    }

    /// <summary>A <see cref="FakeTimeProvider"/> that counts its timers and calls back while one is being disposed.</summary>
    private sealed class DisposeHookClock : TimeProvider
    {
        private readonly FakeTimeProvider _fake = new();
        private int _created;
        private int _disposed;

        public Action? OnTimerDisposed { get; set; }

        public int TimersCreated => Volatile.Read(ref _created);

        public int TimersDisposed => Volatile.Read(ref _disposed);

        public override long TimestampFrequency => _fake.TimestampFrequency;

        public override long GetTimestamp() => _fake.GetTimestamp();

        public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

        /// <summary>Whether a timer armed with a finite due time fires at once, the clock moving to its due time.</summary>
        public bool FireOnArming { get; init; }

        public void Advance(TimeSpan delta) => _fake.Advance(delta);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _created);
            var timer = new HookedTimer(this, _fake.CreateTimer(callback, state, Timeout.InfiniteTimeSpan, period));
            timer.Change(dueTime, period);
            return timer;
        }

        private sealed class HookedTimer(DisposeHookClock clock, ITimer inner) : ITimer
        {
            private int _disposed;

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                Assert.True(dueTime == Timeout.InfiniteTimeSpan || Volatile.Read(ref _disposed) == 0, "a disposed timer was re-armed");
                var changed = inner.Change(dueTime, period);
                if (clock.FireOnArming && dueTime != Timeout.InfiniteTimeSpan)
                {
                    lock (clock._fake)
                    {
                        clock._fake.Advance(dueTime);
                    }
                }

                return changed;
            }

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Increment(ref clock._disposed);
                    clock.OnTimerDisposed?.Invoke();
                }

                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return default;
            }
        }
    }
}
