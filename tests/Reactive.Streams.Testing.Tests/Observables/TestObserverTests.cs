using System.Reactive.Disposables;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Testing.Tests.Observables;

public class TestObserverTests
{
    [Fact]
    public void Stamps_each_notification_with_the_clock_and_keeps_grammar_violations_visible()
    {
        var scheduler = new TestScheduler();
        var observer = scheduler.CreateObserver<string>();
        var error = new InvalidOperationException();

        scheduler.ScheduleAbsolute(0, 10, (_, _) =>
        {
            observer.OnNext("a");
            return Disposable.Empty;
        });
        scheduler.ScheduleAbsolute(0, 20, (_, _) =>
        {
            observer.OnCompleted();
            observer.OnError(error);
            return Disposable.Empty;
        });
        scheduler.Start();

        Assert.Equal([OnNext(10, "a"), OnCompleted<string>(20), OnError<string>(20, error)], observer.Messages);
    }

    [Fact]
    public async Task Records_every_notification_from_concurrent_callers()
    {
        const int Threads = 4;
        const int PerThread = 50_000;
        var scheduler = new TestScheduler();
        var observer = scheduler.CreateObserver<int>();
        using var go = new Barrier(Threads);

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                go.SignalAndWait();
                for (var i = 0; i < PerThread; i++)
                {
                    observer.OnNext((t * PerThread) + i);
                }
            },
            TaskCreationOptions.LongRunning)));

        Assert.Equal(Threads * PerThread, observer.Messages.Count);
        Assert.Equal(Enumerable.Range(0, Threads * PerThread), observer.Messages.Select(m => m.Value.Value).Order());
    }

    [Fact]
    public void Messages_is_a_live_view()
    {
        var scheduler = new TestScheduler();
        var observer = scheduler.CreateObserver<int>();
        var messages = observer.Messages;

        scheduler.AdvanceTo(5);
        observer.OnNext(1);

        Assert.Equal([OnNext(5, 1)], messages);
        Assert.Equal(OnNext(5, 1), messages[0]);
    }
}
