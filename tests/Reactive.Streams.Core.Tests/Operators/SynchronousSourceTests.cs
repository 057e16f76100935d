using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Reactive.Streams.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// Sources that emit synchronously while being subscribed (Rx's Range, Repeat, Generate, ToObservable on the
/// current-thread scheduler). Rx's own operators subscribe inside a current-thread trampoline, so such a source's
/// emission waits until its subscription has been handed back, and an operator that ends during it (Take, a throwing
/// selector) unsubscribes it at once. The policy operators, SubscribeAsync and ToBoundedStream end the stream on their
/// own (a Fail overflow, a throwing degrader, a PauseUpstream push that would deadlock) and must let the source go then
/// too, instead of letting it run to its end inside Subscribe (for ever, for Repeat).
/// </summary>
public class SynchronousSourceTests
{
    private const int SourceLength = 1000;

    public static TheoryData<string> Surfaces() => ["FailOnOverflow", "throwing degrader", "SubscribeAsync Fail", "ToBoundedStream Fail", "ToBoundedStream PauseUpstream"];

    [Theory]
    [MemberData(nameof(Surfaces))]
    public async Task A_stream_that_ends_during_a_synchronous_Rx_source_unsubscribes_it_at_once_as_Take_does(string surface)
    {
        // The Rx twin: Take(5) stops Range after its fifth item.
        var twinPushed = 0;
        Observable.Range(0, SourceLength).Do(_ => twinPushed++).Take(5).Subscribe();
        Assert.Equal(5, twinPushed);

        var scheduler = new TestScheduler();
        var pushed = 0;
        var source = Observable.Range(0, SourceLength).Do(_ => pushed++);
        Exception? error = null;
        switch (surface)
        {
            case "FailOnOverflow":
                source.FailOnOverflow(4, scheduler).Subscribe(_ => { }, e => error = e);
                break;
            case "throwing degrader":
                source.DegradeQuality(4, _ => throw new FormatException("degrader"), scheduler).Subscribe(_ => { }, e => error = e);
                break;
            case "SubscribeAsync Fail":
            {
                var subscription = source.SubscribeAsync((_, _) => ValueTask.CompletedTask, BackpressurePolicy.Fail, 4, scheduler: scheduler);
                scheduler.Start();
                error = await Assert.ThrowsAnyAsync<Exception>(() => subscription.Completion.WaitAsync(TestLimits.Hang));
                break;
            }

            case "ToBoundedStream Fail":
            {
                var stream = source.ToBoundedStream(BackpressurePolicy.Fail, 4);
                error = await Assert.ThrowsAnyAsync<Exception>(() => stream.ReadAllAsync().ToListAsync().AsTask().WaitAsync(TestLimits.Hang));
                break;
            }

            default:
            {
                // Filling a PauseUpstream stream while ToBoundedStream subscribes would wait for a reader that cannot
                // exist yet, so the stream fails fast.
                var stream = source.ToBoundedStream(BackpressurePolicy.PauseUpstream, 4);
                error = await Assert.ThrowsAnyAsync<Exception>(() => stream.ReadAllAsync().ToListAsync().AsTask().WaitAsync(TestLimits.Hang));
                break;
            }
        }

        scheduler.Start();

        // The fifth item ended the stream, and the source was let go there: it emitted nothing more.
        Assert.NotNull(error);
        Assert.Equal(5, pushed);
    }

    [Fact]
    public async Task FailOnOverflow_on_an_endless_synchronous_source_returns_from_Subscribe_with_the_overflow()
    {
        var scheduler = new TestScheduler();
        Exception? error = null;
        var taken = new List<int>();

        // Repeat never ends on its own: before the fix this Subscribe never returned.
        await Task.Run(() => Observable.Repeat(7).FailOnOverflow(2, scheduler).Subscribe(taken.Add, e => error = e)).WaitAsync(TestLimits.Hang);

        scheduler.Start();
        Assert.Equal([7, 7], taken);
        Assert.IsType<StreamOverflowException>(error);
    }

    [Fact]
    public async Task ToAsyncEnumerable_under_PauseUpstream_broken_out_of_lets_an_endless_synchronous_source_go()
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var source = Observable.Range(0, int.MaxValue).Finally(() => released.TrySetResult());
        var taken = new List<int>();

        await foreach (var item in source.ToAsyncEnumerable(BackpressurePolicy.PauseUpstream, 4))
        {
            taken.Add(item);
            if (taken.Count == 3)
            {
                break;
            }
        }

        // Before the fix the source's subscription was handed back only once Range had run to int.MaxValue, so
        // breaking out released the blocked producer but could not stop the source.
        await released.Task.WaitAsync(TestLimits.Hang);
        Assert.Equal([0, 1, 2], taken);
    }

    [Fact]
    public void On_the_current_thread_scheduler_a_burst_during_Subscribe_is_buffered_alike_whether_or_not_an_Rx_operator_follows()
    {
        // A hand-written source that pushes during Subscribe (not an Rx Producer, so it sets up no trampoline itself).
        var source = new BurstOnSubscribe(10);

        var alone = new List<int>();
        source.DropOldest(2, CurrentThreadScheduler.Instance).Subscribe(alone.Add);
        var composed = new List<int>();
        source.DropOldest(2, CurrentThreadScheduler.Instance).Select(x => x).Subscribe(composed.Add);

        // The drain is queued on the trampoline until the source's Subscribe returns, as ObserveOn(CurrentThread)
        // queues it; a buffer of two keeps the newest two of the burst, with or without an operator after it.
        Assert.Equal([8, 9], composed);
        Assert.Equal(composed, alone);
    }

    public static TheoryData<string> TrampolinedConsumers() => ["operator alone", "operator then Select", "SubscribeAsync"];

    [Theory]
    [MemberData(nameof(TrampolinedConsumers))]
    public async Task On_a_pool_thread_a_PauseUpstream_burst_queued_behind_the_current_thread_trampoline_fails_fast_instead_of_deadlocking(string consumer)
    {
        // The drain (or handler loop) is queued on the trampoline of the very thread that pushes, so blocking that push
        // would wait for ever. A pool thread was taken to block safely (another pool thread would run the drain), which
        // is not so for the current-thread scheduler: the push hung.
        var seen = new List<int>();
        Exception? error = null;
        await Task.Run(async () =>
        {
            var source = new BurstOnSubscribe(10);
            switch (consumer)
            {
                case "SubscribeAsync":
                {
                    var subscription = source.SubscribeAsync((x, _) =>
                    {
                        seen.Add(x);
                        return ValueTask.CompletedTask;
                    }, BackpressurePolicy.PauseUpstream, 2, scheduler: CurrentThreadScheduler.Instance);
                    error = await Assert.ThrowsAnyAsync<Exception>(() => subscription.Completion);
                    break;
                }

                default:
                {
                    var operated = source.PauseUpstream(2, CurrentThreadScheduler.Instance);
                    if (consumer == "operator then Select")
                    {
                        operated = operated.Select(x => x);
                    }

                    operated.Subscribe(seen.Add, e => error = e);
                    break;
                }
            }
        }).WaitAsync(TestLimits.Hang);

        Assert.Equal([0, 1], seen);
        Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("PauseUpstream", error.Message, StringComparison.Ordinal);
    }

    private sealed class BurstOnSubscribe(int count) : IObservable<int>
    {
        public IDisposable Subscribe(IObserver<int> observer)
        {
            for (var i = 0; i < count; i++)
            {
                observer.OnNext(i);
            }

            observer.OnCompleted();
            return System.Reactive.Disposables.Disposable.Empty;
        }
    }
}
