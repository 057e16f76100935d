namespace Reactive.Streams.Canal;

/// <summary>
/// A canal that takes back the batch it returned last, unhandled, so the next pull returns it again. A
/// <see cref="CanalWorker"/> gives back a batch it pulled but did not finish (stopped before or during the handler, or
/// the handler failed), so a later worker on the same canal handles it instead of skipping it.
/// </summary>
internal interface IRequeueCanal<T>
{
    /// <summary>Gives back <paramref name="batch"/>, the last batch this canal returned, which no one handled.</summary>
    void Requeue(CanalBatch<T> batch);
}
