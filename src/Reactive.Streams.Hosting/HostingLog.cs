using Microsoft.Extensions.Logging;

namespace Reactive.Streams.Hosting;

/// <summary>The hosting package's log messages (source-generated: nothing formatted when the level is off).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Canal worker '{Worker}' started on stream '{Stream}' after checkpoint '{Checkpoint}' at {Position}.")]
    public static partial void WorkerStarted(ILogger logger, string worker, string stream, string checkpoint, StreamId position);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Canal worker '{Worker}' stopped at checkpoint {Position}; {Unacknowledged} pulled frame(s) were not acknowledged and will be redelivered.")]
    public static partial void WorkerStopped(ILogger logger, string worker, StreamId position, int unacknowledged);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Error, Message = "Canal worker '{Worker}' on stream '{Stream}' failed; its unhandled frames stay unacknowledged and are redelivered when it runs again.")]
    public static partial void WorkerFailed(ILogger logger, string worker, string stream, Exception error);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Warning, Message = "Canal worker '{Worker}' could not map frame {FrameId} of stream '{Stream}' to {Type}; the frame was dead-lettered to stream '{DeadLetterStream}' as {DeadLetterId} and acknowledged.")]
    public static partial void FrameDeadLettered(ILogger logger, string worker, StreamId frameId, string stream, string type, string deadLetterStream, StreamId deadLetterId, Exception error);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Error, Message = "The stream log ({Provider}) could not be opened.")]
    public static partial void LogOpenFailed(ILogger logger, StreamLogProvider provider, Exception error);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Information, Message = "Dispatcher '{Dispatcher}' shutting down: draining its queues for up to {DrainTimeout}.")]
    public static partial void DispatcherDraining(ILogger logger, string dispatcher, TimeSpan drainTimeout);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "Dispatcher '{Dispatcher}' did not drain within {DrainTimeout}; what it still held stays unacknowledged and is redelivered.")]
    public static partial void DispatcherNotDrained(ILogger logger, string dispatcher, TimeSpan drainTimeout);
}
