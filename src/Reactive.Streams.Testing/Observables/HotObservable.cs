using System.Reactive;
using System.Reactive.Disposables;

namespace Reactive.Streams.Testing;

/// <summary>
/// Emits its notifications at their absolute virtual times to whoever is subscribed then, whether or not anyone is.
/// </summary>
internal sealed class HotObservable<T> : ITestableObservable<T>
{
    private readonly TestScheduler _scheduler;
    private readonly Recorded<Notification<T>>[] _messages;
    private readonly RecordingList<Subscription> _subscriptions = new();
    private readonly Lock _gate = new();
    private readonly List<IObserver<T>> _observers = [];

    public HotObservable(TestScheduler scheduler, Recorded<Notification<T>>[] messages)
    {
        _scheduler = scheduler;
        _messages = messages;
        Messages = Array.AsReadOnly(messages);
        foreach (var message in messages)
        {
            scheduler.ScheduleAbsolute((this, message.Value), message.Time, static (_, state) =>
            {
                state.Item1.Emit(state.Item2);
                return Disposable.Empty;
            });
        }
    }

    public IReadOnlyList<Subscription> Subscriptions => _subscriptions;

    // A read-only view, not the array itself: through IList<T> an array's indexer writes, and Messages would then differ
    // from what is emitted (docs/testing.md: "the logs are read-only").
    public IReadOnlyList<Recorded<Notification<T>>> Messages { get; }

    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        int index;
        lock (_gate)
        {
            _observers.Add(observer);
            index = _subscriptions.Add(new Subscription(_scheduler.Clock));
        }

        return Disposable.Create(() =>
        {
            lock (_gate)
            {
                _observers.Remove(observer);
                _subscriptions.Replace(index, s => new Subscription(s.Subscribe, _scheduler.Clock));
            }
        });
    }

    private void Emit(Notification<T> notification)
    {
        IObserver<T>[] observers;
        lock (_gate)
        {
            observers = [.. _observers];
        }

        // Observers are called outside the lock: they may subscribe or dispose re-entrantly.
        foreach (var observer in observers)
        {
            notification.Accept(observer);
        }
    }
}
