using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis;

/// <summary>The Redis log's messages (source-generated, with stable event ids 8101-8104: docs/stream-log.md).</summary>
internal static partial class RedisLog
{
    [LoggerMessage(EventId = 8101, Level = LogLevel.Warning, Message = "Stream log subscription lost its connection ({FailureType}); StackExchange.Redis reconnects.")]
    public static partial void SubscriptionLost(ILogger logger, ConnectionFailureType failureType, Exception? error);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Information, Message = "Stream log subscription reconnected; re-checking every parked tail.")]
    public static partial void SubscriptionReconnected(ILogger logger);

    [LoggerMessage(EventId = 8103, Level = LogLevel.Debug, Message = "Ping after the subscription reconnected failed; re-checking parked tails anyway.")]
    public static partial void RecheckPingFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 8104, Level = LogLevel.Debug, Message = "Could not unsubscribe the stream log's tail channel while disposing.")]
    public static partial void UnsubscribeFailed(ILogger logger, Exception error);
}
