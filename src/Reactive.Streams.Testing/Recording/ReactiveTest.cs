using System.Reactive;

namespace Reactive.Streams.Testing;

/// <summary>
/// Factory helpers for recorded notifications and subscriptions, and the classic default times of
/// <see cref="TestScheduler.Start{T}(Func{IObservable{T}})"/>.
/// </summary>
/// <remarks>
/// Use the members with <c>using static Reactive.Streams.Testing.ReactiveTest;</c>, or derive the test class from
/// <see cref="ReactiveTest"/> as with Microsoft.Reactive.Testing.
/// </remarks>
public abstract class ReactiveTest
{
    /// <summary>The default virtual time at which <see cref="TestScheduler.Start{T}(Func{IObservable{T}})"/> creates the sequence: 100.</summary>
    public const long Created = 100;

    /// <summary>The default virtual time at which <see cref="TestScheduler.Start{T}(Func{IObservable{T}})"/> subscribes: 200.</summary>
    public const long Subscribed = 200;

    /// <summary>The default virtual time at which <see cref="TestScheduler.Start{T}(Func{IObservable{T}})"/> disposes the subscription: 1000.</summary>
    public const long Disposed = 1000;

    /// <summary>Lets test classes derive from <see cref="ReactiveTest"/>.</summary>
    protected ReactiveTest()
    {
    }

    /// <summary>Creates an <c>OnNext(value)</c> notification recorded at <paramref name="ticks"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="ticks">The virtual time of the notification.</param>
    /// <param name="value">The value carried by the notification.</param>
    /// <returns>The recorded notification.</returns>
    public static Recorded<Notification<T>> OnNext<T>(long ticks, T value) =>
        new(ticks, Notification.CreateOnNext(value));

    /// <summary>
    /// Creates an expectation that matches an <c>OnNext</c> notification recorded at <paramref name="ticks"/> whose value
    /// satisfies <paramref name="predicate"/>.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="ticks">The virtual time of the notification.</param>
    /// <param name="predicate">The test applied to the actual value.</param>
    /// <returns>
    /// A recorded expectation. It matches a recorded notification on either side of a comparison
    /// (<c>Assert.Equal(expected, actual)</c>, <c>Assert.Contains(expected, observer.Messages)</c>), and cannot be
    /// replayed by a test observable.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="predicate"/> is <see langword="null"/>.</exception>
    public static Recorded<Notification<T>> OnNext<T>(long ticks, Func<T, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return new(ticks, new OnNextPredicate<T>(predicate));
    }

    /// <summary>Creates an <c>OnCompleted()</c> notification recorded at <paramref name="ticks"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="ticks">The virtual time of the notification.</param>
    /// <returns>The recorded notification.</returns>
    public static Recorded<Notification<T>> OnCompleted<T>(long ticks) =>
        new(ticks, Notification.CreateOnCompleted<T>());

    /// <summary>
    /// Creates an <c>OnCompleted()</c> notification recorded at <paramref name="ticks"/>, inferring <typeparamref name="T"/>
    /// from <paramref name="witness"/> (useful with anonymous types).
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="ticks">The virtual time of the notification.</param>
    /// <param name="witness">A value used only to infer <typeparamref name="T"/>.</param>
    /// <returns>The recorded notification.</returns>
    public static Recorded<Notification<T>> OnCompleted<T>(long ticks, T witness) =>
        new(ticks, Notification.CreateOnCompleted<T>());

    /// <summary>Creates an <c>OnError(exception)</c> notification recorded at <paramref name="ticks"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="ticks">The virtual time of the notification.</param>
    /// <param name="exception">The error. Rx compares errors by reference, so expect the same instance the source threw.</param>
    /// <returns>The recorded notification.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is <see langword="null"/>.</exception>
    public static Recorded<Notification<T>> OnError<T>(long ticks, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new(ticks, Notification.CreateOnError<T>(exception));
    }

    /// <summary>
    /// Creates an <c>OnError(exception)</c> notification recorded at <paramref name="ticks"/>, inferring
    /// <typeparamref name="T"/> from <paramref name="witness"/> (useful with anonymous types).
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="ticks">The virtual time of the notification.</param>
    /// <param name="exception">The error.</param>
    /// <param name="witness">A value used only to infer <typeparamref name="T"/>.</param>
    /// <returns>The recorded notification.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is <see langword="null"/>.</exception>
    public static Recorded<Notification<T>> OnError<T>(long ticks, Exception exception, T witness) => OnError<T>(ticks, exception);

    /// <summary>
    /// Creates an expectation that matches an <c>OnError</c> notification recorded at <paramref name="ticks"/> whose
    /// exception satisfies <paramref name="predicate"/>.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="ticks">The virtual time of the notification.</param>
    /// <param name="predicate">The test applied to the actual exception.</param>
    /// <returns>
    /// A recorded expectation. It matches a recorded notification on either side of a comparison
    /// (<c>Assert.Equal(expected, actual)</c>, <c>Assert.Contains(expected, observer.Messages)</c>), and cannot be
    /// replayed by a test observable.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="predicate"/> is <see langword="null"/>.</exception>
    public static Recorded<Notification<T>> OnError<T>(long ticks, Func<Exception, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return new(ticks, new OnErrorPredicate<T>(predicate));
    }

    /// <summary>
    /// Creates an expectation that matches an <c>OnError</c> notification whose exception satisfies
    /// <paramref name="predicate"/>, inferring <typeparamref name="T"/> from <paramref name="witness"/>.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="ticks">The virtual time of the notification.</param>
    /// <param name="predicate">The test applied to the actual exception.</param>
    /// <param name="witness">A value used only to infer <typeparamref name="T"/>.</param>
    /// <returns>A recorded expectation (see <see cref="OnError{T}(long, Func{Exception, bool})"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="predicate"/> is <see langword="null"/>.</exception>
    public static Recorded<Notification<T>> OnError<T>(long ticks, Func<Exception, bool> predicate, T witness) =>
        OnError<T>(ticks, predicate);

    /// <summary>Creates the record of a subscription made at <paramref name="start"/> and released at <paramref name="end"/>.</summary>
    /// <param name="start">The virtual time of the subscription.</param>
    /// <param name="end">The virtual time of the release.</param>
    /// <returns>The subscription record.</returns>
    public static Subscription Subscribe(long start, long end) => new(start, end);

    /// <summary>Creates the record of a subscription made at <paramref name="start"/> and never released.</summary>
    /// <param name="start">The virtual time of the subscription.</param>
    /// <returns>The subscription record, with <see cref="Subscription.Unsubscribe"/> equal to <see cref="Subscription.Infinite"/>.</returns>
    public static Subscription Subscribe(long start) => new(start);
}
