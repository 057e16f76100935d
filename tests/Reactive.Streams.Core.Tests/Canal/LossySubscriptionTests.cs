using System.Reactive.Subjects;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

public class LossySubscriptionTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    // A failure guard against hangs; never a bound on how long correct code takes.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task PullBatch_returns_One_at_once_when_max_is_one()
    {
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        stream.TryPush(7);
        stream.TryPush(8);

        var batch = await canal.PullBatchAsync(1, Second);

        Assert.Equal(CanalBatchKind.One, batch.Kind);
        Assert.Equal(7, batch[0]);
    }

    [Fact]
    public async Task A_waiting_pull_returns_as_soon_as_one_item_arrives_without_waiting_for_max_or_the_deadline()
    {
        var clock = new FakeTimeProvider();
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, clock);

        var pull = canal.PullBatchAsync(3, Second).AsTask();
        stream.TryPush(1);

        // The virtual clock never moves: only the item can end this pull.
        var batch = await pull.WaitAsync(Guard);
        Assert.Equal([1], batch.ToArray());
    }

    [Fact]
    public async Task A_pull_takes_whatever_is_ready_up_to_max_without_waiting()
    {
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        foreach (var i in new[] { 1, 2, 3, 4, 5 })
        {
            stream.TryPush(i);
        }

        var first = canal.PullBatchAsync(3, Second);
        Assert.True(first.IsCompleted);
        Assert.Equal(new[] { 1, 2, 3 }, (await first).ToArray());
        Assert.Equal(new[] { 4, 5 }, (await canal.PullBatchAsync(3, Second)).ToArray());
    }

    [Fact]
    public async Task A_trickle_is_handed_over_item_by_item_not_held_until_the_deadline()
    {
        // Items at 0 and 300 ms with a 1 s deadline: each pull returns its item when it arrives.
        var clock = new FakeTimeProvider();
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, clock);
        var started = clock.GetTimestamp();

        stream.TryPush(1);
        Assert.Equal(new[] { 1 }, (await canal.PullBatchAsync(10, Second).AsTask().WaitAsync(Guard)).ToArray());
        var second = canal.PullBatchAsync(10, Second).AsTask();
        clock.Advance(TimeSpan.FromMilliseconds(300));
        stream.TryPush(2);

        Assert.Equal(new[] { 2 }, (await second.WaitAsync(Guard)).ToArray());
        Assert.Equal(TimeSpan.FromMilliseconds(300), clock.GetElapsedTime(started));
    }

    [Fact]
    public async Task A_linger_with_a_minimum_batch_waits_for_it_until_the_deadline()
    {
        var clock = new FakeTimeProvider();
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, clock);
        var linger = new CanalLinger(minItems: 3, Timeout.InfiniteTimeSpan);

        var full = canal.PullBatchAsync(10, Second, linger).AsTask();
        stream.TryPush(1);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        stream.TryPush(2);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        stream.TryPush(3);
        Assert.Equal(new[] { 1, 2, 3 }, (await full.WaitAsync(Guard)).ToArray());

        var partial = canal.PullBatchAsync(10, Second, linger).AsTask();
        stream.TryPush(4);
        clock.Advance(TimeSpan.FromMilliseconds(999));
        stream.TryPush(5);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(new[] { 4, 5 }, (await partial.WaitAsync(Guard)).ToArray());
    }

    [Fact]
    public async Task A_linger_fill_time_runs_from_the_first_item_and_never_past_the_deadline()
    {
        // Each step waits until the pull has armed its timer, so virtual time never moves while it computes a wait.
        var clock = new ArmCountingClock();
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, clock);
        var linger = new CanalLinger(minItems: 10, TimeSpan.FromMilliseconds(200));
        var started = clock.GetTimestamp();

        var pull = canal.PullBatchAsync(10, Second, linger).AsTask();
        await clock.WaitForArmingsAsync(1);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        stream.TryPush(1);
        await clock.WaitForArmingsAsync(2);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        stream.TryPush(2);
        await clock.WaitForArmingsAsync(3);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(new[] { 1, 2 }, (await pull.WaitAsync(Guard)).ToArray());
        Assert.Equal(TimeSpan.FromMilliseconds(700), clock.GetElapsedTime(started));

        var late = canal.PullBatchAsync(10, Second, linger).AsTask();
        await clock.WaitForArmingsAsync(4);
        clock.Advance(TimeSpan.FromMilliseconds(900));
        stream.TryPush(3);
        await clock.WaitForArmingsAsync(5);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(new[] { 3 }, (await late.WaitAsync(Guard)).ToArray());
        Assert.Equal(TimeSpan.FromMilliseconds(1700), clock.GetElapsedTime(started));
    }

    [Fact]
    public async Task PullBatch_returns_Empty_after_the_deadline_when_nothing_arrives()
    {
        var clock = new FakeTimeProvider();
        await using var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(8), clock);

        var pull = canal.PullBatchAsync(10, Second).AsTask();
        clock.Advance(Second);
        var batch = await pull.WaitAsync(Guard);

        Assert.True(batch.IsEmpty);
        Assert.Equal(CanalBatchKind.Empty, batch.Kind);
    }

    [Fact]
    public async Task A_zero_deadline_never_waits()
    {
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());

        Assert.True((await canal.PullBatchAsync(5, TimeSpan.Zero)).IsEmpty);
        stream.TryPush(1);
        stream.TryPush(2);
        var batch = canal.PullBatchAsync(5, TimeSpan.Zero);

        Assert.True(batch.IsCompleted);
        var items = await batch;
        Assert.Equal([1, 2], items.ToArray());
    }

    [Fact]
    public async Task A_closed_canal_hands_over_what_is_buffered_then_errors()
    {
        var stream = BoundedStream.DropOldest<int>(8, "feed");
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        stream.TryPush(1);
        stream.Complete();

        var last = await canal.PullBatchAsync(5, Second);
        Assert.Equal([1], last.ToArray());
        var error = await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(5, Second).AsTask());
        Assert.Equal("feed", error.CanalName);
    }

    [Fact]
    public async Task A_waiting_pull_errors_when_the_source_completes_empty()
    {
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());

        var pull = canal.PullBatchAsync(5, Second).AsTask();
        stream.Complete(new TimeoutException("sensor lost"));

        var error = await Assert.ThrowsAsync<CanalClosedException>(() => pull.WaitAsync(Guard));
        Assert.IsType<TimeoutException>(error.InnerException);
    }

    [Fact]
    public async Task An_observable_subscription_skips_the_oldest_under_pressure_and_counts_them()
    {
        var subject = new Subject<int>();
        await using var canal = LossySubscription.Create(subject, capacity: 2, new FakeTimeProvider(), "live");

        foreach (var i in Enumerable.Range(1, 5))
        {
            subject.OnNext(i);
        }

        var live = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal([4, 5], live.ToArray());
        Assert.Equal(3, canal.Skipped);
        subject.OnCompleted();
        await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(1, TimeSpan.Zero).AsTask());
    }

    [Fact]
    public async Task An_observable_subscription_is_a_metered_stream_with_its_buffers_snapshot()
    {
        // Every surface of the engine gives its own snapshot through IMeteredStream (issue 17); the lossy canal over an
        // observable owns its buffer, which nothing else can name, so the canal is where its counts are read.
        var subject = new Subject<int>();
        var canal = LossySubscription.Create(subject, capacity: 2, new FakeTimeProvider(), "lossy-metered");
        var metered = (object)canal as IMeteredStream;
        Assert.NotNull(metered);
        Assert.Equal(("lossy-metered", BackpressurePolicy.DropOldest, 2), (metered.Name, metered.Policy, metered.Capacity));

        foreach (var i in Enumerable.Range(1, 5))
        {
            subject.OnNext(i);
        }

        Assert.Equal(new StreamMetricsSnapshot(ItemsPushed: 5, 0, DropOldestHits: 3, 0, 0, 0, 0, Depth: 2), metered.GetMetrics());
        var live = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal([4, 5], live.ToArray());
        Assert.Equal(new StreamMetricsSnapshot(ItemsPushed: 5, ItemsDelivered: 2, DropOldestHits: 3, 0, 0, 0, 0, Depth: 0), metered.GetMetrics());

        // Disposed, the canal keeps its counts and its snapshot still adds up (the meter's depth no longer counts it).
        subject.OnNext(6);
        await canal.DisposeAsync();
        Assert.Equal(new StreamMetricsSnapshot(ItemsPushed: 6, ItemsDelivered: 2, DropOldestHits: 3, 0, 0, 0, 0, Depth: 1), metered.GetMetrics());
    }

    [Fact]
    public async Task A_stream_subscription_reports_its_streams_snapshot()
    {
        var stream = BoundedStream.Create(new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 3) { Name = "lossy-over-stream", Degrader = static x => -x });
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var metered = Assert.IsAssignableFrom<IMeteredStream>((object)canal);
        stream.TryPush(1);

        Assert.Equal((stream.Name, stream.Policy, stream.Capacity), (metered.Name, metered.Policy, metered.Capacity));
        Assert.Equal(stream.GetMetrics(), metered.GetMetrics());
    }

    [Fact]
    public async Task Disposing_an_observable_subscription_unsubscribes()
    {
        var subject = new Subject<int>();
        var canal = LossySubscription.Create(subject, capacity: 2);
        Assert.True(subject.HasObservers);

        await canal.DisposeAsync();

        Assert.False(subject.HasObservers);
        var error = await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(1, TimeSpan.Zero).AsTask());
        Assert.Null(error.InnerException);
    }

    [Fact]
    public async Task A_pull_parked_at_disposal_fails_as_closed_instead_of_returning_Empty()
    {
        var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(8, "feed"), new FakeTimeProvider());
        var parked = canal.PullBatchAsync(4, TimeSpan.FromHours(1)).AsTask();

        await canal.DisposeAsync();

        var error = await Assert.ThrowsAsync<CanalClosedException>(() => parked.WaitAsync(Guard));
        Assert.Equal("feed", error.CanalName);
    }

    [Fact]
    public async Task A_lingering_pull_parked_at_disposal_hands_over_the_items_it_had_taken()
    {
        var stream = BoundedStream.DropOldest<int>(8);
        var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var parked = canal.PullBatchAsync(4, TimeSpan.FromHours(1), new CanalLinger(4, Timeout.InfiniteTimeSpan)).AsTask();
        stream.TryPush(1);
        stream.TryPush(2);
        await WaitUntilAsync(() => stream.Depth == 0);

        await canal.DisposeAsync();

        Assert.Equal(new[] { 1, 2 }, (await parked.WaitAsync(Guard)).ToArray());
        await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(4, TimeSpan.Zero).AsTask());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_pull_cancelled_after_taking_items_loses_none_the_next_pull_returns_them_first(bool cancelWhileEmpty)
    {
        var clock = new FakeTimeProvider();
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, clock);
        using var cancel = new CancellationTokenSource();
        var linger = new CanalLinger(10, Timeout.InfiniteTimeSpan);

        var pull = canal.PullBatchAsync(10, Second, linger, cancel.Token).AsTask();
        if (!cancelWhileEmpty)
        {
            stream.TryPush(1);
            stream.TryPush(2);
            await WaitUntilAsync(() => stream.Depth == 0);
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.WaitAsync(Guard));
        stream.TryPush(3);

        var next = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(cancelWhileEmpty ? [3] : new[] { 1, 2, 3 }, next.ToArray());
    }

    [Fact]
    public async Task A_pull_cancelled_before_it_starts_takes_nothing()
    {
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        stream.TryPush(1);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.PullBatchAsync(4, Second, new CancellationToken(true)).AsTask());

        Assert.Equal(new[] { 1 }, (await canal.PullBatchAsync(4, TimeSpan.Zero)).ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_deadline_timer_that_fires_between_arming_and_parking_still_ends_the_pull(bool cancellableToken)
    {
        // The clock fires every timer synchronously as it is armed, i.e. always before the reader parks: the worst
        // case of the race, every time. A lost wake would park the pull until an item comes, which never happens.
        var clock = new FiresOnArmingClock();
        await using var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(8), clock);
        using var cancel = new CancellationTokenSource();
        var token = cancellableToken ? cancel.Token : CancellationToken.None;

        for (var i = 0; i < 100; i++)
        {
            var batch = await canal.PullBatchAsync(4, TimeSpan.FromMilliseconds(1 + i), token).AsTask().WaitAsync(Guard);
            Assert.True(batch.IsEmpty);
        }
    }

    [Fact]
    public async Task Thousands_of_short_deadline_pulls_on_the_real_clock_all_end()
    {
        // A lost deadline wake parks a pull for good (nothing is ever pushed), so it shows as that pull's watchdog firing.
        // The watchdog is per pull, not over all of them: each pull waits for a real timer, which on a loaded machine
        // fires a time slice or more late (about 5 ms a pull with two cores shared by dozens of busy processes), so
        // 3,000 of them under one 60-second watchdog bounded how long correct code takes.
        await using var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(8));
        using var cancel = new CancellationTokenSource();
        await Task.Run(async () =>
        {
            for (var i = 0; i < 3000; i++)
            {
                var pull = canal.PullBatchAsync(4, TimeSpan.FromMilliseconds(1), i % 2 == 0 ? cancel.Token : CancellationToken.None);
                var batch = await pull.AsTask().WaitAsync(TestLimits.Hang);
                Assert.True(batch.IsEmpty);
            }
        });
    }

    [Fact]
    public async Task A_closed_source_with_an_error_hands_over_the_taken_items_then_reports_the_error()
    {
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        var pull = canal.PullBatchAsync(4, Second, new CanalLinger(4, Timeout.InfiniteTimeSpan)).AsTask();
        stream.TryPush(1);
        await WaitUntilAsync(() => stream.Depth == 0);

        stream.Complete(new TimeoutException("sensor lost"));

        Assert.Equal(new[] { 1 }, (await pull.WaitAsync(Guard)).ToArray());
        var error = await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(4, Second).AsTask());
        Assert.IsType<TimeoutException>(error.InnerException);
    }

    [Fact]
    public async Task Concurrent_pulls_are_refused()
    {
        await using var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(8), new FakeTimeProvider());
        var first = canal.PullBatchAsync(1, Second);

        Assert.Throws<InvalidOperationException>(() => canal.PullBatchAsync(1, Second));
        Assert.False(first.IsCompleted);
    }

    [Fact]
    public async Task Bad_input_is_rejected_naming_the_parameter()
    {
        await using var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(8), new FakeTimeProvider());

        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => canal.PullBatchAsync(0, Second)).ParamName);
        Assert.Equal("deadline", Assert.Throws<ArgumentOutOfRangeException>(() => canal.PullBatchAsync(1, TimeSpan.FromTicks(-1))).ParamName);
        Assert.Equal("stream", Assert.Throws<ArgumentNullException>(() => LossySubscription.Create<int>((BoundedStream<int>)null!)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => LossySubscription.Create(new Subject<int>(), 0)).ParamName);
    }

    [Fact]
    public async Task Empty_and_One_pulls_allocate_nothing()
    {
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, new FakeTimeProvider());
        for (var warm = 0; warm < 3; warm++)
        {
            stream.TryPush(warm);
            await canal.PullBatchAsync(1, TimeSpan.Zero);
            await canal.PullBatchAsync(4, TimeSpan.Zero);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            stream.TryPush(i);
            var one = canal.PullBatchAsync(4, TimeSpan.Zero);
            var empty = canal.PullBatchAsync(4, TimeSpan.Zero);
#pragma warning disable xUnit1031 // both pulls completed synchronously: reading the result does not block
            if (!one.IsCompletedSuccessfully || !empty.IsCompletedSuccessfully || one.Result.Count != 1 || !empty.Result.IsEmpty)
#pragma warning restore xUnit1031
            {
                Assert.Fail("unexpected batch shape");
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < Guard, "the condition never held");
            await Task.Yield();
        }
    }

    /// <summary>A <see cref="FakeTimeProvider"/> that counts how often a timer is armed with a finite due time.</summary>
    private sealed class ArmCountingClock : TimeProvider
    {
        private readonly FakeTimeProvider _fake = new();
        private int _armings;

        public override long TimestampFrequency => _fake.TimestampFrequency;

        public override long GetTimestamp() => _fake.GetTimestamp();

        public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

        public void Advance(TimeSpan delta) => _fake.Advance(delta);

        public async Task WaitForArmingsAsync(int count)
        {
            var started = TimeProvider.System.GetTimestamp();
            while (Volatile.Read(ref _armings) < count)
            {
                Assert.True(TimeProvider.System.GetElapsedTime(started) < Guard, $"only {_armings} of {count} armings happened");
                await Task.Yield();
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new CountingTimer(this, _fake.CreateTimer(callback, state, dueTime, period));
            timer.Counted(dueTime);
            return timer;
        }

        private sealed class CountingTimer(ArmCountingClock clock, ITimer inner) : ITimer
        {
            public void Counted(TimeSpan dueTime)
            {
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    Interlocked.Increment(ref clock._armings);
                }
            }

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                var changed = inner.Change(dueTime, period);
                Counted(dueTime);
                return changed;
            }

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
