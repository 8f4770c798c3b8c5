using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// Reports whether the Redis replay cache answers: while it does not, every DPoP request is refused with 503 (fail
/// closed), so a load balancer should take the instance out of rotation. Degraded when Redis may evict keys
/// (a <c>maxmemory-policy</c> other than <c>noeviction</c>): an evicted entry lets its proof be replayed.
/// </summary>
internal sealed class DPoPReplayCacheHealthCheck : IHealthCheck
{
    private readonly RedisDPoPReplayCache _cache;

    public DPoPReplayCacheHealthCheck(RedisDPoPReplayCache cache)
    {
        _cache = cache;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        TimeSpan latency;
        try
        {
            latency = await _cache.PingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(
                context.Registration.FailureStatus,
                "The DPoP replay cache (Redis) does not answer: DPoP requests are refused with 503 until it does.",
                ex);
        }

        var data = new Dictionary<string, object> { ["latency_ms"] = latency.TotalMilliseconds };
        string? policy;
        try
        {
            policy = await _cache.GetEvictionPolicyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException)
        {
            policy = null; // INFO is not allowed here: the policy cannot be read, so it is not reported
        }

        if (policy is not null)
        {
            data["maxmemory_policy"] = policy;
            return HealthCheckResult.Degraded(
                $"Redis's maxmemory-policy is {policy}: under memory pressure it may evict replay entries, and a proof whose entry was evicted is accepted again. Use maxmemory-policy noeviction, or a Redis instance of its own for the replay cache.",
                data: data);
        }

        return HealthCheckResult.Healthy(
            string.Create(CultureInfo.InvariantCulture, $"The DPoP replay cache (Redis) answered PING in {latency.TotalMilliseconds:0.##} ms."),
            data);
    }
}
