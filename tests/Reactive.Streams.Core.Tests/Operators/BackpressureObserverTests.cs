using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using Reactive.Streams.Tests.Support;
using Reactive.Streams.Testing;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// <see cref="BackpressureObserver{T}"/>: SubscribeAsync's consumer without the subscription. The conformance table
/// runs it beside SubscribeAsync (<c>BackpressureObserverConformanceTests</c>); these are what only an observer that the
/// caller subscribes can do.
/// </summary>
public class BackpressureObserverTests
{
    private static readonly TimeSpan Limit = TestLimits.Hang;

    [Fact]
    public void The_constructor_names_a_missing_argument()
    {
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4);

        Assert.Equal("handler", Assert.Throws<ArgumentNullException>(() => new BackpressureObserver<int>(null!, options)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => new BackpressureObserver<int>((_, _) => default, null!)).ParamName);
    }

    [Fact]
    public async Task DisposeAsync_awaited_inside_the_handler_stops_the_observer_without_waiting_for_itself()
    {
        var handled = new List<int>();
        BackpressureObserver<int>? observer = null;
        var disposed = new TaskCompletionSource();
        observer = new BackpressureObserver<int>(
            async (item, _) =>
            {
                handled.Add(item);
                await observer!.DisposeAsync();
                disposed.SetResult();
            },
            new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 4));

        observer.OnNext(1);
        await disposed.Task.WaitAsync(Limit);
        await observer.Completion.WaitAsync(Limit);

        observer.OnNext(2);
        Assert.Equal([1], handled);
        Assert.True(observer.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task DisposeAsync_with_the_handler_loop_only_queued_on_a_stopped_clock_completes_at_once()
    {
        var scheduler = new TestScheduler();
        var handled = new List<int>();
        var observer = new BackpressureObserver<int>(
            (x, _) =>
            {
                handled.Add(x);
                return default;
            },
            new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4),
            scheduler);
        observer.OnNext(1);

        var disposing = observer.DisposeAsync().AsTask();

        Assert.True(disposing.IsCompletedSuccessfully, "DisposeAsync waited for a handler loop that was only queued");
        Assert.True(observer.IsStopped);
        scheduler.AdvanceBy(100);
        Assert.Empty(handled);
        Assert.True(observer.Completion.IsCompletedSuccessfully);
        await disposing;
    }

    [Fact]
    public async Task Subscribed_to_two_sources_pushing_at_once_it_handles_every_item_of_both_in_each_ones_order()
    {
        const int PerSource = 20_000;
        var handled = new List<int>();
        await using var observer = new BackpressureObserver<int>(
            (x, _) =>
            {
                handled.Add(x); // one handler call at a time: no lock needed
                return default;
            },
            new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 8) { Name = "two-sources" });
        var first = new Subject<int>();
        var second = new Subject<int>();
        using var a = first.Subscribe(observer);
        using var b = second.Subscribe(observer);

        // Two producers at once on one observer, which the Rx grammar allows for two sources.
        var start = new Barrier(2);
        var producers = new[] { (first, 0), (second, PerSource) }.Select(pair => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < PerSource; i++)
                {
                    pair.Item1.OnNext(pair.Item2 + i);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(producers).WaitAsync(Limit);
        observer.OnCompleted();
        await observer.Completion.WaitAsync(Limit);

        Assert.Equal(Enumerable.Range(0, PerSource), handled.Where(x => x < PerSource));
        Assert.Equal(Enumerable.Range(PerSource, PerSource), handled.Where(x => x >= PerSource));
        var metrics = observer.GetMetrics();
        Assert.Equal((2L * PerSource, 2L * PerSource, 0), (metrics.ItemsPushed, metrics.ItemsDelivered, metrics.Depth));
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public async Task Disposal_cancels_the_running_handler_and_DisposeAsync_waits_for_it_to_return()
    {
        var started = new TaskCompletionSource();
        var cancelled = new TaskCompletionSource();
        var returned = new TaskCompletionSource();
        var handled = 0;
        var observer = new BackpressureObserver<int>(
            async (_, token) =>
            {
                Interlocked.Increment(ref handled);
                started.TrySetResult();
                await using (token.Register(() => cancelled.TrySetResult()))
                {
                    await returned.Task;
                }

                token.ThrowIfCancellationRequested();
            },
            new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4));

        observer.OnNext(1);
        observer.OnNext(2);
        await started.Task.WaitAsync(Limit);
        var disposal = observer.DisposeAsync().AsTask();
        await cancelled.Task.WaitAsync(Limit);

        // The handler has not returned: DisposeAsync waits for it, and Completion with it.
        Assert.False(disposal.IsCompleted);
        Assert.False(observer.Completion.IsCompleted);
        Assert.True(observer.IsStopped);
        returned.SetResult();
        await disposal.WaitAsync(Limit);

        // Its OperationCanceledException for the disposal's token is not an error, and 2 was never handled.
        Assert.True(observer.Completion.IsCompletedSuccessfully);
        Assert.Equal(1, handled);
        observer.OnNext(3);
        Assert.Equal(2, observer.GetMetrics().ItemsPushed);
    }

    [Fact]
    public async Task A_scheduler_that_refuses_the_handler_loop_fails_Completion_instead_of_throwing_from_OnNext()
    {
        var loop = new EventLoopScheduler();
        var observer = new BackpressureObserver<int>(static (_, _) => default, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4), loop);
        loop.Dispose();

        observer.OnNext(1);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => observer.Completion.WaitAsync(Limit));
        Assert.True(observer.IsStopped);
        observer.OnNext(2);
        await observer.DisposeAsync().AsTask().WaitAsync(Limit);
    }

    [Fact]
    public async Task Created_on_an_event_loop_already_disposed_it_fails_Completion_at_the_first_push_instead_of_throwing()
    {
        var loop = new EventLoopScheduler();
        loop.Dispose();

        var observer = new BackpressureObserver<int>(static (_, _) => default, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4), loop);
        observer.OnNext(1);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => observer.Completion.WaitAsync(Limit));
        Assert.True(observer.IsStopped);
    }

    [Fact]
    public async Task A_terminated_observer_ignores_later_notifications_as_the_Rx_grammar_allows()
    {
        var handled = new List<int>();
        await using var observer = new BackpressureObserver<int>(
            (x, _) =>
            {
                handled.Add(x);
                return default;
            },
            new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 4));

        observer.OnNext(1);
        observer.OnCompleted();
        observer.OnNext(2);
        observer.OnError(new InvalidOperationException("late"));
        await observer.Completion.WaitAsync(Limit);

        Assert.True(observer.IsStopped);
        Assert.Equal([1], handled);
        Assert.Equal((1L, 1L), (observer.GetMetrics().ItemsPushed, observer.GetMetrics().ItemsDelivered));
    }

    [Fact]
    public void It_is_the_metered_stream_its_options_describe()
    {
        using var observer = new BackpressureObserver<string>(
            (_, _) => default,
            new BoundedStreamOptions<string>(BackpressurePolicy.DegradeQuality, 3) { Name = "described", Degrader = static s => s });

        IMeteredStream metered = observer;
        Assert.Equal(("described", BackpressurePolicy.DegradeQuality, 3, 0), (metered.Name, metered.Policy, metered.Capacity, observer.Depth));
        Assert.False(observer.IsStopped);
    }
}
