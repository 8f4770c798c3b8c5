using Arcp.DPoP.StackExchangeRedis;
using StackExchange.Redis;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// What a Redis replay cache test works with: caches on one redis-server under a key prefix of the test's own
/// (<see cref="ReplayCacheInstances"/>), and an inspector connection (admin commands allowed, named
/// <see cref="InspectorName"/>) that looks at the keys and configures the server. The server itself is the test's.
/// </summary>
internal sealed class ReplayCacheBench : IAsyncDisposable
{
    /// <summary>The inspector's client name on the server (<c>CLIENT LIST</c>).</summary>
    public const string InspectorName = "replay-inspector";

    private readonly ReplayCacheInstances _instances = new();

    private ReplayCacheBench(RedisServer redis, string prefix, ConnectionMultiplexer inspector)
    {
        Redis = redis;
        Prefix = prefix;
        Inspector = inspector;
    }

    public RedisServer Redis { get; }

    /// <summary>The caches' key prefix: <c>name:guid:</c>.</summary>
    public string Prefix { get; }

    public ConnectionMultiplexer Inspector { get; }

    /// <summary>Connects the inspector to <paramref name="redis"/>, which is running.</summary>
    public static async Task<ReplayCacheBench> StartAsync(RedisServer redis, string prefixName) =>
        new(redis, prefixName + ":" + Guid.NewGuid().ToString("N") + ":",
            await ConnectionMultiplexer.ConnectAsync($"{redis.Configuration},allowAdmin=true,name={InspectorName}"));

    /// <summary>A cache with a connection of its own, as each instance of a web farm has.</summary>
    public Task<RedisDPoPReplayCache> InstanceAsync(Action<RedisDPoPReplayCacheOptions>? configure = null) =>
        _instances.StartAsync(Redis.Configuration, Prefix, configure);

    public async ValueTask DisposeAsync()
    {
        await _instances.DisposeAsync();
        await Inspector.DisposeAsync();
    }
}
