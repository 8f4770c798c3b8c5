using Microsoft.Extensions.Logging;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// The Redis replay cache's log messages (category <c>Arcp.DPoP.StackExchangeRedis.RedisDPoPReplayCache</c>), with
/// stable event ids from 201, clear of the handler's 1xx.
/// </summary>
internal static partial class RedisLog
{
    [LoggerMessage(EventId = 201, EventName = "ReplayStoreConnectFailed", Level = LogLevel.Warning,
        Message = "The DPoP replay store could not connect to Redis; DPoP requests are refused with 503 meanwhile. Next attempt in {RetryInMilliseconds} ms.")]
    public static partial void ConnectFailed(ILogger logger, double retryInMilliseconds, Exception exception);

    [LoggerMessage(EventId = 202, EventName = "ReplayStoreConnected", Level = LogLevel.Information,
        Message = "The DPoP replay store has its Redis connection (connected now: {IsConnected}; it reconnects by itself).")]
    public static partial void Connected(ILogger logger, bool isConnected);

    [LoggerMessage(EventId = 203, EventName = "ReplayStoreScriptsRefused", Level = LogLevel.Warning,
        Message = "Redis refused the DPoP replay store's script, so the adds of that batch were refused with 503; from now on each replay add is sent as one SET NX of its own.")]
    public static partial void ScriptsRefused(ILogger logger, Exception exception);
}
