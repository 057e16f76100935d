using Reactive.Streams.Tests.Support;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Streams.Testing;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// SubscribeAsync: a slow async handler behind a fast hot source. In virtual time the handler "works" by awaiting
/// the TestScheduler; with no synchronization context on the advancing thread (xUnit installs one, which forbids
/// inlining), every continuation runs inline as the clock advances, so whole schedules are exact.
/// </summary>
public class SubscribeAsyncTests
{
    private static readonly TimeSpan Limit = TestLimits.Hang;

    [Fact]
    public void A_slow_handler_behind_a_fast_source_sees_the_newest_items_under_DropOldest()
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(
            OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnNext(240, 4), OnNext(250, 5), OnCompleted<int>(260));
        var started = new List<(long Time, int Item)>();
        BackpressureSubscription? subscription = null;
        scheduler.ScheduleAbsolute(0, 200, (_, _) =>
        {
            subscription = xs.SubscribeAsync(
                async (x, _) =>
                {
                    started.Add((scheduler.Clock, x));
                    await Delay(scheduler, 100);
                },
                BackpressurePolicy.DropOldest,
                2,
                scheduler: scheduler);
            return subscription;
        });

        scheduler.AdvanceTo(510);
        Assert.False(subscription!.Completion.IsCompleted);
        scheduler.AdvanceTo(511);

