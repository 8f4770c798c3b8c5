using Arcp.DPoP.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// Redis replay caches made as an application makes them, each with a connection of its own as each instance of a web
/// farm has, connected before they are handed out, and disposed together.
/// </summary>
internal sealed class ReplayCacheInstances : IAsyncDisposable
{
    private readonly List<RedisDPoPReplayCache> _caches = [];

    /// <summary>A connected cache on <paramref name="configuration"/> with <paramref name="prefix"/>, then <paramref name="configure"/>.</summary>
    public async Task<RedisDPoPReplayCache> StartAsync(string configuration, string prefix, Action<RedisDPoPReplayCacheOptions>? configure = null)
    {
        // Not about the timeout: a fresh test process on a busy 2-core machine can stall for more than the default.
        var options = new RedisDPoPReplayCacheOptions { Configuration = configuration, KeyPrefix = prefix, Timeout = TimeSpan.FromSeconds(10) };
        configure?.Invoke(options);
        var cache = new RedisDPoPReplayCache(Options.Create(options), TimeProvider.System, new ServiceCollection().BuildServiceProvider());
        _caches.Add(cache);
        await cache.ConnectAsync();
        return cache;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }

        _caches.Clear();
    }
}
