using Reactive.Streams.Tests.Support;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Streams.Testing;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Tests.Operators;

/// <summary>Bridges between observables, bounded streams and async enumerables.</summary>
public class BridgesTests
{
    private static readonly TimeSpan Limit = TestLimits.Hang;

    [Fact]
    public async Task ToBoundedStream_carries_every_item_then_ends_when_the_source_completes()
    {
        var subject = new Subject<int>();
        var stream = subject.ToBoundedStream(BackpressurePolicy.PauseUpstream, 4);
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                subject.OnNext(i);
            }

            subject.OnCompleted();
        });

        var read = await ReadAll(stream.ReadAllAsync()).WaitAsync(Limit);
        await producer.WaitAsync(Limit);

        Assert.Equal(Enumerable.Range(0, 1000), read);
        Assert.False(subject.HasObservers);
        Assert.Equal(new StreamMetricsSnapshot(1000, 1000, 0, 0, stream.GetMetrics().PauseUpstreamBlocks, 0, 0, 0), stream.GetMetrics());
    }

    [Fact]
    public async Task ToBoundedStream_surfaces_the_source_error_after_the_buffered_items()
    {
        var subject = new Subject<int>();
        var boom = new FormatException("source failed");
        var stream = subject.ToBoundedStream(BackpressurePolicy.DropOldest, 4);

        subject.OnNext(1);
        subject.OnNext(2);
        subject.OnError(boom);
        var read = new List<int>();
        var error = await Assert.ThrowsAsync<FormatException>(async () =>
        {
            await foreach (var item in stream.ReadAllAsync())
            {
                read.Add(item);
            }
        });

        Assert.Same(boom, error);
        Assert.Equal([1, 2], read);
    }

    [Fact]
    public async Task ToBoundedStream_under_Fail_ends_the_stream_with_the_overflow_and_unsubscribes()
    {
        var subject = new Subject<int>();
        var stream = subject.ToBoundedStream(BackpressurePolicy.Fail, 2);

        subject.OnNext(1);
        subject.OnNext(2);
        subject.OnNext(3);

        Assert.False(subject.HasObservers);
        Assert.True(stream.IsCompleted);
        Assert.Equal(1, await stream.ReadAsync());
        Assert.Equal(2, await stream.ReadAsync());
        await Assert.ThrowsAsync<StreamOverflowException>(() => stream.Completion);
        Assert.Equal(new StreamMetricsSnapshot(3, 2, 0, 0, 0, 1, 0, 0), stream.GetMetrics());
    }

    [Fact]
    public void Completing_the_stream_from_the_reading_side_unsubscribes_the_source_at_its_next_item()
    {
        var subject = new Subject<int>();
        var stream = subject.ToBoundedStream(BackpressurePolicy.DropOldest, 2);

        stream.Complete();
        Assert.True(subject.HasObservers);
        subject.OnNext(1);

        Assert.False(subject.HasObservers);
        Assert.Equal(new StreamMetricsSnapshot(1, 0, 0, 0, 0, 0, 1, 0), stream.GetMetrics());
    }

    [Fact]
    public async Task ToBoundedStream_cancellation_unsubscribes_and_ends_the_stream_after_the_buffered_items()
    {
        var subject = new Subject<int>();
        using var cancellation = new CancellationTokenSource();
        var stream = subject.ToBoundedStream(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4), cancellation.Token);
        subject.OnNext(1);

        await cancellation.CancelAsync();

        Assert.False(subject.HasObservers);
        Assert.Equal(1, await stream.ReadAsync());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.Completion);
    }

    [Fact]
    public async Task ToBoundedStream_with_a_token_already_cancelled_does_not_subscribe_the_source()
    {
        // As ForEachAsync and ToTask do with a cancelled token: the stream ends cancelled, the cold source never runs.
        var subscriptions = 0;
        var source = Observable.Create<int>(observer =>
        {
            subscriptions++;
            observer.OnNext(1);
            return Disposable.Empty;
        });

        var stream = source.ToBoundedStream(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4), new CancellationToken(canceled: true));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.Completion.WaitAsync(Limit));
        Assert.Equal(0, subscriptions);
        Assert.Equal(new StreamMetricsSnapshot(0, 0, 0, 0, 0, 0, 0, 0), stream.GetMetrics());
    }

    [Fact]
    public async Task ToAsyncEnumerable_with_a_token_already_cancelled_throws_without_subscribing()
    {
        var subscriptions = 0;
        var source = Observable.Create<int>(_ =>
        {
            subscriptions++;
            return Disposable.Empty;
        });

        foreach (var policy in new[] { BackpressurePolicy.DropOldest, BackpressurePolicy.PauseUpstream })
        {
            await using var enumerator = source.ToAsyncEnumerable(policy, 4).GetAsyncEnumerator(new CancellationToken(canceled: true));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => enumerator.MoveNextAsync().AsTask().WaitAsync(Limit));
        }

        Assert.Equal(0, subscriptions);
    }

    [Fact]
    public void AsObservable_on_a_scheduler_that_refuses_the_reader_ends_the_subscription_and_the_push_succeeds()
    {
        var loop = new System.Reactive.Concurrency.EventLoopScheduler();
        var stream = BoundedStream.DropOldest<int>(4);
        Exception? error = null;
        using var subscription = stream.AsObservable(loop).Subscribe(_ => { }, e => error = e);
        loop.Dispose();

        Assert.True(stream.TryPush(1).IsAccepted);
        Assert.True(stream.TryPush(2).IsAccepted);

        Assert.IsType<ObjectDisposedException>(error);
        Assert.Equal(2, stream.Depth);
    }

    [Fact]
    public void ToBoundedStream_lets_go_of_a_long_lived_token_once_the_source_has_ended()
    {
        // A registration on a token that outlives the stream (an application's lifetime token) must not keep every
        // stream made with it reachable: once the source has ended, the token has nothing left to stop.
        using var lifetime = new CancellationTokenSource();
        var subscribed = SubscribeACompletedSource(lifetime.Token);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(subscribed.TryGetTarget(out _), "The token still holds the ended stream's subscription.");
        Assert.False(lifetime.IsCancellationRequested);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference<IObserver<int>> SubscribeACompletedSource(CancellationToken token)
    {
        var source = new CompletesOnSubscribe();
        var stream = source.ToBoundedStream(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4), token);
        Assert.True(stream.IsCompleted);
        return source.Subscribed!;
    }

    private sealed class CompletesOnSubscribe : IObservable<int>
    {
        public WeakReference<IObserver<int>>? Subscribed { get; private set; }

        public IDisposable Subscribe(IObserver<int> observer)
        {
            Subscribed = new WeakReference<IObserver<int>>(observer);
            observer.OnNext(1);
            observer.OnCompleted();
            return Disposable.Empty;
        }
    }

    [Fact]
    public async Task ToBoundedStream_fails_fast_when_a_synchronous_source_fills_it_during_subscribe()
    {
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 4) { Name = "eager" };

        var stream = Observable.Range(0, 100).ToBoundedStream(options);

        var read = new List<int>();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var item in stream.ReadAllAsync())
            {
                read.Add(item);
            }
        });
        Assert.Contains("'eager'", error.Message, StringComparison.Ordinal);
        Assert.Equal([0, 1, 2, 3], read);
        Assert.True(stream.GetMetrics().IsConserved);
    }

    [Fact]
    public async Task ToAsyncEnumerable_under_PauseUpstream_carries_a_synchronous_source_in_order()
    {
        var read = await ReadAll(Observable.Range(0, 10_000).ToAsyncEnumerable(BackpressurePolicy.PauseUpstream, 8)).WaitAsync(Limit);

        Assert.Equal(Enumerable.Range(0, 10_000), read);
    }

    [Fact]
    public async Task ToAsyncEnumerable_under_DropOldest_keeps_the_newest_items_of_a_synchronous_source()
    {
        var read = await ReadAll(Observable.Range(0, 100).ToAsyncEnumerable(BackpressurePolicy.DropOldest, 3)).WaitAsync(Limit);

        Assert.Equal([97, 98, 99], read);
    }

    [Fact]
    public async Task ToAsyncEnumerable_subscribes_per_enumeration_and_unsubscribes_when_broken_out_of()
    {
        var subject = new Subject<int>();
        var items = subject.ToAsyncEnumerable(BackpressurePolicy.PauseUpstream, 2);
        var read = new List<int>();
        Assert.False(subject.HasObservers);

        var consumer = Task.Run(async () =>
        {
            await foreach (var item in items)
            {
                read.Add(item);
                if (read.Count == 3)
                {
                    break;
                }
            }
        });
        Assert.True(SpinWait.SpinUntil(() => subject.HasObservers, Limit));
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < 10 && subject.HasObservers; i++)
            {
                subject.OnNext(i);
            }
        });
        await consumer.WaitAsync(Limit);
        await producer.WaitAsync(Limit);

        Assert.Equal([0, 1, 2], read);
        Assert.False(subject.HasObservers);
    }

    [Fact]
    public async Task ToAsyncEnumerable_throws_the_source_error_after_the_buffered_items()
    {
        var boom = new FormatException("source failed");
        var source = Observable.Range(1, 3).Concat(Observable.Throw<int>(boom));
        var read = new List<int>();

        var error = await Assert.ThrowsAsync<FormatException>(async () =>
        {
            await foreach (var item in source.ToAsyncEnumerable(BackpressurePolicy.Fail, 8))
            {
                read.Add(item);
            }
        });

        Assert.Same(boom, error);
        Assert.Equal([1, 2, 3], read);
    }

    [Fact]
    public void AsObservable_delivers_pushed_items_on_the_scheduler_then_completes()
    {
        var scheduler = new TestScheduler();
        var stream = BoundedStream.DropOldest<int>(2);
        At(scheduler, 210, () => stream.TryPush(1));
        At(scheduler, 220, () => stream.TryPush(2));
        At(scheduler, 220, () => stream.TryPush(3));
        At(scheduler, 220, () => stream.TryPush(4));
        At(scheduler, 300, () => stream.Complete());

        var res = scheduler.Start(() => stream.AsObservable(scheduler));

        Assert.Equal([OnNext(211, 1), OnNext(221, 3), OnNext(221, 4), OnCompleted<int>(301)], res.Messages);
    }

    [Fact]
    public void AsObservable_delivers_what_was_buffered_before_subscribing_and_the_completion_error()
    {
        var scheduler = new TestScheduler();
        var boom = new FormatException("completed with an error");
        var stream = BoundedStream.Fail<int>(4);
        stream.TryPush(1);
        stream.TryPush(2);
        stream.Complete(boom);

        var res = scheduler.Start(() => stream.AsObservable(scheduler));

        Assert.Equal([OnNext(201, 1), OnNext(201, 2), OnError<int>(201, boom)], res.Messages);
    }

    [Fact]
    public void AsObservable_disposal_stops_delivery_and_leaves_the_stream_open_for_other_readers()
    {
        var scheduler = new TestScheduler();
        var stream = BoundedStream.Fail<int>(4);
        At(scheduler, 210, () => stream.TryPush(1));
        At(scheduler, 260, () => stream.TryPush(2));

        var res = scheduler.Start(() => stream.AsObservable(scheduler), 250);

        Assert.Equal([OnNext(211, 1)], res.Messages);
        Assert.False(stream.IsCompleted);
        Assert.True(stream.TryRead(out var left));
        Assert.Equal(2, left);
    }

    [Fact]
    public void AsObservable_ends_the_subscription_when_the_observer_throws_and_leaves_later_items_to_other_readers()
    {
        var scheduler = new TestScheduler();
        var stream = BoundedStream.Fail<int>(4);
        At(scheduler, 210, () => stream.TryPush(1));
        At(scheduler, 260, () => stream.TryPush(2));
        var received = new List<int>();
        using var subscription = stream.AsObservable(scheduler).Subscribe(x =>
        {
            received.Add(x);
            throw new ArithmeticException($"the observer rejects {x}");
        });

        Assert.Equal("the observer rejects 1", Assert.Throws<ArithmeticException>(scheduler.Start).Message);
        scheduler.Stop(); // the exception left the clock marked as running
        scheduler.Start(); // the rest of virtual time: the push at 260 must not reach the observer
        Assert.Equal(260, scheduler.Clock);

        Assert.Equal([1], received);
        Assert.False(stream.IsCompleted);
        Assert.True(stream.TryRead(out var left));
        Assert.Equal(2, left);
    }

    [Fact]
    public void AsObservable_on_the_immediate_scheduler_an_observer_that_throws_is_not_called_again_and_the_other_reader_goes_on()
    {
        var stream = BoundedStream.DropOldest<int>(4);
        var other = new List<string>();
        var thrower = new List<string>();

        // Subscribed second, the thrower's signal is the first the stream fires: the other reader's must still be fired.
        using var first = stream.AsObservable(ImmediateScheduler.Instance).Subscribe(
            x => other.Add($"OnNext({x})"), e => other.Add($"OnError({e.Message})"), () => other.Add("OnCompleted"));
        using var second = stream.AsObservable(ImmediateScheduler.Instance).Subscribe(
            x =>
            {
                thrower.Add($"OnNext({x})");
                throw new ArithmeticException($"the observer rejects {x}");
            },
            e => thrower.Add($"OnError({e.Message})"),
            () => thrower.Add("OnCompleted"));

        // The observer runs inside the push (the scheduler runs the reader inline), so its exception comes out of the
        // push, as it comes out of the source's OnNext with ObserveOn on that scheduler. The item was accepted.
        var thrown = Record.Exception(() => stream.TryPush(1));
        Assert.Equal("the observer rejects 1", Assert.IsType<ArithmeticException>(thrown).Message);
        Assert.True(stream.TryPush(2).IsAccepted);
        Assert.True(stream.TryPush(3).IsAccepted);
        stream.Complete();

        Assert.Equal(["OnNext(1)"], thrower);
        Assert.Equal(["OnNext(2)", "OnNext(3)", "OnCompleted"], other);
    }

    [Fact]
    public void AsObservable_ended_by_Take_leaves_the_items_it_did_not_deliver_in_the_stream()
    {
        var scheduler = new TestScheduler();
        var stream = BoundedStream.DropOldest<int>(8);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(stream.TryPush(i).IsAccepted);
        }

        var observer = scheduler.CreateObserver<int>();
        stream.AsObservable(scheduler).Take(2).Subscribe(observer);
        scheduler.Start();

        // Take disposes its upstream from inside the second OnNext: the three items after it were never delivered, so
        // they are still the stream's, for its next reader (a batch read ahead of the observer had taken them all).
        Assert.Equal([OnNext(1, 0), OnNext(1, 1), OnCompleted<int>(1)], observer.Messages);
        Assert.Equal(3, stream.Depth);
        var next = scheduler.CreateObserver<int>();
        stream.AsObservable(scheduler).Subscribe(next);
        scheduler.Start();
        Assert.Equal([OnNext(2, 2), OnNext(2, 3), OnNext(2, 4)], next.Messages);
        var metrics = stream.GetMetrics();
        Assert.Equal((5L, 5L, 0), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.Depth));
    }

    [Fact]
    public void Bridges_reject_null_arguments_at_the_call()
    {
        IObservable<int> none = null!;
        BoundedStream<int> noStream = null!;

        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => none.ToBoundedStream(BackpressurePolicy.Fail, 1)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => Observable.Never<int>().ToBoundedStream(null!)).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => none.ToAsyncEnumerable(BackpressurePolicy.Fail, 1)).ParamName);
        Assert.Equal("stream", Assert.Throws<ArgumentNullException>(() => noStream.AsObservable(new TestScheduler())).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => BoundedStream.Fail<int>(1).AsObservable(null!)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => Observable.Never<int>().ToBoundedStream(BackpressurePolicy.Fail, 0)).ParamName);
    }

    private static void At(TestScheduler scheduler, long time, Action action) =>
        scheduler.ScheduleAbsolute(0, time, (_, _) =>
        {
            action();
            return Disposable.Empty;
        });

    private static async Task<List<T>> ReadAll<T>(IAsyncEnumerable<T> items)
    {
        var read = new List<T>();
        await foreach (var item in items)
        {
            read.Add(item);
        }

        return read;
    }
}
