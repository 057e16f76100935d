using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using static Reactive.Streams.Tests.Conformance.ConformanceSupport;

namespace Reactive.Streams.Tests.Conformance;

/// <summary>
/// The one PauseUpstream case the table's rows cannot hold: a source that pushes on the very thread that runs virtual
/// time (the usual shape of an Rx virtual-time test) into a full buffer. Blocking it would wait for a drain only that
/// thread can run, so every surface must fail fast as it does on a <c>TestScheduler</c>, on any virtual-time
/// scheduler, a user's own included. The clock runs on a thread of its own so a deadlock fails the case at the guard
/// instead of hanging the run; disposal then releases the blocked push.
/// </summary>
public sealed class VirtualTimePauseUpstreamTests
{
    public static TheoryData<string> Clocks => new("TestScheduler", "HistoricalScheduler", "user");

    [Theory]
    [MemberData(nameof(Clocks))]
    public async Task Rx_operator_fails_fast_when_the_clock_thread_pushes_into_a_full_buffer(string kind)
    {
        var clock = Clock(kind);
        var subject = new Subject<int>();
        var received = new List<Notification<int>>();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 2) { Name = "virtual-paused" };
        using var subscription = subject.WithBackpressure(options, clock.Scheduler).Subscribe(
            x => received.Add(Notification.CreateOnNext(x)),
            e => received.Add(Notification.CreateOnError<int>(e)),
            () => received.Add(Notification.CreateOnCompleted<int>()));
        clock.Scheduler.Schedule(TimeSpan.FromTicks(10), () =>
        {
            subject.OnNext(1);
            subject.OnNext(2);
            subject.OnNext(3); // full: only this thread could drain
        });

        var running = Task.Factory.StartNew(() => clock.AdvanceBy(100), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await SettleAsync(running);

        Assert.True(running.IsCompleted, $"{clock.Name}: the push on the clock's thread is blocked waiting for a drain only that thread can run (deadlock)");
        Assert.Equal([1, 2], received.Where(n => n.Kind == NotificationKind.OnNext).Select(n => n.Value));
        var error = Assert.Single(received, n => n.Kind == NotificationKind.OnError).Exception;
        Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("'virtual-paused'", error!.Message, StringComparison.Ordinal);
        Assert.True(OperatorMetrics.Of(subscription).IsConserved);
    }

    [Theory]
    [MemberData(nameof(Clocks))]
    public async Task SubscribeAsync_fails_fast_when_the_clock_thread_pushes_into_a_full_buffer(string kind)
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var clock = Clock(kind);
        var subject = new Subject<int>();
        var handled = new List<int>();
        var release = new TaskCompletionSource();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 2) { Name = "virtual-paused" };
        using var subscription = subject.SubscribeAsync(
            async (x, _) =>
            {
                handled.Add(x);
                await release.Task;
            },
            options,
            clock.Scheduler);
        clock.Scheduler.Schedule(TimeSpan.FromTicks(10), () => subject.OnNext(0));
        clock.Scheduler.Schedule(TimeSpan.FromTicks(20), () =>
        {
            subject.OnNext(1);
            subject.OnNext(2);
            subject.OnNext(3); // full behind the held 0: only the clock's thread could run the handler on
        });

        var running = Task.Factory.StartNew(() => clock.AdvanceBy(100), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await SettleAsync(running);

        Assert.True(running.IsCompleted, $"{clock.Name}: the push on the clock's thread is blocked waiting for a handler only that thread can run (deadlock)");
        release.SetResult();
        var clockAgain = Task.Factory.StartNew(() => clock.AdvanceBy(100), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await SettleAsync(clockAgain);
        await SettleAsync(subscription.Completion);
        var failure = Assert.IsType<InvalidOperationException>(subscription.Completion.Exception?.InnerException);
        Assert.Contains("'virtual-paused'", failure.Message, StringComparison.Ordinal);
        Assert.True(subscription.GetMetrics().IsConserved);
    }

    private static VirtualClock Clock(string kind) => kind switch
    {
        "TestScheduler" => VirtualClock.Test(),
        "HistoricalScheduler" => VirtualClock.Historical(),
        _ => VirtualClock.User(),
    };
}
