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
/// <exception cref="ArgumentNullException"><paramref name="SinkName"/> or <paramref name="Error"/> is null.</exception>
public sealed record DeadLetter<T>(T Item, string SinkName, int Attempts, Exception Error, DateTimeOffset FailedAt)
{
    private readonly string _sinkName = SinkName ?? throw new ArgumentNullException(nameof(SinkName));

    /// <summary>The name of the sink that failed.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public string SinkName
    {
        get => _sinkName;
        init => _sinkName = value ?? throw new ArgumentNullException(nameof(SinkName));
    }

    private readonly Exception _error = Error ?? throw new ArgumentNullException(nameof(Error));

    /// <summary>The last error the sink raised.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public Exception Error
    {
        get => _error;
        init => _error = value ?? throw new ArgumentNullException(nameof(Error));
    }
}
