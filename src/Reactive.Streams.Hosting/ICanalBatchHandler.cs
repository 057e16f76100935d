namespace Reactive.Streams.Hosting;

/// <summary>
/// Handles the batches of a hosted canal worker (<see cref="ReactiveStreamsBuilder.AddCanalWorker{THandler}(string)"/>). A new
/// DI scope is created for each batch and the handler is resolved from it, so it may take scoped services (a
/// <c>DbContext</c>). When <see cref="HandleAsync"/> returns, the batch is committed (the worker's checkpoint moves past
/// it); when it throws, the batch is not committed, the worker stops and reports the failure.
/// </summary>
public interface ICanalBatchHandler
{
    /// <summary>Handles one non-empty batch, in stream order. It may see a frame again after a crash or a stop mid-batch.</summary>
    /// <param name="batch">The frames.</param>
    /// <param name="cancellationToken">Cancelled when the host stops: the batch is then not committed and is redelivered.</param>
    /// <returns>A task that completes once the batch is handled.</returns>
    ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken);
}
