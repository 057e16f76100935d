namespace Reactive.Streams.Internal;

/// <summary>
/// The generated default names (<c>stream-N</c>, <c>delivery-N</c>). The counters live here, outside the generic options
/// classes: a static field of a generic class is one per item type, so each type counted from 1 and two unnamed
/// streams of different item types (or two unnamed dispatchers) got one name, and with it one metric series.
/// </summary>
internal static class DefaultNames
{
    /// <summary>
    /// The stream name of the shared series that the counts of ended streams with generated names are folded into
    /// (see <see cref="MeterSeries"/>): one per policy.
    /// </summary>
    public const string EndedStreams = "stream-*";

    /// <summary>
    /// The dispatcher name of the shared series that the counts of ended sinks of dispatchers with generated names are
    /// folded into: one per sink name. Their sink queues (streams named <c>{dispatcher}/{sink}</c>) fold into the stream
    /// <c>delivery-*/{sink}</c>.
    /// </summary>
    public const string EndedDispatchers = "delivery-*";

    private static int s_streams;
    private static int s_dispatchers;

    /// <summary>A stream name no other generated stream name equals: <c>stream-N</c>.</summary>
    public static string NextStream() => $"stream-{Interlocked.Increment(ref s_streams)}";

    /// <summary>A dispatcher name no other generated dispatcher name equals: <c>delivery-N</c>.</summary>
    public static string NextDispatcher() => $"delivery-{Interlocked.Increment(ref s_dispatchers)}";
}
