using Microsoft.Extensions.Hosting;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// Opens the replay cache's Redis connection when the application starts, in the background: neither startup nor any
/// request waits for Redis, and requests that come before the connection are refused fast with 503.
/// </summary>
internal sealed class RedisDPoPReplayCacheConnector : IHostedService
{
    private readonly RedisDPoPReplayCache _cache;

    public RedisDPoPReplayCacheConnector(RedisDPoPReplayCache cache)
    {
        _cache = cache;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = _cache.StartConnecting();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
