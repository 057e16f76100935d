using System.Reactive;

namespace Reactive.Streams.Testing;

/// <summary>Records each notification with the scheduler's clock at arrival.</summary>
internal sealed class TestObserver<T>(TestScheduler scheduler) : ITestableObserver<T>
{
    private readonly RecordingList<Recorded<Notification<T>>> _messages = new();

    public IReadOnlyList<Recorded<Notification<T>>> Messages => _messages;

    public void OnNext(T value) => _messages.Add(new(scheduler.Clock, Notification.CreateOnNext(value)));

    public void OnError(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        _messages.Add(new(scheduler.Clock, Notification.CreateOnError<T>(error)));
    }

    public void OnCompleted() => _messages.Add(new(scheduler.Clock, Notification.CreateOnCompleted<T>()));
}
