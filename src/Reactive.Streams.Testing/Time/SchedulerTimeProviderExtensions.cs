using System.Reactive.Concurrency;

namespace Reactive.Streams.Testing;

/// <summary>
/// Bridges Rx schedulers to <see cref="TimeProvider"/>, so code that takes a <see cref="TimeProvider"/> runs on the same
/// virtual clock as code that takes an <see cref="IScheduler"/>.
/// </summary>
public static class SchedulerTimeProviderExtensions
{
    /// <summary>
    /// Returns a <see cref="TimeProvider"/> that reads and waits on <paramref name="scheduler"/>'s clock.
    /// </summary>
    /// <param name="scheduler">
    /// The scheduler; typically a <see cref="TestScheduler"/>, but any <see cref="IScheduler"/> works, including
    /// Microsoft.Reactive.Testing's.
    /// </param>
    /// <returns>
    /// A provider whose <see cref="TimeProvider.GetUtcNow"/> is <see cref="IScheduler.Now"/>, whose
    /// <see cref="TimeProvider.GetTimestamp"/> is <c>Now.UtcTicks</c> with <see cref="TimeProvider.TimestampFrequency"/>
    /// <see cref="TimeSpan.TicksPerSecond"/> (on a <see cref="TestScheduler"/> the timestamp is the clock itself), whose
    /// <see cref="TimeProvider.LocalTimeZone"/> is UTC, and whose timers fire from work scheduled on
    /// <paramref name="scheduler"/>.
    /// </returns>
    /// <remarks>
    /// <para>
    /// Timers follow <see cref="TimeProvider.CreateTimer"/>: a one-shot timer fires once <c>dueTime</c> has passed, a
    /// periodic one then every <c>period</c>; <see cref="Timeout.InfiniteTimeSpan"/> as due time means never, and as
    /// period (or a zero period) means once; <see cref="ITimer.Change"/> re-arms from the current virtual time;
    /// <see cref="IDisposable.Dispose"/> stops the timer, and <see cref="ITimer.Change"/> on a disposed timer returns
    /// <see langword="false"/>. Due times and periods are validated as <see cref="Timer"/> and FakeTimeProvider validate
    /// them, on the value truncated to whole milliseconds: from -1 (infinite) to 4294967294, otherwise
    /// <see cref="ArgumentOutOfRangeException"/>; so a due time between -1 and 0 ms means zero, one between -2 and -1 ms
    /// means never, and a negative period means once. On a <see cref="TestScheduler"/> a zero due time fires at
    /// <c>Clock + 1</c>, like any work scheduled "now". So <c>Task.Delay(delay, provider)</c>, <c>new CancellationTokenSource(delay, provider)</c>,
    /// <c>CancelAfter</c> and <c>task.WaitAsync(timeout, provider)</c> all complete when the test advances the
    /// scheduler past their due time, never before.
    /// </para>
    /// <para>
    /// The callback runs synchronously on the thread that advances the scheduler, inside the execution context captured
    /// when the timer was created (as <see cref="Timer"/> does, unless flow was suppressed); an exception it throws
    /// propagates out of the advancing call. The timer itself is thread-safe: it may be created, changed and disposed
    /// from any thread while the test advances the clock, since <see cref="TestScheduler"/> accepts scheduling from any
    /// thread. A periodic timer left running keeps <see cref="VirtualTimeSchedulerBase{TAbsolute, TRelative}.Start()"/>
    /// busy forever; dispose it or advance with <c>AdvanceBy</c>/<c>AdvanceTo</c>.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="scheduler"/> is <see langword="null"/>.</exception>
    public static TimeProvider AsTimeProvider(this IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        return new SchedulerTimeProvider(scheduler);
    }
}
