using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Genuine = Microsoft.Reactive.Testing;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Testing.Tests;

/// <summary>
/// The examples of docs/testing.md, run: the snippet tests only compile them, so what their comments say they print or
/// do is checked here, together with the misuse errors the page promises.
/// </summary>
public sealed class TestingPageExampleTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    [Fact]
    public void The_first_example_records_what_its_comments_say()
    {
        var scheduler = new TestScheduler();
        var source = scheduler.CreateHotObservable(
            OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(210, 4), OnNext(300, 5), OnCompleted<int>(400));

        var observer = scheduler.Start(() => source.DropOldest(capacity: 2, scheduler));

        Assert.Equal([OnNext(211, 3), OnNext(211, 4), OnNext(301, 5), OnCompleted<int>(401)], observer.Messages);
        Assert.Equal([Subscribe(200, 400)], source.Subscriptions);
        Assert.Equal("OnNext(3)@211, OnNext(4)@211, OnNext(5)@301, OnCompleted()@401", string.Join(", ", observer.Messages));
        Assert.Equal("(200, 400)", string.Join(", ", source.Subscriptions));
    }

    [Fact]
    public async Task The_TimeProvider_example_retries_after_the_backoff_in_virtual_time()
    {
        var scheduler = new TestScheduler();
        var options = new DeliveryOptions<int> { TimeProvider = scheduler.AsTimeProvider(), BackoffBase = TimeSpan.FromSeconds(1) };
        var sink = new FlakySink(scheduler);
        options.AddSink(sink);
        await using var dispatcher = new DeliveryDispatcher<int>(options);

        var ack = new AckCompletionSource();
        await dispatcher.DispatchAsync(42, ack);
        var watchdog = System.Diagnostics.Stopwatch.StartNew();
        while (!ack.IsAcknowledged)
        {
            Assert.True(watchdog.Elapsed < Hang, "the ack never came");
            scheduler.AdvanceBy(TimeSpan.FromMilliseconds(100).Ticks);
            await Task.Yield();
        }

        // One failed call, then the retry, later in virtual time (after the backoff's timer fired).
        Assert.Equal(2, sink.Calls);
        Assert.True(sink.RetriedAt > sink.FailedAt, $"failed at {sink.FailedAt}, retried at {sink.RetriedAt}");
    }

    [Fact]
    public void The_genuine_scheduler_example_records_what_its_comment_says()
    {
        var scheduler = new Genuine.TestScheduler();
        var source = scheduler.CreateHotObservable(
            Genuine.ReactiveTest.OnNext(210, 1), Genuine.ReactiveTest.OnNext(210, 2), Genuine.ReactiveTest.OnNext(210, 3), Genuine.ReactiveTest.OnCompleted<int>(400));

        var observer = scheduler.Start(() => source.WithBackpressure(BackpressurePolicy.DropOldest, capacity: 2, scheduler));

        // 2 and 3 at 211 (1 was dropped), completed at 401.
        Assert.Equal(
            [Genuine.ReactiveTest.OnNext(211, 2), Genuine.ReactiveTest.OnNext(211, 3), Genuine.ReactiveTest.OnCompleted<int>(401)],
            observer.Messages);
    }

    [Fact]
    public void Start_reports_misuse_as_the_page_says()
    {
        var scheduler = new TestScheduler();

        Assert.Equal("subscribed", Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Start(() => Observable.Never<int>(), 200, 100, 1000)).ParamName);
        Assert.Equal("disposed", Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Start(() => Observable.Never<int>(), 100, 200, 150)).ParamName);
        Assert.Equal("disposed", Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Start(() => Observable.Never<int>(), 150)).ParamName);
        Assert.Equal("create", Assert.Throws<ArgumentNullException>(() => scheduler.Start<int>(null!)).ParamName);

        // A factory that returns null: InvalidOperationException at the creation time, nothing subscribed.
        var nullFactory = new TestScheduler();
        Assert.Throws<InvalidOperationException>(() => nullFactory.Start<int>(() => null!));
        Assert.Equal(100, nullFactory.Clock);

        // Start from scheduled work.
        var nested = new TestScheduler();
        Exception? fromWork = null;
        nested.ScheduleAbsolute(0, 50, (_, _) =>
        {
            fromWork = Record.Exception(() => nested.Start(() => Observable.Never<int>()));
            return System.Reactive.Disposables.Disposable.Empty;
        });
        nested.Start();
        Assert.IsType<InvalidOperationException>(fromWork);
    }

    [Fact]
    public void Test_observables_refuse_predicates_and_nulls_when_created_and_copy_their_messages()
    {
        var scheduler = new TestScheduler();
        var predicate = OnNext<int>(210, x => x > 0);

        Assert.Equal("messages", Assert.Throws<ArgumentException>(() => scheduler.CreateHotObservable(OnNext(210, 1), predicate)).ParamName);
        Assert.Equal("messages", Assert.Throws<ArgumentException>(() => scheduler.CreateColdObservable(predicate)).ParamName);
        Assert.Equal("messages", Assert.Throws<ArgumentException>(() => scheduler.CreateColdObservable(new Recorded<System.Reactive.Notification<int>>(10, null!))).ParamName);
        Assert.Equal("messages", Assert.Throws<ArgumentNullException>(() => scheduler.CreateHotObservable<int>(null!)).ParamName);

        var messages = new[] { OnNext(210, 1), OnCompleted<int>(220) };
        var hot = scheduler.CreateHotObservable(messages);
        messages[0] = OnNext(210, 99);
        Assert.Equal([OnNext(210, 1), OnCompleted<int>(220)], hot.Messages);
        var observer = scheduler.Start(() => hot);
        Assert.Equal([OnNext(210, 1), OnCompleted<int>(220)], observer.Messages);

        // The predicate matches as the expected side of a comparison.
        Assert.Equal([predicate], [OnNext(210, 5)]);
    }

    [Fact]
    public void Advancing_misuse_throws_as_the_page_says()
    {
        var scheduler = new TestScheduler();
        scheduler.AdvanceTo(100);

        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.AdvanceTo(50));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.AdvanceBy(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Sleep(-1));
        Assert.Equal(100, scheduler.Clock);

        Exception? fromWork = null;
        scheduler.ScheduleAbsolute(0, 150, (_, _) =>
        {
            fromWork = Record.Exception(() => scheduler.AdvanceBy(10));
            return System.Reactive.Disposables.Disposable.Empty;
        });
        scheduler.Start();
        Assert.IsType<InvalidOperationException>(fromWork);

        // Relative times saturate: the end of virtual time, not a wrap into the past.
        scheduler.AdvanceBy(long.MaxValue);
        Assert.Equal(long.MaxValue, scheduler.Clock);
        Assert.Equal(DateTimeOffset.MaxValue, scheduler.Now);
    }

    [Fact]
    public void AsTimeProvider_validates_and_reads_the_virtual_clock()
    {
        var scheduler = new TestScheduler();
        var provider = scheduler.AsTimeProvider();
        Assert.Throws<ArgumentNullException>(() => ((IScheduler)null!).AsTimeProvider());
        Assert.Equal(TimeSpan.TicksPerSecond, provider.TimestampFrequency);
        Assert.Equal(TimeZoneInfo.Utc, provider.LocalTimeZone);
        Assert.Equal(DateTimeOffset.MinValue, provider.GetUtcNow());

        var fired = new List<long>();
        Assert.Equal("dueTime", Assert.Throws<ArgumentOutOfRangeException>(() => provider.CreateTimer(_ => { }, null, TimeSpan.FromMilliseconds(-2), Timeout.InfiniteTimeSpan)).ParamName);
        Assert.Equal("period", Assert.Throws<ArgumentOutOfRangeException>(() => provider.CreateTimer(_ => { }, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(4294967295))).ParamName);
        using var zero = provider.CreateTimer(_ => fired.Add(scheduler.Clock), null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        using var never = provider.CreateTimer(_ => fired.Add(-1), null, TimeSpan.FromMilliseconds(-1.5), Timeout.InfiniteTimeSpan);
        using var now = provider.CreateTimer(_ => fired.Add(scheduler.Clock), null, TimeSpan.FromMilliseconds(-0.5), Timeout.InfiniteTimeSpan);
        Assert.Empty(fired);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
        Assert.Equal([1, 1], fired);
        Assert.Equal(scheduler.Clock, provider.GetTimestamp());
    }

    private sealed class FlakySink(TestScheduler scheduler) : IDeliverySink<int>
    {
        private int _calls;

        public string Name => "flaky";

        public int Calls => Volatile.Read(ref _calls);

        public long FailedAt { get; private set; } = -1;

        public long RetriedAt { get; private set; } = -1;

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) == 1)
            {
                FailedAt = scheduler.Clock;
                return ValueTask.FromException(new IOException("first call fails"));
            }

            RetriedAt = scheduler.Clock;
            return ValueTask.CompletedTask;
        }
    }
}
