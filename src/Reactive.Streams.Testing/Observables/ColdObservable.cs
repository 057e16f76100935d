using System.Collections.ObjectModel;
using System.Reactive;
using System.Reactive.Disposables;

namespace Reactive.Streams.Testing;

/// <summary>
/// Replays its notifications to each subscriber separately, at times relative to that subscription.
/// </summary>
internal sealed class ColdObservable<T>(TestScheduler scheduler, Recorded<Notification<T>>[] messages) : ITestableObservable<T>
{
    private readonly RecordingList<Subscription> _subscriptions = new();

    // A read-only view, not the array itself: through IList<T> an array's indexer writes, and what a later subscriber
    // replays would then differ from what was passed (docs/testing.md: "the logs are read-only").
    private readonly ReadOnlyCollection<Recorded<Notification<T>>> _messages = Array.AsReadOnly(messages);

    public IReadOnlyList<Subscription> Subscriptions => _subscriptions;

    public IReadOnlyList<Recorded<Notification<T>>> Messages => _messages;

    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var index = _subscriptions.Add(new Subscription(scheduler.Clock));
        var pending = new CompositeDisposable(messages.Length);
        foreach (var message in messages)
        {
            pending.Add(scheduler.ScheduleRelative((observer, message.Value), message.Time, static (_, state) =>
            {
                state.Item2.Accept(state.Item1);
                return Disposable.Empty;
            }));
        }

        // Disposable.Create runs its action once, so a second Dispose does not move the recorded release time.
        return Disposable.Create(() =>
        {
            _subscriptions.Replace(index, s => new Subscription(s.Subscribe, scheduler.Clock));
            pending.Dispose();
        });
    }
}
