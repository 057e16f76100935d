namespace Reactive.Streams;

/// <summary>
/// An item one sink failed to commit, as handed to the dead-letter sink (<see cref="DeliveryOptions{T}.DeadLetterSink"/>).
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Item">The item.</param>
/// <param name="SinkName">The name of the sink that failed.</param>
/// <param name="Attempts">How many times the sink was tried: 1 when the first attempt failed permanently, <c>1 + MaxRetries</c>
/// when every attempt failed transiently, or the attempts so far when a later failure was permanent.</param>
/// <param name="Error">The last error the sink raised.</param>
/// <param name="FailedAt">When the last attempt failed, on the dispatcher's <see cref="TimeProvider"/>.</param>
public sealed record DeadLetter<T>(T Item, string SinkName, int Attempts, Exception Error, DateTimeOffset FailedAt);
