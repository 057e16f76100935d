using System.Reactive;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Testing.Tests.Observables;

/// <summary>
/// docs/testing.md: "<c>Messages</c> is a copy of what was passed" and "The logs are read-only": a test observable's
/// notifications can be changed neither through the array given to it nor through the list it hands out, so what it
/// reports is what it emits, to every subscriber.
/// </summary>
public sealed class ReadOnlyLogsTests
{
    [Fact]
    public void Changing_the_array_passed_to_a_cold_observable_changes_neither_its_messages_nor_its_replay()
    {
        var scheduler = new TestScheduler();
        Recorded<Notification<int>>[] messages = [OnNext(10, 1), OnCompleted<int>(20)];
        var xs = scheduler.CreateColdObservable(messages);

        messages[0] = OnNext(10, 99);

        Assert.Equal([OnNext(10, 1), OnCompleted<int>(20)], xs.Messages);
        Assert.Equal([OnNext(210, 1), OnCompleted<int>(220)], scheduler.Start(() => xs).Messages);
    }

    [Fact]
    public void Changing_the_array_passed_to_a_hot_observable_changes_neither_its_messages_nor_its_emissions()
    {
        var scheduler = new TestScheduler();
        Recorded<Notification<int>>[] messages = [OnNext(210, 1), OnCompleted<int>(220)];
        var xs = scheduler.CreateHotObservable(messages);

        messages[0] = OnNext(210, 99);

        Assert.Equal([OnNext(210, 1), OnCompleted<int>(220)], xs.Messages);
        Assert.Equal([OnNext(210, 1), OnCompleted<int>(220)], scheduler.Start(() => xs).Messages);
    }

    [Fact]
    public void A_cold_observables_messages_cannot_be_rewritten_through_a_cast_and_later_subscribers_get_the_original()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateColdObservable(OnNext(10, 1), OnCompleted<int>(20));

        // What a helper taking IList<T> (the genuine scheduler's type for Messages) would do to the list it is handed.
        if (xs.Messages is IList<Recorded<Notification<int>>> list)
        {
            Assert.True(list.IsReadOnly);
            Assert.Throws<NotSupportedException>(() => list[0] = OnNext(10, 99));
        }

        Assert.Equal([OnNext(10, 1), OnCompleted<int>(20)], xs.Messages);
        Assert.Equal([OnNext(210, 1), OnCompleted<int>(220)], scheduler.Start(() => xs).Messages);
    }

    [Fact]
    public void A_hot_observables_messages_cannot_be_rewritten_through_a_cast()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnCompleted<int>(220));

        if (xs.Messages is IList<Recorded<Notification<int>>> list)
        {
            Assert.True(list.IsReadOnly);
            Assert.Throws<NotSupportedException>(() => list[0] = OnNext(210, 99));
        }

        // What it reports is what it emits.
        Assert.Equal(xs.Messages, scheduler.Start(() => xs).Messages);
    }

    [Fact]
    public void The_recorded_logs_cannot_be_rewritten_through_a_cast()
    {
        var scheduler = new TestScheduler();
        var xs = scheduler.CreateHotObservable(OnNext(210, 1), OnCompleted<int>(220));
        var observer = scheduler.Start(() => xs);

        if (observer.Messages is IList<Recorded<Notification<int>>> messages)
        {
            Assert.Throws<NotSupportedException>(() => messages[0] = OnNext(210, 99));
        }

        if (xs.Subscriptions is IList<Subscription> subscriptions)
        {
            Assert.Throws<NotSupportedException>(() => subscriptions[0] = Subscribe(0, 1));
        }

        Assert.Equal([OnNext(210, 1), OnCompleted<int>(220)], observer.Messages);
        Assert.Equal([Subscribe(200, 1000)], xs.Subscriptions);
    }
}
