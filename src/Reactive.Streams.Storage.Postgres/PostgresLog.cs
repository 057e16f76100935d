using Microsoft.Extensions.Logging;

namespace Reactive.Streams.Storage.Postgres;

/// <summary>The PostgreSQL log's messages (source-generated, with stable event ids 8001-8003: docs/stream-log.md).</summary>
internal static partial class PostgresLog
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "A stream log call failed transiently ({Failures} failures); trying again in {Delay}.")]
    public static partial void CallRetrying(ILogger logger, int failures, TimeSpan delay, Exception error);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Stream log listener lost its connection; reconnecting.")]
    public static partial void ListenerLost(ILogger logger, Exception error);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "Stream log listener reconnected; re-checking every parked tail.")]
    public static partial void ListenerReconnected(ILogger logger);
}
