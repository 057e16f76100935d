using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// The stream's behaviour, in the shared mode here (the default: any number of writers and readers), in the lock-free
/// mode in <see cref="LockFreeBoundedStreamTests"/> and in the locked mode in <see cref="LockedBoundedStreamTests"/>.
/// </summary>
public class BoundedStreamTests
{
    /// <summary>The engine mode of the streams under test.</summary>
    private protected virtual BufferMode Mode => BufferMode.SharedLane;

    /// <summary>Whether the streams under test promise one writer and one reader, which makes them lock-free.</summary>
    private bool LockFree => Mode == BufferMode.SingleLane;

    /// <summary>A stream with <paramref name="options"/> on <see cref="Mode"/>, single-writer and single-reader when <see cref="LockFree"/>.</summary>
    private BoundedStream<T> Create<T>(BoundedStreamOptions<T> options)
    {
        var stream = new BoundedStream<T>(
            new BoundedStreamOptions<T>(options.Policy, options.Capacity)
            {
                Name = options.Name,
                Degrader = options.Degrader,
                OnDropped = options.OnDropped,
                PauseTimeout = options.PauseTimeout,
                TimeProvider = options.TimeProvider,
                SingleWriter = LockFree,
                SingleReader = LockFree,
            },
            Mode);

        // A PauseUpstream timeout needs timed waits, which the lock-free mode leaves to the shared one.
        Assert.Equal(LockFree && options.PauseTimeout is not null ? BufferMode.SharedLane : Mode, stream.Buffer.Mode);
        return stream;
    }

    private static List<T> Drain<T>(BoundedStream<T> stream) => EngineModes.Drain(stream);

