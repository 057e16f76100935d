using System.Reactive;

namespace Reactive.Streams.Testing;

/// <summary>
/// An observable made by <see cref="TestScheduler.CreateHotObservable{T}"/> or
/// <see cref="TestScheduler.CreateColdObservable{T}"/>: it replays recorded notifications in virtual time and logs
/// when each observer subscribed and released its subscription.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public interface ITestableObservable<T> : IObservable<T>
{
    /// <summary>
    /// Gets the subscription log, in subscription order: one <see cref="Subscription"/> per <c>Subscribe</c> call, whose
    /// <see cref="Subscription.Unsubscribe"/> is <see cref="Subscription.Infinite"/> until the subscription is disposed.
    /// The list is live: it grows as the scheduler runs.
    /// </summary>
    IReadOnlyList<Subscription> Subscriptions { get; }

    /// <summary>Gets the notifications this observable replays, as given to the factory.</summary>
    IReadOnlyList<Recorded<Notification<T>>> Messages { get; }
}
