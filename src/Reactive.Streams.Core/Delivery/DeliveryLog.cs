using Microsoft.Extensions.Logging;

namespace Reactive.Streams;

/// <summary>The dispatcher's log messages (source-generated: no boxing, nothing formatted when the level is off).</summary>
internal static partial class DeliveryLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Error, Message = "Dispatcher '{Dispatcher}': sink '{Sink}' failed {Count} item(s) terminally after {Attempts} attempt(s) and no dead-letter sink is configured; the item(s) are counted as Discarded and treated as committed by the sink.")]
    public static partial void Discarded(ILogger logger, string dispatcher, string sink, int count, int attempts, Exception error);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Critical, Message = "Dispatcher '{Dispatcher}': the dead-letter sink failed for an item of sink '{Sink}' after {Attempts} attempt(s); the item is counted as Discarded and treated as committed by the sink.")]
    public static partial void DeadLetterFailed(ILogger logger, string dispatcher, string sink, int attempts, Exception error);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Dispatcher '{Dispatcher}': an acknowledgement callback threw; the item stays committed.")]
    public static partial void AckFailed(ILogger logger, string dispatcher, Exception error);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Dispatcher '{Dispatcher}': shutdown stopped draining after {Timeout}; {Left} queued item(s) across the sinks that hold acknowledgements stay unacknowledged.")]
    public static partial void DrainTimedOut(ILogger logger, string dispatcher, TimeSpan timeout, int left);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "Dispatcher '{Dispatcher}': shutdown stopped draining after {Timeout}; {Left} queued item(s) of best-effort sinks were never written to them. They are acknowledged and will not be redelivered.")]
    public static partial void BestEffortNotDrained(ILogger logger, string dispatcher, TimeSpan timeout, int left);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Error, Message = "Dispatcher '{Dispatcher}': the worker of sink '{Sink}' failed unexpectedly; its remaining items stay unacknowledged.")]
    public static partial void WorkerFailed(ILogger logger, string dispatcher, string sink, Exception error);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "Dispatcher '{Dispatcher}': a listener of the reactive_streams.delivery.ack.duration histogram threw while the duration was recorded; the acknowledgement still fires.")]
    public static partial void AckDurationListenerFailed(ILogger logger, string dispatcher, Exception error);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "Dispatcher '{Dispatcher}': a cancellation callback registered by a sink threw while shutdown stopped the workers.")]
    public static partial void CancellationCallbackFailed(ILogger logger, string dispatcher, Exception error);
}
