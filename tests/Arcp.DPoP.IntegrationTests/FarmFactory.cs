using Arcp.DPoP.SampleApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>Instances of the sample API that share one Redis and one token issuer, as a web farm behind a load balancer does.</summary>
internal static class FarmFactory
{
    public static SampleApiFactory Instance(RedisServer redis, DevelopmentTokenIssuer issuer, bool requireNonce = false)
    {
        var factory = new SampleApiFactory
        {
            ExtraServices = services =>
            {
                services.RemoveAll<DevelopmentTokenIssuer>();
                services.AddSingleton(issuer);
            },
        };
        factory.Settings["ConnectionStrings:Redis"] = redis.Configuration;
        if (requireNonce)
        {
            factory.Settings["Authentication:Schemes:DPoP:RequireNonce"] = "true";
        }

        return factory;
    }
}