    [Fact]
    public void DropOldest_evicts_the_oldest_item_when_full()
    {
        var dropped = new List<int>();
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 3) { OnDropped = dropped.Add });

        var results = Enumerable.Range(1, 5).Select(stream.TryPush).Select(r => r.Status).ToList();

        Assert.Equal([PushStatus.Enqueued, PushStatus.Enqueued, PushStatus.Enqueued, PushStatus.DroppedOldest, PushStatus.DroppedOldest], results);
        Assert.Equal([1, 2], dropped);
        Assert.Equal([3, 4, 5], Drain(stream));
        var metrics = stream.GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(5, 3, 2, 0, 0, 0, 0, 0), metrics);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public void DegradeQuality_applies_the_degrader_only_on_overflow()
    {
        var calls = new List<int>();
        var dropped = new List<int>();
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2)
        {
            Degrader = x =>
            {
                calls.Add(x);
                return -x;
            },
            OnDropped = dropped.Add,
        });

        Assert.Equal(PushStatus.Enqueued, stream.TryPush(1).Status);
        Assert.Equal(PushStatus.Enqueued, stream.TryPush(2).Status);
        Assert.Empty(calls);
        Assert.Equal(PushStatus.Degraded, stream.TryPush(3).Status);

        Assert.Equal([3], calls);
        Assert.Equal([1], dropped);
        Assert.Equal([2, -3], Drain(stream));
        Assert.Equal(new StreamMetricsSnapshot(3, 2, 0, 1, 0, 0, 0, 0), stream.GetMetrics());
    }

    [Fact]
    public async Task DegradeQuality_without_a_degrader_errors_only_when_one_is_needed()
    {
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2));

        Assert.True(stream.TryPush(1).IsAccepted);
        await stream.PushAsync(2);
        Assert.Equal(PushStatus.MissingDegrader, stream.TryPush(3).Status);
        var error = await Assert.ThrowsAsync<MissingDegraderException>(() => stream.PushAsync(4).AsTask());

        Assert.Contains(stream.Name, error.Message);
        Assert.Equal([1, 2], Drain(stream));
        Assert.Equal(new StreamMetricsSnapshot(4, 2, 0, 0, 0, 0, 2, 0), stream.GetMetrics());
    }

    [Fact]
    public void DegradeQuality_reports_a_throwing_degrader_as_a_value_and_evicts_nothing()
    {
        var boom = new FormatException("boom");
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 1) { Degrader = _ => throw boom });
        stream.TryPush(1);

        var result = stream.TryPush(2);

        Assert.Equal(PushStatus.DegraderFailed, result.Status);
        Assert.Same(boom, result.Error);
        Assert.Same(boom, stream.CreateException(result).InnerException);
        Assert.Equal([1], Drain(stream));
        Assert.True(stream.GetMetrics().IsConserved);
    }

    [Fact]
    public void Fail_errors_naming_policy_and_capacity_and_enqueues_nothing()
    {
        var stream = Create(new BoundedStreamOptions<string>(BackpressurePolicy.Fail, 2) { Name = "orders" });
        stream.TryPush("a");
        stream.TryPush("b");

        var result = stream.TryPush("c");
        var error = Assert.Throws<StreamOverflowException>(() => stream.PushAsync("d").AsTask().GetAwaiter().GetResult());

        Assert.Equal(PushStatus.Overflow, result.Status);
        Assert.False(result.IsAccepted);
        Assert.Equal(BackpressurePolicy.Fail, error.Policy);
        Assert.Equal(2, error.Capacity);
        Assert.Equal("orders", error.StreamName);
        Assert.Contains("Fail", error.Message);
        Assert.Contains("capacity 2", error.Message);
        Assert.Equal(["a", "b"], Drain(stream));
        Assert.Equal(new StreamMetricsSnapshot(4, 2, 0, 0, 0, 2, 0, 0), stream.GetMetrics());
    }

    [Fact]
    public async Task PauseUpstream_waits_until_a_consumer_drains()
    {
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 2));
        await stream.PushAsync(1);
        await stream.PushAsync(2);

        // A lock-free stream has one writer: its second push starts after the first one is done.
        var third = stream.PushAsync(3);
        var fourth = LockFree ? default : stream.PushAsync(4);
        Assert.False(third.IsCompleted);
        Assert.Equal(PushStatus.Full, stream.TryPush(99).Status);
        Assert.Equal(LockFree ? 1 : 2, stream.GetMetrics().PauseUpstreamBlocks);

        Assert.True(stream.TryRead(out var first));
        await third;
        if (LockFree)
        {
            fourth = stream.PushAsync(4);
        }

        Assert.False(fourth.IsCompleted);
        Assert.True(stream.TryRead(out var second));
        await fourth;

        Assert.Equal((1, 2), (first, second));
        Assert.Equal([3, 4], Drain(stream));
        Assert.Equal(new StreamMetricsSnapshot(4, 4, 0, 0, 2, 0, 0, 0), stream.GetMetrics());
    }

    [Fact]
    public async Task PauseUpstream_with_a_timeout_fails_with_overflow_after_it_in_virtual_time()
    {
        var clock = new FakeTimeProvider();
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1)
        {
            PauseTimeout = TimeSpan.FromSeconds(5),
            TimeProvider = clock,
            Name = "sensor",
        });
        await stream.PushAsync(1);

        var waiting = stream.PushAsync(2).AsTask();
        clock.Advance(TimeSpan.FromSeconds(4.999));
        Assert.False(waiting.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        var error = await Assert.ThrowsAsync<StreamOverflowException>(() => waiting);
        Assert.Equal(BackpressurePolicy.PauseUpstream, error.Policy);
        Assert.Contains("sensor", error.Message);
        Assert.Equal([1], Drain(stream));
        Assert.Equal(new StreamMetricsSnapshot(2, 1, 0, 0, 1, 0, 1, 0), stream.GetMetrics());
    }

    [Fact]
    public async Task PauseUpstream_with_a_timeout_succeeds_when_room_appears_in_time()
    {
        var clock = new FakeTimeProvider();
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1)
        {
            PauseTimeout = TimeSpan.FromSeconds(5),
            TimeProvider = clock,
        });
        await stream.PushAsync(1);
        var waiting = stream.PushAsync(2).AsTask();
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.True(stream.TryRead(out _));
        await waiting;
        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal([2], Drain(stream));
        Assert.Equal(0, stream.GetMetrics().ItemsRejected);
    }

    [Fact]
    public async Task PauseUpstream_with_a_zero_timeout_never_waits()
    {
        var stream = BoundedStream.PauseUpstream<int>(1, TimeSpan.Zero);
        await stream.PushAsync(1);

        await Assert.ThrowsAsync<StreamOverflowException>(() => stream.PushAsync(2).AsTask());
        Assert.Equal(PushStatus.Full, stream.TryPush(3).Status);
    }

    [Fact]
    public async Task PauseUpstream_wait_is_cancelled_and_counted_as_rejected()
    {
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));
        await stream.PushAsync(1);
        using var cts = new CancellationTokenSource();

        var waiting = stream.PushAsync(2, cts.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal([1], Drain(stream));
        Assert.Equal(new StreamMetricsSnapshot(2, 1, 0, 0, 1, 0, 1, 0), stream.GetMetrics());
    }

    [Fact]
    public async Task Completion_drains_then_ends()
    {
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4));
        stream.TryPush(1);
        stream.TryPush(2);
        stream.Complete();

        Assert.False(stream.Completion.IsCompleted);
        var items = new List<int>();
        await foreach (var item in stream.ReadAllAsync())
        {
            items.Add(item);
        }

        Assert.Equal([1, 2], items);
        await stream.Completion;
        Assert.False(await stream.WaitToReadAsync());
        await Assert.ThrowsAsync<StreamClosedException>(() => stream.ReadAsync().AsTask());
    }

    [Fact]
    public async Task Completion_with_an_error_surfaces_it_after_the_buffered_items()
    {
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 4));
        stream.TryPush(1);
        var boom = new InvalidOperationException("upstream died");
        stream.Complete(boom);

        Assert.Equal(1, await stream.ReadAsync());
        var closed = await Assert.ThrowsAsync<StreamClosedException>(() => stream.ReadAsync().AsTask());
        Assert.Same(boom, closed.InnerException);
        Assert.Same(boom, await Assert.ThrowsAsync<InvalidOperationException>(() => stream.Completion));
    }

    [Theory]
    [InlineData(BackpressurePolicy.DropOldest)]
    [InlineData(BackpressurePolicy.DegradeQuality)]
    [InlineData(BackpressurePolicy.PauseUpstream)]
    [InlineData(BackpressurePolicy.Fail)]
    public async Task Push_after_completion_fails_as_closed(BackpressurePolicy policy)
    {
        var stream = Create(new BoundedStreamOptions<int>(policy, 2) { Degrader = x => x, Name = "done" });
        stream.Complete();

        Assert.Equal(PushStatus.Closed, stream.TryPush(1).Status);
        var error = await Assert.ThrowsAsync<StreamClosedException>(() => stream.PushAsync(2).AsTask());
        Assert.Equal("done", error.StreamName);
        Assert.Throws<InvalidOperationException>(() => stream.Complete());
        Assert.False(stream.TryComplete());
        Assert.Equal(new StreamMetricsSnapshot(2, 0, 0, 0, 0, 0, 2, 0), stream.GetMetrics());
    }

    [Fact]
    public async Task Completion_wakes_every_waiting_producer_and_consumer()
    {
        // A lock-free stream has one writer and one reader, so one of each waits; a locked one parks several.
        using var cts = new CancellationTokenSource();
        var full = Create(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1));
        await full.PushAsync(0);
        List<Task> producers = LockFree
            ? [full.PushAsync(9, cts.Token).AsTask()]
            : [.. Enumerable.Range(1, 3).Select(i => full.PushAsync(i).AsTask()), full.PushAsync(9, cts.Token).AsTask()];

        var empty = Create(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 1));
        Task[] consumers = LockFree
            ? [empty.WaitToReadAsync(cts.Token).AsTask()]
            : [empty.WaitToReadAsync().AsTask(), empty.WaitToReadAsync(cts.Token).AsTask(), empty.ReadAsync().AsTask()];
        Assert.All(producers, p => Assert.False(p.IsCompleted));
        Assert.All(consumers, c => Assert.False(c.IsCompleted));

        full.Complete();
        empty.Complete();

        foreach (var producer in producers)
        {
            await Assert.ThrowsAsync<StreamClosedException>(() => producer);
        }

        Assert.False(await (Task<bool>)consumers[0]);
        if (!LockFree)
        {
            Assert.False(await (Task<bool>)consumers[1]);
            await Assert.ThrowsAsync<StreamClosedException>(() => consumers[2]);
        }

        Assert.Equal([0], Drain(full));
        var waited = producers.Count;
        Assert.Equal(new StreamMetricsSnapshot(1 + waited, 1, 0, 0, waited, 0, waited, 0), full.GetMetrics());
        await full.Completion;
        await empty.Completion;
    }

    [Fact]
    public async Task Reading_after_completion_of_an_empty_stream_ends_and_never_hangs()
    {
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 1));
        stream.Complete();

        Assert.False(stream.TryRead(out _));
        Assert.False(await stream.WaitToReadAsync());
        await foreach (var unused in stream.ReadAllAsync())
        {
            Assert.Fail($"no item expected, got {unused}");
        }

        await Assert.ThrowsAsync<StreamClosedException>(() => stream.ReadAsync().AsTask());
    }

    [Fact]
    public async Task A_waiting_reader_receives_the_next_push()
    {
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 1));
        var read = stream.ReadAsync().AsTask();
        Assert.False(read.IsCompleted);

        stream.TryPush(42);

        Assert.Equal(42, await read);
    }

    [Fact]
    public async Task A_cancelled_read_stops_waiting()
    {
        var stream = Create(new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 1));
        using var cts = new CancellationTokenSource();
        var read = stream.ReadAsync(cts.Token).AsTask();

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
        stream.TryPush(1);
        Assert.Equal(1, await stream.ReadAsync());
    }

    [Fact]
    public void Bad_input_is_rejected_at_construction_naming_the_parameter()
    {
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => BoundedStream.DropOldest<int>(0)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedStreamOptions<int>(BackpressurePolicy.Fail, -1)).ParamName);
        Assert.Equal("policy", Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedStreamOptions<int>((BackpressurePolicy)42, 1)).ParamName);
        Assert.Equal("degrader", Assert.Throws<ArgumentNullException>(() => BoundedStream.DegradeQuality<int>(1, null!)).ParamName);
        Assert.Equal("timeout", Assert.Throws<ArgumentOutOfRangeException>(() => BoundedStream.PauseUpstream<int>(1, TimeSpan.FromSeconds(-1))).ParamName);
        Assert.Equal("timeout", Assert.Throws<ArgumentOutOfRangeException>(() => BoundedStream.PauseUpstream<int>(1, TimeSpan.MaxValue)).ParamName);
        Assert.Equal("timeout", Assert.Throws<ArgumentOutOfRangeException>(() => BoundedStream.PauseUpstream<int>(1, TimeSpan.FromSeconds(-1), "n")).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => BoundedStream.Fail<int>(1, null!)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => BoundedStream.DropOldest<int>(1, null!)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => BoundedStream.DegradeQuality<int>(1, x => x, null!)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => BoundedStream.PauseUpstream<int>(1, null, null!)).ParamName);

        // Set directly, the options' properties name themselves.
        Assert.Equal("PauseTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { PauseTimeout = TimeSpan.FromSeconds(-1) }).ParamName);
        Assert.Equal("Name", Assert.Throws<ArgumentNullException>(() => new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 1) { Name = null! }).ParamName);
        Assert.Equal("TimeProvider", Assert.Throws<ArgumentNullException>(() => new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 1) { TimeProvider = null! }).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => BoundedStream.Create<int>(null!)).ParamName);
        _ = BoundedStream.PauseUpstream<int>(1, Timeout.InfiniteTimeSpan);
    }
}

/// <summary>Every test of <see cref="BoundedStreamTests"/> on single-writer, single-reader (lock-free) streams.</summary>
public sealed class LockFreeBoundedStreamTests : BoundedStreamTests
{
    /// <inheritdoc/>
    private protected override BufferMode Mode => BufferMode.SingleLane;
}

/// <summary>Every test of <see cref="BoundedStreamTests"/> on the locked mode (the Dataflow block's and the delivery layer's).</summary>
public sealed class LockedBoundedStreamTests : BoundedStreamTests
{
    /// <inheritdoc/>
    private protected override BufferMode Mode => BufferMode.Locked;
}
