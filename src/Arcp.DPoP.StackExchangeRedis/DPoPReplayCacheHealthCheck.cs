using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// Reports whether the Redis replay cache answers: while it does not, every DPoP request is refused with 503 (fail
/// closed), so a load balancer should take the instance out of rotation.
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
        try
        {
            var latency = await _cache.PingAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(
                string.Create(CultureInfo.InvariantCulture, $"The DPoP replay cache (Redis) answered PING in {latency.TotalMilliseconds:0.##} ms."),
                new Dictionary<string, object> { ["latency_ms"] = latency.TotalMilliseconds });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new HealthCheckResult(
                context.Registration.FailureStatus,
                "The DPoP replay cache (Redis) does not answer: DPoP requests are refused with 503 until it does.",
                ex);
        }
    }
}
