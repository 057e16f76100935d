using Reactive.Streams.Tests.Support;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using Reactive.Streams.Testing;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// <c>Observable.Create</c> producers that ignore their disposal (they return <see cref="Disposable.Empty"/> and go on
/// calling the observer), and sources whose <c>Subscribe</c> throws, seen through each Rx face: what the subscriber
/// sees, and that the stream's counters take nothing from a source it has let go.
/// </summary>
public sealed class DisposalIgnoringSourceTests
{
    private static readonly TimeSpan Limit = TestLimits.Hang;

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public void After_disposal_a_source_that_ignores_it_is_neither_delivered_nor_counted(BackpressurePolicy policy)
    {
        var scheduler = new TestScheduler();
        var source = Observable.Create<int>(observer =>
        {
            // Emits on the clock whatever happens to the subscription, then ends.
            foreach (var (tick, value) in new[] { (210L, 1), (220L, 2), (260L, 3), (270L, 4) })
            {
                scheduler.ScheduleAbsolute(tick, () => observer.OnNext(value));
            }

            scheduler.ScheduleAbsolute(280, observer.OnCompleted);
            return Disposable.Empty;
        });
        var res = scheduler.CreateObserver<int>();
        IDisposable? subscription = null;
        scheduler.ScheduleAbsolute(200, () => subscription = source.WithBackpressure(policy, 4, x => x, scheduler).Subscribe(res));
        scheduler.ScheduleAbsolute(250, () => subscription!.Dispose());

        scheduler.Start();

        Assert.Equal([OnNext(211, 1), OnNext(221, 2)], res.Messages);
        var metrics = ((IMeteredStream)subscription!).GetMetrics();
        Assert.Equal(new StreamMetricsSnapshot(2, 2, 0, 0, 0, 0, 0, 0), metrics);
    }

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public void After_a_Fail_overflow_a_source_that_ignores_its_unsubscription_changes_nothing(BackpressurePolicy policy)
    {
        // The overflow (Fail) or nothing (the other policies, which take the burst) at 210; the source goes on at 220.
        var scheduler = new TestScheduler();
        var source = Observable.Create<int>(observer =>
        {
            scheduler.ScheduleAbsolute(210, () =>
            {
                for (var i = 1; i <= 3; i++)
                {
                    observer.OnNext(i);
                }
            });
            scheduler.ScheduleAbsolute(220, () => observer.OnNext(4));
            scheduler.ScheduleAbsolute(230, observer.OnCompleted);
            return Disposable.Empty;
        });

        var res = scheduler.Start(() => source.WithBackpressure(policy, 2, x => -x, scheduler));

        switch (policy)
        {
            case BackpressurePolicy.Fail:
                Assert.Equal([OnNext(211, 1), OnNext(211, 2), OnError<int>(211, e => e is StreamOverflowException { Capacity: 2 })], res.Messages);
                break;
            case BackpressurePolicy.DropOldest:
                Assert.Equal([OnNext(211, 2), OnNext(211, 3), OnNext(221, 4), OnCompleted<int>(231)], res.Messages);
                break;
            case BackpressurePolicy.DegradeQuality:
                Assert.Equal([OnNext(211, 2), OnNext(211, -3), OnNext(221, 4), OnCompleted<int>(231)], res.Messages);
                break;
            default:
                // A burst beyond the capacity from the clock's own work cannot wait: it fails fast (documented).
                Assert.Equal([OnNext(211, 1), OnNext(211, 2), OnError<int>(211, e => e is InvalidOperationException)], res.Messages);
                break;
        }
    }

    [Fact]
    public async Task A_thread_that_goes_on_pushing_into_a_disposed_PauseUpstream_operator_is_not_blocked()
    {
        using var loop = new EventLoopScheduler();
        using var start = new ManualResetEventSlim();
        var received = new List<int>();
        var producer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var source = Observable.Create<int>(observer =>
        {
            var thread = new Thread(() =>
            {
                start.Wait(Limit);
                for (var i = 1; i <= 1000; i++)
                {
                    observer.OnNext(i); // ignores the disposal: only the operator can refuse
                }

                observer.OnCompleted();
                producer.SetResult();
            })
            { IsBackground = true };
            thread.Start();
            return Disposable.Empty;
        });
        var subscription = new SingleAssignmentDisposable();
        var terminal = 0;
        subscription.Disposable = source.PauseUpstream(2, loop).Subscribe(
            x =>
            {
                received.Add(x);
                if (x == 3)
                {
                    subscription.Dispose();
                }
            },
            _ => terminal++,
            () => terminal++);

        start.Set();
        await producer.Task.WaitAsync(Limit);

        // Wait for the loop to have run everything queued before this, then look.
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Schedule(drained.SetResult);
        await drained.Task.WaitAsync(Limit);
        Assert.Equal([1, 2, 3], received);
        Assert.Equal(0, terminal);
    }

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public async Task ToAsyncEnumerable_of_a_source_whose_Subscribe_throws_throws_it_from_the_enumeration(BackpressurePolicy policy)
    {
        var boom = new InvalidOperationException("cannot subscribe");
        var source = Observable.Create<int>(new Func<IObserver<int>, IDisposable>(_ => throw boom));
        var read = new List<int>();

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var item in source.ToAsyncEnumerable(policy, 4, x => x))
            {
                read.Add(item);
            }
        }).WaitAsync(Limit);

        Assert.Same(boom, thrown);
        Assert.Empty(read);
    }

    [Theory]
    [MemberData(nameof(PolicyData.All), MemberType = typeof(PolicyData))]
    public async Task SubscribeAsync_after_disposal_a_source_that_ignores_it_reaches_no_handler(BackpressurePolicy policy)
    {
        var scheduler = new TestScheduler();
        IObserver<int>? captured = null;
        var source = Observable.Create<int>(observer =>
        {
            captured = observer;
            return Disposable.Empty;
        });
        var handled = new List<int>();
        var subscription = source.SubscribeAsync(
            (x, _) =>
            {
                handled.Add(x);
                return ValueTask.CompletedTask;
            },
            policy,
            4,
            x => x,
            scheduler);

        captured!.OnNext(1);
        scheduler.Start();
        subscription.Dispose();
        captured.OnNext(2);
        captured.OnError(new InvalidOperationException("too late"));
        scheduler.Start();

        await subscription.Completion.WaitAsync(Limit); // disposal completes it successfully
        Assert.Equal([1], handled);
        Assert.Equal(new StreamMetricsSnapshot(1, 1, 0, 0, 0, 0, 0, 0), subscription.GetMetrics());
    }
}
