using System.Reactive;

namespace Reactive.Streams.Testing;

/// <summary>
/// An observer made by <see cref="TestScheduler.CreateObserver{T}"/> (and returned by
/// <see cref="TestScheduler.Start{T}(Func{IObservable{T}}, long, long, long)"/>) that records every notification it
/// receives with the scheduler's virtual time.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public interface ITestableObserver<T> : IObserver<T>
{
    /// <summary>
    /// Gets the received notifications in arrival order, each stamped with the virtual clock at arrival. The list is
    /// live; compare it whole with <c>Assert.Equal(expected, observer.Messages)</c> once the scheduler is idle.
    /// Notifications after a terminal one are recorded too, so a grammar violation by the source under test shows up.
    /// </summary>
    IReadOnlyList<Recorded<Notification<T>>> Messages { get; }
}
