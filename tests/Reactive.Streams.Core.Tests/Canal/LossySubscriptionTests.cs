using System.Reactive.Subjects;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Canal;

public class LossySubscriptionTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

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
    public async Task PullBatch_returns_as_soon_as_max_items_are_ready()
    {
        var clock = new FakeTimeProvider();
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, clock);

        var pull = canal.PullBatchAsync(3, Second).AsTask();
        stream.TryPush(1);
        stream.TryPush(2);
        Assert.False(pull.IsCompleted);
        stream.TryPush(3);

        var batch = await pull.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(CanalBatchKind.Many, batch.Kind);
        Assert.Equal([1, 2, 3], batch.ToArray());
    }

    [Fact]
    public async Task PullBatch_returns_what_arrived_when_the_deadline_passes_in_virtual_time()
    {
        var clock = new FakeTimeProvider();
        var stream = BoundedStream.DropOldest<int>(8);
        await using var canal = LossySubscription.Create(stream, clock);

        var pull = canal.PullBatchAsync(10, Second).AsTask();
        clock.Advance(TimeSpan.FromMilliseconds(500));
        stream.TryPush(42);
        clock.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(pull.IsCompleted);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        var batch = await pull.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(CanalBatchKind.One, batch.Kind);
        Assert.Equal(42, batch.Last);
    }

    [Fact]
    public async Task PullBatch_returns_Empty_after_the_deadline_when_nothing_arrives()
    {
        var clock = new FakeTimeProvider();
        await using var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(8), clock);

        var pull = canal.PullBatchAsync(10, Second).AsTask();
        clock.Advance(Second);
        var batch = await pull.WaitAsync(TimeSpan.FromSeconds(10));

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

        var error = await Assert.ThrowsAsync<CanalClosedException>(() => pull.WaitAsync(TimeSpan.FromSeconds(10)));
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
    public async Task Disposing_an_observable_subscription_unsubscribes()
    {
        var subject = new Subject<int>();
        var canal = LossySubscription.Create(subject, capacity: 2);
        Assert.True(subject.HasObservers);

        await canal.DisposeAsync();

        Assert.False(subject.HasObservers);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => canal.PullBatchAsync(1, TimeSpan.Zero).AsTask());
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
}
