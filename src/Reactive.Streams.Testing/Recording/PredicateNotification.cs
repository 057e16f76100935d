using System.Reactive;

namespace Reactive.Streams.Testing;

/// <summary>
/// An expectation that matches actual notifications by a predicate rather than by value. <see cref="Recorded{T}"/>
/// asks it through this interface whichever side of <c>Equals</c> it is on, because Rx's own notifications compare by
/// kind and value and would read the pattern's (nonexistent) value.
/// </summary>
internal interface INotificationPattern
{
    /// <summary>Returns whether <paramref name="actual"/> is a concrete notification this pattern matches.</summary>
    bool Matches(object? actual);
}

/// <summary>
/// An expected notification that matches actual notifications by a predicate rather than by value. Rx's own
/// notifications compare by kind and value; <see cref="Recorded{T}"/> therefore always lets the pattern decide.
/// </summary>
internal abstract class PredicateNotification<T> : Notification<T>, INotificationPattern
{
    // It describes a set of notifications, not one notification, so it has no value to deliver or replay.
    public override T Value => throw NotReplayable();

    public override Exception? Exception => throw NotReplayable();

    public override void Accept(IObserver<T> observer) => throw NotReplayable();

    public override TResult Accept<TResult>(IObserver<T, TResult> observer) => throw NotReplayable();

    public override void Accept(Action<T> onNext, Action<Exception> onError, Action onCompleted) => throw NotReplayable();

    public override TResult Accept<TResult>(Func<T, TResult> onNext, Func<Exception, TResult> onError, Func<TResult> onCompleted) =>
        throw NotReplayable();

    // Predicates cannot hash consistently with what they match; all of one kind share a bucket. Recorded<T> does not
    // use a value's hash when the value could be a pattern, so records that match hash alike.
    public override int GetHashCode() => (int)Kind;

    public bool Matches(object? actual) => actual is Notification<T> notification && Equals(notification);

    private static NotSupportedException NotReplayable() => new(
        "A predicate notification only matches recorded notifications (as the expected side of a comparison); it has no value and cannot be delivered.");
}

/// <summary>Matches an <c>OnNext</c> notification whose value satisfies a predicate.</summary>
internal sealed class OnNextPredicate<T>(Func<T, bool> predicate) : PredicateNotification<T>
{
    public override NotificationKind Kind => NotificationKind.OnNext;

    public override bool HasValue => true;

    public override bool Equals(Notification<T>? other) =>
        ReferenceEquals(this, other)
        || (other is not null and not PredicateNotification<T> && other.Kind == NotificationKind.OnNext && predicate(other.Value));

    public override string ToString() => "OnNext(<predicate>)";
}

/// <summary>Matches an <c>OnError</c> notification whose exception satisfies a predicate.</summary>
internal sealed class OnErrorPredicate<T>(Func<Exception, bool> predicate) : PredicateNotification<T>
{
    public override NotificationKind Kind => NotificationKind.OnError;

    public override bool HasValue => false;

    public override bool Equals(Notification<T>? other) =>
        ReferenceEquals(this, other)
        || (other is not null and not PredicateNotification<T> && other.Kind == NotificationKind.OnError && predicate(other.Exception!));

    public override string ToString() => "OnError(<predicate>)";
}
