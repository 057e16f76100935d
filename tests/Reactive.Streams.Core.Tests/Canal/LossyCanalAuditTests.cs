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
    public async Task A_max_above_what_is_ready_returns_everything_ready_in_order_at_once()
    {
        var stream = BoundedStream.DropOldest<int>(1024);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        for (var i = 0; i < 700; i++)
        {
            stream.TryPush(i);
        }

        // More than one rented page (256) and less than max: one pull, completed synchronously, every item in order.
        var pull = canal.PullBatchAsync(int.MaxValue, Second);

        Assert.True(pull.IsCompletedSuccessfully);
        var batch = await pull;
        Assert.Equal(CanalBatchKind.Many, batch.Kind);
        Assert.Equal(Enumerable.Range(0, 700), batch.ToArray());
        Assert.Equal(0, stream.Depth);
    }

    [Fact]
    public async Task A_batch_of_exactly_max_leaves_the_rest_for_the_next_pull()
    {
        var stream = BoundedStream.DropOldest<int>(1024);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        for (var i = 0; i < 600; i++)
        {
            stream.TryPush(i);
        }

        Assert.Equal(Enumerable.Range(0, 512), (await canal.PullBatchAsync(512, Second)).ToArray());
        Assert.Equal(Enumerable.Range(512, 88), (await canal.PullBatchAsync(512, Second)).ToArray());
    }

    [Fact]
    public async Task A_linger_minimum_above_max_counts_as_max_and_returns_at_once_when_max_is_ready()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        stream.TryPush(1);
        stream.TryPush(2);
        stream.TryPush(3);

        var pull = canal.PullBatchAsync(2, Second, new CanalLinger(100, Timeout.InfiniteTimeSpan));

        Assert.True(pull.IsCompletedSuccessfully);
        Assert.Equal(new[] { 1, 2 }, (await pull).ToArray());
    }

    [Fact]
    public async Task A_lingering_pull_on_an_empty_source_returns_Empty_at_its_deadline()
    {
        var clock = new FakeTimeProvider();
        await using var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(16), clock);

        var pull = canal.PullBatchAsync(10, Second, new CanalLinger(5, TimeSpan.FromMilliseconds(100))).AsTask();
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(pull.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True((await pull.WaitAsync(TestLimits.Hang)).IsEmpty);
    }

    [Fact]
    public async Task A_lingering_pull_with_a_zero_deadline_returns_what_is_ready_without_waiting()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var linger = new CanalLinger(5, Timeout.InfiniteTimeSpan);

        Assert.True((await canal.PullBatchAsync(10, TimeSpan.Zero, linger)).IsEmpty);
        stream.TryPush(1);
        stream.TryPush(2);
        var pull = canal.PullBatchAsync(10, TimeSpan.Zero, linger);

        Assert.True(pull.IsCompleted);
        Assert.Equal(new[] { 1, 2 }, (await pull).ToArray());
    }

    [Fact]
    public async Task A_source_that_completes_mid_linger_hands_over_what_was_taken_then_the_canal_is_closed()
    {
        var stream = BoundedStream.DropOldest<int>(16, "feed");
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var pull = canal.PullBatchAsync(10, Second, new CanalLinger(5, Timeout.InfiniteTimeSpan)).AsTask();
        stream.TryPush(1);
        stream.TryPush(2);
        await WaitUntilAsync(() => stream.Depth == 0);

        stream.Complete();

        Assert.Equal(new[] { 1, 2 }, (await pull.WaitAsync(TestLimits.Hang)).ToArray());
        var closed = await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(10, Second).AsTask());
        Assert.Null(closed.InnerException);
        Assert.Equal("feed", closed.CanalName);
    }

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
    public async Task A_pull_whose_token_fires_during_the_linger_keeps_the_taken_items_and_the_next_pull_returns_them_with_the_newer_ones()
    {
        var clock = new FakeTimeProvider();
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, clock);
        using var cancel = new CancellationTokenSource();
        var pull = canal.PullBatchAsync(3, TimeSpan.FromHours(1), new CanalLinger(3, TimeSpan.FromMinutes(1)), cancel.Token).AsTask();
        stream.TryPush(1);
        stream.TryPush(2);
        await WaitUntilAsync(() => stream.Depth == 0);

        await cancel.CancelAsync();
        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.WaitAsync(TestLimits.Hang));
        Assert.Equal(cancel.Token, cancelled.CancellationToken);

        // A token cancelled before the call takes nothing, and does not disturb what the canal holds.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.PullBatchAsync(3, Second, cancel.Token).AsTask());
        stream.TryPush(3);
        stream.TryPush(4);

        Assert.Equal(new[] { 1, 2, 3 }, (await canal.PullBatchAsync(3, TimeSpan.Zero)).ToArray());
        Assert.Equal(new[] { 4 }, (await canal.PullBatchAsync(3, TimeSpan.Zero)).ToArray());
    }

    [Fact]
    public async Task Held_items_of_a_cancelled_pull_are_returned_by_a_smaller_pull_in_order_across_several_pulls()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        using var cancel = new CancellationTokenSource();
        var pull = canal.PullBatchAsync(10, TimeSpan.FromHours(1), new CanalLinger(10, Timeout.InfiniteTimeSpan), cancel.Token).AsTask();
        for (var i = 1; i <= 5; i++)
        {
            stream.TryPush(i);
        }

        await WaitUntilAsync(() => stream.Depth == 0);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.WaitAsync(TestLimits.Hang));
        stream.TryPush(6);

        Assert.Equal(new[] { 1, 2 }, (await canal.PullBatchAsync(2, TimeSpan.Zero)).ToArray());
        Assert.Equal(new[] { 3 }, (await canal.PullBatchAsync(1, TimeSpan.Zero)).ToArray());
        Assert.Equal(new[] { 4, 5, 6 }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).ToArray());
    }

    [Fact]
    public async Task Held_items_are_handed_over_before_a_completed_source_closes_the_canal()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        using var cancel = new CancellationTokenSource();
        var pull = canal.PullBatchAsync(10, TimeSpan.FromHours(1), new CanalLinger(10, Timeout.InfiniteTimeSpan), cancel.Token).AsTask();
        stream.TryPush(1);
        await WaitUntilAsync(() => stream.Depth == 0);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.WaitAsync(TestLimits.Hang));

        stream.Complete(new TimeoutException("sensor lost"));

        Assert.Equal(new[] { 1 }, (await canal.PullBatchAsync(10, Second)).ToArray());
        var closed = await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(10, Second).AsTask());
        Assert.IsType<TimeoutException>(closed.InnerException);
    }

    [Fact]
    public async Task Disposing_twice_synchronously_and_asynchronously_is_harmless_and_the_stream_stays_open()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        var canal = LossySubscription.Create(stream, new FakeTimeProvider());

        await canal.DisposeAsync();
        await canal.DisposeAsync();
        canal.Dispose();

        Assert.True(stream.TryPush(1).IsAccepted);
        await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(1, TimeSpan.Zero).AsTask());
        Assert.Equal(1, stream.Depth);
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

    [Fact]
    public async Task Pulled_and_held_items_count_as_delivered_by_the_stream_and_its_counts_stay_conserved()
    {
        var stream = BoundedStream.DropOldest<int>(4, "feed");
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        using var cancel = new CancellationTokenSource();
        for (var i = 0; i < 6; i++)
        {
            stream.TryPush(i); // 0 and 1 are evicted
        }

        var pull = canal.PullBatchAsync(10, TimeSpan.FromHours(1), new CanalLinger(10, Timeout.InfiniteTimeSpan), cancel.Token).AsTask();
        await WaitUntilAsync(() => stream.Depth == 0);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.WaitAsync(TestLimits.Hang));

        // The cancelled pull holds 2..5: out of the stream (delivered), not lost, and returned by the next pull.
        var metrics = stream.GetMetrics();
        Assert.Equal(6, metrics.ItemsPushed);
        Assert.Equal(4, metrics.ItemsDelivered);
        Assert.Equal(2, metrics.DropOldestHits);
        Assert.Equal(0, metrics.Depth);
        Assert.True(metrics.IsConserved);
        Assert.Equal(2, canal.Skipped);
        Assert.Equal(new[] { 2, 3, 4, 5 }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).ToArray());
        Assert.Equal(4, stream.GetMetrics().ItemsDelivered);
    }

    [Fact]
    public async Task Skipped_counts_a_fail_streams_overflows_since_the_canal_was_created_only()
    {
        var stream = BoundedStream.Fail<int>(2);
        stream.TryPush(1);
        stream.TryPush(2);
        stream.TryPush(3); // an overflow before the canal existed
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        Assert.Equal(0, canal.Skipped);

        stream.TryPush(4);
        stream.TryPush(5);

        Assert.Equal(2, canal.Skipped);
        Assert.Equal(new[] { 1, 2 }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).ToArray());
    }

    [Fact]
    public async Task Skipped_counts_a_degrade_streams_evictions_and_the_pull_returns_the_degraded_newest_items()
    {
        // DegradeQuality evicts the oldest and enqueues degrader(new item): each overflow skips one item, as DropOldest.
        var stream = BoundedStream.DegradeQuality<int>(2, x => x * 100);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        for (var i = 1; i <= 5; i++)
        {
            stream.TryPush(i);
        }

        Assert.Equal(3, canal.Skipped);
        Assert.Equal(new[] { 400, 500 }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).ToArray());
        Assert.Equal(3, canal.Skipped); // pulls take, they skip nothing
    }

    [Fact]
    public async Task A_worker_whose_handler_is_slow_on_a_drop_oldest_canal_gets_the_newest_items_and_Skipped_counts_the_rest()
    {
        var stream = BoundedStream.DropOldest<int>(4);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstCall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = new List<int[]>();
        var sawTen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = CanalWorker.Start<int>(canal, async (batch, _) =>
        {
            lock (batches)
            {
                batches.Add(batch.ToArray());
            }

            if (firstCall.TrySetResult())
            {
                await release.Task;
            }

            if (batch.Last == 10)
            {
                sawTen.TrySetResult();
            }
        }, new CanalWorkerOptions { Deadline = TimeSpan.FromMinutes(1) }); // on the fake clock: a pull parks until an item comes

        stream.TryPush(0);
        await firstCall.Task.WaitAsync(TestLimits.Hang);

        // While the handler holds [0] no pull runs: ten pushes through a capacity of four keep the newest four.
        for (var i = 1; i <= 10; i++)
        {
            stream.TryPush(i);
        }

        Assert.Equal(6, canal.Skipped);
        release.SetResult();
        await sawTen.Task.WaitAsync(TestLimits.Hang);
        await worker.StopAndJoinAsync().WaitAsync(TestLimits.Hang);

        lock (batches)
        {
            Assert.Equal(new[] { new[] { 0 }, new[] { 7, 8, 9, 10 } }, batches);
        }

        Assert.Equal(6, canal.Skipped);
        Assert.True(stream.GetMetrics().IsConserved);
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