        Assert.Equal([(211, 1), (311, 4), (411, 5)], started);
        Assert.True(subscription.Completion.IsCompletedSuccessfully);
        Assert.Equal([Subscribe(200, 260)], xs.Subscriptions);
        Assert.Equal(new StreamMetricsSnapshot(5, 3, 2, 0, 0, 0, 0, 0), subscription.GetMetrics());
    }

    [Fact]
    public async Task A_handler_exception_ends_the_subscription_and_faults_Completion()
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var scheduler = new TestScheduler();
        var boom = new InvalidOperationException("handler failed");
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(220, 2), OnNext(230, 3), OnCompleted<int>(300));
        var handled = new List<int>();
        var subscription = SubscribeAt(scheduler, 200, () => xs.SubscribeAsync(
            (x, _) =>
            {
                if (x == 2)
                {
                    throw boom;
                }

                handled.Add(x);
                return ValueTask.CompletedTask;
            },
            BackpressurePolicy.Fail,
            4,
            scheduler: scheduler));

        scheduler.Start();

        Assert.Equal([1], handled);
        Assert.Same(boom, await Assert.ThrowsAsync<InvalidOperationException>(() => subscription().Completion));
        Assert.Equal([Subscribe(200, 221)], xs.Subscriptions);
    }

    [Fact]
    public void A_source_error_faults_Completion_after_the_items_buffered_before_it_are_handled()
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var scheduler = new TestScheduler();
        var boom = new FormatException("source failed");
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnError<int>(210, boom));
        var handled = new List<(long, int)>();
        var subscription = SubscribeAt(scheduler, 200, () => xs.SubscribeAsync(
            async (x, _) =>
            {
                handled.Add((scheduler.Clock, x));
                await Delay(scheduler, 10);
            },
            BackpressurePolicy.PauseUpstream,
            4,
            scheduler: scheduler));

        scheduler.AdvanceTo(230);
        Assert.False(subscription().Completion.IsCompleted);
        scheduler.AdvanceTo(231);

        Assert.Equal([(211, 1), (221, 2)], handled);
        Assert.Same(boom, subscription().Completion.Exception!.InnerException);
        Assert.Equal([Subscribe(200, 210)], xs.Subscriptions);
    }

    [Fact]
    public void Fail_overflow_faults_Completion_after_the_buffered_items_and_unsubscribes_at_the_overflow()
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3));
        var handled = new List<int>();
        var subscription = SubscribeAt(scheduler, 200, () => xs.SubscribeAsync(
            (x, _) =>
            {
                handled.Add(x);
                return ValueTask.CompletedTask;
            },
            BackpressurePolicy.Fail,
            2,
            scheduler: scheduler));

        scheduler.Start();

        Assert.Equal([1, 2], handled);
        Assert.IsType<StreamOverflowException>(subscription().Completion.Exception!.InnerException);
        Assert.Equal([Subscribe(200, 210)], xs.Subscriptions);
        Assert.Equal(new StreamMetricsSnapshot(3, 2, 0, 0, 0, 1, 0, 0), subscription().GetMetrics());
    }

    [Fact]
    public void DegradeQuality_hands_the_degraded_item_to_the_handler()
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnCompleted<int>(220));
        var handled = new List<int>();
        var subscription = SubscribeAt(scheduler, 200, () => xs.SubscribeAsync(
            (x, _) =>
            {
                handled.Add(x);
                return ValueTask.CompletedTask;
            },
            BackpressurePolicy.DegradeQuality,
            2,
            degrader: x => x * 100,
            scheduler: scheduler));

        scheduler.Start();

        Assert.Equal([2, 300], handled);
        Assert.True(subscription().Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Disposing_cancels_the_running_handler_and_starts_no_other()
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnNext(220, 2), OnNext(260, 3));
        var started = new List<int>();
        var cancelledAt = -1L;
        var subscription = SubscribeAt(scheduler, 200, () => xs.SubscribeAsync(
            async (x, ct) =>
            {
                started.Add(x);

                // Kept registered (not disposed with the handler), so it runs during Cancel, at the disposal's time,
                // whichever way the handler's own continuation is scheduled.
                ct.Register(() => cancelledAt = scheduler.Clock);
                await Task.Delay(Timeout.Infinite, ct);
            },
            BackpressurePolicy.DropOldest,
            4,
            scheduler: scheduler));
        scheduler.ScheduleAbsolute(0, 250, (_, _) =>
        {
            subscription().Dispose();
            return System.Reactive.Disposables.Disposable.Empty;
        });

        scheduler.Start();
        await subscription().Completion.WaitAsync(Limit);

        Assert.Equal([1], started);
        Assert.Equal(250, cancelledAt);
        Assert.Equal([Subscribe(200, 250)], xs.Subscriptions);
        Assert.True(subscription().Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_source_whose_Subscribe_throws_faults_Completion_after_what_it_pushed_as_ForEachAsync_does()
    {
        // A plain IObservable (not Rx's ObservableBase, which routes such an error to OnError itself) that pushes two
        // items and then throws from Subscribe: the call does not throw, the items are handled, then Completion faults.
        var scheduler = new TestScheduler();
        var error = new InvalidOperationException("subscribe failed");
        var source = new PushThenThrow(error, 1, 2);
        var handled = new List<int>();

        var subscription = source.SubscribeAsync(
            (x, _) =>
            {
                handled.Add(x);
                return default;
            },
            BackpressurePolicy.DropOldest,
            4,
            scheduler: scheduler);
        Assert.False(subscription.Completion.IsCompleted);
        scheduler.AdvanceBy(1);

        Assert.Equal([1, 2], handled);
        Assert.Same(error, await Assert.ThrowsAsync<InvalidOperationException>(() => subscription.Completion.WaitAsync(Limit)));

        // The same source under ForEachAsync, the Rx twin: a faulted task, not an exception from the call.
        var twin = new PushThenThrow(error, 1, 2);
        var seen = new List<int>();
        Assert.Same(error, await Assert.ThrowsAsync<InvalidOperationException>(() => twin.ForEachAsync(seen.Add).WaitAsync(Limit)));
        Assert.Equal([1, 2], seen);
    }

    private sealed class PushThenThrow(Exception error, params int[] items) : IObservable<int>
    {
        public IDisposable Subscribe(IObserver<int> observer)
        {
            foreach (var item in items)
            {
                observer.OnNext(item);
            }

            throw error;
        }
    }

    [Fact]
    public async Task On_an_event_loop_disposed_before_subscribing_the_first_push_faults_Completion_instead_of_the_call_throwing()
    {
        var loop = new EventLoopScheduler();
        loop.Dispose();
        var subject = new Subject<int>();

        var subscription = subject.SubscribeAsync(static (_, _) => default, BackpressurePolicy.DropOldest, 4, scheduler: loop);
        subject.OnNext(1);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => subscription.Completion.WaitAsync(Limit));
        Assert.False(subject.HasObservers);
    }

    [Fact]
    public async Task Disposing_while_the_handler_loop_is_only_queued_on_a_stopped_clock_completes_at_once_and_handles_nothing()
    {
        // The push queues the handler loop on the TestScheduler, which the test never advances before disposing: no
        // handler is running, so the subscription has stopped when Dispose returns (DisposeAsync does not wait for a
        // clock that may never move), and the queued loop, when the clock does run, starts no handler.
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var handled = new List<int>();
        var subscription = subject.SubscribeAsync(
            (x, _) =>
            {
                handled.Add(x);
                return default;
            },
            BackpressurePolicy.DropOldest,
            4,
            scheduler: scheduler);
        subject.OnNext(1);
        subject.OnNext(2);

        var disposing = subscription.DisposeAsync().AsTask();

        Assert.True(disposing.IsCompletedSuccessfully, "DisposeAsync waited for a handler loop that was only queued");
        Assert.True(subscription.Completion.IsCompletedSuccessfully);
        Assert.False(subject.HasObservers);
        scheduler.AdvanceBy(100);
        Assert.Empty(handled);
        Assert.True(subscription.Completion.IsCompletedSuccessfully);
        await disposing;
    }

    [Fact]
    public async Task Disposing_between_two_handlers_of_a_batch_completes_at_once_and_starts_no_other()
    {
        // The first handler disposes the subscription itself and returns: the loop is between two handlers of one batch.
        var scheduler = new TestScheduler();
        var subject = new Subject<int>();
        var handled = new List<int>();
        BackpressureSubscription? subscription = null;
        var completedWhenDisposed = false;
        subscription = subject.SubscribeAsync(
            (x, _) =>
            {
                handled.Add(x);
                subscription!.Dispose();
                completedWhenDisposed = subscription.Completion.IsCompleted;
                return default;
            },
            BackpressurePolicy.DropOldest,
            4,
            scheduler: scheduler);
        subject.OnNext(1);
        subject.OnNext(2);

        scheduler.AdvanceBy(1);
        await subscription.Completion.WaitAsync(Limit);

        Assert.Equal([1], handled);
        Assert.False(completedWhenDisposed, "Completion completed while the handler that disposed was still running");
        Assert.True(subscription.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task DisposeAsync_awaited_inside_the_handler_stops_the_subscription_without_waiting_for_itself()
    {
        // As Rx's Subscribe: disposing from inside the observer stops it. Waiting for the running handler to return
        // would wait for the very handler that awaits the disposal, for ever.
        var subject = new Subject<int>();
        var handled = new List<int>();
        BackpressureSubscription? subscription = null;
        var disposed = new TaskCompletionSource();
        var completedWhenDisposed = true;
        subscription = subject.SubscribeAsync(
            async (item, token) =>
            {
                handled.Add(item);
                await subscription!.DisposeAsync();
                completedWhenDisposed = subscription.Completion.IsCompleted;
                Assert.True(token.IsCancellationRequested, "the handler's token was not cancelled by the disposal");
                disposed.SetResult();
            },
            BackpressurePolicy.PauseUpstream,
            4);

        subject.OnNext(1);
        await disposed.Task.WaitAsync(Limit);
        await subscription.Completion.WaitAsync(Limit);

        Assert.False(completedWhenDisposed, "Completion completed while the handler that disposed was still running");
        Assert.False(subject.HasObservers);
        subject.OnNext(2);
        Assert.Equal([1], handled);
        Assert.True(subscription.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task DisposeAsync_waits_for_the_running_handler_to_return()
    {
        var subject = new Subject<int>();
        var release = new TaskCompletionSource();
        var entered = new TaskCompletionSource();
        var returned = false;
        var subscription = subject.SubscribeAsync(
            async (_, _) =>
            {
                entered.SetResult();
                await release.Task.ConfigureAwait(false); // ignores the token on purpose
                returned = true;
            },
            BackpressurePolicy.PauseUpstream,
            1);

        subject.OnNext(1);
        await entered.Task.WaitAsync(Limit);
        var disposing = subscription.DisposeAsync().AsTask();
        Assert.False(disposing.IsCompleted);
        Assert.False(subject.HasObservers);

        release.SetResult();
        await disposing.WaitAsync(Limit);

        Assert.True(returned);
        Assert.True(subscription.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_token_callback_that_throws_at_disposal_propagates_from_Dispose_after_the_subscription_stopped()
    {
        // CancellationTokenSource.Cancel throws what a callback threw; the disposal must still end the subscription.
        var subject = new Subject<int>();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new List<int>();
        var subscription = subject.SubscribeAsync(
            async (x, ct) =>
            {
                lock (handled)
                {
                    handled.Add(x);
                }

                ct.Register(static () => throw new InvalidOperationException("the handler's callback"));
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            },
            BackpressurePolicy.DropOldest,
            4);
        subject.OnNext(1);
        subject.OnNext(2);
        await started.Task.WaitAsync(Limit);

        var thrown = Assert.Throws<AggregateException>(subscription.Dispose);

        Assert.Equal("the handler's callback", Assert.Single(thrown.InnerExceptions).Message);
        Assert.False(subject.HasObservers);
        await subscription.Completion.WaitAsync(Limit);
        subject.OnNext(3);
        Assert.Equal([1], handled);
        subscription.Dispose();
    }

    [Fact]
    public async Task A_token_callback_that_throws_when_the_handler_fails_follows_the_handlers_error_in_Completion()
    {
        var subject = new Subject<int>();
        var subscription = subject.SubscribeAsync(
            async (_, ct) =>
            {
                await Task.Yield();
                ct.Register(static () => throw new InvalidOperationException("the handler's callback"));
                throw new FormatException("the handler failed");
            },
            BackpressurePolicy.DropOldest,
            4);

        subject.OnNext(1);
        var error = await Assert.ThrowsAsync<FormatException>(() => subscription.Completion.WaitAsync(Limit));

        Assert.Equal(
            [typeof(FormatException), typeof(InvalidOperationException)],
            subscription.Completion.Exception!.InnerExceptions.Select(static e => e.GetType()));
        Assert.Same(error, subscription.Completion.Exception.InnerExceptions[0]);
        Assert.False(subject.HasObservers);
    }

    [Fact]
    public async Task PauseUpstream_handles_every_item_in_order_while_the_producer_waits()
    {
        const int Count = 20_000;
        var subject = new Subject<int>();
        var handled = new List<int>(Count);
        var subscription = subject.SubscribeAsync(
            async (x, _) =>
            {
                if (x % 1000 == 0)
                {
                    await Task.Yield();
                }

                handled.Add(x);
            },
            BackpressurePolicy.PauseUpstream,
            8);

        await Task.Run(() =>
        {
            for (var i = 0; i < Count; i++)
            {
                subject.OnNext(i);
            }

            subject.OnCompleted();
        });
        await subscription.Completion.WaitAsync(Limit);

        Assert.Equal(Enumerable.Range(0, Count), handled);
        var metrics = subscription.GetMetrics();
        Assert.Equal(Count, metrics.ItemsPushed);
        Assert.Equal(Count, metrics.ItemsDelivered);
        Assert.True(metrics.PauseUpstreamBlocks > 0);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public async Task A_producer_called_from_inside_the_handler_fails_fast_instead_of_deadlocking()
    {
        var subject = new Subject<int>();
        var handled = new List<int>();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { Name = "self-feeding" };
        var subscription = subject.SubscribeAsync(
            async (x, _) =>
            {
                handled.Add(x);
                await Task.Yield(); // the guard follows the handler's flow across awaits
                if (x == 1)
                {
                    subject.OnNext(2); // fills the buffer
                    subject.OnNext(3); // would wait for this very handler
                }
            },
            options);

        subject.OnNext(1);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => subscription.Completion.WaitAsync(Limit));

        Assert.Contains("'self-feeding'", failure.Message, StringComparison.Ordinal);
        Assert.Equal([1, 2], handled);
        Assert.False(subject.HasObservers);
    }

    [Fact]
    public void Bad_arguments_are_rejected_at_the_call()
    {
        IObservable<int> none = null!;
        var xs = Observable.Never<int>();
        Func<int, CancellationToken, ValueTask> handler = (_, _) => ValueTask.CompletedTask;

        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => none.SubscribeAsync(handler, BackpressurePolicy.Fail, 1)).ParamName);
        Assert.Equal("handler", Assert.Throws<ArgumentNullException>(() => xs.SubscribeAsync(null!, BackpressurePolicy.Fail, 1)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => xs.SubscribeAsync(handler, (BoundedStreamOptions<int>)null!)).ParamName);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => xs.SubscribeAsync(handler, BackpressurePolicy.Fail, 0)).ParamName);
    }

    /// <summary>Subscribes at <paramref name="time"/>; the returned accessor reads the subscription once it exists.</summary>
    private static Func<BackpressureSubscription> SubscribeAt(TestScheduler scheduler, long time, Func<BackpressureSubscription> subscribe)
    {
        BackpressureSubscription? subscription = null;
        scheduler.ScheduleAbsolute(0, time, (_, _) =>
        {
            subscription = subscribe();
            return System.Reactive.Disposables.Disposable.Empty;
        });
        return () => subscription ?? throw new InvalidOperationException("Not subscribed yet.");
    }

    /// <summary>A virtual-time delay whose continuation runs inline on the thread advancing the clock.</summary>
    private static Task Delay(TestScheduler scheduler, long ticks)
    {
        var done = new TaskCompletionSource();
        scheduler.Schedule(TimeSpan.FromTicks(ticks), () => done.SetResult());
        return done.Task;
    }
}
