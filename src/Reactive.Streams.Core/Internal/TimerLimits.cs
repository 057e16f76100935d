namespace Reactive.Streams.Internal;

/// <summary>What one timer can measure: the runtime's timers (and so <c>Task.Delay</c>, <c>Task.WaitAsync</c> and
/// <see cref="TimeProvider.CreateTimer"/>) take at most <see cref="uint.MaxValue"/> - 1 milliseconds, about 49.7 days.</summary>
internal static class TimerLimits
{
    /// <summary>The longest due time one timer accepts.</summary>
    internal static readonly TimeSpan LongestWait = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
}
