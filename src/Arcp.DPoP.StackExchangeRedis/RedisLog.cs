using Microsoft.Extensions.Logging;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// The Redis replay cache's log messages (category <c>Arcp.DPoP.StackExchangeRedis.RedisDPoPReplayCache</c>), with
/// stable event ids from 201, clear of the handler's 1xx. 203 (<c>ReplayStoreScriptsRefused</c>) is retired: the cache
/// runs no script any more; a new event takes 204.
/// </summary>
internal static partial class RedisLog
{
    [LoggerMessage(EventId = 201, EventName = "ReplayStoreConnectFailed", Level = LogLevel.Warning,
        Message = "The DPoP replay store could not connect to Redis; DPoP requests are refused with 503 meanwhile. Next attempt in {RetryInMilliseconds} ms.")]
    public static partial void ConnectFailed(ILogger logger, double retryInMilliseconds, Exception exception);

    [LoggerMessage(EventId = 202, EventName = "ReplayStoreConnected", Level = LogLevel.Information,
        Message = "The DPoP replay store has its Redis connection (connected now: {IsConnected}; it reconnects by itself).")]
    public static partial void Connected(ILogger logger, bool isConnected);
}
