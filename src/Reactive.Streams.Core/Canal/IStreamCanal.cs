namespace Reactive.Streams.Canal;

/// <summary>
/// A canal that replays one stream of a log (the cursor and consumer-group canals, and views of them): a
/// <see cref="CanalWorker"/>'s <c>process</c> spans name that stream as their destination (docs/tracing.md); a canal
/// that is not one is <c>(anonymous)</c>.
/// </summary>
internal interface IStreamCanal
{
    /// <summary>The stream the canal replays.</summary>
    string Stream { get; }
}
