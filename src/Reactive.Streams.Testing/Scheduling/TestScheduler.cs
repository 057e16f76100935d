using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace Reactive.Streams.Testing;

/// <summary>
/// A virtual-time scheduler for tests, with the surface and semantics of Microsoft.Reactive.Testing's
/// <c>TestScheduler</c>: the clock is a <see cref="long"/> count of <see cref="TimeSpan"/> ticks (100 ns), starting at 0.
/// </summary>
/// <remarks>
/// <para>
/// Nothing runs until the test advances the clock with <see cref="VirtualTimeSchedulerBase{TAbsolute, TRelative}.AdvanceBy"/>,
/// <see cref="VirtualTimeSchedulerBase{TAbsolute, TRelative}.AdvanceTo"/>, <see cref="VirtualTimeSchedulerBase{TAbsolute, TRelative}.Start()"/>
/// or <see cref="Start{T}(Func{IObservable{T}}, long, long, long)"/>; scheduled work then runs on the advancing thread,
/// in due-time order, work due at the same time in the order it was scheduled. An exception thrown by scheduled work
/// propagates out of the advancing call.
/// </para>
/// <para>
/// Work scheduled at or before the current <see cref="VirtualTimeSchedulerBase{TAbsolute, TRelative}.Clock"/> (including
/// <c>Schedule(action)</c> and a zero relative due time) runs at <c>Clock + 1</c>, exactly as in Microsoft.Reactive.Testing,
/// so expected times written for that scheduler hold here too.
/// </para>
/// <para>
/// Thread safety: the clock is advanced by one thread (the test). Work may be scheduled from any thread, for example
/// by a timer created through <see cref="SchedulerTimeProviderExtensions.AsTimeProvider(IScheduler)"/> on a thread-pool
/// continuation: every scheduling call on this scheduler goes through <see cref="ScheduleAbsolute{TState}"/>, which
/// serializes itself with a lock. Work scheduled concurrently with an advance is due relative to the clock value read
/// when it is scheduled; it is never lost and never runs before its due time.
/// </para>
/// </remarks>
public class TestScheduler : VirtualTimeScheduler<long, long>
{
    // Rx's VirtualTimeScheduler locks its queue internally, but reading Clock for the "not in the past" adjustment
    // and enqueueing are separate steps, and that locking is an implementation detail we should not rely on. One lock
    // around both makes concurrent Schedule calls (timers armed from other threads) safe. Nothing foreign runs under it:
    // the base method only creates and enqueues the item.
    private readonly Lock _scheduleGate = new();

