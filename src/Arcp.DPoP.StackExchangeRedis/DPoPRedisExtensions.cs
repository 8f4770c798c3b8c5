using Arcp.DPoP;
using Arcp.DPoP.StackExchangeRedis;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis replay cache for DPoP proofs.</summary>
public static class DPoPRedisExtensions
{
    /// <summary>
    /// Records DPoP proofs in Redis, shared by every instance of a web farm, instead of in process memory.
    /// </summary>
    /// <param name="builder">The authentication builder the DPoP scheme was added to.</param>
    /// <param name="configure">Where Redis is: <see cref="RedisDPoPReplayCacheOptions.Configuration"/> and friends.
    /// Without it, an <c>IConnectionMultiplexer</c> registered in DI is used.</param>
    public static AuthenticationBuilder AddDPoPRedisReplayCache(this AuthenticationBuilder builder, Action<RedisDPoPReplayCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<RedisDPoPReplayCacheOptions>();

        // Configuration first, so the code below overrides it.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<RedisDPoPReplayCacheOptions>, RedisDPoPReplayCacheConfigureOptions>());
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisDPoPReplayCacheOptions>, RedisDPoPReplayCacheOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.RemoveAll<IDPoPReplayCache>();
        services.AddSingleton<RedisDPoPReplayCache>();
        services.AddSingleton<IDPoPReplayCache>(sp => sp.GetRequiredService<RedisDPoPReplayCache>());

        // Connects when the app starts, in the background: no request ever waits for a connection to be made.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisDPoPReplayCacheConnector>());
        return builder;
    }

    /// <summary>
    /// Adds a health check that PINGs the Redis replay cache (<c>AddDPoPRedisReplayCache</c>): Unhealthy (or
    /// <paramref name="failureStatus"/>) while it cannot answer, when every DPoP request is refused with 503; Degraded
    /// when Redis's <c>maxmemory-policy</c> may evict keys (anything but <c>noeviction</c>), since an evicted replay
    /// entry lets its proof be accepted again.
    /// </summary>
    /// <param name="builder">The health checks builder from <c>AddHealthChecks()</c>.</param>
    /// <param name="name">The check's name. Default <c>dpop-replay-cache</c>.</param>
    /// <param name="failureStatus">The status reported when Redis does not answer. Default Unhealthy.</param>
    /// <param name="tags">Tags to filter the check by, e.g. <c>ready</c>.</param>
    public static IHealthChecksBuilder AddDPoPReplayCacheHealthCheck(this IHealthChecksBuilder builder, string name = "dpop-replay-cache", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new DPoPReplayCacheHealthCheck(sp.GetRequiredService<RedisDPoPReplayCache>()),
            failureStatus,
            tags));
    }
}
