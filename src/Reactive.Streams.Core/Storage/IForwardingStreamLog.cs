namespace Reactive.Streams;

/// <summary>
/// A log that forwards every call to another one it opened (the hosting package's registered log), so that what the
/// canals learn from the backend's own log (its read cap) is found through it.
/// </summary>
internal interface IForwardingStreamLog
{
    /// <summary>The log the calls go to, once it is open; null before.</summary>
    IStreamLog? Inner { get; }
}
