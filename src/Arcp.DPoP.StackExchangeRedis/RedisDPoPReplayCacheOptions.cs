using StackExchange.Redis;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// Options of <see cref="RedisDPoPReplayCache"/>. Give one of <see cref="Configuration"/>,
/// <see cref="ConfigurationOptions"/> or <see cref="ConnectionMultiplexerFactory"/>, or register an
/// <see cref="IConnectionMultiplexer"/> in DI. <see cref="Configuration"/>, <see cref="KeyPrefix"/>,
/// <see cref="Database"/> and <see cref="Timeout"/> also bind from configuration
/// <c>Authentication:DPoPRedisReplayCache</c>.
/// </summary>
public sealed class RedisDPoPReplayCacheOptions
{
    /// <summary>A StackExchange.Redis configuration string, e.g. <c>redis:6379,password=...</c>.</summary>
    public string? Configuration { get; set; }

    /// <summary>StackExchange.Redis configuration options, instead of <see cref="Configuration"/>.</summary>
    public ConfigurationOptions? ConfigurationOptions { get; set; }

    /// <summary>Supplies the connection, instead of <see cref="Configuration"/>; the cache does not dispose it.</summary>
    public Func<Task<IConnectionMultiplexer>>? ConnectionMultiplexerFactory { get; set; }

    /// <summary>The prefix of every key the cache writes. Default <c>arcp:dpop:jti:</c>.</summary>
    public string KeyPrefix { get; set; } = "arcp:dpop:jti:";

    /// <summary>The Redis database number. Default -1: the connection's default database.</summary>
    public int Database { get; set; } = -1;

    /// <summary>
    /// The longest a request waits for Redis to record its proof; past it the request is refused with 503 and
    /// <c>Retry-After</c>. Default 500 ms (a healthy Redis answers in well under a millisecond on a LAN). From 10 ms to 30 s.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(500);
}