    /// <summary>
    /// Schedules <paramref name="action"/> at the absolute virtual time <paramref name="dueTime"/>; a time at or before
    /// the current clock becomes <c>Clock + 1</c> (at the end of virtual time, <see cref="long.MaxValue"/>, it stays at the
    /// end, after the work already due there). Safe to call from any thread.
    /// </summary>
    /// <typeparam name="TState">The type of the state passed to the action.</typeparam>
    /// <param name="state">The state passed to the action.</param>
    /// <param name="dueTime">The absolute virtual time, in ticks.</param>
    /// <param name="action">The work to run.</param>
    /// <returns>A disposable that cancels the work if it has not run yet.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="action"/> is <see langword="null"/>.</exception>
    public override IDisposable ScheduleAbsolute<TState>(TState state, long dueTime, Func<IScheduler, TState, IDisposable> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_scheduleGate)
        {
            if (dueTime <= Clock)
            {
                // At the end of virtual time Clock + 1 would wrap around to long.MinValue and run ahead of the work
                // already due at the end; the end itself keeps the order in which work was scheduled.
                dueTime = Clock == long.MaxValue ? long.MaxValue : Clock + 1;
            }

            return base.ScheduleAbsolute(state, dueTime, action);
        }
    }

    /// <summary>
    /// Adds a relative virtual time to an absolute one, saturating at <see cref="long.MaxValue"/> and
    /// <see cref="long.MinValue"/>: work due after the end of virtual time (<see cref="TimeSpan.MaxValue"/> timeouts) stays
    /// at the end instead of wrapping around into the past and running at once.
    /// </summary>
    /// <param name="absolute">The absolute virtual time, in ticks.</param>
    /// <param name="relative">The relative virtual time, in ticks.</param>
    /// <returns>The sum, saturated.</returns>
    protected override long Add(long absolute, long relative)
    {
        var sum = unchecked(absolute + relative);

        // Overflow happened exactly when both operands share a sign that the sum does not.
        if (((absolute ^ sum) & (relative ^ sum)) < 0)
        {
            return relative > 0 ? long.MaxValue : long.MinValue;
        }

        return sum;
    }

    /// <summary>
    /// Converts an absolute virtual time to the UTC <see cref="DateTimeOffset"/> with that many ticks (0 is
    /// <see cref="DateTimeOffset.MinValue"/>). Virtual times past <see cref="DateTimeOffset.MaxValue"/> (work due at the
    /// end of virtual time, see <see cref="Add"/>) read as <see cref="DateTimeOffset.MaxValue"/>.
    /// </summary>
    /// <param name="absolute">The absolute virtual time, in ticks.</param>
    /// <returns>The corresponding <see cref="DateTimeOffset"/>.</returns>
    protected override DateTimeOffset ToDateTimeOffset(long absolute) =>
        absolute >= DateTimeOffset.MaxValue.UtcTicks ? DateTimeOffset.MaxValue : new(absolute, TimeSpan.Zero);

    /// <summary>Converts a <see cref="TimeSpan"/> to a relative virtual time: its <see cref="TimeSpan.Ticks"/>.</summary>
    /// <param name="timeSpan">The time span.</param>
    /// <returns>The relative virtual time, in ticks.</returns>
    protected override long ToRelative(TimeSpan timeSpan) => timeSpan.Ticks;

    /// <summary>
    /// Runs the classic test script: at <paramref name="created"/> calls <paramref name="create"/>, at
    /// <paramref name="subscribed"/> subscribes a recording observer to the result, at <paramref name="disposed"/> disposes
    /// that subscription; then runs the scheduler until no work is left (see <see cref="VirtualTimeSchedulerBase{TAbsolute, TRelative}.Start()"/>).
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="create">The factory of the sequence under test.</param>
    /// <param name="created">The virtual time at which to call <paramref name="create"/>.</param>
    /// <param name="subscribed">The virtual time at which to subscribe; not before <paramref name="created"/>.</param>
    /// <param name="disposed">The virtual time at which to dispose the subscription; not before <paramref name="subscribed"/>.</param>
    /// <returns>The observer, whose <see cref="ITestableObserver{T}.Messages"/> hold what arrived while subscribed.</returns>
    /// <remarks>
    /// Like the classic scheduler this returns only when the queue is empty: work that reschedules itself forever and is
    /// not stopped by the disposal (a periodic timer nobody disposes) keeps it running.
    /// An exception thrown by <paramref name="create"/>, by subscribing or by disposing propagates from this call.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="create"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="subscribed"/> is before <paramref name="created"/>, or <paramref name="disposed"/> before <paramref name="subscribed"/>.</exception>
    /// <exception cref="InvalidOperationException">The scheduler is already running: called from scheduled work, or after
    /// scheduled work threw out of an advance (which leaves the scheduler running, as in Rx; call
    /// <see cref="VirtualTimeSchedulerBase{TAbsolute, TRelative}.Stop"/> before running it again).</exception>
    public ITestableObserver<T> Start<T>(Func<IObservable<T>> create, long created, long subscribed, long disposed)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentOutOfRangeException.ThrowIfLessThan(subscribed, created);
        ArgumentOutOfRangeException.ThrowIfLessThan(disposed, subscribed);
        if (IsEnabled)
        {
            throw new InvalidOperationException(
                "The scheduler is already running: Start cannot be called from scheduled work. If scheduled work threw out of an earlier Start, " +
                "AdvanceBy or AdvanceTo, that left the scheduler running (as Rx's virtual-time schedulers do); call Stop() before running it again.");
        }

        var run = new StartRun<T>(create, CreateObserver<T>());
        ScheduleAbsolute(run, created, static (_, r) => r.Create());
        ScheduleAbsolute(run, subscribed, static (_, r) => r.Subscribe());
        ScheduleAbsolute(run, disposed, static (_, r) => r.Dispose());
        Start();
        return run.Observer;
    }

    /// <summary>
    /// Runs the classic test script with creation at <see cref="ReactiveTest.Created"/> (100) and subscription at
    /// <see cref="ReactiveTest.Subscribed"/> (200), disposing at <paramref name="disposed"/>.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="create">The factory of the sequence under test.</param>
    /// <param name="disposed">The virtual time at which to dispose the subscription; not before 200.</param>
    /// <returns>The recording observer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="create"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="disposed"/> is before 200.</exception>
    public ITestableObserver<T> Start<T>(Func<IObservable<T>> create, long disposed) =>
        Start(create, ReactiveTest.Created, ReactiveTest.Subscribed, disposed);

    /// <summary>
    /// Runs the classic test script with the classic times: creation at 100, subscription at 200, disposal at 1000.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="create">The factory of the sequence under test.</param>
    /// <returns>The recording observer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="create"/> is <see langword="null"/>.</exception>
    public ITestableObserver<T> Start<T>(Func<IObservable<T>> create) =>
        Start(create, ReactiveTest.Created, ReactiveTest.Subscribed, ReactiveTest.Disposed);

    /// <summary>
    /// Creates a hot observable: each notification is emitted at its absolute virtual time to the observers subscribed
    /// then (none, if nobody is), and every subscription is logged in <see cref="ITestableObservable{T}.Subscriptions"/>.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="messages">The notifications and their absolute times; a time at or before the current clock emits at <c>Clock + 1</c>.</param>
    /// <returns>The hot observable.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="messages"/> holds a predicate expectation, which cannot be emitted.</exception>
    public ITestableObservable<T> CreateHotObservable<T>(params Recorded<Notification<T>>[] messages)
    {
        var copy = Validate(messages);
        return new HotObservable<T>(this, copy);
    }

    /// <summary>
    /// Creates a cold observable: each subscriber gets its own replay of the notifications, each at its time relative to
    /// that subscription (a relative time of 0 arrives one tick after subscribing, as in the classic scheduler), and
    /// every subscription is logged in <see cref="ITestableObservable{T}.Subscriptions"/>. Disposing a subscription
    /// cancels its pending notifications.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="messages">The notifications and their times relative to each subscription.</param>
    /// <returns>The cold observable.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="messages"/> holds a predicate expectation, which cannot be emitted.</exception>
    public ITestableObservable<T> CreateColdObservable<T>(params Recorded<Notification<T>>[] messages)
    {
        var copy = Validate(messages);
        return new ColdObservable<T>(this, copy);
    }

    /// <summary>Creates an observer that records every notification it receives with the current virtual time.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <returns>The recording observer.</returns>
    public ITestableObserver<T> CreateObserver<T>() => new TestObserver<T>(this);

    private static Recorded<Notification<T>>[] Validate<T>(Recorded<Notification<T>>[] messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            if (message.Value is null or PredicateNotification<T>)
            {
                throw new ArgumentException(
                    $"Message {message} cannot be emitted: test observables need concrete notifications (OnNext(time, value), OnError(time, exception), OnCompleted<T>(time)), not null or predicate expectations.",
                    nameof(messages));
            }
        }

        // A copy, so the caller mutating its array later cannot change what was scheduled or what Messages reports.
        return [.. messages];
    }

    private sealed class StartRun<T>(Func<IObservable<T>> create, ITestableObserver<T> observer)
    {
        private IObservable<T>? _source;
        private IDisposable? _subscription;

        public ITestableObserver<T> Observer { get; } = observer;

        public IDisposable Create()
        {
            _source = create() ?? throw new InvalidOperationException("The factory passed to Start returned null.");
            return Disposable.Empty;
        }

        public IDisposable Subscribe()
        {
            _subscription = _source!.Subscribe(Observer);
            return Disposable.Empty;
        }

        public IDisposable Dispose()
        {
            _subscription?.Dispose();
            return Disposable.Empty;
        }
    }
}
